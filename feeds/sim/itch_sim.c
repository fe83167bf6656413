/* ITCH 5.0 session simulator: see itch_sim.h for the session layout and the
 * guarantees. Integer arithmetic only, so a seed gives the same bytes on every
 * machine. */
#include "feeds/sim/itch_sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000ull
#define MAX_TS_NS (86400ull * NS_PER_SEC - 1)
#define BROKEN_RING 256u
#define HALT_STEPS 4u /* H 'Q', I (cross 'H'), Q (cross 'H'), H 'T' */
#define MAX_HALTED 64u
#define PPM 1000000u

struct sim_order {
	uint64_t ref;
	uint32_t price;  /* ticks */
	uint32_t shares; /* > 0 while live */
	char side;       /* 'B' or 'S' */
};

struct sim_inst {
	struct sim_order *orders; /* dense, n_orders live ones */
	uint32_t n_orders;
	int64_t mid;              /* ticks */
	uint32_t best_bid, best_ask; /* ticks, 0 = no order on that side */
	uint8_t best_valid;
	uint8_t regime;
	uint8_t halted;           /* 1 while halted (through its resume steps) */
	uint8_t resume_step;      /* next resume step, 0..HALT_STEPS-1 */
	uint64_t halt_until;      /* body index when resuming starts */
	char sym[ITCH5_STOCK_LEN];
};

enum sim_phase {
	PH_START_MSGS,
	PH_DIRECTORY,
	PH_TRADING_ACTION,
	PH_SYSTEM_HOURS,
	PH_MARKET_OPEN,
	PH_BODY,
	PH_CLOSE_RESUME,
	PH_CLOSE_NOII,
	PH_CLOSE_CROSS,
	PH_MARKET_CLOSE,
	PH_SYSTEM_CLOSE,
	PH_END_MSGS,
	PH_DONE
};

struct itch_sim {
	struct itch_sim_cfg cfg;
	uint64_t rng[4];
	enum sim_phase phase;
	uint32_t idx;             /* instrument index within a per-instrument phase */
	uint64_t now_ns;
	uint64_t body_budget;     /* body messages when n_messages != 0 */
	uint64_t body_done;
	uint64_t next_ref;
	uint64_t next_match;
	uint64_t mix_total;
	int end_requested;
	int64_t mid_lo, mid_hi;   /* mid clamp, ticks */
	struct sim_inst *inst;
	struct sim_order *order_pool;
	uint16_t halted[MAX_HALTED]; /* instrument indexes, n_halted used */
	uint32_t n_halted;
	uint32_t pending_steps;   /* resume steps still owed by halted instruments */
	uint64_t broken[BROKEN_RING]; /* recent printable match numbers */
	uint32_t n_broken;
	struct itch_sim_stats st;
};

static const char k_tickers[][ITCH5_STOCK_LEN + 1] = {
	"AAPL    ", "MSFT    ", "AMZN    ", "NVDA    ", "GOOGL   ", "META    ",
	"TSLA    ", "AVGO    ", "COST    ", "PEP     ", "ADBE    ", "CSCO    ",
	"NFLX    ", "AMD     ", "INTC    ", "CMCSA   ", "TMUS    ", "QCOM    ",
	"TXN     ", "AMGN    ", "HON     ", "INTU    ", "SBUX    ", "GILD    ",
	"MDLZ    ", "ADP     ", "BKNG    ", "ISRG    ", "VRTX    ", "REGN    ",
	"PYPL    ", "MU      ",
};
#define N_TICKERS (sizeof(k_tickers) / sizeof(k_tickers[0]))

static const char k_mpids[][5] = { "GSCO", "MSCO", "JPMS", "CDRG", "NITE", "VIRT", "UBSS", "SBSH" };
#define N_MPIDS (sizeof(k_mpids) / sizeof(k_mpids[0]))

/* ---- random numbers: splitmix64 seeding a xoshiro256** generator ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t v, int k)
{
	return (v << k) | (v >> (64 - k));
}

static uint64_t rnd(struct itch_sim *s)
{
	uint64_t *r = s->rng;
	uint64_t out = rotl64(r[1] * 5, 7) * 9;
	uint64_t t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl64(r[3], 45);
	return out;
}

/* Uniform in [0, n); n > 0. */
static uint64_t rnd_below(struct itch_sim *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rnd(s) * n) >> 64);
}

static int chance_ppm(struct itch_sim *s, uint32_t ppm)
{
	return ppm && rnd_below(s, PPM) < ppm;
}

