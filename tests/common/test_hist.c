/* Unit tests: common/orion_hist (log-linear histogram). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/orion_hist.h"

static struct orion_hist g_h;

static void hist__empty__reports_zero(void **state)
{
	(void)state;
	orion_hist_reset(&g_h);
	assert_int_equal(orion_hist_pct(&g_h, 99), 0);
}

static void hist__uniform_1_to_10000__percentiles_within_one_percent(void **state)
{
	(void)state;
	orion_hist_reset(&g_h);
	for (uint64_t v = 1; v <= 10000; v++)
		orion_hist_add(&g_h, v);
	uint64_t p50 = orion_hist_pct(&g_h, 50), p99 = orion_hist_pct(&g_h, 99);
	assert_in_range(p50, 4950, 5050);
	assert_in_range(p99, 9850, 9950);
	assert_int_equal(orion_hist_pct(&g_h, 100), 10000);
	assert_int_equal(g_h.min, 1);
}

static void hist__merge__adds_counts(void **state)
{
	(void)state;
	static struct orion_hist a, b;
	orion_hist_reset(&a);
	orion_hist_reset(&b);
	orion_hist_add(&a, 10);
	orion_hist_add(&b, 1000000);
	orion_hist_merge(&a, &b);
	assert_int_equal(a.count, 2);
	assert_int_equal(a.max, 1000000);
	assert_int_equal(orion_hist_pct(&a, 50), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hist__empty__reports_zero),
		cmocka_unit_test(hist__uniform_1_to_10000__percentiles_within_one_percent),
		cmocka_unit_test(hist__merge__adds_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
