/* Per-instrument tick conflation. See md_conflate.h for the contract. */
#include "dataplane/book/md_conflate.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CACHELINE 64u
#define GOLDEN 0x9E3779B97F4A7C15ull
#define MAX_INSTRUMENTS (1u << 24)

struct entry {
	struct md_tick tick;   /* latest value */
	uint64_t key;
	uint64_t last_emit_ns;
	uint16_t trade_acc;    /* MD_TF_TRADE if any folded tick had it */
	uint8_t dirty;
	uint8_t emitted_once;
	uint8_t pad_[12];
};
static_assert(sizeof(struct entry) == 2 * CACHELINE, "entry is two cache lines");

struct slot {
	uint64_t key;  /* 0 = empty */
	uint32_t idx;
	uint32_t pad_;
};

struct md_conflate {
	struct slot *slots;
	struct entry *entries;
	uint32_t *queue;       /* dirty entry indices, circular */
	uint64_t mask;
	unsigned shift;
	uint32_t cap;          /* max_instruments */
	uint32_t head;         /* queue front */
	uint64_t interval_ns;
	bool owned;
	struct md_conflate_stats st;
};

struct layout {
	uint64_t slots;
	size_t off_slots, off_entries, off_queue, total;
};

static size_t align_up(size_t v) { return (v + CACHELINE - 1) & ~(size_t)(CACHELINE - 1); }

static int plan(const struct md_conflate_config *cfg, struct layout *l)
{
	if (cfg == NULL || cfg->max_instruments == 0 || cfg->max_instruments > MAX_INSTRUMENTS)
		return -EINVAL;
	uint64_t p = 1;
	while (p < 2ull * cfg->max_instruments)
		p <<= 1;
	l->slots = p;
	size_t off = align_up(sizeof(struct md_conflate));
	l->off_slots = off;
	off = align_up(off + p * sizeof(struct slot));
	l->off_entries = off;
	off = align_up(off + (size_t)cfg->max_instruments * sizeof(struct entry));
	l->off_queue = off;
	off = align_up(off + (size_t)cfg->max_instruments * sizeof(uint32_t));
	l->total = off;
	return 0;
}

size_t md_conflate_mem_size(const struct md_conflate_config *cfg)
{
	struct layout l;
	return plan(cfg, &l) == 0 ? l.total : 0;
}

int md_conflate_init(struct md_conflate **out, void *mem, size_t size,
		     const struct md_conflate_config *cfg)
{
	struct layout l;
	if (out == NULL || mem == NULL || ((uintptr_t)mem & (CACHELINE - 1)) != 0 || plan(cfg, &l) != 0 ||
	    size < l.total)
		return -EINVAL;
	memset(mem, 0, l.total);
	char *base = mem;
	struct md_conflate *c = mem;
	c->slots = (struct slot *)(base + l.off_slots);
	c->entries = (struct entry *)(base + l.off_entries);
	c->queue = (uint32_t *)(base + l.off_queue);
	c->mask = l.slots - 1;
	c->shift = 64 - (unsigned)__builtin_ctzll(l.slots);
	c->cap = cfg->max_instruments;
	c->interval_ns = cfg->interval_ns ? cfg->interval_ns : MD_CONFLATE_DEFAULT_INTERVAL_NS;
	*out = c;
	return 0;
}

int md_conflate_create(const struct md_conflate_config *cfg, struct md_conflate **out)
{
	size_t sz = md_conflate_mem_size(cfg);
	if (sz == 0 || out == NULL)
		return -EINVAL;
	void *mem = aligned_alloc(CACHELINE, sz);
	if (mem == NULL)
		return -ENOMEM;
	int rc = md_conflate_init(out, mem, sz, cfg);
	if (rc != 0) {
		free(mem);
		return rc;
	}
	(*out)->owned = true;
	return 0;
}

void md_conflate_destroy(struct md_conflate *c)
{
	if (c != NULL && c->owned)
		free(c);
}

/* Entry of the tick's instrument, created if new; NULL when the table is full. */
static struct entry *lookup(struct md_conflate *c, const struct md_tick *t)
{
	uint64_t key = (1ull << 48) | ((uint64_t)t->source << 32) | t->instrument_id;
	uint64_t i = (key * GOLDEN) >> c->shift;
	for (uint64_t n = 0; n <= c->mask; n++) {
		struct slot *s = &c->slots[i];
		if (s->key == key)
			return &c->entries[s->idx];
		if (s->key == 0) {
			if (c->st.instruments >= c->cap)
				return NULL;
			s->key = key;
			s->idx = c->st.instruments++;
			struct entry *e = &c->entries[s->idx];
			e->key = key;
			return e;
		}
		i = (i + 1) & c->mask;
	}
	return NULL; /* unreachable: load <= 1/2 */
}

static inline void queue_push(struct md_conflate *c, uint32_t idx)
{
	uint32_t tail = c->head + c->st.dirty;
	if (tail >= c->cap)
		tail -= c->cap;
	c->queue[tail] = idx;
	c->st.dirty++;
}

static inline uint32_t queue_pop(struct md_conflate *c)
{
	uint32_t idx = c->queue[c->head];
	if (++c->head == c->cap)
		c->head = 0;
	c->st.dirty--;
	return idx;
}

int md_conflate_update(struct md_conflate *c, const struct md_tick *t)
{
	c->st.updates++;
	struct entry *e = lookup(c, t);
	if (e == NULL) {
		c->st.table_full++;
		return -ENOSPC;
	}
	if (e->dirty) {
		c->st.overwritten++;
	} else {
		e->dirty = 1;
		queue_push(c, (uint32_t)(e - c->entries));
	}
	e->trade_acc |= t->flags & MD_TF_TRADE;
	e->tick = *t;
	return 0;
}

uint32_t md_conflate_poll(struct md_conflate *c, uint64_t now_ns, md_conflate_emit_fn emit,
			  void *arg, uint32_t max)
{
	uint32_t sent = 0;
	uint32_t n = c->st.dirty; /* each dirty entry is looked at once */
	for (uint32_t k = 0; k < n && sent < max; k++) {
		uint32_t idx = c->queue[c->head];
		struct entry *e = &c->entries[idx];
		if (e->emitted_once && now_ns < e->last_emit_ns + c->interval_ns) {
			queue_pop(c);
			queue_push(c, idx); /* not yet due: to the back */
			continue;
		}
		struct md_tick out = e->tick;
		out.flags = (uint16_t)(out.flags | MD_TF_SNAPSHOT | e->trade_acc);
		if (emit(arg, &out) < 0) {
			c->st.dropped++;
			break; /* consumer full: keep this and the rest dirty */
		}
		queue_pop(c);
		e->dirty = 0;
		e->emitted_once = 1;
		e->trade_acc = 0;
		e->last_emit_ns = now_ns;
		c->st.emitted++;
		sent++;
	}
	return sent;
}

void md_conflate_stats(const struct md_conflate *c, struct md_conflate_stats *out)
{
	*out = c->st;
}