/* ---- configuration ---- */

void itch_sim_cfg_default(struct itch_sim_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->n_instruments = 16;
	cfg->n_messages = 100000;
	cfg->max_orders_per_instrument = 1024;
	cfg->start_ns = 3ull * 3600 * NS_PER_SEC;
	cfg->open_ns = 9ull * 3600 * NS_PER_SEC + 30ull * 60 * NS_PER_SEC;
	cfg->tick = 100;
	cfg->min_price_ticks = 1000;   /* $10 */
	cfg->max_price_ticks = 50000;  /* $500 */
	cfg->spread_ticks = 1;
	cfg->depth_ticks = 10;
	cfg->odd_lot_ppm = 80000;
	cfg->regimes[0] = (struct itch_sim_regime){ .move_ppm = 20000, .max_step_ticks = 1, .mean_gap_ns = 40000 };
	cfg->regimes[1] = (struct itch_sim_regime){ .move_ppm = 60000, .max_step_ticks = 1, .mean_gap_ns = 10000 };
	cfg->regimes[2] = (struct itch_sim_regime){ .move_ppm = 200000, .max_step_ticks = 3, .mean_gap_ns = 2000 };
	cfg->regime_switch_ppm = 2000;
	cfg->mix[ITCH_SIM_EV_ADD] = 3800;
	cfg->mix[ITCH_SIM_EV_ADD_MPID] = 400;
	cfg->mix[ITCH_SIM_EV_EXEC] = 700;
	cfg->mix[ITCH_SIM_EV_EXEC_PRICE] = 50;
	cfg->mix[ITCH_SIM_EV_CANCEL] = 500;
	cfg->mix[ITCH_SIM_EV_DELETE] = 2900;
	cfg->mix[ITCH_SIM_EV_REPLACE] = 1400;
	cfg->mix[ITCH_SIM_EV_TRADE] = 150;
	cfg->mix[ITCH_SIM_EV_CROSS] = 5;
	cfg->mix[ITCH_SIM_EV_BROKEN] = 5;
	cfg->mix[ITCH_SIM_EV_NOII] = 90;
	cfg->full_exec_ppm = 600000;
	cfg->halt_ppm = 20;
	cfg->halt_msgs = 500;
	cfg->max_halted = 2;
	cfg->real_tickers = 0;
}

uint64_t itch_sim_fixed_msgs(const struct itch_sim_cfg *cfg)
{
	return 2 * (2ull * cfg->n_instruments + 3);
}

int itch_sim_cfg_check(const struct itch_sim_cfg *cfg)
{
	uint64_t mix_total = 0;

	if (!cfg || cfg->n_instruments < 1 || cfg->n_instruments > ITCH_SIM_MAX_INSTRUMENTS)
		return -EINVAL;
	if (cfg->n_messages && cfg->n_messages < itch_sim_fixed_msgs(cfg))
		return -EINVAL;
	if (cfg->max_orders_per_instrument < 4 ||
	    cfg->max_orders_per_instrument > ITCH_SIM_MAX_ORDERS_PER_INSTRUMENT)
		return -EINVAL;
	if (cfg->open_ns < cfg->start_ns || cfg->open_ns > MAX_TS_NS)
		return -EINVAL;
	if (cfg->tick < 1 || cfg->spread_ticks < 1 || cfg->spread_ticks > 1000 || cfg->depth_ticks > 100000)
		return -EINVAL;
	if (cfg->min_price_ticks < 1 || cfg->max_price_ticks < cfg->min_price_ticks)
		return -EINVAL;
	/* The mid must keep room for spread and depth on both sides, and twice
	 * the highest start price must still be a Price(4). */
	if ((uint64_t)cfg->min_price_ticks <= (uint64_t)cfg->spread_ticks + cfg->depth_ticks + 2)
		return -EINVAL;
	if ((uint64_t)cfg->max_price_ticks * 2 * cfg->tick > UINT32_MAX)
		return -EINVAL;
	if (cfg->odd_lot_ppm > PPM || cfg->full_exec_ppm > PPM || cfg->halt_ppm > PPM ||
	    cfg->regime_switch_ppm > PPM)
		return -EINVAL;
	for (unsigned i = 0; i < ITCH_SIM_N_REGIMES; i++) {
		const struct itch_sim_regime *r = &cfg->regimes[i];
		if (r->move_ppm > PPM || r->max_step_ticks < 1 || r->max_step_ticks > 1000 ||
		    r->mean_gap_ns < 1 || r->mean_gap_ns > 4 * NS_PER_SEC)
			return -EINVAL;
	}
	for (unsigned i = 0; i < ITCH_SIM_EV__COUNT; i++)
		mix_total += cfg->mix[i];
	if (mix_total == 0)
		return -EINVAL;
	if (cfg->max_halted > MAX_HALTED || (cfg->max_halted && cfg->halt_msgs < 1))
		return -EINVAL;
	return 0;
}

