/* Unit tests of the ITCH 5.0 simulator, the MoldUDP64 packetizer and the
 * re-request history (feeds/sim/itch_sim.h). The order tracking here is
 * written independently of the simulator's own book. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feeds/sim/itch_sim.h"

/* ---- helpers ---- */

static struct itch_sim *make_sim(uint64_t seed, uint32_t n_inst, uint64_t n_msgs)
{
	struct itch_sim_cfg cfg;
	struct itch_sim *s = NULL;

	itch_sim_cfg_default(&cfg);
	cfg.seed = seed;
	cfg.n_instruments = n_inst;
	cfg.n_messages = n_msgs;
	assert_int_equal(itch_sim_create(&cfg, &s), 0);
	assert_non_null(s);
	return s;
}

/* Whole session encoded back to back with a length byte before each message. */
static size_t session_bytes(struct itch_sim *s, uint8_t *out, size_t cap)
{
	size_t off = 0;
	int n;

	while ((n = itch_sim_next_encoded(s, out + off + 1, cap - off - 1)) > 0) {
		out[off] = (uint8_t)n;
		off += (size_t)n + 1;
		assert_true(cap - off > ITCH5_MAX_MSG_LEN + 1);
	}
	assert_int_equal(n, 0);
	return off;
}

/* Independent order tracker: refs are dense, so an array indexed by ref. */
struct t_order {
	uint32_t shares; /* 0 = not live */
	uint32_t price;
	uint16_t locate;
	char side;
	uint8_t used;    /* the ref was seen once */
};

struct tracker {
	struct t_order *o;
	size_t cap;
	uint32_t n_inst;
	uint8_t *halted; /* by locate */
	uint64_t live;
};

static void tracker_init(struct tracker *t, size_t cap, uint32_t n_inst)
{
	t->o = calloc(cap, sizeof(*t->o));
	t->halted = calloc(n_inst + 1u, 1);
	t->cap = cap;
	t->n_inst = n_inst;
	t->live = 0;
	assert_non_null(t->o);
	assert_non_null(t->halted);
}

static void tracker_free(struct tracker *t)
{
	free(t->o);
	free(t->halted);
}

static struct t_order *live_order(struct tracker *t, uint64_t ref, uint16_t locate)
{
	assert_true(ref > 0 && ref < t->cap);
	assert_int_equal(t->o[ref].used, 1);
	assert_true(t->o[ref].shares > 0); /* live */
	assert_int_equal(t->o[ref].locate, locate);
	return &t->o[ref];
}

static void new_order(struct tracker *t, uint64_t ref, uint16_t locate, char side,
		      uint32_t shares, uint32_t price)
{
	assert_true(ref > 0 && ref < t->cap);
	assert_int_equal(t->o[ref].used, 0); /* refs are never reused */
	assert_true(shares > 0);
	assert_true(price > 0);
	assert_true(side == 'B' || side == 'S');
	t->o[ref] = (struct t_order){ .shares = shares, .price = price, .locate = locate,
				      .side = side, .used = 1 };
	t->live++;
}

static void take_shares(struct tracker *t, struct t_order *o, uint32_t n)
{
	assert_true(n > 0);
	assert_true(n <= o->shares);
	o->shares -= n;
	if (o->shares == 0)
		t->live--;
}

