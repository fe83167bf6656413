/* Unit tests: dataplane/me pre-trade risk (risk.h) in front of the engine. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/me/risk.h"

#define C(cents) ((int64_t)(cents) * 1000000LL)
#define MS 1000000ull
#define MAX_EV 512

static struct me_event g_ev[MAX_EV];
static size_t g_n, g_ticks;
static struct me_engine *g_e;
static struct risk *g_r;
static uint32_t g_i0, g_i1;
static uint64_t g_now = 1000 * MS; /* fake clock, ns */

static void rec_event(void *ctx, const struct me_event *ev)
{
	(void)ctx;
	if (g_n < MAX_EV)
		g_ev[g_n++] = *ev;
}

static void rec_tick(void *ctx, const struct md_tick *t)
{
	(void)ctx;
	(void)t;
	g_ticks++;
}

static const struct me_event *last(void)
{
	assert_true(g_n > 0);
	return &g_ev[g_n - 1];
}

static size_t count(uint16_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < g_n; i++)
		n += g_ev[i].type == type;
	return n;
}

static const struct risk_config g_cfg = {
	.max_sessions = 4, .max_accounts = 4, .max_tenants = 3, .max_instruments = 2,
	.account_default = { .max_order_qty = 1000, .max_open_orders = 6,
		.max_order_notional = C(10000) * 500, .credit_limit = 0 },
	.session_default = { .max_open_orders = 5 },
	.collar_bps = 0,
};

static int setup(void **state)
{
	(void)state;
	g_n = g_ticks = 0;
	struct me_config mc = { .max_orders = 64, .max_instruments = 2, .stp_default = ME_STP_NONE,
		.sink = { .on_event = rec_event, .on_tick = rec_tick } };
	g_e = me_create(&mc);
	assert_non_null(g_e);
	struct me_instrument_cfg ic = { .symbol = "AAA     ", .px_min = C(100), .px_max = C(20000),
		.tick_size = C(1), .lot_size = 1, .ref_px = ORION_PX_NONE };
	assert_int_equal(me_add_instrument(g_e, &ic, &g_i0), 0);
	assert_int_equal(me_add_instrument(g_e, &ic, &g_i1), 0);
	g_r = risk_create(&g_cfg, g_e);
	assert_non_null(g_r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	risk_destroy(g_r);
	me_destroy(g_e);
	return 0;
}

struct ord {
	uint32_t instr, session, account, tenant;
	uint8_t side, type, tif, day; /* tif 0: GTC; day: ME_DAY (which is 0) */
	int64_t px;
	uint32_t qty;
};

static int submit(const struct ord *o, uint64_t *id)
{
	struct me_new_order r = { .instrument_id = o->instr, .session_id = o->session,
		.account_id = o->account, .tenant_id = o->tenant, .price = o->px, .qty = o->qty,
		.side = o->side ? o->side : ME_BUY, .type = o->type ? o->type : ME_LIMIT,
		.tif = o->day ? ME_DAY : o->tif ? o->tif : ME_GTC };
	size_t first = g_n;
	int rc = risk_new_order(g_r, &r, g_now);
	if (id) {
		*id = 0;
		for (size_t i = first; i < g_n; i++)
			if (g_ev[i].type == ME_EV_ACCEPTED)
				*id = g_ev[i].u.order.order_id;
	}
	return rc;
}

static int64_t used(uint32_t account, uint32_t *open)
{
	int64_t u;
	assert_int_equal(risk_account_usage(g_r, account, &u, open), 0);
	return u;
}

static int cmd(uint16_t type, uint8_t scope, uint8_t flags, uint32_t id, const void *u, size_t ulen)
{
	struct risk_cmd c = { .type = type, .scope = scope, .flags = flags, .id = id };
	if (u)
		memcpy(&c.u, u, ulen);
	return risk_apply_cmd(g_r, &c);
}

static void set_ref(uint32_t instr, int64_t px)
{
	assert_int_equal(cmd(RISK_CMD_REF_PRICE, 0, 0, instr, &px, sizeof px), 0);
}

/* ---- per-order limits ------------------------------------------------------ */

static void risk__max_order_qty__rejects_above_limit(void **state)
{
	(void)state;
	struct ord o = { .px = C(100), .qty = 1001 };
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_MAX_QTY);
	assert_int_equal(last()->type, ME_EV_REJECTED);
	assert_int_equal(last()->reason, ME_REJ_RISK_MAX_QTY);
	assert_int_equal(last()->u.order.qty, 1001);
	assert_string_equal(me_reject_text(last()->reason), "risk: order quantity above limit");
	assert_int_equal(risk_get_stats(g_r)->rejects[ME_REJ_RISK_MAX_QTY], 1);
	assert_int_equal(me_get_stats(g_e)->accepted, 0);
	o.qty = 1000;
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(risk_get_stats(g_r)->passed, 1);
}