/* ---- life cycle ---- */

int itch_sim_create(const struct itch_sim_cfg *cfg, struct itch_sim **out)
{
	struct itch_sim *s;
	uint64_t seed;
	int rc = itch_sim_cfg_check(cfg);

	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->inst = calloc(cfg->n_instruments, sizeof(*s->inst));
	s->order_pool = calloc((size_t)cfg->n_instruments * cfg->max_orders_per_instrument,
			       sizeof(*s->order_pool));
	if (!s->inst || !s->order_pool) {
		itch_sim_destroy(s);
		return -ENOMEM;
	}
	seed = cfg->seed;
	for (unsigned i = 0; i < 4; i++)
		s->rng[i] = splitmix64(&seed);

	for (unsigned i = 0; i < ITCH_SIM_EV__COUNT; i++)
		s->mix_total += cfg->mix[i];
	s->mid_lo = (int64_t)cfg->spread_ticks + cfg->depth_ticks + 2;
	s->mid_hi = (int64_t)(UINT32_MAX / cfg->tick) - (int64_t)cfg->spread_ticks - cfg->depth_ticks - 2;
	s->body_budget = cfg->n_messages ? cfg->n_messages - itch_sim_fixed_msgs(cfg) : 0;
	s->next_ref = 0;
	s->next_match = 0;
	s->now_ns = cfg->start_ns;
	s->phase = PH_START_MSGS;

	for (uint32_t i = 0; i < cfg->n_instruments; i++) {
		struct sim_inst *in = &s->inst[i];
		char tmp[16];

		in->orders = s->order_pool + (size_t)i * cfg->max_orders_per_instrument;
		in->mid = cfg->min_price_ticks +
			  (int64_t)rnd_below(s, (uint64_t)cfg->max_price_ticks - cfg->min_price_ticks + 1);
		in->regime = 1;
		in->best_valid = 1;
		if (cfg->real_tickers && i < N_TICKERS) {
			memcpy(in->sym, k_tickers[i], ITCH5_STOCK_LEN);
		} else {
			/* "SIM0001 " .. "SIM9999 ", beyond that "SI10000 " .. "SI65535 " */
			if (i + 1 <= 9999)
				snprintf(tmp, sizeof(tmp), "SIM%04u ", i + 1);
			else
				snprintf(tmp, sizeof(tmp), "SI%05u ", i + 1);
			memcpy(in->sym, tmp, ITCH5_STOCK_LEN);
		}
	}
	*out = s;
	return 0;
}

void itch_sim_destroy(struct itch_sim *s)
{
	if (!s)
		return;
	free(s->order_pool);
	free(s->inst);
	free(s);
}

const char *itch_sim_symbol(const struct itch_sim *s, uint16_t locate)
{
	if (!s || locate < 1 || locate > s->cfg.n_instruments)
		return NULL;
	return s->inst[locate - 1].sym;
}

void itch_sim_get_stats(const struct itch_sim *s, struct itch_sim_stats *out)
{
	*out = s->st;
	out->live_orders = 0;
	for (uint32_t i = 0; i < s->cfg.n_instruments; i++)
		out->live_orders += s->inst[i].n_orders;
}

void itch_sim_end(struct itch_sim *s)
{
	s->end_requested = 1;
}

/* ---- book helpers ---- */

static void best_refresh(struct sim_inst *in)
{
	uint32_t bb = 0, ba = 0;

	for (uint32_t k = 0; k < in->n_orders; k++) {
		const struct sim_order *o = &in->orders[k];
		if (o->side == 'B') {
			if (o->price > bb)
				bb = o->price;
		} else if (ba == 0 || o->price < ba) {
			ba = o->price;
		}
	}
	in->best_bid = bb;
	in->best_ask = ba;
	in->best_valid = 1;
}

static void best_get(struct sim_inst *in, uint32_t *bb, uint32_t *ba)
{
	if (!in->best_valid)
		best_refresh(in);
	*bb = in->best_bid;
	*ba = in->best_ask;
}