/* Check one message against the tracker. */
static void tracker_apply(struct tracker *t, const struct itch5_msg *m)
{
	struct t_order *o;

	if (m->type != ITCH5_SYSTEM_EVENT && m->type != ITCH5_BROKEN_TRADE) {
		assert_true(m->stock_locate >= 1 && m->stock_locate <= t->n_inst);
	}
	switch (m->type) {
	case ITCH5_ADD_ORDER:
	case ITCH5_ADD_ORDER_MPID:
		assert_int_equal(t->halted[m->stock_locate], 0);
		new_order(t, m->u.add.order_ref, m->stock_locate, m->u.add.side, m->u.add.shares,
			  m->u.add.price);
		break;
	case ITCH5_ORDER_EXECUTED:
	case ITCH5_ORDER_EXECUTED_PRICE:
		assert_int_equal(t->halted[m->stock_locate], 0);
		o = live_order(t, m->u.exec.order_ref, m->stock_locate);
		take_shares(t, o, m->u.exec.shares);
		break;
	case ITCH5_ORDER_CANCEL:
		o = live_order(t, m->u.cancel.order_ref, m->stock_locate);
		assert_true(m->u.cancel.shares < o->shares); /* partial by definition */
		take_shares(t, o, m->u.cancel.shares);
		break;
	case ITCH5_ORDER_DELETE:
		o = live_order(t, m->u.del.order_ref, m->stock_locate);
		take_shares(t, o, o->shares);
		break;
	case ITCH5_ORDER_REPLACE: {
		char side;
		assert_int_equal(t->halted[m->stock_locate], 0);
		o = live_order(t, m->u.replace.orig_order_ref, m->stock_locate);
		side = o->side;
		take_shares(t, o, o->shares);
		new_order(t, m->u.replace.new_order_ref, m->stock_locate, side, m->u.replace.shares,
			  m->u.replace.price);
		break;
	}
	case ITCH5_TRADING_ACTION:
		t->halted[m->stock_locate] = m->u.trading_action.trading_state != 'T';
		break;
	default:
		break;
	}
}

/* Best bid < best ask for every instrument (full scan). */
static void tracker_check_not_crossed(const struct tracker *t, uint64_t max_ref)
{
	uint32_t *bb = calloc(t->n_inst + 1u, sizeof(*bb));
	uint32_t *ba = calloc(t->n_inst + 1u, sizeof(*ba));

	assert_non_null(bb);
	assert_non_null(ba);
	for (uint64_t r = 1; r <= max_ref && r < t->cap; r++) {
		const struct t_order *o = &t->o[r];
		if (!o->shares)
			continue;
		if (o->side == 'B' && o->price > bb[o->locate])
			bb[o->locate] = o->price;
		if (o->side == 'S' && (ba[o->locate] == 0 || o->price < ba[o->locate]))
			ba[o->locate] = o->price;
	}
	for (uint32_t l = 1; l <= t->n_inst; l++)
		if (bb[l] && ba[l])
			assert_true(bb[l] < ba[l]);
	free(bb);
	free(ba);
}

/* ---- simulator ---- */

static void sim__same_seed__same_byte_stream(void **state)
{
	const size_t cap = 4u << 20;
	uint8_t *a = malloc(cap), *b = malloc(cap);
	struct itch_sim *s1 = make_sim(42, 8, 50000), *s2 = make_sim(42, 8, 50000);
	size_t na, nb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	na = session_bytes(s1, a, cap);
	nb = session_bytes(s2, b, cap);
	assert_true(na > 50000 * 10);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	itch_sim_destroy(s1);
	itch_sim_destroy(s2);
	free(a);
	free(b);
}

static void sim__different_seed__different_byte_stream(void **state)
{
	const size_t cap = 4u << 20;
	uint8_t *a = malloc(cap), *b = malloc(cap);
	struct itch_sim *s1 = make_sim(1, 8, 20000), *s2 = make_sim(2, 8, 20000);
	size_t na, nb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	na = session_bytes(s1, a, cap);
	nb = session_bytes(s2, b, cap);
	assert_true(na != nb || memcmp(a, b, na) != 0);
	itch_sim_destroy(s1);
	itch_sim_destroy(s2);
	free(a);
	free(b);
}

