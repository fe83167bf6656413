/* Unit tests: fix/fix_dict (FIX 4.4 dictionary and validation). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fix/fix_dict.h"
#include "fix_test_util.h"

#define HDR "49=CLIENT1|56=ORION|34=7|52=20240115-09:30:00.123|"
#define NOS_TAIL "11=ORD-1|1=ACC|55=AAPL|54=1|60=20240115-09:30:00.120|38=100|40=2|44=187.25|59=0|"

static struct fix_msg g_m;
static char g_buf[2048];

/* Parse body (with '|'), validate, return rc; *rej filled. */
static int check(const char *body, struct fix_reject *rej)
{
	size_t n = fixt_msg(g_buf, sizeof(g_buf), body);
	assert_true(n > 0);
	assert_int_equal(fix_parse(&g_m, g_buf, n, NULL), 0);
	return fix_dict_validate(&g_m, rej);
}

static void expect_reject(const char *body, int reason, uint32_t tag)
{
	struct fix_reject r;
	assert_int_equal(check(body, &r), -EBADMSG);
	assert_int_equal(r.reason, reason);
	assert_int_equal(r.ref_tag, tag);
	assert_non_null(r.text);
	assert_true(strlen(r.text) > 0);
}

static void validate__good_messages__pass(void **state)
{
	(void)state;
	struct fix_reject r;
	assert_int_equal(check("35=D|" HDR NOS_TAIL, &r), 0);
	assert_int_equal(check("35=D|" HDR NOS_TAIL "453=2|448=T1|447=D|452=11|448=F|452=1|", &r), 0);
	assert_int_equal(check("35=A|" HDR "98=0|108=30|141=Y|553=u|554=p|", &r), 0);
	assert_int_equal(check("35=0|" HDR, &r), 0);
	assert_int_equal(check("35=1|" HDR "112=T|", &r), 0);
	assert_int_equal(check("35=2|" HDR "7=1|16=0|", &r), 0);
	assert_int_equal(check("35=4|" HDR "43=Y|122=20240115-09:29:00|123=Y|36=9|", &r), 0);
	assert_int_equal(check("35=F|" HDR "41=ORD-1|11=ORD-2|55=AAPL|54=1|60=20240115-09:30:00|", &r), 0);
	assert_int_equal(check("35=G|" HDR "41=ORD-1|11=ORD-2|55=AAPL|54=1|60=20240115-09:30:00|38=5|40=2|44=1.5|", &r), 0);
	assert_int_equal(check("35=H|" HDR "11=ORD-1|55=AAPL|54=1|", &r), 0);
	assert_int_equal(check("35=q|" HDR "11=MC-1|530=7|60=20240115-09:30:00|", &r), 0);
	assert_int_equal(check("35=8|" HDR "37=O1|17=E1|150=0|39=0|55=AAPL|54=1|151=100|14=0|6=0|", &r), 0);
	assert_int_equal(check("35=9|" HDR "37=O1|11=C2|41=C1|39=0|434=1|102=1|", &r), 0);
	assert_int_equal(check("35=r|" HDR "37=O1|530=7|531=7|534=1|41=C1|535=O9|", &r), 0);
	assert_int_equal(check("35=j|" HDR "372=B|380=3|45=7|", &r), 0);
	assert_int_equal(check("35=3|" HDR "45=6|371=44|372=D|373=5|58=bad|", &r), 0);
	assert_int_equal(check("35=5|" HDR "58=bye|", &r), 0);
}

static void validate__missing_required_tag__reason_1(void **state)
{
	(void)state;
	expect_reject("35=D|" HDR "11=ORD-1|55=AAPL|54=1|60=20240115-09:30:00|40=1|", FIX_RR_REQUIRED_MISSING, 38);
	expect_reject("35=1|" HDR, FIX_RR_REQUIRED_MISSING, 112);
	expect_reject("35=A|" HDR "98=0|", FIX_RR_REQUIRED_MISSING, 108);
	/* header */
	expect_reject("35=0|56=ORION|34=7|52=20240115-09:30:00|", FIX_RR_REQUIRED_MISSING, 49);
	expect_reject("35=0|49=C|56=ORION|34=7|", FIX_RR_REQUIRED_MISSING, 52);
}

