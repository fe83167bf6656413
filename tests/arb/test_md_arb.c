/* Unit tests: dataplane/arb/md_arb (MoldUDP64 line arbiter), fake clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/arb/md_arb.h"
#include "feeds/moldudp64.h"

#define MS 1000000ull
#define MAX_REC 4096

static const char SESS[MOLD_SESSION_LEN] = { 'S', 'E', 'S', 'S', 'I', 'O', 'N', '0', '0', '1' };
static const char SESS2[MOLD_SESSION_LEN] = { 'S', 'E', 'S', 'S', 'I', 'O', 'N', '0', '0', '2' };

struct delivery {
	uint64_t seq;
	uint16_t len;
	unsigned flags;
	uint64_t content; /* the sequence the builder wrote into the message */
};
struct event_rec {
	enum md_arb_event ev;
	uint64_t from, to;
};

struct fx {
	struct md_arb *arb;
	struct md_arb_config cfg;
	struct delivery d[MAX_REC];
	unsigned nd;
	struct event_rec e[MAX_REC];
	unsigned ne;
	struct mold_rereq rr[MAX_REC];
	unsigned nrr;
	int rr_rc; /* what the rerequest callback returns */
	uint64_t now;
};

static void on_deliver(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len, unsigned flags)
{
	struct fx *f = ctx;
	assert_true(f->nd < MAX_REC);
	struct delivery *d = &f->d[f->nd++];
	d->seq = seq;
	d->len = len;
	d->flags = flags;
	d->content = 0;
	if (len >= 8)
		memcpy(&d->content, msg, 8);
}

static int on_rerequest(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fx *f = ctx;
	assert_true(f->nrr < MAX_REC);
	assert_int_equal(mold_rereq_decode(pkt, len, &f->rr[f->nrr]), MOLD_OK);
	f->nrr++;
	return f->rr_rc;
}

static void on_event(void *ctx, enum md_arb_event ev, uint64_t from, uint64_t to)
{
	struct fx *f = ctx;
	assert_true(f->ne < MAX_REC);
	f->e[f->ne++] = (struct event_rec){ ev, from, to };
}

/* Re-create the arbiter with f->cfg (after a test changed it). */
static void rebuild(struct fx *f)
{
	md_arb_destroy(f->arb);
	f->arb = NULL;
	f->nd = f->ne = f->nrr = 0;
	assert_int_equal(md_arb_create(&f->cfg, &f->arb), 0);
}

static int setup(void **state)
{
	static struct fx f;
	memset(&f, 0, sizeof(f));
	md_arb_config_default(&f.cfg);
	f.cfg.max_held_pkts = 16;
	f.cfg.max_held_bytes = 16 * MOLD_MAX_PAYLOAD;
	f.cfg.gap_wait_ns = 1 * MS;
	f.cfg.rerequest_timeout_ns = 5 * MS;
	f.cfg.max_retries = 2;
	f.cfg.max_rereq_count = 100;
	f.cfg.stale_ns = 1000 * MS;
	f.cfg.deliver = on_deliver;
	f.cfg.rerequest = on_rerequest;
	f.cfg.event = on_event;
	f.cfg.ctx = &f;
	f.now = 1000 * MS;
	rebuild(&f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	md_arb_destroy(f->arb);
	f->arb = NULL;
	return 0;
}

/* Send a packet of messages seq..seq+n-1 (each 8 bytes: its own sequence,
 * plus pad bytes) on line; returns md_arb_rx's result. */
static int send_sess(struct fx *f, enum md_arb_line line, const char *sess, uint64_t seq, unsigned n,
		     size_t pad)
{
	uint8_t buf[4096], msg[256];
	struct mold_builder b;
	mold_builder_init(&b, buf, sizeof(buf), sess, seq);
	for (unsigned i = 0; i < n; i++) {
		const uint64_t s = seq + i;
		memset(msg, 0xAB, sizeof(msg));
		memcpy(msg, &s, 8);
		assert_int_equal(mold_builder_add(&b, msg, 8 + pad), 0);
	}
	const size_t len = mold_builder_finish(&b);
	return md_arb_rx(f->arb, line, buf, len, f->now);
}

static int feed(struct fx *f, enum md_arb_line line, uint64_t seq, unsigned n)
{
	return send_sess(f, line, SESS, seq, n, 0);
}

static void heartbeat(struct fx *f, enum md_arb_line line, uint64_t next)
{
	uint8_t buf[MOLD_HDR_LEN];
	assert_int_equal(mold_encode_heartbeat(buf, sizeof(buf), SESS, next), MOLD_HDR_LEN);
	assert_int_equal(md_arb_rx(f->arb, line, buf, sizeof(buf), f->now), 0);
}

static void poll_at(struct fx *f, uint64_t t)
{
	f->now = t;
	md_arb_poll(f->arb, t);
}

/* Deliveries must be exactly from..to, contiguous, with content = seq. */
static void expect_delivered(const struct fx *f, uint64_t from, uint64_t to)
{
	assert_int_equal(f->nd, to - from + 1);
	for (unsigned i = 0; i < f->nd; i++) {
		assert_int_equal(f->d[i].seq, from + i);
		assert_int_equal(f->d[i].content, from + i);
	}
}

static unsigned count_events(const struct fx *f, enum md_arb_event ev)
{
	unsigned n = 0;
	for (unsigned i = 0; i < f->ne; i++)
		n += f->e[i].ev == ev;
	return n;
}

static const struct event_rec *last_event(const struct fx *f, enum md_arb_event ev)
{
	for (unsigned i = f->ne; i-- > 0;)
		if (f->e[i].ev == ev)
			return &f->e[i];
	return NULL;
}

/* ---- tests ---- */

static void arb__first_packet__learns_session_and_delivers(void **state)
{
	struct fx *f = *state;
	char s[MOLD_SESSION_LEN];
	assert_int_equal(md_arb_session(f->arb, s), 0);
	assert_int_equal(feed(f, MD_ARB_LINE_A, 100, 3), 3);
	expect_delivered(f, 100, 102);
	assert_int_equal(f->d[0].flags, 0);
	assert_int_equal(md_arb_session(f->arb, s), 1);
	assert_memory_equal(s, SESS, MOLD_SESSION_LEN);
	assert_int_equal(md_arb_next_seq(f->arb), 103);
	assert_int_equal(count_events(f, MD_ARB_EV_SESSION_NEW), 1);
	assert_int_equal(f->e[0].from, 100);
}

static void arb__same_packets_on_a_and_b__delivered_once_duplicates_counted(void **state)
{
	struct fx *f = *state;
	for (uint64_t s = 1; s <= 10; s += 2) {
		feed(f, MD_ARB_LINE_A, s, 2);
		assert_int_equal(feed(f, MD_ARB_LINE_B, s, 2), 0);
	}
	expect_delivered(f, 1, 10);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->line[MD_ARB_LINE_A].delivered, 10);
	assert_int_equal(st->line[MD_ARB_LINE_B].delivered, 0);
	assert_int_equal(st->line[MD_ARB_LINE_B].dup_packets, 5);
	assert_int_equal(st->line[MD_ARB_LINE_B].dup_messages, 10);
	assert_int_equal(st->line[MD_ARB_LINE_A].dup_packets, 0);
	assert_int_equal(st->line[MD_ARB_LINE_B].packets, 5);
	assert_int_equal(st->line[MD_ARB_LINE_B].messages, 10);
	assert_int_equal(st->gaps_opened, 0);
}

