/* Unit tests: fix/fix_codec (framing, parsing, values, builder, groups). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fix/fix_codec.h"
#include "fix_test_util.h"

#define NOS_BODY "35=D|49=CLIENT1|56=ORION|34=7|52=20240115-09:30:00.123|11=ORD-1|1=ACC|55=AAPL|54=1|" \
		 "60=20240115-09:30:00.120|38=100|40=2|44=187.25|59=0|"

static struct fix_msg g_m;

static void frame__complete_message__returns_its_length(void **state)
{
	(void)state;
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), NOS_BODY);
	struct fix_frame fr;
	assert_int_equal(fix_frame(buf, n, 4096, &fr), FIX_FRAME_MSG);
	assert_int_equal(fr.len, n);
	assert_int_equal(fr.body_len, strlen(NOS_BODY));
	assert_int_equal(fr.err, FIX_OK);
}

static void frame__every_prefix__needs_more(void **state)
{
	(void)state;
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), NOS_BODY);
	struct fix_frame fr;
	for (size_t k = 0; k < n; k++)
		assert_int_equal(fix_frame(buf, k, 4096, &fr), FIX_FRAME_NEED_MORE);
}

static void frame__two_messages__first_one_only(void **state)
{
	(void)state;
	char buf[1024];
	size_t n1 = fixt_msg(buf, sizeof(buf), NOS_BODY);
	size_t n2 = fixt_msg(buf + n1, sizeof(buf) - n1, "35=0|49=A|56=B|34=2|52=20240115-09:30:00|");
	struct fix_frame fr;
	assert_int_equal(fix_frame(buf, n1 + n2, 4096, &fr), FIX_FRAME_MSG);
	assert_int_equal(fr.len, n1);
	assert_int_equal(fix_frame(buf + n1, n2, 4096, &fr), FIX_FRAME_MSG);
	assert_int_equal(fr.len, n2);
}

static void frame__bad_checksum__garbled_whole_message(void **state)
{
	(void)state;
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), NOS_BODY);
	buf[n - 2] = buf[n - 2] == '9' ? '0' : (char)(buf[n - 2] + 1);
	struct fix_frame fr;
	assert_int_equal(fix_frame(buf, n, 4096, &fr), FIX_FRAME_GARBLED);
	assert_int_equal(fr.err, FIX_ERR_BAD_CHECKSUM);
	assert_int_equal(fr.len, n);
}

static void frame__bad_body_length__garbled_up_to_next_message(void **state)
{
	(void)state;
	char buf[1024], good[512];
	/* declare a body 3 bytes too short */
	size_t n = fixt_msg(buf, sizeof(buf), NOS_BODY);
	char *nine = strstr(buf, "9=");
	size_t declared = strlen(NOS_BODY) - 3;
	char digits[8];
	snprintf(digits, sizeof(digits), "%zu", declared);
	memcpy(nine + 2, digits, strlen(digits));
	size_t g = fixt_msg(good, sizeof(good), "35=0|49=A|56=B|34=2|52=20240115-09:30:00|");
	memcpy(buf + n, good, g);
	struct fix_frame fr;
	assert_int_equal(fix_frame(buf, n + g, 4096, &fr), FIX_FRAME_GARBLED);
	assert_int_equal(fr.err, FIX_ERR_BAD_BODY_LEN);
	assert_int_equal(fr.len, n); /* next "8=FIX" */
	assert_int_equal(fix_frame(buf + fr.len, g, 4096, &fr), FIX_FRAME_MSG);
}

static void frame__leading_garbage__skipped(void **state)
{
	(void)state;
	char buf[512];
	memcpy(buf, "xx\001yy", 5);
	size_t n = fixt_msg(buf + 5, sizeof(buf) - 5, NOS_BODY);
	struct fix_frame fr;
	assert_int_equal(fix_frame(buf, n + 5, 4096, &fr), FIX_FRAME_GARBLED);
	assert_int_equal(fr.err, FIX_ERR_BAD_BEGIN);
	assert_int_equal(fr.len, 5);
	/* garbage without any 8=FIX keeps a possible prefix */
	assert_int_equal(fix_frame("abc8=F", 6, 4096, &fr), FIX_FRAME_GARBLED);
	assert_int_equal(fr.len, 3);
}

