/* FIX 4.4 acceptor session state machine (see fix_session.h). */
#include "fix/fix_session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull

/* A too-high message kept until the gap before it is filled. 'served'
 * entries carry no bytes: the message (Logon, ResendRequest) was already
 * acted on and only consumes its sequence number when reached. */
struct qent {
	uint64_t seq;
	uint32_t off;
	uint32_t len;
	bool served;
};

/* Header fields of the message being processed (first occurrences). */
struct hdr {
	const struct fix_field *seq, *possdup, *sender, *target, *sending, *orig;
};

struct fix_session {
	struct fix_session_cfg cfg;
	const struct fix_session_ops *ops;
	void *ctx;
	struct fix_store *store;
	enum fix_session_state state;
	uint32_t hb_s;            /* agreed HeartBtInt, 0 = none */
	uint32_t conn_gen;        /* bumped on every connect/disconnect */
	uint64_t now;
	uint64_t connect_ns, last_rx_ns, last_tx_ns, logout_sent_ns, test_req_ns;
	bool test_req_pending;
	bool resend_pending;      /* our ResendRequest is being answered */
	uint64_t resend_end;      /* ... up to this MsgSeqNum */
	uint64_t test_req_id;
	uint64_t tx_seq;          /* MsgSeqNum written by fix_session_begin */
	uint8_t begin_len, sender_len, target_len;

	char *rx;                 /* partial inbound message(s) */
	size_t rx_len, rx_cap;
	char *tx;                 /* outbound builder buffer */
	size_t tx_cap;
	struct qent *q;           /* sorted by seq, live entries [q_head, q_n) */
	unsigned q_head, q_n, q_max;
	char *q_buf;
	size_t q_used, q_cap;

	struct fix_ts_cache ts_cache; /* SendingTime text of the current second */
	struct fix_session_stats st;
	char text[160];           /* composed Logout/Reject texts */
	struct fix_msg msg;       /* inbound message being processed */
	struct fix_msg rmsg;      /* stored message being resent */
};

static const char *const g_dr_names[FIX_DR__COUNT] = {
	[FIX_DR_LOGOUT] = "logout",
	[FIX_DR_PEER_CLOSED] = "peer_closed",
	[FIX_DR_FIRST_NOT_LOGON] = "first_not_logon",
	[FIX_DR_LOGON_REFUSED] = "logon_refused",
	[FIX_DR_LOGON_TIMEOUT] = "logon_timeout",
	[FIX_DR_HEARTBEAT_TIMEOUT] = "heartbeat_timeout",
	[FIX_DR_LOGOUT_TIMEOUT] = "logout_timeout",
	[FIX_DR_SEQ_TOO_LOW] = "seq_too_low",
	[FIX_DR_BEGIN_STRING] = "begin_string",
	[FIX_DR_COMPID] = "compid",
	[FIX_DR_SENDING_TIME] = "sending_time",
	[FIX_DR_PROTOCOL] = "protocol",
	[FIX_DR_SEND_FAILED] = "send_failed",
};

const char *fix_disc_reason_name(enum fix_disc_reason r)
{
	return (unsigned)r < FIX_DR__COUNT ? g_dr_names[r] : "unknown";
}

static const char *const g_sc_names[FIX_SC__COUNT] = {
	[FIX_SC_MSGS_IN] = "msgs_in",
	[FIX_SC_MSGS_OUT] = "msgs_out",
	[FIX_SC_APP_IN] = "app_in",
	[FIX_SC_APP_OUT] = "app_out",
	[FIX_SC_GARBLED] = "garbled",
	[FIX_SC_REJECTS_SENT] = "rejects_sent",
	[FIX_SC_BMR_SENT] = "business_rejects_sent",
	[FIX_SC_RESEND_REQ_SENT] = "resend_requests_sent",
	[FIX_SC_RESEND_REQ_RECV] = "resend_requests_received",
	[FIX_SC_MSGS_RESENT] = "msgs_resent",
	[FIX_SC_GAPFILLS_SENT] = "gapfills_sent",
	[FIX_SC_POSSDUP_IGNORED] = "possdup_ignored",
	[FIX_SC_QUEUED] = "queued",
	[FIX_SC_QUEUE_DROPPED] = "queue_dropped",
	[FIX_SC_HEARTBEATS_SENT] = "heartbeats_sent",
	[FIX_SC_TEST_REQ_SENT] = "test_requests_sent",
	[FIX_SC_LOGONS] = "logons",
	[FIX_SC_LOGONS_REFUSED] = "logons_refused",
	[FIX_SC_SEQ_RESETS] = "seq_resets",
	[FIX_SC_STORE_ERRORS] = "store_errors",
	[FIX_SC_SEND_ERRORS] = "send_errors",
	[FIX_SC_BYTES_WHILE_DOWN] = "bytes_while_down",
};

const char *fix_session_counter_name(enum fix_session_counter c)
{
	return (unsigned)c < FIX_SC__COUNT ? g_sc_names[c] : "unknown";
}

void fix_session_cfg_defaults(struct fix_session_cfg *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->begin_string, "FIX.4.4", 8);
	c->heartbt_int = 30;
	c->heartbt_int_min = 1;
	c->heartbt_int_max = 300;
	c->check_latency = true;
	c->validate = true;
	c->max_latency_s = 120;
	c->logon_timeout_s = 10;
	c->logout_timeout_s = 2;
	c->max_msg_size = 8192;
	c->queue_max_msgs = 1024;
	c->timestamp_digits = 3;
}

/* ---- small helpers -------------------------------------------------------- */

static inline bool connected(const struct fix_session *s)
{
	return s->state != FIX_SS_DISCONNECTED;
}

static inline bool fv_eq(const struct fix_field *f, const char *v, size_t n)
{
	return f && f->len == n && memcmp(f->val, v, n) == 0;
}

