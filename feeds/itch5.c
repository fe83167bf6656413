/* NASDAQ TotalView-ITCH 5.0 codec: see itch5.h for the contract.
 *
 * Offsets below are the spec's, counted from the type byte. Every body field
 * starts at offset 11 (after type, stock locate, tracking, timestamp). Loads
 * are fixed-size memcpy + byte swap, so the compiler emits one unaligned load
 * and a bswap per field; the single length check in itch5_decode() covers all
 * of them.
 */
#include "feeds/itch5.h"

#include <errno.h>
#include <string.h>

#define TS_MASK ((UINT64_C(1) << 48) - 1)

/* Fixed wire length per type byte; 0 = not an ITCH 5.0 type. */
static const uint8_t g_itch5_len[256] = {
	['S'] = 12, ['R'] = 39, ['H'] = 25, ['Y'] = 20, ['L'] = 26, ['V'] = 35,
	['W'] = 12, ['K'] = 28, ['J'] = 35, ['h'] = 21, ['A'] = 36, ['F'] = 40,
	['E'] = 31, ['C'] = 36, ['X'] = 23, ['D'] = 19, ['U'] = 35, ['P'] = 44,
	['Q'] = 40, ['B'] = 19, ['I'] = 50, ['N'] = 20, ['O'] = 48,
};

_Static_assert(ITCH5_MAX_MSG_LEN == 50, "NOII is the longest message");
_Static_assert(ITCH5_HDR_LEN == 11, "type + locate + tracking + timestamp");

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

static inline void st16(uint8_t *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void st32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void st64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, sizeof(v));
}

static inline void st48(uint8_t *p, uint64_t v)
{
	st16(p, (uint16_t)(v >> 32));
	st32(p + 2, (uint32_t)v);
}

const char *itch5_err_name(enum itch5_err e)
{
	switch (e) {
	case ITCH5_OK: return "ok";
	case ITCH5_ERR_EMPTY: return "empty";
	case ITCH5_ERR_UNKNOWN_TYPE: return "unknown_type";
	case ITCH5_ERR_LEN_MISMATCH: return "len_mismatch";
	case ITCH5_ERR__COUNT: break;
	}
	return "invalid";
}

size_t itch5_msg_len(uint8_t type)
{
	return g_itch5_len[type];
}

const char *itch5_type_name(uint8_t type)
{
	switch (type) {
	case ITCH5_SYSTEM_EVENT: return "SYSTEM_EVENT";
	case ITCH5_STOCK_DIRECTORY: return "STOCK_DIRECTORY";
	case ITCH5_TRADING_ACTION: return "TRADING_ACTION";
	case ITCH5_REG_SHO: return "REG_SHO";
	case ITCH5_MARKET_PARTICIPANT_POS: return "MARKET_PARTICIPANT_POS";
	case ITCH5_MWCB_DECLINE: return "MWCB_DECLINE";
	case ITCH5_MWCB_STATUS: return "MWCB_STATUS";
	case ITCH5_IPO_QUOTING: return "IPO_QUOTING";
	case ITCH5_LULD_COLLAR: return "LULD_COLLAR";
	case ITCH5_OPERATIONAL_HALT: return "OPERATIONAL_HALT";
	case ITCH5_ADD_ORDER: return "ADD_ORDER";
	case ITCH5_ADD_ORDER_MPID: return "ADD_ORDER_MPID";
	case ITCH5_ORDER_EXECUTED: return "ORDER_EXECUTED";
	case ITCH5_ORDER_EXECUTED_PRICE: return "ORDER_EXECUTED_PRICE";
	case ITCH5_ORDER_CANCEL: return "ORDER_CANCEL";
	case ITCH5_ORDER_DELETE: return "ORDER_DELETE";
	case ITCH5_ORDER_REPLACE: return "ORDER_REPLACE";
	case ITCH5_TRADE: return "TRADE";
	case ITCH5_CROSS_TRADE: return "CROSS_TRADE";
	case ITCH5_BROKEN_TRADE: return "BROKEN_TRADE";
	case ITCH5_NOII: return "NOII";
	case ITCH5_RPII: return "RPII";
	case ITCH5_DLCR: return "DLCR";
	default: return "UNKNOWN";
	}
}

