/* Unit tests: dataplane/book/md_conflate (per-instrument conflation). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/book/md_conflate.h"

#define MS 1000000ull

/* A fake consumer ring with a capacity. */
struct sink {
	struct md_tick got[64];
	uint32_t n;
	uint32_t cap;
};

static int sink_emit(void *arg, const struct md_tick *t)
{
	struct sink *s = arg;
	if (s->n >= s->cap)
		return -ENOBUFS;
	s->got[s->n++] = *t;
	return 0;
}

struct fx {
	struct md_conflate *c;
	struct sink sink;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct md_conflate_config cfg = { .max_instruments = 4, .interval_ns = 0 };
	if (f == NULL || md_conflate_create(&cfg, &f->c) != 0) {
		free(f);
		return -1;
	}
	f->sink.cap = 64;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	md_conflate_destroy(f->c);
	free(f);
	return 0;
}

static struct md_tick tk(uint32_t inst, int64_t bid, uint32_t seqno, uint16_t flags)
{
	struct md_tick t;
	memset(&t, 0, sizeof(t));
	t.instrument_id = inst;
	t.source = 1;
	t.bid_px = bid;
	t.seqno = seqno;
	t.flags = flags;
	return t;
}

static uint32_t poll(struct fx *f, uint64_t now)
{
	f->sink.n = 0;
	return md_conflate_poll(f->c, now, sink_emit, &f->sink, 64);
}

static struct md_conflate_stats stats(const struct fx *f)
{
	struct md_conflate_stats s;
	md_conflate_stats(f->c, &s);
	return s;
}

static void conflate__first_update__emitted_at_next_poll_as_snapshot(void **state)
{
	struct fx *f = *state;
	struct md_tick t = tk(5, 100, 1, MD_TF_HALTED);
	assert_int_equal(md_conflate_update(f->c, &t), 0);
	assert_int_equal(poll(f, 0), 1);
	assert_int_equal(f->sink.got[0].instrument_id, 5);
	assert_int_equal(f->sink.got[0].bid_px, 100);
	assert_int_equal(f->sink.got[0].flags, MD_TF_HALTED | MD_TF_SNAPSHOT);
	/* nothing dirty: nothing more */
	assert_int_equal(poll(f, 500 * MS), 0);
	assert_int_equal(stats(f).emitted, 1);
}

static void conflate__10hz_fake_clock__latest_wins_overwritten_counted(void **state)
{
	struct fx *f = *state;
	uint64_t now = 1000 * MS;
	struct md_tick t = tk(1, 10, 1, 0);
	md_conflate_update(f->c, &t);
	assert_int_equal(poll(f, now), 1);
	/* 1 kHz of updates for one second, polled every ms */
	uint32_t emitted = 0;
	int64_t last_bid = 0;
	for (uint32_t ms = 1; ms <= 1000; ms++) {
		t = tk(1, 10 + ms, 1 + ms, 0);
		md_conflate_update(f->c, &t);
		emitted += poll(f, now + ms * MS);
		if (f->sink.n) {
			/* what goes out is the latest value at that moment */
			assert_int_equal(f->sink.got[0].bid_px, 10 + ms);
			assert_int_equal(f->sink.got[0].seqno, 1 + ms);
			assert_true(f->sink.got[0].flags & MD_TF_SNAPSHOT);
			last_bid = f->sink.got[0].bid_px;
		}
	}
	assert_int_equal(emitted, 10); /* at 100, 200, ..., 1000 ms */
	assert_int_equal(last_bid, 1010);
	struct md_conflate_stats s = stats(f);
	assert_int_equal(s.updates, 1001);
	assert_int_equal(s.emitted, 11);
	assert_int_equal(s.overwritten, 1000 - 10);
	assert_int_equal(s.dirty, 0);
}

static void conflate__interval_per_instrument__not_due_waits(void **state)
{
	struct fx *f = *state;
	struct md_tick a = tk(1, 1, 1, 0), b = tk(2, 2, 1, 0);
	md_conflate_update(f->c, &a);
	assert_int_equal(poll(f, 0), 1);
	md_conflate_update(f->c, &b);
	md_conflate_update(f->c, &a);
	/* b is new (goes now), a was emitted at 0 (waits to 100 ms) */
	assert_int_equal(poll(f, 50 * MS), 1);
	assert_int_equal(f->sink.got[0].instrument_id, 2);
	assert_int_equal(poll(f, 99 * MS), 0);
	assert_int_equal(poll(f, 100 * MS), 1);
	assert_int_equal(f->sink.got[0].instrument_id, 1);
}

