/* The market-data stage of one feed: MoldUDP64 line arbitration → ITCH 5.0
 * decode → books → normalized ticks (raw) and conflated ticks, plus feed events
 * (gap, stale). Pure C over byte spans: the DPDK glue in oriond.c hands it UDP
 * payloads and gives it an output vtable, so the same stage code runs in the
 * run-to-completion and pipelined layouts, and in tests without an EAL.
 *
 * Threads: a dp_md_feed belongs to exactly one lcore (the one that calls
 * dp_md_rx/dp_md_poll); stats may be read racily by the main lcore.
 */
#ifndef ORION_DATAPLANE_DP_MD_H
#define ORION_DATAPLANE_DP_MD_H

#include <stdint.h>

#include "common/orion_tick.h"
#include "dataplane/dp_config.h"
#include "feeds/itch5.h"

enum dp_md_event_type {
	DP_MD_EV_GAP_OPEN = 1,
	DP_MD_EV_GAP_FILLED,
	DP_MD_EV_GAP_UNRECOVERABLE,
	DP_MD_EV_STALE,
	DP_MD_EV_STALE_CLEARED,
	DP_MD_EV_SESSION_END,
	DP_MD_EV_BROKEN_TRADE,
};
const char *dp_md_event_name(unsigned type);

/* Fixed-size event record (rings). */
struct dp_md_event {
	uint64_t time_ns;
	uint64_t seq_from, seq_to;
	uint16_t feed;
	uint16_t type;
	uint32_t pad_;
};

/* Where the stage's results go. Every callback is non-blocking: it returns 0,
 * or -ENOBUFS when its ring is full (the stage counts the drop and goes on). */
struct dp_md_out {
	void *ctx;
	int (*tick)(void *ctx, const struct md_tick *t);           /* every change */
	int (*conflated)(void *ctx, const struct md_tick *t);      /* at the conflation rate */
	int (*event)(void *ctx, const struct dp_md_event *ev);
	int (*rerequest)(void *ctx, uint16_t feed, const uint8_t *pkt, uint16_t len);
};

struct dp_md_stats {
	uint64_t packets[3];      /* per line: A, B, re-request responses */
	uint64_t messages;        /* messages delivered in sequence */
	uint64_t decode_err[ITCH5_ERR__COUNT]; /* by itch5_err */
	uint64_t flag_ticks_pending; /* flag-change ticks owed (rings were full) */
	uint64_t ticks, conflated;
	uint64_t tick_drops, conflated_drops, event_drops, rereq_tx_fail;
};

struct dp_md_feed;

/* Create the stage for cfg (allocates everything now). Start-up, main lcore.
 * Returns NULL with errno set. */
/* idx is the feed's index in dp_cfg.feeds, passed back to out->rerequest. */
struct dp_md_feed *dp_md_create(const struct dp_feed_cfg *cfg, unsigned idx, uint64_t conflate_ns,
				const struct dp_md_out *out);
void dp_md_destroy(struct dp_md_feed *f);

/* One UDP payload of line (0 = A, 1 = B, 2 = re-request response). Hot path. */
void dp_md_rx(struct dp_md_feed *f, unsigned line, const uint8_t *payload, uint16_t len, uint64_t now_ns);
/* Timers: re-request retries, stale, conflation. Call every loop turn. Hot path. */
void dp_md_poll(struct dp_md_feed *f, uint64_t now_ns);

const struct dp_md_stats *dp_md_stats(const struct dp_md_feed *f);
/* Visit every counter of the feed's modules as (metric family, labels or
 * NULL, value), e.g. ("md_arb_dup_messages_total", "line=\"B\"", 12).
 * Main lcore; values may be racy (monotonic 64-bit counters). */
typedef void (*dp_md_counter_fn)(void *arg, const char *name, const char *label, uint64_t v);
void dp_md_foreach_counter(const struct dp_md_feed *f, dp_md_counter_fn fn, void *arg);

#endif