static void validate__bad_enum__reason_5(void **state)
{
	(void)state;
	expect_reject("35=D|" HDR "11=O|55=AAPL|54=Z|60=20240115-09:30:00|38=1|40=1|", FIX_RR_BAD_VALUE, 54);
	expect_reject("35=D|" HDR "11=O|55=AAPL|54=1|60=20240115-09:30:00|38=1|40=1|59=9|", FIX_RR_BAD_VALUE, 59);
	expect_reject("35=A|" HDR "98=7|108=30|", FIX_RR_BAD_VALUE, 98);
	expect_reject("35=3|" HDR "45=1|373=18|", FIX_RR_BAD_VALUE, 373);
}

static void validate__wrong_type__reason_6(void **state)
{
	(void)state;
	expect_reject("35=D|" HDR "11=O|55=AAPL|54=1|60=20240115-09:30:00|38=abc|40=1|", FIX_RR_BAD_FORMAT, 38);
	expect_reject("35=D|" HDR "11=O|55=AAPL|54=1|60=2024-01-15|38=1|40=1|", FIX_RR_BAD_FORMAT, 60);
	expect_reject("35=D|" HDR "11=O|55=AAPL|54=12|60=20240115-09:30:00|38=1|40=1|", FIX_RR_BAD_FORMAT, 54);
	expect_reject("35=D|" HDR "11=O|55=AAPL|54=1|60=20240115-09:30:00|38=1|40=2|44=1.2.3|", FIX_RR_BAD_FORMAT, 44);
	expect_reject("35=A|" HDR "98=0|108=x|", FIX_RR_BAD_FORMAT, 108);
	expect_reject("35=A|" HDR "98=0|108=30|141=yes|", FIX_RR_BAD_FORMAT, 141);
	expect_reject("35=2|" HDR "7=-1|16=0|", FIX_RR_BAD_FORMAT, 7);
}

static void validate__header_order__reason_14(void **state)
{
	(void)state;
	/* a header tag after the first body tag */
	expect_reject("35=0|49=C|56=ORION|52=20240115-09:30:00|112=x|34=7|", FIX_RR_OUT_OF_ORDER, 34);
	expect_reject("35=D|" HDR "11=O|43=Y|55=AAPL|54=1|60=20240115-09:30:00|38=1|40=1|", FIX_RR_OUT_OF_ORDER, 43);
	/* 8, 9 or 35 again, or 10 before the end */
	expect_reject("35=0|" HDR "35=0|", FIX_RR_OUT_OF_ORDER, 35);
	expect_reject("35=0|" HDR "10=000|", FIX_RR_OUT_OF_ORDER, 10);
}

static void validate__tag_problems__reasons_0_2_13(void **state)
{
	(void)state;
	expect_reject("35=0|" HDR "9999=x|", FIX_RR_INVALID_TAG, 9999);
	expect_reject("35=0|" HDR "5000=x|", FIX_RR_INVALID_TAG, 5000);
	expect_reject("35=0|" HDR "11=x|", FIX_RR_NOT_FOR_MSGTYPE, 11);
	expect_reject("35=D|" HDR NOS_TAIL "112=x|", FIX_RR_NOT_FOR_MSGTYPE, 112);
	expect_reject("35=D|" HDR NOS_TAIL "55=MSFT|", FIX_RR_DUPLICATE_TAG, 55);
	expect_reject("35=0|49=C|49=C|56=ORION|34=7|52=20240115-09:30:00|", FIX_RR_DUPLICATE_TAG, 49);
}

