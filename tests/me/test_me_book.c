/* Unit tests: dataplane/me matching engine (me_book). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/me/me_book.h"

#define C(cents) ((int64_t)(cents) * 1000000LL) /* price in cents → 1e-8 units */
#define MAX_EV 1024
#define MAX_TK 256

struct rec {
	struct me_event ev[MAX_EV];
	size_t n;
	struct md_tick tk[MAX_TK];
	size_t nt;
};

static struct rec g_rec;
static struct me_engine *g_e;
/* instruments: 0 = tick 0.01 lot 1 no band; 1 = tick 0.05 lot 100 band ±10 ticks
 * around 50.00; 2 = tick 0.01, narrow grid 99.00..101.00 (random test) */
static uint32_t g_i0, g_i1, g_i2;
static uint64_t g_now = 1000;

static void rec_event(void *ctx, const struct me_event *ev)
{
	struct rec *r = ctx;
	if (r->n < MAX_EV)
		r->ev[r->n++] = *ev;
}

static void rec_tick(void *ctx, const struct md_tick *t)
{
	struct rec *r = ctx;
	if (r->nt < MAX_TK)
		r->tk[r->nt++] = *t;
}

static void clear(void)
{
	g_rec.n = 0;
	g_rec.nt = 0;
}

static size_t count(uint16_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < g_rec.n; i++)
		n += g_rec.ev[i].type == type;
	return n;
}

/* k-th event of a type (0-based) since clear(), or fail. */
static const struct me_event *nth(uint16_t type, size_t k)
{
	for (size_t i = 0; i < g_rec.n; i++)
		if (g_rec.ev[i].type == type && k-- == 0)
			return &g_rec.ev[i];
	fail_msg("no event type %u #%zu", type, k);
	return NULL;
}

static struct me_engine *make_engine(uint32_t max_orders, uint8_t stp)
{
	struct me_config cfg = {
		.max_orders = max_orders, .max_instruments = 4, .stp_default = stp,
		.sink = { .on_event = rec_event, .on_tick = rec_tick, .ctx = &g_rec },
	};
	struct me_engine *e = me_create(&cfg);
	assert_non_null(e);
	struct me_instrument_cfg a = { .symbol = "AAA     ", .px_min = C(100), .px_max = C(20000),
		.tick_size = C(1), .lot_size = 1, .ref_px = ORION_PX_NONE };
	struct me_instrument_cfg b = { .symbol = "BBB     ", .px_min = C(100), .px_max = C(10000),
		.tick_size = C(5), .lot_size = 100, .ref_px = C(5000), .band_ticks = 10 };
	struct me_instrument_cfg n = { .symbol = "CCC     ", .px_min = C(9900), .px_max = C(10100),
		.tick_size = C(1), .lot_size = 1, .ref_px = ORION_PX_NONE };
	assert_int_equal(me_add_instrument(e, &a, &g_i0), 0);
	assert_int_equal(me_add_instrument(e, &b, &g_i1), 0);
	assert_int_equal(me_add_instrument(e, &n, &g_i2), 0);
	return e;
}

static int setup(void **state)
{
	(void)state;
	clear();
	g_e = make_engine(64, ME_STP_NONE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < me_instrument_count(g_e); i++)
		assert_int_equal(me_check_book(g_e, i), 0);
	me_destroy(g_e);
	g_e = NULL;
	return 0;
}

struct ord {
	uint32_t instr, account, session;
	uint8_t side, type, tif, flags, stp;
	int64_t px;
	uint32_t qty;
};

/* Submit; returns the engine's return code and the new order id (0 if none). */
static int submit(const struct ord *o, uint64_t *id)
{
	struct me_new_order r = {
		.instrument_id = o->instr, .session_id = o->session ? o->session : 1,
		.account_id = o->account ? o->account : 1, .tenant_id = 7, .price = o->px, .qty = o->qty,
		.side = o->side, .type = o->type ? o->type : ME_LIMIT, .tif = o->tif, .flags = o->flags,
		.stp = o->stp,
	};
	snprintf((char *)r.cl_ord_id, ME_CLORDID_LEN, "c%llu", (unsigned long long)g_now);
	size_t first = g_rec.n;
	int rc = me_new_order(g_e, &r, ++g_now);
	if (id) {
		*id = 0;
		for (size_t i = first; i < g_rec.n; i++)
			if (g_rec.ev[i].type == ME_EV_ACCEPTED) {
				*id = g_rec.ev[i].u.order.order_id;
				break;
			}
	}
	return rc;
}

static uint64_t rest(uint32_t instr, uint8_t side, int64_t px, uint32_t qty, uint32_t account)
{
	uint64_t id;
	struct ord o = { .instr = instr, .side = side, .px = px, .qty = qty, .account = account,
		.tif = ME_GTC };
	assert_int_equal(submit(&o, &id), 0);
	assert_true(id != 0);
	return id;
}

static struct me_top top(uint32_t instr)
{
	struct me_top t;
	assert_int_equal(me_top(g_e, instr, &t), 0);
	return t;
}

static int replace(uint64_t id, int64_t px, uint32_t qty)
{
	struct me_replace_req r = { .order_id = id, .session_id = 1, .qty = qty, .price = px };
	memcpy(r.cl_ord_id, "replace", 7);
	return me_replace(g_e, &r, ++g_now);
}

