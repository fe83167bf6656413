/* FIX 4.4 data dictionary (see fix_dict.h). */
#include "fix/fix_dict.h"

#include <errno.h>
#include <string.h>

struct field_def {
	const char *name;
	uint8_t type;       /* enum fix_type */
	bool int99;         /* INT enum also allows 99 */
	const char *chars;  /* CHAR enum: allowed characters, NULL = any */
	uint64_t ints;      /* INT enum: allowed values 0..63 as bits, 0 = any */
};

#define BITS(a, b) ((~0ull >> (63 - (b))) & ~((1ull << (a)) - 1))
#define S(n) { n, FIX_T_STRING, false, NULL, 0 }
#define C(n, e) { n, FIX_T_CHAR, false, e, 0 }
#define I(n) { n, FIX_T_INT, false, NULL, 0 }
#define IE(n, m, x99) { n, FIX_T_INT, x99, NULL, m }
#define SEQ(n) { n, FIX_T_SEQNUM, false, NULL, 0 }
#define LEN(n) { n, FIX_T_LENGTH, false, NULL, 0 }
#define NIG(n) { n, FIX_T_NUMINGROUP, false, NULL, 0 }
#define PX(n) { n, FIX_T_PRICE, false, NULL, 0 }
#define QTY(n) { n, FIX_T_QTY, false, NULL, 0 }
#define AMT(n) { n, FIX_T_AMT, false, NULL, 0 }
#define B(n) { n, FIX_T_BOOL, false, NULL, 0 }
#define TS(n) { n, FIX_T_UTCTS, false, NULL, 0 }
#define D(n) { n, FIX_T_DATE, false, NULL, 0 }

static const struct field_def g_fields[FIX_DICT_MAX_TAG] = {
	[1] = S("Account"),
	[6] = PX("AvgPx"),
	[7] = SEQ("BeginSeqNo"),
	[8] = S("BeginString"),
	[9] = LEN("BodyLength"),
	[10] = S("CheckSum"),
	[11] = S("ClOrdID"),
	[12] = AMT("Commission"),
	[13] = C("CommType", "123456"),
	[14] = QTY("CumQty"),
	[15] = S("Currency"),
	[16] = SEQ("EndSeqNo"),
	[17] = S("ExecID"),
	[18] = S("ExecInst"),
	[19] = S("ExecRefID"),
	[21] = C("HandlInst", "123"),
	[22] = S("SecurityIDSource"),
	[30] = S("LastMkt"),
	[31] = PX("LastPx"),
	[32] = QTY("LastQty"),
	[34] = SEQ("MsgSeqNum"),
	[35] = S("MsgType"),
	[36] = SEQ("NewSeqNo"),
	[37] = S("OrderID"),
	[38] = QTY("OrderQty"),
	[39] = C("OrdStatus", "0123456789ABCDE"),
	[40] = C("OrdType", "123456789ABCDEGHIJKLMP"),
	[41] = S("OrigClOrdID"),
	[43] = B("PossDupFlag"),
	[44] = PX("Price"),
	[45] = SEQ("RefSeqNum"),
	[48] = S("SecurityID"),
	[49] = S("SenderCompID"),
	[50] = S("SenderSubID"),
	[52] = TS("SendingTime"),
	[54] = C("Side", "123456789ABCDEFG"),
	[55] = S("Symbol"),
	[56] = S("TargetCompID"),
	[57] = S("TargetSubID"),
	[58] = S("Text"),
	[59] = C("TimeInForce", "01234567"),
	[60] = TS("TransactTime"),
	[75] = D("TradeDate"),
	[97] = B("PossResend"),
	[98] = IE("EncryptMethod", BITS(0, 6), false),
	[99] = PX("StopPx"),
	[100] = S("ExDestination"),
	[102] = IE("CxlRejReason", BITS(0, 6) | (1ull << 18), true),
	[103] = IE("OrdRejReason", BITS(0, 18), true),
	[108] = I("HeartBtInt"),
	[110] = QTY("MinQty"),
	[111] = QTY("MaxFloor"),
	[112] = S("TestReqID"),
	[115] = S("OnBehalfOfCompID"),
	[116] = S("OnBehalfOfSubID"),
	[122] = TS("OrigSendingTime"),
	[123] = B("GapFillFlag"),
	[126] = TS("ExpireTime"),
	[128] = S("DeliverToCompID"),
	[129] = S("DeliverToSubID"),
	[141] = B("ResetSeqNumFlag"),
	[142] = S("SenderLocationID"),
	[143] = S("TargetLocationID"),
	[144] = S("OnBehalfOfLocationID"),
	[145] = S("DeliverToLocationID"),
	[150] = C("ExecType", "03456789ABCDEFGHI"),
	[151] = QTY("LeavesQty"),
	[167] = S("SecurityType"),
	[198] = S("SecondaryOrderID"),
	[207] = S("SecurityExchange"),
	[325] = B("UnsolicitedIndicator"),
	[336] = S("TradingSessionID"),
	[347] = S("MessageEncoding"),
	[369] = SEQ("LastMsgSeqNumProcessed"),
	[371] = I("RefTagID"),
	[372] = S("RefMsgType"),
	[373] = IE("SessionRejectReason", BITS(0, 17), true),
	[378] = I("ExecRestatementReason"),
	[379] = S("BusinessRejectRefID"),
	[380] = IE("BusinessRejectReason", BITS(0, 7) | (1ull << 18), false),
	[381] = AMT("GrossTradeAmt"),
	[383] = I("MaxMessageSize"),
	[432] = D("ExpireDate"),
	[434] = C("CxlRejResponseTo", "12"),
	[447] = C("PartyIDSource", "123456789ABCDEFGHI"),
	[448] = S("PartyID"),
	[452] = I("PartyRole"),
	[453] = NIG("NoPartyIDs"),
	[464] = B("TestMessageIndicator"),
	[526] = S("SecondaryClOrdID"),
	[527] = S("SecondaryExecID"),
	[528] = C("OrderCapacity", "ABGILPRW"),
	[529] = S("OrderRestrictions"),
	[530] = C("MassCancelRequestType", "1234567"),
	[531] = C("MassCancelResponse", "01234567"),
	[532] = IE("MassCancelRejectReason", BITS(0, 5), true),
	[533] = I("TotalAffectedOrders"),
	[534] = NIG("NoAffectedOrders"),
	[535] = S("AffectedOrderID"),
	[536] = S("AffectedSecondaryOrderID"),
	[553] = S("Username"),
	[554] = S("Password"),
	[583] = S("ClOrdLinkID"),
	[789] = SEQ("NextExpectedMsgSeqNum"),
	[790] = S("OrdStatusReqID"),
	[797] = B("CopyMsgIndicator"),
	[851] = IE("LastLiquidityInd", BITS(1, 3), false),
	[880] = S("TrdMatchID"),
};