static void validate__groups__reasons_15_16(void **state)
{
	(void)state;
	expect_reject("35=D|" HDR NOS_TAIL "453=3|448=A|448=B|", FIX_RR_GROUP_COUNT, 453);
	expect_reject("35=D|" HDR NOS_TAIL "453=1|447=D|448=A|", FIX_RR_GROUP_ORDER, 447);
	/* member outside its group */
	expect_reject("35=D|" HDR NOS_TAIL "448=A|", FIX_RR_GROUP_ORDER, 448);
	/* same member twice in one entry */
	expect_reject("35=D|" HDR NOS_TAIL "453=1|448=A|452=1|452=2|", FIX_RR_GROUP_ORDER, 452);
	/* typed values inside entries */
	expect_reject("35=D|" HDR NOS_TAIL "453=1|448=A|452=x|", FIX_RR_BAD_FORMAT, 452);
	/* group count appears twice */
	expect_reject("35=D|" HDR NOS_TAIL "453=1|448=A|453=1|448=B|", FIX_RR_DUPLICATE_TAG, 453);
}

static void validate__msgtype__invalid_or_unsupported(void **state)
{
	(void)state;
	expect_reject("35=ZZ|" HDR, FIX_RR_INVALID_MSGTYPE, 35);
	expect_reject("35=I|" HDR, FIX_RR_INVALID_MSGTYPE, 35);
	struct fix_reject r;
	assert_int_equal(check("35=B|" HDR "148=headline|", &r), -ENOTSUP); /* News */
	assert_int_equal(check("35=AE|" HDR, &r), -ENOTSUP);                 /* TradeCaptureReport */
}

static void dict__lookups(void **state)
{
	(void)state;
	assert_true(fix_dict_is_admin("A", 1));
	assert_true(fix_dict_is_admin("5", 1));
	assert_false(fix_dict_is_admin("8", 1));
	assert_false(fix_dict_is_admin("D", 1));
	assert_false(fix_dict_is_admin("AB", 2));
	assert_string_equal(fix_dict_msg_name(fix_dict_msg("D", 1)), "NewOrderSingle");
	assert_string_equal(fix_dict_msg_name(fix_dict_msg("r", 1)), "OrderMassCancelReport");
	assert_null(fix_dict_msg("DD", 2));
	assert_int_equal(fix_dict_field_type(44), FIX_T_PRICE);
	assert_int_equal(fix_dict_field_type(52), FIX_T_UTCTS);
	assert_int_equal(fix_dict_field_type(4000), FIX_T_NONE);
	assert_string_equal(fix_dict_field_name(54), "Side");
	assert_true(fix_dict_is_header_tag(34));
	assert_false(fix_dict_is_header_tag(11));
	assert_int_equal(fix_dict_check_value(43, "Y", 1), 0);
	assert_int_equal(fix_dict_check_value(43, "X", 1), FIX_RR_BAD_FORMAT);
	assert_int_equal(fix_dict_check_value(373, "99", 2), 0);
	assert_int_equal(fix_dict_check_value(103, "99", 2), 0);
	assert_int_equal(fix_dict_check_value(380, "99", 2), FIX_RR_BAD_VALUE);
	assert_int_equal(fix_dict_check_value(432, "20240230", 8), FIX_RR_BAD_FORMAT);
	assert_string_equal(fix_reject_reason_name(FIX_RR_COMPID), "CompID problem");
	assert_string_equal(fix_reject_reason_name(99), "Other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validate__good_messages__pass),
		cmocka_unit_test(validate__missing_required_tag__reason_1),
		cmocka_unit_test(validate__bad_enum__reason_5),
		cmocka_unit_test(validate__wrong_type__reason_6),
		cmocka_unit_test(validate__header_order__reason_14),
		cmocka_unit_test(validate__tag_problems__reasons_0_2_13),
		cmocka_unit_test(validate__groups__reasons_15_16),
		cmocka_unit_test(validate__msgtype__invalid_or_unsupported),
		cmocka_unit_test(dict__lookups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
