/* Unit tests: dataplane/book/md_book (ITCH 5.0 order book builder). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/book/md_book.h"

#define P4(d) ((uint32_t)(d))           /* Price(4) literal */
#define PX(p4) ORION_PX_FROM_P4(p4)     /* → ORION price */

struct fx {
	struct md_books *b;
	struct md_tick t;
	uint64_t seq;
	uint64_t ts;
};

static struct md_book_config small_cfg(void)
{
	struct md_book_config c = {
		.source = 7, .max_instruments = 8, .max_orders = 64, .max_levels_per_side = 32,
	};
	return c;
}

static unsigned feed(struct fx *f, const struct itch5_msg *m)
{
	memset(&f->t, 0xA5, sizeof(f->t));
	unsigned ev = md_book_apply(f->b, m, 1000 + f->seq, f->seq + 1, &f->t);
	f->seq++;
	return ev;
}

static unsigned dir(struct fx *f, uint16_t locate, const char *sym)
{
	struct itch5_msg m = { .type = ITCH5_STOCK_DIRECTORY, .stock_locate = locate, .timestamp = ++f->ts };
	memset(m.u.stock_directory.stock, ' ', ITCH5_STOCK_LEN);
	memcpy(m.u.stock_directory.stock, sym, strlen(sym));
	return feed(f, &m);
}

static unsigned add(struct fx *f, uint16_t locate, uint64_t ref, char side, uint32_t shares, uint32_t price)
{
	struct itch5_msg m = { .type = ITCH5_ADD_ORDER, .stock_locate = locate, .timestamp = ++f->ts };
	m.u.add.order_ref = ref;
	m.u.add.side = side;
	m.u.add.shares = shares;
	m.u.add.price = price;
	return feed(f, &m);
}

static unsigned exec_e(struct fx *f, uint16_t locate, uint64_t ref, uint32_t shares)
{
	struct itch5_msg m = { .type = ITCH5_ORDER_EXECUTED, .stock_locate = locate, .timestamp = ++f->ts };
	m.u.exec.order_ref = ref;
	m.u.exec.shares = shares;
	m.u.exec.match_number = 99;
	return feed(f, &m);
}

static unsigned exec_c(struct fx *f, uint16_t locate, uint64_t ref, uint32_t shares, char printable,
		       uint32_t price)
{
	struct itch5_msg m = { .type = ITCH5_ORDER_EXECUTED_PRICE, .stock_locate = locate, .timestamp = ++f->ts };
	m.u.exec.order_ref = ref;
	m.u.exec.shares = shares;
	m.u.exec.printable = printable;
	m.u.exec.price = price;
	return feed(f, &m);
}

static unsigned cancel(struct fx *f, uint16_t locate, uint64_t ref, uint32_t shares)
{
	struct itch5_msg m = { .type = ITCH5_ORDER_CANCEL, .stock_locate = locate, .timestamp = ++f->ts };
	m.u.cancel.order_ref = ref;
	m.u.cancel.shares = shares;
	return feed(f, &m);
}

static unsigned del(struct fx *f, uint16_t locate, uint64_t ref)
{
	struct itch5_msg m = { .type = ITCH5_ORDER_DELETE, .stock_locate = locate, .timestamp = ++f->ts };
	m.u.del.order_ref = ref;
	return feed(f, &m);
}

static unsigned replace(struct fx *f, uint16_t locate, uint64_t orig, uint64_t nref, uint32_t shares,
			uint32_t price)
{
	struct itch5_msg m = { .type = ITCH5_ORDER_REPLACE, .stock_locate = locate, .timestamp = ++f->ts };
	m.u.replace.orig_order_ref = orig;
	m.u.replace.new_order_ref = nref;
	m.u.replace.shares = shares;
	m.u.replace.price = price;
	return feed(f, &m);
}

static unsigned action(struct fx *f, uint8_t type, uint16_t locate, char code)
{
	struct itch5_msg m = { .type = type, .stock_locate = locate, .timestamp = ++f->ts };
	if (type == ITCH5_TRADING_ACTION)
		m.u.trading_action.trading_state = code;
	else if (type == ITCH5_OPERATIONAL_HALT)
		m.u.operational_halt.action = code;
	else
		m.u.system_event.event_code = code;
	return feed(f, &m);
}

static struct md_book_stats stats(const struct fx *f)
{
	struct md_book_stats s;
	md_book_stats(f->b, &s);
	return s;
}

static struct fx *fx_new(struct md_book_config cfg)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (f != NULL && md_book_create(&cfg, &f->b) != 0) {
		free(f);
		f = NULL;
	}
	return f;
}

static void fx_free(struct fx *f)
{
	md_book_destroy(f->b);
	free(f);
}