static void frame__too_big__garbled(void **state)
{
	(void)state;
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), NOS_BODY);
	struct fix_frame fr;
	assert_int_equal(fix_frame(buf, n, n - 1, &fr), FIX_FRAME_GARBLED);
	assert_int_equal(fr.err, FIX_ERR_TOO_BIG);
	assert_int_equal(fix_frame(buf, n, n, &fr), FIX_FRAME_MSG);
}

static void frame__body_length_not_second__garbled(void **state)
{
	(void)state;
	char buf[] = "8=FIX.4.4\00135=0\0019=5\00110=000\001";
	struct fix_frame fr;
	assert_int_equal(fix_frame(buf, sizeof(buf) - 1, 4096, &fr), FIX_FRAME_GARBLED);
	assert_int_equal(fr.err, FIX_ERR_BAD_BODY_LEN_FIELD);
}

static void checksum__known_value(void **state)
{
	(void)state;
	const char m[] = "8=FIX.4.4\0019=5\00135=0\001";
	assert_int_equal(fix_checksum(m, sizeof(m) - 1), 163);
	/* long input exercises the wide path and its flushes */
	static char big[5000];
	unsigned want = 0;
	for (size_t i = 0; i < sizeof(big); i++) {
		big[i] = (char)(0xFF - (i % 7));
		want += (unsigned char)big[i];
	}
	assert_int_equal(fix_checksum(big, sizeof(big)), want % 256);
	assert_int_equal(fix_checksum(big, 13), (unsigned)(0xFF * 13 - (0 + 1 + 2 + 3 + 4 + 5 + 6 + 0 + 1 + 2 + 3 + 4 + 5)) % 256);
}

static void parse__new_order_single__fields_are_views(void **state)
{
	(void)state;
	char buf[512], v[64];
	size_t n = fixt_msg(buf, sizeof(buf), NOS_BODY);
	enum fix_err e;
	assert_int_equal(fix_parse(&g_m, buf, n, &e), 0);
	assert_int_equal(e, FIX_OK);
	assert_int_equal(g_m.nfields, 17);
	assert_true(fix_msg_is(&g_m, "D"));
	assert_false(fix_msg_is(&g_m, "DD"));
	assert_int_equal(g_m.f[0].tag, 8);
	assert_int_equal(g_m.f[16].tag, 10);
	assert_string_equal(fixt_val(&g_m, 11, v, sizeof(v)), "ORD-1");
	assert_string_equal(fixt_val(&g_m, 44, v, sizeof(v)), "187.25");
	const struct fix_field *f = fix_msg_get(&g_m, 55);
	assert_non_null(f);
	assert_ptr_equal(f->val, strstr(buf, "55=AAPL") + 3); /* zero copy */
	assert_int_equal(fix_msg_find(&g_m, 9999), -1);
	assert_int_equal(fix_msg_find_from(&g_m, 34, 6), -1);
	assert_int_equal(fix_msg_find_from(&g_m, 34, 4), 5);
}

static void parse__empty_value__error_names_tag(void **state)
{
	(void)state;
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), "35=D|49=A|56=B|34=2|58=|52=20240115-09:30:00|");
	enum fix_err e;
	assert_int_equal(fix_parse(&g_m, buf, n, &e), -EBADMSG);
	assert_int_equal(e, FIX_ERR_EMPTY_VALUE);
	assert_int_equal(g_m.err_tag, 58);
}

static void parse__bad_tags__rejected(void **state)
{
	(void)state;
	char buf[512];
	enum fix_err e;
	size_t n = fixt_msg(buf, sizeof(buf), "35=D|49=A|056=B|");
	assert_int_equal(fix_parse(&g_m, buf, n, &e), -EBADMSG);
	assert_int_equal(e, FIX_ERR_BAD_TAG);
	n = fixt_msg(buf, sizeof(buf), "35=D|4x9=A|");
	assert_int_equal(fix_parse(&g_m, buf, n, &e), -EBADMSG);
	assert_int_equal(e, FIX_ERR_BAD_TAG);
	n = fixt_msg(buf, sizeof(buf), "35=D|49|");
	assert_int_equal(fix_parse(&g_m, buf, n, &e), -EBADMSG);
	assert_int_equal(e, FIX_ERR_NO_EQUALS);
	n = fixt_msg(buf, sizeof(buf), "35=D|99999999999=1|");
	assert_int_equal(fix_parse(&g_m, buf, n, &e), -EBADMSG);
	assert_int_equal(e, FIX_ERR_BAD_TAG);
}

