/* MoldUDP64 line arbiter: one instance per feed.
 *
 * Takes the MoldUDP64 downstream packets of one feed from its two multicast
 * lines (A, B) and from the unicast re-request responses (R), and hands every
 * message to the consumer exactly once, in sequence order:
 *
 *   - the first copy of each sequence number wins; later copies are counted as
 *     duplicates (per line) and dropped; a packet that partly overlaps what was
 *     already delivered gives only its new messages;
 *   - a packet beyond the next expected sequence opens a gap: it is copied
 *     into a preallocated hold window and nothing beyond the gap is delivered
 *     until the gap is filled (from A, B or R) or declared unrecoverable;
 *   - after gap_wait_ns without the other line filling the gap, a MoldUDP64
 *     re-request is emitted, retried every rerequest_timeout_ns up to
 *     max_retries times; then the gap is declared unrecoverable, the arbiter
 *     skips to the earliest held message and goes on. A full hold window does
 *     the same at once;
 *   - heartbeats and end-of-session packets announce the next sequence and so
 *     reveal gaps at the tail;
 *   - md_arb_poll() drives the timers and raises STALE when neither A nor B
 *     has brought a packet of the session for stale_ns.
 *
 * Pure C: no DPDK, no I/O, no locks, no allocation after md_arb_create() /
 * md_arb_init(). Time is passed in by the caller as nanoseconds from any
 * monotonic clock (TSC-derived on the dataplane, a fake clock in tests).
 *
 * Threads: a `struct md_arb` is owned by ONE thread (the dataplane lcore that
 * receives the feed); md_arb_rx(), md_arb_poll() and every reader must be
 * called from that thread. The callbacks run on that thread, synchronously,
 * inside md_arb_rx() / md_arb_poll(); they must not call back into the same
 * arbiter. To publish counters elsewhere, copy struct md_arb_stats on the
 * owner thread (md_arb_stats()) and pass the copy on (e.g. through a ring).
 *
 * Every rejection is counted by reason (struct md_arb_stats), never returned
 * as an error: hostile packets cost a counter, not a crash.
 */
#ifndef ORION_DATAPLANE_MD_ARB_H
#define ORION_DATAPLANE_MD_ARB_H

#include <stddef.h>
#include <stdint.h>

#include "feeds/moldudp64.h"

/* Where a packet came from. Same numbering as dp_line_entry.line. */
enum md_arb_line {
	MD_ARB_LINE_A = 0,
	MD_ARB_LINE_B = 1,
	MD_ARB_LINE_R = 2, /* unicast re-request responses */
	MD_ARB_LINE__COUNT
};
/* "A", "B", "R", or "?" for an out-of-range value. */
const char *md_arb_line_name(enum md_arb_line line);

/* Bits of the deliver callback's flags. */
#define MD_ARB_F_LATE 0x1u /* the message came from a re-request response (line R) */
#define MD_ARB_F_HELD 0x2u /* it waited in the hold window behind a gap */

/* Events. seq ranges are inclusive: [seq_from, seq_to]. Every GAP_OPEN is
 * closed by exactly one GAP_FILLED or GAP_UNRECOVERABLE; between the two the
 * feed is behind and nothing beyond the gap has been delivered. */
enum md_arb_event {
	/* The feed is behind: seq_from is the first missing message, seq_to the
	 * last one of the first hole as known now (the gap may grow later). */
	MD_ARB_EV_GAP_OPEN = 0,
	/* Caught up again: every message from seq_from (the first missing one at
	 * GAP_OPEN) to seq_to (the last one delivered) has been delivered. */
	MD_ARB_EV_GAP_FILLED,
	/* Messages seq_from..seq_to are lost (retries exhausted, hold window
	 * overflow, or a new session adopted while behind) and will not be
	 * delivered: mark the feed's books as suspect. If messages are still
	 * missing after the skip, a new GAP_OPEN follows at once. */
	MD_ARB_EV_GAP_UNRECOVERABLE,
	/* No packet of the session on A nor B for stale_ns. seq_from = seq_to =
	 * next expected sequence. */
	MD_ARB_EV_STALE,
	/* A packet arrived after STALE. seq_from = seq_to = next expected. */
	MD_ARB_EV_STALE_CLEARED,
	/* First end-of-session packet of the session; seq_from = seq_to = the
	 * sequence it announces (one past the session's last message). */
	MD_ARB_EV_SESSION_END,
	/* A session was learned (first packet) or adopted (a new session on A/B
	 * after SESSION_END, with adopt_new_session set). seq_from = seq_to = the
	 * first sequence that will be delivered in it. Delivered sequences
	 * restart from there. */
	MD_ARB_EV_SESSION_NEW,
	MD_ARB_EV__COUNT
};
const char *md_arb_event_name(enum md_arb_event ev);

