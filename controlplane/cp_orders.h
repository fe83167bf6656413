/* Control plane: the order and trade view, built from engine events.
 *
 * Every order the engine reports (API orders and FIX orders) gets a record
 * (API orders already at request time, status PENDING_NEW); trades are kept
 * once per side that owns an order here. Both live in fixed-size rings: a new
 * record takes the oldest slot, and a slot still holding a live order is
 * never taken (cp_orders_add refuses with -EBUSY instead).
 *
 * Ids: an API order is "A<corr>" (its ClOrdID in the engine), any other
 * order "E<engine order id>"; a trade is "<trade id>" (both sides share it,
 * each caller sees only the side it may see).
 * Pure data structure, cp thread only.
 */
#ifndef ORION_CONTROLPLANE_CP_ORDERS_H
#define ORION_CONTROLPLANE_CP_ORDERS_H

#include <stddef.h>
#include <stdint.h>

#include "controlplane/cp_json.h"
#include "dataplane/me/me_types.h"

enum cp_ord_status {
	CP_OS_PENDING_NEW = 0,
	CP_OS_NEW,
	CP_OS_PARTIALLY_FILLED,
	CP_OS_FILLED,
	CP_OS_CANCELED,
	CP_OS_REJECTED,
	CP_OS__COUNT
};
const char *cp_ord_status_name(unsigned s);

enum cp_pending { CP_PEND_NONE = 0, CP_PEND_CANCEL, CP_PEND_AMEND };

#define CP_USER_NONE UINT32_MAX

struct cp_order {
	uint64_t corr;                /* API orders: the new order's corr; 0 otherwise */
	uint64_t order_id;            /* engine id, 0 until accepted */
	uint64_t created_ns, updated_ns; /* wall clock (ns since the epoch) */
	uint64_t last_event_seq;
	int64_t price;                /* limit price, 0 for market */
	double notional_filled;       /* sum of fill price x qty (currency units, display only) */
	uint32_t qty, leaves, cum;
	uint32_t instrument, session, tenant, account;
	uint32_t user;                /* API user slot, CP_USER_NONE for FIX orders */
	uint32_t rev;                 /* bumped on every change */
	uint64_t pending_corr;        /* corr of the cancel / amend in flight */
	uint8_t side, type, tif, post_only;
	uint8_t status;               /* enum cp_ord_status */
	uint8_t pending;              /* enum cp_pending */
	uint16_t reason;              /* last reject / cancel reason (me_reject / me_cxl_reason) */
	uint8_t used, cxl_reason_set;
	char symbol[ORION_SYMBOL_LEN + 1];
	char client_id[CP_CLIENT_ID_LEN];
};

struct cp_trade {
	uint64_t trade_id;
	uint64_t ts_ns;               /* wall clock */
	uint64_t order_corr, order_id;/* the order of this side */
	int64_t price;
	uint32_t qty, instrument, session, tenant, account, user;
	uint8_t side;
	uint8_t maker;                /* 1: resting side (liquidity added) */
	uint8_t used;
	char symbol[ORION_SYMBOL_LEN + 1];
};

struct cp_orders;

/* Called by cp_orders_apply for each change (all optional). `notice`: a
 * request refused (cancel / amend reject) or an order rejected, as text for
 * the user's notification stream (user may be CP_USER_NONE). */
struct cp_orders_cb {
	void *ctx;
	void (*order)(void *ctx, const struct cp_order *o);
	void (*trade)(void *ctx, const struct cp_trade *t);
	void (*notice)(void *ctx, uint32_t user, uint32_t tenant, const char *code, const char *text);
	/* Symbol of an engine instrument id (for FIX orders), NULL if unknown. */
	const char *(*symbol)(void *ctx, uint32_t instrument);
};

/* NULL with errno ENOMEM / EINVAL. */
struct cp_orders *cp_orders_create(uint32_t max_orders, uint32_t max_trades);
void cp_orders_destroy(struct cp_orders *s);

/* Record a new API order before it is sent: status PENDING_NEW. Returns it,
 * or NULL with errno EBUSY (the oldest slot still holds a live order) or
 * EEXIST (corr already known). */
struct cp_order *cp_orders_add(struct cp_orders *s, uint64_t corr, uint32_t user, uint32_t session, uint32_t tenant,
			       uint32_t account, const struct cp_order_req *req, uint32_t instrument, uint64_t now_ns);
/* Forget an order whose request could not be sent (its slot is freed). */
void cp_orders_drop(struct cp_orders *s, struct cp_order *o);

/* Apply one engine event. Unknown orders of FIX sessions are created from
 * ACCEPTED; events of orders not held (evicted) are counted in *unmatched. */
void cp_orders_apply(struct cp_orders *s, const struct me_event *ev, uint64_t now_ns, const struct cp_orders_cb *cb);

struct cp_order *cp_orders_by_corr(struct cp_orders *s, uint64_t corr);
struct cp_order *cp_orders_by_oid(struct cp_orders *s, uint64_t order_id);
/* "A<corr>" / "E<order id>" -> the order, NULL if unknown or malformed. */
struct cp_order *cp_orders_find(struct cp_orders *s, const char *id);

/* k-th newest slot (k = 0 newest), NULL past the end. A slot may be empty
 * (an order dropped before it was sent): check ->used. */
const struct cp_order *cp_orders_nth(const struct cp_orders *s, uint32_t k);
const struct cp_trade *cp_trades_nth(const struct cp_orders *s, uint32_t k);

/* Parse the ClOrdID of an API order ("A" + decimal corr, zero padded);
 * 0 if it is not one. */
uint64_t cp_corr_of_clordid(const uint8_t cl[ME_CLORDID_LEN]);

int cp_order_is_live(const struct cp_order *o);
/* "A123" / "E456" into dst (24 bytes). */
void cp_order_id_str(const struct cp_order *o, char *dst);

/* JSON encoders (objects). user_name: owner's name or NULL. */
void cp_order_json(struct cp_buf *b, const struct cp_order *o, const char *user_name);
void cp_trade_json(struct cp_buf *b, const struct cp_trade *t, const char *user_name);

struct cp_orders_stats {
	uint64_t events, unmatched, fix_orders, api_orders, trades, evicted_orders, evicted_trades;
};
const struct cp_orders_stats *cp_orders_stats(const struct cp_orders *s);

#endif
