/* Matching engine: per-instrument central limit order books, price-time
 * priority, run to completion on one dataplane lcore.
 *
 * Design
 *  - Every instrument has a price grid [px_min, px_max] in steps of tick_size;
 *    each grid point owns a level (FIFO of orders, aggregate quantity). A
 *    level holds orders of one side only (the book is never crossed). A
 *    two-level bitmap per side finds the next non-empty level in O(1) words,
 *    so best bid/ask are kept exactly after every removal.
 *  - Orders live in one preallocated pool (me_create). The engine order id is
 *    (serial << 32) | pool slot, so cancel/replace find an order in O(1) and a
 *    stale id (slot reused) is detected.
 *  - No allocation, locks, syscalls or stdio after me_create/me_add_instrument.
 *    Time is passed in (now_ns) and only stamped onto events.
 *
 * Threading: an engine belongs to one thread (the order lcore). Every function
 * here must be called from that thread, except me_create/me_add_instrument/
 * me_destroy which run at start-up before the lcore is launched.
 *
 * Order semantics
 *  - LIMIT DAY/GTC: matches what it crosses, the rest rests. DAY orders are
 *    expired (ME_CXL_EXPIRED) when the instrument is set to ME_ST_CLOSED.
 *  - IOC: matches, the rest is canceled (ME_CXL_IOC). FOK: fills completely or
 *    nothing happens to the book (accepted, then canceled with ME_CXL_FOK).
 *  - MARKET: never rests (any TIF behaves as IOC); rejected NO_LIQUIDITY when
 *    the other side is empty; with a price band it matches only up to the
 *    band edge (ref ± band_ticks).
 *  - ME_OF_POST_ONLY: limit DAY/GTC only; rejected if it would cross, on
 *    entry and on a replace that would cross.
 *  - Replace: same price and open quantity not growing → priority kept (in
 *    place); otherwise the order leaves its level, may match at the new price,
 *    and rests at the back. The engine order id never changes.
 *  - Self-trade prevention compares account ids, at each match.
 *  - Order ids: (32-bit serial << 32) | slot, never 0.
 *
 * Event order for one new order: ACCEPTED, then TRADE*, then possibly
 * CANCELED (IOC/market remainder, FOK, STP) for the incoming order; resting
 * orders canceled by STP appear in between. Then at most one md_tick per
 * instrument touched (when L1 or the last trade changed).
 */
#ifndef ORION_ME_BOOK_H
#define ORION_ME_BOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/me/me_types.h"

struct me_engine;

struct me_config {
	uint32_t max_orders;       /* pool size: resting + in-flight orders (1..2^31) */
	uint32_t max_instruments;  /* 1..65535 */
	uint8_t stp_default;       /* enum me_stp used for ME_STP_DEFAULT (NONE if 0) */
	struct me_sink sink;       /* on_event required */
};

struct me_instrument_cfg {
	char symbol[ORION_SYMBOL_LEN]; /* space padded, copied into ticks */
	int64_t px_min, px_max;    /* price grid, multiples of tick_size, px_min > 0 */
	int64_t tick_size;         /* > 0 */
	uint32_t lot_size;         /* > 0 */
	int64_t ref_px;            /* band reference, ORION_PX_NONE = none yet */
	uint32_t band_ticks;       /* limit price must be within ref ± band_ticks ticks; 0 = off */
	uint8_t state;             /* enum me_instr_state at start */
};
/* Grid size cap per instrument (levels); memory is 16 bytes per level. */
#define ME_MAX_LEVELS (1u << 22)

struct me_top {
	int64_t bid_px, ask_px;    /* ORION_PX_NONE when the side is empty */
	uint64_t bid_qty, ask_qty;
	int64_t last_px;           /* ORION_PX_NONE before the first trade */
	uint32_t last_qty;
	uint8_t state;
};

struct me_stats {
	uint64_t accepted, trades, replaced, events, ticks;
	uint64_t rejects[ME_REJ__COUNT];  /* by me_reject (engine codes only) */
	uint64_t cancels[ME_CXL__COUNT];  /* by me_cxl_reason */
	uint64_t orders_live;             /* pool slots in use */
};

/* Allocate an engine. Start-up only. Returns NULL with errno EINVAL/ENOMEM. */
struct me_engine *me_create(const struct me_config *cfg);
void me_destroy(struct me_engine *e);

/* Add an instrument (allocates its grid). Start-up only. Ids are dense from 0
 * in order of addition. Returns 0 and *id_out, or -EINVAL (bad config, grid
 * larger than ME_MAX_LEVELS), -ENOSPC (max_instruments), -ENOMEM. */
int me_add_instrument(struct me_engine *e, const struct me_instrument_cfg *cfg, uint32_t *id_out);

/* Replace the sink (the risk layer interposes itself this way). */
void me_set_sink(struct me_engine *e, const struct me_sink *sink);
struct me_sink me_get_sink(const struct me_engine *e);

/* Order entry. Each returns 0 when the request was carried out, or the
 * enum me_reject code (> 0) when it was refused; a refusal is also delivered
 * as an ME_EV_REJECTED (new) or ME_EV_CANCEL_REJECTED (cancel/replace) event.
 * -EINVAL only for NULL arguments. A new order that is accepted but cannot
 * trade (IOC remainder, FOK, STP) returns 0 and gets ME_EV_CANCELED. */
int me_new_order(struct me_engine *e, const struct me_new_order *req, uint64_t now_ns);
int me_cancel(struct me_engine *e, const struct me_cancel_req *req, uint64_t now_ns);
int me_replace(struct me_engine *e, const struct me_replace_req *req, uint64_t now_ns);

/* Cancel every resting order matching the filter; *n_canceled (may be NULL)
 * gets the count. Walks the books touched (cost ~ their resting orders).
 * Returns 0 or -EINVAL. */
int me_mass_cancel(struct me_engine *e, const struct me_mass_cancel *mc, uint64_t now_ns,
	uint32_t *n_canceled);

/* Instrument administration (command ring → order lcore). Changing the state
 * to ME_ST_CLOSED expires (cancels) the instrument's DAY orders; GTC orders
 * stay. A tick is emitted with MD_TF_HALTED while not open. 0 or -EINVAL. */
int me_set_state(struct me_engine *e, uint32_t instrument_id, uint8_t state, uint64_t now_ns);
int me_set_band(struct me_engine *e, uint32_t instrument_id, int64_t ref_px, uint32_t band_ticks);

/* Emit a rejection that was decided before the book (risk layer) through the
 * sink, with the engine's event sequence. Counted by the caller, not here. */
void me_emit_reject(struct me_engine *e, const struct me_new_order *req, unsigned reason,
	uint64_t now_ns);
void me_emit_cancel_reject(struct me_engine *e, uint64_t order_id, uint32_t session_id,
	const uint8_t *cl_ord_id, bool is_replace, unsigned reason, uint64_t now_ns);

/* Read-only queries (same thread). 0 or -ENOENT / -EINVAL. */
int me_get_order(const struct me_engine *e, uint64_t order_id, struct me_order_info *out);
int me_top(const struct me_engine *e, uint32_t instrument_id, struct me_top *out);
const struct me_stats *me_get_stats(const struct me_engine *e);
uint32_t me_capacity(const struct me_engine *e);
uint32_t me_instrument_count(const struct me_engine *e);

/* Full consistency walk of one instrument (level sums, FIFO links, bitmaps,
 * best prices, uncrossed). O(grid + orders): tests and debug only.
 * Returns 0 or -EFAULT (first broken invariant). */
int me_check_book(const struct me_engine *e, uint32_t instrument_id);

#endif