static void arb__b_ahead_of_a__first_copy_wins_either_line(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 1);
	feed(f, MD_ARB_LINE_B, 2, 1); /* B first for 2 */
	feed(f, MD_ARB_LINE_A, 2, 1);
	feed(f, MD_ARB_LINE_A, 3, 1); /* A first for 3 */
	feed(f, MD_ARB_LINE_B, 3, 1);
	expect_delivered(f, 1, 3);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->line[MD_ARB_LINE_A].delivered, 2);
	assert_int_equal(st->line[MD_ARB_LINE_B].delivered, 1);
	assert_int_equal(st->line[MD_ARB_LINE_A].dup_messages, 1);
	assert_int_equal(st->line[MD_ARB_LINE_B].dup_messages, 1);
}

static void arb__reordered_within_window__delivered_in_order(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 2);
	assert_int_equal(feed(f, MD_ARB_LINE_A, 7, 2), 0); /* 7-8 held */
	assert_int_equal(feed(f, MD_ARB_LINE_A, 5, 2), 0); /* 5-6 held, inserted before */
	assert_int_equal(md_arb_in_gap(f->arb), 1);
	assert_int_equal(f->nd, 2); /* nothing beyond the gap */
	const struct event_rec *o = last_event(f, MD_ARB_EV_GAP_OPEN);
	assert_non_null(o);
	assert_int_equal(o->from, 3);
	assert_int_equal(o->to, 6); /* first hole as known when opened: 3..6 */
	assert_int_equal(md_arb_stats(f->arb)->held_now, 2);

	assert_int_equal(feed(f, MD_ARB_LINE_A, 3, 2), 6); /* 3,4 + held 5..8 */
	expect_delivered(f, 1, 8);
	assert_int_equal(f->d[2].flags, 0);
	assert_int_equal(f->d[4].flags, MD_ARB_F_HELD);
	assert_int_equal(f->d[7].flags, MD_ARB_F_HELD);
	const struct event_rec *c = last_event(f, MD_ARB_EV_GAP_FILLED);
	assert_non_null(c);
	assert_int_equal(c->from, 3);
	assert_int_equal(c->to, 8);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->gaps_opened, 1);
	assert_int_equal(st->gaps_filled, 1);
	assert_int_equal(st->held_now, 0);
	assert_int_equal(st->held_bytes_now, 0);
	assert_int_equal(st->held_high_water, 2);
	assert_int_equal(md_arb_in_gap(f->arb), 0);
	assert_int_equal(f->nrr, 0);
}

static void arb__gap_on_a__filled_by_b_without_rerequest(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 1);
	feed(f, MD_ARB_LINE_A, 3, 1); /* A lost 2 */
	poll_at(f, f->now + MS / 2);
	feed(f, MD_ARB_LINE_B, 1, 1);
	assert_int_equal(feed(f, MD_ARB_LINE_B, 2, 1), 2);
	feed(f, MD_ARB_LINE_B, 3, 1);
	expect_delivered(f, 1, 3);
	poll_at(f, f->now + 10 * MS);
	assert_int_equal(f->nrr, 0);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->gaps_filled, 1);
	assert_int_equal(st->line[MD_ARB_LINE_A].line_gap_messages, 1);
	assert_int_equal(st->line[MD_ARB_LINE_B].line_gap_messages, 0);
	assert_int_equal(st->line[MD_ARB_LINE_B].dup_packets, 2);
	assert_int_equal(st->line[MD_ARB_LINE_A].held_packets, 1);
}

/* 1-2 and 6-7 on both lines, 3-5 lost on both. */
static void lose_3_to_5_on_both(struct fx *f)
{
	feed(f, MD_ARB_LINE_A, 1, 2);
	feed(f, MD_ARB_LINE_B, 1, 2);
	feed(f, MD_ARB_LINE_A, 6, 2);
	feed(f, MD_ARB_LINE_B, 6, 2);
}