static void conflate__ring_full__latest_kept_drop_counted(void **state)
{
	struct fx *f = *state;
	struct md_tick t = tk(3, 7, 1, 0);
	md_conflate_update(f->c, &t);
	f->sink.cap = 0;
	assert_int_equal(poll(f, 0), 0);
	assert_int_equal(stats(f).dropped, 1);
	assert_int_equal(stats(f).dirty, 1);
	t = tk(3, 8, 2, 0);
	md_conflate_update(f->c, &t);
	f->sink.cap = 64;
	assert_int_equal(poll(f, 1), 1);
	assert_int_equal(f->sink.got[0].bid_px, 8);
	assert_int_equal(stats(f).overwritten, 1);
	assert_int_equal(stats(f).dirty, 0);
}

static void conflate__ring_takes_one__rest_stays_dirty_in_order(void **state)
{
	struct fx *f = *state;
	for (uint32_t i = 1; i <= 3; i++) {
		struct md_tick t = tk(i, i, 1, 0);
		md_conflate_update(f->c, &t);
	}
	f->sink.cap = 1;
	assert_int_equal(poll(f, 0), 1);
	assert_int_equal(f->sink.got[0].instrument_id, 1);
	assert_int_equal(stats(f).dropped, 1);
	f->sink.cap = 64;
	assert_int_equal(poll(f, 0), 2);
	assert_int_equal(f->sink.got[0].instrument_id, 2);
	assert_int_equal(f->sink.got[1].instrument_id, 3);
}

static void conflate__max_bounds_emission(void **state)
{
	struct fx *f = *state;
	for (uint32_t i = 1; i <= 4; i++) {
		struct md_tick t = tk(i, i, 1, 0);
		md_conflate_update(f->c, &t);
	}
	f->sink.n = 0;
	assert_int_equal(md_conflate_poll(f->c, 0, sink_emit, &f->sink, 3), 3);
	assert_int_equal(stats(f).dirty, 1);
	assert_int_equal(stats(f).dropped, 0);
}

static void conflate__trade_flag_survives_folding(void **state)
{
	struct fx *f = *state;
	struct md_tick t = tk(1, 1, 1, 0);
	md_conflate_update(f->c, &t);
	poll(f, 0);
	t = tk(1, 2, 2, MD_TF_TRADE);
	md_conflate_update(f->c, &t);
	t = tk(1, 3, 3, 0);
	md_conflate_update(f->c, &t);
	assert_int_equal(poll(f, 100 * MS), 1);
	assert_int_equal(f->sink.got[0].bid_px, 3);
	assert_int_equal(f->sink.got[0].flags, MD_TF_TRADE | MD_TF_SNAPSHOT);
	t = tk(1, 4, 4, 0);
	md_conflate_update(f->c, &t);
	assert_int_equal(poll(f, 200 * MS), 1);
	assert_int_equal(f->sink.got[0].flags, MD_TF_SNAPSHOT);
}

static void conflate__table_full_and_sources__counted(void **state)
{
	struct fx *f = *state;
	for (uint32_t i = 1; i <= 4; i++) {
		struct md_tick t = tk(i, i, 1, 0);
		assert_int_equal(md_conflate_update(f->c, &t), 0);
	}
	/* same instrument id from another source is a different instrument */
	struct md_tick t = tk(1, 9, 1, 0);
	t.source = 2;
	assert_int_equal(md_conflate_update(f->c, &t), -ENOSPC);
	struct md_conflate_stats s = stats(f);
	assert_int_equal(s.table_full, 1);
	assert_int_equal(s.instruments, 4);
	assert_int_equal(s.overwritten, 0);
}

static void conflate__bad_config__rejected(void **state)
{
	(void)state;
	struct md_conflate *c;
	struct md_conflate_config cfg = { .max_instruments = 0 };
	assert_int_equal(md_conflate_create(&cfg, &c), -EINVAL);
	assert_int_equal(md_conflate_mem_size(&cfg), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(conflate__first_update__emitted_at_next_poll_as_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(conflate__10hz_fake_clock__latest_wins_overwritten_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(conflate__interval_per_instrument__not_due_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(conflate__ring_full__latest_kept_drop_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(conflate__ring_takes_one__rest_stays_dirty_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(conflate__max_bounds_emission, setup, teardown),
		cmocka_unit_test_setup_teardown(conflate__trade_flag_survives_folding, setup, teardown),
		cmocka_unit_test_setup_teardown(conflate__table_full_and_sources__counted, setup, teardown),
		cmocka_unit_test(conflate__bad_config__rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
