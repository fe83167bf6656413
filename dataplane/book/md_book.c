/* Order book builder for one ITCH 5.0 feed. See md_book.h for the contract. */
#include "dataplane/book/md_book.h"

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define LOC_NONE UINT16_MAX
#define LOCATES 65536u
#define CACHELINE 64u
#define FEED_FLAGS (MD_TF_STALE | MD_TF_GAP | MD_TF_LATE)
#define GOLDEN 0x9E3779B97F4A7C15ull
#define SIDE_NONE 2u /* maybe_tick(): no side of the book changed */

/* One live order, stored in the order hash table itself (ref 0 = empty). The
 * level gives price, side and instrument. */
struct order {
	uint64_t ref;
	uint32_t shares;
	uint32_t level;
};
static_assert(sizeof(struct order) == 16, "4 orders per cache line");

/* One price level from the shared pool; free levels are chained by `worse`. */
struct level {
	uint64_t shares;
	uint32_t price;  /* ITCH Price(4) */
	uint32_t orders;
	uint32_t better; /* toward the touch, NIL at the best level */
	uint32_t worse;  /* away from the touch, NIL at the last level */
	uint16_t inst;
	uint8_t side;
	uint8_t pad_[5];
};
static_assert(sizeof(struct level) == 32, "2 levels per cache line");

/* Level hash entry: key = (inst + 1) << 33 | side << 32 | price, never 0. */
struct lvl_slot {
	uint64_t key;
	uint32_t level;
	uint32_t pad_;
};
static_assert(sizeof(struct lvl_slot) == 16, "4 level slots per cache line");

/* Per-instrument state: the first cache line is what apply() touches. */
struct inst {
	uint32_t best[2];
	uint32_t worst[2];
	uint32_t nlevels[2];
	uint32_t pub_px[2];  /* L1 of the last tick (size 0 = side empty) */
	uint32_t pub_sz[2];
	uint32_t last_px;    /* last trade, Price(4) */
	uint32_t last_sz;
	uint32_t seqno;
	uint16_t locate;
	uint16_t pub_flags;
	uint8_t trading_halted;
	uint8_t op_halted;
	uint8_t has_last;
	uint8_t pad0_;
	uint32_t flag_gen;   /* feed-flag generation last emitted */
	/* second cache line: cold */
	alignas(CACHELINE) char symbol[ORION_SYMBOL_LEN];
	uint64_t last_exch_ts;
	uint64_t last_recv_ns;
	uint64_t last_feed_seq;
};
static_assert(sizeof(struct inst) == 2 * CACHELINE, "instrument is two cache lines");

struct md_books {
	/* hot, read-mostly */
	struct order *orders;
	struct lvl_slot *lvl_hash;
	struct level *levels;
	struct inst *insts;
	uint16_t *locmap;       /* locate -> instrument slot, LOC_NONE if unknown */
	uint64_t order_mask;
	uint64_t lvl_mask;
	unsigned order_shift;   /* 64 - log2(order table size) */
	unsigned lvl_shift;
	uint32_t max_orders;
	uint32_t max_per_side;
	uint32_t max_instruments;
	uint32_t free_level;    /* head of the free level chain */
	uint16_t source;
	uint16_t feed_flags;
	uint32_t flag_gen;      /* bumped when feed_flags changes */
	uint32_t flag_cursor;   /* next instrument owing a flag tick */
	bool owned;
	uint64_t err_total;     /* sum of st.err, to flag a rejection cheaply */
	struct md_book_stats st;
};

static const char *const err_names[MD_BOOK_ERR__COUNT] = {
	[MD_BOOK_ERR_UNKNOWN_LOCATE] = "unknown_locate",
	[MD_BOOK_ERR_UNKNOWN_ORDER_REF] = "unknown_order_ref",
	[MD_BOOK_ERR_DUPLICATE_ORDER_REF] = "duplicate_order_ref",
	[MD_BOOK_ERR_BAD_ORDER_REF] = "bad_order_ref",
	[MD_BOOK_ERR_BAD_SIDE] = "bad_side",
	[MD_BOOK_ERR_BAD_SHARES] = "bad_shares",
	[MD_BOOK_ERR_SHARES_EXCEED] = "shares_exceed",
	[MD_BOOK_ERR_BAD_STATE] = "bad_state",
	[MD_BOOK_ERR_ORDERS_FULL] = "orders_full",
	[MD_BOOK_ERR_LEVEL_FULL] = "level_full",
	[MD_BOOK_ERR_LEVEL_POOL_FULL] = "level_pool_full",
	[MD_BOOK_ERR_INSTRUMENTS_FULL] = "instruments_full",
};