static inline bool fv_yes(const struct fix_field *f)
{
	return f && f->len == 1 && f->val[0] == 'Y';
}

static inline bool is_type(const struct fix_msg *m, char t)
{
	return m->msgtype_len == 1 && m->msgtype[0] == t;
}

static inline uint64_t next_target(const struct fix_session *s)
{
	return fix_store_next_target(s->store);
}

static inline uint64_t next_sender(const struct fix_session *s)
{
	return fix_store_next_sender(s->store);
}

/* Append a NUL-terminated string / a number to s->text at *n. */
static void text_put(struct fix_session *s, size_t *n, const char *str)
{
	size_t l = strlen(str);
	if (*n + l >= sizeof(s->text))
		l = sizeof(s->text) - 1 - *n;
	memcpy(s->text + *n, str, l);
	*n += l;
	s->text[*n] = 0;
}

static void text_num(struct fix_session *s, size_t *n, uint64_t v)
{
	char d[24];
	size_t l = fix_fmt_uint(d, v);
	d[l] = 0;
	text_put(s, n, d);
}

static void get_hdr(const struct fix_msg *m, struct hdr *h)
{
	memset(h, 0, sizeof(*h));
	for (unsigned i = 3; i + 1 < m->nfields; i++) {
		const struct fix_field *f = &m->f[i];
		switch (f->tag) {
		case 34: if (!h->seq) h->seq = f; break;
		case 43: if (!h->possdup) h->possdup = f; break;
		case 49: if (!h->sender) h->sender = f; break;
		case 56: if (!h->target) h->target = f; break;
		case 52: if (!h->sending) h->sending = f; break;
		case 122: if (!h->orig) h->orig = f; break;
		default: break;
		}
	}
}

/* ---- disconnect ------------------------------------------------------------ */

static void queue_clear(struct fix_session *s)
{
	s->q_head = s->q_n = 0;
	s->q_used = 0;
}

static void do_disconnect(struct fix_session *s, enum fix_disc_reason r, const char *text, bool call_ops)
{
	if (!connected(s))
		return;
	bool was_active = s->state == FIX_SS_ACTIVE || s->state == FIX_SS_LOGOUT_SENT;
	s->state = FIX_SS_DISCONNECTED;
	s->conn_gen++;
	s->st.disc[r]++;
	s->rx_len = 0;
	s->hb_s = 0;
	s->test_req_pending = false;
	s->resend_pending = false;
	queue_clear(s);
	if (s->cfg.reset_on_disconnect) {
		fix_store_reset(s->store, s->now);
		s->st.c[FIX_SC_SEQ_RESETS]++;
	}
	if (call_ops)
		s->ops->disconnect(s->ctx, s, r, text);
	if (was_active && s->ops->on_logout)
		s->ops->on_logout(s->ctx, s);
}

/* ---- sending --------------------------------------------------------------- */

static int raw_send(struct fix_session *s, const char *p, size_t n)
{
	if (!connected(s))
		return -ENOTCONN;
	if (s->ops->send(s->ctx, p, n)) {
		s->st.c[FIX_SC_SEND_ERRORS]++;
		do_disconnect(s, FIX_DR_SEND_FAILED, "send failed", true);
		return -EPIPE;
	}
	s->st.c[FIX_SC_MSGS_OUT]++;
	s->last_tx_ns = s->now;
	return 0;
}

static void hdr_begin(struct fix_session *s, struct fix_builder *b, const char *type, uint64_t seq)
{
	fix_build_begin(b, s->tx, s->tx_cap, s->cfg.begin_string, type);
	b->ts_cache = &s->ts_cache;
	fix_build_str(b, 49, s->cfg.sender_comp_id, s->sender_len);
	fix_build_str(b, 56, s->cfg.target_comp_id, s->target_len);
	fix_build_uint(b, 34, seq);
	fix_build_timestamp(b, 52, s->now, s->cfg.timestamp_digits);
}

/* Finish b (begun with MsgSeqNum = next sender seq), store it, consume the
 * number, send it when send_now. Returns 0 sent, 1 stored only, builder
 * error (nothing consumed), or -EPIPE. */
static int commit_seq(struct fix_session *s, struct fix_builder *b, bool send_now)
{
	const char *out;
	int n = fix_build_finish(b, &out);
	if (n < 0)
		return n;
	uint64_t seq = next_sender(s);
	if (fix_store_put(s->store, seq, out, (size_t)n))
		s->st.c[FIX_SC_STORE_ERRORS]++;
	fix_store_set_next_sender(s->store, seq + 1);
	if (!send_now)
		return 1;
	return raw_send(s, out, (size_t)n);
}

static void admin_begin(struct fix_session *s, struct fix_builder *b, const char *type)
{
	hdr_begin(s, b, type, next_sender(s));
}

static void send_admin(struct fix_session *s, struct fix_builder *b)
{
	if (connected(s))
		commit_seq(s, b, true);
}

static void send_logon(struct fix_session *s, bool reset)
{
	struct fix_builder b;
	admin_begin(s, &b, "A");
	fix_build_uint(&b, 98, 0);
	fix_build_uint(&b, 108, s->hb_s);
	if (reset)
		fix_build_char(&b, 141, 'Y');
	send_admin(s, &b);
}

static void send_heartbeat(struct fix_session *s, const struct fix_field *test_req_id)
{
	struct fix_builder b;
	admin_begin(s, &b, "0");
	if (test_req_id)
		fix_build_str(&b, 112, test_req_id->val, test_req_id->len);
	send_admin(s, &b);
	s->st.c[FIX_SC_HEARTBEATS_SENT]++;
}

static void send_test_request(struct fix_session *s)
{
	struct fix_builder b;
	char id[32] = "ORION-";
	size_t n = 6 + fix_fmt_uint(id + 6, ++s->test_req_id);
	admin_begin(s, &b, "1");
	fix_build_str(&b, 112, id, n);
	send_admin(s, &b);
	s->st.c[FIX_SC_TEST_REQ_SENT]++;
}