static void book_insert(struct sim_inst *in, const struct sim_order *o)
{
	in->orders[in->n_orders++] = *o;
	if (in->best_valid) {
		if (o->side == 'B' && o->price > in->best_bid)
			in->best_bid = o->price;
		if (o->side == 'S' && (in->best_ask == 0 || o->price < in->best_ask))
			in->best_ask = o->price;
	}
}

static void book_remove(struct sim_inst *in, uint32_t k)
{
	const struct sim_order *o = &in->orders[k];

	if ((o->side == 'B' && o->price == in->best_bid) ||
	    (o->side == 'S' && o->price == in->best_ask))
		in->best_valid = 0;
	in->orders[k] = in->orders[--in->n_orders];
}

/* Price for a new order on side: near the touch of the mid, never crossing
 * the other side of the book. */
static uint32_t add_price(struct itch_sim *s, struct sim_inst *in, char side)
{
	uint32_t spread = s->cfg.spread_ticks;
	uint32_t lo = (spread + 1) / 2, hi = spread - lo;
	uint32_t depth = 0, bb, ba;
	int64_t p;

	/* geometric: half of the adds at the touch, a quarter one tick behind... */
	while (depth < s->cfg.depth_ticks && (rnd(s) & 1))
		depth++;
	best_get(in, &bb, &ba);
	if (side == 'B') {
		p = in->mid - lo - depth;
		if (ba && p >= ba)
			p = (int64_t)ba - 1;
	} else {
		p = in->mid + hi + depth;
		if (bb && p <= bb)
			p = (int64_t)bb + 1;
	}
	if (p < 1)
		p = 1;
	return (uint32_t)p;
}

static uint32_t draw_shares(struct itch_sim *s)
{
	if (chance_ppm(s, s->cfg.odd_lot_ppm))
		return 1 + (uint32_t)rnd_below(s, 99);
	if (rnd_below(s, 20) == 0)
		return 100 * (10 + (uint32_t)rnd_below(s, 91)); /* block: 1000..10000 */
	return 100 * (1 + (uint32_t)rnd_below(s, 10));
}

static void move_mid(struct itch_sim *s, struct sim_inst *in)
{
	const struct itch_sim_regime *r;

	if (chance_ppm(s, s->cfg.regime_switch_ppm))
		in->regime = (uint8_t)rnd_below(s, ITCH_SIM_N_REGIMES);
	r = &s->cfg.regimes[in->regime];
	if (chance_ppm(s, r->move_ppm)) {
		int64_t step = 1 + (int64_t)rnd_below(s, r->max_step_ticks);
		in->mid += (rnd(s) & 1) ? step : -step;
		if (in->mid < s->mid_lo)
			in->mid = s->mid_lo;
		if (in->mid > s->mid_hi)
			in->mid = s->mid_hi;
	}
}

static uint32_t px4(const struct itch_sim *s, int64_t ticks)
{
	return (uint32_t)ticks * s->cfg.tick;
}

static void remember_match(struct itch_sim *s, uint64_t match)
{
	if (s->n_broken < BROKEN_RING)
		s->broken[s->n_broken++] = match;
	else
		s->broken[rnd_below(s, BROKEN_RING)] = match;
}

/* ---- message builders ---- */

static void msg_head(struct itch_sim *s, struct itch5_msg *m, uint8_t type, uint16_t locate)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->stock_locate = locate;
	m->tracking = 0;
	m->timestamp = s->now_ns;
}

static void advance_clock(struct itch_sim *s, uint64_t gap)
{
	if (gap < 1)
		gap = 1;
	if (s->now_ns + gap > MAX_TS_NS)
		s->now_ns = MAX_TS_NS;
	else
		s->now_ns += gap;
}

/* Gap around mean: a quarter of the gaps are bursts (up to mean/8), the rest
 * uniform in [1, 2*mean]. */
static uint64_t draw_gap(struct itch_sim *s, uint32_t mean)
{
	if ((rnd(s) & 3) == 0)
		return 1 + rnd_below(s, mean / 8 + 1);
	return 1 + rnd_below(s, 2ull * mean);
}

static void mk_system(struct itch_sim *s, struct itch5_msg *m, char code)
{
	msg_head(s, m, ITCH5_SYSTEM_EVENT, 0);
	m->u.system_event.event_code = code;
}