/* Header tags (besides 8, 9, 35 which the parser pins to positions 0-2). */
static const uint16_t g_header_tags[] = {
	49, 56, 34, 52, 43, 97, 122, 50, 57, 115, 116, 128, 129, 142, 143, 144, 145, 347, 369, 0
};
static const uint16_t g_header_required[] = { 49, 56, 34, 52, 0 };

struct group_def {
	uint16_t count_tag;
	uint16_t delim;
	uint8_t n;
	uint32_t members[4];
};

static const struct group_def g_parties = { 453, 448, 3, { 448, 447, 452, 0 } };
static const struct group_def g_affected = { 534, 41, 3, { 41, 535, 536, 0 } };

struct fix_msg_def {
	char type[3];
	const char *name;
	bool admin;
	const uint16_t *req; /* 0-terminated */
	const uint16_t *opt; /* 0-terminated */
	const struct group_def *group; /* at most one group per message here */
};

#define TAGS(...) ((const uint16_t[]){ __VA_ARGS__, 0 })
#define NOTAGS ((const uint16_t[]){ 0 })

static const struct fix_msg_def g_msgs[] = {
	{ "0", "Heartbeat", true, NOTAGS, TAGS(112), NULL },
	{ "1", "TestRequest", true, TAGS(112), NOTAGS, NULL },
	{ "2", "ResendRequest", true, TAGS(7, 16), NOTAGS, NULL },
	{ "3", "Reject", true, TAGS(45), TAGS(371, 372, 373, 58), NULL },
	{ "4", "SequenceReset", true, TAGS(36), TAGS(123), NULL },
	{ "5", "Logout", true, NOTAGS, TAGS(58), NULL },
	{ "A", "Logon", true, TAGS(98, 108), TAGS(141, 789, 383, 464, 553, 554), NULL },
	{ "D", "NewOrderSingle", false, TAGS(11, 55, 54, 60, 38, 40),
	  TAGS(1, 18, 44, 99, 59, 126, 432, 110, 111, 21, 15, 58, 526, 583, 207, 48, 22, 167, 100,
	       528, 529, 453),
	  &g_parties },
	{ "F", "OrderCancelRequest", false, TAGS(41, 11, 55, 54, 60),
	  TAGS(37, 1, 38, 58, 526, 583, 48, 22, 207, 167, 453), &g_parties },
	{ "G", "OrderCancelReplaceRequest", false, TAGS(41, 11, 55, 54, 60, 38, 40),
	  TAGS(37, 1, 44, 99, 59, 126, 432, 18, 110, 111, 21, 58, 15, 526, 583, 48, 22, 207, 167,
	       528, 529, 453),
	  &g_parties },
	{ "H", "OrderStatusRequest", false, TAGS(11, 55, 54),
	  TAGS(37, 1, 790, 526, 48, 22, 207, 167, 453), &g_parties },
	{ "q", "OrderMassCancelRequest", false, TAGS(11, 530, 60),
	  TAGS(526, 336, 55, 48, 22, 207, 167, 54, 58), NULL },
	{ "8", "ExecutionReport", false, TAGS(37, 17, 150, 39, 55, 54, 151, 14, 6),
	  TAGS(11, 41, 1, 38, 40, 44, 99, 59, 126, 432, 18, 31, 32, 60, 58, 103, 19, 378, 15, 48,
	       22, 207, 167, 110, 111, 526, 583, 527, 198, 880, 851, 528, 30, 75, 12, 13, 381, 797,
	       325, 453),
	  &g_parties },
	{ "9", "OrderCancelReject", false, TAGS(37, 11, 41, 39, 434),
	  TAGS(1, 102, 58, 60, 526, 583, 198), NULL },
	{ "r", "OrderMassCancelReport", false, TAGS(37, 530, 531),
	  TAGS(11, 526, 532, 533, 534, 336, 55, 48, 22, 207, 167, 54, 60, 58), &g_affected },
	{ "j", "BusinessMessageReject", false, TAGS(372, 380), TAGS(45, 379, 58), NULL },
};
#define N_MSGS (sizeof(g_msgs) / sizeof(g_msgs[0]))
_Static_assert(N_MSGS <= 32, "message masks are 32 bits");