static void send_resend_request(struct fix_session *s, uint64_t begin, uint64_t end)
{
	struct fix_builder b;
	admin_begin(s, &b, "2");
	fix_build_uint(&b, 7, begin);
	fix_build_uint(&b, 16, end);
	send_admin(s, &b);
	s->st.c[FIX_SC_RESEND_REQ_SENT]++;
}

static void send_logout(struct fix_session *s, const char *text)
{
	struct fix_builder b;
	admin_begin(s, &b, "5");
	if (text && text[0])
		fix_build_cstr(&b, 58, text);
	send_admin(s, &b);
}

static void send_reject(struct fix_session *s, const struct fix_msg *m, uint64_t refseq,
			uint32_t reftag, int reason, const char *text)
{
	struct fix_builder b;
	admin_begin(s, &b, "3");
	fix_build_uint(&b, 45, refseq);
	if (reftag)
		fix_build_uint(&b, 371, reftag);
	if (m && m->msgtype_len)
		fix_build_str(&b, 372, m->msgtype, m->msgtype_len);
	fix_build_uint(&b, 373, (uint64_t)reason);
	fix_build_cstr(&b, 58, text && text[0] ? text : fix_reject_reason_name(reason));
	send_admin(s, &b);
	s->st.c[FIX_SC_REJECTS_SENT]++;
	s->st.reject_reason[reason >= 0 && reason < FIX_RR_SLOTS - 1 ? reason : FIX_RR_SLOTS - 1]++;
}

static int send_bmr(struct fix_session *s, const struct fix_msg *m, uint64_t refseq, int reason,
		    const char *text)
{
	struct fix_builder b;
	admin_begin(s, &b, "j");
	fix_build_uint(&b, 45, refseq);
	fix_build_str(&b, 372, m->msgtype, m->msgtype_len);
	fix_build_uint(&b, 380, (uint64_t)reason);
	if (text && text[0])
		fix_build_cstr(&b, 58, text);
	s->st.c[FIX_SC_BMR_SENT]++;
	int rc = commit_seq(s, &b, s->state == FIX_SS_ACTIVE);
	return rc < 0 ? rc : 0;
}

/* SequenceReset-GapFill standing in for [seq, new_seq): sent with the old
 * MsgSeqNum, not stored, no sequence number consumed. */
static void send_gapfill(struct fix_session *s, uint64_t seq, uint64_t new_seq)
{
	struct fix_builder b;
	hdr_begin(s, &b, "4", seq);
	fix_build_char(&b, 43, 'Y');
	fix_build_timestamp(&b, 122, s->now, s->cfg.timestamp_digits);
	fix_build_char(&b, 123, 'Y');
	fix_build_uint(&b, 36, new_seq);
	const char *out;
	int n = fix_build_finish(&b, &out);
	if (n > 0 && raw_send(s, out, (size_t)n) == 0)
		s->st.c[FIX_SC_GAPFILLS_SENT]++;
}

static void logout_and_disconnect(struct fix_session *s, enum fix_disc_reason r, const char *text)
{
	send_logout(s, text);
	do_disconnect(s, r, text, true);
}

/* ---- resend (serving the peer's ResendRequest) ------------------------------ */

static bool is_resend_header_tag(uint32_t t)
{
	return t == 49 || t == 56 || t == 34 || t == 52 || t == 43 || t == 97 || t == 122;
}

/* Resend stored application message rm as seq with PossDupFlag=Y. */
static void resend_one(struct fix_session *s, const struct fix_msg *rm, uint64_t seq)
{
	char type[9];
	memcpy(type, rm->msgtype, rm->msgtype_len);
	type[rm->msgtype_len] = 0;
	struct fix_builder b;
	hdr_begin(s, &b, type, seq);
	fix_build_char(&b, 43, 'Y');
	const struct fix_field *orig = fix_msg_get(rm, 52);
	if (orig)
		fix_build_str(&b, 122, orig->val, orig->len);
	for (unsigned i = 3; i + 1 < rm->nfields; i++)
		if (!is_resend_header_tag(rm->f[i].tag))
			fix_build_str(&b, rm->f[i].tag, rm->f[i].val, rm->f[i].len);
	const char *out;
	int n = fix_build_finish(&b, &out);
	if (n > 0 && raw_send(s, out, (size_t)n) == 0)
		s->st.c[FIX_SC_MSGS_RESENT]++;
}

static void serve_resend(struct fix_session *s, const struct fix_msg *m, uint64_t refseq)
{
	const struct fix_field *fb = fix_msg_get(m, 7), *fe = fix_msg_get(m, 16);
	uint64_t begin, end;
	s->st.c[FIX_SC_RESEND_REQ_RECV]++;
	if (!fb || !fe) {
		send_reject(s, m, refseq, fb ? 16 : 7, FIX_RR_REQUIRED_MISSING, NULL);
		return;
	}
	if (fix_parse_uint(fb->val, fb->len, &begin) || fix_parse_uint(fe->val, fe->len, &end)) {
		send_reject(s, m, refseq, 7, FIX_RR_BAD_FORMAT, NULL);
		return;
	}
	if (begin == 0 || (end != 0 && end < begin)) {
		send_reject(s, m, refseq, begin == 0 ? 7 : 16, FIX_RR_BAD_VALUE, NULL);
		return;
	}
	uint64_t last = next_sender(s) - 1;
	if (end == 0 || end > last)
		end = last;
	if (begin > end)
		return; /* nothing sent in that range yet */
	uint32_t gen = s->conn_gen;
	uint64_t gap = 0;
	for (uint64_t seq = begin; seq <= end && s->conn_gen == gen; seq++) {
		const char *sm;
		size_t sl;
		bool app = fix_store_get(s->store, seq, &sm, &sl) == 0 &&
			   fix_parse(&s->rmsg, sm, sl, NULL) == 0 &&
			   !fix_dict_is_admin(s->rmsg.msgtype, s->rmsg.msgtype_len);
		if (!app) {
			if (!gap)
				gap = seq;
			continue;
		}
		if (gap) {
			send_gapfill(s, gap, seq);
			gap = 0;
		}
		if (s->conn_gen == gen)
			resend_one(s, &s->rmsg, seq);
	}
	if (gap && s->conn_gen == gen)
		send_gapfill(s, gap, end + 1);
}