static void mk_directory(struct itch_sim *s, struct itch5_msg *m, uint32_t i)
{
	struct itch5_stock_directory *d = &m->u.stock_directory;

	msg_head(s, m, ITCH5_STOCK_DIRECTORY, (uint16_t)(i + 1));
	memcpy(d->stock, s->inst[i].sym, ITCH5_STOCK_LEN);
	d->market_category = 'Q';
	d->financial_status = 'N';
	d->round_lot_size = 100;
	d->round_lots_only = 'N';
	d->issue_classification = 'C';
	d->issue_sub_type[0] = 'Z';
	d->issue_sub_type[1] = ' ';
	d->authenticity = 'P';
	d->short_sale_threshold = 'N';
	d->ipo_flag = 'N';
	d->luld_ref_price_tier = '1';
	d->etp_flag = 'N';
	d->etp_leverage_factor = 0;
	d->inverse_indicator = 'N';
}

static void mk_trading_action(struct itch_sim *s, struct itch5_msg *m, uint32_t i,
			      char state, const char reason[4])
{
	struct itch5_trading_action *t = &m->u.trading_action;

	msg_head(s, m, ITCH5_TRADING_ACTION, (uint16_t)(i + 1));
	memcpy(t->stock, s->inst[i].sym, ITCH5_STOCK_LEN);
	t->trading_state = state;
	t->reserved = ' ';
	memcpy(t->reason, reason, 4);
}

static void mk_noii(struct itch_sim *s, struct itch5_msg *m, uint32_t i, char cross_type)
{
	static const char dirs[] = { 'B', 'S', 'N', 'O' };
	struct itch5_noii *n = &m->u.noii;
	struct sim_inst *in = &s->inst[i];

	msg_head(s, m, ITCH5_NOII, (uint16_t)(i + 1));
	n->paired_shares = 100 * (1 + rnd_below(s, 5000));
	n->imbalance_shares = 100 * rnd_below(s, 1000);
	n->imbalance_direction = n->imbalance_shares ? dirs[rnd_below(s, 2)] : dirs[2 + rnd_below(s, 2)];
	memcpy(n->stock, in->sym, ITCH5_STOCK_LEN);
	n->ref_price = px4(s, in->mid);
	n->near_price = px4(s, in->mid + (int64_t)rnd_below(s, 3) - 1);
	n->far_price = px4(s, in->mid + (int64_t)rnd_below(s, 5) - 2);
	n->cross_type = cross_type;
	n->price_variation = 'L';
}

static void mk_cross(struct itch_sim *s, struct itch5_msg *m, uint32_t i, char cross_type)
{
	struct itch5_cross_trade *c = &m->u.cross;
	struct sim_inst *in = &s->inst[i];

	msg_head(s, m, ITCH5_CROSS_TRADE, (uint16_t)(i + 1));
	c->shares = 100 * (1 + rnd_below(s, 20000));
	memcpy(c->stock, in->sym, ITCH5_STOCK_LEN);
	c->price = px4(s, in->mid);
	c->match_number = ++s->next_match;
	c->cross_type = cross_type;
	remember_match(s, c->match_number);
}

/* ---- body events ---- */

static void ev_add(struct itch_sim *s, struct itch5_msg *m, uint32_t i, int mpid)
{
	struct sim_inst *in = &s->inst[i];
	struct itch5_add_order *a = &m->u.add;
	struct sim_order o;

	o.ref = ++s->next_ref;
	o.side = (rnd(s) & 1) ? 'B' : 'S';
	o.price = add_price(s, in, o.side);
	o.shares = draw_shares(s);
	book_insert(in, &o);

	msg_head(s, m, mpid ? ITCH5_ADD_ORDER_MPID : ITCH5_ADD_ORDER, (uint16_t)(i + 1));
	a->order_ref = o.ref;
	a->side = o.side;
	a->shares = o.shares;
	memcpy(a->stock, in->sym, ITCH5_STOCK_LEN);
	a->price = px4(s, o.price);
	if (mpid)
		memcpy(a->attribution, k_mpids[rnd_below(s, N_MPIDS)], 4);
	else
		memcpy(a->attribution, "    ", 4);
}

static void ev_delete(struct itch_sim *s, struct itch5_msg *m, uint32_t i)
{
	struct sim_inst *in = &s->inst[i];
	uint32_t k = (uint32_t)rnd_below(s, in->n_orders);

	msg_head(s, m, ITCH5_ORDER_DELETE, (uint16_t)(i + 1));
	m->u.del.order_ref = in->orders[k].ref;
	book_remove(in, k);
}

