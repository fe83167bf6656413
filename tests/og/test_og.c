/* Order gateway (dataplane/og): the real gateway without DPDK. Each test
 * builds a gateway on 127.0.0.1 (a free port found with a probe socket), a
 * QuickFIX-layout sessions file, a file message store and a journal in a
 * fresh temporary directory, connects plain TCP clients, sends FIX 4.4 built
 * with fix/fix_codec.h and steps og_poll() with a fake, increasing epoch
 * clock. Only the power-safe test waits for real time (the journal's
 * background flush).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/journal/jr_reader.h"
#include "dataplane/og/og.h"
#include "dataplane/og/og_journal.h"
#include "fix/fix_codec.h"

#define T0_NS 1735689600000000000ull   /* 2025-01-01T00:00:00Z */
#define STEP_NS 1000000ull             /* fake time per og_poll: 1 ms */
#define MAX_POLLS 2000                 /* waiting for one message */
#define PX(units, cents) ((int64_t)(units) * ORION_PX_SCALE + (int64_t)(cents) * (ORION_PX_SCALE / 100))

struct cli {
	int fd;
	const char *comp;         /* our 49 */
	uint64_t seq;             /* next MsgSeqNum to send */
	char buf[1 << 16];
	size_t len;
};

/* A received message: raw bytes and their parse. */
struct rmsg {
	char raw[8192];
	struct fix_msg m;
	char type[8];
};

struct ctl {
	unsigned room;            /* event_room answer */
	struct risk_cmd cmds[4];
	unsigned n_cmds, next;
	uint64_t events;
};

/* Fake control-plane channel and API ring (og_io.next_cp / next_api), and
 * the records a replay hands to cp_sink. */
#define CP_Q 160
struct cpq {
	uint8_t rec[CP_Q][64];
	size_t len[CP_Q];
	unsigned n, next;
	struct og_api_req api[4];
	unsigned n_api, next_api;
	uint8_t seen[CP_Q][64];       /* cp_sink */
	size_t seen_len[CP_Q];
	uint64_t seen_seq[CP_Q];
	unsigned n_seen;
};

struct fx {
	char dir[128];
	struct cpq cpq;
	struct og_cfg cfg;
	struct og *g;
	uint64_t now;
	struct cli c1, c2;
	struct ctl ctl;
};

