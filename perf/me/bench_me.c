/* bench_me: matching engine (and engine + pre-trade risk) throughput and
 * per-operation latency on one core.
 *
 * 1. Generate a seeded order flow against a live engine: adds near the touch
 *    (~60 %), cancels (~25 %), replaces (~8 %, half quantity-down, half one
 *    tick price moves), aggressive IOC/market orders (~7 %) over N
 *    instruments; the aggressive size follows book depth so the books stay
 *    near a steady depth. The flow is recorded (engine ids are deterministic).
 * 2. Replay the recording on fresh engines:
 *    (a) max rate untimed (ops/s) and with rdtsc around every op (ns
 *        percentiles, histogram from common/orion_hist.h);
 *    (b) paced by the TSC at fixed rates (1M and 100k ops/s): service time
 *        (op start → end) and response time (scheduled start → end, so a
 *        stall also delays the ops queued behind it);
 *    each once with the engine alone and once through risk (every check
 *    computed, limits set so none rejects, which keeps the replay exact).
 * The sink copies every event and tick into a ring-sized array, as the order
 * lcore would copy them into its event rings.
 *
 * Usage: bench_me [-n ops] [-i instruments] [-s seed] [-q]   (-q: short run)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/orion_hist.h"
#include "common/orion_time.h"
#include "dataplane/me/me_book.h"
#include "dataplane/me/risk.h"

#define TICK 1000000LL            /* 0.01 in 1e-8 units */
#define PX_MIN (5000 * TICK)      /* 50.00 */
#define PX_MAX (15000 * TICK)     /* 150.00 */
#define PX_MID (10000 * TICK)
#define LOT 100u
#define N_ACCOUNTS 64u
#define N_SESSIONS 16u
#define N_TENANTS 4u
#define POOL (1u << 18)
#define TARGET_DEPTH 100u         /* resting orders per instrument the flow aims at */
#define RING 256u

enum { OP_NEW = 0, OP_CANCEL, OP_REPLACE, OP_AGGR, OP__N };

struct bop {
	uint64_t id;              /* cancel / replace target */
	int64_t px;
	uint32_t instr, qty, acct;
	uint8_t kind, side, type, tif;
};

struct gen {
	uint64_t rng;
	uint64_t *live;           /* live resting order ids */
	uint32_t n_live;
	uint32_t *pos;            /* slot → index in live, UINT32_MAX */
	uint32_t *depth;          /* live orders per instrument */
	uint32_t *slot_instr;
	uint64_t trades;
};

struct sink_ring {
	struct me_event ev[RING];
	struct md_tick tk[RING];
	uint32_t ne, nt;
	uint64_t events, ticks, trades;
};

static struct gen g_gen;
static struct sink_ring g_ring;

static uint32_t rnd(uint32_t n)
{
	g_gen.rng ^= g_gen.rng << 13;
	g_gen.rng ^= g_gen.rng >> 7;
	g_gen.rng ^= g_gen.rng << 17;
	return (uint32_t)((g_gen.rng >> 11) % n);
}

/* ---- sinks ------------------------------------------------------------- */

static void live_add(uint64_t id, uint32_t instr)
{
	uint32_t s = ME_ORDER_SLOT(id);
	g_gen.pos[s] = g_gen.n_live;
	g_gen.slot_instr[s] = instr;
	g_gen.live[g_gen.n_live++] = id;
	g_gen.depth[instr]++;
}

static void live_del(uint64_t id)
{
	uint32_t s = ME_ORDER_SLOT(id), p = g_gen.pos[s];
	if (p == UINT32_MAX || g_gen.live[p] != id)
		return;
	uint64_t mv = g_gen.live[--g_gen.n_live];
	g_gen.live[p] = mv;
	g_gen.pos[ME_ORDER_SLOT(mv)] = p;
	g_gen.pos[s] = UINT32_MAX;
	g_gen.depth[g_gen.slot_instr[s]]--;
}

static void gen_event(void *ctx, const struct me_event *ev)
{
	(void)ctx;
	switch (ev->type) {
	case ME_EV_ACCEPTED:
		if (ev->u.order.type == ME_LIMIT && (ev->u.order.tif == ME_DAY || ev->u.order.tif == ME_GTC))
			live_add(ev->u.order.order_id, ev->u.order.instrument_id);
		break;
	case ME_EV_TRADE:
		g_gen.trades++;
		if (ev->u.trade.maker.leaves == 0)
			live_del(ev->u.trade.maker.order_id);
		if (ev->u.trade.taker.leaves == 0)
			live_del(ev->u.trade.taker.order_id);
		break;
	case ME_EV_CANCELED:
		live_del(ev->u.canceled.order.order_id);
		break;
	default:
		break;
	}
}