static void parse__msgtype_not_third__error(void **state)
{
	(void)state;
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), "49=A|35=D|56=B|");
	enum fix_err e;
	assert_int_equal(fix_parse(&g_m, buf, n, &e), -EBADMSG);
	assert_int_equal(e, FIX_ERR_MSGTYPE_NOT_THIRD);
}

static void parse__too_many_fields__error(void **state)
{
	(void)state;
	static char body[4000], buf[4200];
	size_t p = (size_t)sprintf(body, "35=D|");
	for (int i = 0; i < FIX_MAX_FIELDS; i++)
		p += (size_t)sprintf(body + p, "58=x|");
	size_t n = fixt_msg(buf, sizeof(buf), body);
	enum fix_err e;
	assert_int_equal(fix_parse(&g_m, buf, n, &e), -EBADMSG);
	assert_int_equal(e, FIX_ERR_TOO_MANY_FIELDS);
}

static void values__integers__overflow_and_format(void **state)
{
	(void)state;
	uint64_t u;
	int64_t s;
	assert_int_equal(fix_parse_uint("18446744073709551615", 20, &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(fix_parse_uint("18446744073709551616", 20, &u), -ERANGE);
	assert_int_equal(fix_parse_uint("12a", 3, &u), -EINVAL);
	assert_int_equal(fix_parse_uint("", 0, &u), -EINVAL);
	assert_int_equal(fix_parse_int("-9223372036854775808", 20, &s), 0);
	assert_true(s == INT64_MIN);
	assert_int_equal(fix_parse_int("9223372036854775808", 19, &s), -ERANGE);
	assert_int_equal(fix_parse_int("-", 1, &s), -EINVAL);
	char d[32];
	assert_int_equal(fix_fmt_int(d, INT64_MIN), 20);
	assert_memory_equal(d, "-9223372036854775808", 20);
	assert_int_equal(fix_fmt_uint(d, 0), 1);
	assert_int_equal(d[0], '0');
}

static void values__price__fixed_point_both_ways(void **state)
{
	(void)state;
	int64_t px;
	assert_int_equal(fix_parse_price("187.25", 6, &px), 0);
	assert_true(px == 18725000000LL);
	assert_int_equal(fix_parse_price("-0.5", 4, &px), 0);
	assert_true(px == -50000000LL);
	assert_int_equal(fix_parse_price("7", 1, &px), 0);
	assert_true(px == 700000000LL);
	assert_int_equal(fix_parse_price(".00000001", 9, &px), 0);
	assert_true(px == 1);
	assert_int_equal(fix_parse_price("1.123456780", 11, &px), 0);
	assert_true(px == 112345678LL);
	assert_int_equal(fix_parse_price("1.123456789", 11, &px), -ERANGE);
	assert_int_equal(fix_parse_price("92233720368.54775807", 20, &px), 0);
	assert_true(px == INT64_MAX);
	assert_int_equal(fix_parse_price("92233720368.54775808", 20, &px), -ERANGE);
	assert_int_equal(fix_parse_price("92233720369", 11, &px), -ERANGE);
	assert_int_equal(fix_parse_price("1.2.3", 5, &px), -EINVAL);
	assert_int_equal(fix_parse_price(".", 1, &px), -EINVAL);
	assert_int_equal(fix_parse_price("1e5", 3, &px), -EINVAL);
	char d[32];
	size_t n = fix_fmt_price(d, 18725000000LL);
	assert_int_equal(n, 6);
	assert_memory_equal(d, "187.25", 6);
	n = fix_fmt_price(d, -1);
	assert_memory_equal(d, "-0.00000001", n);
	n = fix_fmt_price(d, 700000000LL);
	assert_memory_equal(d, "7", n);
	assert_int_equal(n, 1);
	n = fix_fmt_price(d, INT64_MIN);
	assert_memory_equal(d, "-92233720368.54775808", n);
}

static void values__qty_bool_decimal(void **state)
{
	(void)state;
	int64_t q;
	bool b;
	assert_int_equal(fix_parse_qty("100", 3, &q), 0);
	assert_true(q == 100);
	assert_int_equal(fix_parse_qty("100.000", 7, &q), 0);
	assert_true(q == 100);
	assert_int_equal(fix_parse_qty("100.5", 5, &q), -ERANGE);
	assert_int_equal(fix_parse_qty("-1", 2, &q), -EINVAL);
	assert_int_equal(fix_parse_bool("Y", 1, &b), 0);
	assert_true(b);
	assert_int_equal(fix_parse_bool("y", 1, &b), -EINVAL);
	assert_true(fix_is_decimal("-12.5", 5));
	assert_true(fix_is_decimal(".5", 2));
	assert_false(fix_is_decimal("-", 1));
	assert_false(fix_is_decimal("1,5", 3));
}

static void timestamp__ms_us_ns_accepted(void **state)
{
	(void)state;
	uint64_t t;
	const uint64_t base = 1705311000ull * 1000000000ull; /* 2024-01-15 09:30:00 UTC */
	assert_int_equal(fix_parse_timestamp("20240115-09:30:00", 17, &t), 0);
	assert_true(t == base);
	assert_int_equal(fix_parse_timestamp("20240115-09:30:00.123", 21, &t), 0);
	assert_true(t == base + 123000000ull);
	assert_int_equal(fix_parse_timestamp("20240115-09:30:00.123456", 24, &t), 0);
	assert_true(t == base + 123456000ull);
	assert_int_equal(fix_parse_timestamp("20240115-09:30:00.123456789", 27, &t), 0);
	assert_true(t == base + 123456789ull);
	assert_int_equal(fix_parse_timestamp("20240229-23:59:59", 17, &t), 0);
	assert_true(t == 1709251199ull * 1000000000ull);
}

static void timestamp__invalid_rejected(void **state)
{
	(void)state;
	uint64_t t;
	const char *bad[] = {
		"20230229-00:00:00", "20241301-00:00:00", "20240100-00:00:00", "20240115-24:00:00",
		"20240115-09:60:00", "20240115-09:30:61", "20240115 09:30:00", "20240115-09:30:00.",
		"20240115-09:30:00.1234567890", "2024011-09:30:00", "19691231-23:59:59",
		"20240115-09:30:00,123", "2024O115-09:30:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(fix_parse_timestamp(bad[i], strlen(bad[i]), &t), 0);
	int64_t days;
	assert_int_equal(fix_parse_date("19700102", 8, &days), 0);
	assert_true(days == 1);
	assert_int_not_equal(fix_parse_date("2024011", 7, &days), 0);
}

static void timestamp__format_round_trips(void **state)
{
	(void)state;
	char d[32];
	const uint64_t t = 1705311000ull * 1000000000ull + 123456789ull;
	assert_int_equal(fix_fmt_timestamp(d, t, 3), 21);
	assert_memory_equal(d, "20240115-09:30:00.123", 21);
	assert_int_equal(fix_fmt_timestamp(d, t, 6), 24);
	assert_memory_equal(d, "20240115-09:30:00.123456", 24);
	assert_int_equal(fix_fmt_timestamp(d, t, 9), 27);
	assert_memory_equal(d, "20240115-09:30:00.123456789", 27);
	assert_int_equal(fix_fmt_timestamp(d, t, 0), 17);
	assert_memory_equal(d, "20240115-09:30:00", 17);
	assert_int_equal(fix_fmt_timestamp(d, 0, 3), 21);
	assert_memory_equal(d, "19700101-00:00:00.000", 21);
	/* every day boundary of four years, including Feb 29 and Dec 31 */
	for (uint64_t day = 19000; day < 19000 + 4 * 366; day++) {
		uint64_t ns = day * 86400ull * 1000000000ull + 86399ull * 1000000000ull, back;
		size_t n = fix_fmt_timestamp(d, ns, 9);
		assert_int_equal(fix_parse_timestamp(d, n, &back), 0);
		assert_true(back == ns);
	}
}

static void format__uint_boundaries_and_cached_timestamp(void **state)
{
	(void)state;
	char d[32], e[32];
	const uint64_t vals[] = { 0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 1234567,
				  9999999999ull, 10000000000ull, UINT64_MAX };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t n = fix_fmt_uint(d, vals[i]);
		int m = snprintf(e, sizeof(e), "%llu", (unsigned long long)vals[i]);
		assert_int_equal(n, (size_t)m);
		assert_memory_equal(d, e, n);
	}
	struct fix_ts_cache c = FIX_TS_CACHE_INIT;
	const uint64_t t = 1705311000ull * 1000000000ull;
	for (uint64_t k = 0; k < 3000; k++) {
		uint64_t ns = t + k * 7777777ull; /* crosses many seconds */
		unsigned digits = (unsigned)(k % 4) * 3;
		size_t n1 = fix_fmt_timestamp(d, ns, digits);
		size_t n2 = fix_fmt_timestamp_cached(&c, e, ns, digits);
		assert_int_equal(n1, n2);
		assert_memory_equal(d, e, n1);
	}
}

static void builder__round_trip_with_valid_length_and_checksum(void **state)
{
	(void)state;
	char buf[512], v[64];
	struct fix_builder b;
	const char *out;
	fix_build_begin(&b, buf, sizeof(buf), "FIX.4.4", "8");
	fix_build_cstr(&b, 49, "ORION");
	fix_build_uint(&b, 34, 42);
	fix_build_timestamp(&b, 52, 1705311000ull * 1000000000ull + 5000000ull, 3);
	fix_build_price(&b, 44, 18725000000LL);
	fix_build_int(&b, 38, -3);
	fix_build_char(&b, 54, '2');
	fix_build_bool(&b, 43, true);
	int n = fix_build_finish(&b, &out);
	assert_true(n > 0);
	assert_true(out >= buf && out + n <= buf + sizeof(buf));
	assert_memory_equal(out, "8=FIX.4.4\0019=", 12);
	struct fix_frame fr;
	assert_int_equal(fix_frame(out, (size_t)n, 4096, &fr), FIX_FRAME_MSG);
	assert_int_equal(fr.len, (size_t)n);
	assert_int_equal(fix_parse(&g_m, out, (size_t)n, NULL), 0);
	assert_true(fix_msg_is(&g_m, "8"));
	assert_string_equal(fixt_val(&g_m, 52, v, sizeof(v)), "20240115-09:30:00.005");
	assert_string_equal(fixt_val(&g_m, 44, v, sizeof(v)), "187.25");
	assert_string_equal(fixt_val(&g_m, 38, v, sizeof(v)), "-3");
	assert_string_equal(fixt_val(&g_m, 43, v, sizeof(v)), "Y");
	assert_string_equal(fixt_val(&g_m, 34, v, sizeof(v)), "42");
}

static void builder__errors_are_sticky(void **state)
{
	(void)state;
	char buf[64];
	struct fix_builder b;
	const char *out;
	fix_build_begin(&b, buf, sizeof(buf), "FIX.4.4", "0");
	fix_build_cstr(&b, 58, "this text is far too long for a sixty-four byte buffer");
	fix_build_uint(&b, 34, 1);
	assert_int_equal(fix_build_finish(&b, &out), -ENOSPC);
	char big[256];
	fix_build_begin(&b, big, sizeof(big), "FIX.4.4", "0");
	fix_build_str(&b, 58, "a\001b", 3);
	assert_int_equal(fix_build_finish(&b, &out), -EINVAL);
	fix_build_begin(&b, big, sizeof(big), "FIX.4.4", "");
	assert_int_equal(fix_build_finish(&b, &out), -EINVAL);
}

static const uint32_t g_party_members[] = { 448, 447, 452 };

static void group__parties__entries_found(void **state)
{
	(void)state;
	char buf[512];
	size_t n = fixt_msg(buf, sizeof(buf), "35=D|453=2|448=TRADER1|447=D|452=11|448=FIRM|452=1|55=X|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	int ci = fix_msg_find(&g_m, 453);
	struct fix_group g;
	uint32_t bad = 0;
	assert_int_equal(fix_group_open(&g_m, (unsigned)ci, 448, g_party_members, 3, &g, &bad), 0);
	assert_int_equal(g.count, 2);
	int k = fix_group_find(&g_m, &g, 0, 447);
	assert_true(k > 0);
	assert_memory_equal(g_m.f[k].val, "D", 1);
	assert_int_equal(fix_group_find(&g_m, &g, 1, 447), -1);
	k = fix_group_find(&g_m, &g, 1, 448);
	assert_memory_equal(g_m.f[k].val, "FIRM", 4);
	assert_int_equal(g_m.f[g.end].tag, 55);
}

static void group__wrong_count_or_order__rejected(void **state)
{
	(void)state;
	char buf[512];
	struct fix_group g;
	uint32_t bad = 0;
	size_t n = fixt_msg(buf, sizeof(buf), "35=D|453=3|448=A|448=B|55=X|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	assert_int_equal(fix_group_open(&g_m, 3, 448, g_party_members, 3, &g, &bad), -ERANGE);
	assert_int_equal(bad, 453);
	n = fixt_msg(buf, sizeof(buf), "35=D|453=1|452=1|448=A|55=X|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	assert_int_equal(fix_group_open(&g_m, 3, 448, g_party_members, 3, &g, &bad), -EPROTO);
	assert_int_equal(bad, 452);
	n = fixt_msg(buf, sizeof(buf), "35=D|453=x|448=A|55=X|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	assert_int_equal(fix_group_open(&g_m, 3, 448, g_party_members, 3, &g, &bad), -EINVAL);
	n = fixt_msg(buf, sizeof(buf), "35=D|453=0|55=X|");
	assert_int_equal(fix_parse(&g_m, buf, n, NULL), 0);
	assert_int_equal(fix_group_open(&g_m, 3, 448, g_party_members, 3, &g, &bad), 0);
	assert_int_equal(g.count, 0);
}

static void err_name__every_value_named(void **state)
{
	(void)state;
	for (int e = 0; e < FIX_ERR__COUNT; e++) {
		assert_non_null(fix_err_name((enum fix_err)e));
		assert_string_not_equal(fix_err_name((enum fix_err)e), "unknown");
	}
	assert_string_equal(fix_err_name(FIX_ERR__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frame__complete_message__returns_its_length),
		cmocka_unit_test(frame__every_prefix__needs_more),
		cmocka_unit_test(frame__two_messages__first_one_only),
		cmocka_unit_test(frame__bad_checksum__garbled_whole_message),
		cmocka_unit_test(frame__bad_body_length__garbled_up_to_next_message),
		cmocka_unit_test(frame__leading_garbage__skipped),
		cmocka_unit_test(frame__too_big__garbled),
		cmocka_unit_test(frame__body_length_not_second__garbled),
		cmocka_unit_test(checksum__known_value),
		cmocka_unit_test(parse__new_order_single__fields_are_views),
		cmocka_unit_test(parse__empty_value__error_names_tag),
		cmocka_unit_test(parse__bad_tags__rejected),
		cmocka_unit_test(parse__msgtype_not_third__error),
		cmocka_unit_test(parse__too_many_fields__error),
		cmocka_unit_test(values__integers__overflow_and_format),
		cmocka_unit_test(values__price__fixed_point_both_ways),
		cmocka_unit_test(values__qty_bool_decimal),
		cmocka_unit_test(timestamp__ms_us_ns_accepted),
		cmocka_unit_test(timestamp__invalid_rejected),
		cmocka_unit_test(timestamp__format_round_trips),
		cmocka_unit_test(format__uint_boundaries_and_cached_timestamp),
		cmocka_unit_test(builder__round_trip_with_valid_length_and_checksum),
		cmocka_unit_test(builder__errors_are_sticky),
		cmocka_unit_test(group__parties__entries_found),
		cmocka_unit_test(group__wrong_count_or_order__rejected),
		cmocka_unit_test(err_name__every_value_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
