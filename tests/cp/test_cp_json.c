/* Control plane JSON validation: order requests, amends, prices, WS ops. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/cp_json.h"

#define PX(x) ((int64_t)((x) * 100000000LL))

static int parse(const char *s, struct cp_order_req *o, struct cp_err *e)
{
	return cp_json_parse_order(s, strlen(s), o, e);
}

static void order__full_limit__parsed(void **st)
{
	(void)st;
	struct cp_order_req o;
	struct cp_err e;
	assert_int_equal(parse("{\"instrumentId\":\"AAPL\",\"side\":\"SELL\",\"type\":\"LIMIT\",\"timeInForce\":\"GTC\","
			       "\"quantity\":300,\"price\":\"150.25\",\"postOnly\":true,\"clientOrderId\":\"c-1\"}",
			       &o, &e),
			 0);
	assert_string_equal(o.symbol, "AAPL");
	assert_int_equal(o.side, ME_SELL);
	assert_int_equal(o.type, ME_LIMIT);
	assert_int_equal(o.tif, ME_GTC);
	assert_int_equal(o.qty, 300);
	assert_int_equal(o.price, 15025000000LL);
	assert_int_equal(o.post_only, 1);
	assert_string_equal(o.client_id, "c-1");
}

static void order__defaults_and_numeric_price(void **st)
{
	(void)st;
	struct cp_order_req o;
	struct cp_err e;
	assert_int_equal(parse("{\"instrumentId\":\"IBM\",\"side\":\"BUY\",\"quantity\":1,\"price\":99.5}", &o, &e), 0);
	assert_int_equal(o.type, ME_LIMIT);
	assert_int_equal(o.tif, ME_DAY);
	assert_int_equal(o.price, 9950000000LL);
	assert_int_equal(parse("{\"instrumentId\":\"IBM\",\"side\":\"BUY\",\"quantity\":1,\"price\":7}", &o, &e), 0);
	assert_int_equal(o.price, PX(7));
}

static void order__market__no_price_and_never_rests(void **st)
{
	(void)st;
	struct cp_order_req o;
	struct cp_err e;
	assert_int_equal(parse("{\"instrumentId\":\"IBM\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":5}", &o, &e),
			 0);
	assert_int_equal(o.tif, ME_IOC);
	assert_int_equal(o.price, 0);
	assert_int_equal(parse("{\"instrumentId\":\"IBM\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":5,"
			       "\"price\":\"1\"}",
			       &o, &e),
			 -EINVAL);
	assert_string_equal(e.field, "price");
}

static void expect_err(const char *body, int status, const char *code, const char *field)
{
	struct cp_order_req o;
	struct cp_err e;
	assert_int_equal(parse(body, &o, &e), -EINVAL);
	assert_int_equal(e.status, status);
	assert_string_equal(e.code, code);
	assert_string_equal(e.field, field);
	assert_true(strlen(e.message) > 0);
}

static void order__bad_inputs__field_and_code(void **st)
{
	(void)st;
	expect_err("not json", 400, "BAD_JSON", "");
	expect_err("[1,2]", 400, "BAD_JSON", "");
	expect_err("{\"side\":\"BUY\",\"quantity\":1,\"price\":\"1\"}", 400, "MISSING_FIELD", "instrumentId");
	expect_err("{\"instrumentId\":\"TOOLONGSYM\",\"side\":\"BUY\",\"quantity\":1,\"price\":\"1\"}", 400, "BAD_VALUE",
		   "instrumentId");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"HOLD\",\"quantity\":1,\"price\":\"1\"}", 400, "BAD_VALUE", "side");
	expect_err("{\"instrumentId\":\"A\",\"side\":1,\"quantity\":1,\"price\":\"1\"}", 400, "BAD_TYPE", "side");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":\"1\",\"price\":\"1\"}", 400, "BAD_TYPE",
		   "quantity");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":0,\"price\":\"1\"}", 400, "BAD_VALUE",
		   "quantity");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":4294967296,\"price\":\"1\"}", 400,
		   "BAD_VALUE", "quantity");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":1}", 400, "MISSING_FIELD", "price");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":1,\"price\":\"1.000000001\"}", 400,
		   "BAD_VALUE", "price");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":1,\"price\":\"-1\"}", 400, "BAD_VALUE",
		   "price");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":1,\"price\":\"1\",\"extra\":1}", 400,
		   "UNKNOWN_FIELD", "extra");
	expect_err("{\"instrumentId\":\"A\",\"instrumentId\":\"B\",\"side\":\"BUY\",\"quantity\":1,\"price\":\"1\"}",
		   400, "BAD_JSON", "");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":1,\"price\":\"1\",\"timeInForce\":\"IOC\","
		   "\"postOnly\":true}",
		   400, "BAD_VALUE", "postOnly");
	expect_err("{\"instrumentId\":\"A\",\"side\":\"BUY\",\"quantity\":1,\"price\":\"1\",\"clientOrderId\":\"a b\"}",
		   400, "BAD_VALUE", "clientOrderId");
}

static void amend__qty_or_price_required(void **st)
{
	(void)st;
	uint32_t q;
	int64_t p;
	int hq, hp;
	struct cp_err e;
	assert_int_equal(cp_json_parse_amend("{\"quantity\":50}", 15, &q, &hq, &p, &hp, &e), 0);
	assert_true(hq && !hp && q == 50);
	assert_int_equal(cp_json_parse_amend("{\"price\":\"2.5\"}", 15, &q, &hq, &p, &hp, &e), 0);
	assert_true(!hq && hp && p == 250000000);
	assert_int_equal(cp_json_parse_amend("{}", 2, &q, &hq, &p, &hp, &e), -EINVAL);
	assert_string_equal(e.code, "MISSING_FIELD");
}

static void decimal__parse_and_format_round_trip(void **st)
{
	(void)st;
	int64_t v;
	const char *ok[] = { "0", "1", "150.25", "0.00000001", "-3.5", "92233720368.54775807" };
	const int64_t want[] = { 0, 100000000, 15025000000LL, 1, -350000000, INT64_MAX };
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(cp_parse_decimal(ok[i], strlen(ok[i]), 8, &v), 0);
		assert_int_equal(v, want[i]);
		char out[32];
		cp_fmt_price(out, v);
		assert_string_equal(out, ok[i]);
	}
	const char *bad[] = { "", "-", ".5", "1.", "1e5", "1.2.3", "92233720368.54775808", "0x10", " 1", "1.123456789" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cp_parse_decimal(bad[i], strlen(bad[i]), 8, &v), -EINVAL);
}

static void check__tick_lot_and_notional(void **st)
{
	(void)st;
	struct cp_instrument in = { .symbol = "MSFT", .id = 1, .tick = PX(0.05), .lot = 10 };
	struct cp_order_req o = { .side = ME_BUY, .type = ME_LIMIT, .qty = 20, .price = PX(300.05) };
	struct cp_err e;
	assert_int_equal(cp_order_check(&o, &in, 0, ORION_PX_NONE, &e), 0);
	o.qty = 25;
	assert_int_equal(cp_order_check(&o, &in, 0, ORION_PX_NONE, &e), -EINVAL);
	assert_string_equal(e.code, "LOT_SIZE");
	o.qty = 20;
	o.price = PX(300.02);
	assert_int_equal(cp_order_check(&o, &in, 0, ORION_PX_NONE, &e), -EINVAL);
	assert_string_equal(e.code, "TICK_SIZE");
	o.price = PX(300);
	assert_int_equal(cp_order_check(&o, &in, PX(6000), ORION_PX_NONE, &e), 0);      /* exactly the limit */
	assert_int_equal(cp_order_check(&o, &in, PX(5999.99), ORION_PX_NONE, &e), -EINVAL);
	assert_int_equal(e.status, 403);
	assert_string_equal(e.code, "MAX_NOTIONAL");
	o.type = ME_MARKET;
	assert_int_equal(cp_order_check(&o, &in, PX(6000), ORION_PX_NONE, &e), -EINVAL);
	assert_string_equal(e.code, "NO_REFERENCE_PRICE");
	assert_int_equal(cp_order_check(&o, &in, PX(6000), PX(299), &e), 0);
}

