/* MoldUDP64 line arbiter: see md_arb.h for the contract.
 *
 * State in one sentence: every message below next_seq has been delivered (or
 * declared lost); known_end is one past the highest sequence known to exist
 * (from data, heartbeats, end of session); the feed is behind, i.e. a gap is
 * open, exactly when next_seq < known_end, and then the hold window holds the
 * out-of-order packets seen beyond next_seq, sorted by first sequence.
 *
 * Hold window: max_held_pkts fixed-size slots (one packet's message blocks
 * each) in one slab, a free-slot stack, and a sorted array of slot indexes
 * used as a deque (drained from the front, appended at the back in the common
 * case, inserted in the middle only for reordering inside the window).
 *
 * Re-request timing: the current hole is [next_seq, first held seq) or
 * [next_seq, known_end). Its first re-request is due gap_wait_ns after it
 * became known (the earliest arrival among the held packets, or the heartbeat
 * that revealed it); each one is followed by a retry after
 * rerequest_timeout_ns, up to max_retries; then the hole is skipped.
 * Progress (next_seq moves while still behind) restarts the count for the new
 * hole, keeping the pending deadline when the new hole is inside the range
 * already requested (the response may still be arriving).
 *
 * md_arb_poll() compares now with one precomputed deadline (next_timer_ns),
 * the earliest of the re-request deadline and the stale deadlines. Packets
 * only push stale deadlines later, so they leave next_timer_ns alone unless
 * they arm something earlier; a deadline reached too early just recomputes.
 */
#include "dataplane/arb/md_arb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_LINE 64
#define NEVER UINT64_MAX
/* Highest first sequence accepted, so that seq + count never wraps. */
#define SEQ_MAX (UINT64_MAX - 0x10000u)
#define MAX_HELD_PKTS (1u << 20)

struct held {
	uint64_t seq;        /* first message's sequence */
	uint64_t end;        /* seq + count */
	uint64_t arrival_ns;
	uint32_t blocks_len; /* bytes of message blocks in the slot */
	uint16_t count;
	uint8_t line;
};

struct md_arb {
	/* Read on every packet / poll. */
	uint64_t next_seq;
	uint64_t known_end;
	uint64_t next_timer_ns;
	uint64_t last_rx_ns;                 /* last packet of the session on A or B */
	uint64_t line_last_rx_ns[2];         /* per line A, B */
	uint64_t line_next[2];               /* per line: one past its last sequence, 0 = none */
	uint8_t have_session;
	uint8_t in_gap;
	uint8_t stale;
	uint8_t eos_seen;
	uint8_t clock_started;
	uint8_t line_stale[2];
	char session[MOLD_SESSION_LEN];

	/* Gap and re-request state. */
	uint64_t gap_start;      /* first missing seq at GAP_OPEN */
	uint64_t rr_hole_seq;    /* next_seq the re-request state refers to */
	uint64_t rr_req_end;     /* one past the last sequence requested */
	uint64_t rr_deadline_ns; /* next re-request or give-up */
	uint64_t hb_reveal_ns;   /* when a heartbeat/EOS last raised known_end, NEVER = none */
	uint32_t rr_sends;       /* re-requests sent for the current hole */

	/* Hold window. */
	uint32_t ord_head;   /* ord[ord_head .. ord_head + ord_cnt) sorted by seq */
	uint32_t ord_cnt;
	uint32_t nfree;
	uint32_t slot_size;
	uint64_t held_max_end; /* max end over held packets, 0 when none */
	struct held *held;     /* [max_held_pkts], indexed by slot */
	uint32_t *ord;         /* [max_held_pkts] */
	uint32_t *free_slots;  /* [max_held_pkts] stack */
	uint8_t *slab;         /* max_held_pkts * slot_size */
	void *alloc;           /* set by md_arb_create() */

	struct md_arb_config cfg;
	struct md_arb_stats st;
};

/* ---- names ---- */

const char *md_arb_line_name(enum md_arb_line line)
{
	switch (line) {
	case MD_ARB_LINE_A: return "A";
	case MD_ARB_LINE_B: return "B";
	case MD_ARB_LINE_R: return "R";
	case MD_ARB_LINE__COUNT: break;
	}
	return "?";
}

