/* cp_testd: the control plane standalone, with fake dataplane hooks, for the
 * integration test and the fan-out benchmark (no DPDK).
 *
 *   cp_testd -c FILE           serve: FILE has [cp], [tenant ..], [user ..] and
 *                              optionally [testd] instruments = N, hz = 50, seed = 1
 *   cp_testd hash-password ... print an argon2id hash (see cp_passwd_main)
 *
 * A "main lcore" thread random-walks N instruments at `hz` and publishes
 * their ticks (raw and conflated), answers the API orders that cp sends
 * through hooks->send_order with engine-like events (accept, fills against
 * the harness's book at the best bid / ask, resting orders filled when the
 * walk crosses them, IOC / FOK remainders, cancels, amends, rejects), and
 * applies kill switches like the risk layer (new orders in scope rejected,
 * resting ones canceled with RISK_CMDF_CANCEL) and counts every risk command
 * (/metrics: testd_risk_cmds_total).
 * Commands on stdin (one per line): "stale SYM 0|1", "event NAME",
 * "busy 0|1" (send_order answers -ENOBUFS), "quit".
 * Prints "LISTENING <port>" once serving.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controlplane/cp.h"

#define MAX_INSTR 256
#define MAX_REQ 4096
#define MAX_REST 8192
#define HOUSE_SESSION 0

struct instr {
	char sym[ORION_SYMBOL_LEN + 1];
	int64_t tick, mid;
	uint32_t lot, bid_sz, ask_sz, seqno;
	int stale;
	int64_t last_px;
	uint32_t last_sz;
};

struct rest {
	int used;
	struct me_order_info o;
};

struct testd {
	struct cp *cp;
	unsigned n;
	struct instr in[MAX_INSTR];
	unsigned hz;
	uint64_t rng;
	/* requests from the cp thread */
	pthread_mutex_t mu;
	struct og_api_req req[MAX_REQ];
	unsigned rq_head, rq_tail;
	char cmds[64][64];
	unsigned cmd_head, cmd_tail;
	atomic_int busy;
	/* engine */
	struct rest rest[MAX_REST];
	uint64_t next_oid, next_trade, next_seq;
	/* counters */
	atomic_ulong risk_cmds[8][4];
	atomic_ulong orders_in, events_out, events_dropped;
	struct risk_cmd last_cmd;
	struct risk_cmd cmdq[256];
	unsigned cq_head, cq_tail;
	int kill_global;
	uint8_t kill_tenant[CP_MAX_TENANTS], kill_session[OG_API_MAX_USERS], kill_account[CP_MAX_ACCOUNTS];
};

static atomic_int g_stop;

static void on_signal(int s)
{
	(void)s;
	atomic_store(&g_stop, 1);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(struct testd *t)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return t->rng;
}