/* ---- inbound sequencing ------------------------------------------------------ */

static void advance(struct fix_session *s, uint64_t next)
{
	fix_store_set_next_target(s->store, next);
	if (s->resend_pending && next > s->resend_end)
		s->resend_pending = false;
}

static void queue_push(struct fix_session *s, uint64_t seq, const char *buf, size_t len, bool served)
{
	if (s->q_head && s->q_n == s->q_max) {
		memmove(s->q, s->q + s->q_head, (s->q_n - s->q_head) * sizeof(*s->q));
		s->q_n -= s->q_head;
		s->q_head = 0;
	}
	if (s->q_n == s->q_max || (!served && s->q_used + len > s->q_cap)) {
		s->st.c[FIX_SC_QUEUE_DROPPED]++;
		return;
	}
	unsigned pos = s->q_n;
	while (pos > s->q_head && s->q[pos - 1].seq >= seq)
		pos--;
	if (pos < s->q_n && s->q[pos].seq == seq)
		return; /* already queued */
	memmove(s->q + pos + 1, s->q + pos, (s->q_n - pos) * sizeof(*s->q));
	struct qent *e = &s->q[pos];
	e->seq = seq;
	e->served = served;
	e->off = (uint32_t)s->q_used;
	e->len = served ? 0 : (uint32_t)len;
	if (!served) {
		memcpy(s->q_buf + s->q_used, buf, len);
		s->q_used += len;
	}
	s->q_n++;
	s->st.c[FIX_SC_QUEUED]++;
}

static void start_resend(struct fix_session *s, uint64_t first_missing, uint64_t last_missing)
{
	s->resend_pending = true;
	s->resend_end = last_missing;
	send_resend_request(s, first_missing, 0);
}

static void handle_logout(struct fix_session *s)
{
	if (s->state == FIX_SS_LOGOUT_SENT) {
		do_disconnect(s, FIX_DR_LOGOUT, "logout complete", true);
	} else {
		send_logout(s, NULL);
		do_disconnect(s, FIX_DR_LOGOUT, "logout by peer", true);
	}
	if (s->cfg.reset_on_logout) {
		fix_store_reset(s->store, s->now);
		s->st.c[FIX_SC_SEQ_RESETS]++;
	}
}

static void too_high(struct fix_session *s, const struct fix_msg *m, uint64_t seq)
{
	if (is_type(m, '5')) {
		handle_logout(s);
		return;
	}
	bool served = false;
	if (is_type(m, '2')) {
		serve_resend(s, m, seq);
		served = true;
		if (!connected(s))
			return;
	}
	queue_push(s, seq, m->buf, m->len, served);
	if (!s->resend_pending)
		start_resend(s, next_target(s), seq - 1);
}

static bool latency_bad(const struct fix_session *s, uint64_t t)
{
	uint64_t d = s->now > t ? s->now - t : t - s->now;
	return d > (uint64_t)s->cfg.max_latency_s * NS_PER_S;
}

/* PossDup rules: 0 ok, else the SessionRejectReason (ref tag 122). */
static int check_orig(const struct hdr *h, uint64_t sending)
{
	uint64_t orig;
	if (!h->orig)
		return FIX_RR_REQUIRED_MISSING;
	if (fix_parse_timestamp(h->orig->val, h->orig->len, &orig))
		return FIX_RR_BAD_FORMAT;
	if (orig > sending)
		return FIX_RR_SENDING_TIME;
	return 0;
}

static void handle_reset(struct fix_session *s, const struct fix_msg *m, uint64_t seq)
{
	const struct fix_field *f = fix_msg_get(m, 36);
	uint64_t ns;
	if (!f) {
		send_reject(s, m, seq, 36, FIX_RR_REQUIRED_MISSING, NULL);
		return;
	}
	if (fix_parse_uint(f->val, f->len, &ns) || ns == 0) {
		send_reject(s, m, seq, 36, FIX_RR_BAD_FORMAT, NULL);
		return;
	}
	uint64_t exp = next_target(s);
	if (ns > exp) {
		advance(s, ns);
		s->st.c[FIX_SC_SEQ_RESETS]++;
	} else if (ns < exp) {
		size_t n = 0;
		text_put(s, &n, "Value is incorrect (out of range) for this tag: NewSeqNo ");
		text_num(s, &n, ns);
		text_put(s, &n, " lower than expected ");
		text_num(s, &n, exp);
		send_reject(s, m, seq, 36, FIX_RR_BAD_VALUE, s->text);
	}
}