static int cancel(uint64_t id, uint32_t session)
{
	struct me_cancel_req r = { .order_id = id, .session_id = session };
	return me_cancel(g_e, &r, ++g_now);
}

/* ---- basic book ---------------------------------------------------------- */

static void book__limit_order_rests__sets_top_and_emits_tick(void **state)
{
	(void)state;
	uint64_t id = rest(g_i0, ME_BUY, C(10000), 100, 1);
	assert_int_equal(count(ME_EV_ACCEPTED), 1);
	const struct me_event *ev = nth(ME_EV_ACCEPTED, 0);
	assert_int_equal(ev->u.order.leaves, 100);
	assert_int_equal(ev->u.order.order_id, id);
	assert_int_equal(ev->seq, 1);
	struct me_top t = top(g_i0);
	assert_int_equal(t.bid_px, C(10000));
	assert_int_equal(t.bid_qty, 100);
	assert_true(t.ask_px == ORION_PX_NONE);
	assert_int_equal(g_rec.nt, 1);
	assert_int_equal(g_rec.tk[0].bid_px, C(10000));
	assert_int_equal(g_rec.tk[0].bid_sz, 100);
	assert_true(g_rec.tk[0].ask_px == ORION_PX_NONE);
	assert_true(g_rec.tk[0].mid_px == ORION_PX_NONE);
	assert_int_equal(g_rec.tk[0].source, MD_SOURCE_VENUE);
	assert_memory_equal(g_rec.tk[0].symbol, "AAA     ", 8);
	assert_int_equal(g_rec.tk[0].seqno, 1);
}

static void book__same_price__first_in_is_first_filled(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_SELL, C(10001), 10, 2);
	uint64_t b = rest(g_i0, ME_SELL, C(10001), 10, 3);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 15, .tif = ME_DAY };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 2);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.maker.order_id, a);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.qty, 10);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.maker.leaves, 0);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.maker.order_id, b);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.qty, 5);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.maker.leaves, 5);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.taker.leaves, 0);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.taker.cum, 15);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.aggressor_side, ME_BUY);
	assert_true(nth(ME_EV_TRADE, 1)->u.trade.trade_id > nth(ME_EV_TRADE, 0)->u.trade.trade_id);
	assert_int_equal(top(g_i0).ask_qty, 5);
}

static void book__buy_sweeps_levels__fills_each_at_maker_price(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 2);
	rest(g_i0, ME_SELL, C(10002), 20, 2);
	rest(g_i0, ME_SELL, C(10003), 30, 2);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10003), .qty = 45, .tif = ME_GTC };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 3);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.price, C(10001));
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.price, C(10002));
	assert_int_equal(nth(ME_EV_TRADE, 2)->u.trade.price, C(10003));
	assert_int_equal(nth(ME_EV_TRADE, 2)->u.trade.qty, 15);
	assert_int_equal(count(ME_EV_CANCELED), 0);
	struct me_top t = top(g_i0);
	assert_int_equal(t.ask_px, C(10003));
	assert_int_equal(t.ask_qty, 15);
	assert_true(t.bid_px == ORION_PX_NONE);
	assert_int_equal(t.last_px, C(10003));
	/* one tick for the whole operation, carrying the last trade */
	assert_int_equal(g_rec.nt, 1);
	assert_true(g_rec.tk[0].flags & MD_TF_TRADE);
	assert_int_equal(g_rec.tk[0].last_px, C(10003));
	assert_int_equal(g_rec.tk[0].last_sz, 15);
	assert_int_equal(g_rec.tk[0].ask_sz, 15);
}

static void book__limit_partially_filled__remainder_rests(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 2);
	rest(g_i0, ME_SELL, C(10002), 20, 2);
	rest(g_i0, ME_SELL, C(10005), 20, 2);
	uint64_t id;
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10002), .qty = 50, .tif = ME_DAY };
	assert_int_equal(submit(&o, &id), 0);
	struct me_top t = top(g_i0);
	assert_int_equal(t.bid_px, C(10002));
	assert_int_equal(t.bid_qty, 20);
	assert_int_equal(t.ask_px, C(10005));
	struct me_order_info oi;
	assert_int_equal(me_get_order(g_e, id, &oi), 0);
	assert_int_equal(oi.cum, 30);
	assert_int_equal(oi.leaves, 20);
}

/* ---- time in force ------------------------------------------------------- */

static void book__ioc__remainder_canceled(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 2);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 50, .tif = ME_IOC };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 1);
	assert_int_equal(count(ME_EV_CANCELED), 1);
	const struct me_event *c = nth(ME_EV_CANCELED, 0);
	assert_int_equal(c->reason, ME_CXL_IOC);
	assert_int_equal(c->u.canceled.canceled_qty, 40);
	assert_int_equal(c->u.canceled.order.cum, 10);
	assert_int_equal(c->u.canceled.order.leaves, 0);
	assert_true(top(g_i0).bid_px == ORION_PX_NONE);
	assert_int_equal(me_get_stats(g_e)->orders_live, 0);
}

static void book__ioc_no_cross__canceled_without_trade(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10005), 10, 2);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 5, .tif = ME_IOC };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 0);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.canceled_qty, 5);
	assert_int_equal(g_rec.nt, 0);
}