static void arb__gap_on_both_lines__rerequest_after_wait_with_seq_and_count(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	lose_3_to_5_on_both(f);
	expect_delivered(f, 1, 2);
	poll_at(f, t0 + MS - 1);
	assert_int_equal(f->nrr, 0);
	poll_at(f, t0 + MS);
	assert_int_equal(f->nrr, 1);
	assert_memory_equal(f->rr[0].session, SESS, MOLD_SESSION_LEN);
	assert_int_equal(f->rr[0].seq, 3);
	assert_int_equal(f->rr[0].count, 3);
	assert_int_equal(md_arb_stats(f->arb)->rerequests_sent, 1);
	assert_int_equal(md_arb_stats(f->arb)->rerequest_retries, 0);
	poll_at(f, t0 + 2 * MS); /* not again before the timeout */
	assert_int_equal(f->nrr, 1);
}

static void arb__rerequest_response_on_r__in_order_with_late_flag(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	lose_3_to_5_on_both(f);
	poll_at(f, t0 + MS);
	assert_int_equal(f->nrr, 1);
	f->now += 100000;
	assert_int_equal(feed(f, MD_ARB_LINE_R, 3, 3), 5);
	expect_delivered(f, 1, 7);
	for (unsigned i = 2; i < 5; i++)
		assert_int_equal(f->d[i].flags, MD_ARB_F_LATE);
	assert_int_equal(f->d[5].flags, MD_ARB_F_HELD);
	const struct event_rec *c = last_event(f, MD_ARB_EV_GAP_FILLED);
	assert_non_null(c);
	assert_int_equal(c->from, 3);
	assert_int_equal(c->to, 7);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->messages_recovered, 3);
	assert_int_equal(st->line[MD_ARB_LINE_R].delivered, 3);
	assert_int_equal(st->line[MD_ARB_LINE_B].dup_packets, 2); /* 1-2, and 6-7 already held from A */
	assert_int_equal(st->line[MD_ARB_LINE_B].held_packets, 0);
	assert_int_equal(st->line[MD_ARB_LINE_A].held_packets, 1);
	assert_int_equal(st->gaps_unrecoverable, 0);
	poll_at(f, t0 + 100 * MS);
	assert_int_equal(f->nrr, 1);
}

static void arb__no_response__retried_after_timeout(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	lose_3_to_5_on_both(f);
	poll_at(f, t0 + MS);
	poll_at(f, t0 + MS + 5 * MS - 1);
	assert_int_equal(f->nrr, 1);
	poll_at(f, t0 + MS + 5 * MS);
	assert_int_equal(f->nrr, 2);
	assert_int_equal(f->rr[1].seq, 3);
	assert_int_equal(f->rr[1].count, 3);
	assert_int_equal(md_arb_stats(f->arb)->rerequest_retries, 1);
	assert_int_equal(md_arb_in_gap(f->arb), 1);
}

static void arb__retries_exhausted__unrecoverable_then_held_delivered(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	lose_3_to_5_on_both(f);
	for (uint64_t t = t0; t <= t0 + 40 * MS; t += MS / 2)
		poll_at(f, t);
	assert_int_equal(f->nrr, 3); /* first + max_retries (2) */
	const struct event_rec *u = last_event(f, MD_ARB_EV_GAP_UNRECOVERABLE);
	assert_non_null(u);
	assert_int_equal(u->from, 3);
	assert_int_equal(u->to, 5);
	assert_int_equal(f->nd, 4);
	assert_int_equal(f->d[2].seq, 6);
	assert_int_equal(f->d[3].seq, 7);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->gaps_unrecoverable, 1);
	assert_int_equal(st->messages_lost, 3);
	assert_int_equal(st->rerequest_retries, 2);
	assert_int_equal(st->gaps_filled, 0);
	assert_int_equal(md_arb_in_gap(f->arb), 0);
	assert_int_equal(md_arb_next_seq(f->arb), 8);
	/* a late copy of the lost messages is now a duplicate */
	assert_int_equal(feed(f, MD_ARB_LINE_R, 3, 3), 0);
	assert_int_equal(f->nd, 4);
}

static void arb__unrecoverable_last_retry_timeout_exactly(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	lose_3_to_5_on_both(f);
	poll_at(f, t0 + MS);      /* send 1 */
	poll_at(f, t0 + 6 * MS);  /* send 2 */
	poll_at(f, t0 + 11 * MS); /* send 3 */
	assert_int_equal(f->nrr, 3);
	poll_at(f, t0 + 16 * MS - 1);
	assert_int_equal(count_events(f, MD_ARB_EV_GAP_UNRECOVERABLE), 0);
	poll_at(f, t0 + 16 * MS);
	assert_int_equal(count_events(f, MD_ARB_EV_GAP_UNRECOVERABLE), 1);
}

static void arb__no_rerequest_callback__unrecoverable_after_wait(void **state)
{
	struct fx *f = *state;
	f->cfg.rerequest = NULL;
	rebuild(f);
	const uint64_t t0 = f->now;
	lose_3_to_5_on_both(f);
	poll_at(f, t0 + MS);
	assert_int_equal(count_events(f, MD_ARB_EV_GAP_UNRECOVERABLE), 1);
	assert_int_equal(f->nd, 4);
	assert_int_equal(f->d[1].seq, 2);
	assert_int_equal(f->d[2].seq, 6);
	assert_int_equal(f->d[3].seq, 7);
	assert_int_equal(md_arb_stats(f->arb)->rerequests_sent, 0);
}