static void dispatch(struct fix_session *s, const struct fix_msg *m, uint64_t seq)
{
	if (m->msgtype_len == 1) {
		switch (m->msgtype[0]) {
		case '0': /* Heartbeat */
		case '3': /* Reject */
			advance(s, seq + 1);
			return;
		case '1': { /* TestRequest */
			const struct fix_field *id = fix_msg_get(m, 112);
			if (!id) {
				send_reject(s, m, seq, 112, FIX_RR_REQUIRED_MISSING, NULL);
			} else {
				send_heartbeat(s, id);
			}
			advance(s, seq + 1);
			return;
		}
		case '2': /* ResendRequest */
			serve_resend(s, m, seq);
			if (connected(s))
				advance(s, seq + 1);
			return;
		case '4': { /* SequenceReset-GapFill (Reset mode handled earlier) */
			const struct fix_field *f = fix_msg_get(m, 36);
			uint64_t ns;
			if (!f || fix_parse_uint(f->val, f->len, &ns)) {
				send_reject(s, m, seq, 36, f ? FIX_RR_BAD_FORMAT : FIX_RR_REQUIRED_MISSING, NULL);
				advance(s, seq + 1);
			} else if (ns <= seq) {
				size_t n = 0;
				text_put(s, &n, "Attempt to lower sequence number, invalid value NewSeqNo=");
				text_num(s, &n, ns);
				send_reject(s, m, seq, 36, FIX_RR_BAD_VALUE, s->text);
				advance(s, seq + 1);
			} else {
				advance(s, ns);
			}
			return;
		}
		case '5': /* Logout */
			advance(s, seq + 1);
			handle_logout(s);
			return;
		case 'A': /* Logon while logged on */
			logout_and_disconnect(s, FIX_DR_PROTOCOL, "Logon received while logged on");
			return;
		default:
			break;
		}
	}
	uint32_t gen = s->conn_gen;
	s->st.c[FIX_SC_APP_IN]++;
	s->ops->deliver(s->ctx, s, m);
	if (s->conn_gen == gen)
		advance(s, seq + 1);
}

/* Parse failed after good framing: Reject when it is the expected message
 * and its MsgSeqNum can be read, otherwise treat as garbled. */
static void handle_unparsable(struct fix_session *s, const char *buf, size_t len, enum fix_err fe)
{
	const struct fix_msg *m = &s->msg;
	if (s->state != FIX_SS_ACTIVE || fe == FIX_ERR_MSGTYPE_NOT_THIRD || fe == FIX_ERR_BAD_BEGIN)
		goto garbled;
	const char *p = memmem(buf, len, "\00134=", 4);
	if (!p)
		goto garbled;
	p += 4;
	const char *e = memchr(p, FIX_SOH, (size_t)(buf + len - p));
	uint64_t seq;
	if (!e || fix_parse_uint(p, (size_t)(e - p), &seq) || seq != next_target(s))
		goto garbled;
	int reason = fe == FIX_ERR_EMPTY_VALUE ? FIX_RR_NO_VALUE
		   : fe == FIX_ERR_TOO_MANY_FIELDS ? FIX_RR_OTHER : FIX_RR_INVALID_TAG;
	const struct fix_msg *ref = m->nfields > 2 && m->f[2].tag == 35 ? m : NULL;
	struct fix_msg tmp;
	if (ref) {
		/* only the type is needed for RefMsgType */
		tmp.msgtype = m->f[2].val;
		tmp.msgtype_len = (uint16_t)(m->f[2].len <= 8 ? m->f[2].len : 0);
		ref = &tmp;
	}
	send_reject(s, ref, seq, m->err_tag, reason, NULL);
	advance(s, seq + 1);
	return;
garbled:
	s->st.c[FIX_SC_GARBLED]++;
	s->st.garbled[fe < FIX_ERR__COUNT ? fe : FIX_ERR_BAD_VALUE]++;
}

static void refuse_logon(struct fix_session *s, bool with_logout, enum fix_disc_reason r, const char *text)
{
	s->st.c[FIX_SC_LOGONS_REFUSED]++;
	if (with_logout)
		send_logout(s, text);
	do_disconnect(s, r, text, true);
}

static bool cred_eq(const struct fix_field *f, const char *want)
{
	size_t wl = strlen(want);
	if (!f || f->len != wl)
		return false;
	unsigned char diff = 0;
	for (size_t i = 0; i < wl; i++)
		diff |= (unsigned char)(f->val[i] ^ want[i]);
	return diff == 0;
}

static void handle_logon(struct fix_session *s, const struct fix_msg *m, const struct hdr *h, uint64_t seq)
{
	if (!is_type(m, 'A')) {
		do_disconnect(s, FIX_DR_FIRST_NOT_LOGON, "first message not Logon", true);
		return;
	}
	if (!fv_eq(h->sender, s->cfg.target_comp_id, s->target_len) ||
	    !fv_eq(h->target, s->cfg.sender_comp_id, s->sender_len)) {
		refuse_logon(s, false, FIX_DR_LOGON_REFUSED, "unknown CompID");
		return;
	}
	struct fix_reject rj;
	if (fix_dict_validate(m, &rj)) {
		refuse_logon(s, true, FIX_DR_LOGON_REFUSED, rj.text);
		return;
	}
	uint64_t sending;
	if (fix_parse_timestamp(h->sending->val, h->sending->len, &sending) ||
	    (s->cfg.check_latency && latency_bad(s, sending))) {
		refuse_logon(s, true, FIX_DR_SENDING_TIME, "SendingTime accuracy problem");
		return;
	}
	const struct fix_field *fhb = fix_msg_get(m, 108);
	int64_t hb;
	if (fix_parse_int(fhb->val, fhb->len, &hb) || hb < (int64_t)s->cfg.heartbt_int_min ||
	    hb > (int64_t)s->cfg.heartbt_int_max) {
		refuse_logon(s, true, FIX_DR_LOGON_REFUSED, "HeartBtInt out of range");
		return;
	}
	const struct fix_field *fu = fix_msg_get(m, 553), *fp = fix_msg_get(m, 554);
	bool ok;
	if (s->ops->authenticate) {
		ok = s->ops->authenticate(s->ctx, s, fu ? fu->val : NULL, fu ? fu->len : 0,
					  fp ? fp->val : NULL, fp ? fp->len : 0) == 0;
	} else {
		/* evaluate both comparisons: no early exit on the user name */
		bool user_ok = cred_eq(fu, s->cfg.username);
		bool pw_ok = cred_eq(fp, s->cfg.password);
		ok = !s->cfg.username[0] || (user_ok && pw_ok);
	}
	if (!ok) {
		refuse_logon(s, true, FIX_DR_LOGON_REFUSED, "Invalid username or password");
		return;
	}
	bool peer_reset = fv_yes(fix_msg_get(m, 141));
	if (peer_reset && seq != 1) {
		refuse_logon(s, true, FIX_DR_LOGON_REFUSED, "ResetSeqNumFlag=Y requires MsgSeqNum=1");
		return;
	}
	bool reset = peer_reset || s->cfg.reset_on_logon;
	if (reset) {
		fix_store_reset(s->store, s->now);
		s->st.c[FIX_SC_SEQ_RESETS]++;
	}
	uint64_t exp = next_target(s);
	if (seq < exp) {
		size_t n = 0;
		text_put(s, &n, "MsgSeqNum too low, expecting ");
		text_num(s, &n, exp);
		text_put(s, &n, " but received ");
		text_num(s, &n, seq);
		s->st.c[FIX_SC_LOGONS_REFUSED]++;
		logout_and_disconnect(s, FIX_DR_SEQ_TOO_LOW, s->text);
		return;
	}
	s->state = FIX_SS_ACTIVE;
	s->hb_s = (uint32_t)hb;
	s->last_rx_ns = s->last_tx_ns = s->now;
	s->test_req_pending = false;
	s->resend_pending = false;
	s->st.c[FIX_SC_LOGONS]++;
	send_logon(s, reset);
	if (!connected(s))
		return;
	if (seq == exp) {
		advance(s, seq + 1);
	} else {
		queue_push(s, seq, NULL, 0, true);
		start_resend(s, exp, seq - 1);
	}
	if (connected(s) && s->ops->on_logon)
		s->ops->on_logon(s->ctx, s);
}