const char *md_book_err_name(enum md_book_err e)
{
	if ((unsigned)e >= MD_BOOK_ERR__COUNT)
		return "invalid";
	return err_names[e];
}

/* ---- sizing ------------------------------------------------------------ */

struct layout {
	uint64_t order_cap, lvl_cap, pool;
	size_t off_locmap, off_insts, off_orders, off_lvl_hash, off_levels, total;
};

static size_t align_up(size_t v) { return (v + CACHELINE - 1) & ~(size_t)(CACHELINE - 1); }

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

static unsigned log2_u64(uint64_t p)
{
	return (unsigned)(63 - __builtin_clzll(p));
}

static int plan(const struct md_book_config *cfg, struct layout *l)
{
	if (cfg == NULL || cfg->max_instruments == 0 || cfg->max_instruments >= LOCATES - 1 ||
	    cfg->max_orders == 0 || cfg->max_orders > (1u << 30) || cfg->max_levels_per_side == 0)
		return -EINVAL;
	uint64_t pool = cfg->max_levels ? cfg->max_levels
					: (uint64_t)cfg->max_instruments * 2 * cfg->max_levels_per_side;
	if (pool > (1u << 30))
		return -EINVAL;
	l->pool = pool;
	l->order_cap = pow2_at_least(2ull * cfg->max_orders);
	l->lvl_cap = pow2_at_least(2ull * pool);
	size_t off = align_up(sizeof(struct md_books));
	l->off_locmap = off;
	off = align_up(off + LOCATES * sizeof(uint16_t));
	l->off_insts = off;
	off = align_up(off + (size_t)cfg->max_instruments * sizeof(struct inst));
	l->off_orders = off;
	off = align_up(off + l->order_cap * sizeof(struct order));
	l->off_lvl_hash = off;
	off = align_up(off + l->lvl_cap * sizeof(struct lvl_slot));
	l->off_levels = off;
	off = align_up(off + pool * sizeof(struct level));
	l->total = off;
	return 0;
}

size_t md_book_mem_size(const struct md_book_config *cfg)
{
	struct layout l;
	return plan(cfg, &l) == 0 ? l.total : 0;
}

int md_book_init(struct md_books **out, void *mem, size_t size, const struct md_book_config *cfg)
{
	struct layout l;
	if (out == NULL || mem == NULL || ((uintptr_t)mem & (CACHELINE - 1)) != 0 || plan(cfg, &l) != 0 ||
	    size < l.total)
		return -EINVAL;
	memset(mem, 0, l.total);
	char *base = mem;
	struct md_books *b = mem;
	b->locmap = (uint16_t *)(base + l.off_locmap);
	b->insts = (struct inst *)(base + l.off_insts);
	b->orders = (struct order *)(base + l.off_orders);
	b->lvl_hash = (struct lvl_slot *)(base + l.off_lvl_hash);
	b->levels = (struct level *)(base + l.off_levels);
	b->order_mask = l.order_cap - 1;
	b->lvl_mask = l.lvl_cap - 1;
	b->order_shift = 64 - log2_u64(l.order_cap);
	b->lvl_shift = 64 - log2_u64(l.lvl_cap);
	b->max_orders = cfg->max_orders;
	b->max_per_side = cfg->max_levels_per_side;
	b->max_instruments = cfg->max_instruments;
	b->source = cfg->source;
	for (uint32_t i = 0; i < LOCATES; i++)
		b->locmap[i] = LOC_NONE;
	for (uint64_t i = 0; i < l.pool; i++)
		b->levels[i].worse = i + 1 < l.pool ? (uint32_t)(i + 1) : NIL;
	b->free_level = 0;
	*out = b;
	return 0;
}