void itch5_msg_init(struct itch5_msg *m, uint8_t type, uint16_t stock_locate,
		    uint16_t tracking, uint64_t timestamp)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->stock_locate = stock_locate;
	m->tracking = tracking;
	m->timestamp = timestamp;
}

void itch5_alpha_set(char *dst, size_t n, const char *sym)
{
	size_t i = 0;

	for (; i < n && sym[i] != '\0'; i++)
		dst[i] = sym[i];
	for (; i < n; i++)
		dst[i] = ' ';
}

enum itch5_err itch5_decode(const uint8_t *buf, size_t len, struct itch5_msg *out)
{
	if (__builtin_expect(len == 0, 0))
		return ITCH5_ERR_EMPTY;
	const uint8_t t = buf[0];
	const size_t want = g_itch5_len[t];
	if (__builtin_expect(want == 0, 0))
		return ITCH5_ERR_UNKNOWN_TYPE;
	if (__builtin_expect(len != want, 0))
		return ITCH5_ERR_LEN_MISMATCH;

	/* len >= 12 from here: the 8-byte load at offset 3 ends at offset 10. */
	out->type = t;
	out->stock_locate = ld16(buf + 1);
	out->tracking = ld16(buf + 3);
	out->timestamp = ld64(buf + 3) & TS_MASK;

