/* Control plane per-client conflation and slow-consumer policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "controlplane/cp_conflate.h"

static const struct cp_cflt_cfg cfg = { .max_level = 3, .relax_ticks = 4, .stall_ns = 1000, .max_queue = 100 };

static void cflt__healthy_client__sends_every_tick_with_data(void **st)
{
	(void)st;
	struct cp_cflt s;
	int ch;
	cp_cflt_init(&s);
	for (uint64_t t = 0; t < 10; t++) {
		assert_int_equal(cp_cflt_tick(&s, &cfg, t, t * 100, 0, 1, 0, &ch), CP_CFLT_SEND);
		assert_int_equal(ch, 0);
	}
	assert_int_equal(cp_cflt_tick(&s, &cfg, 10, 1000, 0, 0, 0, &ch), CP_CFLT_IDLE);
}

static void cflt__stalled__conflated_harder_up_to_max(void **st)
{
	(void)st;
	struct cp_cflt s;
	int ch;
	cp_cflt_init(&s);
	for (unsigned i = 1; i <= 5; i++) {
		assert_int_equal(cp_cflt_tick(&s, &cfg, i, i * 10, 1, 1, 0, &ch), CP_CFLT_IDLE);
		assert_int_equal(s.level, i < 3 ? i : 3);
		assert_int_equal(ch, i <= 3 ? 1 : 0);
	}
	/* drained again: sends only every 2^3 = 8th tick */
	unsigned sends = 0;
	for (uint64_t t = 8; t < 16; t++)
		sends += cp_cflt_tick(&s, &cfg, t, 100 + t, 0, 1, 0, &ch) == CP_CFLT_SEND;
	assert_true(sends <= 2);
	assert_true(s.level < 3); /* relaxing after relax_ticks clean ticks */
}

static void cflt__clean_ticks__relax_one_level_at_a_time(void **st)
{
	(void)st;
	struct cp_cflt s;
	int ch;
	cp_cflt_init(&s);
	cp_cflt_tick(&s, &cfg, 1, 10, 1, 0, 0, &ch);
	cp_cflt_tick(&s, &cfg, 2, 20, 1, 0, 0, &ch);
	assert_int_equal(s.level, 2);
	for (uint64_t t = 3; t < 6; t++) {
		cp_cflt_tick(&s, &cfg, t, t * 10, 0, 0, 0, &ch);
		assert_int_equal(ch, 0);
	}
	cp_cflt_tick(&s, &cfg, 6, 60, 0, 0, 0, &ch);
	assert_int_equal(ch, -1);
	assert_int_equal(s.level, 1);
	assert_int_equal(s.level_downs, 1);
}

static void cflt__stalled_past_timeout__disconnect(void **st)
{
	(void)st;
	struct cp_cflt s;
	int ch;
	cp_cflt_init(&s);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 1, 5000, 1, 1, 0, &ch), CP_CFLT_IDLE);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 2, 5999, 1, 1, 0, &ch), CP_CFLT_IDLE);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 3, 6000, 1, 1, 0, &ch), CP_CFLT_DROP_STALLED);
}

static void cflt__stall_cleared__timer_restarts(void **st)
{
	(void)st;
	struct cp_cflt s;
	int ch;
	cp_cflt_init(&s);
	cp_cflt_tick(&s, &cfg, 1, 5000, 1, 1, 0, &ch);
	cp_cflt_tick(&s, &cfg, 2, 5900, 0, 1, 0, &ch);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 3, 6100, 1, 1, 0, &ch), CP_CFLT_IDLE);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 4, 7000, 1, 1, 0, &ch), CP_CFLT_IDLE);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 5, 7100, 1, 1, 0, &ch), CP_CFLT_DROP_STALLED);
}

static void cflt__queue_over_max__disconnect(void **st)
{
	(void)st;
	struct cp_cflt s;
	int ch;
	cp_cflt_init(&s);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 0, 1, 0, 1, 100, &ch), CP_CFLT_SEND);
	assert_int_equal(cp_cflt_tick(&s, &cfg, 1, 2, 0, 1, 101, &ch), CP_CFLT_DROP_QUEUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cflt__healthy_client__sends_every_tick_with_data),
		cmocka_unit_test(cflt__stalled__conflated_harder_up_to_max),
		cmocka_unit_test(cflt__clean_ticks__relax_one_level_at_a_time),
		cmocka_unit_test(cflt__stalled_past_timeout__disconnect),
		cmocka_unit_test(cflt__stall_cleared__timer_restarts),
		cmocka_unit_test(cflt__queue_over_max__disconnect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