int md_book_create(const struct md_book_config *cfg, struct md_books **out)
{
	size_t sz = md_book_mem_size(cfg);
	if (sz == 0 || out == NULL)
		return -EINVAL;
	void *mem = aligned_alloc(CACHELINE, sz);
	if (mem == NULL)
		return -ENOMEM;
	int rc = md_book_init(out, mem, sz, cfg);
	if (rc != 0) {
		free(mem);
		return rc;
	}
	(*out)->owned = true;
	return 0;
}

void md_book_destroy(struct md_books *b)
{
	if (b != NULL && b->owned)
		free(b);
}

/* ---- order table --------------------------------------------------------- */

/* Exchanges hand out order refs in sequence, so consecutive refs go to slots
 * two apart (2 * ref mod table size): adds stream through the table and the
 * recent, most active orders share cache lines, while the free slot between
 * two refs keeps clusters short even where all recent orders are live (short
 * probes, short backward shifts). The part of the ref above half the table
 * size is hashed into a rotation so that refs a multiple of it apart do not
 * pile up on one home slot. */
static inline uint64_t order_home(const struct md_books *b, uint64_t ref)
{
	uint64_t epoch = ref >> (63 - b->order_shift);
	return ((ref << 1) + ((epoch * GOLDEN) >> b->order_shift)) & b->order_mask;
}

/* Position of ref, or of the empty slot where it would go (*found = false). */
static inline uint64_t order_find(const struct md_books *b, uint64_t ref, bool *found)
{
	uint64_t i = order_home(b, ref);
	for (uint64_t n = 0; n <= b->order_mask; n++) {
		uint64_t r = b->orders[i].ref;
		if (r == ref) {
			*found = ref != 0; /* ref 0 marks empty slots: never live */
			return i;
		}
		if (r == 0)
			break;
		i = (i + 1) & b->order_mask;
	}
	/* Load <= 1/2 guarantees an empty slot, so the loop ends on one. */
	*found = false;
	return i;
}

/* Backward-shift deletion: pull later members of the cluster into the hole
 * unless their home lies cyclically in (hole, j]. */
static inline void order_erase(struct md_books *b, uint64_t hole)
{
	const uint64_t mask = b->order_mask;
	uint64_t j = hole;
	for (uint64_t n = 0; n < mask; n++) {
		j = (j + 1) & mask;
		uint64_t ref = b->orders[j].ref;
		if (ref == 0)
			break;
		uint64_t home = order_home(b, ref);
		if (((j - home) & mask) < ((j - hole) & mask))
			continue; /* home in (hole, j]: stays */
		b->orders[hole] = b->orders[j];
		hole = j;
	}
	b->orders[hole].ref = 0;
}

/* ---- level table --------------------------------------------------------- */

static inline uint64_t lvl_key(uint32_t inst, unsigned side, uint32_t price)
{
	return ((uint64_t)(inst + 1) << 33) | ((uint64_t)side << 32) | price;
}

static inline uint64_t lvl_home(const struct md_books *b, uint64_t key)
{
	key ^= key >> 31;
	return (key * GOLDEN) >> b->lvl_shift;
}

static inline uint64_t lvl_find(const struct md_books *b, uint64_t key, bool *found)
{
	uint64_t i = lvl_home(b, key);
	for (uint64_t n = 0; n <= b->lvl_mask; n++) {
		uint64_t k = b->lvl_hash[i].key;
		if (k == key) {
			*found = true;
			return i;
		}
		if (k == 0)
			break;
		i = (i + 1) & b->lvl_mask;
	}
	*found = false;
	return i;
}

static inline void lvl_erase(struct md_books *b, uint64_t hole)
{
	const uint64_t mask = b->lvl_mask;
	uint64_t j = hole;
	for (uint64_t n = 0; n < mask; n++) {
		j = (j + 1) & mask;
		uint64_t key = b->lvl_hash[j].key;
		if (key == 0)
			break;
		uint64_t home = lvl_home(b, key);
		if (((j - home) & mask) < ((j - hole) & mask))
			continue;
		b->lvl_hash[hole] = b->lvl_hash[j];
		hole = j;
	}
	b->lvl_hash[hole].key = 0;
}

