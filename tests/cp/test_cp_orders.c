/* Control plane order / trade view built from engine events. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/cp_orders.h"
#include "dataplane/og/og.h"

struct rec {
	unsigned orders, trades, notices;
	char last_code[32];
	uint32_t last_notice_user;
};

static void on_order(void *ctx, const struct cp_order *o)
{
	(void)o;
	((struct rec *)ctx)->orders++;
}

static void on_trade(void *ctx, const struct cp_trade *t)
{
	(void)t;
	((struct rec *)ctx)->trades++;
}

static void on_notice(void *ctx, uint32_t user, uint32_t tenant, const char *code, const char *text)
{
	(void)tenant;
	(void)text;
	struct rec *r = ctx;
	r->notices++;
	r->last_notice_user = user;
	snprintf(r->last_code, sizeof(r->last_code), "%s", code);
}

static const char *sym(void *ctx, uint32_t id)
{
	(void)ctx;
	return id == 3 ? "IBM" : NULL;
}

static struct cp_order_req req(uint32_t qty, int64_t px)
{
	struct cp_order_req r = { .side = ME_BUY, .type = ME_LIMIT, .tif = ME_DAY, .qty = qty, .price = px };
	memcpy(r.symbol, "IBM", 4);
	return r;
}

static struct me_order_info info(uint64_t oid, uint64_t corr, uint32_t user, uint32_t qty, uint32_t leaves)
{
	struct me_order_info i = { .order_id = oid, .price = 100, .qty = qty, .leaves = leaves, .cum = qty - leaves,
				   .instrument_id = 3, .session_id = OG_API_SESSION_BASE + user, .tenant_id = 2,
				   .side = ME_BUY, .type = ME_LIMIT };
	if (corr)
		snprintf((char *)i.cl_ord_id, ME_CLORDID_LEN, "A%llu", (unsigned long long)corr);
	return i;
}

static void orders__accept_fill_lifecycle(void **st)
{
	(void)st;
	struct rec r = { 0 };
	const struct cp_orders_cb cb = { &r, on_order, on_trade, on_notice, sym };
	struct cp_orders *s = cp_orders_create(16, 16);
	struct cp_order_req q = req(100, 100);
	struct cp_order *o = cp_orders_add(s, 1700000000000001ull, 5, OG_API_SESSION_BASE + 5, 2, 7, &q, 3, 1000);
	assert_non_null(o);
	assert_int_equal(o->status, CP_OS_PENDING_NEW);
	assert_ptr_equal(cp_orders_find(s, "A1700000000000001"), o);

	struct me_event ev = { .type = ME_EV_ACCEPTED, .instrument_id = 3, .seq = 1 };
	ev.u.order = info(42, 1700000000000001ull, 5, 100, 100);
	cp_orders_apply(s, &ev, 2000, &cb);
	assert_int_equal(o->status, CP_OS_NEW);
	assert_int_equal(o->order_id, 42);
	assert_ptr_equal(cp_orders_by_oid(s, 42), o);

	struct me_event tr = { .type = ME_EV_TRADE, .instrument_id = 3, .seq = 2 };
	tr.u.trade.trade_id = 9;
	tr.u.trade.price = 100;
	tr.u.trade.qty = 40;
	tr.u.trade.taker = info(42, 1700000000000001ull, 5, 100, 60);
	tr.u.trade.maker = info(77, 0, 0, 40, 0);
	tr.u.trade.maker.session_id = 0; /* a FIX order, unknown to the view */
	tr.u.trade.maker.side = ME_SELL;
	cp_orders_apply(s, &tr, 3000, &cb);
	assert_int_equal(o->status, CP_OS_PARTIALLY_FILLED);
	assert_int_equal(o->cum, 40);
	assert_int_equal(o->leaves, 60);
	assert_int_equal(r.trades, 2); /* both sides recorded */
	const struct cp_trade *t = cp_trades_nth(s, 0);
	assert_non_null(t);
	assert_int_equal(t->user, 5);
	assert_int_equal(t->maker, 0);
	assert_int_equal(t->order_corr, 1700000000000001ull);
	assert_string_equal(t->symbol, "IBM");
	t = cp_trades_nth(s, 1);
	assert_int_equal(t->user, CP_USER_NONE);
	assert_int_equal(t->maker, 1);

	tr.u.trade.taker = info(42, 1700000000000001ull, 5, 100, 0);
	cp_orders_apply(s, &tr, 4000, &cb);
	assert_int_equal(o->status, CP_OS_FILLED);
	assert_false(cp_order_is_live(o));
	assert_int_equal(o->rev, 3);
	struct cp_buf b = { 0 };
	cp_order_json(&b, o, "alice");
	assert_non_null(strstr(b.p, "\"id\":\"A1700000000000001\""));
	assert_non_null(strstr(b.p, "\"status\":\"FILLED\""));
	assert_non_null(strstr(b.p, "\"filledQuantity\":100"));
	cp_buf_free(&b);
	cp_orders_destroy(s);
}

