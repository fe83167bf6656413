/* Names and FIX 58 texts for the matching engine / risk reason codes. */
#include "dataplane/me/me_types.h"

struct reason_name {
	const char *name, *text;
};

static const struct reason_name g_reject[ME_REJ__COUNT] = {
	[ME_REJ_NONE] = { "NONE", "no error" },
	[ME_REJ_UNKNOWN_INSTRUMENT] = { "UNKNOWN_INSTRUMENT", "unknown instrument" },
	[ME_REJ_INVALID_SIDE] = { "INVALID_SIDE", "invalid side" },
	[ME_REJ_INVALID_TYPE] = { "INVALID_TYPE", "unsupported order type" },
	[ME_REJ_INVALID_TIF] = { "INVALID_TIF", "unsupported time in force" },
	[ME_REJ_INVALID_FLAGS] = { "INVALID_FLAGS", "invalid order flags (post-only needs a resting limit order)" },
	[ME_REJ_INVALID_STP] = { "INVALID_STP", "invalid self-trade prevention mode" },
	[ME_REJ_INVALID_QTY] = { "INVALID_QTY", "quantity must be positive" },
	[ME_REJ_LOT_SIZE] = { "LOT_SIZE", "quantity is not a multiple of the lot size" },
	[ME_REJ_TICK_SIZE] = { "TICK_SIZE", "price is not a multiple of the tick size" },
	[ME_REJ_PRICE_OUT_OF_RANGE] = { "PRICE_OUT_OF_RANGE", "price outside the instrument's price range" },
	[ME_REJ_PRICE_BAND] = { "PRICE_BAND", "price outside the band around the reference price" },
	[ME_REJ_INSTRUMENT_HALTED] = { "INSTRUMENT_HALTED", "instrument halted" },
	[ME_REJ_INSTRUMENT_CLOSED] = { "INSTRUMENT_CLOSED", "instrument closed" },
	[ME_REJ_POST_ONLY_WOULD_CROSS] = { "POST_ONLY_WOULD_CROSS", "post-only order would cross" },
	[ME_REJ_NO_LIQUIDITY] = { "NO_LIQUIDITY", "market order: no liquidity on the other side" },
	[ME_REJ_POOL_EXHAUSTED] = { "POOL_EXHAUSTED", "order capacity exhausted" },
	[ME_REJ_UNKNOWN_ORDER] = { "UNKNOWN_ORDER", "unknown order (too late to cancel)" },
	[ME_REJ_NOT_OWNER] = { "NOT_OWNER", "order belongs to another session" },
	[ME_REJ_REPLACE_QTY_TOO_LOW] = { "REPLACE_QTY_TOO_LOW", "new quantity not above filled quantity" },
	[ME_REJ_RISK_UNKNOWN_ID] = { "RISK_UNKNOWN_ID", "risk: unknown session, account, tenant or instrument" },
	[ME_REJ_RISK_MAX_QTY] = { "RISK_MAX_QTY", "risk: order quantity above limit" },
	[ME_REJ_RISK_MAX_NOTIONAL] = { "RISK_MAX_NOTIONAL", "risk: order notional above limit" },
	[ME_REJ_RISK_PRICE_COLLAR] = { "RISK_PRICE_COLLAR", "risk: price outside collar around reference" },
	[ME_REJ_RISK_NO_REFERENCE] = { "RISK_NO_REFERENCE", "risk: no reference price for market order" },
	[ME_REJ_RISK_SESSION_OPEN_ORDERS] = { "RISK_SESSION_OPEN_ORDERS", "risk: too many open orders on session" },
	[ME_REJ_RISK_ACCOUNT_OPEN_ORDERS] = { "RISK_ACCOUNT_OPEN_ORDERS", "risk: too many open orders on account" },
	[ME_REJ_RISK_RATE] = { "RISK_RATE", "risk: order rate limit exceeded" },
	[ME_REJ_RISK_CREDIT] = { "RISK_CREDIT", "risk: credit limit exceeded" },
	[ME_REJ_RISK_KILL_GLOBAL] = { "RISK_KILL_GLOBAL", "risk: trading disabled (global kill switch)" },
	[ME_REJ_RISK_KILL_TENANT] = { "RISK_KILL_TENANT", "risk: trading disabled for tenant" },
	[ME_REJ_RISK_KILL_SESSION] = { "RISK_KILL_SESSION", "risk: trading disabled for session" },
	[ME_REJ_RISK_KILL_ACCOUNT] = { "RISK_KILL_ACCOUNT", "risk: trading disabled for account" },
};

static const char *const g_cxl[ME_CXL__COUNT] = {
	[ME_CXL_USER] = "USER",
	[ME_CXL_IOC] = "IOC",
	[ME_CXL_FOK] = "FOK",
	[ME_CXL_STP] = "STP",
	[ME_CXL_MASS] = "MASS",
	[ME_CXL_KILL] = "KILL",
	[ME_CXL_EXPIRED] = "EXPIRED",
};

const char *me_reject_name(unsigned reason)
{
	return reason < ME_REJ__COUNT && g_reject[reason].name ? g_reject[reason].name : "UNKNOWN";
}

const char *me_reject_text(unsigned reason)
{
	return reason < ME_REJ__COUNT && g_reject[reason].text ? g_reject[reason].text : "unknown reason";
}

const char *me_cxl_reason_name(unsigned reason)
{
	return reason < ME_CXL__COUNT && g_cxl[reason] ? g_cxl[reason] : "UNKNOWN";
}