static int setup(void **state)
{
	struct fx *f = fx_new(small_cfg());
	if (f == NULL)
		return -1;
	*state = f;
	dir(f, 1, "AAPL");
	dir(f, 2, "MSFT");
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static void assert_l1(const struct md_tick *t, uint32_t bid, uint32_t bsz, uint32_t ask, uint32_t asz)
{
	assert_int_equal(t->bid_px, bsz ? PX(bid) : ORION_PX_NONE);
	assert_int_equal(t->bid_sz, bsz);
	assert_int_equal(t->ask_px, asz ? PX(ask) : ORION_PX_NONE);
	assert_int_equal(t->ask_sz, asz);
}

/* ---- tests ------------------------------------------------------------------ */

static void book__add__fills_tick_with_l1_and_identity(void **state)
{
	struct fx *f = *state;
	assert_int_equal(add(f, 1, 100, 'B', 300, P4(1000000)), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 1000000, 300, 0, 0);
	assert_int_equal(f->t.mid_px, ORION_PX_NONE);
	assert_int_equal(f->t.last_px, ORION_PX_NONE);
	assert_int_equal(f->t.instrument_id, 1);
	assert_memory_equal(f->t.symbol, "AAPL    ", 8);
	assert_int_equal(f->t.source, 7);
	assert_int_equal(f->t.seqno, 1);
	assert_int_equal(f->t.flags, 0);
	assert_int_equal(f->t.exch_ts_ns, f->ts);
	assert_int_equal(f->t.feed_seq, f->seq);
	assert_int_equal(f->t.recv_ns, 1000 + f->seq - 1);

	assert_int_equal(add(f, 1, 101, 'S', 200, P4(1000100)), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 1000000, 300, 1000100, 200);
	assert_int_equal(f->t.mid_px, PX(1000050));
	assert_int_equal(f->t.seqno, 2);
	assert_int_equal(stats(f).orders, 2);
}

static void book__add_behind_touch__no_tick(void **state)
{
	struct fx *f = *state;
	add(f, 1, 1, 'B', 100, P4(500000));
	assert_int_equal(add(f, 1, 2, 'B', 100, P4(490000)), 0);
	assert_int_equal(stats(f).levels, 2);
	assert_int_equal(stats(f).ticks, 1);
}

static void book__execute_partial__reduces_size_and_sets_last(void **state)
{
	struct fx *f = *state;
	add(f, 1, 10, 'S', 500, P4(2000000));
	assert_int_equal(exec_e(f, 1, 10, 200), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 0, 0, 2000000, 300);
	assert_int_equal(f->t.last_px, PX(2000000));
	assert_int_equal(f->t.last_sz, 200);
	assert_true(f->t.flags & MD_TF_TRADE);
	assert_int_equal(stats(f).orders, 1);
}

static void book__execute_full__removes_order_and_level(void **state)
{
	struct fx *f = *state;
	add(f, 1, 10, 'S', 500, P4(2000000));
	add(f, 1, 11, 'S', 100, P4(2000100));
	assert_int_equal(exec_e(f, 1, 10, 500), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 0, 0, 2000100, 100);
	assert_int_equal(f->t.last_sz, 500);
	struct md_book_stats s = stats(f);
	assert_int_equal(s.orders, 1);
	assert_int_equal(s.levels, 1);
	/* the ref is gone: a second execution is an unknown order */
	assert_int_equal(exec_e(f, 1, 10, 1), MD_BOOK_EV_REJECTED);
	assert_int_equal(stats(f).err[MD_BOOK_ERR_UNKNOWN_ORDER_REF], 1);
}

static void book__execute_more_than_left__removes_and_counts(void **state)
{
	struct fx *f = *state;
	add(f, 1, 10, 'B', 100, P4(100));
	unsigned ev = exec_e(f, 1, 10, 150);
	assert_true(ev & MD_BOOK_EV_TICK);
	assert_true(ev & MD_BOOK_EV_REJECTED);
	assert_int_equal(f->t.last_sz, 100);
	assert_int_equal(f->t.bid_px, ORION_PX_NONE);
	assert_int_equal(stats(f).err[MD_BOOK_ERR_SHARES_EXCEED], 1);
	assert_int_equal(stats(f).orders, 0);
}

static void book__execute_with_price__printable_sets_last_nonprintable_not(void **state)
{
	struct fx *f = *state;
	add(f, 1, 10, 'B', 1000, P4(1500000));
	assert_int_equal(exec_c(f, 1, 10, 100, 'N', P4(1499900)), MD_BOOK_EV_TICK);
	assert_int_equal(f->t.last_px, ORION_PX_NONE);
	assert_false(f->t.flags & MD_TF_TRADE);
	assert_int_equal(f->t.bid_sz, 900);
	assert_int_equal(exec_c(f, 1, 10, 100, 'Y', P4(1499900)), MD_BOOK_EV_TICK);
	assert_int_equal(f->t.last_px, PX(1499900));
	assert_int_equal(f->t.last_sz, 100);
	assert_int_equal(f->t.bid_sz, 800);
}

static void book__cancel_partial__reduces_shares(void **state)
{
	struct fx *f = *state;
	add(f, 1, 5, 'B', 1000, P4(990000));
	add(f, 1, 6, 'B', 400, P4(990000));
	assert_int_equal(cancel(f, 1, 5, 300), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 990000, 1100, 0, 0);
	assert_int_equal(f->t.last_px, ORION_PX_NONE);
	struct md_book_level lv[2];
	assert_int_equal(md_book_depth(f->b, 1, MD_SIDE_BID, lv, 2), 1);
	assert_int_equal(lv[0].orders, 2);
	assert_int_equal(lv[0].shares, 1100);
	/* cancel of everything left removes the order */
	cancel(f, 1, 5, 700);
	assert_int_equal(md_book_depth(f->b, 1, MD_SIDE_BID, lv, 2), 1);
	assert_int_equal(lv[0].orders, 1);
	assert_int_equal(lv[0].shares, 400);
	assert_int_equal(stats(f).err[MD_BOOK_ERR_SHARES_EXCEED], 0);
}

static void book__delete__removes_order(void **state)
{
	struct fx *f = *state;
	add(f, 2, 77, 'S', 100, P4(3000000));
	assert_int_equal(del(f, 2, 77), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 0, 0, 0, 0);
	assert_int_equal(f->t.instrument_id, 2);
	struct md_book_stats s = stats(f);
	assert_int_equal(s.orders, 0);
	assert_int_equal(s.levels, 0);
}

static void book__delete_unknown_ref__counted_no_crash(void **state)
{
	struct fx *f = *state;
	add(f, 1, 1, 'B', 100, P4(100));
	assert_int_equal(del(f, 1, 424242), MD_BOOK_EV_REJECTED);
	assert_int_equal(cancel(f, 1, 424243, 5), MD_BOOK_EV_REJECTED);
	assert_int_equal(replace(f, 1, 424244, 9, 5, 5), MD_BOOK_EV_REJECTED);
	/* ref 0 is the table's empty marker: never found */
	assert_int_equal(del(f, 1, 0), MD_BOOK_EV_REJECTED);
	assert_int_equal(exec_e(f, 1, 0, 1), MD_BOOK_EV_REJECTED);
	struct md_book_stats s = stats(f);
	assert_int_equal(s.err[MD_BOOK_ERR_UNKNOWN_ORDER_REF], 5);
	assert_int_equal(s.orders, 1);
}

static void book__replace__new_ref_new_price_keeps_side(void **state)
{
	struct fx *f = *state;
	add(f, 1, 100, 'S', 300, P4(1010000));
	add(f, 1, 101, 'S', 200, P4(1020000));
	assert_int_equal(replace(f, 1, 100, 200, 500, P4(1030000)), MD_BOOK_EV_TICK);
	/* old level gone, new order on the ask side at the new price */
	assert_l1(&f->t, 0, 0, 1020000, 200);
	struct md_book_level lv[4];
	assert_int_equal(md_book_depth(f->b, 1, MD_SIDE_ASK, lv, 4), 2);
	assert_int_equal(lv[1].px, PX(1030000));
	assert_int_equal(lv[1].shares, 500);
	assert_int_equal(md_book_depth(f->b, 1, MD_SIDE_BID, lv, 4), 0);
	/* the old ref is dead, the new one lives */
	assert_int_equal(del(f, 1, 100), MD_BOOK_EV_REJECTED);
	assert_int_equal(del(f, 1, 200), 0); /* behind the touch: no L1 change */
	assert_int_equal(stats(f).orders, 1);
}

static void book__replace_to_better_price__becomes_best(void **state)
{
	struct fx *f = *state;
	add(f, 1, 1, 'B', 100, P4(1000));
	add(f, 1, 2, 'B', 100, P4(2000));
	assert_int_equal(replace(f, 1, 1, 3, 50, P4(3000)), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 3000, 50, 0, 0);
}

static void book__l2_over_12_levels__aggregated_and_ordered(void **state)
{
	struct fx *f = *state;
	/* 12 bid and 12 ask prices in scrambled order, two orders on even levels */
	static const unsigned perm[12] = { 7, 2, 11, 0, 5, 9, 1, 4, 10, 3, 8, 6 };
	uint64_t ref = 1;
	for (unsigned i = 0; i < 12; i++) {
		unsigned k = perm[i];
		add(f, 1, ref++, 'B', 100 + k, P4(100000 - 100 * k));
		add(f, 1, ref++, 'S', 200 + k, P4(100100 + 100 * k));
		if (k % 2 == 0) {
			add(f, 1, ref++, 'B', 10, P4(100000 - 100 * k));
			add(f, 1, ref++, 'S', 20, P4(100100 + 100 * k));
		}
	}
	struct md_book_level lv[16];
	assert_int_equal(md_book_depth(f->b, 1, MD_SIDE_BID, lv, 16), 12);
	for (unsigned k = 0; k < 12; k++) {
		assert_int_equal(lv[k].px, PX(100000 - 100 * k));
		assert_int_equal(lv[k].shares, 100 + k + (k % 2 == 0 ? 10 : 0));
		assert_int_equal(lv[k].orders, k % 2 == 0 ? 2 : 1);
	}
	assert_int_equal(md_book_depth(f->b, 1, MD_SIDE_ASK, lv, 10), 10);
	for (unsigned k = 0; k < 10; k++) {
		assert_int_equal(lv[k].px, PX(100100 + 100 * k));
		assert_int_equal(lv[k].shares, 200 + k + (k % 2 == 0 ? 20 : 0));
	}
	assert_int_equal(md_book_depth(f->b, 9, MD_SIDE_ASK, lv, 10), -ENOENT);
	struct md_tick t;
	assert_int_equal(md_book_l1(f->b, 1, &t), 0);
	assert_l1(&t, 100000, 110, 100100, 220);
	assert_true(t.flags & MD_TF_SNAPSHOT);
}

static void book__best_level_empties__l1_moves_to_next(void **state)
{
	struct fx *f = *state;
	add(f, 1, 1, 'B', 100, P4(10100));
	add(f, 1, 2, 'B', 200, P4(10000));
	add(f, 1, 3, 'B', 300, P4(9900));
	add(f, 1, 4, 'S', 50, P4(10200));
	assert_int_equal(del(f, 1, 1), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 10000, 200, 10200, 50);
	assert_int_equal(exec_e(f, 1, 2, 200), MD_BOOK_EV_TICK);
	assert_l1(&f->t, 9900, 300, 10200, 50);
	assert_int_equal(f->t.mid_px, (PX(9900) + PX(10200)) / 2);
	/* a new best level, then one between it and the old best */
	add(f, 1, 5, 'B', 70, P4(9950));
	assert_l1(&f->t, 9950, 70, 10200, 50);
	assert_int_equal(add(f, 1, 6, 'B', 30, P4(9920)), 0);
	add(f, 1, 7, 'B', 30, P4(9800));
	struct md_book_level lv[5];
	assert_int_equal(md_book_depth(f->b, 1, MD_SIDE_BID, lv, 5), 4);
	assert_int_equal(lv[0].px, PX(9950));
	assert_int_equal(lv[1].px, PX(9920));
	assert_int_equal(lv[2].px, PX(9900));
	assert_int_equal(lv[3].px, PX(9800));
}

static void book__crossed_book__sets_and_clears_crossed_flag(void **state)
{
	struct fx *f = *state;
	add(f, 1, 1, 'S', 100, P4(10000));
	add(f, 1, 2, 'B', 100, P4(10000)); /* locked counts as crossed (bid >= ask) */
	assert_true(f->t.flags & MD_TF_CROSSED);
	add(f, 1, 3, 'B', 100, P4(10100));
	assert_true(f->t.flags & MD_TF_CROSSED);
	del(f, 1, 3);
	del(f, 1, 2);
	assert_false(f->t.flags & MD_TF_CROSSED);
	assert_l1(&f->t, 0, 0, 10000, 100);
}

static void book__trading_action_halt__sets_and_clears_halted(void **state)
{
	struct fx *f = *state;
	add(f, 1, 1, 'B', 100, P4(10000));
	assert_int_equal(action(f, ITCH5_TRADING_ACTION, 1, 'H'), MD_BOOK_EV_TICK);
	assert_true(f->t.flags & MD_TF_HALTED);
	assert_l1(&f->t, 10000, 100, 0, 0);
	/* pause and quotation-only keep it halted without a new tick */
	assert_int_equal(action(f, ITCH5_TRADING_ACTION, 1, 'Q'), 0);
	add(f, 1, 2, 'B', 100, P4(10100));
	assert_true(f->t.flags & MD_TF_HALTED);
	assert_int_equal(action(f, ITCH5_TRADING_ACTION, 1, 'T'), MD_BOOK_EV_TICK);
	assert_false(f->t.flags & MD_TF_HALTED);
	/* instrument 2 was never halted */
	add(f, 2, 3, 'B', 1, P4(1));
	assert_false(f->t.flags & MD_TF_HALTED);
	assert_int_equal(action(f, ITCH5_TRADING_ACTION, 1, 'Z'), MD_BOOK_EV_REJECTED);
	assert_int_equal(stats(f).err[MD_BOOK_ERR_BAD_STATE], 1);
}

static void book__operational_halt__combines_with_trading_action(void **state)
{
	struct fx *f = *state;
	assert_int_equal(action(f, ITCH5_OPERATIONAL_HALT, 2, 'H'), MD_BOOK_EV_TICK);
	assert_true(f->t.flags & MD_TF_HALTED);
	action(f, ITCH5_TRADING_ACTION, 2, 'H');
	assert_int_equal(action(f, ITCH5_OPERATIONAL_HALT, 2, 'T'), 0); /* still trading-halted */
	assert_int_equal(action(f, ITCH5_TRADING_ACTION, 2, 'T'), MD_BOOK_EV_TICK);
	assert_false(f->t.flags & MD_TF_HALTED);
}

static void book__trade_p__sets_last_only(void **state)
{
	struct fx *f = *state;
	add(f, 1, 1, 'B', 100, P4(10000));
	struct itch5_msg m = { .type = ITCH5_TRADE, .stock_locate = 1, .timestamp = 5 };
	m.u.trade.price = P4(10050);
	m.u.trade.shares = 42;
	m.u.trade.side = 'B';
	assert_int_equal(feed(f, &m), MD_BOOK_EV_TICK);
	assert_int_equal(f->t.last_px, PX(10050));
	assert_int_equal(f->t.last_sz, 42);
	assert_true(f->t.flags & MD_TF_TRADE);
	assert_l1(&f->t, 10000, 100, 0, 0);
	assert_int_equal(stats(f).orders, 1);
	/* the next book tick keeps the last trade but not the trade flag */
	add(f, 1, 2, 'B', 100, P4(10000));
	assert_int_equal(f->t.last_px, PX(10050));
	assert_false(f->t.flags & MD_TF_TRADE);
}

static void book__cross_q__sets_last_zero_shares_ignored(void **state)
{
	struct fx *f = *state;
	struct itch5_msg m = { .type = ITCH5_CROSS_TRADE, .stock_locate = 2, .timestamp = 5 };
	m.u.cross.shares = 0;
	m.u.cross.price = P4(777);
	assert_int_equal(feed(f, &m), 0);
	m.u.cross.shares = 5000000000ull; /* wider than md_tick.last_sz: saturates */
	assert_int_equal(feed(f, &m), MD_BOOK_EV_TICK);
	assert_int_equal(f->t.last_px, PX(777));
	assert_int_equal(f->t.last_sz, UINT32_MAX);
}

static void book__broken_trade_and_system_events__reported(void **state)
{
	struct fx *f = *state;
	struct itch5_msg m = { .type = ITCH5_BROKEN_TRADE, .stock_locate = 1 };
	m.u.broken.match_number = 123456;
	assert_int_equal(feed(f, &m), MD_BOOK_EV_BROKEN_TRADE);
	assert_int_equal(action(f, ITCH5_SYSTEM_EVENT, 0, 'Q'), MD_BOOK_EV_SYSTEM_EVENT);
	struct md_book_stats s = stats(f);
	assert_int_equal(s.broken_trades, 1);
	assert_int_equal(s.last_broken_match, 123456);
	assert_int_equal(s.last_system_event, 'Q');
	assert_int_equal(s.end_of_messages, 0);
	action(f, ITCH5_SYSTEM_EVENT, 0, 'C');
	assert_int_equal(stats(f).end_of_messages, 1);
	/* types the book does not use are counted as ignored */
	struct itch5_msg noii = { .type = ITCH5_NOII, .stock_locate = 1 };
	assert_int_equal(feed(f, &noii), 0);
	assert_int_equal(stats(f).ignored, 1);
}

static void book__unknown_locate_and_bad_fields__counted(void **state)
{
	struct fx *f = *state;
	assert_int_equal(add(f, 3, 1, 'B', 100, 100), MD_BOOK_EV_REJECTED);
	assert_int_equal(add(f, 1, 1, 'X', 100, 100), MD_BOOK_EV_REJECTED);
	assert_int_equal(add(f, 1, 0, 'B', 100, 100), MD_BOOK_EV_REJECTED);
	assert_int_equal(add(f, 1, 1, 'B', 0, 100), MD_BOOK_EV_REJECTED);
	add(f, 1, 1, 'B', 100, 100);
	assert_int_equal(add(f, 1, 1, 'S', 100, 200), MD_BOOK_EV_REJECTED);
	struct md_book_stats s = stats(f);
	assert_int_equal(s.err[MD_BOOK_ERR_UNKNOWN_LOCATE], 1);
	assert_int_equal(s.err[MD_BOOK_ERR_BAD_SIDE], 1);
	assert_int_equal(s.err[MD_BOOK_ERR_BAD_ORDER_REF], 1);
	assert_int_equal(s.err[MD_BOOK_ERR_BAD_SHARES], 1);
	assert_int_equal(s.err[MD_BOOK_ERR_DUPLICATE_ORDER_REF], 1);
	assert_int_equal(s.orders, 1);
	assert_string_equal(md_book_err_name(MD_BOOK_ERR_LEVEL_FULL), "level_full");
	assert_string_equal(md_book_err_name(MD_BOOK_ERR__COUNT), "invalid");
}

static void book__pools_exhausted__counted_not_crashing(void **state)
{
	(void)state;
	struct md_book_config cfg = { .source = 1, .max_instruments = 2, .max_orders = 10,
				      .max_levels_per_side = 3, .max_levels = 8 };
	struct fx *f = fx_new(cfg);
	assert_non_null(f);
	dir(f, 1, "A");
	dir(f, 2, "B");
	assert_int_equal(dir(f, 3, "C"), MD_BOOK_EV_REJECTED);
	/* 3 levels per side, the 4th price is refused */
	for (uint32_t i = 0; i < 4; i++)
		add(f, 1, 1 + i, 'B', 10, 100 + i);
	assert_int_equal(stats(f).err[MD_BOOK_ERR_LEVEL_FULL], 1);
	/* an existing level still takes orders */
	assert_int_equal(add(f, 1, 20, 'B', 10, 100), 0);
	/* pool of 8 levels: 3 used, 3 asks on inst 1, 2 more on inst 2, then empty */
	for (uint32_t i = 0; i < 3; i++)
		add(f, 1, 30 + i, 'S', 10, 1000 + i);
	add(f, 2, 40, 'B', 10, 100);
	add(f, 2, 41, 'B', 10, 101);
	assert_int_equal(stats(f).orders, 9);
	assert_int_equal(add(f, 2, 42, 'B', 10, 102), MD_BOOK_EV_REJECTED);
	assert_int_equal(stats(f).err[MD_BOOK_ERR_LEVEL_POOL_FULL], 1);
	add(f, 2, 43, 'B', 10, 101);
	assert_int_equal(stats(f).orders, 10);
	assert_int_equal(add(f, 2, 44, 'B', 10, 101), MD_BOOK_EV_REJECTED);
	struct md_book_stats s = stats(f);
	assert_int_equal(s.err[MD_BOOK_ERR_ORDERS_FULL], 1);
	assert_int_equal(s.err[MD_BOOK_ERR_INSTRUMENTS_FULL], 1);
	assert_int_equal(s.levels, 8);
	/* freeing makes room again */
	del(f, 2, 43);
	del(f, 2, 41);
	assert_int_equal(add(f, 2, 45, 'B', 10, 105), MD_BOOK_EV_TICK);
	assert_int_equal(f->t.bid_px, PX(105));
	fx_free(f);
}

static void book__set_flags__ticks_each_instrument_bounded(void **state)
{
	struct fx *f = *state;
	dir(f, 3, "IBM");
	add(f, 1, 1, 'B', 100, P4(10000));
	struct md_tick out[4];
	assert_int_equal(md_book_set_flags(f->b, MD_TF_CROSSED, 0, 1, out, 4), -EINVAL);
	assert_int_equal(md_book_set_flags(f->b, MD_TF_STALE | MD_TF_GAP, 0, 555, out, 2), 2);
	assert_int_equal(out[0].instrument_id, 1);
	assert_int_equal(out[0].flags, MD_TF_STALE | MD_TF_GAP);
	assert_int_equal(out[0].bid_sz, 100);
	assert_int_equal(out[0].recv_ns, 555);
	assert_int_equal(out[0].seqno, 2);
	assert_int_equal(out[1].instrument_id, 2);
	assert_int_equal(md_book_flag_ticks_pending(f->b), 1);
	assert_int_equal(md_book_flush_flag_ticks(f->b, 556, out, 4), 1);
	assert_int_equal(out[0].instrument_id, 3);
	assert_int_equal(md_book_flag_ticks_pending(f->b), 0);
	/* book ticks carry the feed flags */
	add(f, 1, 2, 'B', 100, P4(10100));
	assert_int_equal(f->t.flags, MD_TF_STALE | MD_TF_GAP);
	/* same flags again: nothing owed */
	assert_int_equal(md_book_set_flags(f->b, MD_TF_STALE, 0, 557, out, 4), 0);
	/* clearing: every instrument ticks once more */
	assert_int_equal(md_book_set_flags(f->b, 0, MD_TF_STALE | MD_TF_GAP, 558, out, 4), 3);
	assert_int_equal(out[2].flags, 0);
	assert_int_equal(stats(f).feed_flags, 0);
	/* an instrument ticked by the book after the change is not ticked twice */
	md_book_set_flags(f->b, MD_TF_LATE, 0, 559, out, 0);
	add(f, 2, 3, 'S', 5, P4(5));
	assert_int_equal(f->t.flags, MD_TF_LATE);
	assert_int_equal(md_book_flush_flag_ticks(f->b, 560, out, 4), 2);
	assert_int_equal(out[0].instrument_id, 1);
	assert_int_equal(out[1].instrument_id, 3);
}

static void book__find_symbol__returns_locate(void **state)
{
	struct fx *f = *state;
	assert_int_equal(md_book_find_symbol(f->b, "MSFT    "), 2);
	assert_int_equal(md_book_find_symbol(f->b, "GOOG    "), -ENOENT);
}

static void book__bad_config__rejected(void **state)
{
	(void)state;
	struct md_books *b;
	struct md_book_config c = small_cfg();
	c.max_orders = 0;
	assert_int_equal(md_book_create(&c, &b), -EINVAL);
	c = small_cfg();
	c.max_instruments = 70000;
	assert_int_equal(md_book_create(&c, &b), -EINVAL);
	c = small_cfg();
	assert_true(md_book_mem_size(&c) > 0);
	static char unaligned[1 << 20] __attribute__((aligned(64)));
	assert_int_equal(md_book_init(&b, unaligned + 1, sizeof(unaligned) - 1, &c), -EINVAL);
	assert_int_equal(md_book_init(&b, unaligned, 64, &c), -EINVAL);
	assert_true(md_book_mem_size(&c) <= sizeof(unaligned));
	assert_int_equal(md_book_init(&b, unaligned, sizeof(unaligned), &c), 0);
	md_book_destroy(b); /* caller memory: no free */
}

/* Random adds / executes / cancels / deletes / replaces over 3 instruments
 * against a naive reference; after every message the top levels must match.
 * Churns far more refs than max_orders to exercise backward-shift deletion. */
#define REF_MAX 256
struct ref_order { uint64_t ref; uint16_t loc; char side; uint32_t shares, price; };

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void ref_depth(const struct ref_order *o, unsigned n, uint16_t loc, char side,
		      struct md_book_level *out, int *nout)
{
	*nout = 0;
	for (unsigned i = 0; i < n; i++) {
		if (o[i].loc != loc || o[i].side != side)
			continue;
		int k = 0;
		while (k < *nout && out[k].px != PX(o[i].price))
			k++;
		if (k == *nout) {
			out[k].px = PX(o[i].price);
			out[k].shares = 0;
			out[k].orders = 0;
			(*nout)++;
		}
		out[k].shares += o[i].shares;
		out[k].orders++;
	}
	/* sort best first */
	for (int i = 1; i < *nout; i++)
		for (int j = i; j > 0; j--) {
			bool swap = side == 'B' ? out[j].px > out[j - 1].px : out[j].px < out[j - 1].px;
			if (!swap)
				break;
			struct md_book_level t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
}

static void book__random_ops__match_reference_model(void **state)
{
	(void)state;
	struct md_book_config cfg = { .source = 1, .max_instruments = 4, .max_orders = REF_MAX,
				      .max_levels_per_side = 64 };
	struct fx *f = fx_new(cfg);
	assert_non_null(f);
	dir(f, 1, "X1");
	dir(f, 2, "X2");
	dir(f, 3, "X3");
	static struct ref_order o[REF_MAX];
	unsigned n = 0;
	uint64_t seed = 0x1234567, next_ref = 1;
	for (unsigned step = 0; step < 40000; step++) {
		uint64_t r = rng_next(&seed);
		unsigned op = n == 0 ? 0 : (unsigned)(r % 10);
		if (n >= REF_MAX - 1 && op < 4)
			op = 6;
		unsigned i = n ? (unsigned)((r >> 8) % n) : 0;
		uint32_t q = 1 + (uint32_t)((r >> 20) % 300);
		uint32_t px = 1000 + (uint32_t)((r >> 32) % 40) * 5;
		if (op < 4) { /* add */
			struct ref_order *x = &o[n++];
			x->ref = next_ref++;
			x->loc = (uint16_t)(1 + (r >> 40) % 3);
			x->side = (r >> 44) & 1 ? 'B' : 'S';
			x->shares = q;
			x->price = x->side == 'B' ? px : px + 200;
			add(f, x->loc, x->ref, x->side, x->shares, x->price);
		} else if (op == 4) { /* execute */
			exec_e(f, o[i].loc, o[i].ref, q);
			o[i].shares = q >= o[i].shares ? 0 : o[i].shares - q;
		} else if (op == 5) { /* cancel */
			cancel(f, o[i].loc, o[i].ref, q);
			o[i].shares = q >= o[i].shares ? 0 : o[i].shares - q;
		} else if (op < 8) { /* delete */
			del(f, o[i].loc, o[i].ref);
			o[i].shares = 0;
		} else { /* replace */
			uint64_t nref = next_ref++;
			uint32_t npx = o[i].side == 'B' ? px : px + 200;
			replace(f, o[i].loc, o[i].ref, nref, q, npx);
			o[i].ref = nref;
			o[i].shares = q;
			o[i].price = npx;
		}
		if (o[i].shares == 0 && n > 0 && op >= 4)
			o[i] = o[--n];
		if (step % 7 == 0 || step > 39000) {
			for (uint16_t loc = 1; loc <= 3; loc++)
				for (int s = 0; s < 2; s++) {
					struct md_book_level got[64], want[64];
					int nw;
					ref_depth(o, n, loc, s ? 'S' : 'B', want, &nw);
					int ng = md_book_depth(f->b, loc, s ? MD_SIDE_ASK : MD_SIDE_BID, got, 64);
					assert_int_equal(ng, nw);
					/* the published L1 (last tick) agrees with the book */
					struct md_tick l1;
					assert_int_equal(md_book_l1(f->b, loc, &l1), 0);
					assert_int_equal(s ? l1.ask_px : l1.bid_px, nw ? want[0].px : ORION_PX_NONE);
					assert_int_equal(s ? l1.ask_sz : l1.bid_sz, nw ? want[0].shares : 0);
					for (int k = 0; k < ng; k++) {
						assert_int_equal(got[k].px, want[k].px);
						assert_int_equal(got[k].shares, want[k].shares);
						assert_int_equal(got[k].orders, want[k].orders);
					}
				}
		}
	}
	struct md_book_stats s = stats(f);
	assert_int_equal(s.orders, n);
	for (unsigned e = 0; e < MD_BOOK_ERR__COUNT; e++)
		if (e != MD_BOOK_ERR_SHARES_EXCEED)
			assert_int_equal(s.err[e], 0);
	assert_true(next_ref > 10 * REF_MAX);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(book__add__fills_tick_with_l1_and_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(book__add_behind_touch__no_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(book__execute_partial__reduces_size_and_sets_last, setup, teardown),
		cmocka_unit_test_setup_teardown(book__execute_full__removes_order_and_level, setup, teardown),
		cmocka_unit_test_setup_teardown(book__execute_more_than_left__removes_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(book__execute_with_price__printable_sets_last_nonprintable_not,
						setup, teardown),
		cmocka_unit_test_setup_teardown(book__cancel_partial__reduces_shares, setup, teardown),
		cmocka_unit_test_setup_teardown(book__delete__removes_order, setup, teardown),
		cmocka_unit_test_setup_teardown(book__delete_unknown_ref__counted_no_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(book__replace__new_ref_new_price_keeps_side, setup, teardown),
		cmocka_unit_test_setup_teardown(book__replace_to_better_price__becomes_best, setup, teardown),
		cmocka_unit_test_setup_teardown(book__l2_over_12_levels__aggregated_and_ordered, setup, teardown),
		cmocka_unit_test_setup_teardown(book__best_level_empties__l1_moves_to_next, setup, teardown),
		cmocka_unit_test_setup_teardown(book__crossed_book__sets_and_clears_crossed_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(book__trading_action_halt__sets_and_clears_halted, setup, teardown),
		cmocka_unit_test_setup_teardown(book__operational_halt__combines_with_trading_action, setup,
						teardown),
		cmocka_unit_test_setup_teardown(book__trade_p__sets_last_only, setup, teardown),
		cmocka_unit_test_setup_teardown(book__cross_q__sets_last_zero_shares_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(book__broken_trade_and_system_events__reported, setup, teardown),
		cmocka_unit_test_setup_teardown(book__unknown_locate_and_bad_fields__counted, setup, teardown),
		cmocka_unit_test(book__pools_exhausted__counted_not_crashing),
		cmocka_unit_test_setup_teardown(book__set_flags__ticks_each_instrument_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(book__find_symbol__returns_locate, setup, teardown),
		cmocka_unit_test(book__bad_config__rejected),
		cmocka_unit_test(book__random_ops__match_reference_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