static void book__fok_that_cannot_fill__nothing_happens(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 2);
	rest(g_i0, ME_SELL, C(10002), 20, 2);
	rest(g_i0, ME_SELL, C(10009), 50, 2); /* beyond the limit */
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10002), .qty = 40, .tif = ME_FOK };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 0);
	assert_int_equal(count(ME_EV_CANCELED), 1);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_FOK);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.canceled_qty, 40);
	struct me_top t = top(g_i0);
	assert_int_equal(t.ask_px, C(10001));
	assert_int_equal(t.ask_qty, 10);
	assert_int_equal(g_rec.nt, 0);
	assert_int_equal(me_get_stats(g_e)->orders_live, 3);
}

static void book__fok_that_can_fill__fills_completely(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 2);
	rest(g_i0, ME_SELL, C(10002), 20, 2);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10002), .qty = 30, .tif = ME_FOK };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 2);
	assert_int_equal(count(ME_EV_CANCELED), 0);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.taker.cum, 30);
	assert_true(top(g_i0).ask_px == ORION_PX_NONE);
}

static void book__close__expires_day_orders_keeps_gtc(void **state)
{
	(void)state;
	uint64_t day;
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(9999), .qty = 10, .tif = ME_DAY };
	assert_int_equal(submit(&o, &day), 0);
	uint64_t gtc = rest(g_i0, ME_BUY, C(9998), 10, 1);
	clear();
	assert_int_equal(me_set_state(g_e, g_i0, ME_ST_CLOSED, ++g_now), 0);
	assert_int_equal(count(ME_EV_CANCELED), 1);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_EXPIRED);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.order.order_id, day);
	struct me_order_info oi;
	assert_int_equal(me_get_order(g_e, gtc, &oi), 0);
	assert_int_equal(me_get_order(g_e, day, &oi), -ENOENT);
	assert_int_equal(top(g_i0).bid_px, C(9998));
	assert_true(g_rec.tk[g_rec.nt - 1].flags & MD_TF_HALTED);
	assert_int_equal(submit(&o, NULL), ME_REJ_INSTRUMENT_CLOSED);
	assert_int_equal(me_set_state(g_e, g_i0, ME_ST_OPEN, ++g_now), 0);
	assert_int_equal(submit(&o, NULL), 0);
}

/* ---- market orders ------------------------------------------------------- */

static void book__market_into_empty_book__rejected_no_liquidity(void **state)
{
	(void)state;
	rest(g_i0, ME_BUY, C(10000), 10, 1); /* same side only */
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .type = ME_MARKET, .qty = 10, .tif = ME_IOC };
	assert_int_equal(submit(&o, NULL), ME_REJ_NO_LIQUIDITY);
	assert_int_equal(count(ME_EV_REJECTED), 1);
	assert_int_equal(nth(ME_EV_REJECTED, 0)->reason, ME_REJ_NO_LIQUIDITY);
	assert_int_equal(count(ME_EV_ACCEPTED), 0);
	assert_int_equal(me_get_stats(g_e)->rejects[ME_REJ_NO_LIQUIDITY], 1);
}

static void book__market__sweeps_then_cancels_remainder(void **state)
{
	(void)state;
	rest(g_i0, ME_BUY, C(10000), 10, 1);
	rest(g_i0, ME_BUY, C(9000), 10, 1);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_SELL, .type = ME_MARKET, .qty = 25, .tif = ME_DAY };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 2);
	assert_int_equal(nth(ME_EV_TRADE, 1)->u.trade.price, C(9000));
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_IOC);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.canceled_qty, 5);
	assert_true(top(g_i0).bid_px == ORION_PX_NONE);
	assert_true(top(g_i0).ask_px == ORION_PX_NONE);
}

static void book__market_with_band__stops_at_band_edge(void **state)
{
	(void)state;
	/* instrument 1: ref 50.00, band 10 ticks of 0.05 → 49.50 .. 50.50 */
	rest(g_i1, ME_SELL, C(5025), 100, 2);
	assert_int_equal(me_set_band(g_e, g_i1, C(5000), 0), 0);
	rest(g_i1, ME_SELL, C(5100), 100, 2); /* outside the band, placed with the band off */
	assert_int_equal(me_set_band(g_e, g_i1, C(5000), 10), 0);
	clear();
	struct ord o = { .instr = g_i1, .side = ME_BUY, .type = ME_MARKET, .qty = 200, .tif = ME_IOC };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 1);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.price, C(5025));
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.canceled_qty, 100);
	assert_int_equal(top(g_i1).ask_px, C(5100));
}

/* ---- post-only ----------------------------------------------------------- */

static void book__post_only_that_would_cross__rejected(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 2);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 5, .tif = ME_DAY,
		.flags = ME_OF_POST_ONLY };
	assert_int_equal(submit(&o, NULL), ME_REJ_POST_ONLY_WOULD_CROSS);
	assert_int_equal(count(ME_EV_TRADE), 0);
	assert_int_equal(top(g_i0).ask_qty, 10);
	o.px = C(10000);
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(top(g_i0).bid_px, C(10000));
	o.tif = ME_IOC;
	assert_int_equal(submit(&o, NULL), ME_REJ_INVALID_FLAGS);
}