static void arb__window_overflow_packets__unrecoverable_skip_to_earliest_held(void **state)
{
	struct fx *f = *state;
	f->cfg.max_held_pkts = 2;
	rebuild(f);
	feed(f, MD_ARB_LINE_A, 1, 2);
	feed(f, MD_ARB_LINE_A, 4, 1); /* held */
	feed(f, MD_ARB_LINE_A, 6, 1); /* held, window full */
	assert_int_equal(f->nd, 2);
	assert_int_equal(feed(f, MD_ARB_LINE_A, 8, 1), 1); /* overflow: skip 3, deliver 4, hole 5 */
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->window_overflows, 1);
	assert_int_equal(st->gaps_unrecoverable, 1);
	const struct event_rec *u = last_event(f, MD_ARB_EV_GAP_UNRECOVERABLE);
	assert_int_equal(u->from, 3);
	assert_int_equal(u->to, 3);
	assert_int_equal(f->nd, 3);
	assert_int_equal(f->d[2].seq, 4);
	/* still behind (5 and 7 missing): a new gap is open, 6 and 8 held */
	assert_int_equal(md_arb_in_gap(f->arb), 1);
	assert_int_equal(st->held_now, 2);
	assert_int_equal(count_events(f, MD_ARB_EV_GAP_OPEN), 2);
	feed(f, MD_ARB_LINE_B, 5, 1);
	feed(f, MD_ARB_LINE_B, 7, 1);
	assert_int_equal(f->nd, 7);
	for (unsigned i = 3; i < 7; i++)
		assert_int_equal(f->d[i].seq, i + 2);
	assert_int_equal(count_events(f, MD_ARB_EV_GAP_FILLED), 1);
	assert_int_equal(st->messages_lost, 1);
}

static void arb__window_overflow_bytes__unrecoverable(void **state)
{
	struct fx *f = *state;
	f->cfg.max_held_bytes = 300;
	rebuild(f);
	feed(f, MD_ARB_LINE_A, 1, 1);
	send_sess(f, MD_ARB_LINE_A, SESS, 3, 1, 200); /* 210 bytes held */
	assert_int_equal(md_arb_stats(f->arb)->held_bytes_now, 210);
	send_sess(f, MD_ARB_LINE_A, SESS, 4, 1, 200); /* would be 420: overflow */
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->window_overflows, 1);
	assert_int_equal(st->messages_lost, 1);
	assert_int_equal(f->nd, 3); /* 1, then 2 skipped, 3 (held) and 4 */
	assert_int_equal(f->d[1].seq, 3);
	assert_int_equal(f->d[1].len, 208);
	assert_int_equal(f->d[2].seq, 4);
	assert_int_equal(st->held_bytes_now, 0);
	assert_int_equal(st->held_bytes_high_water, 210);
}

static void arb__heartbeat_beyond_expected__reveals_gap(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	feed(f, MD_ARB_LINE_A, 1, 2);
	heartbeat(f, MD_ARB_LINE_A, 3); /* nothing missing */
	assert_int_equal(md_arb_in_gap(f->arb), 0);
	heartbeat(f, MD_ARB_LINE_B, 5); /* 3, 4 exist */
	assert_int_equal(md_arb_in_gap(f->arb), 1);
	const struct event_rec *o = last_event(f, MD_ARB_EV_GAP_OPEN);
	assert_non_null(o);
	assert_int_equal(o->from, 3);
	assert_int_equal(o->to, 4);
	poll_at(f, t0 + MS);
	assert_int_equal(f->nrr, 1);
	assert_int_equal(f->rr[0].seq, 3);
	assert_int_equal(f->rr[0].count, 2);
	feed(f, MD_ARB_LINE_R, 3, 2);
	expect_delivered(f, 1, 4);
	assert_int_equal(md_arb_in_gap(f->arb), 0);
	assert_int_equal(md_arb_stats(f->arb)->line[MD_ARB_LINE_B].heartbeats, 1);
	assert_int_equal(md_arb_stats(f->arb)->line[MD_ARB_LINE_A].heartbeats, 1);
}

static void arb__partial_overlap__only_new_messages_delivered(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 3);
	assert_int_equal(feed(f, MD_ARB_LINE_B, 2, 4), 2); /* 2,3 old; 4,5 new */
	expect_delivered(f, 1, 5);
	assert_int_equal(f->d[3].flags, 0);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->line[MD_ARB_LINE_B].partial_overlaps, 1);
	assert_int_equal(st->line[MD_ARB_LINE_B].dup_messages, 2);
	assert_int_equal(st->line[MD_ARB_LINE_B].delivered, 2);
}

static void arb__overlapping_held_packets__each_message_once(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 2);
	feed(f, MD_ARB_LINE_A, 5, 3); /* 5-7 */
	feed(f, MD_ARB_LINE_B, 6, 4); /* 6-9, overlaps */
	feed(f, MD_ARB_LINE_B, 6, 2); /* 6-7: covered by held, duplicate */
	assert_int_equal(md_arb_stats(f->arb)->held_now, 2);
	assert_int_equal(md_arb_stats(f->arb)->line[MD_ARB_LINE_B].dup_packets, 1);
	feed(f, MD_ARB_LINE_A, 3, 2);
	expect_delivered(f, 1, 9);
	assert_int_equal(md_arb_stats(f->arb)->line[MD_ARB_LINE_B].partial_overlaps, 1);
}