static void ev_cancel(struct itch_sim *s, struct itch5_msg *m, uint32_t i)
{
	struct sim_inst *in = &s->inst[i];
	uint32_t k = (uint32_t)rnd_below(s, in->n_orders);
	struct sim_order *o = &in->orders[k];
	uint32_t n;

	if (o->shares < 2) {
		msg_head(s, m, ITCH5_ORDER_DELETE, (uint16_t)(i + 1));
		m->u.del.order_ref = o->ref;
		book_remove(in, k);
		return;
	}
	n = 1 + (uint32_t)rnd_below(s, o->shares - 1);
	o->shares -= n;
	msg_head(s, m, ITCH5_ORDER_CANCEL, (uint16_t)(i + 1));
	m->u.cancel.order_ref = o->ref;
	m->u.cancel.shares = n;
}

static void ev_replace(struct itch_sim *s, struct itch5_msg *m, uint32_t i)
{
	struct sim_inst *in = &s->inst[i];
	uint32_t k = (uint32_t)rnd_below(s, in->n_orders);
	struct sim_order o = in->orders[k];
	struct itch5_order_replace *u = &m->u.replace;

	msg_head(s, m, ITCH5_ORDER_REPLACE, (uint16_t)(i + 1));
	u->orig_order_ref = o.ref;
	book_remove(in, k);
	o.ref = ++s->next_ref;
	o.price = add_price(s, in, o.side);
	o.shares = draw_shares(s);
	book_insert(in, &o);
	u->new_order_ref = o.ref;
	u->shares = o.shares;
	u->price = px4(s, o.price);
}

/* Execute the oldest order at the best price of the side the flow hits. */
static void ev_exec(struct itch_sim *s, struct itch5_msg *m, uint32_t i, int with_price)
{
	struct sim_inst *in = &s->inst[i];
	struct itch5_order_executed *e = &m->u.exec;
	uint32_t bb, ba, best, k_best = UINT32_MAX, n;
	char side;

	best_get(in, &bb, &ba);
	if (bb && ba) {
		if (ba <= in->mid)
			side = 'S';
		else if (bb >= in->mid)
			side = 'B';
		else
			side = (rnd(s) & 1) ? 'B' : 'S';
	} else {
		side = bb ? 'B' : 'S';
	}
	best = side == 'B' ? bb : ba;
	for (uint32_t k = 0; k < in->n_orders; k++) {
		const struct sim_order *o = &in->orders[k];
		if (o->side == side && o->price == best &&
		    (k_best == UINT32_MAX || o->ref < in->orders[k_best].ref))
			k_best = k;
	}
	if (k_best == UINT32_MAX) { /* unreachable: best_get() saw an order there */
		ev_add(s, m, i, 0);
		return;
	}
	struct sim_order *o = &in->orders[k_best];
	if (o->shares < 2 || chance_ppm(s, s->cfg.full_exec_ppm))
		n = o->shares;
	else
		n = 1 + (uint32_t)rnd_below(s, o->shares - 1);

	msg_head(s, m, with_price ? ITCH5_ORDER_EXECUTED_PRICE : ITCH5_ORDER_EXECUTED, (uint16_t)(i + 1));
	e->order_ref = o->ref;
	e->shares = n;
	e->match_number = ++s->next_match;
	if (with_price) {
		int64_t px = o->price;
		/* a price other than the displayed one, inside the resting order's limit */
		if (rnd(s) & 1)
			px += o->side == 'B' ? -1 : 1;
		if (px < 1)
			px = 1;
		e->printable = rnd_below(s, 10) ? 'Y' : 'N';
		e->price = px4(s, px);
	} else {
		e->printable = 'Y';
	}
	if (e->printable == 'Y')
		remember_match(s, e->match_number);
	o->shares -= n;
	if (o->shares == 0)
		book_remove(in, k_best);
}

static void ev_trade(struct itch_sim *s, struct itch5_msg *m, uint32_t i)
{
	struct sim_inst *in = &s->inst[i];
	struct itch5_trade *t = &m->u.trade;
	uint32_t bb, ba;
	int64_t px = in->mid;

	best_get(in, &bb, &ba);
	if (ba && px >= ba)
		px = ba;
	if (bb && px <= bb)
		px = bb;
	msg_head(s, m, ITCH5_TRADE, (uint16_t)(i + 1));
	t->order_ref = 0;
	t->side = 'B';
	t->shares = draw_shares(s);
	memcpy(t->stock, in->sym, ITCH5_STOCK_LEN);
	t->price = px4(s, px);
	t->match_number = ++s->next_match;
	remember_match(s, t->match_number);
}

