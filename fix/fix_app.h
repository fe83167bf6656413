/* Typed views of the application messages the order gateway handles, and
 * builders for the ones it sends, on top of fix_codec / fix_session.
 *
 * Inbound (from ops->deliver): fix_decode_order() for NewOrderSingle (D) and
 * OrderCancelReplaceRequest (G), fix_decode_cancel() for OrderCancelRequest
 * (F). One pass over the fields, no allocation; strings are views into the
 * message (valid during the deliver callback only — copy what you keep).
 *
 * Outbound: fix_send_exec_report() (8) and fix_send_cancel_reject() (9)
 * build through fix_session_begin()/fix_session_commit().
 *
 * Same threading rules as fix_session.h: the session's thread only.
 */
#ifndef ORION_FIX_APP_H
#define ORION_FIX_APP_H

#include <stdint.h>

#include "fix/fix_codec.h"
#include "fix/fix_session.h"

/* A string view; p == NULL and len == 0 when absent. */
struct fix_str {
	const char *p;
	uint32_t len;
};

/* NewOrderSingle / OrderCancelReplaceRequest. */
struct fix_order {
	struct fix_str cl_ord_id;       /* 11 */
	struct fix_str orig_cl_ord_id;  /* 41 (G only) */
	struct fix_str order_id;        /* 37 (G, optional) */
	struct fix_str symbol;          /* 55 */
	struct fix_str account;         /* 1 */
	char side;                      /* 54 */
	char ord_type;                  /* 40 */
	char tif;                       /* 59, '0' (Day) when absent */
	int64_t qty;                    /* 38, whole units */
	int64_t price;                  /* 44 at ORION_PX_SCALE, ORION_PX_NONE when absent */
	int64_t stop_px;                /* 99, ORION_PX_NONE when absent */
	uint64_t transact_time_ns;      /* 60 */
	uint64_t seq;                   /* 34 */
};

/* OrderCancelRequest. */
struct fix_cancel {
	struct fix_str cl_ord_id;       /* 11 */
	struct fix_str orig_cl_ord_id;  /* 41 */
	struct fix_str order_id;        /* 37, optional */
	struct fix_str symbol;          /* 55 */
	struct fix_str account;         /* 1 */
	char side;                      /* 54 */
	uint64_t transact_time_ns;      /* 60 */
	uint64_t seq;                   /* 34 */
};

/* Why a decode failed: answer with an ExecutionReport reject (D) or a
 * BusinessMessageReject with reason 'reason' (enum fix_business_reject). */
struct fix_app_error {
	uint32_t tag;
	int reason;
	const char *text;
};

/* Decode a D or G. Checks what the session-level dictionary does not:
 * Price present for limit/stop-limit (OrdType 2, 4), StopPx for stop
 * (3, 4), qty > 0, price > 0, whole quantity. Returns 0, or -EINVAL with *e
 * set (e may be NULL). */
int fix_decode_order(const struct fix_msg *m, struct fix_order *o, struct fix_app_error *e);
/* Decode an F. Returns 0 or -EINVAL (*e set). */
int fix_decode_cancel(const struct fix_msg *m, struct fix_cancel *c, struct fix_app_error *e);

/* ExecutionReport to send. Fields with 'omit' values are left out. */
struct fix_exec_report {
	struct fix_str order_id;        /* 37 required */
	struct fix_str exec_id;         /* 17 required */
	struct fix_str cl_ord_id;       /* 11 */
	struct fix_str orig_cl_ord_id;  /* 41 (replace/cancel) */
	struct fix_str symbol;          /* 55 required */
	struct fix_str account;         /* 1 */
	struct fix_str text;            /* 58 */
	char exec_type;                 /* 150 */
	char ord_status;                /* 39 */
	char side;                      /* 54 */
	char ord_type;                  /* 40, 0 = omit */
	char tif;                       /* 59, 0 = omit */
	int ord_rej_reason;             /* 103, < 0 = omit */
	int64_t order_qty;              /* 38, < 0 = omit */
	int64_t leaves_qty;             /* 151 */
	int64_t cum_qty;                /* 14 */
	int64_t price;                  /* 44, ORION_PX_NONE = omit */
	int64_t avg_px;                 /* 6 (ORION_PX_NONE sends 0) */
	int64_t last_px;                /* 31, ORION_PX_NONE = omit */
	int64_t last_qty;               /* 32, <= 0 = omit */
	uint64_t transact_time_ns;      /* 60, 0 = omit */
};

/* Build and send an ExecutionReport through the session.
 * Returns what fix_session_commit() returns (0 sent, 1 stored while not
 * logged on, -errno). */
int fix_send_exec_report(struct fix_session *s, const struct fix_exec_report *er, uint64_t now);

/* OrderCancelReject (9). response_to: '1' cancel, '2' replace; reason 102
 * (< 0 omits); text may be NULL. Returns as fix_session_commit(). */
int fix_send_cancel_reject(struct fix_session *s, struct fix_str order_id, struct fix_str cl_ord_id,
			   struct fix_str orig_cl_ord_id, char ord_status, char response_to, int reason,
			   const char *text, uint64_t now);

#endif
