/* Unit tests: fix/fix_session, driven like the FIX 4.4 Volume 2 session-level
 * test cases with a fake clock and a fake transport that records output. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fix/fix_app.h"
#include "fix/fix_session.h"
#include "fix_test_util.h"

#define SEC 1000000000ull
#define T0 (1705311000ull * SEC) /* 2024-01-15 09:30:00 UTC */
#define MAX_OUT 64

struct harness {
	struct fix_session *s;
	struct fix_store *st;
	struct fix_session_cfg cfg;
	uint64_t now;
	uint64_t peer_seq;          /* next MsgSeqNum the fake peer uses */
	/* transport */
	char out[MAX_OUT][1024];
	size_t out_len[MAX_OUT];
	int n_out;
	int send_fail;
	/* application */
	int delivered;
	uint64_t delivered_seq[32];
	char delivered_type[32][3];
	int disconnects;
	enum fix_disc_reason disc_reason;
	int logons, logouts;
	int auth_calls;
	char auth_user[32], auth_pw[32];
	bool echo_exec_report;      /* answer D with an ExecutionReport */
};

static struct harness *H;
static struct fix_msg g_m;

/* ---- fake transport and application ---- */

static int t_send(void *ctx, const char *data, size_t len)
{
	struct harness *h = ctx;
	if (h->send_fail)
		return -EPIPE;
	assert_true(h->n_out < MAX_OUT);
	assert_true(len < sizeof(h->out[0]));
	memcpy(h->out[h->n_out], data, len);
	h->out_len[h->n_out++] = len;
	return 0;
}

static void t_deliver(void *ctx, struct fix_session *s, const struct fix_msg *m)
{
	struct harness *h = ctx;
	uint64_t seq = 0;
	const struct fix_field *f = fix_msg_get(m, 34);
	assert_non_null(f);
	assert_int_equal(fix_parse_uint(f->val, f->len, &seq), 0);
	assert_true(h->delivered < 32);
	h->delivered_seq[h->delivered] = seq;
	memcpy(h->delivered_type[h->delivered], m->msgtype, m->msgtype_len);
	h->delivered_type[h->delivered][m->msgtype_len] = 0;
	h->delivered++;
	if (h->echo_exec_report && fix_msg_is(m, "D")) {
		struct fix_order o;
		struct fix_app_error e;
		assert_int_equal(fix_decode_order(m, &o, &e), 0);
		struct fix_exec_report er = {
			.order_id = { "OID-1", 5 }, .exec_id = { "EID-1", 5 },
			.cl_ord_id = o.cl_ord_id, .symbol = o.symbol, .account = o.account,
			.exec_type = '0', .ord_status = '0', .side = o.side, .ord_type = o.ord_type,
			.tif = o.tif, .ord_rej_reason = -1, .order_qty = o.qty, .leaves_qty = o.qty,
			.cum_qty = 0, .price = o.price, .avg_px = 0, .last_px = ORION_PX_NONE,
			.last_qty = 0, .transact_time_ns = h->now,
		};
		assert_int_equal(fix_send_exec_report(s, &er, h->now), 0);
	}
}

static void t_disconnect(void *ctx, struct fix_session *s, enum fix_disc_reason r, const char *text)
{
	struct harness *h = ctx;
	(void)s;
	assert_non_null(text);
	h->disconnects++;
	h->disc_reason = r;
}

static int t_auth(void *ctx, struct fix_session *s, const char *u, size_t ul, const char *p, size_t pl)
{
	struct harness *h = ctx;
	(void)s;
	h->auth_calls++;
	snprintf(h->auth_user, sizeof(h->auth_user), "%.*s", (int)ul, u ? u : "");
	snprintf(h->auth_pw, sizeof(h->auth_pw), "%.*s", (int)pl, p ? p : "");
	return strcmp(h->auth_pw, "letmein") == 0 ? 0 : -1;
}

static void t_on_logon(void *ctx, struct fix_session *s)
{
	(void)s;
	((struct harness *)ctx)->logons++;
}

static void t_on_logout(void *ctx, struct fix_session *s)
{
	(void)s;
	((struct harness *)ctx)->logouts++;
}

static const struct fix_session_ops g_ops = {
	.send = t_send, .deliver = t_deliver, .disconnect = t_disconnect,
	.on_logon = t_on_logon, .on_logout = t_on_logout,
};
static const struct fix_session_ops g_ops_auth = {
	.send = t_send, .deliver = t_deliver, .disconnect = t_disconnect, .authenticate = t_auth,
	.on_logon = t_on_logon, .on_logout = t_on_logout,
};

/* ---- setup ---- */

static void make_session(const struct fix_session_ops *ops)
{
	if (H->s)
		fix_session_destroy(H->s);
	assert_int_equal(fix_session_create(&H->s, &H->cfg, H->st, ops, H), 0);
}

static int setup(void **state)
{
	(void)state;
	H = calloc(1, sizeof(*H));
	fix_session_cfg_defaults(&H->cfg);
	strcpy(H->cfg.sender_comp_id, "ORION");
	strcpy(H->cfg.target_comp_id, "CLIENT1");
	strcpy(H->cfg.username, "client1");
	strcpy(H->cfg.password, "s3cret");
	H->cfg.heartbt_int_min = 5;
	H->cfg.heartbt_int_max = 60;
	struct fix_store_cfg sc = { .dir = NULL, .max_msgs = 256, .data_bytes = 1 << 20, .now_ns = T0 };
	if (fix_store_mmap_open(&H->st, &sc))
		return -1;
	H->now = T0;
	H->peer_seq = 1;
	make_session(&g_ops);
	fix_session_on_connect(H->s, H->now);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fix_session_destroy(H->s);
	fix_store_close(H->st);
	free(H);
	H = NULL;
	return 0;
}