static void arb__large_hole__rerequests_capped_and_chained(void **state)
{
	struct fx *f = *state;
	f->cfg.max_rereq_count = 4;
	rebuild(f);
	const uint64_t t0 = f->now;
	feed(f, MD_ARB_LINE_A, 1, 2);
	feed(f, MD_ARB_LINE_A, 13, 1); /* 3..12 missing: 10 messages */
	poll_at(f, t0 + MS);
	assert_int_equal(f->nrr, 1);
	assert_int_equal(f->rr[0].seq, 3);
	assert_int_equal(f->rr[0].count, 4);
	feed(f, MD_ARB_LINE_R, 3, 4);
	poll_at(f, f->now + 1000); /* the rest of the hole is long overdue */
	assert_int_equal(f->nrr, 2);
	assert_int_equal(f->rr[1].seq, 7);
	assert_int_equal(f->rr[1].count, 4);
	assert_int_equal(md_arb_stats(f->arb)->rerequest_retries, 0);
	feed(f, MD_ARB_LINE_R, 7, 4);
	poll_at(f, f->now + 1000);
	assert_int_equal(f->rr[2].seq, 11);
	assert_int_equal(f->rr[2].count, 2);
	feed(f, MD_ARB_LINE_R, 11, 2);
	expect_delivered(f, 1, 13);
	assert_int_equal(md_arb_in_gap(f->arb), 0);
}

static void arb__partial_response__keeps_pending_request_timer(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	lose_3_to_5_on_both(f);
	poll_at(f, t0 + MS);
	feed(f, MD_ARB_LINE_R, 3, 1); /* first part of the response */
	poll_at(f, t0 + 2 * MS);
	assert_int_equal(f->nrr, 1); /* rest of the response may still come */
	poll_at(f, t0 + 6 * MS);     /* it did not: ask for 4..5 */
	assert_int_equal(f->nrr, 2);
	assert_int_equal(f->rr[1].seq, 4);
	assert_int_equal(f->rr[1].count, 2);
}

static void arb__wrong_session__counted_and_dropped(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 1);
	assert_int_equal(send_sess(f, MD_ARB_LINE_B, SESS2, 2, 1, 0), 0);
	assert_int_equal(send_sess(f, MD_ARB_LINE_R, SESS2, 2, 1, 0), 0);
	assert_int_equal(f->nd, 1);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->line[MD_ARB_LINE_B].wrong_session, 1);
	assert_int_equal(st->line[MD_ARB_LINE_R].wrong_session, 1);
	assert_int_equal(st->line[MD_ARB_LINE_B].packets, 0);
	assert_int_equal(md_arb_next_seq(f->arb), 2);
}

static void arb__end_of_session__new_session_adopted(void **state)
{
	struct fx *f = *state;
	uint8_t buf[MOLD_HDR_LEN];
	feed(f, MD_ARB_LINE_A, 1, 3);
	assert_int_equal(mold_encode_end_of_session(buf, sizeof(buf), SESS, 4), MOLD_HDR_LEN);
	md_arb_rx(f->arb, MD_ARB_LINE_A, buf, sizeof(buf), f->now);
	md_arb_rx(f->arb, MD_ARB_LINE_B, buf, sizeof(buf), f->now);
	assert_int_equal(count_events(f, MD_ARB_EV_SESSION_END), 1);
	assert_int_equal(last_event(f, MD_ARB_EV_SESSION_END)->from, 4);
	assert_int_equal(send_sess(f, MD_ARB_LINE_A, SESS2, 1, 2, 0), 2);
	assert_int_equal(f->nd, 5);
	assert_int_equal(f->d[3].seq, 1);
	assert_int_equal(f->d[4].seq, 2);
	char s[MOLD_SESSION_LEN];
	md_arb_session(f->arb, s);
	assert_memory_equal(s, SESS2, MOLD_SESSION_LEN);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->sessions_adopted, 1);
	assert_int_equal(st->session_ends, 1);
	assert_int_equal(st->line[MD_ARB_LINE_A].end_of_session, 1);
	assert_int_equal(count_events(f, MD_ARB_EV_SESSION_NEW), 2);
	/* the old session is now the wrong one */
	assert_int_equal(feed(f, MD_ARB_LINE_B, 4, 1), 0);
	assert_int_equal(st->line[MD_ARB_LINE_B].wrong_session, 1);
}

static void arb__end_of_session_without_adopt__new_session_dropped(void **state)
{
	struct fx *f = *state;
	uint8_t buf[MOLD_HDR_LEN];
	f->cfg.adopt_new_session = 0;
	rebuild(f);
	feed(f, MD_ARB_LINE_A, 1, 3);
	mold_encode_end_of_session(buf, sizeof(buf), SESS, 4);
	md_arb_rx(f->arb, MD_ARB_LINE_A, buf, sizeof(buf), f->now);
	assert_int_equal(send_sess(f, MD_ARB_LINE_A, SESS2, 1, 2, 0), 0);
	assert_int_equal(md_arb_stats(f->arb)->line[MD_ARB_LINE_A].wrong_session, 1);
	assert_int_equal(md_arb_stats(f->arb)->sessions_adopted, 0);
}

static void arb__adopt_while_behind__rest_of_old_session_lost(void **state)
{
	struct fx *f = *state;
	uint8_t buf[MOLD_HDR_LEN];
	feed(f, MD_ARB_LINE_A, 1, 1);
	feed(f, MD_ARB_LINE_A, 3, 2); /* held, 2 missing */
	mold_encode_end_of_session(buf, sizeof(buf), SESS, 6); /* 5 missing too */
	md_arb_rx(f->arb, MD_ARB_LINE_A, buf, sizeof(buf), f->now);
	send_sess(f, MD_ARB_LINE_A, SESS2, 1, 1, 0);
	const struct event_rec *u = last_event(f, MD_ARB_EV_GAP_UNRECOVERABLE);
	assert_non_null(u);
	assert_int_equal(u->from, 2);
	assert_int_equal(u->to, 5);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->line[MD_ARB_LINE_A].discarded, 2);
	assert_int_equal(st->held_now, 0);
	assert_int_equal(f->nd, 2);
	assert_int_equal(f->d[1].seq, 1);
	assert_int_equal(md_arb_in_gap(f->arb), 0);
}