static void ring_event(void *ctx, const struct me_event *ev)
{
	struct sink_ring *r = ctx;
	r->ev[r->ne++ & (RING - 1)] = *ev;
	r->events++;
	r->trades += ev->type == ME_EV_TRADE;
}

static void ring_tick(void *ctx, const struct md_tick *t)
{
	struct sink_ring *r = ctx;
	r->tk[r->nt++ & (RING - 1)] = *t;
	r->ticks++;
}

/* ---- setup ------------------------------------------------------------- */

static struct me_engine *make_engine(uint32_t n_instr, const struct me_sink *sink)
{
	struct me_config cfg = { .max_orders = POOL, .max_instruments = n_instr,
		.stp_default = ME_STP_CANCEL_RESTING, .sink = *sink };
	struct me_engine *e = me_create(&cfg);
	if (!e)
		return NULL;
	for (uint32_t i = 0; i < n_instr; i++) {
		struct me_instrument_cfg c = { .px_min = PX_MIN, .px_max = PX_MAX, .tick_size = TICK,
			.lot_size = LOT, .ref_px = PX_MID, .band_ticks = 2000 };
		char sym[16];
		int len = snprintf(sym, sizeof sym, "S%u", i);
		memset(c.symbol, ' ', sizeof c.symbol);
		memcpy(c.symbol, sym, (size_t)len < sizeof c.symbol ? (size_t)len : sizeof c.symbol);
		uint32_t id;
		if (me_add_instrument(e, &c, &id) != 0) {
			me_destroy(e);
			return NULL;
		}
	}
	return e;
}

static struct risk *make_risk(struct me_engine *e, uint32_t n_instr)
{
	struct risk_config rc = {
		.max_sessions = N_SESSIONS, .max_accounts = N_ACCOUNTS, .max_tenants = N_TENANTS,
		.max_instruments = n_instr,
		.account_default = { .max_order_qty = 10000000, .max_open_orders = POOL,
			.max_order_notional = INT64_MAX / 2, .credit_limit = INT64_MAX / 2 },
		.session_default = { .max_open_orders = POOL, .rate_per_s = 100000000, .burst = 1000000 },
		.collar_bps = 9000,
	};
	struct risk *r = risk_create(&rc, e);
	for (uint32_t i = 0; r && i < n_instr; i++) {
		struct risk_cmd c = { .type = RISK_CMD_REF_PRICE, .id = i, .u.ref_px = PX_MID };
		risk_apply_cmd(r, &c);
	}
	return r;
}

/* ---- flow generation ----------------------------------------------------- */

static void gen_new(struct me_engine *e, struct bop *op)
{
	struct me_top t;
	op->kind = OP_NEW;
	op->instr = rnd(me_instrument_count(e));
	op->side = (uint8_t)(1 + rnd(2));
	op->type = ME_LIMIT;
	op->tif = rnd(10) < 3 ? ME_GTC : ME_DAY;
	op->qty = (1 + rnd(10)) * LOT;
	op->acct = rnd(N_ACCOUNTS);
	me_top(e, op->instr, &t);
	int64_t px;
	if (op->side == ME_BUY) {
		px = t.bid_px != ORION_PX_NONE ? t.bid_px : (t.ask_px != ORION_PX_NONE ? t.ask_px : PX_MID) - TICK;
		px -= (int64_t)rnd(6) * TICK;
		if (rnd(5) == 0)
			px += TICK;
		if (t.ask_px != ORION_PX_NONE && px >= t.ask_px)
			px = t.ask_px - TICK;
	} else {
		px = t.ask_px != ORION_PX_NONE ? t.ask_px : (t.bid_px != ORION_PX_NONE ? t.bid_px : PX_MID) + TICK;
		px += (int64_t)rnd(6) * TICK;
		if (rnd(5) == 0)
			px -= TICK;
		if (t.bid_px != ORION_PX_NONE && px <= t.bid_px)
			px = t.bid_px + TICK;
	}
	if (px < PX_MIN)
		px = PX_MIN;
	if (px > PX_MAX)
		px = PX_MAX;
	op->px = px;
}

