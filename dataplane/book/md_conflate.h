/* Per-instrument conflation of normalized ticks for UI-type consumers.
 *
 * md_conflate_update() keeps the latest tick of each (source, instrument_id)
 * and marks it dirty; md_conflate_poll() emits, flagged MD_TF_SNAPSHOT, the
 * latest tick of each dirty instrument whose interval has elapsed since its
 * previous emission (an instrument never emitted before goes out at the next
 * poll). Updates that replace a not-yet-emitted tick are counted as
 * overwritten; the emitted tick keeps its per-instrument seqno so consumers
 * see how many changes were folded, and MD_TF_TRADE is kept if any folded
 * tick carried a trade.
 *
 * When the consumer's ring is full (the emit callback fails) the latest value
 * stays dirty for the next poll and the attempt is counted as dropped; the
 * poll never blocks or spins. Time is passed in (ns, any monotonic clock).
 *
 * Pure C, no allocation after md_conflate_create()/md_conflate_init(), no
 * I/O, no locks. A struct md_conflate belongs to one thread (the stage that
 * both updates and polls it).
 */
#ifndef ORION_DATAPLANE_MD_CONFLATE_H
#define ORION_DATAPLANE_MD_CONFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/orion_tick.h"

#define MD_CONFLATE_DEFAULT_INTERVAL_NS 100000000ull /* 100 ms = 10 Hz */

struct md_conflate_config {
	uint32_t max_instruments; /* distinct (source, instrument_id) pairs, 1..2^24 */
	uint64_t interval_ns;     /* per instrument; 0 = MD_CONFLATE_DEFAULT_INTERVAL_NS */
};

struct md_conflate_stats {
	uint64_t updates;     /* ticks given to md_conflate_update() */
	uint64_t overwritten; /* updates that replaced a tick not yet emitted */
	uint64_t emitted;     /* ticks handed to the emit callback successfully */
	uint64_t dropped;     /* emit attempts refused (ring full); value kept */
	uint64_t table_full;  /* updates for a new instrument beyond max_instruments */
	uint32_t instruments; /* distinct instruments seen */
	uint32_t dirty;       /* instruments waiting for emission */
};

/* Hand one tick to the consumer (e.g. rte_ring_sp_enqueue of a copy).
 * Return 0 when taken, any negative value (e.g. -ENOBUFS) when the consumer
 * cannot take it now. Must not block. */
typedef int (*md_conflate_emit_fn)(void *arg, const struct md_tick *tick);

struct md_conflate;

/* Bytes md_conflate_init() needs for cfg (64-byte aligned), 0 for a bad cfg. */
size_t md_conflate_mem_size(const struct md_conflate_config *cfg);
/* Build in caller memory (64-byte aligned, md_conflate_mem_size() bytes;
 * caller keeps ownership). Returns 0 or -EINVAL. Start-up only. */
int md_conflate_init(struct md_conflate **out, void *mem, size_t size,
		     const struct md_conflate_config *cfg);
/* Same with one aligned_alloc(); returns 0, -EINVAL or -ENOMEM. */
int md_conflate_create(const struct md_conflate_config *cfg, struct md_conflate **out);
/* Frees a conflator made by md_conflate_create() (no-op for NULL / init()). */
void md_conflate_destroy(struct md_conflate *c);

/* Store t as the latest value of its instrument and mark it dirty.
 * Returns 0, or -ENOSPC when t names a new instrument and the table is full
 * (counted in table_full). Hot path. */
int md_conflate_update(struct md_conflate *c, const struct md_tick *t);

/* Emit up to max ticks: dirty instruments whose interval has elapsed at
 * now_ns, in the order they became dirty (ones not yet due rotate to the
 * back). Returns the number emitted. Stops at the first
 * refusal by emit (counted in dropped; that value and the rest stay dirty).
 * Bounded by the number of dirty instruments. Hot path. */
uint32_t md_conflate_poll(struct md_conflate *c, uint64_t now_ns, md_conflate_emit_fn emit,
			  void *arg, uint32_t max);

void md_conflate_stats(const struct md_conflate *c, struct md_conflate_stats *out);

#endif