static void arb__no_packets__stale_raised_then_cleared(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	feed(f, MD_ARB_LINE_A, 1, 1);
	feed(f, MD_ARB_LINE_B, 1, 1);
	poll_at(f, t0 + 500 * MS);
	heartbeat(f, MD_ARB_LINE_A, 2); /* A alive, B silent */
	poll_at(f, t0 + 1000 * MS);
	assert_int_equal(md_arb_line_is_stale(f->arb, MD_ARB_LINE_B), 1);
	assert_int_equal(md_arb_line_is_stale(f->arb, MD_ARB_LINE_A), 0);
	assert_int_equal(md_arb_is_stale(f->arb), 0);
	poll_at(f, t0 + 1500 * MS - 1);
	assert_int_equal(count_events(f, MD_ARB_EV_STALE), 0);
	poll_at(f, t0 + 1500 * MS);
	assert_int_equal(count_events(f, MD_ARB_EV_STALE), 1);
	assert_int_equal(md_arb_is_stale(f->arb), 1);
	poll_at(f, t0 + 3000 * MS); /* raised once */
	assert_int_equal(count_events(f, MD_ARB_EV_STALE), 1);
	heartbeat(f, MD_ARB_LINE_B, 2);
	assert_int_equal(count_events(f, MD_ARB_EV_STALE_CLEARED), 1);
	assert_int_equal(md_arb_is_stale(f->arb), 0);
	assert_int_equal(md_arb_line_is_stale(f->arb, MD_ARB_LINE_B), 0);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->stale_events, 1);
	assert_int_equal(st->line[MD_ARB_LINE_B].stale_events, 1);
	assert_int_equal(st->line[MD_ARB_LINE_A].stale_events, 1);
	/* stale again after another stale_ns of silence */
	poll_at(f, f->now + 1000 * MS);
	assert_int_equal(count_events(f, MD_ARB_EV_STALE), 2);
}

static void arb__rerequest_responses_only__do_not_clear_stale(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 1);
	poll_at(f, f->now + 1000 * MS);
	assert_int_equal(md_arb_is_stale(f->arb), 1);
	feed(f, MD_ARB_LINE_R, 2, 1);
	assert_int_equal(md_arb_is_stale(f->arb), 1);
	feed(f, MD_ARB_LINE_A, 3, 1);
	assert_int_equal(md_arb_is_stale(f->arb), 0);
}

static void arb__malformed__counted_by_reason_and_line(void **state)
{
	struct fx *f = *state;
	uint8_t buf[64];
	memset(buf, 0, sizeof(buf));
	assert_int_equal(md_arb_rx(f->arb, MD_ARB_LINE_A, buf, 19, f->now), 0);
	/* count 1, len 10, but only 3 bytes of data */
	struct mold_builder b;
	mold_builder_init(&b, buf, sizeof(buf), SESS, 1);
	mold_builder_add(&b, "0123456789", 10);
	const size_t len = mold_builder_finish(&b);
	assert_int_equal(md_arb_rx(f->arb, MD_ARB_LINE_B, buf, len - 7, f->now), 0);
	/* trailing byte after the blocks */
	assert_int_equal(md_arb_rx(f->arb, MD_ARB_LINE_B, buf, len + 1, f->now), 0);
	assert_int_equal(md_arb_rx(f->arb, MD_ARB_LINE_B, NULL, 0, f->now), 0);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->malformed[MOLD_ERR_SHORT_HEADER], 2);
	assert_int_equal(st->malformed[MOLD_ERR_LEN_OVERRUN], 1);
	assert_int_equal(st->malformed[MOLD_ERR_COUNT_MISMATCH], 1);
	assert_int_equal(st->line[MD_ARB_LINE_A].malformed, 1);
	assert_int_equal(st->line[MD_ARB_LINE_B].malformed, 3);
	assert_int_equal(f->nd, 0);
	char s[MOLD_SESSION_LEN];
	assert_int_equal(md_arb_session(f->arb, s), 0); /* nothing learned from junk */
}

static void arb__bad_arguments__einval(void **state)
{
	struct fx *f = *state;
	uint8_t buf[MOLD_HDR_LEN] = { 0 };
	assert_int_equal(md_arb_rx(f->arb, (enum md_arb_line)3, buf, sizeof(buf), f->now), -EINVAL);
	assert_int_equal(md_arb_rx(f->arb, MD_ARB_LINE_A, NULL, 5, f->now), -EINVAL);
	assert_int_equal(md_arb_stats(f->arb)->bad_line, 1);
	struct md_arb_config c = f->cfg;
	struct md_arb *a = NULL;
	c.deliver = NULL;
	assert_int_equal(md_arb_create(&c, &a), -EINVAL);
	c = f->cfg;
	c.max_held_pkts = 0;
	assert_int_equal(md_arb_create(&c, &a), -EINVAL);
	c = f->cfg;
	c.max_rereq_count = 0xFFFF;
	assert_int_equal(md_arb_footprint(&c), 0);
	c = f->cfg;
	static _Alignas(64) uint8_t mem[256];
	assert_int_equal(md_arb_init(mem, sizeof(mem), &c, &a), -EINVAL); /* too small */
}

static void arb__init_in_caller_memory__works(void **state)
{
	struct fx *f = *state;
	static _Alignas(64) uint8_t mem[64 * 1024];
	f->cfg.max_held_pkts = 8;
	f->cfg.max_pkt_len = 512;
	const size_t need = md_arb_footprint(&f->cfg);
	assert_true(need > 0 && need <= sizeof(mem));
	struct md_arb *a = NULL;
	assert_int_equal(md_arb_init(mem + 1, sizeof(mem) - 1, &f->cfg, &a), -EINVAL); /* misaligned */
	assert_int_equal(md_arb_init(mem, need, &f->cfg, &a), 0);
	md_arb_destroy(f->arb);
	f->arb = a;
	f->nd = 0;
	feed(f, MD_ARB_LINE_A, 1, 1);
	feed(f, MD_ARB_LINE_A, 3, 1);
	feed(f, MD_ARB_LINE_B, 2, 1);
	expect_delivered(f, 1, 3);
	md_arb_destroy(a); /* no-op for caller memory */
	f->arb = NULL;
}