/* ---- peer side ---- */

/* Build a peer message: type, explicit seq, extra header (e.g. "43=Y|122=..|"
 * or NULL), body (pipes) and sending time. */
static size_t build_peer(char *out, size_t cap, const char *type, uint64_t seq, const char *extra_hdr,
			 const char *body, uint64_t sending, const char *sender, const char *begin)
{
	char ts[32], b[2048];
	size_t tl = fix_fmt_timestamp(ts, sending, 3);
	ts[tl] = 0;
	snprintf(b, sizeof(b), "35=%s|49=%s|56=ORION|34=%llu|52=%s|%s%s", type, sender,
		 (unsigned long long)seq, ts, extra_hdr ? extra_hdr : "", body ? body : "");
	return fixt_msg_v(out, cap, begin, b);
}

static int feed(const char *buf, size_t n)
{
	return fix_session_on_bytes(H->s, buf, n, H->now);
}

/* Send the next peer message (seq = peer_seq++). */
static int peer(const char *type, const char *body)
{
	char buf[2048];
	size_t n = build_peer(buf, sizeof(buf), type, H->peer_seq++, NULL, body, H->now, "CLIENT1", "FIX.4.4");
	return feed(buf, n);
}

static int peer_seq(const char *type, uint64_t seq, const char *extra, const char *body)
{
	char buf[2048];
	size_t n = build_peer(buf, sizeof(buf), type, seq, extra, body, H->now, "CLIENT1", "FIX.4.4");
	return feed(buf, n);
}

/* Parse output message i into g_m. */
static const struct fix_msg *out_msg(int i)
{
	assert_true(i < H->n_out);
	struct fix_frame fr;
	assert_int_equal(fix_frame(H->out[i], H->out_len[i], 8192, &fr), FIX_FRAME_MSG);
	assert_int_equal(fr.len, H->out_len[i]);
	assert_int_equal(fix_parse(&g_m, H->out[i], H->out_len[i], NULL), 0);
	return &g_m;
}

static const char *out_val(int i, uint32_t tag)
{
	static char v[8][256];
	static int k;
	k = (k + 1) % 8;
	return fixt_val(out_msg(i), tag, v[k], sizeof(v[k]));
}

static void expect_out(int i, const char *type)
{
	const char *t = out_val(i, 35);
	assert_non_null(t);
	assert_string_equal(t, type);
}

static void logon_ok(void)
{
	assert_int_equal(peer("A", "98=0|108=30|553=client1|554=s3cret|"), 0);
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	H->n_out = 0;
}

/* ---- 1B: Logon ---- */

static void logon__valid__answered_with_logon_and_active(void **state)
{
	(void)state;
	assert_int_equal(peer("A", "98=0|108=30|553=client1|554=s3cret|"), 0);
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "A");
	assert_string_equal(out_val(0, 108), "30");
	assert_string_equal(out_val(0, 98), "0");
	assert_string_equal(out_val(0, 34), "1");
	assert_string_equal(out_val(0, 49), "ORION");
	assert_string_equal(out_val(0, 56), "CLIENT1");
	assert_string_equal(out_val(0, 52), "20240115-09:30:00.000");
	assert_null(out_val(0, 141));
	assert_int_equal(fix_session_next_target_seq(H->s), 2);
	assert_int_equal(fix_session_next_sender_seq(H->s), 2);
	assert_int_equal(fix_session_heartbt_int(H->s), 30);
	assert_int_equal(H->logons, 1);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_LOGONS], 1);
}

static void logon__bad_password__logout_and_disconnect(void **state)
{
	(void)state;
	peer("A", "98=0|108=30|553=client1|554=wrong|");
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "5");
	assert_non_null(strstr(out_val(0, 58), "password"));
	assert_int_equal(H->disconnects, 1);
	assert_int_equal(H->disc_reason, FIX_DR_LOGON_REFUSED);
	assert_int_equal(H->logons, 0);
	assert_int_equal(H->logouts, 0);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_LOGONS_REFUSED], 1);
	/* missing credentials are refused too */
	fix_session_on_connect(H->s, H->now);
	H->n_out = 0;
	peer("A", "98=0|108=30|");
	assert_int_equal(H->disconnects, 2);
	assert_int_equal(H->disc_reason, FIX_DR_LOGON_REFUSED);
}

static void logon__auth_callback__gets_credentials(void **state)
{
	(void)state;
	make_session(&g_ops_auth);
	fix_session_on_connect(H->s, H->now);
	peer("A", "98=0|108=30|553=alice|554=letmein|");
	assert_int_equal(H->auth_calls, 1);
	assert_string_equal(H->auth_user, "alice");
	assert_string_equal(H->auth_pw, "letmein");
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
}

static void logon__first_message_not_logon__disconnect_silently(void **state)
{
	(void)state;
	peer("0", NULL);
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->n_out, 0);
	assert_int_equal(H->disc_reason, FIX_DR_FIRST_NOT_LOGON);
	/* bytes after the disconnect are refused */
	assert_int_equal(peer("A", "98=0|108=30|553=client1|554=s3cret|"), -ENOTCONN);
}