/* Callbacks; ctx is md_arb_config.ctx. Called on the owner thread from inside
 * md_arb_rx()/md_arb_poll(); must not re-enter the arbiter.
 *
 * deliver: one message, in sequence order, exactly once per seq within a
 *   session. msg points into the caller's packet or into the hold window and
 *   is valid only during the call. Required.
 * rerequest: send pkt (a MoldUDP64 re-request, MOLD_REREQ_LEN bytes: session,
 *   first missing seq, count) to the re-request server; the bytes are valid
 *   only during the call. Return 0, or -errno when it could not be queued
 *   (counted in rerequest_send_failures; the attempt still counts and the
 *   next one follows after rerequest_timeout_ns). Optional: when NULL, a gap
 *   the lines do not fill within gap_wait_ns is unrecoverable.
 * event: see enum md_arb_event. Optional. */
typedef void (*md_arb_deliver_fn)(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len,
				  unsigned flags);
typedef int (*md_arb_rerequest_fn)(void *ctx, const uint8_t *pkt, size_t len);
typedef void (*md_arb_event_fn)(void *ctx, enum md_arb_event ev, uint64_t seq_from, uint64_t seq_to);

struct md_arb_config {
	/* Hold window: out-of-order packets copied while a gap is open.
	 * Memory is max_held_pkts * (max_pkt_len - MOLD_HDR_LEN) bytes plus a
	 * few words per packet. */
	uint32_t max_held_pkts;   /* 1..1048576 */
	uint32_t max_held_bytes;  /* message block bytes (length fields included) held at once, >= 1 */
	uint32_t max_pkt_len;     /* largest packet that can be held, MOLD_HDR_LEN+3..65535;
	                           * a bigger out-of-order packet counts as an overflow */
	uint64_t gap_wait_ns;          /* wait for the other line before the first re-request */
	uint64_t rerequest_timeout_ns; /* wait for a response before retrying, > 0 */
	uint32_t max_retries;          /* re-requests after the first one for the same hole */
	uint16_t max_rereq_count;      /* messages per re-request, 1..65534 */
	uint64_t stale_ns;             /* no packet on A nor B for this long -> STALE; 0 = off */
	/* 0: sequences start at the first packet seen; else the first sequence
	 * expected (1 to recover a session from its start through re-requests). */
	uint64_t initial_seq;
	/* 0: no limit; else a packet or heartbeat announcing more than this many
	 * messages beyond the next expected one is dropped (counted seq_too_far).
	 * Guards against a forged far-future sequence; a real jump that large
	 * would then never be accepted, so leave 0 unless the source is trusted
	 * to stay within it. */
	uint64_t max_seq_jump;
	/* Adopt a new session seen on A/B once the current one has ended
	 * (end-of-session packet); sequences restart at 1 in it. When 0, packets
	 * of any other session are counted (wrong_session) and dropped. */
	int adopt_new_session;
	md_arb_deliver_fn deliver;
	md_arb_rerequest_fn rerequest;
	md_arb_event_fn event;
	void *ctx;
};

/* Fill cfg with defaults: 1024 packets / 1 MiB held, max_pkt_len
 * MOLD_MAX_PAYLOAD, gap_wait 1 ms, re-request timeout 5 ms, 3 retries, 1000
 * messages per re-request, stale 2 s, initial_seq 0, no jump limit, adopt new
 * sessions; callbacks NULL. */
void md_arb_config_default(struct md_arb_config *cfg);

/* Per-line counters. */
struct md_arb_line_stats {
	uint64_t packets;          /* packets of the session accepted (data, heartbeat, EOS) */
	uint64_t messages;         /* messages in those packets */
	uint64_t heartbeats;       /* heartbeat packets */
	uint64_t end_of_session;   /* end-of-session packets */
	uint64_t delivered;        /* messages delivered from this line */
	uint64_t dup_packets;      /* packets bringing nothing new */
	uint64_t dup_messages;     /* messages dropped as already delivered or held */
	uint64_t partial_overlaps; /* packets partly new, partly already delivered */
	uint64_t discarded;        /* held messages dropped when a new session was adopted */
	uint64_t held_packets;     /* packets copied into the hold window */
	uint64_t line_gap_messages;/* messages this line skipped in its own sequence (A/B) */
	uint64_t malformed;        /* mold_decode() rejections */
	uint64_t wrong_session;    /* packets of another session, dropped */
	uint64_t seq_invalid;      /* sequence + count past 2^64 - 2^16, dropped */
	uint64_t seq_too_far;      /* beyond max_seq_jump, dropped */
	uint64_t stale_events;     /* times this line went stale_ns without a packet (A/B) */
};