	const uint8_t *b = buf + ITCH5_HDR_LEN;
	switch (t) {
	case 'A': /* ref(8) side(1) shares(4) stock(8) price(4) */
		out->u.add.order_ref = ld64(b);
		out->u.add.side = (char)b[8];
		out->u.add.shares = ld32(b + 9);
		memcpy(out->u.add.stock, b + 13, 8);
		out->u.add.price = ld32(b + 21);
		memcpy(out->u.add.attribution, "    ", 4);
		break;
	case 'F': /* as 'A' + attribution(4) */
		out->u.add.order_ref = ld64(b);
		out->u.add.side = (char)b[8];
		out->u.add.shares = ld32(b + 9);
		memcpy(out->u.add.stock, b + 13, 8);
		out->u.add.price = ld32(b + 21);
		memcpy(out->u.add.attribution, b + 25, 4);
		break;
	case 'E': /* ref(8) executed_shares(4) match(8) */
		out->u.exec.order_ref = ld64(b);
		out->u.exec.shares = ld32(b + 8);
		out->u.exec.match_number = ld64(b + 12);
		out->u.exec.printable = 0;
		out->u.exec.price = 0;
		break;
	case 'C': /* as 'E' + printable(1) execution_price(4) */
		out->u.exec.order_ref = ld64(b);
		out->u.exec.shares = ld32(b + 8);
		out->u.exec.match_number = ld64(b + 12);
		out->u.exec.printable = (char)b[20];
		out->u.exec.price = ld32(b + 21);
		break;
	case 'X': /* ref(8) canceled_shares(4) */
		out->u.cancel.order_ref = ld64(b);
		out->u.cancel.shares = ld32(b + 8);
		break;
	case 'D': /* ref(8) */
		out->u.del.order_ref = ld64(b);
		break;
	case 'U': /* orig_ref(8) new_ref(8) shares(4) price(4) */
		out->u.replace.orig_order_ref = ld64(b);
		out->u.replace.new_order_ref = ld64(b + 8);
		out->u.replace.shares = ld32(b + 16);
		out->u.replace.price = ld32(b + 20);
		break;
	case 'P': /* ref(8) side(1) shares(4) stock(8) price(4) match(8) */
		out->u.trade.order_ref = ld64(b);
		out->u.trade.side = (char)b[8];
		out->u.trade.shares = ld32(b + 9);
		memcpy(out->u.trade.stock, b + 13, 8);
		out->u.trade.price = ld32(b + 21);
		out->u.trade.match_number = ld64(b + 25);
		break;
	case 'Q': /* shares(8) stock(8) cross_price(4) match(8) cross_type(1) */
		out->u.cross.shares = ld64(b);
		memcpy(out->u.cross.stock, b + 8, 8);
		out->u.cross.price = ld32(b + 16);
		out->u.cross.match_number = ld64(b + 20);
		out->u.cross.cross_type = (char)b[28];
		break;
	case 'B': /* match(8) */
		out->u.broken.match_number = ld64(b);
		break;
	case 'S': /* event_code(1) */
		out->u.system_event.event_code = (char)b[0];
		break;
	case 'R': { /* stock(8) cat(1) fin(1) lot(4) lots_only(1) class(1)
		     * sub_type(2) auth(1) ssti(1) ipo(1) luld(1) etp(1)
		     * etp_lev(4) inverse(1) */
		struct itch5_stock_directory *r = &out->u.stock_directory;
		memcpy(r->stock, b, 8);
		r->market_category = (char)b[8];
		r->financial_status = (char)b[9];
		r->round_lot_size = ld32(b + 10);
		r->round_lots_only = (char)b[14];
		r->issue_classification = (char)b[15];
		memcpy(r->issue_sub_type, b + 16, 2);
		r->authenticity = (char)b[18];
		r->short_sale_threshold = (char)b[19];
		r->ipo_flag = (char)b[20];
		r->luld_ref_price_tier = (char)b[21];
		r->etp_flag = (char)b[22];
		r->etp_leverage_factor = ld32(b + 23);
		r->inverse_indicator = (char)b[27];
		break;
	}
	case 'H': /* stock(8) state(1) reserved(1) reason(4) */
		memcpy(out->u.trading_action.stock, b, 8);
		out->u.trading_action.trading_state = (char)b[8];
		out->u.trading_action.reserved = (char)b[9];
		memcpy(out->u.trading_action.reason, b + 10, 4);
		break;
	case 'Y': /* stock(8) action(1) */
		memcpy(out->u.reg_sho.stock, b, 8);
		out->u.reg_sho.action = (char)b[8];
		break;
	case 'L': /* mpid(4) stock(8) primary(1) mode(1) state(1) */
		memcpy(out->u.participant_pos.mpid, b, 4);
		memcpy(out->u.participant_pos.stock, b + 4, 8);
		out->u.participant_pos.primary_market_maker = (char)b[12];
		out->u.participant_pos.market_maker_mode = (char)b[13];
		out->u.participant_pos.market_participant_state = (char)b[14];
		break;
	case 'V': /* level1(8) level2(8) level3(8), Price(8) */
		out->u.mwcb_decline.level1 = ld64(b);
		out->u.mwcb_decline.level2 = ld64(b + 8);
		out->u.mwcb_decline.level3 = ld64(b + 16);
		break;
	case 'W': /* breached_level(1) */
		out->u.mwcb_status.breached_level = (char)b[0];
		break;
	case 'K': /* stock(8) release_time(4) qualifier(1) ipo_price(4) */
		memcpy(out->u.ipo_quoting.stock, b, 8);
		out->u.ipo_quoting.release_time = ld32(b + 8);
		out->u.ipo_quoting.release_qualifier = (char)b[12];
		out->u.ipo_quoting.ipo_price = ld32(b + 13);
		break;
	case 'J': /* stock(8) ref(4) upper(4) lower(4) extension(4) */
		memcpy(out->u.luld_collar.stock, b, 8);
		out->u.luld_collar.ref_price = ld32(b + 8);
		out->u.luld_collar.upper_price = ld32(b + 12);
		out->u.luld_collar.lower_price = ld32(b + 16);
		out->u.luld_collar.extension = ld32(b + 20);
		break;
	case 'h': /* stock(8) market_code(1) action(1) */
		memcpy(out->u.operational_halt.stock, b, 8);
		out->u.operational_halt.market_code = (char)b[8];
		out->u.operational_halt.action = (char)b[9];
		break;
	case 'I': /* paired(8) imbalance(8) dir(1) stock(8) far(4) near(4) ref(4)
		   * cross_type(1) price_variation(1) */
		out->u.noii.paired_shares = ld64(b);
		out->u.noii.imbalance_shares = ld64(b + 8);
		out->u.noii.imbalance_direction = (char)b[16];
		memcpy(out->u.noii.stock, b + 17, 8);
		out->u.noii.far_price = ld32(b + 25);
		out->u.noii.near_price = ld32(b + 29);
		out->u.noii.ref_price = ld32(b + 33);
		out->u.noii.cross_type = (char)b[37];
		out->u.noii.price_variation = (char)b[38];
		break;
	case 'N': /* stock(8) interest_flag(1) */
		memcpy(out->u.rpii.stock, b, 8);
		out->u.rpii.interest_flag = (char)b[8];
		break;
	case 'O': /* stock(8) eligibility(1) min(4) max(4) near_price(4)
		   * near_time(8) lower_collar(4) upper_collar(4) */
		memcpy(out->u.dlcr.stock, b, 8);
		out->u.dlcr.open_eligibility = (char)b[8];
		out->u.dlcr.min_price = ld32(b + 9);
		out->u.dlcr.max_price = ld32(b + 13);
		out->u.dlcr.near_exec_price = ld32(b + 17);
		out->u.dlcr.near_exec_time = ld64(b + 21);
		out->u.dlcr.lower_collar = ld32(b + 29);
		out->u.dlcr.upper_collar = ld32(b + 33);
		break;
	default:
		/* Unreachable: every type with a length has a case above. */
		return ITCH5_ERR_UNKNOWN_TYPE;
	}
	return ITCH5_OK;
}