static void logon__unknown_compid__disconnect(void **state)
{
	(void)state;
	char buf[512];
	size_t n = build_peer(buf, sizeof(buf), "A", 1, NULL, "98=0|108=30|553=client1|554=s3cret|", H->now,
			      "INTRUDER", "FIX.4.4");
	feed(buf, n);
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->n_out, 0);
	assert_int_equal(H->disc_reason, FIX_DR_LOGON_REFUSED);
}

static void logon__heartbtint_out_of_range__refused(void **state)
{
	(void)state;
	peer("A", "98=0|108=1|553=client1|554=s3cret|");
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	expect_out(0, "5");
	assert_non_null(strstr(out_val(0, 58), "HeartBtInt"));
}

static void logon__seq_too_high__logon_then_resend_request(void **state)
{
	(void)state;
	H->peer_seq = 5;
	peer("A", "98=0|108=30|553=client1|554=s3cret|");
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	assert_int_equal(H->n_out, 2);
	expect_out(0, "A");
	expect_out(1, "2");
	assert_string_equal(out_val(1, 7), "1");
	assert_string_equal(out_val(1, 16), "0");
	assert_int_equal(fix_session_next_target_seq(H->s), 1);
	/* the peer fills 1..4 with a gap fill; the queued Logon (5) is consumed */
	peer_seq("4", 1, "43=Y|122=20240115-09:29:59|", "123=Y|36=5|");
	assert_int_equal(fix_session_next_target_seq(H->s), 6);
	H->peer_seq = 6;
	peer("D", "11=A|55=X|54=1|60=20240115-09:30:00|38=1|40=1|");
	assert_int_equal(H->delivered, 1);
	assert_int_equal(H->delivered_seq[0], 6);
}

static void logon__seq_too_low__logout(void **state)
{
	(void)state;
	fix_store_set_next_target(H->st, 10);
	H->peer_seq = 3;
	peer("A", "98=0|108=30|553=client1|554=s3cret|");
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	expect_out(0, "5");
	assert_string_equal(out_val(0, 58), "MsgSeqNum too low, expecting 10 but received 3");
	assert_int_equal(H->disc_reason, FIX_DR_SEQ_TOO_LOW);
}

static void logon__reset_seq_num_flag__both_sides_back_to_one(void **state)
{
	(void)state;
	fix_store_set_next_target(H->st, 50);
	fix_store_set_next_sender(H->st, 70);
	peer("A", "98=0|108=30|141=Y|553=client1|554=s3cret|");
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	expect_out(0, "A");
	assert_string_equal(out_val(0, 141), "Y");
	assert_string_equal(out_val(0, 34), "1");
	assert_int_equal(fix_session_next_target_seq(H->s), 2);
	assert_int_equal(fix_session_next_sender_seq(H->s), 2);
}

static void logon__timeout__disconnect(void **state)
{
	(void)state;
	fix_session_on_timer(H->s, T0 + 9 * SEC);
	assert_int_equal(fix_session_state(H->s), FIX_SS_AWAIT_LOGON);
	fix_session_on_timer(H->s, T0 + 10 * SEC);
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_LOGON_TIMEOUT);
}

static void logon__split_into_single_bytes__processed(void **state)
{
	(void)state;
	char buf[512];
	size_t n = build_peer(buf, sizeof(buf), "A", 1, NULL, "98=0|108=30|553=client1|554=s3cret|", H->now,
			      "CLIENT1", "FIX.4.4");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(feed(buf + i, 1), 0);
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	assert_int_equal(H->n_out, 1);
}

/* ---- 2: MsgSeqNum handling ---- */

#define NOS "11=ORD|55=AAPL|54=1|60=20240115-09:30:00|38=100|40=2|44=10.5|"

static void seq__too_high__resend_request_then_in_order_processing(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("D", 4, NULL, NOS); /* 2 and 3 missing */
	assert_int_equal(H->delivered, 0);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "2");
	assert_string_equal(out_val(0, 7), "2");
	assert_string_equal(out_val(0, 16), "0");
	peer_seq("D", 5, NULL, NOS); /* queued too, no second ResendRequest */
	assert_int_equal(H->n_out, 1);
	peer_seq("D", 2, "43=Y|122=20240115-09:29:59|", NOS);
	assert_int_equal(H->delivered, 1);
	peer_seq("D", 3, "43=Y|122=20240115-09:29:59|", NOS);
	assert_int_equal(H->delivered, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(H->delivered_seq[i], (uint64_t)i + 2);
	assert_int_equal(fix_session_next_target_seq(H->s), 6);
	/* a stale PossDup copy of 4 is ignored */
	peer_seq("D", 4, "43=Y|122=20240115-09:29:59|", NOS);
	assert_int_equal(H->delivered, 4);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_POSSDUP_IGNORED], 1);
	assert_int_equal(fix_session_next_target_seq(H->s), 6);
	assert_int_equal(H->n_out, 1);
}

static void seq__gap_remaining_after_fill__new_resend_request(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("0", 3, NULL, NULL);  /* 2 missing: RR 2..inf, resend_end = 2 */
	peer_seq("0", 6, NULL, NULL);  /* 4, 5 missing as well: queued */
	assert_int_equal(H->n_out, 1);
	peer_seq("0", 2, "43=Y|122=20240115-09:29:59|", NULL); /* fills 2, drains 3, stops at 4 */
	assert_int_equal(fix_session_next_target_seq(H->s), 4);
	assert_int_equal(H->n_out, 2);
	expect_out(1, "2");
	assert_string_equal(out_val(1, 7), "4");
}