static void gen_aggr(struct me_engine *e, struct bop *op)
{
	struct me_top t;
	op->kind = OP_AGGR;
	op->instr = rnd(me_instrument_count(e));
	op->side = (uint8_t)(1 + rnd(2));
	op->acct = rnd(N_ACCOUNTS);
	op->tif = ME_IOC;
	uint32_t k = 5 * g_gen.depth[op->instr] / TARGET_DEPTH;
	op->qty = (k ? k : 1) * 6 * LOT;
	me_top(e, op->instr, &t);
	int64_t opp = op->side == ME_BUY ? t.ask_px : t.bid_px;
	if (rnd(4) == 0 || opp == ORION_PX_NONE) {
		op->type = ME_MARKET;
		op->px = 0;
	} else {
		op->type = ME_LIMIT;
		op->px = opp + (op->side == ME_BUY ? 1 : -1) * (int64_t)rnd(4) * TICK;
	}
}

static int gen_flow(uint32_t n_instr, struct bop *ops, uint32_t n_ops, uint64_t *trades)
{
	struct me_sink s = { .on_event = gen_event };
	struct me_engine *e = make_engine(n_instr, &s);
	if (!e)
		return -ENOMEM;
	for (uint32_t i = 0; i < n_ops; i++) {
		struct bop *op = &ops[i];
		memset(op, 0, sizeof *op);
		uint32_t r = rnd(100);
		if (g_gen.n_live == 0 || r < 60) {
			gen_new(e, op);
		} else if (r < 85) {
			op->kind = OP_CANCEL;
			op->id = g_gen.live[rnd(g_gen.n_live)];
		} else if (r < 93) {
			struct me_order_info oi;
			op->kind = OP_REPLACE;
			op->id = g_gen.live[rnd(g_gen.n_live)];
			me_get_order(e, op->id, &oi);
			op->px = oi.price;
			op->qty = oi.qty;
			if (oi.leaves > LOT && rnd(2)) {
				op->qty -= LOT; /* keeps priority */
			} else {
				op->px += (oi.side == ME_BUY ? -1 : 1) * TICK; /* away from the touch */
				if (op->px < PX_MIN || op->px > PX_MAX)
					op->px = oi.price;
				op->qty += rnd(2) * LOT;
			}
		} else {
			gen_aggr(e, op);
		}
		switch (op->kind) {
		case OP_CANCEL: {
			struct me_cancel_req c = { .order_id = op->id, .session_id = ME_SESSION_ANY };
			me_cancel(e, &c, i);
			break;
		}
		case OP_REPLACE: {
			struct me_replace_req q = { .order_id = op->id, .session_id = ME_SESSION_ANY,
				.qty = op->qty, .price = op->px };
			me_replace(e, &q, i);
			break;
		}
		default: {
			struct me_new_order q = { .instrument_id = op->instr, .session_id = op->acct % N_SESSIONS,
				.account_id = op->acct, .tenant_id = op->acct % N_TENANTS, .price = op->px,
				.qty = op->qty, .side = op->side, .type = op->type, .tif = op->tif };
			me_new_order(e, &q, i);
			break;
		}
		}
	}
	*trades = me_get_stats(e)->trades;
	me_destroy(e);
	return 0;
}

/* ---- replay ------------------------------------------------------------ */

static inline int run_op(struct me_engine *e, struct risk *r, const struct bop *op, uint64_t now)
{
	switch (op->kind) {
	case OP_CANCEL: {
		struct me_cancel_req c = { .order_id = op->id, .session_id = ME_SESSION_ANY };
		return r ? risk_cancel(r, &c, now) : me_cancel(e, &c, now);
	}
	case OP_REPLACE: {
		struct me_replace_req q = { .order_id = op->id, .session_id = ME_SESSION_ANY, .qty = op->qty,
			.price = op->px };
		return r ? risk_replace(r, &q, now) : me_replace(e, &q, now);
	}
	default: {
		struct me_new_order q = { .instrument_id = op->instr, .session_id = op->acct % N_SESSIONS,
			.account_id = op->acct, .tenant_id = op->acct % N_TENANTS, .price = op->px, .qty = op->qty,
			.side = op->side, .type = op->type, .tif = op->tif };
		return r ? risk_new_order(r, &q, now) : me_new_order(e, &q, now);
	}
	}
}