/* Is price a strictly better than b on this side? */
static inline bool better(unsigned side, uint32_t a, uint32_t c)
{
	return side == MD_SIDE_BID ? a > c : a < c;
}

static inline void count_err(struct md_books *b, enum md_book_err e)
{
	b->st.err[e]++;
	b->err_total++;
}

/* Link new level `li` into the sorted list of its side. Walks from the end
 * nearer in price; both ends are O(1) for adds outside the current range. */
static void level_link(struct md_books *b, struct inst *in, unsigned side, uint32_t li)
{
	struct level *L = b->levels;
	struct level *nl = &L[li];
	uint32_t price = nl->price;
	uint32_t best = in->best[side], worst = in->worst[side];
	if (best == NIL) {
		nl->better = nl->worse = NIL;
		in->best[side] = in->worst[side] = li;
		return;
	}
	if (better(side, price, L[best].price)) {
		nl->better = NIL;
		nl->worse = best;
		L[best].better = li;
		in->best[side] = li;
		return;
	}
	if (better(side, L[worst].price, price)) {
		nl->worse = NIL;
		nl->better = worst;
		L[worst].worse = li;
		in->worst[side] = li;
		return;
	}
	/* Strictly inside (best, worst): find the neighbours. */
	uint32_t dbest = price > L[best].price ? price - L[best].price : L[best].price - price;
	uint32_t dworst = price > L[worst].price ? price - L[worst].price : L[worst].price - price;
	uint32_t lim = in->nlevels[side];
	uint32_t prev, next;
	if (dbest <= dworst) {
		prev = best; /* prev is better than price */
		next = L[prev].worse;
		for (uint32_t n = 0; n < lim && next != NIL && better(side, L[next].price, price); n++) {
			prev = next;
			next = L[next].worse;
		}
	} else {
		next = worst; /* next is worse than price */
		prev = L[next].better;
		for (uint32_t n = 0; n < lim && prev != NIL && better(side, price, L[prev].price); n++) {
			next = prev;
			prev = L[prev].better;
		}
	}
	nl->better = prev;
	nl->worse = next;
	L[prev].worse = li;
	L[next].better = li;
}

/* Level for (inst, side, price), created if absent. NIL when full (counted). */
static inline uint32_t level_get(struct md_books *b, uint32_t slot, unsigned side, uint32_t price)
{
	uint64_t key = lvl_key(slot, side, price);
	bool found;
	uint64_t pos = lvl_find(b, key, &found);
	if (found)
		return b->lvl_hash[pos].level;
	struct inst *in = &b->insts[slot];
	if (in->nlevels[side] >= b->max_per_side) {
		count_err(b, MD_BOOK_ERR_LEVEL_FULL);
		return NIL;
	}
	uint32_t li = b->free_level;
	if (li == NIL) {
		count_err(b, MD_BOOK_ERR_LEVEL_POOL_FULL);
		return NIL;
	}
	struct level *lv = &b->levels[li];
	b->free_level = lv->worse;
	lv->shares = 0;
	lv->orders = 0;
	lv->price = price;
	lv->inst = (uint16_t)slot;
	lv->side = (uint8_t)side;
	b->lvl_hash[pos].key = key;
	b->lvl_hash[pos].level = li;
	level_link(b, in, side, li);
	in->nlevels[side]++;
	b->st.levels++;
	return li;
}

static void level_free(struct md_books *b, uint32_t li)
{
	struct level *lv = &b->levels[li];
	struct inst *in = &b->insts[lv->inst];
	unsigned side = lv->side;
	if (lv->better != NIL)
		b->levels[lv->better].worse = lv->worse;
	else
		in->best[side] = lv->worse;
	if (lv->worse != NIL)
		b->levels[lv->worse].better = lv->better;
	else
		in->worst[side] = lv->better;
	bool found;
	uint64_t pos = lvl_find(b, lvl_key(lv->inst, side, lv->price), &found);
	if (found)
		lvl_erase(b, pos);
	in->nlevels[side]--;
	b->st.levels--;
	lv->worse = b->free_level;
	b->free_level = li;
}

/* ---- order operations ------------------------------------------------------ */

