/* Client JSON validation and encoding helpers. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/cp_json.h"

int cp_err_set(struct cp_err *e, int status, const char *code, const char *field, const char *fmt, ...)
{
	e->status = status;
	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int cp_parse_decimal(const char *s, size_t len, unsigned digits, int64_t *out)
{
	if (digits > 18 || len == 0 || len > 40)
		return -EINVAL;
	size_t i = 0;
	int neg = 0;
	if (s[0] == '-') {
		neg = 1;
		i++;
	}
	uint64_t ip = 0, fp = 0;
	unsigned nint = 0, nfrac = 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nint++) {
		if (ip > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		ip = ip * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		i++;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, nfrac++) {
			if (nfrac >= digits)
				return -EINVAL; /* more decimals than the unit: never rounded */
			fp = fp * 10 + (uint64_t)(s[i] - '0');
		}
		if (nfrac == 0)
			return -EINVAL;
	}
	if (i != len || nint == 0)
		return -EINVAL;
	uint64_t scale = 1;
	for (unsigned k = 0; k < digits; k++)
		scale *= 10;
	for (unsigned k = nfrac; k < digits; k++)
		fp *= 10;
	if (ip > (uint64_t)INT64_MAX / scale)
		return -EINVAL;
	uint64_t v = ip * scale;
	if (v > (uint64_t)INT64_MAX - fp)
		return -EINVAL;
	v += fp;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

size_t cp_fmt_price(char *dst, int64_t px)
{
	uint64_t u = (uint64_t)px;
	size_t n = 0;
	if (px < 0) {
		dst[n++] = '-';
		u = 0 - u;
	}
	uint64_t ip = u / (uint64_t)ORION_PX_SCALE, fp = u % (uint64_t)ORION_PX_SCALE;
	n += (size_t)sprintf(dst + n, "%llu", (unsigned long long)ip);
	if (fp) {
		char f[9];
		snprintf(f, sizeof(f), "%08llu", (unsigned long long)fp);
		int k = 7;
		while (k > 0 && f[k] == '0')
			k--;
		dst[n++] = '.';
		memcpy(dst + n, f, (size_t)k + 1);
		n += (size_t)k + 1;
	}
	dst[n] = 0;
	return n;
}

int cp_json_price(const json_t *v, int64_t *out)
{
	if (json_is_string(v))
		return cp_parse_decimal(json_string_value(v), json_string_length(v), 8, out);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i > INT64_MAX / ORION_PX_SCALE || i < INT64_MIN / ORION_PX_SCALE)
			return -EINVAL;
		*out = (int64_t)i * ORION_PX_SCALE;
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v) * (double)ORION_PX_SCALE;
		if (!isfinite(d) || d > 9.2e18 || d < -9.2e18)
			return -EINVAL;
		*out = (int64_t)llround(d);
		return 0;
	}
	return -EINVAL;
}

static json_t *load(const char *body, size_t len, struct cp_err *e)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		cp_err_set(e, 400, "BAD_JSON", "", "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		cp_err_set(e, 400, "BAD_JSON", "", "the body must be a JSON object");
		return NULL;
	}
	return root;
}

/* Every key of obj must be in the NULL-terminated list. */
static int only_keys(json_t *obj, const char *const *known, struct cp_err *e)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (unsigned i = 0; known[i]; i++)
			if (!strcmp(k, known[i]))
				ok = 1;
		if (!ok)
			return cp_err_set(e, 400, "UNKNOWN_FIELD", k, "unknown field '%.60s'", k);
	}
	return 0;
}

static int enum_field(json_t *obj, const char *key, const char *const *names, const int *values, int dflt, int *out,
		      struct cp_err *e)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (dflt < 0)
			return cp_err_set(e, 400, "MISSING_FIELD", key, "'%s' is required", key);
		*out = dflt;
		return 0;
	}
	if (!json_is_string(v))
		return cp_err_set(e, 400, "BAD_TYPE", key, "'%s' must be a string", key);
	for (unsigned i = 0; names[i]; i++)
		if (!strcmp(json_string_value(v), names[i])) {
			*out = values[i];
			return 0;
		}
	return cp_err_set(e, 400, "BAD_VALUE", key, "'%s' has an unknown value", key);
}