static void orders__reject_and_cancel_reject__notify_owner(void **st)
{
	(void)st;
	struct rec r = { 0 };
	const struct cp_orders_cb cb = { &r, on_order, on_trade, on_notice, sym };
	struct cp_orders *s = cp_orders_create(16, 16);
	struct cp_order_req q = req(10, 100);
	struct cp_order *o = cp_orders_add(s, 11, 4, OG_API_SESSION_BASE + 4, 2, 0, &q, 3, 1);
	struct me_event ev = { .type = ME_EV_REJECTED, .reason = ME_REJ_RISK_MAX_QTY, .seq = 1 };
	ev.u.order = info(0, 11, 4, 10, 0);
	cp_orders_apply(s, &ev, 2, &cb);
	assert_int_equal(o->status, CP_OS_REJECTED);
	assert_int_equal(o->reason, ME_REJ_RISK_MAX_QTY);
	assert_int_equal(r.notices, 1);
	assert_int_equal(r.last_notice_user, 4);
	assert_string_equal(r.last_code, "ORDER_REJECTED");

	struct me_event cr = { .type = ME_EV_CANCEL_REJECTED, .reason = ME_REJ_UNKNOWN_ORDER, .seq = 2 };
	cr.u.cxl_rej.order_id = 999;
	cr.u.cxl_rej.session_id = OG_API_SESSION_BASE + 4;
	cp_orders_apply(s, &cr, 3, &cb);
	assert_int_equal(r.notices, 2);
	assert_string_equal(r.last_code, "CANCEL_REJECTED");
	cp_orders_destroy(s);
}

static void orders__fix_order__created_on_accept_and_canceled(void **st)
{
	(void)st;
	struct rec r = { 0 };
	const struct cp_orders_cb cb = { &r, on_order, on_trade, on_notice, sym };
	struct cp_orders *s = cp_orders_create(16, 16);
	struct me_event ev = { .type = ME_EV_ACCEPTED, .seq = 1 };
	ev.u.order = info(500, 0, 0, 10, 10);
	ev.u.order.session_id = 3;
	memcpy(ev.u.order.cl_ord_id, "FIX-1", 5);
	cp_orders_apply(s, &ev, 1, &cb);
	struct cp_order *o = cp_orders_find(s, "E500");
	assert_non_null(o);
	assert_int_equal(o->user, CP_USER_NONE);
	assert_string_equal(o->client_id, "FIX-1");
	assert_string_equal(o->symbol, "IBM");
	struct me_event cx = { .type = ME_EV_CANCELED, .reason = ME_CXL_KILL, .seq = 2 };
	cx.u.canceled.order = ev.u.order;
	cx.u.canceled.order.leaves = 0;
	cp_orders_apply(s, &cx, 2, &cb);
	assert_int_equal(o->status, CP_OS_CANCELED);
	assert_int_equal(o->leaves, 0);
	cp_orders_destroy(s);
}

