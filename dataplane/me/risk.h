/* Pre-trade risk, checked before the matching engine, on the same lcore.
 *
 * The risk layer wraps one engine: risk_create() interposes itself as the
 * engine's sink, so it sees every accepted / traded / canceled / replaced
 * order (open-order counts and credit usage follow them exactly) and then
 * forwards each event and tick unchanged to the sink the engine had. The
 * gateway submits through risk_new_order / risk_replace / risk_cancel and
 * receives everything, risk rejections included, as ME_EV_* events.
 *
 * Checks on a new order, in this order (first failure wins):
 *   ids in range → kill switch (global, tenant, session, account) →
 *   session rate (token bucket, new + replace; cancels are never throttled) →
 *   max order qty → price collar (limit orders, against the reference price:
 *   last trade, or the configured one until the first trade / a
 *   RISK_CMD_REF_PRICE) → max order notional → open orders per session and per
 *   account → credit (gross open notional of the account + this order).
 * Notional = price × qty in 1e-8 currency units (me_types.h); a market order
 * is valued at the reference price. Every rejection is counted by reason.
 *
 * Ids: session_id < max_sessions, account_id < max_accounts, tenant_id <
 * max_tenants, instrument_id < max_instruments (dense ids from the control
 * plane); anything else is rejected with ME_REJ_RISK_UNKNOWN_ID.
 *
 * Threading: all functions on the order lcore (the engine's thread), except
 * risk_create/risk_destroy (start-up / shutdown). Limits change only through
 * risk_apply_cmd, which the lcore calls for each record from the command ring.
 * No allocation, locks or syscalls after risk_create.
 */
#ifndef ORION_ME_RISK_H
#define ORION_ME_RISK_H

#include <assert.h>
#include <stdint.h>

#include "dataplane/me/me_book.h"

struct risk;

struct risk_account_limits {
	uint32_t max_order_qty;      /* 0 = unlimited */
	uint32_t max_open_orders;    /* 0 = unlimited */
	int64_t max_order_notional;  /* 0 = unlimited */
	int64_t credit_limit;        /* max gross open notional; 0 = unlimited */
};

struct risk_session_limits {
	uint32_t max_open_orders;    /* 0 = unlimited */
	uint32_t rate_per_s;         /* token refill per second; 0 = unlimited */
	uint32_t burst;              /* bucket depth, >= 1 when rate_per_s is set */
};

struct risk_config {
	uint32_t max_sessions, max_accounts, max_tenants, max_instruments; /* each >= 1 */
	struct risk_account_limits account_default;  /* every account starts with it */
	struct risk_session_limits session_default;  /* every session starts with it */
	uint32_t collar_bps;         /* default collar per instrument, basis points; 0 = off */
};

enum risk_cmd_type {
	RISK_CMD_ACCOUNT_LIMITS = 1, /* id: account or RISK_ID_ALL; u.account */
	RISK_CMD_SESSION_LIMITS = 2, /* id: session or RISK_ID_ALL; u.session (bucket refilled to min(tokens, burst)) */
	RISK_CMD_COLLAR = 3,         /* id: instrument or RISK_ID_ALL; u.collar_bps */
	RISK_CMD_REF_PRICE = 4,      /* id: instrument; u.ref_px (> 0, or ORION_PX_NONE to clear) */
	RISK_CMD_KILL = 5,           /* scope + id; flags RISK_CMDF_ON / RISK_CMDF_CANCEL */
	RISK_CMD_INSTR_STATE = 6,    /* id: instrument; u.state (enum me_instr_state): halt, reopen, close */
};

enum risk_scope {
	RISK_SCOPE_GLOBAL = 0,       /* id ignored */
	RISK_SCOPE_TENANT = 1,
	RISK_SCOPE_SESSION = 2,
	RISK_SCOPE_ACCOUNT = 3,
};

#define RISK_ID_ALL UINT32_MAX
#define RISK_CMDF_ON 0x01u       /* kill: engage (without: release) */
#define RISK_CMDF_CANCEL 0x02u   /* kill: also mass-cancel resting orders in scope (ME_CXL_KILL) */

/* Fixed-size command record (control plane → order lcore ring). */
struct risk_cmd {
	uint16_t type;               /* enum risk_cmd_type */
	uint8_t scope;               /* enum risk_scope (RISK_CMD_KILL) */
	uint8_t flags;               /* RISK_CMDF_* (RISK_CMD_KILL) */
	uint32_t id;
	union {
		struct risk_account_limits account;
		struct risk_session_limits session;
		uint32_t collar_bps;
		int64_t ref_px;
		uint8_t state;
		uint8_t raw_[56];
	} u;
};
static_assert(sizeof(struct risk_cmd) == 64, "risk_cmd is a ring record");

struct risk_stats {
	uint64_t checked;                  /* new + replace requests seen */
	uint64_t passed;                   /* handed to the engine */
	uint64_t rejects[ME_REJ__COUNT];   /* by reason (risk codes only) */
	uint64_t cmds_applied, cmds_invalid;
};

/* Create and attach to `me` (whose current sink becomes the forward target).
 * Start-up only. NULL with errno EINVAL / ENOMEM. */
struct risk *risk_create(const struct risk_config *cfg, struct me_engine *me);
/* Detach (restores the engine's sink) and free. */
void risk_destroy(struct risk *r);

/* Check then submit. Return 0 when the engine accepted (see me_new_order),
 * or the me_reject code (> 0) when risk or the engine refused; a refusal is
 * also delivered as ME_EV_REJECTED / ME_EV_CANCEL_REJECTED. -EINVAL for NULL. */
int risk_new_order(struct risk *r, const struct me_new_order *req, uint64_t now_ns);
int risk_replace(struct risk *r, const struct me_replace_req *req, uint64_t now_ns);
/* Cancels are never refused by risk (not throttled, allowed under kill). */
int risk_cancel(struct risk *r, const struct me_cancel_req *req, uint64_t now_ns);

/* Apply a control command. Returns 0, or -EINVAL (unknown type/scope, id out
 * of range, bad value; counted in cmds_invalid, nothing changed). A kill with
 * RISK_CMDF_CANCEL cancels through the engine, stamping events with the last
 * now_ns this risk instance saw. */
int risk_apply_cmd(struct risk *r, const struct risk_cmd *cmd);

/* Queries (order lcore). Return 0 or -EINVAL (id out of range). */
int risk_account_usage(const struct risk *r, uint32_t account_id, int64_t *open_notional,
	uint32_t *open_orders);
int risk_session_open_orders(const struct risk *r, uint32_t session_id, uint32_t *open_orders);
int64_t risk_ref_price(const struct risk *r, uint32_t instrument_id); /* ORION_PX_NONE if none */
const struct risk_stats *risk_get_stats(const struct risk *r);

#endif