static void risk__max_notional__rejects_above_limit(void **state)
{
	(void)state;
	/* limit 500 × 100.00 */
	struct ord o = { .px = C(10001), .qty = 500 };
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_MAX_NOTIONAL);
	o.px = C(10000);
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(risk_get_stats(g_r)->rejects[ME_REJ_RISK_MAX_NOTIONAL], 1);
}

static void risk__price_collar__configured_reference_then_last_trade(void **state)
{
	(void)state;
	uint32_t bps = 100; /* 1 % */
	assert_int_equal(cmd(RISK_CMD_COLLAR, 0, 0, g_i0, &bps, sizeof bps), 0);
	struct ord o = { .px = C(5000), .qty = 1 };
	assert_int_equal(submit(&o, NULL), 0); /* no reference yet: collar inactive */
	set_ref(g_i0, C(10000));
	o.px = C(10101);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_PRICE_COLLAR);
	o.px = C(10100);
	o.side = ME_SELL;
	o.account = 1;
	assert_int_equal(submit(&o, NULL), 0); /* rests: bid at 50.00 only */
	o.px = C(9900);
	o.side = ME_BUY;
	o.account = 2;
	assert_int_equal(submit(&o, NULL), 0);
	o.px = C(9899);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_PRICE_COLLAR);
	/* a trade at 101.00 moves the reference */
	o.px = C(10100);
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(risk_ref_price(g_r, g_i0), C(10100));
	o.px = C(10202); /* 1 % of 101.00 = 1.01 */
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_PRICE_COLLAR);
	o.px = C(10201);
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(risk_get_stats(g_r)->rejects[ME_REJ_RISK_PRICE_COLLAR], 3);
	/* other instrument has its own collar (still 0 = off) */
	o.instr = g_i1;
	o.px = C(19000);
	assert_int_equal(submit(&o, NULL), 0);
}

static void risk__market_without_reference__rejected_when_notional_limited(void **state)
{
	(void)state;
	struct ord s = { .side = ME_SELL, .px = C(10000), .qty = 10, .account = 1 };
	assert_int_equal(submit(&s, NULL), 0);
	struct ord m = { .type = ME_MARKET, .tif = ME_IOC, .qty = 5, .account = 2 };
	assert_int_equal(submit(&m, NULL), ME_REJ_RISK_NO_REFERENCE);
	set_ref(g_i0, C(10000));
	assert_int_equal(submit(&m, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 1);
	uint32_t open;
	assert_int_equal(used(2, &open), 0);
	assert_int_equal(open, 0);
}

/* ---- open orders ------------------------------------------------------------ */

static void risk__session_open_orders__limit_and_release_on_cancel(void **state)
{
	(void)state;
	struct ord o = { .px = C(9000), .qty = 1, .session = 1 };
	uint64_t id = 0, first = 0;
	for (int i = 0; i < 5; i++) {
		o.account = (uint32_t)(i % 2); /* account limit 6 not reached */
		assert_int_equal(submit(&o, &id), 0);
		if (!first)
			first = id;
	}
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_SESSION_OPEN_ORDERS);
	uint32_t open;
	assert_int_equal(risk_session_open_orders(g_r, 1, &open), 0);
	assert_int_equal(open, 5);
	o.session = 2;
	assert_int_equal(submit(&o, NULL), 0); /* other session unaffected */
	struct me_cancel_req c = { .order_id = first, .session_id = 1 };
	assert_int_equal(risk_cancel(g_r, &c, g_now), 0);
	o.session = 1;
	assert_int_equal(submit(&o, NULL), 0);
	/* an IOC order counts while it works and is released when done */
	o.tif = ME_IOC;
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_SESSION_OPEN_ORDERS);
	o.session = 3;
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(risk_session_open_orders(g_r, 3, &open), 0);
	assert_int_equal(open, 0);
}