static void book__post_only_replace_that_would_cross__rejected(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10005), 10, 2);
	uint64_t id;
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10000), .qty = 5, .tif = ME_DAY,
		.flags = ME_OF_POST_ONLY };
	assert_int_equal(submit(&o, &id), 0);
	clear();
	assert_int_equal(replace(id, C(10005), 5), ME_REJ_POST_ONLY_WOULD_CROSS);
	assert_int_equal(nth(ME_EV_CANCEL_REJECTED, 0)->u.cxl_rej.is_replace, 1);
	assert_int_equal(top(g_i0).bid_px, C(10000));
}

/* ---- self-trade prevention ---------------------------------------------- */

static void book__stp_cancel_resting__cancels_own_and_keeps_matching(void **state)
{
	(void)state;
	uint64_t own = rest(g_i0, ME_SELL, C(10001), 10, 5);
	uint64_t other = rest(g_i0, ME_SELL, C(10001), 10, 6);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 15, .tif = ME_DAY,
		.account = 5, .stp = ME_STP_CANCEL_RESTING };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_STP);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.order.order_id, own);
	assert_int_equal(count(ME_EV_TRADE), 1);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.maker.order_id, other);
	assert_int_equal(top(g_i0).bid_px, C(10001));
	assert_int_equal(top(g_i0).bid_qty, 5);
}

static void book__stp_cancel_incoming__keeps_resting_and_earlier_fills(void **state)
{
	(void)state;
	uint64_t other = rest(g_i0, ME_SELL, C(10001), 10, 6);
	uint64_t own = rest(g_i0, ME_SELL, C(10002), 10, 5);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10002), .qty = 15, .tif = ME_GTC,
		.account = 5, .stp = ME_STP_CANCEL_INCOMING };
	uint64_t id;
	assert_int_equal(submit(&o, &id), 0);
	assert_int_equal(count(ME_EV_TRADE), 1);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.maker.order_id, other);
	assert_int_equal(count(ME_EV_CANCELED), 1);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.order.order_id, id);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_STP);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.canceled_qty, 5);
	struct me_order_info oi;
	assert_int_equal(me_get_order(g_e, own, &oi), 0);
	assert_int_equal(oi.leaves, 10);
	assert_true(top(g_i0).bid_px == ORION_PX_NONE);
}

static void book__stp_cancel_both__cancels_both(void **state)
{
	(void)state;
	uint64_t own = rest(g_i0, ME_SELL, C(10001), 10, 5);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 15, .tif = ME_GTC,
		.account = 5, .stp = ME_STP_CANCEL_BOTH };
	uint64_t id;
	assert_int_equal(submit(&o, &id), 0);
	assert_int_equal(count(ME_EV_TRADE), 0);
	assert_int_equal(count(ME_EV_CANCELED), 2);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.order.order_id, own);
	assert_int_equal(nth(ME_EV_CANCELED, 1)->u.canceled.order.order_id, id);
	assert_true(top(g_i0).bid_px == ORION_PX_NONE);
	assert_true(top(g_i0).ask_px == ORION_PX_NONE);
}

static void book__stp_none__self_trade_allowed(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 5);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 10, .tif = ME_GTC,
		.account = 5, .stp = ME_STP_NONE };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 1);
}

static void book__stp_default_from_config__applies(void **state)
{
	(void)state;
	me_destroy(g_e);
	g_e = make_engine(64, ME_STP_CANCEL_RESTING);
	rest(g_i0, ME_SELL, C(10001), 10, 5);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 10, .tif = ME_GTC, .account = 5 };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 0);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_STP);
	assert_int_equal(nth(ME_EV_ACCEPTED, 0)->u.order.stp, ME_STP_CANCEL_RESTING);
	assert_int_equal(top(g_i0).bid_qty, 10);
}

static void book__fok_with_stp_cancel_incoming__does_not_count_own_liquidity(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10001), 10, 6);
	rest(g_i0, ME_SELL, C(10001), 10, 5);
	rest(g_i0, ME_SELL, C(10001), 10, 6);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10001), .qty = 20, .tif = ME_FOK,
		.account = 5, .stp = ME_STP_CANCEL_INCOMING };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 0);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_FOK);
	assert_int_equal(top(g_i0).ask_qty, 30);
	/* with cancel-resting the own order is skipped: 20 available */
	clear();
	o.stp = ME_STP_CANCEL_RESTING;
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 2);
	assert_true(top(g_i0).ask_px == ORION_PX_NONE);
}

/* ---- replace ------------------------------------------------------------- */

static void book__replace_with_lower_qty__keeps_priority(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 2);
	uint64_t b = rest(g_i0, ME_BUY, C(10000), 10, 3);
	clear();
	assert_int_equal(replace(a, C(10000), 6), 0);
	const struct me_event *r = nth(ME_EV_REPLACED, 0);
	assert_int_equal(r->u.replaced.priority_kept, 1);
	assert_int_equal(r->u.replaced.old_qty, 10);
	assert_int_equal(r->u.replaced.order.leaves, 6);
	assert_memory_equal(r->u.replaced.order.cl_ord_id, "replace", 7);
	assert_int_equal(top(g_i0).bid_qty, 16);
	assert_int_equal(g_rec.nt, 1); /* size at best changed */
	clear();
	struct ord o = { .instr = g_i0, .side = ME_SELL, .px = C(10000), .qty = 6, .tif = ME_IOC, .account = 9 };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.maker.order_id, a);
	(void)b;
}