static void seq__too_low_without_possdup__logout(void **state)
{
	(void)state;
	logon_ok();
	peer("0", NULL);
	peer_seq("0", 2, NULL, NULL);
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	expect_out(0, "5");
	assert_string_equal(out_val(0, 58), "MsgSeqNum too low, expecting 3 but received 2");
	assert_int_equal(H->disc_reason, FIX_DR_SEQ_TOO_LOW);
	assert_int_equal(H->logouts, 1);
}

static void seq__garbled_checksum_or_length__ignored_without_consuming(void **state)
{
	(void)state;
	logon_ok();
	char buf[1024];
	size_t n = build_peer(buf, sizeof(buf), "D", 2, NULL, NOS, H->now, "CLIENT1", "FIX.4.4");
	buf[n - 3] = buf[n - 3] == '0' ? '1' : '0'; /* checksum digit */
	feed(buf, n);
	n = build_peer(buf, sizeof(buf), "D", 2, NULL, NOS, H->now, "CLIENT1", "FIX.4.4");
	/* body length one too small (same number of digits) */
	char *d = strstr(buf, "\0019=") + 3;
	char *last = d;
	while (last[1] != FIX_SOH)
		last++;
	while (*last == '0') {
		*last = '9';
		last--;
	}
	(*last)--;
	assert_true(d[0] != '0');
	feed(buf, n);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_GARBLED], 2);
	assert_int_equal(fix_session_stats(H->s)->garbled[FIX_ERR_BAD_CHECKSUM], 1);
	assert_int_equal(H->delivered, 0);
	assert_int_equal(fix_session_next_target_seq(H->s), 2);
	assert_int_equal(H->n_out, 0);
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	peer_seq("D", 2, NULL, NOS);
	assert_int_equal(H->delivered, 1);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
}

static void seq__msgtype_not_third__garbled(void **state)
{
	(void)state;
	logon_ok();
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), "49=CLIENT1|35=0|56=ORION|34=2|52=20240115-09:30:00|");
	feed(buf, n);
	assert_int_equal(fix_session_stats(H->s)->garbled[FIX_ERR_MSGTYPE_NOT_THIRD], 1);
	assert_int_equal(fix_session_next_target_seq(H->s), 2);
	assert_int_equal(H->n_out, 0);
}

/* ---- PossDupFlag / OrigSendingTime ---- */

static void possdup__orig_sending_time_after_sending_time__reject_and_logout(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("D", 2, "43=Y|122=20240115-09:31:00|", NOS); /* orig later than 09:30:00 */
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "10");
	assert_string_equal(out_val(0, 371), "122");
	assert_string_equal(out_val(0, 45), "2");
	assert_string_equal(out_val(0, 372), "D");
	expect_out(1, "5");
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_SENDING_TIME);
	assert_int_equal(H->delivered, 0);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
}

static void possdup__missing_orig_sending_time__reject_and_continue(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("D", 2, "43=Y|", NOS);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "1");
	assert_string_equal(out_val(0, 371), "122");
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
	assert_int_equal(H->delivered, 0);
}

static void possdup__expected_seq_valid__delivered(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("D", 2, "43=Y|122=20240115-09:29:00|", NOS);
	assert_int_equal(H->delivered, 1);
	assert_int_equal(H->n_out, 0);
}

/* ---- SendingTime, CompID, BeginString ---- */

static void sending_time__out_of_tolerance__reject_10_and_logout(void **state)
{
	(void)state;
	logon_ok();
	char buf[512];
	size_t n = build_peer(buf, sizeof(buf), "0", 2, NULL, NULL, H->now - 121 * SEC, "CLIENT1", "FIX.4.4");
	feed(buf, n);
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "10");
	assert_string_equal(out_val(0, 371), "52");
	expect_out(1, "5");
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_SENDING_TIME);
}

static void sending_time__within_tolerance__accepted(void **state)
{
	(void)state;
	logon_ok();
	char buf[512];
	size_t n = build_peer(buf, sizeof(buf), "0", 2, NULL, NULL, H->now + 119 * SEC, "CLIENT1", "FIX.4.4");
	feed(buf, n);
	assert_int_equal(H->n_out, 0);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
}

static void compid__wrong_sender__reject_9_and_logout(void **state)
{
	(void)state;
	logon_ok();
	char buf[512];
	size_t n = build_peer(buf, sizeof(buf), "0", 2, NULL, NULL, H->now, "CLIENT2", "FIX.4.4");
	feed(buf, n);
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "9");
	assert_string_equal(out_val(0, 371), "49");
	expect_out(1, "5");
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_COMPID);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
}

static void begin_string__mismatch__logout(void **state)
{
	(void)state;
	logon_ok();
	char buf[512];
	size_t n = build_peer(buf, sizeof(buf), "0", 2, NULL, NULL, H->now, "CLIENT1", "FIX.4.2");
	feed(buf, n);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "5");
	assert_string_equal(out_val(0, 58), "Incorrect BeginString");
	assert_int_equal(H->disc_reason, FIX_DR_BEGIN_STRING);
}

/* ---- field-level rejects ---- */

static void reject__missing_required_field__reject_and_increment(void **state)
{
	(void)state;
	logon_ok();
	peer("D", "11=ORD|55=AAPL|54=1|60=20240115-09:30:00|40=1|"); /* no OrderQty */
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "1");
	assert_string_equal(out_val(0, 371), "38");
	assert_string_equal(out_val(0, 372), "D");
	assert_string_equal(out_val(0, 45), "2");
	assert_int_equal(H->delivered, 0);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
	assert_int_equal(fix_session_stats(H->s)->reject_reason[FIX_RR_REQUIRED_MISSING], 1);
	peer("D", NOS);
	assert_int_equal(H->delivered, 1);
}