static void sim__session__has_preamble_body_and_closing_in_order(void **state)
{
	const uint32_t n_inst = 5;
	const uint64_t n_msgs = 3000;
	struct itch_sim *s = make_sim(9, n_inst, n_msgs);
	struct itch5_msg m;
	uint64_t i = 0, last_ts = 0;
	char tail[3] = { 0 };

	(void)state;
	while (itch_sim_next(s, &m) == 1) {
		if (i > 0)
			assert_true(m.timestamp > last_ts);
		last_ts = m.timestamp;
		assert_true(m.timestamp < 86400ull * 1000000000ull);
		if (i == 0) {
			assert_int_equal(m.type, 'S');
			assert_int_equal(m.u.system_event.event_code, 'O');
			assert_int_equal(m.stock_locate, 0);
		} else if (i <= n_inst) {
			assert_int_equal(m.type, 'R');
			assert_int_equal(m.stock_locate, i);
			assert_memory_equal(m.u.stock_directory.stock, itch_sim_symbol(s, (uint16_t)i), 8);
			assert_int_equal(m.u.stock_directory.round_lot_size, 100);
		} else if (i <= 2 * n_inst) {
			assert_int_equal(m.type, 'H');
			assert_int_equal(m.stock_locate, i - n_inst);
			assert_int_equal(m.u.trading_action.trading_state, 'T');
		} else if (i == 2 * n_inst + 1) {
			assert_int_equal(m.type, 'S');
			assert_int_equal(m.u.system_event.event_code, 'S');
		} else if (i == 2 * n_inst + 2) {
			assert_int_equal(m.type, 'S');
			assert_int_equal(m.u.system_event.event_code, 'Q');
		} else if (i < n_msgs - 3) {
			assert_int_not_equal(m.type, 'S');
			assert_int_not_equal(m.type, 'R');
		}
		if (m.type == 'S') {
			tail[0] = tail[1];
			tail[1] = tail[2];
			tail[2] = m.u.system_event.event_code;
		}
		i++;
	}
	assert_int_equal(i, n_msgs);
	assert_memory_equal(tail, "MEC", 3);
	assert_int_equal(itch_sim_next(s, &m), 0); /* stays finished */
	assert_memory_equal(itch_sim_symbol(s, 1), "SIM0001 ", 8);
	assert_null(itch_sim_symbol(s, 0));
	assert_null(itch_sim_symbol(s, (uint16_t)(n_inst + 1)));
	itch_sim_destroy(s);
}

static void sim__order_events__reference_live_orders_with_valid_shares(void **state)
{
	const uint32_t n_inst = 6;
	const uint64_t n_msgs = 120000;
	struct itch_sim_cfg cfg;
	struct itch_sim *s = NULL;
	struct itch_sim_stats st;
	struct tracker t;
	struct itch5_msg m;
	uint64_t i = 0, max_ref = 0, order_events = 0;

	(void)state;
	itch_sim_cfg_default(&cfg);
	cfg.seed = 77;
	cfg.n_instruments = n_inst;
	cfg.n_messages = n_msgs;
	cfg.max_orders_per_instrument = 64; /* force the book-full path too */
	cfg.halt_ppm = 300;
	assert_int_equal(itch_sim_create(&cfg, &s), 0);
	tracker_init(&t, n_msgs + 2, n_inst);
	while (itch_sim_next(s, &m) == 1) {
		tracker_apply(&t, &m);
		if (m.type == 'A' || m.type == 'F')
			max_ref = m.u.add.order_ref > max_ref ? m.u.add.order_ref : max_ref;
		if (m.type == 'U')
			max_ref = m.u.replace.new_order_ref > max_ref ? m.u.replace.new_order_ref : max_ref;
		if (strchr("ECXDU", m.type))
			order_events++;
		if (++i % 500 == 0)
			tracker_check_not_crossed(&t, max_ref);
	}
	tracker_check_not_crossed(&t, max_ref);
	itch_sim_get_stats(s, &st);
	assert_int_equal(st.live_orders, t.live);
	assert_int_equal(st.msgs, n_msgs);
	assert_true(order_events > n_msgs / 3);
	assert_true(st.delete_fallbacks > 0);
	assert_true(t.live <= (uint64_t)n_inst * 64);
	for (uint32_t l = 1; l <= n_inst; l++)
		assert_int_equal(t.halted[l], 0); /* all resumed before the close */
	tracker_free(&t);
	itch_sim_destroy(s);
}