const char *md_arb_event_name(enum md_arb_event ev)
{
	switch (ev) {
	case MD_ARB_EV_GAP_OPEN: return "gap_open";
	case MD_ARB_EV_GAP_FILLED: return "gap_filled";
	case MD_ARB_EV_GAP_UNRECOVERABLE: return "gap_unrecoverable";
	case MD_ARB_EV_STALE: return "stale";
	case MD_ARB_EV_STALE_CLEARED: return "stale_cleared";
	case MD_ARB_EV_SESSION_END: return "session_end";
	case MD_ARB_EV_SESSION_NEW: return "session_new";
	case MD_ARB_EV__COUNT: break;
	}
	return "invalid";
}

/* ---- construction ---- */

void md_arb_config_default(struct md_arb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_held_pkts = 1024;
	cfg->max_held_bytes = 1u << 20;
	cfg->max_pkt_len = MOLD_MAX_PAYLOAD;
	cfg->gap_wait_ns = 1000000;
	cfg->rerequest_timeout_ns = 5000000;
	cfg->max_retries = 3;
	cfg->max_rereq_count = 1000;
	cfg->stale_ns = 2000000000ull;
	cfg->initial_seq = 0;
	cfg->max_seq_jump = 0;
	cfg->adopt_new_session = 1;
}

static size_t align_up(size_t v)
{
	return (v + CACHE_LINE - 1) & ~(size_t)(CACHE_LINE - 1);
}

static int config_valid(const struct md_arb_config *cfg)
{
	return cfg && cfg->deliver && cfg->max_held_pkts >= 1 && cfg->max_held_pkts <= MAX_HELD_PKTS &&
	       cfg->max_held_bytes >= 1 && cfg->max_pkt_len >= MOLD_HDR_LEN + 3 &&
	       cfg->max_pkt_len <= UINT16_MAX && cfg->rerequest_timeout_ns > 0 &&
	       cfg->max_rereq_count >= 1 && cfg->max_rereq_count < MOLD_COUNT_END_OF_SESSION &&
	       cfg->initial_seq <= SEQ_MAX;
}

/* Offsets of the arrays after the struct; returns the total size. */
static size_t layout(const struct md_arb_config *cfg, size_t *o_held, size_t *o_ord, size_t *o_free,
		     size_t *o_slab)
{
	const size_t n = cfg->max_held_pkts;
	size_t off = align_up(sizeof(struct md_arb));
	*o_held = off;
	off = align_up(off + n * sizeof(struct held));
	*o_ord = off;
	off = align_up(off + n * sizeof(uint32_t));
	*o_free = off;
	off = align_up(off + n * sizeof(uint32_t));
	*o_slab = off;
	off = align_up(off + n * (size_t)(cfg->max_pkt_len - MOLD_HDR_LEN));
	return off;
}

size_t md_arb_footprint(const struct md_arb_config *cfg)
{
	size_t a, b, c, d;
	if (!config_valid(cfg))
		return 0;
	return layout(cfg, &a, &b, &c, &d);
}

int md_arb_init(void *mem, size_t mem_len, const struct md_arb_config *cfg, struct md_arb **out)
{
	size_t o_held, o_ord, o_free, o_slab;
	if (!mem || !out || !config_valid(cfg) || ((uintptr_t)mem & (CACHE_LINE - 1)))
		return -EINVAL;
	const size_t need = layout(cfg, &o_held, &o_ord, &o_free, &o_slab);
	if (mem_len < need)
		return -EINVAL;

	struct md_arb *a = mem;
	memset(a, 0, sizeof(*a));
	uint8_t *base = mem;
	a->cfg = *cfg;
	a->held = (struct held *)(void *)(base + o_held);
	a->ord = (uint32_t *)(void *)(base + o_ord);
	a->free_slots = (uint32_t *)(void *)(base + o_free);
	a->slab = base + o_slab;
	a->slot_size = cfg->max_pkt_len - MOLD_HDR_LEN;
	for (uint32_t i = 0; i < cfg->max_held_pkts; i++)
		a->free_slots[i] = cfg->max_held_pkts - 1 - i;
	a->nfree = cfg->max_held_pkts;
	a->next_timer_ns = 0; /* first poll starts the clock */
	a->rr_deadline_ns = NEVER;
	a->hb_reveal_ns = NEVER;
	*out = a;
	return 0;
}

int md_arb_create(const struct md_arb_config *cfg, struct md_arb **out)
{
	if (!out)
		return -EINVAL;
	const size_t need = md_arb_footprint(cfg);
	if (need == 0)
		return -EINVAL;
	void *mem = aligned_alloc(CACHE_LINE, need);
	if (!mem)
		return -ENOMEM;
	int rc = md_arb_init(mem, need, cfg, out);
	if (rc < 0) {
		free(mem);
		return rc;
	}
	(*out)->alloc = mem;
	return 0;
}