struct md_arb_stats {
	struct md_arb_line_stats line[MD_ARB_LINE__COUNT];
	uint64_t malformed[MOLD_ERR__COUNT]; /* by mold_err; [MOLD_OK] stays 0 */
	uint64_t delivered;            /* messages delivered */
	uint64_t gaps_opened;
	uint64_t gaps_filled;
	uint64_t gaps_unrecoverable;
	uint64_t messages_lost;        /* messages skipped by GAP_UNRECOVERABLE */
	uint64_t messages_recovered;   /* messages delivered from line R */
	uint64_t rerequests_sent;      /* re-request packets emitted, retries included */
	uint64_t rerequest_retries;    /* of which retries */
	uint64_t rerequest_send_failures; /* rerequest callback returned < 0 */
	uint64_t window_overflows;     /* out-of-order packet did not fit the hold window */
	uint64_t held_now;             /* packets in the hold window now */
	uint64_t held_bytes_now;       /* bytes in the hold window now */
	uint64_t held_high_water;      /* most packets held at once */
	uint64_t held_bytes_high_water;
	uint64_t stale_events;         /* STALE events raised */
	uint64_t session_ends;         /* SESSION_END events */
	uint64_t sessions_adopted;     /* new sessions adopted after an end */
	uint64_t bad_line;             /* md_arb_rx() with a line out of range */
};

struct md_arb;

/* Bytes md_arb_init() needs for cfg, or 0 when cfg is invalid. */
size_t md_arb_footprint(const struct md_arb_config *cfg);
/* Build an arbiter in caller memory (e.g. rte_zmalloc_socket on the lcore's
 * socket), 64-byte aligned, at least md_arb_footprint(cfg) bytes; the memory
 * must outlive the arbiter. Returns 0 and *out, -EINVAL for an invalid cfg,
 * a misaligned or too small area. Start-up, any thread; then owned by one. */
int md_arb_init(void *mem, size_t mem_len, const struct md_arb_config *cfg, struct md_arb **out);
/* Same, allocating the memory (start-up only). Returns 0, -EINVAL, -ENOMEM. */
int md_arb_create(const struct md_arb_config *cfg, struct md_arb **out);
/* Free an arbiter from md_arb_create(); NULL is a no-op. */
void md_arb_destroy(struct md_arb *arb);

/* One downstream packet (UDP payload) from line at now_ns. The payload is
 * only read during the call (held packets are copied). Returns the number of
 * messages delivered by this call (>= 0), or -EINVAL when arb or payload is
 * NULL (with len > 0) or line is out of range (counted in bad_line). */
int md_arb_rx(struct md_arb *arb, enum md_arb_line line, const uint8_t *payload, size_t len,
	      uint64_t now_ns);

/* Timers: re-request wait / retries / unrecoverable, stale detection. Call
 * every loop iteration; one comparison when nothing is due. now_ns must not
 * go backwards. Returns the number of actions taken (re-requests, events). */
int md_arb_poll(struct md_arb *arb, uint64_t now_ns);

/* Readers (owner thread). */
const struct md_arb_stats *md_arb_stats(const struct md_arb *arb);
/* Next sequence to deliver; 0 before any session is known. */
uint64_t md_arb_next_seq(const struct md_arb *arb);
/* 1 while a gap is open (between GAP_OPEN and its close), else 0. */
int md_arb_in_gap(const struct md_arb *arb);
/* 1 while STALE is raised, else 0. */
int md_arb_is_stale(const struct md_arb *arb);
/* 1 while that line (A or B) has had no packet of the session for stale_ns. */
int md_arb_line_is_stale(const struct md_arb *arb, enum md_arb_line line);
/* Copies the current session id (not NUL-terminated) into session and
 * returns 1, or returns 0 when none is known yet. */
int md_arb_session(const struct md_arb *arb, char session[MOLD_SESSION_LEN]);

/* Counters as (name, label, value) for a Prometheus exposition. name is a
 * metric family ("md_arb_packets_total"), label is NULL or a ready label
 * set without braces ("line=\"A\"", "reason=\"short_header\""); gauge is 1
 * for gauges, 0 for counters; help is one line. Works on a copy of the stats,
 * so any thread may call it on its own copy. */
struct md_arb_metric {
	const char *name;
	const char *help;
	const char *label;
	int gauge;
	uint64_t value;
};
typedef void (*md_arb_metric_fn)(void *ctx, const struct md_arb_metric *m);
/* Calls fn once per counter, families in a fixed order, all samples of one
 * family together. Returns the number of calls. */
unsigned md_arb_stats_foreach(const struct md_arb_stats *st, md_arb_metric_fn fn, void *ctx);

#endif