static void reject__empty_value__reason_4(void **state)
{
	(void)state;
	logon_ok();
	peer("D", "11=ORD|58=|55=AAPL|54=1|60=20240115-09:30:00|38=1|40=1|");
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "4");
	assert_string_equal(out_val(0, 371), "58");
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
}

static void reject__invalid_msgtype_11__unsupported_bmr_3(void **state)
{
	(void)state;
	logon_ok();
	peer("ZZ", NULL);
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "11");
	assert_string_equal(out_val(0, 372), "ZZ");
	peer("B", "148=news|");
	expect_out(1, "j");
	assert_string_equal(out_val(1, 380), "3");
	assert_string_equal(out_val(1, 372), "B");
	assert_string_equal(out_val(1, 45), "3");
	assert_int_equal(fix_session_next_target_seq(H->s), 4);
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
}

static void reject__received_reject__just_consumed(void **state)
{
	(void)state;
	logon_ok();
	peer("3", "45=1|373=99|58=whatever|");
	assert_int_equal(H->n_out, 0);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
}

/* ---- Heartbeat / TestRequest ---- */

static void heartbeat__after_interval_of_silence__sent(void **state)
{
	(void)state;
	logon_ok();
	fix_session_on_timer(H->s, T0 + 29 * SEC);
	assert_int_equal(H->n_out, 0);
	fix_session_on_timer(H->s, T0 + 30 * SEC);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "0");
	assert_null(out_val(0, 112));
	fix_session_on_timer(H->s, T0 + 31 * SEC);
	assert_int_equal(H->n_out, 1);
}

static void test_request__answered_with_its_id(void **state)
{
	(void)state;
	logon_ok();
	peer("1", "112=PING-7|");
	assert_int_equal(H->n_out, 1);
	expect_out(0, "0");
	assert_string_equal(out_val(0, 112), "PING-7");
}

static void test_request__sent_after_silence_then_disconnect(void **state)
{
	(void)state;
	logon_ok();
	/* peer silent; HeartBtInt 30 s: TestRequest at 36 s (30 + 20%) */
	fix_session_on_timer(H->s, T0 + 35 * SEC);
	H->n_out = 0; /* our own heartbeat at 30 s is not what we look at */
	fix_session_on_timer(H->s, T0 + 36 * SEC);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "1");
	assert_non_null(out_val(0, 112));
	fix_session_on_timer(H->s, T0 + 71 * SEC);
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	fix_session_on_timer(H->s, T0 + 72 * SEC);
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_HEARTBEAT_TIMEOUT);
}

static void test_request__answer_keeps_session(void **state)
{
	(void)state;
	logon_ok();
	H->now = T0 + 36 * SEC;
	fix_session_on_timer(H->s, H->now);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_TEST_REQ_SENT], 1);
	H->now = T0 + 40 * SEC;
	peer("0", "112=ORION-1|");
	fix_session_on_timer(H->s, T0 + 72 * SEC);
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
}

/* ---- SequenceReset ---- */

static void gap_fill__advances_expected(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("4", 2, "43=Y|122=20240115-09:29:00|", "123=Y|36=10|");
	assert_int_equal(fix_session_next_target_seq(H->s), 10);
	assert_int_equal(H->n_out, 0);
}

static void gap_fill__not_increasing__reject(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("4", 2, NULL, "123=Y|36=2|");
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "5");
	assert_string_equal(out_val(0, 371), "36");
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
}

static void gap_fill__too_low_without_possdup__logout(void **state)
{
	(void)state;
	logon_ok();
	peer("0", NULL);
	peer_seq("4", 2, NULL, "123=Y|36=9|");
	expect_out(0, "5");
	assert_int_equal(H->disc_reason, FIX_DR_SEQ_TOO_LOW);
}

static void reset__higher__sets_expected_ignoring_seq(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("4", 77, NULL, "36=20|");
	assert_int_equal(fix_session_next_target_seq(H->s), 20);
	assert_int_equal(H->n_out, 0);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_SEQ_RESETS], 1);
}

static void reset__lower__reject_and_no_change(void **state)
{
	(void)state;
	logon_ok();
	fix_store_set_next_target(H->st, 10);
	peer_seq("4", 10, NULL, "36=5|");
	expect_out(0, "3");
	assert_string_equal(out_val(0, 373), "5");
	assert_string_equal(out_val(0, 371), "36");
	assert_int_equal(fix_session_next_target_seq(H->s), 10);
	peer_seq("4", 10, NULL, "36=10|"); /* equal: no change, no reject */
	assert_int_equal(H->n_out, 1);
}

/* ---- ResendRequest served from the store ---- */