static void risk__account_open_orders__limit_across_sessions(void **state)
{
	(void)state;
	struct ord o = { .px = C(9000), .qty = 1, .account = 3 };
	for (uint32_t i = 0; i < 6; i++) {
		o.session = i % 4;
		assert_int_equal(submit(&o, NULL), 0);
	}
	o.session = 3;
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_ACCOUNT_OPEN_ORDERS);
	/* fills release the count: a seller takes two orders out */
	struct ord s = { .side = ME_SELL, .px = C(9000), .qty = 2, .account = 0, .tif = ME_IOC };
	assert_int_equal(submit(&s, NULL), 0);
	uint32_t open;
	used(3, &open);
	assert_int_equal(open, 4);
	assert_int_equal(submit(&o, NULL), 0);
}

/* ---- rate ------------------------------------------------------------------- */

static void risk__token_bucket__burst_then_refill_with_fake_clock(void **state)
{
	(void)state;
	struct risk_account_limits al = { .max_order_qty = 1000 }; /* no open-order cap here */
	assert_int_equal(cmd(RISK_CMD_ACCOUNT_LIMITS, 0, 0, 1, &al, sizeof al), 0);
	struct risk_session_limits sl = { .max_open_orders = 0, .rate_per_s = 10, .burst = 3 };
	assert_int_equal(cmd(RISK_CMD_SESSION_LIMITS, 0, 0, 1, &sl, sizeof sl), 0);
	struct ord o = { .px = C(9000), .qty = 1, .session = 1, .account = 1 };
	uint64_t id = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(submit(&o, &id), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_RATE);
	/* cancels are not throttled */
	struct me_cancel_req c = { .order_id = id, .session_id = 1 };
	assert_int_equal(risk_cancel(g_r, &c, g_now), 0);
	g_now += 99 * MS;
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_RATE);
	g_now += 1 * MS; /* 100 ms: one token */
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_RATE);
	g_now += 10000 * MS; /* long idle: capped at burst */
	for (int i = 0; i < 3; i++)
		assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_RATE);
	assert_int_equal(risk_get_stats(g_r)->rejects[ME_REJ_RISK_RATE], 4);
	/* other sessions keep the (unlimited) default */
	o.session = 2;
	for (int i = 0; i < 5; i++)
		assert_int_equal(submit(&o, NULL), 0);
	/* replaces consume tokens too */
	o.session = 1;
	g_now += 200 * MS;
	struct me_replace_req rp = { .order_id = id, .session_id = 1, .qty = 1, .price = C(9001) };
	struct me_order_info oi;
	uint64_t live;
	assert_int_equal(submit(&o, &live), 0);
	assert_int_equal(me_get_order(g_e, live, &oi), 0);
	rp.order_id = live;
	assert_int_equal(risk_replace(g_r, &rp, g_now), 0);
	rp.price = C(9002);
	assert_int_equal(risk_replace(g_r, &rp, g_now), ME_REJ_RISK_RATE);
	assert_int_equal(last()->type, ME_EV_CANCEL_REJECTED);
	assert_int_equal(last()->u.cxl_rej.is_replace, 1);
}

/* ---- credit ------------------------------------------------------------------ */

static void risk__credit__usage_follows_accept_fill_cancel(void **state)
{
	(void)state;
	struct risk_account_limits al = g_cfg.account_default;
	al.credit_limit = C(10000) * 15; /* 15 × 100.00 */
	assert_int_equal(cmd(RISK_CMD_ACCOUNT_LIMITS, 0, 0, 1, &al, sizeof al), 0);
	uint64_t id;
	struct ord b = { .px = C(10000), .qty = 10, .account = 1 };
	assert_int_equal(submit(&b, &id), 0);
	assert_int_equal(used(1, NULL), C(10000) * 10);
	b.qty = 6;
	assert_int_equal(submit(&b, NULL), ME_REJ_RISK_CREDIT);
	/* partial fill of 4 releases 4 × 100.00 */
	struct ord s = { .side = ME_SELL, .px = C(10000), .qty = 4, .account = 2, .tif = ME_IOC };
	assert_int_equal(submit(&s, NULL), 0);
	assert_int_equal(used(1, NULL), C(10000) * 6);
	assert_int_equal(submit(&b, NULL), 0); /* 6 + 6 <= 15 */
	assert_int_equal(used(1, NULL), C(10000) * 12);
	struct me_cancel_req c = { .order_id = id, .session_id = 0 };
	assert_int_equal(risk_cancel(g_r, &c, g_now), 0);
	assert_int_equal(used(1, NULL), C(10000) * 6);
	/* the seller's IOC never rested: nothing left on its account */
	assert_int_equal(used(2, NULL), 0);
	assert_int_equal(risk_get_stats(g_r)->rejects[ME_REJ_RISK_CREDIT], 1);
}