static void book__replace_with_higher_qty__loses_priority(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 2);
	uint64_t b = rest(g_i0, ME_BUY, C(10000), 10, 3);
	clear();
	assert_int_equal(replace(a, C(10000), 12), 0);
	assert_int_equal(nth(ME_EV_REPLACED, 0)->u.replaced.priority_kept, 0);
	assert_int_equal(top(g_i0).bid_qty, 22);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_SELL, .px = C(10000), .qty = 5, .tif = ME_IOC, .account = 9 };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.maker.order_id, b);
}

static void book__replace_with_new_price__loses_priority(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 2);
	uint64_t b = rest(g_i0, ME_BUY, C(10000), 10, 3);
	assert_int_equal(replace(a, C(9999), 10), 0);
	assert_int_equal(replace(a, C(10000), 10), 0); /* back: now behind b */
	clear();
	struct ord o = { .instr = g_i0, .side = ME_SELL, .px = C(10000), .qty = 5, .tif = ME_IOC, .account = 9 };
	assert_int_equal(submit(&o, NULL), 0);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.maker.order_id, b);
	struct me_order_info oi;
	assert_int_equal(me_get_order(g_e, a, &oi), 0);
	assert_int_equal(oi.price, C(10000));
}

static void book__replace_to_crossing_price__trades(void **state)
{
	(void)state;
	rest(g_i0, ME_SELL, C(10002), 4, 2);
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 1);
	clear();
	assert_int_equal(replace(a, C(10002), 10), 0);
	assert_int_equal(count(ME_EV_REPLACED), 1);
	assert_int_equal(count(ME_EV_TRADE), 1);
	assert_true(g_rec.ev[0].type == ME_EV_REPLACED);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.taker.order_id, a);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.aggressor_side, ME_BUY);
	assert_int_equal(top(g_i0).bid_px, C(10002));
	assert_int_equal(top(g_i0).bid_qty, 6);
}

static void book__replace_qty_not_above_filled__rejected(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 1);
	struct ord o = { .instr = g_i0, .side = ME_SELL, .px = C(10000), .qty = 6, .tif = ME_IOC, .account = 9 };
	assert_int_equal(submit(&o, NULL), 0);
	clear();
	assert_int_equal(replace(a, C(10000), 6), ME_REJ_REPLACE_QTY_TOO_LOW);
	assert_int_equal(nth(ME_EV_CANCEL_REJECTED, 0)->reason, ME_REJ_REPLACE_QTY_TOO_LOW);
	assert_int_equal(replace(a, C(10000), 7), 0);
	struct me_order_info oi;
	assert_int_equal(me_get_order(g_e, a, &oi), 0);
	assert_int_equal(oi.leaves, 1);
	assert_int_equal(oi.cum, 6);
	assert_int_equal(oi.qty, 7);
}

/* ---- cancel --------------------------------------------------------------- */

static void book__cancel__removes_order_and_updates_top(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 1);
	rest(g_i0, ME_BUY, C(9990), 7, 1);
	clear();
	assert_int_equal(cancel(a, 1), 0);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_USER);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->u.canceled.canceled_qty, 10);
	assert_int_equal(top(g_i0).bid_px, C(9990));
	assert_int_equal(g_rec.nt, 1);
	assert_int_equal(g_rec.tk[0].bid_px, C(9990));
	clear();
	assert_int_equal(cancel(a, 1), ME_REJ_UNKNOWN_ORDER);
	assert_int_equal(nth(ME_EV_CANCEL_REJECTED, 0)->reason, ME_REJ_UNKNOWN_ORDER);
	assert_int_equal(nth(ME_EV_CANCEL_REJECTED, 0)->u.cxl_rej.is_replace, 0);
}

static void book__cancel_from_other_session__rejected(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 1);
	assert_int_equal(cancel(a, 2), ME_REJ_NOT_OWNER);
	assert_int_equal(cancel(a, ME_SESSION_ANY), 0);
}

static void book__stale_id_after_slot_reuse__unknown(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 1);
	assert_int_equal(cancel(a, 1), 0);
	uint64_t b = rest(g_i0, ME_BUY, C(10000), 10, 1);
	assert_int_equal(ME_ORDER_SLOT(a), ME_ORDER_SLOT(b)); /* LIFO free list */
	assert_true(a != b);
	assert_int_equal(cancel(a, 1), ME_REJ_UNKNOWN_ORDER);
	assert_int_equal(replace(a, C(10000), 5), ME_REJ_UNKNOWN_ORDER);
	assert_int_equal(top(g_i0).bid_qty, 10);
}

/* ---- instrument rules ---------------------------------------------------- */