/* ---- set-up ---------------------------------------------------------------- */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static uint16_t free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_sessions(const char *dir, const char *name, const char *c1, const char *c2)
{
	char path[256], text[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(text, sizeof(text),
		 "[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ORION\n"
		 "FileStorePath=%s/store\nHeartBtInt=30\n"
		 "[SESSION]\nTargetCompID=%s\nUsername=u1\nPassword=p1\n"
		 "[SESSION]\nTargetCompID=%s\nUsername=u2\nPassword=p2\n",
		 dir, c1, c2);
	write_file(path, text);
}

static void base_cfg(struct fx *f)
{
	struct og_cfg *c = &f->cfg;
	memset(c, 0, sizeof(*c));
	c->listen_ip_be = htonl(INADDR_LOOPBACK);
	c->listen_port = free_port();
	snprintf(c->sessions_path, sizeof(c->sessions_path), "%s/sessions.cfg", f->dir);
	c->max_connections = 8;
	c->max_orders = 1024;
	c->prelogon_timeout_ns = 10ull * 1000000000ull;
	struct og_instrument_cfg *in = &c->instruments[0];
	snprintf(in->symbol, sizeof(in->symbol), "AAPL");
	in->tick = PX(0, 1);
	in->ref_px = PX(150, 0);
	in->px_min = PX(75, 0);
	in->px_max = PX(300, 0);
	in->lot = 1;
	in->band_bps = 1000;
	c->n_instruments = 1;
	c->risk.max_order_qty = 1000000;
	c->risk.max_notional = PX(100000000, 0);
	c->risk.collar_bps = 2000;
	c->risk.max_open_orders_session = 100000;
	c->risk.stp = 1; /* ME_STP_NONE */
	snprintf(c->journal.dir, sizeof(c->journal.dir), "%s/journal", f->dir);
	c->journal.segment_size = 1u << 20;
	c->journal.flush_interval_us = 1000;
}

static unsigned io_room(void *ctx) { return ((struct ctl *)ctx)->room; }

static int io_event(void *ctx, const struct me_event *ev)
{
	(void)ev;
	((struct ctl *)ctx)->events++;
	return 0;
}

static int io_next_cmd(void *ctx, struct risk_cmd *cmd)
{
	struct ctl *c = ctx;
	if (c->next >= c->n_cmds)
		return 0;
	*cmd = c->cmds[c->next++];
	return 1;
}

static size_t io_next_cp(void *ctx, void *buf, size_t cap)
{
	struct cpq *q = ctx;
	if (q->next >= q->n)
		return 0;
	size_t n = q->len[q->next];
	if (n <= cap)
		memcpy(buf, q->rec[q->next], n);
	q->next++;
	return n;
}

static unsigned io_cp_count(void *ctx)
{
	struct cpq *q = ctx;
	return q->n - q->next;
}

static int io_next_api(void *ctx, struct og_api_req *req)
{
	struct cpq *q = ctx;
	if (q->next_api >= q->n_api)
		return 0;
	*req = q->api[q->next_api++];
	return 1;
}

static unsigned cpq_room(void *ctx)
{
	(void)ctx;
	return 1000;
}

static void cp_sink(void *ctx, const void *rec, size_t len, uint64_t seq, uint64_t ts_ns)
{
	struct cpq *q = ctx;
	(void)ts_ns;
	assert_true(q->n_seen < CP_Q && len <= sizeof(q->seen[0]));
	memcpy(q->seen[q->n_seen], rec, len);
	q->seen_len[q->n_seen] = len;
	q->seen_seq[q->n_seen++] = seq;
}

/* Record i of the fake channel: kind byte, then i, then a fill. */
static void cpq_add(struct cpq *q, unsigned len)
{
	unsigned i = q->n++;
	q->len[i] = len;
	memset(q->rec[i], (int)(0x40 + i % 32), sizeof(q->rec[i]));
	q->rec[i][0] = 1;
	q->rec[i][1] = (uint8_t)i;
}

static void gw_start(struct fx *f)
{
	char err[512] = "";
	f->g = og_create(&f->cfg, err, sizeof(err));
	if (!f->g)
		fail_msg("og_create: %s", err);
	struct og_io io = { .event = io_event, .event_room = io_room, .next_cmd = io_next_cmd, .ctx = &f->ctl };
	og_set_io(f->g, &io);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/orion-test-og.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char store[160];
	snprintf(store, sizeof(store), "%s/store", f->dir);
	assert_int_equal(mkdir(store, 0700), 0);
	write_sessions(f->dir, "sessions.cfg", "C1", "C2");
	base_cfg(f);
	f->now = T0_NS;
	f->ctl.room = 1000;
	f->c1 = (struct cli){ .fd = -1, .comp = "C1", .seq = 1 };
	f->c2 = (struct cli){ .fd = -1, .comp = "C2", .seq = 1 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->c1.fd >= 0)
		close(f->c1.fd);
	if (f->c2.fd >= 0)
		close(f->c2.fd);
	og_destroy(f->g);
	nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- client ---------------------------------------------------------------- */

static unsigned poll_once(struct fx *f)
{
	f->now += STEP_NS;
	return og_poll(f->g, f->now);
}

static void cli_connect(struct fx *f, struct cli *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(f->cfg.listen_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->len = 0;
}

static void cli_close(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Start a message with the standard header; the caller adds the body. */
static void msg_begin(struct fx *f, struct cli *c, struct fix_builder *b, char *buf, size_t cap, const char *type)
{
	fix_build_begin(b, buf, cap, "FIX.4.4", type);
	fix_build_cstr(b, 49, c->comp);
	fix_build_cstr(b, 56, "ORION");
	fix_build_uint(b, 34, c->seq++);
	fix_build_timestamp(b, 52, f->now, 3);
}

static void msg_send(struct cli *c, struct fix_builder *b)
{
	const char *out;
	int n = fix_build_finish(b, &out);
	assert_true(n > 0);
	assert_int_equal(send(c->fd, out, (size_t)n, MSG_NOSIGNAL), n);
}

/* Next message from the gateway (polling it meanwhile), skipping Heartbeats.
 * Returns 1, or 0 when nothing came within max_polls turns. */
static int recv_msg(struct fx *f, struct cli *c, struct rmsg *r, int max_polls)
{
	for (int i = 0; i <= max_polls; i++) {
		struct fix_frame fr;
		while (c->len) {
			enum fix_frame_rc rc = fix_frame(c->buf, c->len, sizeof(r->raw), &fr);
			if (rc == FIX_FRAME_NEED_MORE)
				break;
			assert_int_equal(rc, FIX_FRAME_MSG); /* the gateway sends valid checksums */
			memcpy(r->raw, c->buf, fr.len);
			memmove(c->buf, c->buf + fr.len, c->len - fr.len);
			c->len -= fr.len;
			assert_int_equal(fix_parse(&r->m, r->raw, fr.len, NULL), 0);
			assert_true(r->m.msgtype_len < sizeof(r->type));
			memcpy(r->type, r->m.msgtype, r->m.msgtype_len);
			r->type[r->m.msgtype_len] = '\0';
			if (!strcmp(r->type, "0"))
				continue;
			return 1;
		}
		if (i == max_polls)
			break;
		poll_once(f);
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
		if (n > 0)
			c->len += (size_t)n;
	}
	return 0;
}

/* Value of tag as a NUL-terminated string ("" when absent). */
static const char *fv(const struct rmsg *r, uint32_t tag)
{
	static char v[4][256];
	static unsigned k;
	char *o = v[k++ % 4];
	const struct fix_field *fl = fix_msg_get(&r->m, tag);
	size_t n = fl ? (fl->len < 255 ? fl->len : 255) : 0;
	if (fl)
		memcpy(o, fl->val, n);
	o[n] = '\0';
	return o;
}

/* The next message must be of this type (and ExecType when exec_type != 0). */
static void expect_msg(struct fx *f, struct cli *c, struct rmsg *r, const char *type, char exec_type)
{
	if (!recv_msg(f, c, r, MAX_POLLS))
		fail_msg("%s: no message (wanted 35=%s 150=%c)", c->comp, type, exec_type ? exec_type : '-');
	if (strcmp(r->type, type) || (exec_type && fv(r, 150)[0] != exec_type)) {
		for (uint32_t i = 0; i < r->m.len; i++)
			if (r->raw[i] == FIX_SOH)
				r->raw[i] = '|';
		fail_msg("%s: wanted 35=%s 150=%c, got %.*s", c->comp, type, exec_type ? exec_type : '-',
			 (int)r->m.len, r->raw);
	}
}

static void expect_silence(struct fx *f, struct cli *c, int polls)
{
	struct rmsg r;
	if (recv_msg(f, c, &r, polls))
		fail_msg("%s: unexpected message 35=%s", c->comp, r.type);
}

static void logon(struct fx *f, struct cli *c, const char *user, const char *pw)
{
	struct fix_builder b;
	char buf[512];
	struct rmsg r;
	if (c->fd < 0)
		cli_connect(f, c);
	msg_begin(f, c, &b, buf, sizeof(buf), "A");
	fix_build_uint(&b, 98, 0);
	fix_build_uint(&b, 108, 30);
	fix_build_cstr(&b, 553, user);
	fix_build_cstr(&b, 554, pw);
	msg_send(c, &b);
	expect_msg(f, c, &r, "A", 0);
	assert_string_equal(fv(&r, 49), "ORION");
	assert_string_equal(fv(&r, 56), c->comp);
}

static void logon_both(struct fx *f)
{
	logon(f, &f->c1, "u1", "p1");
	logon(f, &f->c2, "u2", "p2");
}

static void send_order(struct fx *f, struct cli *c, const char *cl, char side, int64_t qty, int64_t px)
{
	struct fix_builder b;
	char buf[512];
	msg_begin(f, c, &b, buf, sizeof(buf), "D");
	fix_build_cstr(&b, 11, cl);
	fix_build_cstr(&b, 55, "AAPL");
	fix_build_char(&b, 54, side);
	fix_build_timestamp(&b, 60, f->now, 3);
	fix_build_int(&b, 38, qty);
	fix_build_char(&b, 40, '2');
	fix_build_price(&b, 44, px);
	fix_build_char(&b, 59, '1');
	msg_send(c, &b);
}

static void send_cancel(struct fx *f, struct cli *c, const char *cl, const char *orig, char side)
{
	struct fix_builder b;
	char buf[512];
	msg_begin(f, c, &b, buf, sizeof(buf), "F");
	fix_build_cstr(&b, 41, orig);
	fix_build_cstr(&b, 11, cl);
	fix_build_cstr(&b, 55, "AAPL");
	fix_build_char(&b, 54, side);
	fix_build_timestamp(&b, 60, f->now, 3);
	msg_send(c, &b);
}

static void send_replace(struct fx *f, struct cli *c, const char *cl, const char *orig, char side, int64_t qty,
			 int64_t px)
{
	struct fix_builder b;
	char buf[512];
	msg_begin(f, c, &b, buf, sizeof(buf), "G");
	fix_build_cstr(&b, 41, orig);
	fix_build_cstr(&b, 11, cl);
	fix_build_cstr(&b, 55, "AAPL");
	fix_build_char(&b, 54, side);
	fix_build_timestamp(&b, 60, f->now, 3);
	fix_build_int(&b, 38, qty);
	fix_build_char(&b, 40, '2');
	fix_build_price(&b, 44, px);
	msg_send(c, &b);
}

static void send_status(struct fx *f, struct cli *c, const char *cl, char side)
{
	struct fix_builder b;
	char buf[512];
	msg_begin(f, c, &b, buf, sizeof(buf), "H");
	fix_build_cstr(&b, 11, cl);
	fix_build_cstr(&b, 55, "AAPL");
	fix_build_char(&b, 54, side);
	msg_send(c, &b);
}

static void send_mass_cancel(struct fx *f, struct cli *c, const char *cl)
{
	struct fix_builder b;
	char buf[512];
	msg_begin(f, c, &b, buf, sizeof(buf), "q");
	fix_build_cstr(&b, 11, cl);
	fix_build_char(&b, 530, '7');
	fix_build_timestamp(&b, 60, f->now, 3);
	msg_send(c, &b);
}

/* Order acknowledged: 8 150=0 39=0 with the ClOrdID; returns the OrderID. */
static const char *expect_ack(struct fx *f, struct cli *c, const char *cl, int64_t qty)
{
	static char oid[64];
	struct rmsg r;
	expect_msg(f, c, &r, "8", '0');
	assert_string_equal(fv(&r, 11), cl);
	assert_string_equal(fv(&r, 39), "0");
	assert_int_equal(atoll(fv(&r, 38)), qty);
	assert_int_equal(atoll(fv(&r, 151)), qty);
	assert_int_equal(atoll(fv(&r, 14)), 0);
	assert_true(strlen(fv(&r, 37)) > 0);
	snprintf(oid, sizeof(oid), "%s", fv(&r, 37));
	return oid;
}

/* A fill: 150=F with LastQty, LastPx, CumQty, LeavesQty, AvgPx and OrdStatus. */
static void expect_fill(struct fx *f, struct cli *c, const char *cl, int64_t last_qty, const char *last_px,
			int64_t cum, int64_t leaves, const char *avg_px)
{
	struct rmsg r;
	expect_msg(f, c, &r, "8", 'F');
	assert_string_equal(fv(&r, 11), cl);
	assert_int_equal(atoll(fv(&r, 32)), last_qty);
	int64_t got, want;
	assert_int_equal(fix_parse_price(fv(&r, 31), strlen(fv(&r, 31)), &got), 0);
	assert_int_equal(fix_parse_price(last_px, strlen(last_px), &want), 0);
	assert_int_equal(got, want);
	assert_int_equal(atoll(fv(&r, 14)), cum);
	assert_int_equal(atoll(fv(&r, 151)), leaves);
	assert_string_equal(fv(&r, 39), leaves ? "1" : "2");
	assert_int_equal(fix_parse_price(fv(&r, 6), strlen(fv(&r, 6)), &got), 0);
	assert_int_equal(fix_parse_price(avg_px, strlen(avg_px), &want), 0);
	assert_int_equal(got, want);
}

static uint64_t counter_val;
static const char *counter_want;
static void counter_cb(void *arg, const char *name, const char *label, uint64_t v)
{
	(void)arg;
	(void)label;
	if (!strcmp(name, counter_want))
		counter_val = v;
}

/* A gateway counter by metric name (first unlabelled match wins). */
static uint64_t counter(struct fx *f, const char *name)
{
	counter_want = name;
	counter_val = UINT64_MAX;
	og_foreach_counter(f->g, counter_cb, NULL);
	assert_true(counter_val != UINT64_MAX);
	return counter_val;
}

/* ---- tests ----------------------------------------------------------------- */

static void og__logon__answered_and_journaled(void **state)
{
	struct fx *f = *state;
	gw_start(f);
	logon_both(f);
	assert_int_equal(og_stats(f->g)->open_conns, 2);
	assert_int_equal(og_stats(f->g)->accepted_conns, 2);
	/* config record + one session record per logon */
	assert_int_equal(counter(f, "journal_committed_seq"), 3);
}

static void og__bad_password__logon_refused(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	cli_connect(f, &f->c1);
	struct fix_builder b;
	char buf[512];
	msg_begin(f, &f->c1, &b, buf, sizeof(buf), "A");
	fix_build_uint(&b, 98, 0);
	fix_build_uint(&b, 108, 30);
	fix_build_cstr(&b, 553, "u1");
	fix_build_cstr(&b, 554, "wrong");
	msg_send(&f->c1, &b);
	expect_msg(f, &f->c1, &r, "5", 0);
	for (int i = 0; i < 20; i++)
		poll_once(f);
	assert_int_equal(og_stats(f->g)->open_conns, 0);
}

static void og__crossing_order__fills_both_sides_with_avg_px(void **state)
{
	struct fx *f = *state;
	gw_start(f);
	logon_both(f);
	/* Two resting bids of C1 at 150.00 and 149.00 */
	send_order(f, &f->c1, "B1", '1', 10, PX(150, 0));
	char oid_b1[64];
	snprintf(oid_b1, sizeof(oid_b1), "%s", expect_ack(f, &f->c1, "B1", 10));
	send_order(f, &f->c1, "B2", '1', 30, PX(149, 0));
	expect_ack(f, &f->c1, "B2", 30);
	/* C2 sells 20 at 149.00: 10 @ 150.00 then 10 @ 149.00 */
	send_order(f, &f->c2, "S1", '2', 20, PX(149, 0));
	expect_ack(f, &f->c2, "S1", 20);
	expect_fill(f, &f->c2, "S1", 10, "150", 10, 10, "150");
	expect_fill(f, &f->c2, "S1", 10, "149", 20, 0, "149.5");
	expect_fill(f, &f->c1, "B1", 10, "150", 10, 0, "150");
	expect_fill(f, &f->c1, "B2", 10, "149", 10, 20, "149");
	/* The ExecIDs of the two sides of one trade differ; OrderID of B1 kept. */
	send_status(f, &f->c1, "B2", '1');
	struct rmsg r;
	expect_msg(f, &f->c1, &r, "8", 'I');
	assert_string_equal(fv(&r, 39), "1");
	assert_int_equal(atoll(fv(&r, 151)), 20);
	assert_int_equal(atoll(fv(&r, 14)), 10);
	assert_int_equal(og_stats(f->g)->orders_in, 3);
	assert_int_equal(f->ctl.events, 5); /* 3 accepted + 2 trades */
	expect_silence(f, &f->c2, 20);
	(void)oid_b1;
}

static void og__duplicate_clordid__rejected(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	send_order(f, &f->c1, "DUP", '1', 5, PX(140, 0));
	expect_ack(f, &f->c1, "DUP", 5);
	send_order(f, &f->c1, "DUP", '1', 7, PX(141, 0));
	expect_msg(f, &f->c1, &r, "8", '8');
	assert_string_equal(fv(&r, 39), "8");
	assert_string_equal(fv(&r, 11), "DUP");
	assert_non_null(strstr(fv(&r, 58), "duplicate"));
	assert_int_equal(og_stats(f->g)->app_err[OG_ERR_DUP_CLORDID], 1);
	/* the same ClOrdID on the other session is another order */
	send_order(f, &f->c2, "DUP", '1', 5, PX(140, 0));
	expect_ack(f, &f->c2, "DUP", 5);
}

static void og__cancel__canceled_with_both_ids(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	send_order(f, &f->c1, "O1", '2', 40, PX(155, 0));
	char oid[64];
	snprintf(oid, sizeof(oid), "%s", expect_ack(f, &f->c1, "O1", 40));
	send_cancel(f, &f->c1, "X1", "O1", '2');
	expect_msg(f, &f->c1, &r, "8", '4');
	assert_string_equal(fv(&r, 39), "4");
	assert_string_equal(fv(&r, 11), "X1");
	assert_string_equal(fv(&r, 41), "O1");
	assert_string_equal(fv(&r, 37), oid);
	assert_int_equal(atoll(fv(&r, 151)), 0);
	/* a second cancel of the same order: it is gone */
	send_cancel(f, &f->c1, "X2", "O1", '2');
	expect_msg(f, &f->c1, &r, "9", 0);
	assert_string_equal(fv(&r, 434), "1");
}

static void og__replace__keeps_order_id(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	send_order(f, &f->c1, "R1", '1', 10, PX(148, 0));
	char oid[64];
	snprintf(oid, sizeof(oid), "%s", expect_ack(f, &f->c1, "R1", 10));
	send_replace(f, &f->c1, "R2", "R1", '1', 25, PX(148, 50));
	expect_msg(f, &f->c1, &r, "8", '5');
	assert_string_equal(fv(&r, 37), oid);
	assert_string_equal(fv(&r, 11), "R2");
	assert_string_equal(fv(&r, 41), "R1");
	assert_string_equal(fv(&r, 39), "0");
	assert_int_equal(atoll(fv(&r, 38)), 25);
	assert_int_equal(atoll(fv(&r, 151)), 25);
	int64_t px;
	assert_int_equal(fix_parse_price(fv(&r, 44), strlen(fv(&r, 44)), &px), 0);
	assert_int_equal(px, PX(148, 50));
	/* the old ClOrdID no longer names a live order; the new one does */
	send_cancel(f, &f->c1, "X1", "R1", '1');
	expect_msg(f, &f->c1, &r, "9", 0);
	send_cancel(f, &f->c1, "X2", "R2", '1');
	expect_msg(f, &f->c1, &r, "8", '4');
	assert_string_equal(fv(&r, 37), oid);
}

static void og__cancel_unknown_order__cancel_reject(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	send_cancel(f, &f->c1, "X9", "NOPE", '1');
	expect_msg(f, &f->c1, &r, "9", 0);
	assert_string_equal(fv(&r, 11), "X9");
	assert_string_equal(fv(&r, 41), "NOPE");
	assert_string_equal(fv(&r, 434), "1");
	assert_string_equal(fv(&r, 102), "1");
	send_replace(f, &f->c1, "X10", "NOPE", '1', 5, PX(150, 0));
	expect_msg(f, &f->c1, &r, "9", 0);
	assert_string_equal(fv(&r, 434), "2");
	assert_int_equal(og_stats(f->g)->app_err[OG_ERR_UNKNOWN_ORDER], 2);
	/* another session's order is unknown too */
	send_order(f, &f->c2, "THEIRS", '1', 5, PX(140, 0));
	expect_ack(f, &f->c2, "THEIRS", 5);
	send_cancel(f, &f->c1, "X11", "THEIRS", '1');
	expect_msg(f, &f->c1, &r, "9", 0);
}

static void og__mass_cancel__report_and_each_order_canceled(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	send_order(f, &f->c1, "M1", '1', 1, PX(140, 0));
	expect_ack(f, &f->c1, "M1", 1);
	send_order(f, &f->c1, "M2", '2', 2, PX(160, 0));
	expect_ack(f, &f->c1, "M2", 2);
	send_order(f, &f->c1, "M3", '1', 3, PX(141, 0));
	expect_ack(f, &f->c1, "M3", 3);
	send_order(f, &f->c2, "K1", '1', 4, PX(142, 0));
	expect_ack(f, &f->c2, "K1", 4);
	send_mass_cancel(f, &f->c1, "MC1");
	int canceled = 0, report = 0;
	for (int i = 0; i < 4; i++) {
		assert_true(recv_msg(f, &f->c1, &r, MAX_POLLS));
		if (!strcmp(r.type, "8")) {
			assert_string_equal(fv(&r, 150), "4");
			canceled++;
		} else {
			assert_string_equal(r.type, "r");
			assert_string_equal(fv(&r, 11), "MC1");
			assert_string_equal(fv(&r, 530), "7");
			assert_string_equal(fv(&r, 531), "7");
			assert_string_equal(fv(&r, 533), "3");
			report++;
		}
	}
	assert_int_equal(canceled, 3);
	assert_int_equal(report, 1);
	/* C2's order is untouched */
	expect_silence(f, &f->c2, 20);
	send_status(f, &f->c2, "K1", '1');
	expect_msg(f, &f->c2, &r, "8", 'I');
	assert_string_equal(fv(&r, 39), "0");
	assert_int_equal(atoll(fv(&r, 151)), 4);
}

static void og__kill_switch_command__new_order_rejected(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	send_order(f, &f->c1, "BEFORE", '1', 5, PX(140, 0));
	expect_ack(f, &f->c1, "BEFORE", 5);
	f->ctl.cmds[0] = (struct risk_cmd){ .type = RISK_CMD_KILL, .scope = RISK_SCOPE_GLOBAL, .flags = RISK_CMDF_ON };
	f->ctl.n_cmds = 1;
	poll_once(f);
	assert_int_equal(og_stats(f->g)->cmds_applied, 1);
	assert_int_equal(og_stats(f->g)->cmds_rejected, 0);
	send_order(f, &f->c2, "AFTER", '1', 5, PX(140, 0));
	expect_msg(f, &f->c2, &r, "8", '8');
	assert_string_equal(fv(&r, 11), "AFTER");
	assert_non_null(strstr(fv(&r, 58), "kill switch"));
	/* cancels still pass under a kill */
	send_cancel(f, &f->c1, "XB", "BEFORE", '1');
	expect_msg(f, &f->c1, &r, "8", '4');
	/* release */
	f->ctl.cmds[1] = (struct risk_cmd){ .type = RISK_CMD_KILL, .scope = RISK_SCOPE_GLOBAL, .flags = 0 };
	f->ctl.n_cmds = 2;
	poll_once(f);
	send_order(f, &f->c2, "AGAIN", '1', 5, PX(140, 0));
	expect_ack(f, &f->c2, "AGAIN", 5);
}

static void og__event_room_below_min__downstream_busy_reject(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	f->ctl.room = OG_EVENT_ROOM_MIN - 1;
	uint64_t jseq = counter(f, "journal_committed_seq");
	send_order(f, &f->c1, "BUSY", '1', 5, PX(140, 0));
	expect_msg(f, &f->c1, &r, "8", '8');
	assert_string_equal(fv(&r, 11), "BUSY");
	assert_non_null(strstr(fv(&r, 58), "downstream busy"));
	assert_int_equal(og_stats(f->g)->app_err[OG_ERR_DOWNSTREAM_BUSY], 1);
	assert_int_equal(counter(f, "journal_committed_seq"), jseq); /* nothing journaled */
	f->ctl.room = OG_EVENT_ROOM_MIN;
	send_order(f, &f->c1, "BUSY", '1', 5, PX(140, 0)); /* not a duplicate: never accepted */
	expect_ack(f, &f->c1, "BUSY", 5);
}

static void og__restart__replay_restores_orders_and_checksum(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	gw_start(f);
	logon_both(f);
	send_order(f, &f->c1, "A1", '1', 100, PX(150, 0));
	expect_ack(f, &f->c1, "A1", 100);
	send_order(f, &f->c1, "A2", '1', 50, PX(149, 0));
	expect_ack(f, &f->c1, "A2", 50);
	send_order(f, &f->c1, "A3", '2', 70, PX(155, 0));
	expect_ack(f, &f->c1, "A3", 70);
	send_order(f, &f->c2, "S1", '2', 30, PX(150, 0));
	expect_ack(f, &f->c2, "S1", 30);
	expect_fill(f, &f->c2, "S1", 30, "150", 30, 0, "150");
	expect_fill(f, &f->c1, "A1", 30, "150", 30, 70, "150");
	send_cancel(f, &f->c1, "A2X", "A2", '1');
	expect_msg(f, &f->c1, &r, "8", '4');
	send_replace(f, &f->c1, "A3R", "A3", '2', 60, PX(156, 0));
	expect_msg(f, &f->c1, &r, "8", '5');
	char oid_a3[64];
	snprintf(oid_a3, sizeof(oid_a3), "%s", fv(&r, 37));
	uint64_t sum = og_state_checksum(f->g);
	uint64_t live_events = f->ctl.events;
	assert_int_equal(live_events, 7); /* 4 accepted, 1 trade, 1 canceled, 1 replaced */
	/* positions from the fill: session 0's account bought 30, session 1's sold 30 */
	struct og_position p0, p1;
	assert_int_equal(og_position(f->g, 0, 0, &p0), 0);
	assert_int_equal(og_position(f->g, 1, 0, &p1), 0);
	assert_int_equal(p0.net_qty, 30);
	assert_int_equal(p0.cost, 30 * PX(150, 0));
	assert_int_equal(p1.net_qty, -30);
	assert_int_equal(p1.sold, 30);
	assert_int_equal(og_position(f->g, 1024, 0, &p1), -EINVAL);

	og_destroy(f->g);
	f->g = NULL;
	cli_close(&f->c1);
	cli_close(&f->c2);
	f->ctl.events = 0;
	gw_start(f);
	assert_int_equal(og_state_checksum(f->g), sum);
	assert_int_equal(og_stats(f->g)->replayed, 6); /* 4 new, 1 cancel, 1 replace */
	struct og_position q0, q1; /* positions come back with the replay */
	assert_int_equal(og_position(f->g, 0, 0, &q0), 0);
	assert_int_equal(og_position(f->g, 1, 0, &q1), 0);
	assert_memory_equal(&q0, &p0, sizeof(q0));
	assert_memory_equal(&q1, &p1, sizeof(q1));
	assert_int_equal(og_stats(f->g)->replay_tail_resent, 0);
	assert_int_equal(f->ctl.events, 0);            /* replay does not re-export */

	logon_both(f); /* sequence numbers continue from the stores */
	expect_silence(f, &f->c1, 10);
	send_status(f, &f->c1, "A1", '1');
	expect_msg(f, &f->c1, &r, "8", 'I');
	assert_string_equal(fv(&r, 39), "1");
	assert_int_equal(atoll(fv(&r, 151)), 70);
	assert_int_equal(atoll(fv(&r, 14)), 30);
	int64_t px;
	assert_int_equal(fix_parse_price(fv(&r, 6), strlen(fv(&r, 6)), &px), 0);
	assert_int_equal(px, PX(150, 0));
	send_status(f, &f->c1, "A3R", '2');
	expect_msg(f, &f->c1, &r, "8", 'I');
	assert_string_equal(fv(&r, 37), oid_a3);
	assert_string_equal(fv(&r, 39), "0");
	assert_int_equal(atoll(fv(&r, 151)), 60);
	send_status(f, &f->c1, "A2", '1'); /* canceled before the restart: its final state */
	expect_msg(f, &f->c1, &r, "8", 'I');
	assert_string_equal(fv(&r, 39), "4");
	assert_int_equal(atoll(fv(&r, 151)), 0);
	/* ClOrdIDs were rebuilt: A1 is still a duplicate */
	send_order(f, &f->c1, "A1", '1', 1, PX(140, 0));
	expect_msg(f, &f->c1, &r, "8", '8');
	assert_non_null(strstr(fv(&r, 58), "duplicate"));
	/* the book was rebuilt: a sell at 150 trades against A1's 70 */
	send_order(f, &f->c2, "S2", '2', 70, PX(150, 0));
	expect_ack(f, &f->c2, "S2", 70);
	expect_fill(f, &f->c2, "S2", 70, "150", 70, 0, "150");
	expect_fill(f, &f->c1, "A1", 70, "150", 100, 0, "150");
}

static void og__journal_of_other_sessions_file__refused(void **state)
{
	struct fx *f = *state;
	gw_start(f);
	logon_both(f);
	send_order(f, &f->c1, "Z1", '1', 1, PX(140, 0));
	expect_ack(f, &f->c1, "Z1", 1);
	og_destroy(f->g);
	f->g = NULL;
	cli_close(&f->c1);
	cli_close(&f->c2);
	write_sessions(f->dir, "other.cfg", "C1", "C3");
	snprintf(f->cfg.sessions_path, sizeof(f->cfg.sessions_path), "%s/other.cfg", f->dir);
	char err[512] = "";
	struct og *g = og_create(&f->cfg, err, sizeof(err));
	if (g)
		og_destroy(g);
	assert_null(g);
	assert_non_null(strstr(err, "another configuration"));
	assert_non_null(strstr(err, f->cfg.journal.dir));
	/* the right sessions file still opens it */
	snprintf(f->cfg.sessions_path, sizeof(f->cfg.sessions_path), "%s/sessions.cfg", f->dir);
	gw_start(f);
	assert_int_equal(og_stats(f->g)->replayed, 1);
}

static void og__power_safe__replies_held_until_journal_flushed(void **state)
{
	struct fx *f = *state;
	struct rmsg r;
	f->cfg.journal.power_safe = 1;
	f->cfg.journal.flush_interval_us = 400000; /* 0.4 s: a flush between append and send is unlikely */
	gw_start(f);
	logon_both(f);
	/* let the logon records become durable first */
	for (int i = 0; i < 300 && counter(f, "journal_durable_seq") < counter(f, "journal_committed_seq"); i++) {
		poll_once(f);
		usleep(5000);
	}
	uint64_t held0 = og_stats(f->g)->held_for_durability;
	send_order(f, &f->c1, "P1", '1', 5, PX(140, 0));
	/* one turn at a time until the gateway has processed the order */
	for (int i = 0; i < 100 && og_stats(f->g)->orders_in == 0; i++)
		poll_once(f);
	assert_int_equal(og_stats(f->g)->orders_in, 1);
	uint64_t committed = counter(f, "journal_committed_seq");
	if (counter(f, "journal_durable_seq") < committed) {
		/* held: nothing reaches the client before the flush */
		assert_true(og_stats(f->g)->held_for_durability > held0);
		char b[64];
		assert_int_equal(recv(f->c1.fd, b, sizeof(b), MSG_DONTWAIT), -1);
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	}
	/* released once the journal is flushed (real time: the bg thread) */
	int got = 0;
	for (int i = 0; i < 400 && !got; i++) {
		got = recv_msg(f, &f->c1, &r, 1);
		if (!got)
			usleep(5000);
	}
	assert_true(got);
	assert_string_equal(r.type, "8");
	assert_string_equal(fv(&r, 150), "0");
	assert_string_equal(fv(&r, 11), "P1");
	assert_true(counter(f, "journal_durable_seq") >= committed);
}

/* The journal's record types in order, and the payloads of OG_JR_CP ones. */
static unsigned journal_types(struct fx *f, uint16_t *types, unsigned max)
{
	struct jr_reader *r;
	assert_int_equal(jr_reader_open(&r, f->cfg.journal.dir, 0), 0);
	struct jr_rec rec;
	unsigned n = 0;
	while (n < max && jr_reader_next(r, JR_SEQ_ALL, &rec) == 1)
		types[n++] = rec.type;
	jr_reader_close(r);
	return n;
}

static void og__cp_records__journaled_in_order_and_replayed_to_the_sink(void **state)
{
	struct fx *f = *state;
	gw_start(f);
	struct cpq *q = &f->cpq;
	for (unsigned i = 0; i < 100; i++)
		cpq_add(q, 2 + i % 60);
	struct og_io io = { .event = io_event, .event_room = cpq_room, .next_cp = io_next_cp, .cp_count = io_cp_count,
			    .ctx = q };
	og_set_io(f->g, &io);
	poll_once(f);
	assert_int_equal(og_stats(f->g)->cp_journaled, OG_CP_PER_TURN); /* bounded per turn */
	poll_once(f);
	assert_int_equal(og_stats(f->g)->cp_journaled, 100);
	uint64_t seq = counter(f, "journal_committed_seq");
	og_destroy(f->g);
	f->g = NULL;
	f->cfg.cp_sink = cp_sink;
	f->cfg.cp_sink_ctx = q;
	gw_start(f);
	assert_int_equal(og_stats(f->g)->cp_replayed, 100);
	assert_int_equal(og_stats(f->g)->replayed, 0); /* not requests of og's */
	assert_int_equal(q->n_seen, 100);
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(q->seen_len[i], q->len[i]);
		assert_memory_equal(q->seen[i], q->rec[i], q->len[i]);
		if (i)
			assert_true(q->seen_seq[i] > q->seen_seq[i - 1]);
	}
	assert_int_equal(q->seen_seq[99], seq);
}

static void og__api_request__cp_records_queued_before_it_journaled_first(void **state)
{
	struct fx *f = *state;
	gw_start(f);
	struct cpq *q = &f->cpq;
	for (unsigned i = 0; i < 100; i++) /* more than one turn's worth */
		cpq_add(q, 16);
	q->api[q->n_api++] = (struct og_api_req){ .kind = OG_API_NEW, .side = ME_BUY, .ord_type = ME_LIMIT,
						  .tif = ME_GTC, .user = 2, .account = 770, .instrument = 0,
						  .qty = 10, .price = PX(149, 0), .corr = 77 };
	struct og_io io = { .event = io_event, .event_room = cpq_room, .next_cp = io_next_cp, .cp_count = io_cp_count,
			    .next_api = io_next_api, .ctx = q };
	og_set_io(f->g, &io);
	poll_once(f);
	assert_int_equal(og_stats(f->g)->api_in, 1);
	assert_int_equal(og_stats(f->g)->cp_journaled, 100);
	assert_int_equal(og_stats(f->g)->api_cp_blocked, 0);
	uint16_t t[256];
	unsigned n = journal_types(f, t, 256);
	unsigned cp = 0, new_at = 0;
	for (unsigned i = 0; i < n; i++) {
		if (t[i] == OG_JR_CP)
			cp++;
		if (t[i] == OG_JR_NEW)
			new_at = i;
	}
	assert_int_equal(cp, 100);
	assert_true(new_at > 0);
	for (unsigned i = new_at + 1; i < n; i++)
		assert_int_not_equal(t[i], OG_JR_CP); /* every cp record is ahead of the order */
	assert_int_equal(og_stats(f->g)->app_err[OG_ERR_JOURNAL], 0);
}

static void og__cp_record_too_long__counted_invalid_not_journaled(void **state)
{
	struct fx *f = *state;
	gw_start(f);
	struct cpq *q = &f->cpq;
	cpq_add(q, 8);
	q->len[q->n - 1] = OG_CP_REC_MAX + 1; /* what a broken channel could say */
	cpq_add(q, 8);
	struct og_io io = { .event = io_event, .event_room = cpq_room, .next_cp = io_next_cp, .cp_count = io_cp_count,
			    .ctx = q };
	og_set_io(f->g, &io);
	uint64_t seq = counter(f, "journal_committed_seq");
	poll_once(f);
	assert_int_equal(og_stats(f->g)->cp_invalid, 1);
	assert_int_equal(og_stats(f->g)->cp_journaled, 1);
	assert_int_equal(counter(f, "journal_committed_seq"), seq + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(og__logon__answered_and_journaled, setup, teardown),
		cmocka_unit_test_setup_teardown(og__bad_password__logon_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(og__crossing_order__fills_both_sides_with_avg_px, setup, teardown),
		cmocka_unit_test_setup_teardown(og__duplicate_clordid__rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(og__cancel__canceled_with_both_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(og__replace__keeps_order_id, setup, teardown),
		cmocka_unit_test_setup_teardown(og__cancel_unknown_order__cancel_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(og__mass_cancel__report_and_each_order_canceled, setup, teardown),
		cmocka_unit_test_setup_teardown(og__kill_switch_command__new_order_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(og__event_room_below_min__downstream_busy_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(og__restart__replay_restores_orders_and_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(og__journal_of_other_sessions_file__refused, setup, teardown),
		cmocka_unit_test_setup_teardown(og__power_safe__replies_held_until_journal_flushed, setup, teardown),
		cmocka_unit_test_setup_teardown(og__cp_records__journaled_in_order_and_replayed_to_the_sink, setup,
						teardown),
		cmocka_unit_test_setup_teardown(og__api_request__cp_records_queued_before_it_journaled_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(og__cp_record_too_long__counted_invalid_not_journaled, setup, teardown),
	};
	return cmocka_run_group_tests_name("og", tests, NULL, NULL);
}