enum mode { M_UNTIMED, M_TIMED, M_PACED };

struct result {
	double ops_per_s;
	uint64_t trades;
};

static struct orion_hist g_svc, g_rsp;

static int replay(uint32_t n_instr, const struct bop *ops, uint32_t n_ops, bool with_risk, enum mode m,
	uint64_t rate, struct result *res)
{
	memset(&g_ring, 0, sizeof g_ring);
	struct me_sink s = { .on_event = ring_event, .on_tick = ring_tick, .ctx = &g_ring };
	struct me_engine *e = make_engine(n_instr, &s);
	if (!e)
		return -ENOMEM;
	struct risk *r = NULL;
	if (with_risk && !(r = make_risk(e, n_instr))) {
		me_destroy(e);
		return -ENOMEM;
	}
	orion_hist_reset(&g_svc);
	orion_hist_reset(&g_rsp);
	uint64_t t0 = orion_tsc();
	if (m == M_UNTIMED) {
		for (uint32_t i = 0; i < n_ops; i++)
			run_op(e, r, &ops[i], i);
	} else if (m == M_TIMED) {
		for (uint32_t i = 0; i < n_ops; i++) {
			uint64_t a = orion_tsc();
			run_op(e, r, &ops[i], orion_tsc_to_ns(a - t0));
			uint64_t b = orion_tsc();
			orion_hist_add(&g_svc, orion_tsc_to_ns(b - a));
		}
	} else {
		uint64_t period = orion_ns_to_tsc(1000000000ull / rate);
		for (uint32_t i = 0; i < n_ops; i++) {
			uint64_t due = t0 + (uint64_t)i * period, a;
			while ((a = orion_tsc()) < due)
				__builtin_ia32_pause();
			run_op(e, r, &ops[i], orion_tsc_to_ns(a - t0));
			uint64_t b = orion_tsc();
			orion_hist_add(&g_svc, orion_tsc_to_ns(b - a));
			orion_hist_add(&g_rsp, orion_tsc_to_ns(b - due));
		}
	}
	uint64_t dt = orion_tsc_to_ns(orion_tsc() - t0);
	res->ops_per_s = dt ? (double)n_ops * 1e9 / (double)dt : 0;
	res->trades = me_get_stats(e)->trades;
	if (r) {
		const struct risk_stats *st = risk_get_stats(r);
		if (st->checked != st->passed)
			fprintf(stderr, "bench_me: risk rejected %" PRIu64 " orders (replay no longer exact)\n",
				st->checked - st->passed);
		risk_destroy(r);
	}
	me_destroy(e);
	return 0;
}

static void print_lat(const char *label, const struct orion_hist *h)
{
	printf("  %-34s p50=%6" PRIu64 " p99=%6" PRIu64 " p99.9=%7" PRIu64 " max=%8" PRIu64 " mean=%7.1f ns\n",
		label, orion_hist_pct(h, 50), orion_hist_pct(h, 99), orion_hist_pct(h, 99.9), h->max,
		orion_hist_mean(h));
}