static int qty_field(json_t *v, const char *key, uint32_t *out, struct cp_err *e)
{
	if (!json_is_integer(v))
		return cp_err_set(e, 400, "BAD_TYPE", key, "'%s' must be an integer", key);
	json_int_t q = json_integer_value(v);
	if (q <= 0 || q > (json_int_t)UINT32_MAX)
		return cp_err_set(e, 400, "BAD_VALUE", key, "'%s' must be 1..4294967295", key);
	*out = (uint32_t)q;
	return 0;
}

static int symbol_ok(const char *s, size_t n)
{
	if (n == 0 || n > ORION_SYMBOL_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

int cp_json_parse_order(const char *body, size_t len, struct cp_order_req *o, struct cp_err *e)
{
	static const char *const keys[] = { "instrumentId", "side", "type", "timeInForce", "quantity", "price",
					    "postOnly", "clientOrderId", NULL };
	static const char *const sides[] = { "BUY", "SELL", NULL };
	static const int side_v[] = { ME_BUY, ME_SELL };
	static const char *const types[] = { "LIMIT", "MARKET", NULL };
	static const int type_v[] = { ME_LIMIT, ME_MARKET };
	static const char *const tifs[] = { "DAY", "GTC", "IOC", "FOK", NULL };
	static const int tif_v[] = { ME_DAY, ME_GTC, ME_IOC, ME_FOK };
	memset(o, 0, sizeof(*o));
	json_t *root = load(body, len, e);
	if (!root)
		return -EINVAL;
	int rc = -EINVAL, side, type, tif;
	if (only_keys(root, keys, e))
		goto out;
	json_t *v = json_object_get(root, "instrumentId");
	if (!v) {
		cp_err_set(e, 400, "MISSING_FIELD", "instrumentId", "'instrumentId' is required");
		goto out;
	}
	if (!json_is_string(v) || !symbol_ok(json_string_value(v), json_string_length(v))) {
		cp_err_set(e, 400, "BAD_VALUE", "instrumentId", "'instrumentId' must be a symbol of 1..%d characters",
			   ORION_SYMBOL_LEN);
		goto out;
	}
	memcpy(o->symbol, json_string_value(v), json_string_length(v));
	if (enum_field(root, "side", sides, side_v, -1, &side, e) ||
	    enum_field(root, "type", types, type_v, ME_LIMIT, &type, e) ||
	    enum_field(root, "timeInForce", tifs, tif_v, ME_DAY, &tif, e))
		goto out;
	o->side = (uint8_t)side;
	o->type = (uint8_t)type;
	o->tif = (uint8_t)tif;
	v = json_object_get(root, "quantity");
	if (!v) {
		cp_err_set(e, 400, "MISSING_FIELD", "quantity", "'quantity' is required");
		goto out;
	}
	if (qty_field(v, "quantity", &o->qty, e))
		goto out;
	v = json_object_get(root, "price");
	if (o->type == ME_LIMIT) {
		if (!v) {
			cp_err_set(e, 400, "MISSING_FIELD", "price", "'price' is required for a LIMIT order");
			goto out;
		}
		if (cp_json_price(v, &o->price) || o->price <= 0) {
			cp_err_set(e, 400, "BAD_VALUE", "price",
				   "'price' must be a positive decimal (string or number, at most 8 decimals)");
			goto out;
		}
	} else if (v && !json_is_null(v)) {
		cp_err_set(e, 400, "BAD_VALUE", "price", "a MARKET order takes no price");
		goto out;
	}
	if (o->type == ME_MARKET && (o->tif == ME_DAY || o->tif == ME_GTC))
		o->tif = ME_IOC; /* a market order never rests */
	v = json_object_get(root, "postOnly");
	if (v) {
		if (!json_is_boolean(v)) {
			cp_err_set(e, 400, "BAD_TYPE", "postOnly", "'postOnly' must be true or false");
			goto out;
		}
		o->post_only = json_is_true(v);
		if (o->post_only && (o->type != ME_LIMIT || o->tif == ME_IOC || o->tif == ME_FOK)) {
			cp_err_set(e, 400, "BAD_VALUE", "postOnly", "postOnly needs a LIMIT DAY or GTC order");
			goto out;
		}
	}
	v = json_object_get(root, "clientOrderId");
	if (v && !json_is_null(v)) {
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		size_t n = s ? json_string_length(v) : 0;
		int ok = s && n > 0 && n < CP_CLIENT_ID_LEN;
		for (size_t i = 0; ok && i < n; i++)
			if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
				ok = 0;
		if (!ok) {
			cp_err_set(e, 400, "BAD_VALUE", "clientOrderId", "'clientOrderId' must be 1..%d printable characters",
				   CP_CLIENT_ID_LEN - 1);
			goto out;
		}
		memcpy(o->client_id, s, n);
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int cp_json_parse_amend(const char *body, size_t len, uint32_t *qty, int *has_qty, int64_t *price, int *has_price,
			struct cp_err *e)
{
	static const char *const keys[] = { "quantity", "price", NULL };
	*has_qty = *has_price = 0;
	json_t *root = load(body, len, e);
	if (!root)
		return -EINVAL;
	int rc = -EINVAL;
	if (only_keys(root, keys, e))
		goto out;
	json_t *v = json_object_get(root, "quantity");
	if (v) {
		if (qty_field(v, "quantity", qty, e))
			goto out;
		*has_qty = 1;
	}
	v = json_object_get(root, "price");
	if (v) {
		if (cp_json_price(v, price) || *price <= 0) {
			cp_err_set(e, 400, "BAD_VALUE", "price", "'price' must be a positive decimal");
			goto out;
		}
		*has_price = 1;
	}
	if (!*has_qty && !*has_price) {
		cp_err_set(e, 400, "MISSING_FIELD", "quantity", "an amend needs 'quantity' or 'price'");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* |a * b| > limit, without overflow (a, b >= 0). */
static int product_over(int64_t a, uint64_t b, int64_t limit)
{
	if (a == 0 || b == 0)
		return 0;
	return (unsigned __int128)a * b > (unsigned __int128)limit;
}

int cp_order_check(const struct cp_order_req *o, const struct cp_instrument *in, int64_t max_notional, int64_t ref_px,
		   struct cp_err *e)
{
	if (in->lot > 1 && o->qty % in->lot)
		return cp_err_set(e, 400, "LOT_SIZE", "quantity", "quantity must be a multiple of the lot size %u", in->lot);
	if (o->type == ME_LIMIT && in->tick > 0 && o->price % in->tick) {
		char t[24];
		cp_fmt_price(t, in->tick);
		return cp_err_set(e, 400, "TICK_SIZE", "price", "price must be a multiple of the tick size %s", t);
	}
	if (max_notional > 0) {
		int64_t px = o->type == ME_LIMIT ? o->price : ref_px;
		if (px == ORION_PX_NONE)
			return cp_err_set(e, 403, "NO_REFERENCE_PRICE", "type",
					  "no reference price to value a MARKET order against your notional limit");
		if (product_over(px < 0 ? -px : px, o->qty, max_notional)) {
			char m[24];
			cp_fmt_price(m, max_notional);
			return cp_err_set(e, 403, "MAX_NOTIONAL", "quantity", "order notional above your limit of %s", m);
		}
	}
	return 0;
}

static int copy_ids(json_t *arr, struct cp_ws_op *op, struct cp_err *e)
{
	if (!json_is_array(arr))
		return cp_err_set(e, 400, "BAD_TYPE", "instrumentIds", "'instrumentIds' must be an array of strings");
	if (json_array_size(arr) > CP_WS_MAX_IDS)
		return cp_err_set(e, 400, "TOO_MANY", "instrumentIds", "at most %d instrument ids per message",
				  CP_WS_MAX_IDS);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || !symbol_ok(json_string_value(v), json_string_length(v)))
			return cp_err_set(e, 400, "BAD_VALUE", "instrumentIds", "instrument id %zu is not a symbol (or *)", i);
		memcpy(op->ids[op->n_ids], json_string_value(v), json_string_length(v));
		op->ids[op->n_ids][json_string_length(v)] = 0;
		op->n_ids++;
	}
	return 0;
}

int cp_json_parse_ws(const char *msg, size_t len, struct cp_ws_op *op, struct cp_err *e)
{
	static const char *const keys[] = { "op", "instrumentIds", "streams", "token", "id", NULL };
	op->op = 0;
	op->n_ids = 0;
	op->streams = 0;
	op->token[0] = op->req_id[0] = 0;
	json_t *root = load(msg, len, e);
	if (!root)
		return -EINVAL;
	int rc = -EINVAL;
	if (only_keys(root, keys, e))
		goto out;
	json_t *v = json_object_get(root, "op");
	if (!json_is_string(v)) {
		cp_err_set(e, 400, "MISSING_FIELD", "op", "'op' (string) is required");
		goto out;
	}
	const char *s = json_string_value(v);
	if (!strcmp(s, "SUBSCRIBE"))
		op->op = CP_OP_SUBSCRIBE;
	else if (!strcmp(s, "UNSUBSCRIBE"))
		op->op = CP_OP_UNSUBSCRIBE;
	else if (!strcmp(s, "PING"))
		op->op = CP_OP_PING;
	else if (!strcmp(s, "AUTH"))
		op->op = CP_OP_AUTH;
	else {
		cp_err_set(e, 400, "BAD_VALUE", "op", "unknown op (SUBSCRIBE, UNSUBSCRIBE, PING, AUTH)");
		goto out;
	}
	v = json_object_get(root, "id");
	if (v) {
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= sizeof(op->req_id)) {
			cp_err_set(e, 400, "BAD_VALUE", "id", "'id' must be a short string");
			goto out;
		}
		for (size_t i = 0; i < json_string_length(v); i++)
			if (json_string_value(v)[i] < 0x21 || json_string_value(v)[i] > 0x7e ||
			    json_string_value(v)[i] == '"' || json_string_value(v)[i] == '\\') {
				cp_err_set(e, 400, "BAD_VALUE", "id", "'id' must be printable");
				goto out;
			}
		memcpy(op->req_id, json_string_value(v), json_string_length(v) + 1);
	}
	if (op->op == CP_OP_AUTH) {
		v = json_object_get(root, "token");
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= CP_TOKEN_MAX) {
			cp_err_set(e, 400, "BAD_VALUE", "token", "'token' (string) is required");
			goto out;
		}
		memcpy(op->token, json_string_value(v), json_string_length(v) + 1);
	}
	if (op->op == CP_OP_SUBSCRIBE || op->op == CP_OP_UNSUBSCRIBE) {
		v = json_object_get(root, "instrumentIds");
		if (v && copy_ids(v, op, e))
			goto out;
		v = json_object_get(root, "streams");
		if (v) {
			size_t i;
			json_t *x;
			if (!json_is_array(v)) {
				cp_err_set(e, 400, "BAD_TYPE", "streams", "'streams' must be an array");
				goto out;
			}
			json_array_foreach(v, i, x) {
				const char *n = json_is_string(x) ? json_string_value(x) : "";
				if (!strcmp(n, "orders"))
					op->streams |= CP_STREAM_ORDERS;
				else if (!strcmp(n, "trades"))
					op->streams |= CP_STREAM_TRADES;
				else {
					cp_err_set(e, 400, "BAD_VALUE", "streams", "unknown stream (orders, trades)");
					goto out;
				}
			}
		}
		if (!op->n_ids && !op->streams) {
			cp_err_set(e, 400, "MISSING_FIELD", "instrumentIds", "nothing to (un)subscribe");
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void cp_buf_reserve(struct cp_buf *b, size_t extra)
{
	if (b->oom || b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

void cp_buf_add(struct cp_buf *b, const void *s, size_t n)
{
	cp_buf_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void cp_buf_str(struct cp_buf *b, const char *s)
{
	cp_buf_add(b, s, strlen(s));
}

void cp_buf_printf(struct cp_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		cp_buf_add(b, tmp, (size_t)n);
		return;
	}
	cp_buf_reserve(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void cp_buf_json_str(struct cp_buf *b, const char *s, size_t n)
{
	cp_buf_reserve(b, n + 2);
	cp_buf_add(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char t[2] = { '\\', (char)c };
			cp_buf_add(b, t, 2);
		} else if (c < 0x20 || c == 0x7f) {
			char t[8];
			snprintf(t, sizeof(t), "\\u%04x", c);
			cp_buf_add(b, t, 6);
		} else {
			cp_buf_add(b, &s[i], 1);
		}
	}
	cp_buf_add(b, "\"", 1);
}

void cp_buf_json_px(struct cp_buf *b, int64_t px)
{
	if (px == ORION_PX_NONE) {
		cp_buf_add(b, "null", 4);
		return;
	}
	char t[32];
	t[0] = '"';
	size_t n = cp_fmt_price(t + 1, px);
	t[n + 1] = '"';
	cp_buf_add(b, t, n + 2);
}

void cp_buf_free(struct cp_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