static void resend__app_messages_with_possdup_and_gapfill_for_admin(void **state)
{
	(void)state;
	H->echo_exec_report = true;
	logon_ok();                          /* our 1: Logon */
	H->now += 1 * SEC;
	peer("D", NOS);                      /* our 2: ExecutionReport */
	H->now += 30 * SEC;
	fix_session_on_timer(H->s, H->now);  /* our 3: Heartbeat */
	H->now += 1 * SEC;
	peer("D", NOS);                      /* our 4: ExecutionReport */
	peer("1", "112=X|");                 /* our 5: Heartbeat */
	assert_int_equal(fix_session_next_sender_seq(H->s), 6);
	H->n_out = 0;
	H->now += 1 * SEC;
	peer("2", "7=1|16=0|");
	assert_int_equal(H->n_out, 5);
	expect_out(0, "4");
	assert_string_equal(out_val(0, 34), "1");
	assert_string_equal(out_val(0, 123), "Y");
	assert_string_equal(out_val(0, 36), "2");
	assert_string_equal(out_val(0, 43), "Y");
	expect_out(1, "8");
	assert_string_equal(out_val(1, 34), "2");
	assert_string_equal(out_val(1, 43), "Y");
	assert_string_equal(out_val(1, 122), "20240115-09:30:01.000");
	assert_string_equal(out_val(1, 52), "20240115-09:30:33.000");
	assert_string_equal(out_val(1, 37), "OID-1");
	assert_string_equal(out_val(1, 44), "10.5");
	expect_out(2, "4");
	assert_string_equal(out_val(2, 34), "3");
	assert_string_equal(out_val(2, 36), "4");
	expect_out(3, "8");
	assert_string_equal(out_val(3, 34), "4");
	/* 5 (Heartbeat) is not followed by an app message: final gap fill */
	expect_out(4, "4");
	assert_string_equal(out_val(4, 34), "5");
	assert_string_equal(out_val(4, 36), "6");
	assert_int_equal(fix_session_next_sender_seq(H->s), 6);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_MSGS_RESENT], 2);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_GAPFILLS_SENT], 3);
}

static void resend__bounded_range_and_trailing_admin_gapfill(void **state)
{
	(void)state;
	logon_ok();                         /* 1 Logon */
	peer("1", "112=a|");                /* 2 Heartbeat */
	peer("1", "112=b|");                /* 3 Heartbeat */
	H->n_out = 0;
	peer("2", "7=2|16=3|");
	assert_int_equal(H->n_out, 1);
	expect_out(0, "4");
	assert_string_equal(out_val(0, 34), "2");
	assert_string_equal(out_val(0, 36), "4");
	/* BeginSeqNo 0 is refused */
	peer("2", "7=0|16=0|");
	expect_out(1, "3");
	assert_string_equal(out_val(1, 371), "7");
}

static void resend__request_with_seq_too_high__served_and_gap_requested(void **state)
{
	(void)state;
	logon_ok();
	peer_seq("2", 3, NULL, "7=1|16=0|"); /* 2 is missing */
	/* served: gap fill for our Logon (1), then our own ResendRequest */
	assert_int_equal(H->n_out, 2);
	expect_out(0, "4");
	expect_out(1, "2");
	assert_string_equal(out_val(1, 7), "2");
	peer_seq("0", 2, "43=Y|122=20240115-09:29:00|", NULL);
	/* 3 (already served) only consumes its number */
	assert_int_equal(fix_session_next_target_seq(H->s), 4);
	assert_int_equal(H->n_out, 2);
}

/* ---- Logout ---- */

static void logout__by_peer__answered_and_disconnected(void **state)
{
	(void)state;
	H->cfg.reset_on_logout = true;
	make_session(&g_ops);
	fix_session_on_connect(H->s, H->now);
	logon_ok();
	peer("5", "58=bye|");
	assert_int_equal(H->n_out, 1);
	expect_out(0, "5");
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_LOGOUT);
	assert_int_equal(H->logouts, 1);
	assert_int_equal(fix_session_next_target_seq(H->s), 1); /* ResetOnLogout */
	assert_int_equal(fix_session_next_sender_seq(H->s), 1);
}

static void logout__by_us__handshake(void **state)
{
	(void)state;
	logon_ok();
	assert_int_equal(fix_session_logout(H->s, "end of day", H->now), 0);
	assert_int_equal(fix_session_state(H->s), FIX_SS_LOGOUT_SENT);
	expect_out(0, "5");
	assert_string_equal(out_val(0, 58), "end of day");
	/* messages before their Logout are still processed */
	peer("D", NOS);
	assert_int_equal(H->delivered, 1);
	peer("5", NULL);
	assert_int_equal(H->n_out, 1); /* no second Logout */
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_LOGOUT);
	assert_int_equal(fix_session_next_target_seq(H->s), 4);
}

static void logout__no_answer__disconnect_after_timeout(void **state)
{
	(void)state;
	logon_ok();
	fix_session_logout(H->s, NULL, H->now);
	fix_session_on_timer(H->s, H->now + 1 * SEC);
	assert_int_equal(fix_session_state(H->s), FIX_SS_LOGOUT_SENT);
	fix_session_on_timer(H->s, H->now + 2 * SEC);
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_LOGOUT_TIMEOUT);
}

/* ---- application side ---- */

static void app__new_order_answered_with_exec_report(void **state)
{
	(void)state;
	H->echo_exec_report = true;
	logon_ok();
	peer("D", "11=ORD-9|1=ACC7|55=AAPL|54=2|60=20240115-09:30:00|38=250|40=2|44=187.25|59=3|");
	assert_int_equal(H->delivered, 1);
	assert_int_equal(H->n_out, 1);
	expect_out(0, "8");
	assert_string_equal(out_val(0, 11), "ORD-9");
	assert_string_equal(out_val(0, 1), "ACC7");
	assert_string_equal(out_val(0, 54), "2");
	assert_string_equal(out_val(0, 38), "250");
	assert_string_equal(out_val(0, 151), "250");
	assert_string_equal(out_val(0, 44), "187.25");
	assert_string_equal(out_val(0, 59), "3");
	assert_string_equal(out_val(0, 150), "0");
	assert_string_equal(out_val(0, 34), "2");
	/* what we send validates against our own dictionary */
	struct fix_reject rj;
	assert_int_equal(fix_dict_validate(out_msg(0), &rj), 0);
	assert_int_equal(fix_session_stats(H->s)->c[FIX_SC_APP_OUT], 1);
}