static void arb__initial_seq_1__joining_late_opens_gap(void **state)
{
	struct fx *f = *state;
	f->cfg.initial_seq = 1;
	rebuild(f);
	feed(f, MD_ARB_LINE_A, 50, 1);
	assert_int_equal(f->nd, 0);
	assert_int_equal(md_arb_in_gap(f->arb), 1);
	poll_at(f, f->now + MS);
	assert_int_equal(f->rr[0].seq, 1);
	assert_int_equal(f->rr[0].count, 49);
}

static void arb__max_seq_jump__far_packet_dropped(void **state)
{
	struct fx *f = *state;
	f->cfg.max_seq_jump = 1000;
	rebuild(f);
	feed(f, MD_ARB_LINE_A, 1, 1);
	assert_int_equal(feed(f, MD_ARB_LINE_B, 5000, 1), 0);
	heartbeat(f, MD_ARB_LINE_B, 1u << 30);
	assert_int_equal(md_arb_in_gap(f->arb), 0);
	assert_int_equal(md_arb_stats(f->arb)->line[MD_ARB_LINE_B].seq_too_far, 2);
	feed(f, MD_ARB_LINE_B, 2, 1);
	expect_delivered(f, 1, 2);
}

static void arb__sequence_near_2_pow_64__rejected(void **state)
{
	struct fx *f = *state;
	assert_int_equal(feed(f, MD_ARB_LINE_A, UINT64_MAX - 2, 1), 0);
	assert_int_equal(md_arb_stats(f->arb)->line[MD_ARB_LINE_A].seq_invalid, 1);
	assert_int_equal(f->nd, 0);
}

static void arb__rerequest_send_failure__counted_and_retried(void **state)
{
	struct fx *f = *state;
	const uint64_t t0 = f->now;
	f->rr_rc = -ENOBUFS;
	lose_3_to_5_on_both(f);
	poll_at(f, t0 + MS);
	assert_int_equal(md_arb_stats(f->arb)->rerequest_send_failures, 1);
	f->rr_rc = 0;
	poll_at(f, t0 + 6 * MS);
	assert_int_equal(f->nrr, 2);
	assert_int_equal(md_arb_stats(f->arb)->rerequest_send_failures, 1);
}

struct metric_probe {
	unsigned calls;
	uint64_t packets_b, malformed_short, delivered;
	int saw_gauge;
};

static void probe(void *ctx, const struct md_arb_metric *m)
{
	struct metric_probe *p = ctx;
	p->calls++;
	if (!strcmp(m->name, "md_arb_packets_total") && !strcmp(m->label, "line=\"B\""))
		p->packets_b = m->value;
	if (!strcmp(m->name, "md_arb_malformed_total") && !strcmp(m->label, "reason=\"short_header\""))
		p->malformed_short = m->value;
	if (!strcmp(m->name, "md_arb_delivered_total")) {
		assert_null(m->label);
		p->delivered = m->value;
	}
	if (!strcmp(m->name, "md_arb_held_packets_high_water"))
		p->saw_gauge = m->gauge;
	assert_non_null(m->help);
}

static void arb__stats_foreach__names_labels_values(void **state)
{
	struct fx *f = *state;
	uint8_t junk[3] = { 0 };
	feed(f, MD_ARB_LINE_A, 1, 4);
	feed(f, MD_ARB_LINE_B, 1, 4);
	feed(f, MD_ARB_LINE_B, 5, 1);
	md_arb_rx(f->arb, MD_ARB_LINE_A, junk, sizeof(junk), f->now);
	struct md_arb_stats copy = *md_arb_stats(f->arb);
	struct metric_probe p = { 0 };
	const unsigned n = md_arb_stats_foreach(&copy, probe, &p);
	assert_int_equal(n, p.calls);
	assert_true(n > 40);
	assert_int_equal(p.packets_b, 2);
	assert_int_equal(p.malformed_short, 1);
	assert_int_equal(p.delivered, 5);
	assert_int_equal(p.saw_gauge, 1);
}

static void arb__poll_before_any_deadline__no_action(void **state)
{
	struct fx *f = *state;
	feed(f, MD_ARB_LINE_A, 1, 1);
	assert_int_equal(md_arb_poll(f->arb, f->now), 0);
	for (uint64_t t = f->now; t < f->now + 900 * MS; t += 100 * MS)
		assert_int_equal(md_arb_poll(f->arb, t), 0);
	assert_int_equal(f->ne, 1); /* SESSION_NEW only */
}


/* ---- end-to-end: random loss and reordering on both lines, a re-request
 * server answering on R after 200 us in its own packetization ---- */

struct pend {
	uint64_t at;
	enum md_arb_line line;
	uint64_t seq;
	unsigned n;
};
struct sim {
	struct fx *f;
	struct pend p[8192];
	unsigned np;
	uint64_t rng;
};

static uint32_t sim_rand(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return (uint32_t)s->rng;
}

static void sim_push(struct sim *s, uint64_t at, enum md_arb_line line, uint64_t seq, unsigned n)
{
	assert_true(s->np < sizeof(s->p) / sizeof(s->p[0]));
	s->p[s->np++] = (struct pend){ at, line, seq, n };
}

static struct sim g_sim;