/* Add an order; returns the instrument slot or NIL (counted). */
static uint32_t order_add(struct md_books *b, uint32_t slot, uint64_t ref, unsigned side,
			  uint32_t shares, uint32_t price)
{
	if (ref == 0) {
		count_err(b, MD_BOOK_ERR_BAD_ORDER_REF);
		return NIL;
	}
	if (shares == 0) {
		count_err(b, MD_BOOK_ERR_BAD_SHARES);
		return NIL;
	}
	if (b->st.orders >= b->max_orders) {
		count_err(b, MD_BOOK_ERR_ORDERS_FULL);
		return NIL;
	}
	bool found;
	uint64_t pos = order_find(b, ref, &found);
	if (found) {
		count_err(b, MD_BOOK_ERR_DUPLICATE_ORDER_REF);
		return NIL;
	}
	uint32_t li = level_get(b, slot, side, price);
	if (li == NIL)
		return NIL;
	struct level *lv = &b->levels[li];
	lv->shares += shares;
	lv->orders++;
	struct order *o = &b->orders[pos];
	o->ref = ref;
	o->shares = shares;
	o->level = li;
	if (++b->st.orders > b->st.orders_hwm)
		b->st.orders_hwm = b->st.orders;
	return slot;
}

/* Take `shares` off the order at pos (all of it when shares >= remaining or
 * `all`). Returns the instrument slot and sets *side to the order's side. */
static uint32_t order_reduce(struct md_books *b, uint64_t pos, uint32_t shares, bool all,
			     unsigned *side)
{
	struct order *o = &b->orders[pos];
	uint32_t li = o->level;
	struct level *lv = &b->levels[li];
	uint32_t slot = lv->inst;
	*side = lv->side;
	if (!all && shares < o->shares) {
		o->shares -= shares;
		lv->shares -= shares;
		return slot;
	}
	if (!all && shares > o->shares)
		count_err(b, MD_BOOK_ERR_SHARES_EXCEED);
	lv->shares -= o->shares;
	order_erase(b, pos);
	b->st.orders--;
	if (--lv->orders == 0)
		level_free(b, li);
	return slot;
}

static inline int slot_of(struct md_books *b, uint16_t locate)
{
	uint16_t s = b->locmap[locate];
	if (s == LOC_NONE) {
		count_err(b, MD_BOOK_ERR_UNKNOWN_LOCATE);
		return -1;
	}
	return s;
}

static inline int side_of(struct md_books *b, char c)
{
	if (c == 'B')
		return MD_SIDE_BID;
	if (c == 'S')
		return MD_SIDE_ASK;
	count_err(b, MD_BOOK_ERR_BAD_SIDE);
	return -1;
}

/* ---- ticks ------------------------------------------------------------------ */

static inline uint32_t clamp32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

static void fill_tick(const struct md_books *b, const struct inst *in, uint16_t flags,
		      struct md_tick *t)
{
	t->recv_ns = in->last_recv_ns;
	t->exch_ts_ns = in->last_exch_ts;
	t->feed_seq = in->last_feed_seq;
	int64_t bid = in->pub_sz[0] ? ORION_PX_FROM_P4(in->pub_px[0]) : ORION_PX_NONE;
	int64_t ask = in->pub_sz[1] ? ORION_PX_FROM_P4(in->pub_px[1]) : ORION_PX_NONE;
	t->bid_px = bid;
	t->ask_px = ask;
	t->mid_px = (in->pub_sz[0] && in->pub_sz[1]) ? (bid + ask) / 2 : ORION_PX_NONE;
	t->last_px = in->has_last ? ORION_PX_FROM_P4(in->last_px) : ORION_PX_NONE;
	t->bid_sz = in->pub_sz[0];
	t->ask_sz = in->pub_sz[1];
	t->last_sz = in->has_last ? in->last_sz : 0;
	t->instrument_id = in->locate;
	memcpy(t->symbol, in->symbol, ORION_SYMBOL_LEN);
	t->source = b->source;
	t->flags = flags;
	t->seqno = in->seqno;
	memset(t->pad_, 0, sizeof(t->pad_));
}

static inline uint16_t inst_flags(const struct md_books *b, const struct inst *in)
{
	uint16_t f = b->feed_flags;
	if (in->trading_halted | in->op_halted)
		f |= MD_TF_HALTED;
	if (in->pub_sz[0] && in->pub_sz[1] && in->pub_px[0] >= in->pub_px[1])
		f |= MD_TF_CROSSED;
	return f;
}