/* Derived at load time from the tables above, read-only afterwards. */
static uint32_t g_allowed[FIX_DICT_MAX_TAG];   /* bit i: tag allowed in g_msgs[i] body */
static uint32_t g_in_group[FIX_DICT_MAX_TAG];  /* bit i: tag is a group member in g_msgs[i] */
static bool g_is_header[FIX_DICT_MAX_TAG];
static uint64_t g_char_ok[FIX_DICT_MAX_TAG][2]; /* CHAR enums: allowed bytes 0..127 */

__attribute__((constructor)) static void fix_dict_build(void)
{
	for (const uint16_t *t = g_header_tags; *t; t++)
		g_is_header[*t] = true;
	g_is_header[8] = g_is_header[9] = g_is_header[35] = true;
	for (unsigned t = 0; t < FIX_DICT_MAX_TAG; t++)
		for (const char *c = g_fields[t].chars; c && *c; c++)
			g_char_ok[t][(unsigned char)*c >> 6] |= 1ull << ((unsigned char)*c & 63);
	for (unsigned i = 0; i < N_MSGS; i++) {
		const struct fix_msg_def *d = &g_msgs[i];
		for (const uint16_t *t = d->req; *t; t++)
			g_allowed[*t] |= 1u << i;
		for (const uint16_t *t = d->opt; *t; t++)
			g_allowed[*t] |= 1u << i;
		if (d->group) {
			g_allowed[d->group->count_tag] |= 1u << i;
			for (unsigned k = 0; k < d->group->n; k++) {
				g_allowed[d->group->members[k]] |= 1u << i;
				g_in_group[d->group->members[k]] |= 1u << i;
			}
		}
	}
}

static const char *const g_rr_names[] = {
	[0] = "Invalid tag number",
	[1] = "Required tag missing",
	[2] = "Tag not defined for this message type",
	[3] = "Undefined tag",
	[4] = "Tag specified without a value",
	[5] = "Value is incorrect (out of range) for this tag",
	[6] = "Incorrect data format for value",
	[7] = "Decryption problem",
	[8] = "Signature problem",
	[9] = "CompID problem",
	[10] = "SendingTime accuracy problem",
	[11] = "Invalid MsgType",
	[12] = "XML validation error",
	[13] = "Tag appears more than once",
	[14] = "Tag specified out of required order",
	[15] = "Repeating group fields out of order",
	[16] = "Incorrect NumInGroup count for repeating group",
	[17] = "Non data value includes field delimiter",
};

