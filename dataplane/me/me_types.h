/* Matching engine: the records that cross its boundary (requests in, events
 * out) and the reason enums. Everything here is fixed-size and plain data so
 * that it can travel by value in rings and be journaled as is.
 *
 * Units (the venue's choice, same as common/orion_tick.h):
 *   price    int64_t fixed point, ORION_PX_SCALE (1e-8) units per currency unit.
 *            An instrument has a tick_size in the same units; a valid price is
 *            a multiple of it. ORION_PX_NONE = "no price".
 *   quantity uint32_t in instrument units (shares, contracts); a valid
 *            quantity is a positive multiple of the instrument's lot_size.
 *   notional int64_t = price * qty, i.e. in 1e-8 currency units (saturating).
 * Enum values for side, order type and time in force are the FIX values
 * (tags 54, 40, 59) so the FIX layer passes them through.
 */
#ifndef ORION_ME_TYPES_H
#define ORION_ME_TYPES_H

#include <assert.h>
#include <stdint.h>

#include "common/orion_tick.h"

#define ME_CLORDID_LEN 20          /* opaque client order id bytes (FIX 11), zero padded */
#define ME_SESSION_ANY UINT32_MAX  /* cancel/replace: skip the owning-session check (admin) */
#define ME_ORDER_SLOT(id) ((uint32_t)(id)) /* pool index carried in an engine order id */

enum me_side { ME_BUY = 1, ME_SELL = 2 };                  /* FIX 54 */
enum me_ord_type { ME_MARKET = 1, ME_LIMIT = 2 };          /* FIX 40 */
enum me_tif { ME_DAY = 0, ME_GTC = 1, ME_IOC = 3, ME_FOK = 4 }; /* FIX 59 */

enum me_order_flag {
	ME_OF_POST_ONLY = 1u << 0, /* reject instead of crossing (FIX 18=6) */
};
#define ME_OF__ALL ME_OF_POST_ONLY

/* Self-trade prevention: what happens when an incoming order would match a
 * resting order of the same account. */
enum me_stp {
	ME_STP_DEFAULT = 0,        /* use the engine's configured mode */
	ME_STP_NONE = 1,           /* allow the self trade */
	ME_STP_CANCEL_RESTING = 2, /* cancel the resting order, keep matching */
	ME_STP_CANCEL_INCOMING = 3,/* cancel the incoming remainder, stop */
	ME_STP_CANCEL_BOTH = 4,    /* cancel both */
};

enum me_instr_state { ME_ST_OPEN = 0, ME_ST_HALTED = 1, ME_ST_CLOSED = 2 };

/* Rejection reasons, for the engine and for the pre-trade risk layer (one code
 * space so the gateway maps a single enum to FIX 58 / 103 / 102). */
enum me_reject {
	ME_REJ_NONE = 0,
	ME_REJ_UNKNOWN_INSTRUMENT,
	ME_REJ_INVALID_SIDE,
	ME_REJ_INVALID_TYPE,
	ME_REJ_INVALID_TIF,
	ME_REJ_INVALID_FLAGS,
	ME_REJ_INVALID_STP,
	ME_REJ_INVALID_QTY,
	ME_REJ_LOT_SIZE,
	ME_REJ_TICK_SIZE,
	ME_REJ_PRICE_OUT_OF_RANGE,
	ME_REJ_PRICE_BAND,
	ME_REJ_INSTRUMENT_HALTED,
	ME_REJ_INSTRUMENT_CLOSED,
	ME_REJ_POST_ONLY_WOULD_CROSS,
	ME_REJ_NO_LIQUIDITY,
	ME_REJ_POOL_EXHAUSTED,
	ME_REJ_UNKNOWN_ORDER,
	ME_REJ_NOT_OWNER,
	ME_REJ_REPLACE_QTY_TOO_LOW,
	/* pre-trade risk (dataplane/me/risk.h) */
	ME_REJ_RISK_UNKNOWN_ID,
	ME_REJ_RISK_MAX_QTY,
	ME_REJ_RISK_MAX_NOTIONAL,
	ME_REJ_RISK_PRICE_COLLAR,
	ME_REJ_RISK_NO_REFERENCE,
	ME_REJ_RISK_SESSION_OPEN_ORDERS,
	ME_REJ_RISK_ACCOUNT_OPEN_ORDERS,
	ME_REJ_RISK_RATE,
	ME_REJ_RISK_CREDIT,
	ME_REJ_RISK_KILL_GLOBAL,
	ME_REJ_RISK_KILL_TENANT,
	ME_REJ_RISK_KILL_SESSION,
	ME_REJ_RISK_KILL_ACCOUNT,
	ME_REJ__COUNT
};

/* Why an order left the book without being filled. */
enum me_cxl_reason {
	ME_CXL_USER = 0,   /* cancel request */
	ME_CXL_IOC,        /* IOC / market remainder after matching */
	ME_CXL_FOK,        /* FOK that could not fill completely: nothing traded */
	ME_CXL_STP,        /* self-trade prevention */
	ME_CXL_MASS,       /* mass cancel request */
	ME_CXL_KILL,       /* risk kill switch */
	ME_CXL_EXPIRED,    /* DAY order at instrument close */
	ME_CXL__COUNT
};

