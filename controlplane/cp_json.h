/* Control plane: validation of client JSON (REST order requests, WebSocket
 * ops) and the small formatting helpers shared by the REST and WS encoders.
 * Pure functions (jansson underneath), any thread, no global state.
 */
#ifndef ORION_CONTROLPLANE_CP_JSON_H
#define ORION_CONTROLPLANE_CP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "controlplane/cp.h"

#define CP_CLIENT_ID_LEN 37       /* clientOrderId, with the NUL (a UUID fits) */
#define CP_WS_MAX_IDS 256         /* instrument ids in one SUBSCRIBE */
#define CP_TOKEN_MAX 256          /* bearer token bytes, with the NUL */

/* An error to answer with: HTTP status, code ("BAD_REQUEST"...), message and
 * the offending field ("" when none). */
struct cp_err {
	int status;
	const char *code;             /* static string */
	char field[64];               /* copied: may name a key of a freed document */
	char message[160];
};
/* Fill e; returns -EINVAL so callers can `return cp_err_set(...)`. */
int cp_err_set(struct cp_err *e, int status, const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A new order as the client asked for it (syntax checked, not yet against
 * the instrument or the user's entitlements). */
struct cp_order_req {
	char symbol[ORION_SYMBOL_LEN + 1];
	uint8_t side;                  /* ME_BUY / ME_SELL */
	uint8_t type;                  /* ME_LIMIT / ME_MARKET */
	uint8_t tif;                   /* ME_DAY / ME_GTC / ME_IOC / ME_FOK */
	uint8_t post_only;
	uint32_t qty;
	int64_t price;                 /* ORION_PX_SCALE units; 0 for MARKET */
	char client_id[CP_CLIENT_ID_LEN];
};

/* Parse a POST /orders body. Strict: an object, known keys only, right
 * types, enums by name, quantity a positive integer < 2^32, price for LIMIT
 * only (decimal string or JSON number, > 0, at most 8 decimals), postOnly only
 * on LIMIT DAY/GTC. 0, or -EINVAL with e filled (400). */
int cp_json_parse_order(const char *body, size_t len, struct cp_order_req *o, struct cp_err *e);

/* POST /orders/{id}/amend body {quantity?, price?} (at least one).
 * *has_qty / *has_price say which. 0 or -EINVAL (e). */
int cp_json_parse_amend(const char *body, size_t len, uint32_t *qty, int *has_qty, int64_t *price, int *has_price,
			struct cp_err *e);

/* Check an order against its instrument (tick, lot) and the user's per-order
 * notional limit (0 = none). ref_px: the price a MARKET order is valued at
 * (ORION_PX_NONE when unknown: a market order of a user with a limit is then
 * refused). 0 or -EINVAL (e: 400 for tick/lot, 403 for notional). */
int cp_order_check(const struct cp_order_req *o, const struct cp_instrument *in, int64_t max_notional, int64_t ref_px,
		   struct cp_err *e);

/* A price in a JSON value: a decimal string ("-12.5", "150.25") or a number
 * (rounded to 1e-8). 0 or -EINVAL (not a number, more than 8 decimals, out of
 * range). */
int cp_json_price(const json_t *v, int64_t *out);
/* Decimal text to fixed point with `digits` decimals (<= 18), optional '-'.
 * 0 or -EINVAL (syntax, too many decimals, overflow). */
int cp_parse_decimal(const char *s, size_t len, unsigned digits, int64_t *out);
/* Fixed point (ORION_PX_SCALE) to the shortest decimal text ("150.25", "-3",
 * "0.00000001"); dst needs 24 bytes. Returns the length. */
size_t cp_fmt_price(char *dst, int64_t px);

/* WebSocket client op. */
enum cp_ws_opcode { CP_OP_SUBSCRIBE = 1, CP_OP_UNSUBSCRIBE, CP_OP_PING, CP_OP_AUTH };
enum cp_ws_stream { CP_STREAM_ORDERS = 1u << 0, CP_STREAM_TRADES = 1u << 1 };
struct cp_ws_op {
	int op;                        /* enum cp_ws_opcode */
	unsigned n_ids;
	char ids[CP_WS_MAX_IDS][ORION_SYMBOL_LEN + 1];
	unsigned streams;              /* enum cp_ws_stream bits */
	char token[CP_TOKEN_MAX];      /* AUTH */
	char req_id[40];               /* optional "id" echoed in the ack */
};
/* Parse one client message. 0 or -EINVAL (e: code and message to send back). */
int cp_json_parse_ws(const char *msg, size_t len, struct cp_ws_op *op, struct cp_err *e);

/* Growable output buffer for the encoders (cp thread). */
struct cp_buf {
	char *p;
	size_t len, cap;
	int oom;                       /* an allocation failed: content truncated */
};
void cp_buf_reserve(struct cp_buf *b, size_t extra);
void cp_buf_add(struct cp_buf *b, const void *s, size_t n);
void cp_buf_str(struct cp_buf *b, const char *s);
void cp_buf_printf(struct cp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON string literal (quoted, escaped) of s[0..n-1]. */
void cp_buf_json_str(struct cp_buf *b, const char *s, size_t n);
/* Price as a JSON string, or null for ORION_PX_NONE. */
void cp_buf_json_px(struct cp_buf *b, int64_t px);
void cp_buf_free(struct cp_buf *b);

#endif
