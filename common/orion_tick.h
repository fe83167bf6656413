/* The normalized tick: one record type for every feed and for the venue's own
 * matching engine. Fixed size (96 bytes), carried by value in rings.
 *
 * Prices are signed fixed-point integers with ORION_PX_SCALE units per currency
 * unit (1e-8), wide enough for ITCH Price(4) and Price(8) and for an exact mid.
 * A price of ORION_PX_NONE means "no price" (empty side, no trade yet).
 */
#ifndef ORION_COMMON_TICK_H
#define ORION_COMMON_TICK_H

#include <assert.h>
#include <stdint.h>

#define ORION_PX_SCALE 100000000LL
#define ORION_PX_NONE INT64_MIN
/* ITCH Price(4) → ORION price. */
#define ORION_PX_FROM_P4(p4) ((int64_t)(p4) * 10000LL)
#define ORION_SYMBOL_LEN 8

/* Quality flags (md_tick.flags). */
enum md_tick_flag {
	MD_TF_STALE = 1u << 0,   /* no message on the feed for the configured time */
	MD_TF_GAP = 1u << 1,     /* sequence gap being recovered, or unrecoverable */
	MD_TF_CROSSED = 1u << 2, /* bid >= ask */
	MD_TF_HALTED = 1u << 3,  /* trading action halted / paused / op halt */
	MD_TF_LATE = 1u << 4,    /* recovered by re-request, older than live data */
	MD_TF_SNAPSHOT = 1u << 5,/* conflated record (latest value), not a raw change */
	MD_TF_TRADE = 1u << 6,   /* this change carries a new last trade */
};

/* Source ids (md_tick.source). Feeds are configured 1..; the venue is fixed. */
#define MD_SOURCE_VENUE 0xFFFF

struct md_tick {
	uint64_t recv_ns;     /* receive time, TSC-derived ns (orion_time.h) */
	uint64_t exch_ts_ns;  /* exchange timestamp (ITCH: ns since midnight) */
	uint64_t feed_seq;    /* sequence of the message that made this change */
	int64_t bid_px;       /* best bid or ORION_PX_NONE */
	int64_t ask_px;       /* best ask or ORION_PX_NONE */
	int64_t mid_px;       /* (bid+ask)/2, or ORION_PX_NONE if a side is empty */
	int64_t last_px;      /* last trade price or ORION_PX_NONE */
	uint32_t bid_sz;      /* shares at best bid */
	uint32_t ask_sz;
	uint32_t last_sz;     /* last trade size */
	uint32_t instrument_id; /* feed's stock locate or venue instrument id */
	char symbol[ORION_SYMBOL_LEN]; /* space-padded like ITCH */
	uint16_t source;      /* configured feed id, or MD_SOURCE_VENUE */
	uint16_t flags;       /* enum md_tick_flag */
	uint32_t seqno;       /* per-instrument change counter, lets consumers see loss */
	uint8_t pad_[8];
};
static_assert(sizeof(struct md_tick) == 96, "md_tick layout is part of the ring ABI");

#endif