/* Refresh the L1 of `side` (SIDE_NONE: no book change; a message changes at
 * most one side, and only a side whose book changed can have a new best: the
 * other side's published L1 is still current, which saves a cache miss),
 * compare with the last tick and emit one if anything visible changed. */
static unsigned maybe_tick(struct md_books *b, uint32_t slot, unsigned side, bool trade,
			   const struct itch5_msg *m, uint64_t recv_ns, uint64_t feed_seq, struct md_tick *t)
{
	struct inst *in = &b->insts[slot];
	bool l1 = false;
	if (side != SIDE_NONE) {
		uint32_t li = in->best[side], px = 0, sz = 0;
		if (li != NIL) {
			px = b->levels[li].price;
			sz = clamp32(b->levels[li].shares);
		}
		l1 = px != in->pub_px[side] || sz != in->pub_sz[side];
		in->pub_px[side] = px;
		in->pub_sz[side] = sz;
	}
	uint16_t flags = inst_flags(b, in);
	if (!l1 && !trade && flags == in->pub_flags)
		return 0;
	in->pub_flags = flags;
	in->seqno++;
	in->flag_gen = b->flag_gen;
	in->last_exch_ts = m->timestamp;
	in->last_recv_ns = recv_ns;
	in->last_feed_seq = feed_seq;
	fill_tick(b, in, trade ? (uint16_t)(flags | MD_TF_TRADE) : flags, t);
	b->st.ticks++;
	return MD_BOOK_EV_TICK;
}

/* ---- apply ---------------------------------------------------------------- */

static void set_last(struct inst *in, uint32_t px, uint32_t sz)
{
	in->last_px = px;
	in->last_sz = sz;
	in->has_last = 1;
}

static uint32_t on_directory(struct md_books *b, const struct itch5_msg *m)
{
	uint16_t s = b->locmap[m->stock_locate];
	if (s == LOC_NONE) {
		if (b->st.instruments >= b->max_instruments) {
			count_err(b, MD_BOOK_ERR_INSTRUMENTS_FULL);
			return NIL;
		}
		s = (uint16_t)b->st.instruments++;
		struct inst *in = &b->insts[s];
		in->best[0] = in->best[1] = in->worst[0] = in->worst[1] = NIL;
		in->locate = m->stock_locate;
		in->flag_gen = b->flag_gen;
		in->pub_flags = b->feed_flags;
		b->locmap[m->stock_locate] = s;
	}
	memcpy(b->insts[s].symbol, m->u.stock_directory.stock, ORION_SYMBOL_LEN);
	return NIL; /* no tick: nothing quoted yet */
}