static void book__halted__rejects_new_and_replace_allows_cancel(void **state)
{
	(void)state;
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 10, 1);
	clear();
	assert_int_equal(me_set_state(g_e, g_i0, ME_ST_HALTED, ++g_now), 0);
	assert_int_equal(g_rec.nt, 1);
	assert_true(g_rec.tk[0].flags & MD_TF_HALTED);
	struct ord o = { .instr = g_i0, .side = ME_SELL, .px = C(10000), .qty = 5, .tif = ME_DAY };
	assert_int_equal(submit(&o, NULL), ME_REJ_INSTRUMENT_HALTED);
	assert_int_equal(replace(a, C(10000), 5), ME_REJ_INSTRUMENT_HALTED);
	assert_int_equal(count(ME_EV_TRADE), 0);
	assert_int_equal(cancel(a, 1), 0);
	assert_int_equal(me_set_state(g_e, g_i0, 9, g_now), -EINVAL);
}

static void book__price_band__rejects_outside(void **state)
{
	(void)state;
	/* instrument 1: ref 50.00 ± 10 × 0.05 */
	struct ord o = { .instr = g_i1, .side = ME_BUY, .px = C(5050), .qty = 100, .tif = ME_DAY };
	assert_int_equal(submit(&o, NULL), 0);
	o.px = C(5055);
	assert_int_equal(submit(&o, NULL), ME_REJ_PRICE_BAND);
	o.px = C(4950);
	assert_int_equal(submit(&o, NULL), 0);
	o.px = C(4945);
	assert_int_equal(submit(&o, NULL), ME_REJ_PRICE_BAND);
	assert_int_equal(me_get_stats(g_e)->rejects[ME_REJ_PRICE_BAND], 2);
	assert_int_equal(me_set_band(g_e, g_i1, ORION_PX_NONE, 10), 0); /* no reference: off */
	assert_int_equal(submit(&o, NULL), 0);
}

static void book__tick_and_lot_size__checked(void **state)
{
	(void)state;
	struct ord o = { .instr = g_i1, .side = ME_BUY, .px = C(5001), .qty = 100, .tif = ME_DAY };
	assert_int_equal(submit(&o, NULL), ME_REJ_TICK_SIZE);
	o.px = C(5000);
	o.qty = 150;
	assert_int_equal(submit(&o, NULL), ME_REJ_LOT_SIZE);
	o.qty = 0;
	assert_int_equal(submit(&o, NULL), ME_REJ_INVALID_QTY);
	o.qty = 200;
	assert_int_equal(submit(&o, NULL), 0);
	o.instr = g_i0;
	o.px = C(20001);
	assert_int_equal(submit(&o, NULL), ME_REJ_PRICE_OUT_OF_RANGE);
	o.px = 0;
	assert_int_equal(submit(&o, NULL), ME_REJ_PRICE_OUT_OF_RANGE);
	o.px = C(10000) + 1;
	assert_int_equal(submit(&o, NULL), ME_REJ_TICK_SIZE);
	o.px = INT64_MIN;
	assert_int_equal(submit(&o, NULL), ME_REJ_PRICE_OUT_OF_RANGE);
	o.px = INT64_MAX;
	assert_int_equal(submit(&o, NULL), ME_REJ_TICK_SIZE);
	o.px = INT64_MAX - INT64_MAX % C(1);
	assert_int_equal(submit(&o, NULL), ME_REJ_PRICE_OUT_OF_RANGE);
	/* band edges around a huge reference do not overflow: the buy edge lies
	 * above the grid (every ask eligible), the sell edge too (no bid eligible) */
	rest(g_i0, ME_BUY, C(10000), 200, 1);
	rest(g_i0, ME_SELL, C(10100), 100, 2);
	assert_int_equal(me_set_band(g_e, g_i0, INT64_MAX, UINT32_MAX), 0);
	clear();
	struct ord m = { .instr = g_i0, .side = ME_BUY, .type = ME_MARKET, .qty = 100, .tif = ME_IOC, .account = 3 };
	assert_int_equal(submit(&m, NULL), 0);
	assert_int_equal(nth(ME_EV_TRADE, 0)->u.trade.qty, 100);
	m.side = ME_SELL;
	assert_int_equal(submit(&m, NULL), 0);
	assert_int_equal(count(ME_EV_TRADE), 1);
	assert_int_equal(top(g_i0).bid_qty, 200);
}

static void book__invalid_fields__rejected_and_counted(void **state)
{
	(void)state;
	struct ord o = { .instr = 99, .side = ME_BUY, .px = C(10000), .qty = 1, .tif = ME_DAY };
	assert_int_equal(submit(&o, NULL), ME_REJ_UNKNOWN_INSTRUMENT);
	o.instr = g_i0;
	o.side = 3;
	assert_int_equal(submit(&o, NULL), ME_REJ_INVALID_SIDE);
	o.side = ME_BUY;
	o.type = 7;
	assert_int_equal(submit(&o, NULL), ME_REJ_INVALID_TYPE);
	o.type = ME_LIMIT;
	o.tif = 2;
	assert_int_equal(submit(&o, NULL), ME_REJ_INVALID_TIF);
	o.tif = ME_DAY;
	o.flags = 0x80;
	assert_int_equal(submit(&o, NULL), ME_REJ_INVALID_FLAGS);
	o.flags = 0;
	o.stp = 9;
	assert_int_equal(submit(&o, NULL), ME_REJ_INVALID_STP);
	const struct me_stats *st = me_get_stats(g_e);
	assert_int_equal(st->rejects[ME_REJ_INVALID_SIDE], 1);
	assert_int_equal(count(ME_EV_REJECTED), 6);
	assert_int_equal(st->accepted, 0);
	assert_int_equal(me_new_order(g_e, NULL, 0), -EINVAL);
}