int itch5_encode(uint8_t *buf, size_t cap, const struct itch5_msg *msg)
{
	const uint8_t t = msg->type;
	const size_t n = g_itch5_len[t];
	if (n == 0 || msg->timestamp > TS_MASK)
		return -EINVAL;
	if (cap < n)
		return -ENOSPC;

	buf[0] = t;
	st16(buf + 1, msg->stock_locate);
	st16(buf + 3, msg->tracking);
	st48(buf + 5, msg->timestamp);

	uint8_t *b = buf + ITCH5_HDR_LEN;
	switch (t) {
	case 'A':
	case 'F':
		st64(b, msg->u.add.order_ref);
		b[8] = (uint8_t)msg->u.add.side;
		st32(b + 9, msg->u.add.shares);
		memcpy(b + 13, msg->u.add.stock, 8);
		st32(b + 21, msg->u.add.price);
		if (t == 'F')
			memcpy(b + 25, msg->u.add.attribution, 4);
		break;
	case 'E':
	case 'C':
		st64(b, msg->u.exec.order_ref);
		st32(b + 8, msg->u.exec.shares);
		st64(b + 12, msg->u.exec.match_number);
		if (t == 'C') {
			b[20] = (uint8_t)msg->u.exec.printable;
			st32(b + 21, msg->u.exec.price);
		}
		break;
	case 'X':
		st64(b, msg->u.cancel.order_ref);
		st32(b + 8, msg->u.cancel.shares);
		break;
	case 'D':
		st64(b, msg->u.del.order_ref);
		break;
	case 'U':
		st64(b, msg->u.replace.orig_order_ref);
		st64(b + 8, msg->u.replace.new_order_ref);
		st32(b + 16, msg->u.replace.shares);
		st32(b + 20, msg->u.replace.price);
		break;
	case 'P':
		st64(b, msg->u.trade.order_ref);
		b[8] = (uint8_t)msg->u.trade.side;
		st32(b + 9, msg->u.trade.shares);
		memcpy(b + 13, msg->u.trade.stock, 8);
		st32(b + 21, msg->u.trade.price);
		st64(b + 25, msg->u.trade.match_number);
		break;
	case 'Q':
		st64(b, msg->u.cross.shares);
		memcpy(b + 8, msg->u.cross.stock, 8);
		st32(b + 16, msg->u.cross.price);
		st64(b + 20, msg->u.cross.match_number);
		b[28] = (uint8_t)msg->u.cross.cross_type;
		break;
	case 'B':
		st64(b, msg->u.broken.match_number);
		break;
	case 'S':
		b[0] = (uint8_t)msg->u.system_event.event_code;
		break;
	case 'R': {
		const struct itch5_stock_directory *r = &msg->u.stock_directory;
		memcpy(b, r->stock, 8);
		b[8] = (uint8_t)r->market_category;
		b[9] = (uint8_t)r->financial_status;
		st32(b + 10, r->round_lot_size);
		b[14] = (uint8_t)r->round_lots_only;
		b[15] = (uint8_t)r->issue_classification;
		memcpy(b + 16, r->issue_sub_type, 2);
		b[18] = (uint8_t)r->authenticity;
		b[19] = (uint8_t)r->short_sale_threshold;
		b[20] = (uint8_t)r->ipo_flag;
		b[21] = (uint8_t)r->luld_ref_price_tier;
		b[22] = (uint8_t)r->etp_flag;
		st32(b + 23, r->etp_leverage_factor);
		b[27] = (uint8_t)r->inverse_indicator;
		break;
	}
	case 'H':
		memcpy(b, msg->u.trading_action.stock, 8);
		b[8] = (uint8_t)msg->u.trading_action.trading_state;
		b[9] = (uint8_t)msg->u.trading_action.reserved;
		memcpy(b + 10, msg->u.trading_action.reason, 4);
		break;
	case 'Y':
		memcpy(b, msg->u.reg_sho.stock, 8);
		b[8] = (uint8_t)msg->u.reg_sho.action;
		break;
	case 'L':
		memcpy(b, msg->u.participant_pos.mpid, 4);
		memcpy(b + 4, msg->u.participant_pos.stock, 8);
		b[12] = (uint8_t)msg->u.participant_pos.primary_market_maker;
		b[13] = (uint8_t)msg->u.participant_pos.market_maker_mode;
		b[14] = (uint8_t)msg->u.participant_pos.market_participant_state;
		break;
	case 'V':
		st64(b, msg->u.mwcb_decline.level1);
		st64(b + 8, msg->u.mwcb_decline.level2);
		st64(b + 16, msg->u.mwcb_decline.level3);
		break;
	case 'W':
		b[0] = (uint8_t)msg->u.mwcb_status.breached_level;
		break;
	case 'K':
		memcpy(b, msg->u.ipo_quoting.stock, 8);
		st32(b + 8, msg->u.ipo_quoting.release_time);
		b[12] = (uint8_t)msg->u.ipo_quoting.release_qualifier;
		st32(b + 13, msg->u.ipo_quoting.ipo_price);
		break;
	case 'J':
		memcpy(b, msg->u.luld_collar.stock, 8);
		st32(b + 8, msg->u.luld_collar.ref_price);
		st32(b + 12, msg->u.luld_collar.upper_price);
		st32(b + 16, msg->u.luld_collar.lower_price);
		st32(b + 20, msg->u.luld_collar.extension);
		break;
	case 'h':
		memcpy(b, msg->u.operational_halt.stock, 8);
		b[8] = (uint8_t)msg->u.operational_halt.market_code;
		b[9] = (uint8_t)msg->u.operational_halt.action;
		break;
	case 'I':
		st64(b, msg->u.noii.paired_shares);
		st64(b + 8, msg->u.noii.imbalance_shares);
		b[16] = (uint8_t)msg->u.noii.imbalance_direction;
		memcpy(b + 17, msg->u.noii.stock, 8);
		st32(b + 25, msg->u.noii.far_price);
		st32(b + 29, msg->u.noii.near_price);
		st32(b + 33, msg->u.noii.ref_price);
		b[37] = (uint8_t)msg->u.noii.cross_type;
		b[38] = (uint8_t)msg->u.noii.price_variation;
		break;
	case 'N':
		memcpy(b, msg->u.rpii.stock, 8);
		b[8] = (uint8_t)msg->u.rpii.interest_flag;
		break;
	case 'O':
		memcpy(b, msg->u.dlcr.stock, 8);
		b[8] = (uint8_t)msg->u.dlcr.open_eligibility;
		st32(b + 9, msg->u.dlcr.min_price);
		st32(b + 13, msg->u.dlcr.max_price);
		st32(b + 17, msg->u.dlcr.near_exec_price);
		st64(b + 21, msg->u.dlcr.near_exec_time);
		st32(b + 29, msg->u.dlcr.lower_collar);
		st32(b + 33, msg->u.dlcr.upper_collar);
		break;
	default:
		return -EINVAL;
	}
	return (int)n;
}