static void app__decode_order__conditional_fields(void **state)
{
	(void)state;
	char buf[512];
	struct fix_order o;
	struct fix_app_error e;
	size_t n = fixt_msg(buf, sizeof(buf), "35=D|49=C|56=O|34=2|52=20240115-09:30:00|11=A|55=X|54=1|"
						"60=20240115-09:30:00|38=10|40=2|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	assert_int_equal(fix_decode_order(&g_m, &o, &e), -EINVAL);
	assert_int_equal(e.tag, 44);
	assert_int_equal(e.reason, FIX_BRR_COND_REQUIRED_MISSING);
	n = fixt_msg(buf, sizeof(buf), "35=D|49=C|56=O|34=2|52=20240115-09:30:00|11=A|55=X|54=1|"
				       "60=20240115-09:30:00|38=10|40=1|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	assert_int_equal(fix_decode_order(&g_m, &o, &e), 0);
	assert_int_equal(o.qty, 10);
	assert_true(o.price == ORION_PX_NONE);
	assert_int_equal(o.tif, '0');
	assert_int_equal(o.seq, 2);
	assert_true(o.transact_time_ns == T0);
	n = fixt_msg(buf, sizeof(buf), "35=F|49=C|56=O|34=3|52=20240115-09:30:00|41=A|11=B|55=X|54=1|"
				       "60=20240115-09:30:00|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	struct fix_cancel c;
	assert_int_equal(fix_decode_cancel(&g_m, &c, &e), 0);
	assert_int_equal(c.orig_cl_ord_id.len, 1);
	assert_int_equal(c.orig_cl_ord_id.p[0], 'A');
}

static void app__send_while_disconnected__stored_then_resent(void **state)
{
	(void)state;
	logon_ok();
	fix_session_on_disconnect(H->s, H->now);
	assert_int_equal(H->logouts, 1);
	struct fix_exec_report er = {
		.order_id = { "O", 1 }, .exec_id = { "E", 1 }, .symbol = { "AAPL", 4 },
		.exec_type = '4', .ord_status = '4', .side = '1', .ord_rej_reason = -1, .order_qty = -1,
		.price = ORION_PX_NONE, .last_px = ORION_PX_NONE, .avg_px = ORION_PX_NONE,
	};
	assert_int_equal(fix_send_exec_report(H->s, &er, H->now), 1);
	assert_int_equal(H->n_out, 0);
	assert_int_equal(fix_session_next_sender_seq(H->s), 3);
	/* reconnect: peer logs on and asks for what it missed */
	fix_session_on_connect(H->s, H->now);
	peer("A", "98=0|108=30|553=client1|554=s3cret|");
	peer("2", "7=2|16=0|");
	assert_int_equal(H->n_out, 3);
	expect_out(0, "A");
	assert_string_equal(out_val(0, 34), "3");
	expect_out(1, "8");
	assert_string_equal(out_val(1, 34), "2");
	assert_string_equal(out_val(1, 43), "Y");
	assert_string_equal(out_val(1, 150), "4");
	expect_out(2, "4"); /* our Logon 3 replaced by a gap fill */
	assert_string_equal(out_val(2, 34), "3");
	assert_string_equal(out_val(2, 36), "4");
}

static void app__send_failure__disconnects(void **state)
{
	(void)state;
	logon_ok();
	H->send_fail = 1;
	struct fix_builder b;
	assert_int_equal(fix_session_begin(H->s, &b, "8", H->now), 0);
	fix_build_cstr(&b, 37, "O");
	assert_int_equal(fix_session_commit(H->s, &b), -EPIPE);
	assert_int_equal(fix_session_state(H->s), FIX_SS_DISCONNECTED);
	assert_int_equal(H->disc_reason, FIX_DR_SEND_FAILED);
}

static void app__builder_overflow__nothing_consumed(void **state)
{
	(void)state;
	logon_ok();
	struct fix_builder b;
	static char big[9000];
	memset(big, 'x', sizeof(big) - 1);
	assert_int_equal(fix_session_begin(H->s, &b, "8", H->now), 0);
	fix_build_cstr(&b, 58, big);
	assert_int_equal(fix_session_commit(H->s, &b), -ENOSPC);
	assert_int_equal(fix_session_next_sender_seq(H->s), 2);
	assert_int_equal(H->n_out, 0);
}

static void reset_policy__on_logon_and_on_disconnect(void **state)
{
	(void)state;
	H->cfg.reset_on_logon = true;
	H->cfg.reset_on_disconnect = true;
	make_session(&g_ops);
	fix_store_set_next_sender(H->st, 40);
	fix_store_set_next_target(H->st, 30);
	fix_session_on_connect(H->s, H->now);
	peer("A", "98=0|108=30|553=client1|554=s3cret|"); /* peer seq 1, no 141 */
	assert_int_equal(fix_session_state(H->s), FIX_SS_ACTIVE);
	expect_out(0, "A");
	assert_string_equal(out_val(0, 34), "1");
	assert_string_equal(out_val(0, 141), "Y");
	peer("0", NULL);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
	fix_session_on_disconnect(H->s, H->now);
	assert_int_equal(fix_session_next_target_seq(H->s), 1);
	assert_int_equal(fix_session_next_sender_seq(H->s), 1);
	assert_int_equal(H->disconnects, 0); /* transport already closed: no callback */
	assert_int_equal(H->logouts, 1);
}

static void session__restart_with_file_store__sequence_numbers_continue(void **state)
{
	(void)state;
	char dir[] = "/tmp/orion_fix_sess_XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct fix_store_cfg sc = { .dir = dir, .name = "FIX.4.4-ORION-CLIENT1", .max_msgs = 64,
				    .data_bytes = 65536, .now_ns = T0 };
	fix_session_destroy(H->s);
	H->s = NULL;
	fix_store_close(H->st);
	assert_int_equal(fix_store_mmap_open(&H->st, &sc), 0);
	H->echo_exec_report = true;
	make_session(&g_ops);
	fix_session_on_connect(H->s, H->now);
	logon_ok();
	peer("D", NOS); /* our 2: ExecutionReport */
	/* process restart: everything torn down, store reopened from disk */
	fix_session_destroy(H->s);
	H->s = NULL;
	fix_store_close(H->st);
	assert_int_equal(fix_store_mmap_open(&H->st, &sc), 0);
	make_session(&g_ops);
	assert_int_equal(fix_session_next_sender_seq(H->s), 3);
	assert_int_equal(fix_session_next_target_seq(H->s), 3);
	fix_session_on_connect(H->s, H->now);
	H->n_out = 0;
	peer("A", "98=0|108=30|553=client1|554=s3cret|"); /* peer seq 3 */
	expect_out(0, "A");
	assert_string_equal(out_val(0, 34), "3");
	peer("2", "7=2|16=2|");
	expect_out(1, "8");
	assert_string_equal(out_val(1, 34), "2");
	assert_string_equal(out_val(1, 43), "Y");
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void session__create__rejects_bad_config(void **state)
{
	(void)state;
	struct fix_session *s;
	struct fix_session_cfg c = H->cfg;
	c.target_comp_id[0] = 0;
	assert_int_equal(fix_session_create(&s, &c, H->st, &g_ops, H), -EINVAL);
	c = H->cfg;
	c.max_msg_size = 10;
	assert_int_equal(fix_session_create(&s, &c, H->st, &g_ops, H), -EINVAL);
	struct fix_session_ops no_send = g_ops;
	no_send.send = NULL;
	assert_int_equal(fix_session_create(&s, &H->cfg, H->st, &no_send, H), -EINVAL);
	for (int i = 0; i < FIX_SC__COUNT; i++)
		assert_string_not_equal(fix_session_counter_name((enum fix_session_counter)i), "unknown");
	for (int i = 0; i < FIX_DR__COUNT; i++)
		assert_string_not_equal(fix_disc_reason_name((enum fix_disc_reason)i), "unknown");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(logon__valid__answered_with_logon_and_active),
		T(logon__bad_password__logout_and_disconnect),
		T(logon__auth_callback__gets_credentials),
		T(logon__first_message_not_logon__disconnect_silently),
		T(logon__unknown_compid__disconnect),
		T(logon__heartbtint_out_of_range__refused),
		T(logon__seq_too_high__logon_then_resend_request),
		T(logon__seq_too_low__logout),
		T(logon__reset_seq_num_flag__both_sides_back_to_one),
		T(logon__timeout__disconnect),
		T(logon__split_into_single_bytes__processed),
		T(seq__too_high__resend_request_then_in_order_processing),
		T(seq__gap_remaining_after_fill__new_resend_request),
		T(seq__too_low_without_possdup__logout),
		T(seq__garbled_checksum_or_length__ignored_without_consuming),
		T(seq__msgtype_not_third__garbled),
		T(possdup__orig_sending_time_after_sending_time__reject_and_logout),
		T(possdup__missing_orig_sending_time__reject_and_continue),
		T(possdup__expected_seq_valid__delivered),
		T(sending_time__out_of_tolerance__reject_10_and_logout),
		T(sending_time__within_tolerance__accepted),
		T(compid__wrong_sender__reject_9_and_logout),
		T(begin_string__mismatch__logout),
		T(reject__missing_required_field__reject_and_increment),
		T(reject__empty_value__reason_4),
		T(reject__invalid_msgtype_11__unsupported_bmr_3),
		T(reject__received_reject__just_consumed),
		T(heartbeat__after_interval_of_silence__sent),
		T(test_request__answered_with_its_id),
		T(test_request__sent_after_silence_then_disconnect),
		T(test_request__answer_keeps_session),
		T(gap_fill__advances_expected),
		T(gap_fill__not_increasing__reject),
		T(gap_fill__too_low_without_possdup__logout),
		T(reset__higher__sets_expected_ignoring_seq),
		T(reset__lower__reject_and_no_change),
		T(resend__app_messages_with_possdup_and_gapfill_for_admin),
		T(resend__bounded_range_and_trailing_admin_gapfill),
		T(resend__request_with_seq_too_high__served_and_gap_requested),
		T(logout__by_peer__answered_and_disconnected),
		T(logout__by_us__handshake),
		T(logout__no_answer__disconnect_after_timeout),
		T(app__new_order_answered_with_exec_report),
		T(app__decode_order__conditional_fields),
		T(app__send_while_disconnected__stored_then_resent),
		T(app__send_failure__disconnects),
		T(app__builder_overflow__nothing_consumed),
		T(reset_policy__on_logon_and_on_disconnect),
		T(session__restart_with_file_store__sequence_numbers_continue),
		T(session__create__rejects_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