/* ---- mass cancel ---------------------------------------------------------- */

static void book__mass_cancel__by_session_account_instrument_all(void **state)
{
	(void)state;
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10000), .qty = 1, .tif = ME_GTC };
	for (uint32_t s = 1; s <= 3; s++)
		for (uint32_t a = 1; a <= 2; a++) {
			o.session = s;
			o.account = a;
			assert_int_equal(submit(&o, NULL), 0);
		}
	o.instr = g_i2;
	o.px = C(9950);
	assert_int_equal(submit(&o, NULL), 0);                /* session 3 account 2 on instr 2 */
	uint32_t n = 0;
	clear();
	struct me_mass_cancel mc = { .match = ME_MC_SESSION, .session_id = 1, .reason = ME_CXL_MASS };
	assert_int_equal(me_mass_cancel(g_e, &mc, ++g_now, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nth(ME_EV_CANCELED, 0)->reason, ME_CXL_MASS);
	assert_int_equal(g_rec.nt, 1);
	mc = (struct me_mass_cancel){ .match = ME_MC_ACCOUNT, .account_id = 2, .reason = ME_CXL_MASS };
	assert_int_equal(me_mass_cancel(g_e, &mc, ++g_now, &n), 0);
	assert_int_equal(n, 3);                               /* sessions 2,3 on instr 0 + instr 2 */
	mc = (struct me_mass_cancel){ .match = ME_MC_INSTRUMENT, .instrument_id = g_i0, .reason = ME_CXL_MASS };
	assert_int_equal(submit(&o, NULL), 0);                /* instr 2 again */
	assert_int_equal(me_mass_cancel(g_e, &mc, ++g_now, &n), 0);
	assert_int_equal(n, 2);
	assert_true(top(g_i0).bid_px == ORION_PX_NONE);
	assert_int_equal(top(g_i2).bid_qty, 1);
	mc = (struct me_mass_cancel){ .reason = ME_CXL_MASS };
	assert_int_equal(me_mass_cancel(g_e, &mc, ++g_now, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(me_get_stats(g_e)->orders_live, 0);
	mc.match = 1u << 20;
	assert_int_equal(me_mass_cancel(g_e, &mc, ++g_now, &n), -EINVAL);
}

static void book__mass_cancel_by_side__keeps_other_side(void **state)
{
	(void)state;
	rest(g_i0, ME_BUY, C(10000), 1, 1);
	rest(g_i0, ME_SELL, C(10010), 1, 1);
	struct me_mass_cancel mc = { .match = ME_MC_SIDE | ME_MC_TENANT, .side = ME_SELL, .tenant_id = 7,
		.reason = ME_CXL_MASS };
	uint32_t n;
	assert_int_equal(me_mass_cancel(g_e, &mc, ++g_now, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(top(g_i0).bid_qty, 1);
	assert_true(top(g_i0).ask_px == ORION_PX_NONE);
}

/* ---- pool ------------------------------------------------------------------ */

static void book__pool_exhausted__rejects_then_recovers(void **state)
{
	(void)state;
	me_destroy(g_e);
	g_e = make_engine(3, ME_STP_NONE);
	uint64_t a = rest(g_i0, ME_BUY, C(10000), 1, 1);
	rest(g_i0, ME_BUY, C(10000), 1, 1);
	rest(g_i0, ME_BUY, C(10000), 1, 1);
	clear();
	struct ord o = { .instr = g_i0, .side = ME_BUY, .px = C(10000), .qty = 1, .tif = ME_GTC };
	assert_int_equal(submit(&o, NULL), ME_REJ_POOL_EXHAUSTED);
	assert_int_equal(nth(ME_EV_REJECTED, 0)->reason, ME_REJ_POOL_EXHAUSTED);
	assert_int_equal(me_get_stats(g_e)->orders_live, 3);
	assert_int_equal(cancel(a, 1), 0);
	assert_int_equal(submit(&o, NULL), 0);
	/* even an order that would fill completely needs a slot while it matches */
	o.side = ME_SELL;
	o.qty = 3;
	o.tif = ME_IOC;
	assert_int_equal(submit(&o, NULL), ME_REJ_POOL_EXHAUSTED);
}

/* ---- randomized consistency ------------------------------------------------ */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)(g_rng % n);
}

static void book__random_operations__invariants_hold(void **state)
{
	(void)state;
	me_destroy(g_e);
	g_e = make_engine(512, ME_STP_CANCEL_RESTING);
	uint64_t ids[64] = { 0 };
	uint64_t qty_in = 0, filled_done = 0;
	for (int i = 0; i < 20000; i++) {
		clear();
		uint32_t op = rnd(100), k = rnd(64);
		if (op < 60 || ids[k] == 0) {
			struct ord o = { .instr = g_i2, .side = (uint8_t)(1 + rnd(2)), .px = C(9990 + rnd(21)),
				.qty = 1 + rnd(20), .tif = rnd(10) ? ME_GTC : ME_IOC, .account = 1 + rnd(4),
				.type = rnd(20) ? ME_LIMIT : ME_MARKET };
			if (rnd(10) == 0)
				o.tif = ME_FOK;
			uint64_t id;
			if (submit(&o, &id) == 0)
				qty_in += o.qty;
			if (id && me_get_order(g_e, id, &(struct me_order_info){ 0 }) == 0)
				ids[k] = id;
		} else if (op < 85) {
			cancel(ids[k], 1);
			ids[k] = 0;
		} else {
			struct me_order_info oi;
			if (me_get_order(g_e, ids[k], &oi) == 0)
				replace(ids[k], C(9990 + rnd(21)), oi.cum + 1 + rnd(20));
		}
		assert_int_equal(me_check_book(g_e, g_i2), 0);
		for (size_t j = 0; j < g_rec.n; j++)
			if (g_rec.ev[j].type == ME_EV_TRADE) {
				const struct me_event *t = &g_rec.ev[j];
				assert_int_not_equal(t->u.trade.maker.side, t->u.trade.taker.side);
				assert_int_not_equal(t->u.trade.maker.account_id, t->u.trade.taker.account_id);
				assert_true(t->u.trade.maker.cum + t->u.trade.maker.leaves <= t->u.trade.maker.qty);
				filled_done += (t->u.trade.maker.leaves == 0) + (t->u.trade.taker.leaves == 0);
			}
	}
	const struct me_stats *st = me_get_stats(g_e);
	assert_true(st->trades > 100);
	assert_true(qty_in > 0);
	uint64_t canceled = 0;
	for (unsigned r = 0; r < ME_CXL__COUNT; r++)
		canceled += st->cancels[r];
	/* every accepted order is resting, canceled once, or filled once */
	assert_int_equal(st->accepted, st->orders_live + canceled + filled_done);
	assert_true(st->cancels[ME_CXL_STP] > 0);
}

static void book__names__every_reason_has_text(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ME_REJ__COUNT; i++) {
		assert_string_not_equal(me_reject_name(i), "UNKNOWN");
		assert_string_not_equal(me_reject_text(i), "unknown reason");
	}
	for (unsigned i = 0; i < ME_CXL__COUNT; i++)
		assert_string_not_equal(me_cxl_reason_name(i), "UNKNOWN");
	assert_string_equal(me_reject_name(ME_REJ__COUNT), "UNKNOWN");
}

static void book__config__invalid_rejected(void **state)
{
	(void)state;
	struct me_config cfg = { .max_orders = 0, .max_instruments = 1, .sink = { .on_event = rec_event } };
	assert_null(me_create(&cfg));
	cfg.max_orders = 4;
	struct me_engine *e = me_create(&cfg);
	assert_non_null(e);
	uint32_t id;
	struct me_instrument_cfg c = { .px_min = C(100), .px_max = C(200), .tick_size = C(3), .lot_size = 1,
		.ref_px = ORION_PX_NONE };
	assert_int_equal(me_add_instrument(e, &c, &id), -EINVAL); /* px_min not on tick */
	c.tick_size = C(1);
	assert_int_equal(me_add_instrument(e, &c, &id), 0);
	assert_int_equal(me_add_instrument(e, &c, &id), -ENOSPC);
	me_destroy(e);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(book__limit_order_rests__sets_top_and_emits_tick),
		T(book__same_price__first_in_is_first_filled),
		T(book__buy_sweeps_levels__fills_each_at_maker_price),
		T(book__limit_partially_filled__remainder_rests),
		T(book__ioc__remainder_canceled),
		T(book__ioc_no_cross__canceled_without_trade),
		T(book__fok_that_cannot_fill__nothing_happens),
		T(book__fok_that_can_fill__fills_completely),
		T(book__close__expires_day_orders_keeps_gtc),
		T(book__market_into_empty_book__rejected_no_liquidity),
		T(book__market__sweeps_then_cancels_remainder),
		T(book__market_with_band__stops_at_band_edge),
		T(book__post_only_that_would_cross__rejected),
		T(book__post_only_replace_that_would_cross__rejected),
		T(book__stp_cancel_resting__cancels_own_and_keeps_matching),
		T(book__stp_cancel_incoming__keeps_resting_and_earlier_fills),
		T(book__stp_cancel_both__cancels_both),
		T(book__stp_none__self_trade_allowed),
		T(book__stp_default_from_config__applies),
		T(book__fok_with_stp_cancel_incoming__does_not_count_own_liquidity),
		T(book__replace_with_lower_qty__keeps_priority),
		T(book__replace_with_higher_qty__loses_priority),
		T(book__replace_with_new_price__loses_priority),
		T(book__replace_to_crossing_price__trades),
		T(book__replace_qty_not_above_filled__rejected),
		T(book__cancel__removes_order_and_updates_top),
		T(book__cancel_from_other_session__rejected),
		T(book__stale_id_after_slot_reuse__unknown),
		T(book__halted__rejects_new_and_replace_allows_cancel),
		T(book__price_band__rejects_outside),
		T(book__tick_and_lot_size__checked),
		T(book__invalid_fields__rejected_and_counted),
		T(book__mass_cancel__by_session_account_instrument_all),
		T(book__mass_cancel_by_side__keeps_other_side),
		T(book__pool_exhausted__rejects_then_recovers),
		T(book__random_operations__invariants_hold),
		cmocka_unit_test(book__names__every_reason_has_text),
		cmocka_unit_test(book__config__invalid_rejected),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