static void sim__long_run__every_message_type_present(void **state)
{
	const uint64_t n_msgs = 400000;
	struct itch_sim_cfg cfg;
	struct itch_sim *s = NULL;
	struct itch_sim_stats st;
	struct itch5_msg m;
	uint64_t seen[256] = { 0 }, halts = 0, resumes = 0;
	const char *types = "SRHAFECXDUPQBI";

	(void)state;
	itch_sim_cfg_default(&cfg);
	cfg.seed = 2024;
	cfg.n_instruments = 20;
	cfg.n_messages = n_msgs;
	assert_int_equal(itch_sim_create(&cfg, &s), 0);
	while (itch_sim_next(s, &m) == 1) {
		seen[m.type]++;
		if (m.type == 'H' && m.u.trading_action.trading_state == 'H')
			halts++;
		if (m.type == 'H' && m.u.trading_action.trading_state == 'T')
			resumes++;
	}
	for (const char *p = types; *p; p++) {
		if (seen[(uint8_t)*p] == 0)
			fail_msg("no message of type %c in %llu", *p, (unsigned long long)n_msgs);
	}
	/* realistic proportions: adds and deletes dominate, crosses are rare */
	assert_true(seen['A'] > n_msgs / 4);
	assert_true(seen['D'] > n_msgs / 6);
	assert_true(seen['Q'] < n_msgs / 100);
	assert_true(halts > 0);
	assert_int_equal(resumes, halts + cfg.n_instruments); /* + the opening H 'T' */
	itch_sim_get_stats(s, &st);
	assert_int_equal(st.halts, halts);
	for (int t = 0; t < 256; t++)
		assert_int_equal(st.by_type[t], seen[t]);
	itch_sim_destroy(s);
}