void md_arb_destroy(struct md_arb *arb)
{
	if (arb && arb->alloc)
		free(arb->alloc);
}

/* ---- small helpers ---- */

static inline uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static inline void arm(struct md_arb *a, uint64_t t)
{
	if (t < a->next_timer_ns)
		a->next_timer_ns = t;
}

static inline uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void emit(struct md_arb *a, enum md_arb_event ev, uint64_t from, uint64_t to)
{
	if (a->cfg.event)
		a->cfg.event(a->cfg.ctx, ev, from, to);
}

static void start_clock(struct md_arb *a, uint64_t now)
{
	a->clock_started = 1;
	a->last_rx_ns = now;
	a->line_last_rx_ns[0] = now;
	a->line_last_rx_ns[1] = now;
	a->next_timer_ns = 0;
}

static inline struct held *held_first(const struct md_arb *a)
{
	return a->ord_cnt ? &a->held[a->ord[a->ord_head]] : NULL;
}

static inline uint8_t *slot_data(const struct md_arb *a, uint32_t slot)
{
	return a->slab + (size_t)slot * a->slot_size;
}

/* ---- delivery ---- */

/* Deliver the messages of [seq, seq + count) at or after next_seq; the caller
 * guarantees seq <= next_seq < seq + count. Messages before next_seq are
 * duplicates of this line. Returns the number delivered. */
static int deliver_blocks(struct md_arb *a, unsigned line, uint64_t seq, uint16_t count,
			  const uint8_t *blocks, size_t blocks_len, unsigned flags)
{
	struct md_arb_line_stats *ls = &a->st.line[line];
	const struct mold_packet view = {
		.seq = seq, .count = count, .blocks = blocks, .blocks_len = blocks_len,
	};
	struct mold_iter it;
	const uint8_t *msg;
	uint16_t len;
	const uint64_t skip = a->next_seq - seq;
	uint64_t s = seq;
	int n = 0;

	if (line == MD_ARB_LINE_R)
		flags |= MD_ARB_F_LATE;
	if (skip) {
		ls->dup_messages += skip;
		ls->partial_overlaps++;
	}
	mold_iter_init(&it, &view);
	while (mold_iter_next(&it, &msg, &len)) {
		if (s >= a->next_seq) {
			a->cfg.deliver(a->cfg.ctx, s, msg, len, flags);
			a->next_seq = s + 1;
			n++;
		}
		s++;
	}
	/* A packet that mold_decode() accepted always yields count messages;
	 * keep the sequence arithmetic right even if it did not. */
	a->next_seq = seq + count;
	ls->delivered += (uint64_t)n;
	a->st.delivered += (uint64_t)n;
	if (line == MD_ARB_LINE_R)
		a->st.messages_recovered += (uint64_t)n;
	return n;
}

static void held_free_front(struct md_arb *a)
{
	const uint32_t slot = a->ord[a->ord_head];
	a->st.held_bytes_now -= a->held[slot].blocks_len;
	a->st.held_now--;
	a->free_slots[a->nfree++] = slot;
	a->ord_head++;
	if (--a->ord_cnt == 0) {
		a->ord_head = 0;
		a->held_max_end = 0;
	}
}

/* Deliver held packets that are now in order. Bounded by the held count. */
static int drain(struct md_arb *a)
{
	int n = 0;
	struct held *h;
	while ((h = held_first(a)) != NULL && h->seq <= a->next_seq) {
		const uint32_t slot = a->ord[a->ord_head];
		if (h->end > a->next_seq) {
			n += deliver_blocks(a, h->line, h->seq, h->count, slot_data(a, slot), h->blocks_len,
					    MD_ARB_F_HELD);
		} else {
			a->st.line[h->line].dup_packets++;
			a->st.line[h->line].dup_messages += h->count;
		}
		held_free_front(a);
	}
	return n;
}

/* ---- gap state ---- */

/* When the current hole became known: the earliest arrival among the held
 * packets (all lie beyond it) or the heartbeat that revealed it. */
static uint64_t hole_noticed(const struct md_arb *a, uint64_t now)
{
	uint64_t t = now;
	for (uint32_t i = 0; i < a->ord_cnt; i++) {
		const struct held *h = &a->held[a->ord[a->ord_head + i]];
		if (h->arrival_ns < t)
			t = h->arrival_ns;
	}
	if (a->hb_reveal_ns < t)
		t = a->hb_reveal_ns;
	return t;
}