/* One framed message (from the stream or the too-high queue). */
static void process(struct fix_session *s, const char *buf, size_t len)
{
	struct fix_msg *m = &s->msg;
	enum fix_err fe;
	if (fix_parse(m, buf, len, &fe)) {
		handle_unparsable(s, buf, len, fe);
		return;
	}
	struct hdr h;
	get_hdr(m, &h);
	if (!fv_eq(&m->f[0], s->cfg.begin_string, s->begin_len)) {
		if (s->state == FIX_SS_AWAIT_LOGON)
			s->st.c[FIX_SC_LOGONS_REFUSED]++;
		logout_and_disconnect(s, FIX_DR_BEGIN_STRING, "Incorrect BeginString");
		return;
	}
	uint64_t seq;
	if (!h.seq || fix_parse_uint(h.seq->val, h.seq->len, &seq) || seq == 0) {
		if (s->state == FIX_SS_AWAIT_LOGON)
			s->st.c[FIX_SC_LOGONS_REFUSED]++;
		logout_and_disconnect(s, FIX_DR_PROTOCOL, "MsgSeqNum missing or invalid");
		return;
	}
	if (s->state == FIX_SS_AWAIT_LOGON) {
		handle_logon(s, m, &h, seq);
		return;
	}
	uint64_t exp = next_target(s);
	bool possdup = fv_yes(h.possdup);
	bool seqreset = is_type(m, '4');

	if (h.sender && h.target &&
	    (!fv_eq(h.sender, s->cfg.target_comp_id, s->target_len) ||
	     !fv_eq(h.target, s->cfg.sender_comp_id, s->sender_len))) {
		bool bad_sender = !fv_eq(h.sender, s->cfg.target_comp_id, s->target_len);
		send_reject(s, m, seq, bad_sender ? 49 : 56, FIX_RR_COMPID, NULL);
		if (seq == exp)
			advance(s, seq + 1);
		logout_and_disconnect(s, FIX_DR_COMPID, "CompID problem");
		return;
	}
	uint64_t sending = 0;
	bool have_sending = h.sending && fix_parse_timestamp(h.sending->val, h.sending->len, &sending) == 0;
	if (have_sending && s->cfg.check_latency && latency_bad(s, sending)) {
		send_reject(s, m, seq, 52, FIX_RR_SENDING_TIME, NULL);
		if (seq == exp)
			advance(s, seq + 1);
		logout_and_disconnect(s, FIX_DR_SENDING_TIME, "SendingTime accuracy problem");
		return;
	}
	if (seqreset && !fv_yes(fix_msg_get(m, 123))) {
		handle_reset(s, m, seq);
		return;
	}
	if (seq > exp) {
		too_high(s, m, seq);
		return;
	}
	if (possdup && !seqreset && have_sending) {
		int rr = check_orig(&h, sending);
		if (rr) {
			send_reject(s, m, seq, 122, rr, NULL);
			if (seq == exp)
				advance(s, seq + 1);
			if (rr == FIX_RR_SENDING_TIME)
				logout_and_disconnect(s, FIX_DR_SENDING_TIME, "SendingTime accuracy problem");
			return;
		}
	}
	if (seq < exp) {
		if (possdup) {
			s->st.c[FIX_SC_POSSDUP_IGNORED]++;
			return;
		}
		size_t n = 0;
		text_put(s, &n, "MsgSeqNum too low, expecting ");
		text_num(s, &n, exp);
		text_put(s, &n, " but received ");
		text_num(s, &n, seq);
		logout_and_disconnect(s, FIX_DR_SEQ_TOO_LOW, s->text);
		return;
	}
	/* seq == expected */
	uint32_t missing = !h.sender ? 49 : !h.target ? 56 : !h.sending ? 52 : 0;
	if (missing || !have_sending) {
		send_reject(s, m, seq, missing ? missing : 52,
			    missing ? FIX_RR_REQUIRED_MISSING : FIX_RR_BAD_FORMAT, NULL);
		advance(s, seq + 1);
		return;
	}
	if (!fix_dict_msg(m->msgtype, m->msgtype_len)) {
		if (fix_dict_is_fix44_msgtype(m->msgtype, m->msgtype_len))
			send_bmr(s, m, seq, FIX_BRR_UNSUPPORTED_MSGTYPE, "Unsupported Message Type");
		else
			send_reject(s, m, seq, 35, FIX_RR_INVALID_MSGTYPE, NULL);
		advance(s, seq + 1);
		return;
	}
	if (s->cfg.validate) {
		struct fix_reject rj;
		if (fix_dict_validate(m, &rj)) {
			send_reject(s, m, seq, rj.ref_tag, rj.reason, rj.text);
			advance(s, seq + 1);
			return;
		}
	}
	dispatch(s, m, seq);
}