enum me_event_type {
	ME_EV_ACCEPTED = 1,      /* u.order: the order as accepted (before any fill) */
	ME_EV_REJECTED,          /* u.order: the request as received, order_id 0 */
	ME_EV_TRADE,             /* u.trade: one match, both sides after the fill */
	ME_EV_CANCELED,          /* u.canceled */
	ME_EV_REPLACED,          /* u.replaced */
	ME_EV_CANCEL_REJECTED,   /* u.cxl_rej: cancel or replace refused */
};

/* New order request (gateway → engine). Zero-initialise, then set fields. */
struct me_new_order {
	uint32_t instrument_id;   /* engine instrument id (me_add_instrument) */
	uint32_t session_id;
	uint32_t account_id;
	uint32_t tenant_id;
	int64_t price;            /* limit price; ignored for ME_MARKET */
	uint32_t qty;
	uint8_t side;             /* enum me_side */
	uint8_t type;             /* enum me_ord_type */
	uint8_t tif;              /* enum me_tif */
	uint8_t flags;            /* enum me_order_flag */
	uint8_t stp;              /* enum me_stp */
	uint8_t pad_[3];
	uint8_t cl_ord_id[ME_CLORDID_LEN];
};

/* Cancel request. session_id must own the order unless ME_SESSION_ANY. */
struct me_cancel_req {
	uint64_t order_id;
	uint32_t session_id;
	uint8_t cl_ord_id[ME_CLORDID_LEN]; /* the cancel's own id, echoed in events */
};

/* Cancel/replace request. qty is the new total order quantity (FIX 38,
 * including what has already filled); it must exceed the filled quantity.
 * Priority is kept when the price is unchanged and the open quantity does not
 * grow; otherwise the order goes to the back of the (new) level. */
struct me_replace_req {
	uint64_t order_id;
	uint32_t session_id;
	uint32_t qty;
	int64_t price;
	uint8_t cl_ord_id[ME_CLORDID_LEN]; /* the order's new client id */
};

/* Mass cancel filter: an order is canceled when it matches every field named
 * in `match` (no bits = every order of the engine). */
enum me_mc_match {
	ME_MC_SESSION = 1u << 0,
	ME_MC_ACCOUNT = 1u << 1,
	ME_MC_TENANT = 1u << 2,
	ME_MC_INSTRUMENT = 1u << 3,
	ME_MC_SIDE = 1u << 4,
};
struct me_mass_cancel {
	uint32_t match;           /* enum me_mc_match bits */
	uint32_t session_id, account_id, tenant_id, instrument_id;
	uint8_t side;
	uint8_t reason;           /* ME_CXL_MASS or ME_CXL_KILL */
};

/* One order as reported in events. */
struct me_order_info {
	uint64_t order_id;        /* 0 in ME_EV_REJECTED */
	int64_t price;            /* limit price, 0 for market orders */
	uint32_t qty;             /* total order quantity */
	uint32_t leaves;          /* open quantity after the event */
	uint32_t cum;             /* filled quantity after the event */
	uint32_t instrument_id;
	uint32_t session_id, account_id, tenant_id;
	uint8_t side, type, tif, flags;
	uint8_t cl_ord_id[ME_CLORDID_LEN];
	uint8_t stp;              /* effective mode */
	uint8_t pad_[3];
};
static_assert(sizeof(struct me_order_info) == 72, "me_order_info layout");

struct me_event {
	uint16_t type;            /* enum me_event_type */
	uint16_t reason;          /* REJECTED/CANCEL_REJECTED: me_reject; CANCELED: me_cxl_reason */
	uint32_t instrument_id;
	uint64_t seq;             /* engine event sequence, 1.. gap-free */
	uint64_t ts_ns;           /* the now_ns passed to the call that made it */
	union {
		struct me_order_info order;
		struct {
			uint64_t trade_id;
			int64_t price;
			uint32_t qty;
			uint8_t aggressor_side; /* side of the taker */
			uint8_t pad_[3];
			struct me_order_info maker, taker;
		} trade;
		struct {
			struct me_order_info order; /* leaves 0 */
			uint32_t canceled_qty;      /* open quantity removed */
			uint8_t req_cl_ord_id[ME_CLORDID_LEN]; /* cancel request id, zero otherwise */
		} canceled;
		struct {
			struct me_order_info order; /* after the replace, before any fill */
			int64_t old_price;
			uint32_t old_qty;
			uint8_t priority_kept;
			uint8_t pad_[3];
			uint8_t orig_cl_ord_id[ME_CLORDID_LEN];
		} replaced;
		struct {
			uint64_t order_id;
			uint32_t session_id;
			uint8_t is_replace;
			uint8_t pad_[3];
			uint8_t cl_ord_id[ME_CLORDID_LEN]; /* the refused request's id */
		} cxl_rej;
	} u;
};
static_assert(sizeof(struct me_event) == 192, "me_event is a ring/journal record");

/* Output sink. Both callbacks run synchronously on the calling lcore, inside
 * the engine call; the records are valid only during the callback (copy them).
 * A callback must not call back into the engine. on_tick may be NULL. */
struct me_sink {
	void (*on_event)(void *ctx, const struct me_event *ev);
	void (*on_tick)(void *ctx, const struct md_tick *tick);
	void *ctx;
};

/* Short identifier ("PRICE_BAND") and FIX 58 text for a reject code; never NULL. */
const char *me_reject_name(unsigned reason);
const char *me_reject_text(unsigned reason);
const char *me_cxl_reason_name(unsigned reason);

#endif