unsigned md_book_apply(struct md_books *b, const struct itch5_msg *m,
		       uint64_t recv_ns, uint64_t feed_seq, struct md_tick *tick)
{
	const uint64_t errs0 = b->err_total;
	b->st.msgs++;
	uint32_t slot = NIL;
	bool trade = false;
	unsigned ev = 0, bside = SIDE_NONE;
	bool found;
	uint64_t pos;
	int s, side;

	switch (m->type) {
	case ITCH5_ADD_ORDER:
	case ITCH5_ADD_ORDER_MPID:
		if ((s = slot_of(b, m->stock_locate)) < 0 || (side = side_of(b, m->u.add.side)) < 0)
			break;
		slot = order_add(b, (uint32_t)s, m->u.add.order_ref, (unsigned)side, m->u.add.shares,
				 m->u.add.price);
		bside = (unsigned)side;
		break;
	case ITCH5_ORDER_EXECUTED:
	case ITCH5_ORDER_EXECUTED_PRICE:
		pos = order_find(b, m->u.exec.order_ref, &found);
		if (!found) {
			count_err(b, MD_BOOK_ERR_UNKNOWN_ORDER_REF);
			break;
		}
		{
			struct order *o = &b->orders[pos];
			struct level *lv = &b->levels[o->level];
			struct inst *in = &b->insts[lv->inst];
			uint32_t sz = m->u.exec.shares < o->shares ? m->u.exec.shares : o->shares;
			if (m->type == ITCH5_ORDER_EXECUTED) {
				set_last(in, lv->price, sz);
				trade = true;
			} else if (m->u.exec.printable == 'Y') {
				set_last(in, m->u.exec.price, sz);
				trade = true;
			}
		}
		slot = order_reduce(b, pos, m->u.exec.shares, false, &bside);
		break;
	case ITCH5_ORDER_CANCEL:
		pos = order_find(b, m->u.cancel.order_ref, &found);
		if (!found) {
			count_err(b, MD_BOOK_ERR_UNKNOWN_ORDER_REF);
			break;
		}
		slot = order_reduce(b, pos, m->u.cancel.shares, false, &bside);
		break;
	case ITCH5_ORDER_DELETE:
		pos = order_find(b, m->u.del.order_ref, &found);
		if (!found) {
			count_err(b, MD_BOOK_ERR_UNKNOWN_ORDER_REF);
			break;
		}
		slot = order_reduce(b, pos, 0, true, &bside);
		break;
	case ITCH5_ORDER_REPLACE:
		pos = order_find(b, m->u.replace.orig_order_ref, &found);
		if (!found) {
			count_err(b, MD_BOOK_ERR_UNKNOWN_ORDER_REF);
			break;
		}
		slot = order_reduce(b, pos, 0, true, &bside);
		/* The original is gone whatever happens to the new order. */
		order_add(b, slot, m->u.replace.new_order_ref, bside, m->u.replace.shares,
			  m->u.replace.price);
		break;
	case ITCH5_TRADE:
		if ((s = slot_of(b, m->stock_locate)) < 0)
			break;
		slot = (uint32_t)s;
		set_last(&b->insts[slot], m->u.trade.price, m->u.trade.shares);
		trade = true;
		break;
	case ITCH5_CROSS_TRADE:
		if ((s = slot_of(b, m->stock_locate)) < 0)
			break;
		if (m->u.cross.shares == 0)
			break; /* no cross took place */
		slot = (uint32_t)s;
		set_last(&b->insts[slot], m->u.cross.price, clamp32(m->u.cross.shares));
		trade = true;
		break;
	case ITCH5_BROKEN_TRADE:
		b->st.broken_trades++;
		b->st.last_broken_match = m->u.broken.match_number;
		ev |= MD_BOOK_EV_BROKEN_TRADE;
		break;
	case ITCH5_TRADING_ACTION:
		if ((s = slot_of(b, m->stock_locate)) < 0)
			break;
		switch (m->u.trading_action.trading_state) {
		case 'H':
		case 'P':
		case 'Q':
			b->insts[s].trading_halted = 1;
			slot = (uint32_t)s;
			break;
		case 'T':
			b->insts[s].trading_halted = 0;
			slot = (uint32_t)s;
			break;
		default:
			count_err(b, MD_BOOK_ERR_BAD_STATE);
			break;
		}
		break;
	case ITCH5_OPERATIONAL_HALT:
		if ((s = slot_of(b, m->stock_locate)) < 0)
			break;
		switch (m->u.operational_halt.action) {
		case 'H':
			b->insts[s].op_halted = 1;
			slot = (uint32_t)s;
			break;
		case 'T':
			b->insts[s].op_halted = 0;
			slot = (uint32_t)s;
			break;
		default:
			count_err(b, MD_BOOK_ERR_BAD_STATE);
			break;
		}
		break;
	case ITCH5_SYSTEM_EVENT:
		b->st.last_system_event = m->u.system_event.event_code;
		if (m->u.system_event.event_code == 'C')
			b->st.end_of_messages = 1;
		ev |= MD_BOOK_EV_SYSTEM_EVENT;
		break;
	case ITCH5_STOCK_DIRECTORY:
		slot = on_directory(b, m);
		break;
	default:
		b->st.ignored++;
		break;
	}
	if (b->err_total != errs0)
		ev |= MD_BOOK_EV_REJECTED;
	if (slot != NIL)
		ev |= maybe_tick(b, slot, bside, trade, m, recv_ns, feed_seq, tick);
	return ev;
}

/* ---- feed flags, readers ------------------------------------------------------ */