static void orders__replace__same_order_new_qty_price(void **st)
{
	(void)st;
	struct rec r = { 0 };
	const struct cp_orders_cb cb = { &r, on_order, on_trade, on_notice, sym };
	struct cp_orders *s = cp_orders_create(16, 16);
	struct cp_order_req q = req(10, 100);
	struct cp_order *o = cp_orders_add(s, 21, 1, OG_API_SESSION_BASE + 1, 2, 0, &q, 3, 1);
	struct me_event ev = { .type = ME_EV_ACCEPTED, .seq = 1 };
	ev.u.order = info(8, 21, 1, 10, 10);
	cp_orders_apply(s, &ev, 1, &cb);
	o->pending = CP_PEND_AMEND;
	struct me_event rp = { .type = ME_EV_REPLACED, .seq = 2 };
	rp.u.replaced.order = info(8, 22, 1, 30, 30);
	rp.u.replaced.order.price = 105;
	cp_orders_apply(s, &rp, 2, &cb);
	assert_int_equal(o->qty, 30);
	assert_int_equal(o->price, 105);
	assert_int_equal(o->pending, CP_PEND_NONE);
	assert_ptr_equal(cp_orders_find(s, "A21"), o); /* the API id stays the first corr */
	cp_orders_destroy(s);
}

static void orders__ring_full_of_live_orders__ebusy_then_evicts_finished(void **st)
{
	(void)st;
	struct cp_orders *s = cp_orders_create(16, 16);
	struct cp_order_req q = req(1, 100);
	for (uint64_t c = 1; c <= 16; c++)
		assert_non_null(cp_orders_add(s, c, 0, OG_API_SESSION_BASE, 0, 0, &q, 3, c));
	assert_null(cp_orders_add(s, 17, 0, OG_API_SESSION_BASE, 0, 0, &q, 3, 17));
	assert_int_equal(errno, EBUSY);
	assert_null(cp_orders_add(s, 5, 0, OG_API_SESSION_BASE, 0, 0, &q, 3, 17));
	assert_int_equal(errno, EEXIST);
	/* finish order 3: its slot is taken next, the others stay */
	cp_orders_find(s, "A3")->status = CP_OS_FILLED;
	assert_non_null(cp_orders_add(s, 18, 0, OG_API_SESSION_BASE, 0, 0, &q, 3, 18));
	assert_null(cp_orders_find(s, "A3"));
	for (uint64_t c = 1; c <= 16; c++) {
		char id[24];
		snprintf(id, sizeof(id), "A%llu", (unsigned long long)c);
		if (c != 3)
			assert_non_null(cp_orders_find(s, id));
	}
	assert_non_null(cp_orders_find(s, "A18"));
	assert_null(cp_orders_find(s, "X1"));
	assert_null(cp_orders_find(s, "A"));
	assert_null(cp_orders_find(s, "A12x"));
	cp_orders_destroy(s);
}

static void clordid__parse(void **st)
{
	(void)st;
	uint8_t c[ME_CLORDID_LEN] = { 0 };
	memcpy(c, "A18446744073709551615", 20); /* 19 digits fit: the 20th is cut by the field */
	assert_int_equal(cp_corr_of_clordid(c), 1844674407370955161ull);
	memset(c, 0, sizeof(c));
	memcpy(c, "A12", 3);
	assert_int_equal(cp_corr_of_clordid(c), 12);
	memcpy(c, "B12", 3);
	assert_int_equal(cp_corr_of_clordid(c), 0);
	memcpy(c, "A1x", 3);
	assert_int_equal(cp_corr_of_clordid(c), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(orders__accept_fill_lifecycle),
		cmocka_unit_test(orders__reject_and_cancel_reject__notify_owner),
		cmocka_unit_test(orders__fix_order__created_on_accept_and_canceled),
		cmocka_unit_test(orders__replace__same_order_new_qty_price),
		cmocka_unit_test(orders__ring_full_of_live_orders__ebusy_then_evicts_finished),
		cmocka_unit_test(clordid__parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
