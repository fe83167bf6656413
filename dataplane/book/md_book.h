/* Order book builder for one ITCH 5.0 feed (L3 order-by-order → L2 → L1).
 *
 * Pure C: no DPDK, no I/O, no locks. A `struct md_books` holds every
 * instrument of ONE feed and is owned by ONE thread (the dataplane lcore that
 * decodes the feed): every function taking a non-const `struct md_books *`
 * and every reader (depth, L1, stats) must be called from that thread.
 * Nothing is allocated after md_book_create()/md_book_init(): all pools are
 * sized from `struct md_book_config` up front.
 *
 * Data layout (see md_book.c): orders live inside an open-addressing hash
 * table keyed by order reference (16 bytes per order, linear probing,
 * backward-shift deletion, no tombstones, load <= 1/2), so a session with
 * tens of millions of order refs needs memory only for the live orders.
 * Price levels come from one shared pool, are found by (instrument, side,
 * price) through a second hash table and are kept in a doubly linked list per
 * side sorted from the touch outwards, so the top N levels are read in order.
 *
 * Running out of instruments, orders or levels, unknown order refs, unknown
 * stock locates and malformed values are counted by reason
 * (enum md_book_err) and the message is dropped; the book never crashes.
 */
#ifndef ORION_DATAPLANE_MD_BOOK_H
#define ORION_DATAPLANE_MD_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "common/orion_tick.h"
#include "feeds/itch5.h"

enum md_side {
	MD_SIDE_BID = 0,
	MD_SIDE_ASK = 1,
};

struct md_book_config {
	uint16_t source;              /* feed id copied into md_tick.source */
	uint32_t max_instruments;     /* 1..65535 (stock locates are 16 bits) */
	uint32_t max_orders;          /* live orders, 1..2^30 */
	uint32_t max_levels_per_side; /* price levels per instrument side, >= 1 */
	uint32_t max_levels;          /* shared level pool, 0 = max_instruments * 2 *
	                               * max_levels_per_side; at most 2^30 */
};

/* Why a message (or part of it) was not applied. Indexes the counters in
 * md_book_stats.err; keep md_book_err_name() in step. */
enum md_book_err {
	MD_BOOK_ERR_UNKNOWN_LOCATE = 0, /* stock locate without a stock directory 'R' */
	MD_BOOK_ERR_UNKNOWN_ORDER_REF,  /* E/C/X/D/U for an order not in the book */
	MD_BOOK_ERR_DUPLICATE_ORDER_REF,/* A/F/U with a ref already live */
	MD_BOOK_ERR_BAD_ORDER_REF,      /* order ref 0 (reserved as "empty") */
	MD_BOOK_ERR_BAD_SIDE,           /* side not 'B' / 'S' */
	MD_BOOK_ERR_BAD_SHARES,         /* add / replace with 0 shares */
	MD_BOOK_ERR_SHARES_EXCEED,      /* E/C/X for more shares than remain (order removed) */
	MD_BOOK_ERR_BAD_STATE,          /* H / h with an unknown state or action code */
	MD_BOOK_ERR_ORDERS_FULL,        /* max_orders live orders */
	MD_BOOK_ERR_LEVEL_FULL,         /* max_levels_per_side on that side */
	MD_BOOK_ERR_LEVEL_POOL_FULL,    /* shared level pool exhausted */
	MD_BOOK_ERR_INSTRUMENTS_FULL,   /* 'R' beyond max_instruments */
	MD_BOOK_ERR__COUNT
};
const char *md_book_err_name(enum md_book_err e);

/* Bits returned by md_book_apply(). */
enum md_book_event {
	MD_BOOK_EV_TICK = 1u << 0,         /* *tick was filled: L1, last trade or flags changed */
	MD_BOOK_EV_BROKEN_TRADE = 1u << 1, /* 'B': stats.last_broken_match holds the match number */
	MD_BOOK_EV_SYSTEM_EVENT = 1u << 2, /* 'S': stats.last_system_event holds the code */
	MD_BOOK_EV_REJECTED = 1u << 3,     /* the message was (partly) rejected, see stats.err */
};