static void risk__credit__released_at_order_price_when_filled_better(void **state)
{
	(void)state;
	struct ord s = { .side = ME_SELL, .px = C(10000), .qty = 10, .account = 2 };
	assert_int_equal(submit(&s, NULL), 0);
	struct ord b = { .px = C(10100), .qty = 15, .account = 1 };
	uint64_t id;
	assert_int_equal(submit(&b, &id), 0); /* 10 fill at 100.00, 5 rest at 101.00 */
	assert_int_equal(used(1, NULL), C(10100) * 5);
	assert_int_equal(used(2, NULL), 0);
	struct me_cancel_req c = { .order_id = id };
	assert_int_equal(risk_cancel(g_r, &c, g_now), 0);
	uint32_t open;
	assert_int_equal(used(1, &open), 0);
	assert_int_equal(open, 0);
}

static void risk__replace__checked_and_credit_adjusted(void **state)
{
	(void)state;
	struct risk_account_limits al = g_cfg.account_default;
	al.credit_limit = C(10000) * 20;
	assert_int_equal(cmd(RISK_CMD_ACCOUNT_LIMITS, 0, 0, RISK_ID_ALL, &al, sizeof al), 0);
	uint64_t id;
	struct ord b = { .px = C(10000), .qty = 10, .account = 1 };
	assert_int_equal(submit(&b, &id), 0);
	struct me_replace_req r = { .order_id = id, .qty = 21, .price = C(10000) };
	assert_int_equal(risk_replace(g_r, &r, g_now), ME_REJ_RISK_CREDIT);
	r.qty = 1001;
	assert_int_equal(risk_replace(g_r, &r, g_now), ME_REJ_RISK_MAX_QTY);
	r.qty = 20;
	assert_int_equal(risk_replace(g_r, &r, g_now), 0);
	assert_int_equal(used(1, NULL), C(10000) * 20);
	r.qty = 5;
	r.price = C(9000);
	assert_int_equal(risk_replace(g_r, &r, g_now), 0);
	assert_int_equal(used(1, NULL), C(9000) * 5);
	r.order_id = 12345;
	assert_int_equal(risk_replace(g_r, &r, g_now), ME_REJ_UNKNOWN_ORDER);
}