static int sim_rerequest(void *ctx, const uint8_t *pkt, size_t len)
{
	struct fx *f = ctx;
	struct mold_rereq rq;
	assert_int_equal(mold_rereq_decode(pkt, len, &rq), MOLD_OK);
	assert_true(rq.count >= 1 && rq.count <= f->cfg.max_rereq_count);
	f->nrr++;
	for (uint64_t q = rq.seq; q < rq.seq + rq.count; q += 2) {
		const unsigned n = rq.seq + rq.count - q >= 2 ? 2 : 1;
		sim_push(&g_sim, f->now + 200000, MD_ARB_LINE_R, q, n);
	}
	return 0;
}

static void arb__random_loss_and_reorder_with_rerequests__every_message_in_order(void **state)
{
	struct fx *f = *state;
	struct sim *s = &g_sim;
	f->cfg.rerequest = sim_rerequest;
	f->cfg.max_held_pkts = 256;
	f->cfg.max_held_bytes = 256 * MOLD_MAX_PAYLOAD;
	f->cfg.max_retries = 5;
	f->cfg.initial_seq = 1;
	rebuild(f);
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->rng = 0x9E3779B97F4A7C15ull;

	const uint64_t total = 3000, step = 10000; /* a packet every 10 us */
	uint64_t seq = 1;
	unsigned steps = 0;
	for (uint64_t t = f->now; seq <= total || s->np; t += step) {
		f->now = t;
		if (seq <= total) {
			unsigned n = 1 + sim_rand(s) % 3;
			if (seq + n - 1 > total)
				n = (unsigned)(total - seq + 1);
			if (sim_rand(s) % 100 >= 10) /* A: 10 % loss, no delay */
				sim_push(s, t, MD_ARB_LINE_A, seq, n);
			if (sim_rand(s) % 100 >= 10) /* B: 10 % loss, 0..40 us late */
				sim_push(s, t + (sim_rand(s) % 5) * step, MD_ARB_LINE_B, seq, n);
			seq += n;
		}
		for (unsigned i = 0; i < s->np;) {
			if (s->p[i].at <= t) {
				const struct pend q = s->p[i];
				s->p[i] = s->p[--s->np];
				feed(f, q.line, q.seq, q.n);
			} else {
				i++;
			}
		}
		md_arb_poll(f->arb, t);
		assert_true(++steps < 100000); /* the run ends */
	}
	/* the feed goes quiet: heartbeats announce the end (a lost tail shows) */
	heartbeat(f, MD_ARB_LINE_A, total + 1);
	for (unsigned i = 0; i < 100 && (md_arb_in_gap(f->arb) || s->np); i++) {
		f->now += MS;
		for (unsigned k = 0; k < s->np; k++)
			feed(f, s->p[k].line, s->p[k].seq, s->p[k].n);
		s->np = 0;
		md_arb_poll(f->arb, f->now);
	}

	expect_delivered(f, 1, total);
	const struct md_arb_stats *st = md_arb_stats(f->arb);
	assert_int_equal(st->gaps_unrecoverable, 0);
	assert_int_equal(st->messages_lost, 0);
	assert_true(st->gaps_opened > 10);
	assert_int_equal(st->gaps_opened, st->gaps_filled);
	assert_true(st->messages_recovered > 0);
	assert_true(f->nrr > 0);
	assert_int_equal(st->held_now, 0);
	for (unsigned l = 0; l < MD_ARB_LINE__COUNT; l++)
		assert_int_equal(st->line[l].messages,
				 st->line[l].delivered + st->line[l].dup_messages + st->line[l].discarded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(arb__first_packet__learns_session_and_delivers),
		T(arb__same_packets_on_a_and_b__delivered_once_duplicates_counted),
		T(arb__b_ahead_of_a__first_copy_wins_either_line),
		T(arb__reordered_within_window__delivered_in_order),
		T(arb__gap_on_a__filled_by_b_without_rerequest),
		T(arb__gap_on_both_lines__rerequest_after_wait_with_seq_and_count),
		T(arb__rerequest_response_on_r__in_order_with_late_flag),
		T(arb__no_response__retried_after_timeout),
		T(arb__retries_exhausted__unrecoverable_then_held_delivered),
		T(arb__unrecoverable_last_retry_timeout_exactly),
		T(arb__no_rerequest_callback__unrecoverable_after_wait),
		T(arb__window_overflow_packets__unrecoverable_skip_to_earliest_held),
		T(arb__window_overflow_bytes__unrecoverable),
		T(arb__heartbeat_beyond_expected__reveals_gap),
		T(arb__partial_overlap__only_new_messages_delivered),
		T(arb__overlapping_held_packets__each_message_once),
		T(arb__large_hole__rerequests_capped_and_chained),
		T(arb__partial_response__keeps_pending_request_timer),
		T(arb__wrong_session__counted_and_dropped),
		T(arb__end_of_session__new_session_adopted),
		T(arb__end_of_session_without_adopt__new_session_dropped),
		T(arb__adopt_while_behind__rest_of_old_session_lost),
		T(arb__no_packets__stale_raised_then_cleared),
		T(arb__rerequest_responses_only__do_not_clear_stale),
		T(arb__malformed__counted_by_reason_and_line),
		T(arb__bad_arguments__einval),
		T(arb__init_in_caller_memory__works),
		T(arb__initial_seq_1__joining_late_opens_gap),
		T(arb__max_seq_jump__far_packet_dropped),
		T(arb__sequence_near_2_pow_64__rejected),
		T(arb__rerequest_send_failure__counted_and_retried),
		T(arb__stats_foreach__names_labels_values),
		T(arb__poll_before_any_deadline__no_action),
		T(arb__random_loss_and_reorder_with_rerequests__every_message_in_order),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