/* Process queued too-high messages that are now in order. */
static void drain(struct fix_session *s)
{
	unsigned guard = s->q_max + 1;
	while (s->q_head < s->q_n && s->state != FIX_SS_DISCONNECTED && s->state != FIX_SS_AWAIT_LOGON &&
	       guard--) {
		struct qent e = s->q[s->q_head];
		uint64_t exp = next_target(s);
		if (e.seq > exp)
			break;
		s->q_head++;
		if (e.seq < exp)
			continue;
		if (e.served) {
			advance(s, e.seq + 1);
			continue;
		}
		process(s, s->q_buf + e.off, e.len);
	}
	if (s->q_head == s->q_n)
		queue_clear(s);
	else if (!s->resend_pending && (s->state == FIX_SS_ACTIVE || s->state == FIX_SS_LOGOUT_SENT))
		start_resend(s, next_target(s), s->q[s->q_head].seq - 1);
}

/* Frame and process every complete message in buf; returns bytes consumed. */
static size_t consume(struct fix_session *s, const char *buf, size_t len)
{
	size_t used = 0;
	while (used < len && connected(s)) {
		struct fix_frame fr;
		enum fix_frame_rc rc = fix_frame(buf + used, len - used, s->cfg.max_msg_size, &fr);
		if (rc == FIX_FRAME_NEED_MORE)
			break;
		if (rc == FIX_FRAME_GARBLED) {
			s->st.c[FIX_SC_GARBLED]++;
			s->st.garbled[fr.err]++;
			used += fr.len;
			continue;
		}
		s->st.c[FIX_SC_MSGS_IN]++;
		s->last_rx_ns = s->now;
		s->test_req_pending = false;
		process(s, buf + used, fr.len);
		used += fr.len;
		if (s->q_head < s->q_n)
			drain(s);
	}
	return used;
}

/* ---- public API -------------------------------------------------------------- */

int fix_session_on_bytes(struct fix_session *s, const char *data, size_t len, uint64_t now)
{
	s->now = now;
	if (!connected(s)) {
		s->st.c[FIX_SC_BYTES_WHILE_DOWN]++;
		return -ENOTCONN;
	}
	while (len > 0 && connected(s)) {
		if (s->rx_len == 0) {
			size_t c = consume(s, data, len);
			data += c;
			len -= c;
			if (!connected(s) || len == 0)
				break;
			/* a partial message shorter than max_msg_size remains */
			size_t take = len < s->rx_cap ? len : s->rx_cap;
			memcpy(s->rx, data, take);
			s->rx_len = take;
			data += take;
			len -= take;
			continue;
		}
		size_t take = s->rx_cap - s->rx_len;
		if (take > len)
			take = len;
		memcpy(s->rx + s->rx_len, data, take);
		s->rx_len += take;
		data += take;
		len -= take;
		size_t c = consume(s, s->rx, s->rx_len);
		if (!connected(s))
			break;
		if (c == 0 && s->rx_len == s->rx_cap) {
			/* cannot happen with rx_cap > max_msg_size; never spin */
			s->st.c[FIX_SC_GARBLED]++;
			c = s->rx_len;
		}
		memmove(s->rx, s->rx + c, s->rx_len - c);
		s->rx_len -= c;
	}
	return connected(s) ? 0 : -ENOTCONN;
}