uint32_t md_book_flag_ticks_pending(const struct md_books *b)
{
	return b->st.instruments - b->flag_cursor;
}

uint32_t md_book_flush_flag_ticks(struct md_books *b, uint64_t recv_ns, struct md_tick *out, uint32_t max)
{
	uint32_t n = 0;
	while (n < max && b->flag_cursor < b->st.instruments) {
		struct inst *in = &b->insts[b->flag_cursor++];
		if (in->flag_gen == b->flag_gen)
			continue; /* already ticked with the current flags */
		uint16_t flags = inst_flags(b, in);
		in->flag_gen = b->flag_gen;
		in->pub_flags = flags;
		in->seqno++;
		in->last_recv_ns = recv_ns;
		fill_tick(b, in, flags, &out[n++]);
		b->st.ticks++;
	}
	return n;
}

int md_book_set_flags(struct md_books *b, uint16_t set, uint16_t clear, uint64_t recv_ns,
		      struct md_tick *out, uint32_t max)
{
	if (((set | clear) & ~FEED_FLAGS) != 0)
		return -EINVAL;
	uint16_t f = (uint16_t)((b->feed_flags | set) & ~clear);
	if (f != b->feed_flags) {
		b->feed_flags = f;
		b->st.feed_flags = f;
		b->flag_gen++;
		b->flag_cursor = 0;
	}
	return (int)md_book_flush_flag_ticks(b, recv_ns, out, max);
}

int md_book_depth(const struct md_books *b, uint16_t locate, enum md_side side,
		  struct md_book_level *out, uint32_t n)
{
	uint16_t s = b->locmap[locate];
	if (s == LOC_NONE || (unsigned)side > MD_SIDE_ASK)
		return -ENOENT;
	const struct inst *in = &b->insts[s];
	uint32_t li = in->best[side];
	uint32_t k = 0;
	for (; k < n && li != NIL; k++) {
		const struct level *lv = &b->levels[li];
		out[k].px = ORION_PX_FROM_P4(lv->price);
		out[k].shares = lv->shares;
		out[k].orders = lv->orders;
		out[k].pad_ = 0;
		li = lv->worse;
	}
	return (int)k;
}

int md_book_l1(const struct md_books *b, uint16_t locate, struct md_tick *out)
{
	uint16_t s = b->locmap[locate];
	if (s == LOC_NONE)
		return -ENOENT;
	const struct inst *in = &b->insts[s];
	fill_tick(b, in, (uint16_t)(inst_flags(b, in) | MD_TF_SNAPSHOT), out);
	return 0;
}

int md_book_find_symbol(const struct md_books *b, const char symbol[ORION_SYMBOL_LEN])
{
	for (uint32_t i = 0; i < b->st.instruments; i++)
		if (memcmp(b->insts[i].symbol, symbol, ORION_SYMBOL_LEN) == 0)
			return b->insts[i].locate;
	return -ENOENT;
}

void md_book_stats(const struct md_books *b, struct md_book_stats *out)
{
	*out = b->st;
}

void md_book_prefetch(const struct md_books *b, const struct itch5_msg *m)
{
	uint64_t ref;
	switch (m->type) {
	case ITCH5_ADD_ORDER:
	case ITCH5_ADD_ORDER_MPID: {
		ref = m->u.add.order_ref;
		uint16_t s = b->locmap[m->stock_locate];
		if (s != LOC_NONE)
			__builtin_prefetch(&b->lvl_hash[lvl_home(b, lvl_key(s, m->u.add.side == 'S',
									     m->u.add.price))]);
		break;
	}
	case ITCH5_ORDER_EXECUTED:
	case ITCH5_ORDER_EXECUTED_PRICE:
		ref = m->u.exec.order_ref;
		break;
	case ITCH5_ORDER_CANCEL:
		ref = m->u.cancel.order_ref;
		break;
	case ITCH5_ORDER_DELETE:
		ref = m->u.del.order_ref;
		break;
	case ITCH5_ORDER_REPLACE:
		__builtin_prefetch(&b->orders[order_home(b, m->u.replace.new_order_ref)]);
		ref = m->u.replace.orig_order_ref;
		break;
	default:
		return;
	}
	__builtin_prefetch(&b->orders[order_home(b, ref)]);
}