struct md_book_stats {
	uint64_t msgs;             /* messages given to md_book_apply() */
	uint64_t ticks;            /* ticks produced (apply and flag changes) */
	uint64_t ignored;          /* message types the book does not use (Y, L, V, W, ...) */
	uint64_t broken_trades;    /* 'B' messages */
	uint64_t last_broken_match;
	uint64_t err[MD_BOOK_ERR__COUNT];
	uint32_t instruments;      /* instruments known from 'R' */
	uint32_t orders;           /* live orders */
	uint32_t orders_hwm;       /* most live orders seen */
	uint32_t levels;           /* live price levels, all instruments */
	uint16_t feed_flags;       /* MD_TF_STALE | MD_TF_GAP | MD_TF_LATE currently set */
	char last_system_event;    /* 'S' event code, 0 before the first */
	uint8_t end_of_messages;   /* 'S' with 'C' seen */
};

/* One aggregated price level. */
struct md_book_level {
	int64_t px;       /* ORION price (1e-8) */
	uint64_t shares;  /* sum of the remaining shares of the level's orders */
	uint32_t orders;  /* live orders at the level */
	uint32_t pad_;
};

struct md_books;

/* Bytes md_book_init() needs for cfg (64-byte aligned), or 0 if cfg is
 * invalid. Any thread. */
size_t md_book_mem_size(const struct md_book_config *cfg);

/* Build a book set inside caller memory (e.g. rte_zmalloc_socket on the
 * lcore's NUMA node): mem must be 64-byte aligned and hold
 * md_book_mem_size(cfg) bytes; the caller keeps ownership and frees it after
 * the last use. Returns 0 and *out, -EINVAL for a bad config, misaligned or
 * too small memory. Start-up only (touches all of mem). */
int md_book_init(struct md_books **out, void *mem, size_t size, const struct md_book_config *cfg);

/* Same, with one aligned_alloc() owned by the book set; release with
 * md_book_destroy(). Returns 0, -EINVAL or -ENOMEM. Start-up only. */
int md_book_create(const struct md_book_config *cfg, struct md_books **out);
/* Frees a set made by md_book_create() (no-op for NULL or md_book_init()). */
void md_book_destroy(struct md_books *b);

/* Apply one decoded ITCH message. recv_ns and feed_seq are copied into the
 * tick. When the message changed the best bid/offer (price or size), the last
 * trade or the quality flags of an instrument, *tick is filled and
 * MD_BOOK_EV_TICK is set; the caller decides where it goes. Returns a mask
 * of enum md_book_event (0: nothing visible changed). Hot path. */
unsigned md_book_apply(struct md_books *b, const struct itch5_msg *m,
		       uint64_t recv_ns, uint64_t feed_seq, struct md_tick *tick);

/* Set then clear feed-wide quality flags (only MD_TF_STALE, MD_TF_GAP,
 * MD_TF_LATE; -EINVAL otherwise). When the feed's flags change, every
 * instrument owes one tick carrying the new flags: up to max of them are
 * written to out now (recv_ns in each), the rest by md_book_flush_flag_ticks().
 * Returns the number of ticks written (>= 0) or -EINVAL. */
int md_book_set_flags(struct md_books *b, uint16_t set, uint16_t clear,
		      uint64_t recv_ns, struct md_tick *out, uint32_t max);
/* Write up to max ticks still owed after a flag change; returns how many. */
uint32_t md_book_flush_flag_ticks(struct md_books *b, uint64_t recv_ns,
				  struct md_tick *out, uint32_t max);
/* Upper bound of the ticks still owed after a flag change (0: none). */
uint32_t md_book_flag_ticks_pending(const struct md_books *b);

/* Top n levels of one side of the instrument with this stock locate, best
 * first. Returns the number written (0..n) or -ENOENT for an unknown locate. */
int md_book_depth(const struct md_books *b, uint16_t locate, enum md_side side,
		  struct md_book_level *out, uint32_t n);

/* Current L1 of an instrument as a tick (times and feed_seq of its last
 * tick, seqno unchanged, MD_TF_SNAPSHOT set). Returns 0 or -ENOENT. */
int md_book_l1(const struct md_books *b, uint16_t locate, struct md_tick *out);

/* Stock locate of a symbol (8 bytes, space padded like ITCH), or -ENOENT.
 * Linear in the number of instruments: not for the hot path. */
int md_book_find_symbol(const struct md_books *b, const char symbol[ORION_SYMBOL_LEN]);

void md_book_stats(const struct md_books *b, struct md_book_stats *out);

/* Hint: prefetch the order / level hash slots m will touch; never changes
 * state. Measured best use: decode a burst (e.g. 64 messages), calling this
 * on each as it is decoded, then md_book_apply() the burst (about 1.05x the
 * throughput of decode-and-apply one by one with 500 instruments, since
 * neighbouring order refs share cache lines; more with larger books). */
void md_book_prefetch(const struct md_books *b, const struct itch5_msg *m);

#endif