static void ws__ops_parsed_and_bad_ones_refused(void **st)
{
	(void)st;
	static struct cp_ws_op op;
	struct cp_err e;
	const char *m = "{\"op\":\"SUBSCRIBE\",\"instrumentIds\":[\"AAPL\",\"MSFT\"],\"streams\":[\"orders\"],\"id\":\"r1\"}";
	assert_int_equal(cp_json_parse_ws(m, strlen(m), &op, &e), 0);
	assert_int_equal(op.op, CP_OP_SUBSCRIBE);
	assert_int_equal(op.n_ids, 2);
	assert_string_equal(op.ids[1], "MSFT");
	assert_int_equal(op.streams, CP_STREAM_ORDERS);
	assert_string_equal(op.req_id, "r1");
	m = "{\"op\":\"PING\"}";
	assert_int_equal(cp_json_parse_ws(m, strlen(m), &op, &e), 0);
	assert_int_equal(op.op, CP_OP_PING);
	m = "{\"op\":\"AUTH\",\"token\":\"abc.def\"}";
	assert_int_equal(cp_json_parse_ws(m, strlen(m), &op, &e), 0);
	assert_string_equal(op.token, "abc.def");
	const char *bad[] = { "{\"op\":\"SUBSCRIBE\"}", "{\"op\":\"DANCE\"}", "{}", "[]", "{\"op\":\"AUTH\"}",
			      "{\"op\":\"SUBSCRIBE\",\"instrumentIds\":\"AAPL\"}",
			      "{\"op\":\"SUBSCRIBE\",\"streams\":[\"gossip\"]}", "{\"op\":\"PING\",\"x\":1}" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cp_json_parse_ws(bad[i], strlen(bad[i]), &op, &e), -EINVAL);
}

static void buf__json_string_escaped(void **st)
{
	(void)st;
	struct cp_buf b = { 0 };
	cp_buf_json_str(&b, "a\"b\\c\n\x01", 7);
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\u000a\\u0001\"");
	b.len = 0;
	cp_buf_json_px(&b, ORION_PX_NONE);
	cp_buf_json_px(&b, PX(1.5));
	assert_string_equal(b.p, "null\"1.5\"");
	cp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order__full_limit__parsed),
		cmocka_unit_test(order__defaults_and_numeric_price),
		cmocka_unit_test(order__market__no_price_and_never_rests),
		cmocka_unit_test(order__bad_inputs__field_and_code),
		cmocka_unit_test(amend__qty_or_price_required),
		cmocka_unit_test(decimal__parse_and_format_round_trip),
		cmocka_unit_test(check__tick_lot_and_notional),
		cmocka_unit_test(ws__ops_parsed_and_bad_ones_refused),
		cmocka_unit_test(buf__json_string_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