static void ev_broken(struct itch_sim *s, struct itch5_msg *m)
{
	uint32_t k = (uint32_t)rnd_below(s, s->n_broken);

	msg_head(s, m, ITCH5_BROKEN_TRADE, 0);
	m->u.broken.match_number = s->broken[k];
	s->broken[k] = s->broken[--s->n_broken];
}

/* ---- halts ---- */

static void halt_start(struct itch_sim *s, struct itch5_msg *m, uint32_t i)
{
	struct sim_inst *in = &s->inst[i];

	in->halted = 1;
	in->resume_step = 0;
	in->halt_until = s->body_done + s->cfg.halt_msgs;
	s->halted[s->n_halted++] = (uint16_t)i;
	s->pending_steps += HALT_STEPS;
	s->st.halts++;
	mk_trading_action(s, m, i, 'H', "T1  ");
}

/* Emit the next resume step of halted instrument slot h. */
static void halt_step(struct itch_sim *s, struct itch5_msg *m, uint32_t h)
{
	uint32_t i = s->halted[h];
	struct sim_inst *in = &s->inst[i];

	switch (in->resume_step) {
	case 0:
		mk_trading_action(s, m, i, 'Q', "T1  ");
		break;
	case 1:
		mk_noii(s, m, i, 'H');
		break;
	case 2:
		mk_cross(s, m, i, 'H');
		break;
	default:
		mk_trading_action(s, m, i, 'T', "    ");
		in->halted = 0;
		s->halted[h] = s->halted[--s->n_halted];
		break;
	}
	in->resume_step++;
	s->pending_steps--;
}

static uint64_t body_left(const struct itch_sim *s)
{
	return s->body_budget - s->body_done;
}

static int pick_event(struct itch_sim *s)
{
	uint64_t r = rnd_below(s, s->mix_total);

	for (int e = 0; e < ITCH_SIM_EV__COUNT; e++) {
		if (r < s->cfg.mix[e])
			return e;
		r -= s->cfg.mix[e];
	}
	return ITCH_SIM_EV_ADD;
}

static void body_next(struct itch_sim *s, struct itch5_msg *m)
{
	uint32_t i = (uint32_t)rnd_below(s, s->cfg.n_instruments);
	struct sim_inst *in = &s->inst[i];
	int bounded = s->cfg.n_messages != 0;
	int ev;

	advance_clock(s, draw_gap(s, s->cfg.regimes[in->regime].mean_gap_ns));
	s->body_done++;

	/* 1. resume steps that are due, or owed before the body budget runs out */
	for (uint32_t h = 0; h < s->n_halted; h++) {
		if (s->inst[s->halted[h]].halt_until <= s->body_done ||
		    (bounded && body_left(s) + 1 <= s->pending_steps)) {
			halt_step(s, m, h);
			return;
		}
	}
	/* 2. a new halt, only if its resume fits in the budget */
	if (s->n_halted < s->cfg.max_halted && chance_ppm(s, s->cfg.halt_ppm) && !in->halted &&
	    (!bounded || body_left(s) > (uint64_t)s->pending_steps + HALT_STEPS + 1)) {
		halt_start(s, m, i);
		return;
	}
	move_mid(s, in);
	ev = pick_event(s);
	if (in->halted) {
		/* halted: only cancels and deletes; nothing to cancel resumes early */
		if (in->n_orders == 0) {
			for (uint32_t h = 0; h < s->n_halted; h++)
				if (s->halted[h] == i) {
					halt_step(s, m, h);
					return;
				}
		}
		if (ev == ITCH_SIM_EV_CANCEL)
			ev_cancel(s, m, i);
		else
			ev_delete(s, m, i);
		return;
	}
	if (ev == ITCH_SIM_EV_BROKEN && s->n_broken == 0) {
		ev = ITCH_SIM_EV_ADD;
		s->st.add_fallbacks++;
	}
	if (in->n_orders == 0 && (ev == ITCH_SIM_EV_EXEC || ev == ITCH_SIM_EV_EXEC_PRICE ||
				  ev == ITCH_SIM_EV_CANCEL || ev == ITCH_SIM_EV_DELETE ||
				  ev == ITCH_SIM_EV_REPLACE)) {
		ev = ITCH_SIM_EV_ADD;
		s->st.add_fallbacks++;
	}
	/* Crowded books shed orders: an add becomes a delete with probability
	 * n_orders / capacity, which keeps book sizes mean-reverting below it. */
	if ((ev == ITCH_SIM_EV_ADD || ev == ITCH_SIM_EV_ADD_MPID) && in->n_orders &&
	    (in->n_orders >= s->cfg.max_orders_per_instrument ||
	     rnd_below(s, s->cfg.max_orders_per_instrument) < in->n_orders)) {
		ev = ITCH_SIM_EV_DELETE;
		s->st.delete_fallbacks++;
	}
	switch (ev) {
	case ITCH_SIM_EV_ADD:        ev_add(s, m, i, 0); break;
	case ITCH_SIM_EV_ADD_MPID:   ev_add(s, m, i, 1); break;
	case ITCH_SIM_EV_EXEC:       ev_exec(s, m, i, 0); break;
	case ITCH_SIM_EV_EXEC_PRICE: ev_exec(s, m, i, 1); break;
	case ITCH_SIM_EV_CANCEL:     ev_cancel(s, m, i); break;
	case ITCH_SIM_EV_DELETE:     ev_delete(s, m, i); break;
	case ITCH_SIM_EV_REPLACE:    ev_replace(s, m, i); break;
	case ITCH_SIM_EV_TRADE:      ev_trade(s, m, i); break;
	case ITCH_SIM_EV_CROSS:      mk_cross(s, m, i, 'I'); break;
	case ITCH_SIM_EV_BROKEN:     ev_broken(s, m); break;
	default:                     mk_noii(s, m, i, 'C'); break;
	}
}