static uint64_t hole_end(const struct md_arb *a)
{
	const struct held *h = held_first(a);
	return h ? h->seq : a->known_end;
}

/* Re-evaluate behind / caught up after next_seq or known_end moved. */
static void gap_update(struct md_arb *a, uint64_t now)
{
	if (a->known_end < a->next_seq)
		a->known_end = a->next_seq;
	if (a->next_seq == a->known_end) {
		a->hb_reveal_ns = NEVER;
		if (a->in_gap) {
			a->in_gap = 0;
			a->st.gaps_filled++;
			a->rr_deadline_ns = NEVER;
			emit(a, MD_ARB_EV_GAP_FILLED, a->gap_start, a->next_seq - 1);
		}
		return;
	}
	if (!a->in_gap) {
		a->in_gap = 1;
		a->gap_start = a->next_seq;
		a->st.gaps_opened++;
		a->rr_hole_seq = a->next_seq;
		a->rr_sends = 0;
		a->rr_req_end = 0;
		a->rr_deadline_ns = add_sat(hole_noticed(a, now), a->cfg.gap_wait_ns);
		arm(a, a->rr_deadline_ns);
		emit(a, MD_ARB_EV_GAP_OPEN, a->next_seq, hole_end(a) - 1);
		return;
	}
	if (a->rr_hole_seq != a->next_seq) {
		a->rr_hole_seq = a->next_seq;
		if (a->next_seq < a->rr_req_end) {
			a->rr_sends = 1; /* the pending request covers this hole */
		} else {
			a->rr_sends = 0;
			a->rr_deadline_ns = add_sat(hole_noticed(a, now), a->cfg.gap_wait_ns);
			arm(a, a->rr_deadline_ns);
		}
	}
}

/* Give up on [next_seq, skip_to), deliver what is held, re-evaluate. */
static int skip_to(struct md_arb *a, uint64_t to, uint64_t now)
{
	const uint64_t from = a->next_seq;
	a->st.gaps_unrecoverable++;
	a->st.messages_lost += to - from;
	a->in_gap = 0;
	a->rr_deadline_ns = NEVER;
	a->next_seq = to;
	emit(a, MD_ARB_EV_GAP_UNRECOVERABLE, from, to - 1);
	const int n = drain(a);
	gap_update(a, now);
	return n;
}

/* ---- hold window ---- */