static void risk__market_order__valued_at_reference(void **state)
{
	(void)state;
	struct risk_account_limits al = g_cfg.account_default;
	al.credit_limit = C(10000) * 10;
	assert_int_equal(cmd(RISK_CMD_ACCOUNT_LIMITS, 0, 0, 1, &al, sizeof al), 0);
	set_ref(g_i0, C(10000));
	struct ord m = { .type = ME_MARKET, .tif = ME_IOC, .qty = 11, .account = 1 };
	assert_int_equal(submit(&m, NULL), ME_REJ_RISK_CREDIT);
	struct ord s = { .side = ME_SELL, .px = C(9900), .qty = 3, .account = 2 };
	assert_int_equal(submit(&s, NULL), 0);
	m.qty = 10;
	assert_int_equal(submit(&m, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 1);
	assert_int_equal(used(1, NULL), 0);
}

/* ---- instrument state ---------------------------------------------------------- */

static void risk__instrument_state__halt_rejects_close_expires_day_reopen_trades(void **state)
{
	(void)state;
	uint8_t st = ME_ST_HALTED;
	struct ord day = { .px = C(9000), .qty = 1, .account = 1, .day = 1 };
	struct ord gtc = { .px = C(9000), .qty = 2, .account = 1, .tif = ME_GTC };
	uint64_t day_id = 0;
	assert_int_equal(submit(&day, &day_id), 0);
	assert_int_equal(submit(&gtc, NULL), 0);
	assert_int_equal(cmd(RISK_CMD_INSTR_STATE, 0, 0, g_i0, &st, sizeof st), 0);
	assert_int_equal(submit(&day, NULL), ME_REJ_INSTRUMENT_HALTED);
	st = ME_ST_CLOSED;
	assert_int_equal(cmd(RISK_CMD_INSTR_STATE, 0, 0, g_i0, &st, sizeof st), 0);
	const struct me_event *ev = last();
	assert_int_equal(ev->type, ME_EV_CANCELED); /* the DAY order expired, the GTC stays */
	assert_int_equal(ev->u.canceled.order.order_id, day_id);
	assert_int_equal(ev->reason, ME_CXL_EXPIRED);
	st = ME_ST_OPEN;
	assert_int_equal(cmd(RISK_CMD_INSTR_STATE, 0, 0, g_i0, &st, sizeof st), 0);
	assert_int_equal(submit(&day, NULL), 0);
	st = 7; /* no such state, no such instrument: refused, nothing changed */
	assert_int_equal(cmd(RISK_CMD_INSTR_STATE, 0, 0, g_i0, &st, sizeof st), -EINVAL);
	st = ME_ST_HALTED;
	assert_int_equal(cmd(RISK_CMD_INSTR_STATE, 0, 0, 999, &st, sizeof st), -EINVAL);
	assert_int_equal(submit(&day, NULL), 0);
}

/* ---- kill switch --------------------------------------------------------------- */

static void risk__kill_switch__each_level_rejects_and_releases(void **state)
{
	(void)state;
	struct ord o = { .px = C(9000), .qty = 1, .session = 1, .account = 1, .tenant = 2 };
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_TENANT, RISK_CMDF_ON, 2, NULL, 0), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_KILL_TENANT);
	o.tenant = 1;
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_SESSION, RISK_CMDF_ON, 1, NULL, 0), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_KILL_SESSION);
	o.session = 2;
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_ACCOUNT, RISK_CMDF_ON, 1, NULL, 0), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_KILL_ACCOUNT);
	o.account = 2;
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_GLOBAL, RISK_CMDF_ON, 0, NULL, 0), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_KILL_GLOBAL);
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_GLOBAL, 0, 0, NULL, 0), 0);
	assert_int_equal(submit(&o, NULL), 0);
	/* release the others */
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_TENANT, 0, 2, NULL, 0), 0);
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_SESSION, 0, 1, NULL, 0), 0);
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_ACCOUNT, 0, 1, NULL, 0), 0);
	o = (struct ord){ .px = C(9000), .qty = 1, .session = 1, .account = 1, .tenant = 2 };
	assert_int_equal(submit(&o, NULL), 0);
	const struct risk_stats *st = risk_get_stats(g_r);
	assert_int_equal(st->rejects[ME_REJ_RISK_KILL_TENANT], 1);
	assert_int_equal(st->rejects[ME_REJ_RISK_KILL_SESSION], 1);
	assert_int_equal(st->rejects[ME_REJ_RISK_KILL_ACCOUNT], 1);
	assert_int_equal(st->rejects[ME_REJ_RISK_KILL_GLOBAL], 1);
}

static void risk__kill_with_cancel__cancels_resting_orders_in_scope(void **state)
{
	(void)state;
	struct ord o = { .px = C(9000), .qty = 1, .session = 1, .account = 1, .tenant = 1 };
	uint64_t keep;
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(submit(&o, NULL), 0);
	o.tenant = 2;
	o.session = 2;
	assert_int_equal(submit(&o, &keep), 0);
	g_n = 0;
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_TENANT, RISK_CMDF_ON | RISK_CMDF_CANCEL, 1, NULL, 0), 0);
	assert_int_equal(count(ME_EV_CANCELED), 2);
	assert_int_equal(g_ev[0].reason, ME_CXL_KILL);
	assert_int_equal(g_ev[0].ts_ns, g_now);
	uint32_t open;
	used(1, &open);
	assert_int_equal(open, 1);
	struct me_order_info oi;
	assert_int_equal(me_get_order(g_e, keep, &oi), 0);
	/* cancels are still allowed under a kill */
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_GLOBAL, RISK_CMDF_ON, 0, NULL, 0), 0);
	struct me_cancel_req c = { .order_id = keep, .session_id = 2 };
	assert_int_equal(risk_cancel(g_r, &c, g_now), 0);
	assert_int_equal(me_get_stats(g_e)->orders_live, 0);
}

/* ---- commands / ids ----------------------------------------------------------------- */