/* ---- hooks (cp thread) ------------------------------------------------------ */
static int h_send_order(void *ctx, const struct og_api_req *r)
{
	struct testd *t = ctx;
	if (atomic_load(&t->busy))
		return -ENOBUFS;
	pthread_mutex_lock(&t->mu);
	int rc = 0;
	if (t->rq_head - t->rq_tail >= MAX_REQ)
		rc = -ENOBUFS;
	else
		t->req[t->rq_head++ % MAX_REQ] = *r;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

static int h_send_risk_cmd(void *ctx, const struct risk_cmd *c)
{
	struct testd *t = ctx;
	if (atomic_load(&t->busy))
		return -ENOBUFS;
	pthread_mutex_lock(&t->mu);
	int rc = 0;
	if (t->cq_head - t->cq_tail >= 256) {
		rc = -ENOBUFS;
	} else {
		t->cmdq[t->cq_head++ % 256] = *c;
		t->last_cmd = *c;
		atomic_fetch_add(&t->risk_cmds[c->type & 7][c->scope & 3], 1);
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

static unsigned h_instruments(void *ctx, struct cp_instrument *out, unsigned max)
{
	struct testd *t = ctx;
	unsigned k = 0;
	for (; k < t->n && k < max; k++) {
		memset(&out[k], 0, sizeof(out[k]));
		memcpy(out[k].symbol, t->in[k].sym, sizeof(out[k].symbol));
		out[k].id = k;
		out[k].tick = t->in[k].tick;
		out[k].lot = t->in[k].lot;
	}
	return k;
}

static unsigned h_fix_sessions(void *ctx, struct cp_fix_session *out, unsigned max)
{
	(void)ctx;
	static const struct cp_fix_session s[] = {
		{ .name = "CLIENT1->ORION", .id = 0, .tenant = 0, .connected = 1, .in_seq = 12, .out_seq = 15 },
		{ .name = "CLIENT2->ORION", .id = 1, .tenant = 1, .connected = 0, .in_seq = 3, .out_seq = 4 },
	};
	unsigned n = max < 2 ? max : 2;
	memcpy(out, s, n * sizeof(*out));
	return n;
}

static void h_write_metrics(void *ctx, FILE *f)
{
	static const char *const types[] = { "none", "account", "session", "collar", "ref_price", "kill", "6", "7" };
	static const char *const scopes[] = { "global", "tenant", "session", "account" };
	struct testd *t = ctx;
	fprintf(f, "# TYPE testd_risk_cmds_total counter\n");
	for (int i = 0; i < 8; i++)
		for (int s = 0; s < 4; s++) {
			unsigned long v = atomic_load(&t->risk_cmds[i][s]);
			if (v)
				fprintf(f, "testd_risk_cmds_total{type=\"%s\",scope=\"%s\"} %lu\n", types[i], scopes[s], v);
		}
	pthread_mutex_lock(&t->mu);
	struct risk_cmd c = t->last_cmd;
	pthread_mutex_unlock(&t->mu);
	fprintf(f, "testd_last_risk_cmd{type=\"%u\",scope=\"%u\",id=\"%u\",flags=\"%u\"} 1\n", c.type, c.scope, c.id,
		c.flags);
	fprintf(f, "testd_orders_total %lu\ntestd_events_total %lu\ntestd_events_dropped_total %lu\n",
		atomic_load(&t->orders_in), atomic_load(&t->events_out), atomic_load(&t->events_dropped));
}

/* ---- the fake engine (producer thread) ---------------------------------------- */
static void emit(struct testd *t, struct me_event *ev)
{
	ev->seq = ++t->next_seq;
	ev->ts_ns = mono_ns();
	if (cp_publish_order_event(t->cp, ev))
		atomic_fetch_add(&t->events_dropped, 1);
	else
		atomic_fetch_add(&t->events_out, 1);
}

static void clordid(uint64_t corr, uint8_t out[ME_CLORDID_LEN])
{
	char b[ME_CLORDID_LEN + 2];
	memset(out, 0, ME_CLORDID_LEN);
	int n = snprintf(b, sizeof(b), "A%" PRIu64, corr);
	memcpy(out, b, (size_t)n < ME_CLORDID_LEN ? (size_t)n : ME_CLORDID_LEN);
}

static void house(struct testd *t, struct me_order_info *h, const struct me_order_info *o, int64_t px, uint32_t qty)
{
	memset(h, 0, sizeof(*h));
	h->order_id = ++t->next_oid;
	h->price = px;
	h->qty = qty;
	h->cum = qty;
	h->instrument_id = o->instrument_id;
	h->session_id = HOUSE_SESSION;
	h->side = o->side == ME_BUY ? ME_SELL : ME_BUY;
	h->type = ME_LIMIT;
	memcpy(h->cl_ord_id, "HOUSE", 5);
}

static void trade(struct testd *t, struct me_order_info *o, int64_t px, uint32_t qty, int api_is_maker)
{
	struct me_event ev = { .type = ME_EV_TRADE, .instrument_id = o->instrument_id };
	o->cum += qty;
	o->leaves -= qty;
	struct me_order_info h;
	house(t, &h, o, px, qty);
	ev.u.trade.trade_id = ++t->next_trade;
	ev.u.trade.price = px;
	ev.u.trade.qty = qty;
	if (api_is_maker) {
		ev.u.trade.maker = *o;
		ev.u.trade.taker = h;
		ev.u.trade.aggressor_side = h.side;
	} else {
		ev.u.trade.maker = h;
		ev.u.trade.taker = *o;
		ev.u.trade.aggressor_side = o->side;
	}
	struct instr *in = &t->in[o->instrument_id];
	in->last_px = px;
	in->last_sz = qty;
	emit(t, &ev);
}

static void canceled(struct testd *t, struct me_order_info *o, unsigned reason, const uint8_t *req)
{
	struct me_event ev = { .type = ME_EV_CANCELED, .reason = (uint16_t)reason, .instrument_id = o->instrument_id };
	uint32_t open = o->leaves;
	o->leaves = 0;
	ev.u.canceled.order = *o;
	ev.u.canceled.canceled_qty = open;
	if (req)
		memcpy(ev.u.canceled.req_cl_ord_id, req, ME_CLORDID_LEN);
	emit(t, &ev);
}

static void reject(struct testd *t, struct me_order_info *o, unsigned reason)
{
	struct me_event ev = { .type = ME_EV_REJECTED, .reason = (uint16_t)reason, .instrument_id = o->instrument_id };
	o->leaves = 0;
	ev.u.order = *o;
	emit(t, &ev);
}

static struct rest *find_rest(struct testd *t, uint64_t oid, uint32_t sess)
{
	for (unsigned i = 0; i < MAX_REST; i++)
		if (t->rest[i].used && t->rest[i].o.order_id == oid)
			return t->rest[i].o.session_id == sess ? &t->rest[i] : NULL;
	return NULL;
}

static void cxl_reject(struct testd *t, const struct og_api_req *r, uint32_t sess, int replace, unsigned reason)
{
	struct me_event ev = { .type = ME_EV_CANCEL_REJECTED, .reason = (uint16_t)reason, .instrument_id = r->instrument };
	ev.u.cxl_rej.order_id = r->order_id;
	ev.u.cxl_rej.session_id = sess;
	ev.u.cxl_rej.is_replace = (uint8_t)replace;
	clordid(r->corr, ev.u.cxl_rej.cl_ord_id);
	emit(t, &ev);
}

/* Match an incoming (or re-priced) order against the harness's best price. */
static void match_incoming(struct testd *t, struct me_order_info *o)
{
	struct instr *in = &t->in[o->instrument_id];
	int64_t best = o->side == ME_BUY ? in->mid + in->tick : in->mid - in->tick;
	uint32_t depth = o->side == ME_BUY ? in->ask_sz : in->bid_sz;
	int crosses = o->type == ME_MARKET || (o->side == ME_BUY ? o->price >= best : o->price <= best);
	if (!crosses)
		return;
	if (o->tif == ME_FOK && o->leaves > depth) {
		canceled(t, o, ME_CXL_FOK, NULL);
		return;
	}
	uint32_t q = o->leaves < depth ? o->leaves : depth;
	if (q)
		trade(t, o, best, q, 0);
}

/* The kill switch reject for an order, 0 when none is engaged for it. */
static unsigned killed(const struct testd *t, const struct me_order_info *o)
{
	uint32_t u = o->session_id - OG_API_SESSION_BASE;
	if (t->kill_global)
		return ME_REJ_RISK_KILL_GLOBAL;
	if (o->tenant_id < CP_MAX_TENANTS && t->kill_tenant[o->tenant_id])
		return ME_REJ_RISK_KILL_TENANT;
	if (u < OG_API_MAX_USERS && t->kill_session[u])
		return ME_REJ_RISK_KILL_SESSION;
	if (o->account_id < CP_MAX_ACCOUNTS && t->kill_account[o->account_id])
		return ME_REJ_RISK_KILL_ACCOUNT;
	return 0;
}

static void apply_cmd(struct testd *t, const struct risk_cmd *c)
{
	if (c->type != RISK_CMD_KILL)
		return;
	uint8_t on = (c->flags & RISK_CMDF_ON) != 0;
	uint32_t u = c->id - OG_API_SESSION_BASE;
	if (c->scope == RISK_SCOPE_GLOBAL)
		t->kill_global = on;
	else if (c->scope == RISK_SCOPE_TENANT && c->id < CP_MAX_TENANTS)
		t->kill_tenant[c->id] = on;
	else if (c->scope == RISK_SCOPE_SESSION && u < OG_API_MAX_USERS)
		t->kill_session[u] = on;
	else if (c->scope == RISK_SCOPE_ACCOUNT && c->id < CP_MAX_ACCOUNTS)
		t->kill_account[c->id] = on;
	if (!on || !(c->flags & RISK_CMDF_CANCEL))
		return;
	for (unsigned i = 0; i < MAX_REST; i++)
		if (t->rest[i].used && killed(t, &t->rest[i].o)) {
			canceled(t, &t->rest[i].o, ME_CXL_KILL, NULL);
			t->rest[i].used = 0;
		}
}

static void on_request(struct testd *t, const struct og_api_req *r)
{
	uint32_t sess = OG_API_SESSION_BASE + r->user;
	atomic_fetch_add(&t->orders_in, 1);
	if (r->kind == OG_API_NEW) {
		struct me_order_info o = { .price = r->ord_type == ME_LIMIT ? r->price : 0, .qty = r->qty, .leaves = r->qty,
					   .instrument_id = r->instrument, .session_id = sess, .account_id = r->account,
					   .tenant_id = r->tenant, .side = r->side, .type = r->ord_type, .tif = r->tif,
					   .flags = r->post_only ? ME_OF_POST_ONLY : 0 };
		clordid(r->corr, o.cl_ord_id);
		if (r->instrument >= t->n) {
			reject(t, &o, ME_REJ_UNKNOWN_INSTRUMENT);
			return;
		}
		unsigned k = killed(t, &o);
		if (k) {
			reject(t, &o, k);
			return;
		}
		if (r->qty > 1000000) {
			reject(t, &o, ME_REJ_RISK_MAX_QTY);
			return;
		}
		struct instr *in = &t->in[r->instrument];
		if (r->post_only && (r->side == ME_BUY ? r->price >= in->mid + in->tick : r->price <= in->mid - in->tick)) {
			reject(t, &o, ME_REJ_POST_ONLY_WOULD_CROSS);
			return;
		}
		o.order_id = ++t->next_oid;
		struct me_event ev = { .type = ME_EV_ACCEPTED, .instrument_id = r->instrument };
		ev.u.order = o;
		emit(t, &ev);
		match_incoming(t, &o);
		if (!o.leaves)
			return;
		if (o.type == ME_MARKET || o.tif == ME_IOC || o.tif == ME_FOK) {
			canceled(t, &o, o.tif == ME_FOK ? ME_CXL_FOK : ME_CXL_IOC, NULL);
			return;
		}
		for (unsigned i = 0; i < MAX_REST; i++)
			if (!t->rest[i].used) {
				t->rest[i].used = 1;
				t->rest[i].o = o;
				return;
			}
		canceled(t, &o, ME_CXL_USER, NULL); /* book full */
		return;
	}
	struct rest *x = find_rest(t, r->order_id, sess);
	if (!x) {
		cxl_reject(t, r, sess, r->kind == OG_API_AMEND, ME_REJ_UNKNOWN_ORDER);
		return;
	}
	if (r->kind == OG_API_CANCEL) {
		uint8_t req[ME_CLORDID_LEN];
		clordid(r->corr, req);
		canceled(t, &x->o, ME_CXL_USER, req);
		x->used = 0;
		return;
	}
	if (r->qty <= x->o.cum) {
		cxl_reject(t, r, sess, 1, ME_REJ_REPLACE_QTY_TOO_LOW);
		return;
	}
	struct me_event ev = { .type = ME_EV_REPLACED, .instrument_id = x->o.instrument_id };
	ev.u.replaced.old_price = x->o.price;
	ev.u.replaced.old_qty = x->o.qty;
	memcpy(ev.u.replaced.orig_cl_ord_id, x->o.cl_ord_id, ME_CLORDID_LEN);
	x->o.price = r->price;
	x->o.qty = r->qty;
	x->o.leaves = r->qty - x->o.cum;
	clordid(r->corr, x->o.cl_ord_id);
	ev.u.replaced.order = x->o;
	emit(t, &ev);
	match_incoming(t, &x->o);
	if (!x->o.leaves)
		x->used = 0;
}

/* Resting API orders the walk crossed are filled at their price (maker). */
static void fill_resting(struct testd *t, unsigned k)
{
	struct instr *in = &t->in[k];
	for (unsigned i = 0; i < MAX_REST; i++) {
		struct rest *x = &t->rest[i];
		if (!x->used || x->o.instrument_id != k)
			continue;
		int hit = x->o.side == ME_BUY ? in->mid + in->tick <= x->o.price : in->mid - in->tick >= x->o.price;
		if (!hit)
			continue;
		trade(t, &x->o, x->o.price, x->o.leaves, 1);
		x->used = 0;
	}
}

static void publish(struct testd *t, unsigned k)
{
	struct instr *in = &t->in[k];
	struct md_tick tk;
	memset(&tk, 0, sizeof(tk));
	tk.recv_ns = mono_ns();
	tk.feed_seq = ++in->seqno;
	tk.bid_px = in->mid - in->tick;
	tk.ask_px = in->mid + in->tick;
	tk.mid_px = in->mid;
	tk.last_px = in->last_px;
	tk.bid_sz = in->bid_sz;
	tk.ask_sz = in->ask_sz;
	tk.last_sz = in->last_sz;
	tk.instrument_id = k;
	memset(tk.symbol, ' ', ORION_SYMBOL_LEN);
	memcpy(tk.symbol, in->sym, strlen(in->sym));
	tk.source = 1;
	tk.seqno = in->seqno;
	tk.flags = in->stale ? MD_TF_STALE : 0;
	cp_publish_tick(t->cp, &tk, 0);
	tk.flags |= MD_TF_SNAPSHOT;
	cp_publish_tick(t->cp, &tk, 1);
}

static void command(struct testd *t, const char *line)
{
	char a[32] = "", b[32] = "";
	int v = 0;
	int n = sscanf(line, "%31s %31s %d", a, b, &v);
	if (n >= 1 && !strcmp(a, "quit"))
		atomic_store(&g_stop, 1);
	else if (n >= 2 && !strcmp(a, "busy"))
		atomic_store(&t->busy, atoi(b));
	else if (n >= 2 && !strcmp(a, "event"))
		cp_publish_md_event(t->cp, 1, b, 100, 120);
	else if (n >= 3 && !strcmp(a, "stale"))
		for (unsigned k = 0; k < t->n; k++)
			if (!strcmp(t->in[k].sym, b))
				t->in[k].stale = v;
}

static void *lcore(void *arg)
{
	struct testd *t = arg;
	uint64_t period = 1000000000ull / (t->hz ? t->hz : 1), next = mono_ns();
	while (!atomic_load(&g_stop)) {
		struct og_api_req r[64];
		struct risk_cmd rc[16];
		unsigned nr = 0, nc = 0;
		char cmd[64];
		int have_cmd = 0;
		pthread_mutex_lock(&t->mu);
		while (nc < 16 && t->cq_tail != t->cq_head)
			rc[nc++] = t->cmdq[t->cq_tail++ % 256];
		while (nr < 64 && t->rq_tail != t->rq_head)
			r[nr++] = t->req[t->rq_tail++ % MAX_REQ];
		if (t->cmd_tail != t->cmd_head) {
			memcpy(cmd, t->cmds[t->cmd_tail++ % 64], sizeof(cmd));
			have_cmd = 1;
		}
		pthread_mutex_unlock(&t->mu);
		for (unsigned i = 0; i < nc; i++)
			apply_cmd(t, &rc[i]);
		for (unsigned i = 0; i < nr; i++)
			on_request(t, &r[i]);
		if (have_cmd)
			command(t, cmd);
		uint64_t now = mono_ns();
		if (now >= next) {
			next += period;
			if (next < now)
				next = now + period;
			for (unsigned k = 0; k < t->n; k++) {
				struct instr *in = &t->in[k];
				int64_t step = (int64_t)(rnd(t) % 3) - 1;
				if (in->mid + step * in->tick > 10 * in->tick)
					in->mid += step * in->tick;
				in->bid_sz = (uint32_t)(100 + rnd(t) % 900) / in->lot * in->lot;
				in->ask_sz = (uint32_t)(100 + rnd(t) % 900) / in->lot * in->lot;
				fill_resting(t, k);
				publish(t, k);
			}
		}
		if (!nr && !nc && !have_cmd) {
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void *stdin_reader(void *arg)
{
	struct testd *t = arg;
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = 0;
		pthread_mutex_lock(&t->mu);
		if (t->cmd_head - t->cmd_tail < 64)
			memcpy(t->cmds[t->cmd_head++ % 64], line, sizeof(line));
		pthread_mutex_unlock(&t->mu);
	}
	return NULL;
}

static void setup_instruments(struct testd *t, unsigned n)
{
	static const struct {
		const char *sym;
		double px, tick;
		uint32_t lot;
	} base[] = { { "AAPL", 150, 0.01, 1 }, { "MSFT", 300, 0.01, 10 }, { "GOOG", 140, 0.05, 1 },
		     { "AMZN", 130, 0.01, 1 }, { "TSLA", 250, 0.01, 1 },  { "NVDA", 450, 0.01, 1 },
		     { "META", 300, 0.01, 1 }, { "IBM", 140, 0.01, 1 } };
	t->n = n > MAX_INSTR ? MAX_INSTR : n;
	for (unsigned k = 0; k < t->n; k++) {
		struct instr *in = &t->in[k];
		if (k < 8) {
			snprintf(in->sym, sizeof(in->sym), "%s", base[k].sym);
			in->mid = (int64_t)(base[k].px * ORION_PX_SCALE);
			in->tick = (int64_t)(base[k].tick * ORION_PX_SCALE + 0.5);
			in->lot = base[k].lot;
		} else {
			snprintf(in->sym, sizeof(in->sym), "S%03u", k % 1000u);
			in->mid = (int64_t)(50 + k) * ORION_PX_SCALE;
			in->tick = ORION_PX_SCALE / 100;
			in->lot = 1;
		}
		in->last_px = ORION_PX_NONE;
		in->bid_sz = in->ask_sz = 500;
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "hash-password"))
		return cp_passwd_main(argc - 1, argv + 1);
	const char *path = NULL;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			path = argv[++i];
	if (!path) {
		fprintf(stderr, "usage: cp_testd -c FILE | cp_testd hash-password [-t N] [-m KiB] [--password P]\n");
		return 2;
	}
	static struct testd t;
	static struct cp_cfg cfg;
	struct orion_ini ini;
	cp_cfg_defaults(&cfg);
	unsigned n_instr = 8;
	uint32_t v;
	int rc = orion_ini_load(&ini, path);
	t.hz = 50;
	t.rng = 88172645463325252ull;
	for (size_t i = 0; rc == 0 && i < ini.n; i++) {
		struct orion_ini_entry *e = &ini.e[i];
		if (!strcmp(e->kind, "testd")) {
			if (!strcmp(e->key, "instruments") && !orion_ini_u32(&ini, e, 1, MAX_INSTR, &v))
				n_instr = v;
			else if (!strcmp(e->key, "hz") && !orion_ini_u32(&ini, e, 1, 10000, &v))
				t.hz = v;
			else if (!strcmp(e->key, "seed") && !orion_ini_u32(&ini, e, 1, UINT32_MAX, &v))
				t.rng = v * 2654435761ull + 1;
			else if (!ini.err[0])
				orion_ini_unknown(&ini, e);
		} else {
			cp_config_key(&ini, e, &cfg);
		}
		if (ini.err[0])
			rc = -EINVAL;
	}
	if (rc) {
		fprintf(stderr, "cp_testd: config: %s\n", ini.err[0] ? ini.err : strerror(-rc));
		orion_ini_free(&ini);
		return 2;
	}
	orion_ini_free(&ini);
	setup_instruments(&t, n_instr);
	pthread_mutex_init(&t.mu, NULL);
	struct cp_hooks hooks = { .ctx = &t, .write_metrics = h_write_metrics, .send_risk_cmd = h_send_risk_cmd,
				  .send_order = h_send_order, .instruments = h_instruments,
				  .fix_sessions = h_fix_sessions };
	char err[256];
	t.cp = cp_create(&cfg, &hooks, err, sizeof(err));
	if (!t.cp) {
		fprintf(stderr, "cp_testd: %s\n", err);
		return 2;
	}
	if ((rc = cp_start(t.cp))) {
		fprintf(stderr, "cp_testd: %s\n", cp_last_error(t.cp));
		cp_destroy(t.cp);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	pthread_t lc, rd;
	pthread_create(&lc, NULL, lcore, &t);
	pthread_create(&rd, NULL, stdin_reader, &t);
	pthread_detach(rd);
	cp_set_ready(t.cp, 1);
	printf("LISTENING %u\n", cp_port(t.cp));
	fflush(stdout);
	while (!atomic_load(&g_stop)) {
		struct timespec ts = { 0, 50000000 };
		nanosleep(&ts, NULL);
	}
	pthread_join(lc, NULL);
	cp_stop(t.cp);
	cp_destroy(t.cp);
	return 0;
}