static void cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');
			if (p) {
				p += 2;
				p[strcspn(p, "\n")] = 0;
				snprintf(buf, len, "%s", p);
			}
			break;
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	uint32_t n_ops = 2000000, n_instr = 100;
	uint64_t seed = 42;
	bool quick = false;
	int c;
	while ((c = getopt(argc, argv, "n:i:s:q")) != -1) {
		switch (c) {
		case 'n': n_ops = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'i': n_instr = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'q': quick = true; break;
		default:
			fprintf(stderr, "usage: %s [-n ops] [-i instruments] [-s seed] [-q]\n", argv[0]);
			return 2;
		}
	}
	if (quick)
		n_ops = 200000;
	if (n_ops < 1000 || n_instr == 0 || n_instr > 65535) {
		fprintf(stderr, "bench_me: need -n >= 1000 and 1 <= -i <= 65535\n");
		return 2;
	}
	if (orion_time_init(20) != 0) {
		fprintf(stderr, "bench_me: TSC calibration failed\n");
		return 1;
	}
	g_gen.rng = seed * 0x9E3779B97F4A7C15ull + 1;
	g_gen.live = calloc(POOL, sizeof *g_gen.live);
	g_gen.pos = malloc(POOL * sizeof *g_gen.pos);
	g_gen.slot_instr = calloc(POOL, sizeof *g_gen.slot_instr);
	g_gen.depth = calloc(n_instr, sizeof *g_gen.depth);
	struct bop *ops = calloc(n_ops, sizeof *ops);
	if (!g_gen.live || !g_gen.pos || !g_gen.slot_instr || !g_gen.depth || !ops) {
		fprintf(stderr, "bench_me: out of memory\n");
		return 1;
	}
	memset(g_gen.pos, 0xff, POOL * sizeof *g_gen.pos);

	char cpu[128];
	cpu_model(cpu, sizeof cpu);
	printf("bench_me: cpu=\"%s\" tsc_hz=%" PRIu64 " online_cpus=%ld\n", cpu, g_orion_clock.tsc_hz,
		sysconf(_SC_NPROCESSORS_ONLN));
	uint64_t gen_trades = 0;
	if (gen_flow(n_instr, ops, n_ops, &gen_trades) != 0) {
		fprintf(stderr, "bench_me: engine setup failed\n");
		return 1;
	}
	uint64_t kinds[OP__N] = { 0 };
	for (uint32_t i = 0; i < n_ops; i++)
		kinds[ops[i].kind]++;
	printf("params: ops=%u instruments=%u seed=%" PRIu64 " accounts=%u sessions=%u pool=%u grid=%lld ticks"
		" stp=cancel-resting target_depth=%u/instr\n", n_ops, n_instr, seed, N_ACCOUNTS, N_SESSIONS, POOL,
		(long long)((PX_MAX - PX_MIN) / TICK + 1), TARGET_DEPTH);
	printf("mix: new=%.1f%% cancel=%.1f%% replace=%.1f%% aggressive=%.1f%%  trades=%" PRIu64
		" resting_at_end=%u\n", 100.0 * kinds[OP_NEW] / n_ops, 100.0 * kinds[OP_CANCEL] / n_ops,
		100.0 * kinds[OP_REPLACE] / n_ops, 100.0 * kinds[OP_AGGR] / n_ops, gen_trades, g_gen.n_live);

	static const char *const names[2] = { "engine", "engine+risk" };
	struct result res;
	for (int wr = 0; wr < 2; wr++) {
		printf("[%s]\n", names[wr]);
		double best = 0;
		for (int rep = 0; rep < 3; rep++) {
			if (replay(n_instr, ops, n_ops, wr, M_UNTIMED, 0, &res) != 0)
				return 1;
			if (res.trades != gen_trades)
				fprintf(stderr, "bench_me: replay diverged (%" PRIu64 " trades vs %" PRIu64 ")\n",
					res.trades, gen_trades);
			if (res.ops_per_s > best)
				best = res.ops_per_s;
		}
		printf("  max rate (untimed, best of 3)      %.2f M ops/s  (%.1f ns/op)\n", best / 1e6, 1e9 / best);
		if (replay(n_instr, ops, n_ops, wr, M_TIMED, 0, &res) != 0)
			return 1;
		char label[64];
		snprintf(label, sizeof label, "max rate, per-op (%.2f M ops/s)", res.ops_per_s / 1e6);
		print_lat(label, &g_svc);
		static const uint64_t rates[2] = { 1000000, 100000 };
		for (int k = 0; k < 2; k++) {
			uint32_t n = (uint32_t)(quick ? rates[k] / 5 : rates[k]); /* 1 s (0.2 s quick) */
			if (n > n_ops)
				n = n_ops;
			if (replay(n_instr, ops, n, wr, M_PACED, rates[k], &res) != 0)
				return 1;
			snprintf(label, sizeof label, "%" PRIu64 "k ops/s service", rates[k] / 1000);
			print_lat(label, &g_svc);
			snprintf(label, sizeof label, "%" PRIu64 "k ops/s response", rates[k] / 1000);
			print_lat(label, &g_rsp);
		}
	}
	printf("sink: %" PRIu64 " events, %" PRIu64 " ticks in the last run\n", g_ring.events, g_ring.ticks);
	fflush(stdout);
	free(ops);
	free(g_gen.depth);
	free(g_gen.slot_instr);
	free(g_gen.pos);
	free(g_gen.live);
	return 0;
}