static void risk__commands__change_limits_while_running(void **state)
{
	(void)state;
	struct ord o = { .px = C(100), .qty = 50, .account = 2 };
	assert_int_equal(submit(&o, NULL), 0);
	struct risk_account_limits al = { .max_order_qty = 40 };
	assert_int_equal(cmd(RISK_CMD_ACCOUNT_LIMITS, 0, 0, 2, &al, sizeof al), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_MAX_QTY);
	o.account = 3;
	assert_int_equal(submit(&o, NULL), 0); /* other accounts unchanged */
	struct risk_session_limits sl = { .max_open_orders = 1 };
	assert_int_equal(cmd(RISK_CMD_SESSION_LIMITS, 0, 0, RISK_ID_ALL, &sl, sizeof sl), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_SESSION_OPEN_ORDERS);
	o.session = 3;
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_SESSION_OPEN_ORDERS);

	/* invalid commands change nothing and are counted */
	assert_int_equal(cmd(RISK_CMD_ACCOUNT_LIMITS, 0, 0, 4, &al, sizeof al), -EINVAL);
	sl.rate_per_s = 5;
	sl.burst = 0;
	assert_int_equal(cmd(RISK_CMD_SESSION_LIMITS, 0, 0, 1, &sl, sizeof sl), -EINVAL);
	assert_int_equal(cmd(RISK_CMD_KILL, 9, RISK_CMDF_ON, 0, NULL, 0), -EINVAL);
	assert_int_equal(cmd(RISK_CMD_KILL, RISK_SCOPE_SESSION, RISK_CMDF_ON, 99, NULL, 0), -EINVAL);
	int64_t bad = -5;
	assert_int_equal(cmd(RISK_CMD_REF_PRICE, 0, 0, 0, &bad, sizeof bad), -EINVAL);
	assert_int_equal(cmd(77, 0, 0, 0, NULL, 0), -EINVAL);
	assert_int_equal(risk_get_stats(g_r)->cmds_invalid, 6);
	assert_int_equal(risk_get_stats(g_r)->cmds_applied, 2);
	assert_true(risk_ref_price(g_r, 0) == ORION_PX_NONE);
	o.session = 1;
	o.account = 0;
	o.qty = 1;
	assert_int_equal(submit(&o, NULL), 0);
}

static void risk__unknown_ids__rejected(void **state)
{
	(void)state;
	struct ord o = { .px = C(100), .qty = 1, .session = 4 };
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_UNKNOWN_ID);
	o.session = 0;
	o.account = 4;
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_UNKNOWN_ID);
	o.account = 0;
	o.tenant = 3;
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_UNKNOWN_ID);
	o.tenant = 0;
	o.instr = 2;
	assert_int_equal(submit(&o, NULL), ME_REJ_RISK_UNKNOWN_ID);
	assert_int_equal(risk_get_stats(g_r)->rejects[ME_REJ_RISK_UNKNOWN_ID], 4);
	assert_int_equal(count(ME_EV_REJECTED), 4);
}

static void risk__engine_reject__passed_through(void **state)
{
	(void)state;
	struct ord o = { .px = C(100) + 1, .qty = 1 };
	assert_int_equal(submit(&o, NULL), ME_REJ_TICK_SIZE);
	assert_int_equal(last()->reason, ME_REJ_TICK_SIZE);
	assert_int_equal(risk_get_stats(g_r)->passed, 1);
	uint32_t open;
	used(0, &open);
	assert_int_equal(open, 0);
}

static void risk__events_and_ticks__forwarded_and_sink_restored(void **state)
{
	(void)state;
	struct ord o = { .px = C(100), .qty = 1 };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_ACCEPTED), 1);
	assert_int_equal(g_ticks, 1);
	risk_destroy(g_r);
	struct me_sink s = me_get_sink(g_e);
	assert_ptr_equal(s.on_event, rec_event);
	g_r = risk_create(&g_cfg, g_e);
	assert_non_null(g_r);
	struct risk_config bad = g_cfg;
	bad.max_accounts = 0;
	assert_null(risk_create(&bad, g_e));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(risk__max_order_qty__rejects_above_limit),
		T(risk__max_notional__rejects_above_limit),
		T(risk__price_collar__configured_reference_then_last_trade),
		T(risk__market_without_reference__rejected_when_notional_limited),
		T(risk__session_open_orders__limit_and_release_on_cancel),
		T(risk__account_open_orders__limit_across_sessions),
		T(risk__token_bucket__burst_then_refill_with_fake_clock),
		T(risk__credit__usage_follows_accept_fill_cancel),
		T(risk__credit__released_at_order_price_when_filled_better),
		T(risk__replace__checked_and_credit_adjusted),
		T(risk__market_order__valued_at_reference),
		T(risk__instrument_state__halt_rejects_close_expires_day_reopen_trades),
		T(risk__kill_switch__each_level_rejects_and_releases),
		T(risk__kill_with_cancel__cancels_resting_orders_in_scope),
		T(risk__commands__change_limits_while_running),
		T(risk__unknown_ids__rejected),
		T(risk__engine_reject__passed_through),
		T(risk__events_and_ticks__forwarded_and_sink_restored),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