/* Index (from ord_head) of the first held packet whose seq is > seq. */
static uint32_t ord_upper_bound(const struct md_arb *a, uint64_t seq)
{
	const uint32_t *base = a->ord + a->ord_head;
	uint32_t lo = 0, hi = a->ord_cnt;
	if (hi && a->held[base[hi - 1]].seq <= seq)
		return hi; /* common case: beyond everything held */
	while (lo < hi) {
		const uint32_t mid = lo + (hi - lo) / 2;
		if (a->held[base[mid]].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 when [seq, end) is wholly below next_seq or inside held packets. */
static int held_covers(const struct md_arb *a, uint64_t seq, uint64_t end)
{
	uint64_t cur = seq > a->next_seq ? seq : a->next_seq;
	if (cur >= end)
		return 1;
	if (seq >= a->held_max_end)
		return 0;
	/* Fast path: the other line's copy of a held packet (same boundaries). */
	const uint32_t ub = ord_upper_bound(a, seq);
	if (ub && a->held[a->ord[a->ord_head + ub - 1]].end >= end)
		return 1;
	/* Different packetization: merge the held ranges from the front. */
	for (uint32_t i = 0; i < a->ord_cnt; i++) {
		const struct held *h = &a->held[a->ord[a->ord_head + i]];
		if (h->seq > cur)
			break;
		if (h->end > cur)
			cur = h->end;
		if (cur >= end)
			return 1;
	}
	return 0;
}

enum hold_result { HOLD_OK, HOLD_DUP, HOLD_FULL };

static enum hold_result hold(struct md_arb *a, unsigned line, const struct mold_packet *p, uint16_t n,
			     uint64_t now)
{
	const uint64_t end = p->seq + n;
	if (held_covers(a, p->seq, end))
		return HOLD_DUP;
	if (a->nfree == 0 || p->blocks_len > a->slot_size ||
	    a->st.held_bytes_now + p->blocks_len > a->cfg.max_held_bytes)
		return HOLD_FULL;

	const uint32_t slot = a->free_slots[--a->nfree];
	struct held *h = &a->held[slot];
	h->seq = p->seq;
	h->end = end;
	h->arrival_ns = now;
	h->blocks_len = (uint32_t)p->blocks_len;
	h->count = n;
	h->line = (uint8_t)line;
	memcpy(slot_data(a, slot), p->blocks, p->blocks_len);

	/* Insert after every entry with seq <= p->seq (upper bound). */
	if (a->ord_head + a->ord_cnt == a->cfg.max_held_pkts) {
		memmove(a->ord, a->ord + a->ord_head, a->ord_cnt * sizeof(*a->ord));
		a->ord_head = 0;
	}
	uint32_t *base = a->ord + a->ord_head;
	const uint32_t lo = ord_upper_bound(a, p->seq);
	memmove(base + lo + 1, base + lo, (a->ord_cnt - lo) * sizeof(*base));
	base[lo] = slot;
	a->ord_cnt++;

	if (end > a->held_max_end)
		a->held_max_end = end;
	if (end > a->known_end)
		a->known_end = end;
	a->st.line[line].held_packets++;
	a->st.held_now++;
	a->st.held_bytes_now += p->blocks_len;
	if (a->st.held_now > a->st.held_high_water)
		a->st.held_high_water = a->st.held_now;
	if (a->st.held_bytes_now > a->st.held_bytes_high_water)
		a->st.held_bytes_high_water = a->st.held_bytes_now;
	return HOLD_OK;
}

/* ---- sessions ---- */

static void learn_session(struct md_arb *a, const struct mold_packet *p)
{
	memcpy(a->session, p->session, MOLD_SESSION_LEN);
	a->have_session = 1;
	a->next_seq = a->cfg.initial_seq ? a->cfg.initial_seq : p->seq;
	a->known_end = a->next_seq;
	emit(a, MD_ARB_EV_SESSION_NEW, a->next_seq, a->next_seq);
}

/* A new session on A/B after the current one ended: drop what is left of the
 * old one (as lost) and restart at sequence 1. */
static void adopt_session(struct md_arb *a, const struct mold_packet *p)
{
	if (a->next_seq < a->known_end) {
		const uint64_t from = a->next_seq, to = a->known_end;
		a->st.gaps_unrecoverable++;
		a->st.messages_lost += to - from;
		emit(a, MD_ARB_EV_GAP_UNRECOVERABLE, from, to - 1);
	}
	while (a->ord_cnt) {
		const struct held *h = held_first(a);
		a->st.line[h->line].discarded += h->count;
		held_free_front(a);
	}
	a->in_gap = 0;
	a->rr_deadline_ns = NEVER;
	a->rr_req_end = 0;
	a->rr_sends = 0;
	a->hb_reveal_ns = NEVER;
	a->eos_seen = 0;
	a->line_next[0] = a->line_next[1] = 0;
	a->st.sessions_adopted++;
	memcpy(a->session, p->session, MOLD_SESSION_LEN);
	a->next_seq = 1;
	a->known_end = 1;
	emit(a, MD_ARB_EV_SESSION_NEW, 1, 1);
}

/* ---- receive ---- */

static int rx_data(struct md_arb *a, unsigned line, const struct mold_packet *p, uint16_t n,
		   uint64_t now)
{
	struct md_arb_line_stats *ls = &a->st.line[line];
	const uint64_t end = p->seq + n;
	int delivered = 0;

	/* Each round either holds the packet, finds it a duplicate, delivers
	 * it, or skips past at least one held packet (or up to the packet):
	 * at most max_held_pkts + 1 rounds. */
	for (uint32_t round = 0; round <= a->cfg.max_held_pkts + 1; round++) {
		if (end <= a->next_seq) {
			ls->dup_packets++;
			ls->dup_messages += n;
			return delivered;
		}
		if (p->seq <= a->next_seq) {
			delivered += deliver_blocks(a, line, p->seq, n, p->blocks, p->blocks_len, 0);
			delivered += drain(a);
			gap_update(a, now);
			return delivered;
		}
		switch (hold(a, line, p, n, now)) {
		case HOLD_OK:
			gap_update(a, now);
			return delivered;
		case HOLD_DUP:
			ls->dup_packets++;
			ls->dup_messages += n;
			return delivered;
		case HOLD_FULL:
			break;
		}
		if (round == 0)
			a->st.window_overflows++;
		/* Announce the gap (GAP_OPEN) before giving part of it up. */
		if (end > a->known_end)
			a->known_end = end;
		gap_update(a, now);
		const struct held *h = held_first(a);
		delivered += skip_to(a, h && h->seq < p->seq ? h->seq : p->seq, now);
	}
	return delivered; /* not reached: the last round always finds p in order */
}

static void mark_alive(struct md_arb *a, unsigned line, uint64_t now)
{
	if (line == MD_ARB_LINE_R)
		return;
	a->last_rx_ns = now;
	a->line_last_rx_ns[line] = now;
	if (a->line_stale[line]) {
		a->line_stale[line] = 0;
		arm(a, add_sat(now, a->cfg.stale_ns));
	}
	if (a->stale) {
		a->stale = 0;
		arm(a, add_sat(now, a->cfg.stale_ns));
		emit(a, MD_ARB_EV_STALE_CLEARED, a->next_seq, a->next_seq);
	}
}

int md_arb_rx(struct md_arb *a, enum md_arb_line line, const uint8_t *payload, size_t len,
	      uint64_t now)
{
	if (!a || (!payload && len))
		return -EINVAL;
	if ((unsigned)line >= MD_ARB_LINE__COUNT) {
		a->st.bad_line++;
		return -EINVAL;
	}
	struct md_arb_line_stats *ls = &a->st.line[line];
	if (!a->clock_started)
		start_clock(a, now);

	struct mold_packet p;
	const enum mold_err err = payload ? mold_decode(payload, len, &p) : MOLD_ERR_SHORT_HEADER;
	if (err != MOLD_OK) {
		a->st.malformed[(unsigned)err < MOLD_ERR__COUNT ? err : MOLD_ERR_SHORT_HEADER]++;
		ls->malformed++;
		return 0;
	}
	if (p.seq > SEQ_MAX) {
		ls->seq_invalid++;
		return 0;
	}
	if (!a->have_session) {
		if (line == MD_ARB_LINE_R) {
			ls->wrong_session++;
			return 0;
		}
		learn_session(a, &p);
	} else if (memcmp(p.session, a->session, MOLD_SESSION_LEN) != 0) {
		if (!(a->cfg.adopt_new_session && a->eos_seen && line != MD_ARB_LINE_R)) {
			ls->wrong_session++;
			return 0;
		}
		adopt_session(a, &p);
	}

	const uint16_t n = mold_msg_count(&p);
	const uint64_t end = p.seq + n; /* heartbeat / EOS: the next sequence */
	if (a->cfg.max_seq_jump && end > a->next_seq && end - a->next_seq > a->cfg.max_seq_jump) {
		ls->seq_too_far++;
		return 0;
	}

	mark_alive(a, line, now);
	ls->packets++;
	ls->messages += n;
	if (line != MD_ARB_LINE_R) {
		uint64_t *ln = &a->line_next[line];
		if (*ln && p.seq > *ln)
			ls->line_gap_messages += p.seq - *ln;
		if (end > *ln)
			*ln = end;
	}

	if (n == 0) {
		if (mold_is_end_of_session(&p)) {
			ls->end_of_session++;
			if (!a->eos_seen) {
				a->eos_seen = 1;
				a->st.session_ends++;
				emit(a, MD_ARB_EV_SESSION_END, p.seq, p.seq);
			}
		} else {
			ls->heartbeats++;
		}
		if (p.seq > a->known_end) {
			a->known_end = p.seq;
			a->hb_reveal_ns = now;
		}
		gap_update(a, now);
		return 0;
	}
	return rx_data(a, line, &p, n, now);
}

/* ---- timers ---- */

static int rerequest_due(struct md_arb *a, uint64_t now)
{
	const uint64_t hend = hole_end(a);
	if (a->cfg.rerequest && a->rr_sends < 1 + (uint64_t)a->cfg.max_retries) {
		const uint64_t want = hend - a->next_seq;
		struct mold_rereq rq;
		uint8_t pkt[MOLD_REREQ_LEN];
		memcpy(rq.session, a->session, MOLD_SESSION_LEN);
		rq.seq = a->next_seq;
		rq.count = (uint16_t)(want < a->cfg.max_rereq_count ? want : a->cfg.max_rereq_count);
		const int len = mold_rereq_encode(pkt, sizeof(pkt), &rq);
		if (len < 0 || a->cfg.rerequest(a->cfg.ctx, pkt, (size_t)len) < 0)
			a->st.rerequest_send_failures++;
		a->rr_sends++;
		a->st.rerequests_sent++;
		if (a->rr_sends > 1)
			a->st.rerequest_retries++;
		a->rr_req_end = a->next_seq + rq.count;
		a->rr_deadline_ns = add_sat(now, a->cfg.rerequest_timeout_ns);
		return 1;
	}
	skip_to(a, hend, now);
	return 1;
}

int md_arb_poll(struct md_arb *a, uint64_t now)
{
	if (now < a->next_timer_ns)
		return 0;
	if (!a->clock_started)
		start_clock(a, now);

	int actions = 0;
	/* Bounded: each round sends a re-request (moving the deadline past now)
	 * or skips a hole (moving next_seq past at least one held packet, or to
	 * known_end); a skip can leave a next hole that is due at once. */
	for (uint32_t round = 0; round <= a->cfg.max_held_pkts + 1; round++) {
		if (!a->in_gap || now < a->rr_deadline_ns)
			break;
		actions += rerequest_due(a, now);
	}

	uint64_t next = a->in_gap ? a->rr_deadline_ns : NEVER;
	if (a->cfg.stale_ns) {
		for (unsigned l = 0; l < 2; l++) {
			if (a->line_stale[l])
				continue;
			if (elapsed(now, a->line_last_rx_ns[l]) >= a->cfg.stale_ns) {
				a->line_stale[l] = 1;
				a->st.line[l].stale_events++;
			} else {
				const uint64_t t = add_sat(a->line_last_rx_ns[l], a->cfg.stale_ns);
				if (t < next)
					next = t;
			}
		}
		if (!a->stale) {
			if (elapsed(now, a->last_rx_ns) >= a->cfg.stale_ns) {
				a->stale = 1;
				a->st.stale_events++;
				emit(a, MD_ARB_EV_STALE, a->next_seq, a->next_seq);
				actions++;
			} else {
				const uint64_t t = add_sat(a->last_rx_ns, a->cfg.stale_ns);
				if (t < next)
					next = t;
			}
		}
	}
	a->next_timer_ns = next;
	return actions;
}

/* ---- readers ---- */

const struct md_arb_stats *md_arb_stats(const struct md_arb *a)
{
	return &a->st;
}

uint64_t md_arb_next_seq(const struct md_arb *a)
{
	return a->have_session ? a->next_seq : 0;
}

int md_arb_in_gap(const struct md_arb *a)
{
	return a->in_gap;
}

int md_arb_is_stale(const struct md_arb *a)
{
	return a->stale;
}

int md_arb_line_is_stale(const struct md_arb *a, enum md_arb_line line)
{
	return (unsigned)line < 2 ? a->line_stale[line] : 0;
}

int md_arb_session(const struct md_arb *a, char session[MOLD_SESSION_LEN])
{
	if (!a->have_session)
		return 0;
	memcpy(session, a->session, MOLD_SESSION_LEN);
	return 1;
}

/* ---- metrics ---- */

struct metric_def {
	const char *name;
	const char *help;
	size_t off;
	int gauge;
};

#define LS(f) offsetof(struct md_arb_line_stats, f)
static const struct metric_def g_line_metrics[] = {
	{ "md_arb_packets_total", "Packets of the session accepted, per line", LS(packets), 0 },
	{ "md_arb_messages_total", "Messages in accepted packets, per line", LS(messages), 0 },
	{ "md_arb_heartbeats_total", "Heartbeat packets, per line", LS(heartbeats), 0 },
	{ "md_arb_end_of_session_total", "End-of-session packets, per line", LS(end_of_session), 0 },
	{ "md_arb_line_delivered_total", "Messages delivered from this line", LS(delivered), 0 },
	{ "md_arb_duplicate_packets_total", "Packets bringing nothing new, per line", LS(dup_packets), 0 },
	{ "md_arb_duplicate_messages_total", "Messages dropped as duplicates, per line", LS(dup_messages), 0 },
	{ "md_arb_partial_overlaps_total", "Packets partly already delivered, per line", LS(partial_overlaps), 0 },
	{ "md_arb_discarded_messages_total", "Held messages dropped on session change, per line", LS(discarded), 0 },
	{ "md_arb_held_packets_total", "Packets copied into the hold window, per line", LS(held_packets), 0 },
	{ "md_arb_line_gap_messages_total", "Messages a line skipped in its own sequence", LS(line_gap_messages), 0 },
	{ "md_arb_line_malformed_total", "Malformed packets, per line", LS(malformed), 0 },
	{ "md_arb_wrong_session_total", "Packets of another session dropped, per line", LS(wrong_session), 0 },
	{ "md_arb_seq_invalid_total", "Packets with a sequence near 2^64 dropped, per line", LS(seq_invalid), 0 },
	{ "md_arb_seq_too_far_total", "Packets beyond max_seq_jump dropped, per line", LS(seq_too_far), 0 },
	{ "md_arb_line_stale_total", "Times a line went stale_ns without a packet", LS(stale_events), 0 },
};
#undef LS

#define ST(f) offsetof(struct md_arb_stats, f)
static const struct metric_def g_metrics[] = {
	{ "md_arb_delivered_total", "Messages delivered", ST(delivered), 0 },
	{ "md_arb_gaps_opened_total", "Gaps opened", ST(gaps_opened), 0 },
	{ "md_arb_gaps_filled_total", "Gaps filled", ST(gaps_filled), 0 },
	{ "md_arb_gaps_unrecoverable_total", "Gaps given up", ST(gaps_unrecoverable), 0 },
	{ "md_arb_messages_lost_total", "Messages skipped by unrecoverable gaps", ST(messages_lost), 0 },
	{ "md_arb_messages_recovered_total", "Messages delivered from re-request responses", ST(messages_recovered), 0 },
	{ "md_arb_rerequests_total", "Re-requests sent, retries included", ST(rerequests_sent), 0 },
	{ "md_arb_rerequest_retries_total", "Re-requests that were retries", ST(rerequest_retries), 0 },
	{ "md_arb_rerequest_send_failures_total", "Re-requests the sender refused", ST(rerequest_send_failures), 0 },
	{ "md_arb_window_overflows_total", "Out-of-order packets that did not fit the hold window", ST(window_overflows), 0 },
	{ "md_arb_held_packets", "Packets in the hold window now", ST(held_now), 1 },
	{ "md_arb_held_bytes", "Bytes in the hold window now", ST(held_bytes_now), 1 },
	{ "md_arb_held_packets_high_water", "Most packets held at once", ST(held_high_water), 1 },
	{ "md_arb_held_bytes_high_water", "Most bytes held at once", ST(held_bytes_high_water), 1 },
	{ "md_arb_stale_total", "STALE events", ST(stale_events), 0 },
	{ "md_arb_session_ends_total", "End-of-session events", ST(session_ends), 0 },
	{ "md_arb_sessions_adopted_total", "New sessions adopted after an end", ST(sessions_adopted), 0 },
	{ "md_arb_bad_line_total", "md_arb_rx calls with an invalid line", ST(bad_line), 0 },
};
#undef ST

static const char *const g_line_labels[MD_ARB_LINE__COUNT] = {
	"line=\"A\"", "line=\"B\"", "line=\"R\"",
};

static inline uint64_t field_at(const void *base, size_t off)
{
	uint64_t v;
	memcpy(&v, (const uint8_t *)base + off, sizeof(v));
	return v;
}

/* dst = "reason=\"" name "\"", truncated to cap. */
static void reason_label(char *dst, size_t cap, const char *name)
{
	static const char pre[] = "reason=\"";
	size_t n = 0;
	for (const char *s = pre; *s && n + 2 < cap; s++)
		dst[n++] = *s;
	for (const char *s = name; *s && n + 2 < cap; s++)
		dst[n++] = *s;
	dst[n++] = '"';
	dst[n] = '\0';
}

unsigned md_arb_stats_foreach(const struct md_arb_stats *st, md_arb_metric_fn fn, void *ctx)
{
	unsigned calls = 0;
	struct md_arb_metric m;
	char label[64];

	for (size_t i = 0; i < sizeof(g_line_metrics) / sizeof(g_line_metrics[0]); i++) {
		const struct metric_def *d = &g_line_metrics[i];
		for (unsigned l = 0; l < MD_ARB_LINE__COUNT; l++) {
			m.name = d->name;
			m.help = d->help;
			m.label = g_line_labels[l];
			m.gauge = d->gauge;
			m.value = field_at(&st->line[l], d->off);
			fn(ctx, &m);
			calls++;
		}
	}
	for (unsigned e = MOLD_OK + 1; e < MOLD_ERR__COUNT; e++) {
		reason_label(label, sizeof(label), mold_err_name((enum mold_err)e));
		m.name = "md_arb_malformed_total";
		m.help = "Malformed packets by reason";
		m.label = label;
		m.gauge = 0;
		m.value = st->malformed[e];
		fn(ctx, &m);
		calls++;
	}
	for (size_t i = 0; i < sizeof(g_metrics) / sizeof(g_metrics[0]); i++) {
		const struct metric_def *d = &g_metrics[i];
		m.name = d->name;
		m.help = d->help;
		m.label = NULL;
		m.gauge = d->gauge;
		m.value = field_at(st, d->off);
		fn(ctx, &m);
		calls++;
	}
	return calls;
}