/* ---- session driver ---- */

int itch_sim_next(struct itch_sim *s, struct itch5_msg *m)
{
	const uint64_t step = 1000; /* 1 us between preamble / closing messages */

	switch (s->phase) {
	case PH_START_MSGS:
		mk_system(s, m, 'O');
		s->phase = PH_DIRECTORY;
		s->idx = 0;
		break;
	case PH_DIRECTORY:
		advance_clock(s, step);
		mk_directory(s, m, s->idx);
		if (++s->idx == s->cfg.n_instruments) {
			s->phase = PH_TRADING_ACTION;
			s->idx = 0;
		}
		break;
	case PH_TRADING_ACTION:
		advance_clock(s, step);
		mk_trading_action(s, m, s->idx, 'T', "    ");
		if (++s->idx == s->cfg.n_instruments)
			s->phase = PH_SYSTEM_HOURS;
		break;
	case PH_SYSTEM_HOURS:
		advance_clock(s, step);
		mk_system(s, m, 'S');
		s->phase = PH_MARKET_OPEN;
		break;
	case PH_MARKET_OPEN:
		advance_clock(s, s->now_ns + step < s->cfg.open_ns ? s->cfg.open_ns - s->now_ns : step);
		mk_system(s, m, 'Q');
		s->phase = PH_BODY;
		break;
	case PH_BODY:
		if (s->end_requested || (s->cfg.n_messages && body_left(s) == 0)) {
			s->phase = PH_CLOSE_RESUME;
			return itch_sim_next(s, m);
		}
		body_next(s, m);
		break;
	case PH_CLOSE_RESUME:
		if (s->n_halted == 0) {
			s->phase = PH_CLOSE_NOII;
			s->idx = 0;
			return itch_sim_next(s, m);
		}
		advance_clock(s, step);
		halt_step(s, m, 0);
		break;
	case PH_CLOSE_NOII:
		advance_clock(s, step);
		mk_noii(s, m, s->idx, 'C');
		s->phase = PH_CLOSE_CROSS;
		break;
	case PH_CLOSE_CROSS:
		advance_clock(s, step);
		mk_cross(s, m, s->idx, 'C');
		s->phase = ++s->idx == s->cfg.n_instruments ? PH_MARKET_CLOSE : PH_CLOSE_NOII;
		break;
	case PH_MARKET_CLOSE:
		advance_clock(s, step);
		mk_system(s, m, 'M');
		s->phase = PH_SYSTEM_CLOSE;
		break;
	case PH_SYSTEM_CLOSE:
		advance_clock(s, step);
		mk_system(s, m, 'E');
		s->phase = PH_END_MSGS;
		break;
	case PH_END_MSGS:
		advance_clock(s, step);
		mk_system(s, m, 'C');
		s->phase = PH_DONE;
		break;
	default:
		return 0;
	}
	s->st.msgs++;
	s->st.by_type[m->type]++;
	return 1;
}

int itch_sim_next_encoded(struct itch_sim *s, uint8_t *buf, size_t cap)
{
	struct itch5_msg m;
	int rc;

	if (cap < ITCH5_MAX_MSG_LEN)
		return -ENOSPC;
	rc = itch_sim_next(s, &m);
	if (rc <= 0)
		return rc;
	return itch5_encode(buf, cap, &m);
}