const char *fix_reject_reason_name(int reason)
{
	if (reason >= 0 && reason < (int)(sizeof(g_rr_names) / sizeof(g_rr_names[0])))
		return g_rr_names[reason];
	return "Other";
}

const struct fix_msg_def *fix_dict_msg(const char *type, size_t len)
{
	if (len == 0 || len > 2)
		return NULL;
	for (unsigned i = 0; i < N_MSGS; i++) {
		const char *t = g_msgs[i].type;
		if (t[0] == type[0] && ((len == 1 && t[1] == 0) || (len == 2 && t[1] == type[1])))
			return &g_msgs[i];
	}
	return NULL;
}

const char *fix_dict_msg_name(const struct fix_msg_def *d)
{
	return d ? d->name : "";
}

bool fix_dict_is_admin(const char *type, size_t len)
{
	return len == 1 && type[0] != 0 && memchr("012345A", type[0], 7) != NULL;
}

bool fix_dict_is_fix44_msgtype(const char *type, size_t len)
{
	static const char singles[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	if (len == 1)
		return type[0] != 0 && memchr(singles, type[0], sizeof(singles) - 1) != NULL;
	if (len == 2) {
		if (type[0] == 'A')
			return type[1] >= 'A' && type[1] <= 'Z';
		if (type[0] == 'B')
			return type[1] >= 'A' && type[1] <= 'H';
	}
	return false;
}

enum fix_type fix_dict_field_type(uint32_t tag)
{
	return tag < FIX_DICT_MAX_TAG ? (enum fix_type)g_fields[tag].type : FIX_T_NONE;
}

const char *fix_dict_field_name(uint32_t tag)
{
	return tag < FIX_DICT_MAX_TAG && g_fields[tag].name ? g_fields[tag].name : "";
}

bool fix_dict_is_header_tag(uint32_t tag)
{
	return tag < FIX_DICT_MAX_TAG && g_is_header[tag];
}

int fix_dict_check_value(uint32_t tag, const char *v, size_t len)
{
	if (tag >= FIX_DICT_MAX_TAG || g_fields[tag].type == FIX_T_NONE)
		return FIX_RR_INVALID_TAG;
	const struct field_def *fd = &g_fields[tag];
	uint64_t u;
	int64_t s;
	bool b;
	switch ((enum fix_type)fd->type) {
	case FIX_T_NONE:
	case FIX_T_STRING:
		return 0;
	case FIX_T_CHAR:
		if (len != 1)
			return FIX_RR_BAD_FORMAT;
		if (fd->chars) {
			unsigned char c = (unsigned char)v[0];
			if (c >= 128 || !((g_char_ok[tag][c >> 6] >> (c & 63)) & 1))
				return FIX_RR_BAD_VALUE;
		}
		return 0;
	case FIX_T_INT:
		if (fix_parse_int(v, len, &s))
			return FIX_RR_BAD_FORMAT;
		if (fd->ints && !((s >= 0 && s < 64 && (fd->ints >> s) & 1) || (fd->int99 && s == 99)))
			return FIX_RR_BAD_VALUE;
		return 0;
	case FIX_T_SEQNUM:
	case FIX_T_LENGTH:
	case FIX_T_NUMINGROUP:
		return fix_parse_uint(v, len, &u) ? FIX_RR_BAD_FORMAT : 0;
	case FIX_T_PRICE:
		return fix_parse_price(v, len, &s) ? FIX_RR_BAD_FORMAT : 0;
	case FIX_T_QTY:
	case FIX_T_AMT:
		return fix_is_decimal(v, len) ? 0 : FIX_RR_BAD_FORMAT;
	case FIX_T_BOOL:
		return fix_parse_bool(v, len, &b) ? FIX_RR_BAD_FORMAT : 0;
	case FIX_T_UTCTS:
		return fix_parse_timestamp(v, len, &u) ? FIX_RR_BAD_FORMAT : 0;
	case FIX_T_DATE:
		return fix_parse_date(v, len, &s) ? FIX_RR_BAD_FORMAT : 0;
	}
	return FIX_RR_BAD_FORMAT;
}

static int reject(struct fix_reject *rej, int reason, uint32_t tag)
{
	rej->reason = reason;
	rej->ref_tag = tag;
	rej->text = fix_reject_reason_name(reason);
	return -EBADMSG;
}

static inline bool seen_test_set(uint64_t *seen, uint32_t tag)
{
	uint64_t bit = 1ull << (tag & 63);
	bool was = seen[tag >> 6] & bit;
	seen[tag >> 6] |= bit;
	return was;
}

int fix_dict_validate(const struct fix_msg *m, struct fix_reject *rej)
{
	rej->reason = 0;
	rej->ref_tag = 0;
	rej->text = "";
	if (m->nfields < 4 || m->f[0].tag != 8 || m->f[1].tag != 9 || m->f[2].tag != 35)
		return reject(rej, FIX_RR_OUT_OF_ORDER, m->nfields > 2 ? m->f[2].tag : 35);
	const struct fix_msg_def *d = fix_dict_msg(m->msgtype, m->msgtype_len);
	if (!d) {
		if (fix_dict_is_fix44_msgtype(m->msgtype, m->msgtype_len)) {
			rej->text = "Unsupported Message Type";
			return -ENOTSUP;
		}
		return reject(rej, FIX_RR_INVALID_MSGTYPE, 35);
	}
	uint32_t bit = 1u << (unsigned)(d - g_msgs);
	uint64_t seen[FIX_DICT_MAX_TAG / 64] = { 0 };
	seen_test_set(seen, 8);
	seen_test_set(seen, 9);
	seen_test_set(seen, 35);
	bool in_body = false;
	unsigned last = m->nfields - 1u;
	for (unsigned i = 3; i < last; i++) {
		const struct fix_field *f = &m->f[i];
		uint32_t tag = f->tag;
		if (tag >= FIX_DICT_MAX_TAG || g_fields[tag].type == FIX_T_NONE)
			return reject(rej, FIX_RR_INVALID_TAG, tag);
		if (g_is_header[tag]) {
			if (in_body || tag == 8 || tag == 9 || tag == 35)
				return reject(rej, FIX_RR_OUT_OF_ORDER, tag);
		} else {
			if (tag == 10)
				return reject(rej, FIX_RR_OUT_OF_ORDER, tag);
			in_body = true;
			if (!(g_allowed[tag] & bit))
				return reject(rej, FIX_RR_NOT_FOR_MSGTYPE, tag);
			if (g_in_group[tag] & bit)
				return reject(rej, FIX_RR_GROUP_ORDER, tag);
		}
		if (seen_test_set(seen, tag))
			return reject(rej, FIX_RR_DUPLICATE_TAG, tag);
		int rr = fix_dict_check_value(tag, f->val, f->len);
		if (rr)
			return reject(rej, rr, tag);
		if (d->group && tag == d->group->count_tag) {
			struct fix_group g;
			uint32_t bad = tag;
			int rc = fix_group_open(m, i, d->group->delim, d->group->members, d->group->n, &g,
						&bad);
			if (rc == -EPROTO)
				return reject(rej, FIX_RR_GROUP_ORDER, bad);
			if (rc == -ERANGE)
				return reject(rej, FIX_RR_GROUP_COUNT, tag);
			if (rc)
				return reject(rej, FIX_RR_BAD_VALUE, tag);
			/* entries: each member at most once per entry, values typed */
			for (unsigned e = 0; e < g.count; e++) {
				unsigned b = g.first[e], end = e + 1 < g.count ? g.first[e + 1] : g.end;
				uint32_t entry_seen = 0;
				for (unsigned k = b; k < end; k++) {
					uint32_t mt = m->f[k].tag;
					unsigned pos = 0;
					while (pos < d->group->n && d->group->members[pos] != mt)
						pos++;
					if (entry_seen & (1u << pos))
						return reject(rej, FIX_RR_GROUP_ORDER, mt);
					entry_seen |= 1u << pos;
					rr = fix_dict_check_value(mt, m->f[k].val, m->f[k].len);
					if (rr)
						return reject(rej, rr, mt);
				}
			}
			i = (unsigned)g.end - 1u;
		}
	}
	for (const uint16_t *t = g_header_required; *t; t++)
		if (!(seen[*t >> 6] & (1ull << (*t & 63))))
			return reject(rej, FIX_RR_REQUIRED_MISSING, *t);
	for (const uint16_t *t = d->req; *t; t++)
		if (!(seen[*t >> 6] & (1ull << (*t & 63))))
			return reject(rej, FIX_RR_REQUIRED_MISSING, *t);
	return 0;
}