static void sim__unbounded__end_resumes_halts_and_closes(void **state)
{
	struct itch_sim_cfg cfg;
	struct itch_sim *s = NULL;
	struct itch5_msg m;
	struct tracker t;
	uint64_t i = 0;
	int rc;
	char last = 0;

	(void)state;
	itch_sim_cfg_default(&cfg);
	cfg.n_instruments = 4;
	cfg.n_messages = 0;
	cfg.halt_ppm = 200000; /* halts early and often */
	cfg.halt_msgs = 100000;
	cfg.max_halted = 4;
	assert_int_equal(itch_sim_create(&cfg, &s), 0);
	tracker_init(&t, 20000, cfg.n_instruments);
	for (i = 0; i < 5000; i++) {
		assert_int_equal(itch_sim_next(s, &m), 1);
		tracker_apply(&t, &m);
	}
	assert_true(t.halted[1] + t.halted[2] + t.halted[3] + t.halted[4] > 0);
	itch_sim_end(s);
	itch_sim_end(s); /* idempotent */
	while ((rc = itch_sim_next(s, &m)) == 1) {
		tracker_apply(&t, &m);
		if (m.type == 'S')
			last = m.u.system_event.event_code;
		assert_true(++i < 5000 + 100);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(last, 'C');
	for (uint32_t l = 1; l <= cfg.n_instruments; l++)
		assert_int_equal(t.halted[l], 0);
	tracker_free(&t);
	itch_sim_destroy(s);
}

static void sim__cfg_check__rejects_bad_values(void **state)
{
	struct itch_sim_cfg cfg;
	struct itch_sim *s = NULL;

	(void)state;
	itch_sim_cfg_default(&cfg);
	assert_int_equal(itch_sim_cfg_check(&cfg), 0);
	cfg.n_instruments = 0;
	assert_int_equal(itch_sim_cfg_check(&cfg), -EINVAL);
	assert_int_equal(itch_sim_create(&cfg, &s), -EINVAL);
	assert_null(s);
	itch_sim_cfg_default(&cfg);
	cfg.n_messages = itch_sim_fixed_msgs(&cfg) - 1;
	assert_int_equal(itch_sim_cfg_check(&cfg), -EINVAL);
	cfg.n_messages = itch_sim_fixed_msgs(&cfg); /* empty body is fine */
	assert_int_equal(itch_sim_cfg_check(&cfg), 0);
	itch_sim_cfg_default(&cfg);
	memset(cfg.mix, 0, sizeof(cfg.mix));
	assert_int_equal(itch_sim_cfg_check(&cfg), -EINVAL);
	itch_sim_cfg_default(&cfg);
	cfg.max_price_ticks = UINT32_MAX / 100;
	assert_int_equal(itch_sim_cfg_check(&cfg), -EINVAL);
	itch_sim_cfg_default(&cfg);
	cfg.open_ns = cfg.start_ns - 1;
	assert_int_equal(itch_sim_cfg_check(&cfg), -EINVAL);
	assert_int_equal(itch_sim_fixed_msgs(&cfg), 4 * 16 + 6);
}

static void sim__next_encoded__small_buffer_consumes_nothing(void **state)
{
	struct itch_sim *s = make_sim(3, 2, 100), *ref = make_sim(3, 2, 100);
	uint8_t a[ITCH5_MAX_MSG_LEN], b[ITCH5_MAX_MSG_LEN];
	int na, nb;

	(void)state;
	assert_int_equal(itch_sim_next_encoded(s, a, ITCH5_MAX_MSG_LEN - 1), -ENOSPC);
	na = itch_sim_next_encoded(s, a, sizeof(a));
	nb = itch_sim_next_encoded(ref, b, sizeof(b));
	assert_int_equal(na, 12); /* S 'O' */
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	itch_sim_destroy(s);
	itch_sim_destroy(ref);
}

/* ---- packetizer ---- */

static void check_packet(const struct itch_sim_pkt *pkt, size_t max_payload, uint16_t max_msgs,
			 uint64_t *expect_seq, const uint8_t *msgs, const uint8_t *lens, uint64_t *k)
{
	struct mold_packet mp;
	struct mold_iter it;
	const uint8_t *m;
	uint16_t len;

	assert_true(pkt->len <= max_payload);
	assert_int_equal(mold_decode(pkt->data, pkt->len, &mp), MOLD_OK);
	assert_memory_equal(mp.session, "TESTSESS01", MOLD_SESSION_LEN);
	assert_int_equal(mp.seq, *expect_seq);
	assert_int_equal(pkt->seq, *expect_seq);
	assert_int_equal(mp.count, pkt->count);
	assert_true(mp.count >= 1 && mp.count <= max_msgs);
	mold_iter_init(&it, &mp);
	while (mold_iter_next(&it, &m, &len)) {
		assert_int_equal(len, lens[*k]);
		assert_memory_equal(m, msgs + *k * ITCH5_MAX_MSG_LEN, len);
		(*k)++;
	}
	*expect_seq += mp.count;
}

static void pktz_run(size_t max_payload, uint16_t max_msgs)
{
	enum { N = 3000 };
	static uint8_t msgs[N * ITCH5_MAX_MSG_LEN], lens[N];
	static struct itch_sim_pktz pz;
	struct itch_sim *s = make_sim(5, 4, 0);
	struct itch_sim_pkt pkt;
	uint64_t expect = 7, k = 0, packets = 0;
	int rc;

	assert_int_equal(itch_sim_pktz_init(&pz, "TESTSESS01", 7, max_payload, max_msgs), 0);
	for (unsigned i = 0; i < N; i++) {
		int n = itch_sim_next_encoded(s, msgs + i * ITCH5_MAX_MSG_LEN, ITCH5_MAX_MSG_LEN);
		assert_true(n > 0);
		lens[i] = (uint8_t)n;
		assert_int_equal(pz.next_seq, 7 + i);
		rc = itch_sim_pktz_push(&pz, msgs + i * ITCH5_MAX_MSG_LEN, (size_t)n, &pkt);
		assert_true(rc == 0 || rc == 1);
		if (rc == 1) {
			check_packet(&pkt, max_payload, max_msgs, &expect, msgs, lens, &k);
			packets++;
		}
		assert_true(itch_sim_pktz_pending(&pz) >= 1);
	}
	if (itch_sim_pktz_flush(&pz, &pkt) == 1) {
		check_packet(&pkt, max_payload, max_msgs, &expect, msgs, lens, &k);
		packets++;
	}
	assert_int_equal(itch_sim_pktz_flush(&pz, &pkt), 0);
	assert_int_equal(k, N);
	assert_int_equal(expect, 7 + N);
	assert_true(packets >= N / max_msgs);
	itch_sim_destroy(s);
}

static void pktz__packets__respect_mtu_count_and_sequence(void **state)
{
	(void)state;
	pktz_run(MOLD_MAX_PAYLOAD, 65534); /* bytes bound */
	pktz_run(200, 65534);              /* small MTU */
	pktz_run(MOLD_MAX_PAYLOAD, 3);     /* message count bound */
	pktz_run(ITCH_SIM_PKT_MAX, 1);     /* one message per packet */
}

static void pktz__ready_packet__survives_until_next_ready(void **state)
{
	static struct itch_sim_pktz pz;
	struct itch_sim_pkt p1, p2;
	uint8_t msg[30], copy[ITCH_SIM_PKT_MAX];
	size_t len1;

	(void)state;
	memset(msg, 'x', sizeof(msg));
	assert_int_equal(itch_sim_pktz_init(&pz, "TESTSESS01", 1, 100, 65534), 0);
	/* 20 + 2 x (2 + 30) = 84 <= 100; the third does not fit */
	assert_int_equal(itch_sim_pktz_push(&pz, msg, sizeof(msg), &p1), 0);
	assert_int_equal(itch_sim_pktz_push(&pz, msg, sizeof(msg), &p1), 0);
	assert_int_equal(itch_sim_pktz_push(&pz, msg, sizeof(msg), &p1), 1);
	assert_int_equal(p1.count, 2);
	assert_int_equal(p1.seq, 1);
	assert_int_equal(p1.len, 84);
	len1 = p1.len;
	memcpy(copy, p1.data, len1);
	assert_int_equal(itch_sim_pktz_push(&pz, msg, sizeof(msg), &p2), 0);
	assert_memory_equal(p1.data, copy, len1); /* still intact */
	assert_int_equal(itch_sim_pktz_flush(&pz, &p2), 1);
	assert_int_equal(p2.seq, 3);
	assert_int_equal(p2.count, 2);
	assert_true(p1.data != p2.data);
	/* heartbeat and end of session carry the next sequence */
	assert_int_equal(itch_sim_pktz_heartbeat(&pz, copy, sizeof(copy)), MOLD_HDR_LEN);
	{
		struct mold_packet mp;
		assert_int_equal(mold_decode(copy, MOLD_HDR_LEN, &mp), MOLD_OK);
		assert_int_equal(mp.seq, 5);
		assert_true(mold_is_heartbeat(&mp));
		assert_int_equal(itch_sim_pktz_end_of_session(&pz, copy, sizeof(copy)), MOLD_HDR_LEN);
		assert_int_equal(mold_decode(copy, MOLD_HDR_LEN, &mp), MOLD_OK);
		assert_true(mold_is_end_of_session(&mp));
		assert_int_equal(mp.seq, 5);
	}
}

static void pktz__init_and_push__reject_bad_sizes(void **state)
{
	static struct itch_sim_pktz pz;
	struct itch_sim_pkt pkt;
	uint8_t big[200] = { 0 };

	(void)state;
	assert_int_equal(itch_sim_pktz_init(&pz, "TESTSESS01", 0, 1472, 10), -EINVAL);
	assert_int_equal(itch_sim_pktz_init(&pz, "TESTSESS01", 1, 50, 10), -EINVAL);
	assert_int_equal(itch_sim_pktz_init(&pz, "TESTSESS01", 1, ITCH_SIM_PKT_MAX + 1, 10), -EINVAL);
	assert_int_equal(itch_sim_pktz_init(&pz, "TESTSESS01", 1, 1472, 0), -EINVAL);
	assert_int_equal(itch_sim_pktz_init(&pz, "TESTSESS01", 1, 100, 10), 0);
	assert_int_equal(itch_sim_pktz_push(&pz, big, 0, &pkt), -EINVAL);
	assert_int_equal(itch_sim_pktz_push(&pz, big, 79, &pkt), -EINVAL); /* 20+2+79 > 100 */
	assert_int_equal(itch_sim_pktz_push(&pz, big, 78, &pkt), 0);
	assert_int_equal(pz.next_seq, 2);
}

/* ---- history ---- */

static void hist__answer__serves_held_range_and_refuses_outside(void **state)
{
	struct itch_sim_hist *h = NULL;
	uint8_t buf[ITCH_SIM_PKT_MAX], msg[ITCH5_MAX_MSG_LEN];
	struct mold_packet mp;
	struct mold_iter it;
	const uint8_t *m;
	uint16_t len, served;
	uint64_t first, end, q;
	int n;

	(void)state;
	assert_int_equal(itch_sim_hist_create(0, &h), -EINVAL);
	assert_int_equal(itch_sim_hist_create(100, &h), 0);
	itch_sim_hist_range(h, &first, &end);
	assert_int_equal(first, end);
	assert_int_equal(itch_sim_hist_answer(h, "TESTSESS01", 1, 1, buf, sizeof(buf), 1472, 100, &served),
			 -ERANGE);
	for (q = 10; q < 260; q++) {
		memset(msg, (int)(q & 0xff), sizeof(msg));
		assert_int_equal(itch_sim_hist_put(h, q, msg, 1 + q % ITCH5_MAX_MSG_LEN), 0);
	}
	assert_int_equal(itch_sim_hist_put(h, 300, msg, 10), -EDOM);
	assert_int_equal(itch_sim_hist_put(h, 260, msg, 0), -EINVAL);
	itch_sim_hist_range(h, &first, &end);
	assert_int_equal(first, 160);
	assert_int_equal(end, 260);
	/* too old, too new, empty */
	assert_int_equal(itch_sim_hist_answer(h, "TESTSESS01", 159, 5, buf, sizeof(buf), 1472, 100, &served),
			 -ERANGE);
	assert_int_equal(itch_sim_hist_answer(h, "TESTSESS01", 260, 5, buf, sizeof(buf), 1472, 100, &served),
			 -ERANGE);
	assert_int_equal(itch_sim_hist_answer(h, "TESTSESS01", 200, 0, buf, sizeof(buf), 1472, 100, &served),
			 -ERANGE);
	/* inside: contents and sequence match what was put */
	n = itch_sim_hist_answer(h, "TESTSESS01", 200, 7, buf, sizeof(buf), 1472, 100, &served);
	assert_true(n > 0);
	assert_int_equal(served, 7);
	assert_int_equal(mold_decode(buf, (size_t)n, &mp), MOLD_OK);
	assert_int_equal(mp.seq, 200);
	assert_int_equal(mp.count, 7);
	assert_memory_equal(mp.session, "TESTSESS01", MOLD_SESSION_LEN);
	mold_iter_init(&it, &mp);
	for (q = 200; mold_iter_next(&it, &m, &len); q++) {
		assert_int_equal(len, 1 + q % ITCH5_MAX_MSG_LEN);
		assert_int_equal(m[0], q & 0xff);
		assert_int_equal(m[len - 1], q & 0xff);
	}
	assert_int_equal(q, 207);
	/* clipped at the newest, at the MTU and at max_msgs */
	n = itch_sim_hist_answer(h, "TESTSESS01", 255, 50, buf, sizeof(buf), 1472, 100, &served);
	assert_int_equal(served, 5);
	n = itch_sim_hist_answer(h, "TESTSESS01", 160, 100, buf, sizeof(buf), 200, 100, &served);
	assert_true(n > 0 && n <= 200);
	assert_true(served >= 1 && served < 100);
	n = itch_sim_hist_answer(h, "TESTSESS01", 160, 100, buf, sizeof(buf), 1472, 3, &served);
	assert_int_equal(served, 3);
	itch_sim_hist_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim__same_seed__same_byte_stream),
		cmocka_unit_test(sim__different_seed__different_byte_stream),
		cmocka_unit_test(sim__session__has_preamble_body_and_closing_in_order),
		cmocka_unit_test(sim__order_events__reference_live_orders_with_valid_shares),
		cmocka_unit_test(sim__long_run__every_message_type_present),
		cmocka_unit_test(sim__unbounded__end_resumes_halts_and_closes),
		cmocka_unit_test(sim__cfg_check__rejects_bad_values),
		cmocka_unit_test(sim__next_encoded__small_buffer_consumes_nothing),
		cmocka_unit_test(pktz__packets__respect_mtu_count_and_sequence),
		cmocka_unit_test(pktz__ready_packet__survives_until_next_ready),
		cmocka_unit_test(pktz__init_and_push__reject_bad_sizes),
		cmocka_unit_test(hist__answer__serves_held_range_and_refuses_outside),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