/* now - t, 0 when the clock went backwards. */
static inline uint64_t elapsed(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

void fix_session_on_timer(struct fix_session *s, uint64_t now)
{
	s->now = now;
	switch (s->state) {
	case FIX_SS_DISCONNECTED:
		return;
	case FIX_SS_AWAIT_LOGON:
		if (elapsed(now, s->connect_ns) >= (uint64_t)s->cfg.logon_timeout_s * NS_PER_S)
			do_disconnect(s, FIX_DR_LOGON_TIMEOUT, "no Logon received", true);
		return;
	case FIX_SS_LOGOUT_SENT:
		if (elapsed(now, s->logout_sent_ns) >= (uint64_t)s->cfg.logout_timeout_s * NS_PER_S) {
			do_disconnect(s, FIX_DR_LOGOUT_TIMEOUT, "no Logout answer", true);
			return;
		}
		break;
	case FIX_SS_ACTIVE:
		break;
	}
	if (!s->hb_s)
		return;
	uint64_t hb = (uint64_t)s->hb_s * NS_PER_S;
	uint64_t grace = hb + hb / 5; /* HeartBtInt + 20% */
	uint64_t quiet = elapsed(now, s->last_rx_ns);
	if (s->test_req_pending) {
		if (elapsed(now, s->test_req_ns) >= grace) {
			logout_and_disconnect(s, FIX_DR_HEARTBEAT_TIMEOUT, "Heartbeat timeout");
			return;
		}
	} else if (quiet >= grace && s->state == FIX_SS_ACTIVE) {
		send_test_request(s);
		s->test_req_pending = true;
		s->test_req_ns = now;
	}
	if (connected(s) && elapsed(now, s->last_tx_ns) >= hb)
		send_heartbeat(s, NULL);
}

void fix_session_on_connect(struct fix_session *s, uint64_t now)
{
	s->now = now;
	if (connected(s))
		do_disconnect(s, FIX_DR_PEER_CLOSED, "new connection", false);
	s->state = FIX_SS_AWAIT_LOGON;
	s->conn_gen++;
	s->connect_ns = now;
	s->last_rx_ns = s->last_tx_ns = now;
	s->rx_len = 0;
	s->hb_s = 0;
	s->test_req_pending = false;
	s->resend_pending = false;
	queue_clear(s);
}

void fix_session_on_disconnect(struct fix_session *s, uint64_t now)
{
	s->now = now;
	do_disconnect(s, FIX_DR_PEER_CLOSED, "transport closed", false);
}

int fix_session_logout(struct fix_session *s, const char *text, uint64_t now)
{
	s->now = now;
	if (s->state == FIX_SS_AWAIT_LOGON) {
		do_disconnect(s, FIX_DR_LOGOUT, text ? text : "logout", true);
		return 0;
	}
	if (s->state != FIX_SS_ACTIVE)
		return -ENOTCONN;
	send_logout(s, text);
	if (!connected(s))
		return -ENOTCONN;
	s->state = FIX_SS_LOGOUT_SENT;
	s->logout_sent_ns = now;
	return 0;
}

int fix_session_begin(struct fix_session *s, struct fix_builder *b, const char *msgtype, uint64_t now)
{
	s->now = now;
	s->tx_seq = next_sender(s);
	hdr_begin(s, b, msgtype, s->tx_seq);
	return b->err;
}

int fix_session_commit(struct fix_session *s, struct fix_builder *b)
{
	if (b->buf != s->tx || s->tx_seq != next_sender(s))
		return -EINVAL; /* not begun by fix_session_begin, or interleaved */
	int rc = commit_seq(s, b, s->state == FIX_SS_ACTIVE);
	if (rc == -ENOSPC || rc == -EINVAL)
		return rc;
	s->st.c[FIX_SC_APP_OUT]++;
	return rc;
}

int fix_session_send_business_reject(struct fix_session *s, const struct fix_msg *ref, int reason,
				     const char *text, uint64_t now)
{
	const struct fix_field *f = fix_msg_get(ref, 34);
	uint64_t seq = 0;
	if (!f || fix_parse_uint(f->val, f->len, &seq) || !ref->msgtype_len)
		return -EINVAL;
	s->now = now;
	return send_bmr(s, ref, seq, reason, text);
}

enum fix_session_state fix_session_state(const struct fix_session *s)
{
	return s->state;
}

const struct fix_session_cfg *fix_session_config(const struct fix_session *s)
{
	return &s->cfg;
}

const struct fix_session_stats *fix_session_stats(const struct fix_session *s)
{
	return &s->st;
}

uint32_t fix_session_heartbt_int(const struct fix_session *s)
{
	return s->hb_s;
}

uint64_t fix_session_next_sender_seq(const struct fix_session *s)
{
	return next_sender(s);
}

uint64_t fix_session_next_target_seq(const struct fix_session *s)
{
	return next_target(s);
}

int fix_session_create(struct fix_session **out, const struct fix_session_cfg *cfg,
		       struct fix_store *store, const struct fix_session_ops *ops, void *ctx)
{
	*out = NULL;
	size_t bl = strnlen(cfg->begin_string, sizeof(cfg->begin_string));
	size_t sl = strnlen(cfg->sender_comp_id, sizeof(cfg->sender_comp_id));
	size_t tl = strnlen(cfg->target_comp_id, sizeof(cfg->target_comp_id));
	if (!store || !ops || !ops->send || !ops->deliver || !ops->disconnect || bl == 0 ||
	    bl >= sizeof(cfg->begin_string) || sl == 0 || sl >= sizeof(cfg->sender_comp_id) || tl == 0 ||
	    tl >= sizeof(cfg->target_comp_id) || cfg->max_msg_size < 256 || cfg->max_msg_size > (1u << 20) ||
	    cfg->heartbt_int_min > cfg->heartbt_int_max || cfg->queue_max_msgs == 0 ||
	    cfg->queue_max_msgs > 65536 ||
	    strnlen(cfg->username, sizeof(cfg->username)) >= sizeof(cfg->username) ||
	    strnlen(cfg->password, sizeof(cfg->password)) >= sizeof(cfg->password))
		return -EINVAL;
	struct fix_session *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (s->cfg.timestamp_digits != 0 && s->cfg.timestamp_digits != 3 && s->cfg.timestamp_digits != 6 &&
	    s->cfg.timestamp_digits != 9)
		s->cfg.timestamp_digits = 3;
	s->ts_cache.sec = UINT64_MAX;
	s->ops = ops;
	s->ctx = ctx;
	s->store = store;
	s->begin_len = (uint8_t)bl;
	s->sender_len = (uint8_t)sl;
	s->target_len = (uint8_t)tl;
	s->rx_cap = 2u * cfg->max_msg_size;
	s->tx_cap = cfg->max_msg_size + FIX_BUILDER_HDR_RESERVE;
	s->q_max = cfg->queue_max_msgs;
	s->q_cap = (size_t)cfg->max_msg_size * 16u;
	if (s->q_cap < (1u << 20))
		s->q_cap = 1u << 20;
	s->rx = malloc(s->rx_cap);
	s->tx = malloc(s->tx_cap);
	s->q = calloc(s->q_max, sizeof(*s->q));
	s->q_buf = malloc(s->q_cap);
	if (!s->rx || !s->tx || !s->q || !s->q_buf) {
		fix_session_destroy(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void fix_session_destroy(struct fix_session *s)
{
	if (!s)
		return;
	free(s->rx);
	free(s->tx);
	free(s->q);
	free(s->q_buf);
	free(s);
}
