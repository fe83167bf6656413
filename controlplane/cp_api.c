/* REST API /api/v1 (cp thread): routing, authentication, authorization,
 * validation, and the handlers. Transport-free: cp_http.c feeds requests in
 * and writes the responses out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "controlplane/cp_int.h"

#define ROLE(r) (1u << (r))
#define ROLES_TRADE (ROLE(CP_ROLE_TRADER) | ROLE(CP_ROLE_SALES))
#define ROLES_TENANT_VIEW (ROLE(CP_ROLE_ADMIN) | ROLE(CP_ROLE_RISK) | ROLE(CP_ROLE_PLATFORM))
#define ROLES_USERS (ROLE(CP_ROLE_ADMIN) | ROLE(CP_ROLE_PLATFORM))
#define ROLES_LIMITS (ROLE(CP_ROLE_RISK) | ROLE(CP_ROLE_PLATFORM))
#define ROLES_KILL (ROLE(CP_ROLE_RISK) | ROLE(CP_ROLE_ADMIN) | ROLE(CP_ROLE_PLATFORM))
#define ROLES_PLATFORM ROLE(CP_ROLE_PLATFORM)
#define MAX_SEG 8

struct api {
	struct cp *cp;
	const struct cp_req *rq;
	struct cp_resp *rs;
	struct cp_user *u;
	uint32_t slot;
	int nseg;
	char seg[MAX_SEG][72];
	const char *idem_key;                /* POST /orders with a valid Idempotency-Key: the key */
	uint8_t idem_hash[32];               /* and its request hash */
};

/* ---- responses ----------------------------------------------------------- */
void cp_resp_err(struct cp_resp *rs, int status, const char *code, const char *field, const char *msg)
{
	rs->status = status;
	rs->body.len = 0;
	cp_buf_str(&rs->body, "{\"code\":");
	cp_buf_json_str(&rs->body, code, strlen(code));
	cp_buf_str(&rs->body, ",\"message\":");
	cp_buf_json_str(&rs->body, msg, strlen(msg));
	cp_buf_str(&rs->body, ",\"field\":");
	if (field && *field)
		cp_buf_json_str(&rs->body, field, strlen(field));
	else
		cp_buf_str(&rs->body, "null");
	cp_buf_str(&rs->body, "}");
}

void cp_resp_cperr(struct cp_resp *rs, const struct cp_err *e)
{
	cp_resp_err(rs, e->status, e->code, e->field, e->message);
}

static void forbidden(struct api *a, const char *what)
{
	char m[160];
	snprintf(m, sizeof(m), "role %s may not %s", cp_role_name(a->u->role), what);
	cp_resp_err(a->rs, 403, "FORBIDDEN", "", m);
}

static int has_role(struct api *a, unsigned mask, const char *what)
{
	if (mask & ROLE(a->u->role))
		return 1;
	forbidden(a, what);
	return 0;
}

static void ok_begin(struct api *a, int status)
{
	a->rs->status = status;
	a->rs->body.len = 0;
}

/* ---- query strings --------------------------------------------------------- */
static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cp_query_arg(const char *query, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = query;
	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			size_t o = 0;
			for (size_t i = nl + 1; i < len && o + 1 < outlen; i++) {
				if (p[i] == '%' && i + 2 < len + 1 && hexv(p[i + 1]) >= 0 && hexv(p[i + 2]) >= 0) {
					out[o++] = (char)(hexv(p[i + 1]) * 16 + hexv(p[i + 2]));
					i += 2;
				} else {
					out[o++] = p[i] == '+' ? ' ' : p[i];
				}
			}
			out[o] = 0;
			return 0;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -ENOENT;
}

static int query_u32(struct api *a, const char *name, uint32_t dflt, uint32_t max, uint32_t *out)
{
	char v[24];
	if (cp_query_arg(a->rq->query, name, v, sizeof(v))) {
		*out = dflt;
		return 0;
	}
	char *end;
	unsigned long x = strtoul(v, &end, 10);
	if (!v[0] || *end || x == 0 || x > max) {
		char m[96];
		snprintf(m, sizeof(m), "'%s' must be 1..%u", name, max);
		cp_resp_err(a->rs, 400, "BAD_VALUE", name, m);
		return -EINVAL;
	}
	*out = (uint32_t)x;
	return 0;
}

/* ---- JSON bodies --------------------------------------------------------- */
static json_t *body_object(struct api *a)
{
	json_error_t je;
	json_t *root = json_loadb(a->rq->body ? a->rq->body : "", a->rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!root || !json_is_object(root)) {
		char m[160];
		if (root)
			snprintf(m, sizeof(m), "the body must be a JSON object");
		else
			snprintf(m, sizeof(m), "invalid JSON at line %d column %d: %.100s", je.line, je.column, je.text);
		json_decref(root);
		cp_resp_err(a->rs, 400, "BAD_JSON", "", m);
		return NULL;
	}
	return root;
}

static int check_keys(struct api *a, json_t *obj, const char *const *known)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (unsigned i = 0; known[i]; i++)
			ok |= !strcmp(k, known[i]);
		if (!ok) {
			char m[128];
			snprintf(m, sizeof(m), "unknown field '%.60s'", k);
			cp_resp_err(a->rs, 400, "UNKNOWN_FIELD", k, m);
			return -EINVAL;
		}
	}
	return 0;
}

/* Optional string field, 1..cap-1 bytes. 1 present, 0 absent, -1 error sent. */
static int get_str(struct api *a, json_t *obj, const char *key, char *out, size_t cap)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		char m[96];
		snprintf(m, sizeof(m), "'%s' must be a string of 1..%zu characters", key, cap - 1);
		cp_resp_err(a->rs, 400, "BAD_VALUE", key, m);
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 1;
}

static int get_bool(struct api *a, json_t *obj, const char *key, int *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		char m[96];
		snprintf(m, sizeof(m), "'%s' must be true or false", key);
		cp_resp_err(a->rs, 400, "BAD_TYPE", key, m);
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

static int get_uint(struct api *a, json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
		char m[96];
		snprintf(m, sizeof(m), "'%s' must be an integer 0..%llu", key, (unsigned long long)max);
		cp_resp_err(a->rs, 400, "BAD_VALUE", key, m);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 1;
}

static int get_money(struct api *a, json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (cp_json_price(v, out) || *out < 0) {
		char m[96];
		snprintf(m, sizeof(m), "'%s' must be a non-negative decimal", key);
		cp_resp_err(a->rs, 400, "BAD_VALUE", key, m);
		return -1;
	}
	return 1;
}

/* ---- users ----------------------------------------------------------------- */
void cp_user_json(struct cp *cp, struct cp_buf *b, const struct cp_user *u)
{
	int slot = (int)(u - cp->users);
	cp_buf_str(b, "{\"username\":");
	cp_buf_json_str(b, u->name, strlen(u->name));
	cp_buf_str(b, ",\"tenant\":");
	const char *tn = cp_tenant_name(cp, u->tenant);
	cp_buf_json_str(b, tn, strlen(tn));
	cp_buf_printf(b, ",\"tenantId\":%u,\"role\":\"%s\",\"account\":%u,\"session\":%u,\"disabled\":%s,\"instruments\":",
		      u->tenant, cp_role_name(u->role), u->account, OG_API_SESSION_BASE + (unsigned)slot,
		      u->disabled ? "true" : "false");
	if (u->all_instruments) {
		cp_buf_str(b, "\"*\"");
	} else {
		cp_buf_str(b, "[");
		for (unsigned i = 0; i < u->n_instruments; i++) {
			if (i)
				cp_buf_str(b, ",");
			cp_buf_json_str(b, u->instruments[i], strlen(u->instruments[i]));
		}
		cp_buf_str(b, "]");
	}
	cp_buf_str(b, ",\"maxNotional\":");
	cp_buf_json_px(b, u->max_notional ? u->max_notional : ORION_PX_NONE);
	cp_buf_str(b, "}");
}

int cp_authenticate(struct cp *cp, const char *bearer, size_t len, uint64_t wall_ns, struct cp_err *e,
		    uint64_t *exp_s)
{
	struct cp_claims c;
	int rc = cp_token_verify(cp->secret, cp->secret_len, bearer, len, wall_ns / 1000000000ull, &c);
	if (rc == -ETIMEDOUT)
		return cp_err_set(e, 401, "TOKEN_EXPIRED", "", "the token has expired; log in again"), -1;
	if (rc)
		return cp_err_set(e, 401, "TOKEN_INVALID", "", "the token is not valid"), -1;
	if (c.user >= CP_MAX_USERS || !cp->users[c.user].used)
		return cp_err_set(e, 401, "TOKEN_INVALID", "", "the token is not valid"), -1;
	const struct cp_user *u = &cp->users[c.user];
	if (u->disabled)
		return cp_err_set(e, 401, "USER_DISABLED", "", "this user is disabled"), -1;
	if (u->gen != c.gen)
		return cp_err_set(e, 401, "TOKEN_REVOKED", "", "the token was revoked; log in again"), -1;
	if (exp_s)
		*exp_s = c.exp_s;
	return (int)c.user;
}

static void iso(uint64_t wall_ns, char *out, size_t n)
{
	time_t s = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void h_login(struct api *a)
{
	static const char *const keys[] = { "tenant", "username", "password", NULL };
	struct cp *cp = a->cp;
	json_t *root = body_object(a);
	if (!root)
		return;
	char tenant[CP_NAME_LEN] = "", name[CP_NAME_LEN] = "", pw[1024] = "";
	int rc;
	if (check_keys(a, root, keys) || get_str(a, root, "tenant", tenant, sizeof(tenant)) < 0 ||
	    (rc = get_str(a, root, "username", name, sizeof(name))) < 0)
		goto out;
	if (!rc) {
		cp_resp_err(a->rs, 400, "MISSING_FIELD", "username", "'username' is required");
		goto out;
	}
	if ((rc = get_str(a, root, "password", pw, sizeof(pw))) <= 0) {
		if (!rc)
			cp_resp_err(a->rs, 400, "MISSING_FIELD", "password", "'password' is required");
		goto out;
	}
	int slot = cp_user_find(cp, name);
	if (slot < 0) {
		/* spend the same time as a real check, against any configured hash */
		for (int i = 0; i < CP_MAX_USERS; i++)
			if (cp->users[i].used) {
				cp_password_verify(cp->users[i].hash, pw, strlen(pw));
				break;
			}
		cp_count(cp, CP_C_LOGIN_FAIL, 1);
		cp_audit(cp, "login_failed", NULL, a->rq->peer, 0, "unknown user '%s'", name);
		cp_resp_err(a->rs, 401, "INVALID_CREDENTIALS", "", "unknown user or wrong password");
		goto out;
	}
	struct cp_user *u = &cp->users[slot];
	uint64_t retry;
	if (!cp_bucket_take(&u->login_rate, 1, 5, a->rq->now_ns, &retry)) {
		cp_audit(cp, "login_throttled", u, a->rq->peer, 0, "too many attempts");
		snprintf(a->rs->retry_after, sizeof(a->rs->retry_after), "%llu",
			 (unsigned long long)(retry / 1000000000ull + 1));
		cp_resp_err(a->rs, 429, "RATE_LIMITED", "", "too many login attempts; retry later");
		goto out;
	}
	uint32_t tid;
	if ((tenant[0] && (cp_tenant_id(cp, tenant, &tid) || tid != u->tenant)) ||
	    cp_password_verify(u->hash, pw, strlen(pw)) != 0) {
		cp_count(cp, CP_C_LOGIN_FAIL, 1);
		cp_audit(cp, "login_failed", u, a->rq->peer, 0, "wrong password or tenant");
		cp_resp_err(a->rs, 401, "INVALID_CREDENTIALS", "", "unknown user or wrong password");
		goto out;
	}
	if (u->disabled) {
		cp_count(cp, CP_C_LOGIN_FAIL, 1);
		cp_audit(cp, "login_failed", u, a->rq->peer, 0, "user disabled");
		cp_resp_err(a->rs, 403, "USER_DISABLED", "", "this user is disabled");
		goto out;
	}
	struct cp_claims c = { .user = (uint32_t)slot, .gen = u->gen };
	c.exp_s = a->rq->wall_ns / 1000000000ull + cp->cfg.token_ttl_ns / 1000000000ull;
	RAND_bytes((unsigned char *)&c.nonce, sizeof(c.nonce));
	char tok[200], exp[40];
	if (cp_token_sign(cp->secret, cp->secret_len, &c, tok, sizeof(tok)) < 0) {
		cp_resp_err(a->rs, 500, "INTERNAL", "", "cannot sign a token");
		goto out;
	}
	iso(c.exp_s * 1000000000ull, exp, sizeof(exp));
	cp_count(cp, CP_C_LOGIN_OK, 1);
	cp_audit(cp, "login", u, a->rq->peer, 1, "token expires %s", exp);
	ok_begin(a, 200);
	cp_buf_printf(&a->rs->body, "{\"token\":\"%s\",\"expiresAt\":\"%s\",\"expiresIn\":%llu,\"user\":", tok, exp,
		      (unsigned long long)(cp->cfg.token_ttl_ns / 1000000000ull));
	cp_user_json(cp, &a->rs->body, u);
	cp_buf_str(&a->rs->body, "}");
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	json_decref(root);
}

/* ---- market data ----------------------------------------------------------- */
static const char *instr_state_name(unsigned s)
{
	static const char *const n[] = { "OPEN", "HALTED", "CLOSED" };
	return s < 3 ? n[s] : "UNKNOWN";
}

static void h_instruments(struct api *a, int all)
{
	struct cp *cp = a->cp;
	ok_begin(a, 200);
	struct cp_buf *b = &a->rs->body;
	cp_buf_str(b, "{\"instruments\":[");
	int first = 1;
	for (unsigned i = 0; i < cp->n_instr; i++) {
		const struct cp_instrument *in = &cp->instr[i];
		if (!all && !cp_user_entitled(a->u, in->symbol))
			continue;
		cp_buf_str(b, first ? "{\"instrumentId\":" : ",{\"instrumentId\":");
		first = 0;
		cp_buf_json_str(b, in->symbol, strlen(in->symbol));
		cp_buf_printf(b, ",\"engineId\":%u,\"tick\":", in->id);
		cp_buf_json_px(b, in->tick);
		cp_buf_printf(b, ",\"lot\":%u,\"tradable\":true,\"state\":\"%s\"}", in->lot,
			      instr_state_name(in->state));
	}
	for (uint32_t s = 0; s < cp->n_syms; s++) {
		const char *sym = cp->syms[s].name;
		if (cp_instr_by_symbol(cp, sym) || (!all && !cp_user_entitled(a->u, sym)))
			continue;
		cp_buf_str(b, first ? "{\"instrumentId\":" : ",{\"instrumentId\":");
		first = 0;
		cp_buf_json_str(b, sym, strlen(sym));
		cp_buf_str(b, ",\"tradable\":false}");
	}
	cp_buf_str(b, "]}");
}

static void h_snapshot(struct api *a)
{
	struct cp *cp = a->cp;
	char sym[16];
	int one = cp_query_arg(a->rq->query, "instrumentId", sym, sizeof(sym)) == 0;
	if (one) {
		if (!cp_user_entitled(a->u, sym)) {
			cp_resp_err(a->rs, 403, "NOT_ENTITLED", "instrumentId", "not entitled to this instrument");
			return;
		}
		if (cp_sym_find(cp, sym) == UINT32_MAX) {
			cp_resp_err(a->rs, 404, "NOT_FOUND", "instrumentId", "no market data for this instrument");
			return;
		}
	}
	ok_begin(a, 200);
	struct cp_buf *b = &a->rs->body;
	cp_buf_str(b, "{\"instruments\":[");
	int first = 1;
	for (uint32_t s = 0; s < cp->n_syms; s++) {
		if (one ? strcmp(cp->syms[s].name, sym) : !cp_user_entitled(a->u, cp->syms[s].name))
			continue;
		for (uint32_t i = cp->syms[s].first; i != UINT32_MAX; i = cp->md[i].next_same_sym) {
			if (!first)
				cp_buf_str(b, ",");
			first = 0;
			cp_md_entry_json(cp, &cp->md[i], b);
		}
	}
	cp_buf_str(b, "]}");
}

/* ---- orders ------------------------------------------------------------------ */
static const char *owner_name(struct cp *cp, uint32_t user)
{
	return user < CP_MAX_USERS && cp->users[user].used ? cp->users[user].name : NULL;
}

static int send_req(struct api *a, struct og_api_req *req)
{
	struct cp *cp = a->cp;
	if (!cp->hooks.send_order) {
		cp_resp_err(a->rs, 503, "TRADING_UNAVAILABLE", "", "order entry is not available");
		return -ENOTSUP;
	}
	int rc = cp->hooks.send_order(cp->hooks.ctx, req);
	if (rc) {
		cp_count(cp, CP_C_ORDERS_BUSY, 1);
		snprintf(a->rs->retry_after, sizeof(a->rs->retry_after), "1");
		cp_resp_err(a->rs, 503, "BUSY", "", rc == -ENOBUFS ? "order path busy; retry" : "order entry failed");
		return rc;
	}
	return 0;
}

/* 503 BUSY: a record that must be journaled first could not be queued. */
static void journal_busy(struct api *a)
{
	cp_count(a->cp, CP_C_ORDERS_BUSY, 1);
	snprintf(a->rs->retry_after, sizeof(a->rs->retry_after), "1");
	cp_resp_err(a->rs, 503, "BUSY", "", "journal busy; retry");
}

/* A new API order. With an Idempotency-Key (a->idem_key) the journal gets
 * the key and this 202 response BEFORE the order goes to the order lcore
 * (cp.h, Persistence): the response is built first, its IDEM record pushed,
 * then the order sent; if sending fails, a record forgetting the key
 * follows and the answer is 503 (not cached). */
static void h_new_order(struct api *a)
{
	struct cp *cp = a->cp;
	struct cp_order_req o;
	struct cp_err e;
	if (!has_role(a, ROLES_TRADE, "enter orders"))
		return;
	if (cp_json_parse_order(a->rq->body ? a->rq->body : "", a->rq->body_len, &o, &e)) {
		cp_count(cp, CP_C_ORDERS_REFUSED, 1);
		cp_resp_cperr(a->rs, &e);
		return;
	}
	if (!cp_user_entitled(a->u, o.symbol)) {
		cp_count(cp, CP_C_ORDERS_REFUSED, 1);
		cp_resp_err(a->rs, 403, "NOT_ENTITLED", "instrumentId", "not entitled to trade this instrument");
		return;
	}
	const struct cp_instrument *in = cp_instr_by_symbol(cp, o.symbol);
	if (!in) {
		cp_count(cp, CP_C_ORDERS_REFUSED, 1);
		cp_resp_err(a->rs, 400, "UNKNOWN_INSTRUMENT", "instrumentId", "this instrument is not tradable here");
		return;
	}
	if (cp_order_check(&o, in, a->u->max_notional, cp_ref_price(cp, o.symbol, o.side), &e)) {
		cp_count(cp, CP_C_ORDERS_REFUSED, 1);
		cp_resp_cperr(a->rs, &e);
		return;
	}
	if (!cp->hooks.send_order) {
		cp_resp_err(a->rs, 503, "TRADING_UNAVAILABLE", "", "order entry is not available");
		return;
	}
	uint64_t corr;
	if (cp_next_corr(cp, &corr)) {
		journal_busy(a);
		return;
	}
	struct cp_order *ord = cp_orders_add(cp->orders, corr, a->slot, OG_API_SESSION_BASE + a->slot, a->u->tenant,
					     a->u->account, &o, in->id, a->rq->wall_ns);
	if (!ord) {
		snprintf(a->rs->retry_after, sizeof(a->rs->retry_after), "1");
		cp_resp_err(a->rs, 503, "ORDER_VIEW_FULL", "", "too many live orders in the view; retry later");
		return;
	}
	ok_begin(a, 202);
	cp_buf_printf(&a->rs->body, "{\"id\":\"A%llu\",\"clientOrderId\":", (unsigned long long)corr);
	if (o.client_id[0])
		cp_buf_json_str(&a->rs->body, o.client_id, strlen(o.client_id));
	else
		cp_buf_str(&a->rs->body, "null");
	cp_buf_str(&a->rs->body, ",\"status\":\"PENDING_NEW\",\"order\":");
	cp_order_json(&a->rs->body, ord, a->u->name);
	cp_buf_str(&a->rs->body, "}");
	int keyed = 0;
	if (a->idem_key && cp->jr_on) {
		int rc = a->rs->body.oom ? -ENOMEM
					 : cp_jr_idem(cp, a->slot, a->idem_key, a->idem_hash, 202, a->rs->body.p,
						      a->rs->body.len, corr, a->rq->wall_ns, 0);
		if (rc) {
			cp_orders_drop(cp->orders, ord);
			if (rc == -ENOBUFS)
				journal_busy(a);
			else
				cp_resp_err(a->rs, 500, "INTERNAL", "Idempotency-Key", "cannot journal this response");
			return;
		}
		keyed = 1;
	}
	struct og_api_req req = { .kind = OG_API_NEW, .side = o.side, .ord_type = o.type, .tif = o.tif,
				  .post_only = o.post_only, .user = a->slot, .tenant = a->u->tenant,
				  .account = a->u->account, .instrument = in->id, .qty = o.qty,
				  .price = o.type == ME_LIMIT ? o.price : 0, .corr = corr };
	if (send_req(a, &req)) { /* rs is now the 503 */
		if (keyed)
			cp_jr_idem(cp, a->slot, a->idem_key, a->idem_hash, 0, NULL, 0, corr, a->rq->wall_ns, 1);
		cp_orders_drop(cp->orders, ord);
		return;
	}
	cp_count(cp, CP_C_ORDERS_SENT, 1);
	cp_ws_on_order(cp, ord);
}

static void body_hash(const struct cp_req *rq, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 0;
	memset(out, 0, 32);
	if (!c)
		return;
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, rq->path, strlen(rq->path));
	EVP_DigestUpdate(c, "\n", 1);
	if (rq->body_len)
		EVP_DigestUpdate(c, rq->body, rq->body_len);
	EVP_DigestFinal_ex(c, out, &n);
	EVP_MD_CTX_free(c);
}

/* POST with an Idempotency-Key: replay, conflict, or run and remember. */
static void idempotent(struct api *a, void (*fn)(struct api *))
{
	struct cp *cp = a->cp;
	const char *key = a->rq->idem_key;
	if (!key || !*key) {
		fn(a);
		return;
	}
	if (!cp_idem_key_ok(key)) {
		cp_resp_err(a->rs, 400, "BAD_IDEMPOTENCY_KEY", "Idempotency-Key",
			    "Idempotency-Key must be 1..64 printable characters");
		return;
	}
	uint8_t *h = a->idem_hash;
	body_hash(a->rq, h);
	int status;
	const char *body;
	size_t len;
	switch (cp_idem_get(cp->idem, a->slot, key, h, a->rq->now_ns, &status, &body, &len)) {
	case CP_IDEM_HIT:
		cp_count(cp, CP_C_IDEM_REPLAY, 1);
		a->rs->status = status;
		a->rs->body.len = 0;
		cp_buf_add(&a->rs->body, body, len);
		a->rs->replayed = 1;
		return;
	case CP_IDEM_CONFLICT:
		cp_count(cp, CP_C_IDEM_CONFLICT, 1);
		cp_resp_err(a->rs, 409, "IDEMPOTENCY_CONFLICT", "Idempotency-Key",
			    "this Idempotency-Key was used with a different request");
		return;
	case CP_IDEM_MISS:
		break;
	}
	a->idem_key = key; /* the handler journals the key with its response (h_new_order) */
	fn(a);
	if (a->rs->status < 500 && a->rs->status != 429 && !a->rs->body.oom)
		cp_idem_put(cp->idem, a->slot, key, h, a->rq->now_ns, a->rs->status, a->rs->body.p ? a->rs->body.p : "",
			    a->rs->body.len);
}

/* The caller's order by id, or NULL with a 404/403 answered. own: must own it. */
static struct cp_order *my_order(struct api *a, const char *id, int own)
{
	struct cp_order *o = cp_orders_find(a->cp->orders, id);
	if (!o || !cp_can_see(a->u, a->slot, o->tenant, o->user)) {
		cp_resp_err(a->rs, 404, "NOT_FOUND", "id", "no such order");
		return NULL;
	}
	if (own && (o->user != a->slot || o->tenant != a->u->tenant)) {
		cp_resp_err(a->rs, 403, "NOT_OWNER", "id", "only the owner of an order may change it");
		return NULL;
	}
	return o;
}

static int order_changeable(struct api *a, struct cp_order *o)
{
	if (!cp_order_is_live(o)) {
		cp_resp_err(a->rs, 409, "ORDER_NOT_LIVE", "id", "the order is no longer live");
		return 0;
	}
	if (o->status == CP_OS_PENDING_NEW || !o->order_id) {
		cp_resp_err(a->rs, 409, "ORDER_PENDING", "id", "the order is not acknowledged yet; retry");
		return 0;
	}
	if (o->pending) {
		cp_resp_err(a->rs, 409, "REQUEST_PENDING", "id", "a cancel or amend of this order is in flight");
		return 0;
	}
	return 1;
}

static void reply_pending(struct api *a, struct cp_order *o, uint64_t corr)
{
	char id[24];
	cp_order_id_str(o, id);
	ok_begin(a, 202);
	cp_buf_printf(&a->rs->body, "{\"id\":\"%s\",\"requestId\":\"A%llu\",\"status\":\"%s\",\"pendingAction\":\"%s\"}",
		      id, (unsigned long long)corr, cp_ord_status_name(o->status),
		      o->pending == CP_PEND_CANCEL ? "CANCEL" : "AMEND");
	cp_ws_on_order(a->cp, o);
}

static void h_cancel(struct api *a)
{
	if (!has_role(a, ROLES_TRADE, "cancel orders"))
		return;
	struct cp_order *o = my_order(a, a->seg[1], 1);
	if (!o || !order_changeable(a, o))
		return;
	uint64_t corr;
	if (cp_next_corr(a->cp, &corr)) {
		journal_busy(a);
		return;
	}
	struct og_api_req req = { .kind = OG_API_CANCEL, .user = a->slot, .tenant = o->tenant, .account = o->account,
				  .instrument = o->instrument, .order_id = o->order_id, .corr = corr };
	if (send_req(a, &req))
		return;
	cp_count(a->cp, CP_C_CANCELS_SENT, 1);
	o->pending = CP_PEND_CANCEL;
	o->pending_corr = corr;
	o->rev++;
	reply_pending(a, o, corr);
}

static void h_amend(struct api *a)
{
	struct cp *cp = a->cp;
	if (!has_role(a, ROLES_TRADE, "amend orders"))
		return;
	uint32_t qty = 0;
	int64_t px = 0;
	int has_q, has_p;
	struct cp_err e;
	if (cp_json_parse_amend(a->rq->body ? a->rq->body : "", a->rq->body_len, &qty, &has_q, &px, &has_p, &e)) {
		cp_resp_cperr(a->rs, &e);
		return;
	}
	struct cp_order *o = my_order(a, a->seg[1], 1);
	if (!o || !order_changeable(a, o))
		return;
	if (o->type != ME_LIMIT) {
		cp_resp_err(a->rs, 409, "NOT_AMENDABLE", "id", "only LIMIT orders can be amended");
		return;
	}
	struct cp_order_req r = { .side = o->side, .type = ME_LIMIT, .tif = o->tif, .qty = has_q ? qty : o->qty,
				  .price = has_p ? px : o->price };
	memcpy(r.symbol, o->symbol, sizeof(r.symbol));
	const struct cp_instrument *in = cp_instr_by_symbol(cp, o->symbol);
	if (in && cp_order_check(&r, in, a->u->max_notional, ORION_PX_NONE, &e)) {
		cp_resp_cperr(a->rs, &e);
		return;
	}
	if (r.qty <= o->cum) {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "quantity", "quantity must exceed the filled quantity");
		return;
	}
	uint64_t corr;
	if (cp_next_corr(cp, &corr)) {
		journal_busy(a);
		return;
	}
	struct og_api_req req = { .kind = OG_API_AMEND, .user = a->slot, .tenant = o->tenant, .account = o->account,
				  .instrument = o->instrument, .qty = r.qty, .price = r.price, .order_id = o->order_id,
				  .corr = corr };
	if (send_req(a, &req))
		return;
	cp_count(cp, CP_C_AMENDS_SENT, 1);
	o->pending = CP_PEND_AMEND;
	o->pending_corr = corr;
	o->rev++;
	reply_pending(a, o, corr);
}

static int by_created_desc(const void *x, const void *y)
{
	const struct cp_order *a = *(const struct cp_order *const *)x, *b = *(const struct cp_order *const *)y;
	if (a->created_ns != b->created_ns)
		return a->created_ns < b->created_ns ? 1 : -1;
	uint64_t ka = a->corr ? a->corr : a->order_id, kb = b->corr ? b->corr : b->order_id;
	return ka < kb ? 1 : ka > kb ? -1 : 0;
}

static void h_list_orders(struct api *a)
{
	struct cp *cp = a->cp;
	uint32_t limit;
	char st[16] = "all", sym[16] = "";
	if (query_u32(a, "limit", 100, 1000, &limit))
		return;
	cp_query_arg(a->rq->query, "status", st, sizeof(st));
	cp_query_arg(a->rq->query, "instrumentId", sym, sizeof(sym));
	int open_only = !strcmp(st, "open");
	if (!open_only && strcmp(st, "all")) {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "status", "'status' is open or all");
		return;
	}
	const struct cp_order **sel = malloc(sizeof(*sel) * cp->cfg.max_orders);
	if (!sel) {
		cp_resp_err(a->rs, 503, "BUSY", "", "out of memory");
		return;
	}
	uint32_t n = 0;
	const struct cp_order *o;
	for (uint32_t k = 0; k < cp->cfg.max_orders && (o = cp_orders_nth(cp->orders, k)); k++) {
		if (!o->used || !cp_can_see(a->u, a->slot, o->tenant, o->user) || (open_only && !cp_order_is_live(o)) ||
		    (sym[0] && strcmp(sym, o->symbol)))
			continue;
		sel[n++] = o;
	}
	qsort(sel, n, sizeof(*sel), by_created_desc);
	ok_begin(a, 200);
	cp_buf_str(&a->rs->body, "{\"orders\":[");
	for (uint32_t i = 0; i < n && i < limit; i++) {
		if (i)
			cp_buf_str(&a->rs->body, ",");
		cp_order_json(&a->rs->body, sel[i], owner_name(cp, sel[i]->user));
	}
	cp_buf_printf(&a->rs->body, "],\"count\":%u}", n < limit ? n : limit);
	free(sel);
}

static void h_get_order(struct api *a)
{
	struct cp_order *o = my_order(a, a->seg[1], 0);
	if (!o)
		return;
	ok_begin(a, 200);
	cp_order_json(&a->rs->body, o, owner_name(a->cp, o->user));
}

static void h_trades(struct api *a, const char *id)
{
	struct cp *cp = a->cp;
	uint32_t limit;
	if (query_u32(a, "limit", 100, 1000, &limit))
		return;
	uint64_t want = 0;
	if (id) {
		char *end;
		want = strtoull(id, &end, 10);
		if (!*id || *end || !want) {
			cp_resp_err(a->rs, 404, "NOT_FOUND", "id", "no such trade");
			return;
		}
	}
	ok_begin(a, 200);
	if (!id)
		cp_buf_str(&a->rs->body, "{\"trades\":[");
	uint32_t n = 0;
	const struct cp_trade *t;
	for (uint32_t k = 0; k < cp->cfg.max_trades && n < limit && (t = cp_trades_nth(cp->orders, k)); k++) {
		if (!t->used || !cp_can_see(a->u, a->slot, t->tenant, t->user) || (id && t->trade_id != want))
			continue;
		if (id) {
			cp_trade_json(&a->rs->body, t, owner_name(cp, t->user));
			return;
		}
		if (n++)
			cp_buf_str(&a->rs->body, ",");
		cp_trade_json(&a->rs->body, t, owner_name(cp, t->user));
	}
	if (id) {
		cp_resp_err(a->rs, 404, "NOT_FOUND", "id", "no such trade");
		return;
	}
	cp_buf_printf(&a->rs->body, "],\"count\":%u}", n);
}

/* ---- admin: users -------------------------------------------------------------- */
static int user_visible(struct api *a, const struct cp_user *t)
{
	return a->u->role == CP_ROLE_PLATFORM || t->tenant == a->u->tenant;
}

static void h_users(struct api *a)
{
	struct cp *cp = a->cp;
	ok_begin(a, 200);
	cp_buf_str(&a->rs->body, "{\"users\":[");
	int first = 1;
	for (int i = 0; i < CP_MAX_USERS; i++) {
		struct cp_user *t = &cp->users[i];
		if (!t->used || !user_visible(a, t))
			continue;
		if (!first)
			cp_buf_str(&a->rs->body, ",");
		first = 0;
		cp_user_json(cp, &a->rs->body, t);
	}
	cp_buf_str(&a->rs->body, "]}");
}

static int valid_username(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= CP_NAME_LEN)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* instruments: "*" or an array of symbols. */
static int get_instruments(struct api *a, json_t *obj, struct cp_user *t)
{
	json_t *v = json_object_get(obj, "instruments");
	if (!v)
		return 0;
	if (json_is_string(v) && !strcmp(json_string_value(v), "*")) {
		t->all_instruments = 1;
		t->n_instruments = 0;
		return 1;
	}
	if (!json_is_array(v) || json_array_size(v) > CP_MAX_ENTITLED) {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "instruments", "'instruments' is \"*\" or an array of up to 64 symbols");
		return -1;
	}
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x) {
		if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > ORION_SYMBOL_LEN) {
			cp_resp_err(a->rs, 400, "BAD_VALUE", "instruments", "instrument symbols are 1..8 characters");
			return -1;
		}
	}
	t->all_instruments = 0;
	t->n_instruments = 0;
	json_array_foreach(v, i, x) {
		memcpy(t->instruments[t->n_instruments], json_string_value(x), json_string_length(x) + 1);
		t->n_instruments++;
	}
	return 1;
}

static int set_password(struct api *a, struct cp_user *t, const char *pw)
{
	if (strlen(pw) < 8) {
		cp_resp_err(a->rs, 400, "WEAK_PASSWORD", "password", "passwords have at least 8 characters");
		return -1;
	}
	char h[CP_HASH_LEN];
	if (cp_hash_password(pw, 2, 19456, h, sizeof(h))) {
		cp_resp_err(a->rs, 500, "INTERNAL", "password", "cannot hash the password");
		return -1;
	}
	memcpy(t->hash, h, sizeof(h));
	return 0;
}

static int role_allowed(struct api *a, int role)
{
	if (role == CP_ROLE_PLATFORM && a->u->role != CP_ROLE_PLATFORM) {
		cp_resp_err(a->rs, 403, "FORBIDDEN", "role", "only PLATFORM may grant PLATFORM");
		return 0;
	}
	return 1;
}

static void h_create_user(struct api *a)
{
	static const char *const keys[] = { "username", "password", "role", "tenant", "instruments", "maxNotional",
					    "account", "disabled", NULL };
	struct cp *cp = a->cp;
	json_t *root = body_object(a);
	if (!root)
		return;
	char name[CP_NAME_LEN] = "", pw[1024] = "", role[16] = "TRADER", tenant[CP_NAME_LEN] = "";
	struct cp_user nu = { 0 };
	uint64_t acct = UINT64_MAX; /* unset: the user's own account, OG_API_ACCOUNT_BASE + slot */
	int dis = 0, r;
	if (check_keys(a, root, keys) || (r = get_str(a, root, "username", name, sizeof(name))) < 0)
		goto out;
	if (!r || !valid_username(name)) {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "username", "'username' is 1..31 of [A-Za-z0-9_.-]");
		goto out;
	}
	if ((r = get_str(a, root, "password", pw, sizeof(pw))) <= 0) {
		if (!r)
			cp_resp_err(a->rs, 400, "MISSING_FIELD", "password", "'password' is required");
		goto out;
	}
	if (get_str(a, root, "role", role, sizeof(role)) < 0 || get_str(a, root, "tenant", tenant, sizeof(tenant)) < 0 ||
	    get_instruments(a, root, &nu) < 0 || get_money(a, root, "maxNotional", &nu.max_notional) < 0 ||
	    get_uint(a, root, "account", CP_MAX_ACCOUNTS - 1, &acct) < 0 || get_bool(a, root, "disabled", &dis) < 0)
		goto out;
	int ro = cp_role_parse(role);
	if (ro < 0) {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "role", "unknown role");
		goto out;
	}
	if (!role_allowed(a, ro))
		goto out;
	nu.tenant = a->u->tenant;
	if (tenant[0]) {
		uint32_t tid;
		if (cp_tenant_id(cp, tenant, &tid)) {
			cp_resp_err(a->rs, 400, "BAD_VALUE", "tenant", "unknown tenant");
			goto out;
		}
		if (tid != a->u->tenant && a->u->role != CP_ROLE_PLATFORM) {
			cp_resp_err(a->rs, 403, "FORBIDDEN", "tenant", "users of another tenant are not yours to create");
			goto out;
		}
		nu.tenant = tid;
	}
	if (cp_user_find(cp, name) >= 0) {
		cp_resp_err(a->rs, 409, "USER_EXISTS", "username", "a user of that name exists");
		goto out;
	}
	int slot = -1;
	for (int i = 0; i < CP_MAX_USERS && slot < 0; i++)
		if (!cp->users[i].used)
			slot = i;
	if (slot < 0) {
		cp_resp_err(a->rs, 409, "TOO_MANY_USERS", "", "no free user slot");
		goto out;
	}
	if (set_password(a, &nu, pw))
		goto out;
	nu.used = 1;
	memcpy(nu.name, name, sizeof(nu.name));
	nu.role = (uint8_t)ro;
	nu.account = acct == UINT64_MAX ? OG_API_ACCOUNT_BASE + (uint32_t)slot : (uint32_t)acct;
	nu.disabled = (uint8_t)dis;
	nu.gen = 1;
	cp_bucket_init(&nu.rate, cp->cfg.rate_limit_burst, a->rq->now_ns);
	cp_bucket_init(&nu.login_rate, 5, a->rq->now_ns);
	cp->users[slot] = nu;
	cp_jr_user(cp, (uint32_t)slot);
	cp_audit(cp, "user_created", a->u, a->rq->peer, 1, "user '%s' role %s tenant %s", name, cp_role_name(nu.role),
		 cp_tenant_name(cp, nu.tenant));
	ok_begin(a, 201);
	cp_user_json(cp, &a->rs->body, &cp->users[slot]);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	json_decref(root);
}

static void h_patch_user(struct api *a)
{
	static const char *const keys[] = { "disabled", "role", "password", "instruments", "maxNotional", "account",
					    NULL };
	struct cp *cp = a->cp;
	int slot = cp_user_find(cp, a->seg[2]);
	if (slot < 0 || !user_visible(a, &cp->users[slot])) {
		cp_resp_err(a->rs, 404, "NOT_FOUND", "username", "no such user");
		return;
	}
	struct cp_user *t = &cp->users[slot];
	if (t->role == CP_ROLE_PLATFORM && a->u->role != CP_ROLE_PLATFORM) {
		cp_resp_err(a->rs, 403, "FORBIDDEN", "username", "only PLATFORM may change a PLATFORM user");
		return;
	}
	json_t *root = body_object(a);
	if (!root)
		return;
	struct cp_user nu = *t;
	char role[16] = "", pw[1024] = "";
	int dis = t->disabled, r, revoke = 0;
	uint64_t acct = t->account;
	if (check_keys(a, root, keys) || get_bool(a, root, "disabled", &dis) < 0 ||
	    get_str(a, root, "role", role, sizeof(role)) < 0 || (r = get_str(a, root, "password", pw, sizeof(pw))) < 0 ||
	    get_instruments(a, root, &nu) < 0 || get_money(a, root, "maxNotional", &nu.max_notional) < 0 ||
	    get_uint(a, root, "account", CP_MAX_ACCOUNTS - 1, &acct) < 0)
		goto out;
	if (role[0]) {
		int ro = cp_role_parse(role);
		if (ro < 0) {
			cp_resp_err(a->rs, 400, "BAD_VALUE", "role", "unknown role");
			goto out;
		}
		if (!role_allowed(a, ro))
			goto out;
		revoke |= ro != t->role;
		nu.role = (uint8_t)ro;
	}
	if (dis && slot == (int)a->slot) {
		cp_resp_err(a->rs, 409, "SELF_DISABLE", "disabled", "you cannot disable yourself");
		goto out;
	}
	if (r > 0) {
		if (set_password(a, &nu, pw))
			goto out;
		revoke = 1;
	}
	revoke |= dis && !t->disabled;
	nu.disabled = (uint8_t)dis;
	nu.account = (uint32_t)acct;
	if (revoke)
		nu.gen++;
	*t = nu;
	cp_jr_user(cp, (uint32_t)slot);
	cp_audit(cp, "user_changed", a->u, a->rq->peer, 1, "user '%s':%s%s%s%s", t->name,
		 json_object_get(root, "disabled") ? (dis ? " disabled" : " enabled") : "", role[0] ? " role" : "",
		 r > 0 ? " password" : "", revoke ? " (tokens revoked)" : "");
	if (revoke)
		cp_ws_close_user(cp, (uint32_t)slot, t->disabled ? "user disabled" : "credentials changed");
	ok_begin(a, 200);
	cp_user_json(cp, &a->rs->body, t);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	json_decref(root);
}

/* ---- admin: limits, kill switch, sessions, flags ------------------------------- */
static int account_in_tenant(struct cp *cp, uint32_t account, uint32_t tenant)
{
	for (int i = 0; i < CP_MAX_USERS; i++)
		if (cp->users[i].used && cp->users[i].tenant == tenant && cp->users[i].account == account)
			return 1;
	return 0;
}

/* May a (non-platform) caller see / send this command? */
static int cmd_in_tenant(struct cp *cp, const struct risk_cmd *c, uint32_t tenant)
{
	switch (c->type) {
	case RISK_CMD_ACCOUNT_LIMITS:
		return c->id != RISK_ID_ALL && account_in_tenant(cp, c->id, tenant);
	case RISK_CMD_SESSION_LIMITS:
		return c->id >= OG_API_SESSION_BASE && c->id < OG_API_SESSION_BASE + CP_MAX_USERS &&
		       cp->users[c->id - OG_API_SESSION_BASE].used &&
		       cp->users[c->id - OG_API_SESSION_BASE].tenant == tenant;
	case RISK_CMD_KILL:
		if (c->scope == RISK_SCOPE_TENANT)
			return c->id == tenant;
		if (c->scope == RISK_SCOPE_SESSION)
			return c->id >= OG_API_SESSION_BASE && c->id < OG_API_SESSION_BASE + CP_MAX_USERS &&
			       cp->users[c->id - OG_API_SESSION_BASE].used &&
			       cp->users[c->id - OG_API_SESSION_BASE].tenant == tenant;
		if (c->scope == RISK_SCOPE_ACCOUNT)
			return account_in_tenant(cp, c->id, tenant);
		return 0;
	default:
		return 0;
	}
}

static const char *scope_name(unsigned s)
{
	static const char *const n[] = { "global", "tenant", "session", "account" };
	return s < 4 ? n[s] : "?";
}

static void risk_cmd_json(struct cp_buf *b, const struct risk_cmd *c)
{
	switch (c->type) {
	case RISK_CMD_ACCOUNT_LIMITS:
		cp_buf_printf(b, "{\"scope\":\"account\",\"account\":%u,\"maxOrderQty\":%u,\"maxOpenOrders\":%u,", c->id,
			      c->u.account.max_order_qty, c->u.account.max_open_orders);
		cp_buf_str(b, "\"maxNotional\":");
		cp_buf_json_px(b, c->u.account.max_order_notional);
		cp_buf_str(b, ",\"creditLimit\":");
		cp_buf_json_px(b, c->u.account.credit_limit);
		cp_buf_str(b, "}");
		return;
	case RISK_CMD_SESSION_LIMITS:
		cp_buf_printf(b, "{\"scope\":\"session\",\"session\":%u,\"maxOpenOrders\":%u,\"ratePerSec\":%u,\"burst\":%u}",
			      c->id, c->u.session.max_open_orders, c->u.session.rate_per_s, c->u.session.burst);
		return;
	case RISK_CMD_COLLAR:
		cp_buf_printf(b, "{\"scope\":\"collar\",\"instrument\":%lld,\"bps\":%u}",
			      c->id == RISK_ID_ALL ? -1LL : (long long)c->id, c->u.collar_bps);
		return;
	case RISK_CMD_REF_PRICE:
		cp_buf_printf(b, "{\"scope\":\"refPrice\",\"instrument\":%u,\"price\":", c->id);
		cp_buf_json_px(b, c->u.ref_px);
		cp_buf_str(b, "}");
		return;
	case RISK_CMD_INSTR_STATE:
		cp_buf_printf(b, "{\"scope\":\"instrumentState\",\"instrument\":%u,\"state\":\"%s\"}", c->id,
			      instr_state_name(c->u.state));
		return;
	case RISK_CMD_KILL:
		cp_buf_printf(b, "{\"scope\":\"kill\",\"killScope\":\"%s\",\"id\":%u,\"on\":%s,\"cancel\":%s}",
			      scope_name(c->scope), c->id, c->flags & RISK_CMDF_ON ? "true" : "false",
			      c->flags & RISK_CMDF_CANCEL ? "true" : "false");
		return;
	default:
		cp_buf_str(b, "{}");
	}
}

static void h_get_limits(struct api *a)
{
	struct cp *cp = a->cp;
	int plat = a->u->role == CP_ROLE_PLATFORM;
	ok_begin(a, 200);
	struct cp_buf *b = &a->rs->body;
	cp_buf_str(b, "{\"commands\":[");
	int first = 1;
	for (int i = 0; i < CP_RISK_LOG; i++) {
		const struct cp_risk_log *l = &cp->risk_log[i];
		if (!l->used || (!plat && !cmd_in_tenant(cp, &l->cmd, a->u->tenant)))
			continue;
		if (!first)
			cp_buf_str(b, ",");
		first = 0;
		cp_buf_str(b, "{\"command\":");
		risk_cmd_json(b, &l->cmd);
		cp_buf_str(b, ",\"by\":");
		cp_buf_json_str(b, l->by, strlen(l->by));
		cp_buf_printf(b, ",\"time\":%llu}", (unsigned long long)(l->wall_ns / 1000000));
	}
	cp_buf_str(b, "],\"users\":[");
	first = 1;
	for (int i = 0; i < CP_MAX_USERS; i++) {
		const struct cp_user *t = &cp->users[i];
		if (!t->used || !user_visible(a, t))
			continue;
		if (!first)
			cp_buf_str(b, ",");
		first = 0;
		cp_buf_str(b, "{\"username\":");
		cp_buf_json_str(b, t->name, strlen(t->name));
		cp_buf_str(b, ",\"maxNotional\":");
		cp_buf_json_px(b, t->max_notional ? t->max_notional : ORION_PX_NONE);
		cp_buf_printf(b, ",\"session\":%u,\"account\":%u}", OG_API_SESSION_BASE + (unsigned)i, t->account);
	}
	cp_buf_str(b, "]}");
}

static int send_cmd(struct api *a, const struct risk_cmd *c, const char *what)
{
	struct cp *cp = a->cp;
	int rc = cp->hooks.send_risk_cmd ? cp->hooks.send_risk_cmd(cp->hooks.ctx, c) : -ENOTSUP;
	struct cp_buf d = { 0 };
	risk_cmd_json(&d, c);
	cp_audit(cp, what, a->u, a->rq->peer, rc == 0, "%s%s", d.p ? d.p : "", rc ? " (not sent)" : "");
	if (rc) {
		cp_buf_free(&d);
		cp_count(cp, CP_C_RISK_CMDS_FAIL, 1);
		snprintf(a->rs->retry_after, sizeof(a->rs->retry_after), "1");
		cp_resp_err(a->rs, 503, rc == -ENOBUFS ? "BUSY" : "RISK_UNAVAILABLE", "",
			    rc == -ENOBUFS ? "command ring full; retry" : "risk commands are not available");
		return rc;
	}
	cp_count(cp, CP_C_RISK_CMDS, 1);
	cp_risk_log_add(cp, c, a->u->name);
	ok_begin(a, 202);
	cp_buf_str(&a->rs->body, "{\"ok\":true,\"command\":");
	cp_buf_add(&a->rs->body, d.p ? d.p : "{}", d.p ? d.len : 2);
	cp_buf_str(&a->rs->body, "}");
	cp_buf_free(&d);
	return 0;
}

/* "user": name -> its API session id, checking the tenant. */
static int user_session(struct api *a, json_t *root, uint32_t *sess)
{
	char name[CP_NAME_LEN];
	int r = get_str(a, root, "user", name, sizeof(name));
	if (r < 0)
		return -1;
	if (r > 0) {
		int slot = cp_user_find(a->cp, name);
		if (slot < 0 || !user_visible(a, &a->cp->users[slot])) {
			cp_resp_err(a->rs, 404, "NOT_FOUND", "user", "no such user");
			return -1;
		}
		*sess = OG_API_SESSION_BASE + (uint32_t)slot;
		return 1;
	}
	uint64_t s;
	if ((r = get_uint(a, root, "session", UINT32_MAX - 1, &s)) < 0)
		return -1;
	if (!r) {
		cp_resp_err(a->rs, 400, "MISSING_FIELD", "user", "'user' (or 'session' for PLATFORM) is required");
		return -1;
	}
	if (a->u->role != CP_ROLE_PLATFORM) {
		cp_resp_err(a->rs, 403, "FORBIDDEN", "session", "only PLATFORM addresses sessions by number");
		return -1;
	}
	*sess = (uint32_t)s;
	return 1;
}

static int tenant_account(struct api *a, json_t *root, uint32_t *acct)
{
	uint64_t v;
	int r = get_uint(a, root, "account", CP_MAX_ACCOUNTS - 1, &v);
	if (r <= 0) {
		if (!r)
			cp_resp_err(a->rs, 400, "MISSING_FIELD", "account", "'account' is required");
		return -1;
	}
	if (a->u->role != CP_ROLE_PLATFORM && !account_in_tenant(a->cp, (uint32_t)v, a->u->tenant)) {
		cp_resp_err(a->rs, 403, "FORBIDDEN", "account", "this account is not one of your tenant's");
		return -1;
	}
	*acct = (uint32_t)v;
	return 0;
}

static int instrument_arg(struct api *a, json_t *root, uint32_t *id, int allow_all)
{
	char sym[16];
	int r = get_str(a, root, "instrumentId", sym, sizeof(sym));
	if (r <= 0) {
		if (!r)
			cp_resp_err(a->rs, 400, "MISSING_FIELD", "instrumentId", "'instrumentId' is required");
		return -1;
	}
	if (allow_all && !strcmp(sym, "*")) {
		*id = RISK_ID_ALL;
		return 0;
	}
	const struct cp_instrument *in = cp_instr_by_symbol(a->cp, sym);
	if (!in) {
		cp_resp_err(a->rs, 400, "UNKNOWN_INSTRUMENT", "instrumentId", "unknown instrument");
		return -1;
	}
	*id = in->id;
	return 0;
}

static void h_put_limits(struct api *a)
{
	static const char *const keys[] = { "scope", "user", "session", "account", "instrumentId", "maxOrderQty",
					    "maxOpenOrders", "maxNotional", "creditLimit", "ratePerSec", "burst",
					    "bps", "price", NULL };
	struct cp *cp = a->cp;
	json_t *root = body_object(a);
	if (!root)
		return;
	char scope[16];
	struct risk_cmd c = { 0 };
	uint64_t v;
	int r;
	if (check_keys(a, root, keys) || (r = get_str(a, root, "scope", scope, sizeof(scope))) < 0)
		goto out;
	if (!r) {
		cp_resp_err(a->rs, 400, "MISSING_FIELD", "scope", "'scope' is required");
		goto out;
	}
	if (!strcmp(scope, "user")) {
		/* the control plane's own per-order notional limit of an API user */
		char name[CP_NAME_LEN];
		int64_t mn = 0;
		if ((r = get_str(a, root, "user", name, sizeof(name))) <= 0) {
			if (!r)
				cp_resp_err(a->rs, 400, "MISSING_FIELD", "user", "'user' is required");
			goto out;
		}
		int slot = cp_user_find(cp, name);
		if (slot < 0 || !user_visible(a, &cp->users[slot])) {
			cp_resp_err(a->rs, 404, "NOT_FOUND", "user", "no such user");
			goto out;
		}
		if ((r = get_money(a, root, "maxNotional", &mn)) <= 0) {
			if (!r)
				cp_resp_err(a->rs, 400, "MISSING_FIELD", "maxNotional", "'maxNotional' is required");
			goto out;
		}
		cp->users[slot].max_notional = mn;
		cp_jr_user(cp, (uint32_t)slot);
		char m[24];
		cp_fmt_price(m, mn);
		cp_audit(cp, "limits_user", a->u, a->rq->peer, 1, "user '%s' maxNotional %s", name, m);
		ok_begin(a, 200);
		cp_user_json(cp, &a->rs->body, &cp->users[slot]);
		goto out;
	}
	if (!strcmp(scope, "account")) {
		c.type = RISK_CMD_ACCOUNT_LIMITS;
		if (tenant_account(a, root, &c.id))
			goto out;
		if ((r = get_uint(a, root, "maxOrderQty", UINT32_MAX, &v)) < 0)
			goto out;
		c.u.account.max_order_qty = r ? (uint32_t)v : 0;
		if ((r = get_uint(a, root, "maxOpenOrders", UINT32_MAX, &v)) < 0)
			goto out;
		c.u.account.max_open_orders = r ? (uint32_t)v : 0;
		if (get_money(a, root, "maxNotional", &c.u.account.max_order_notional) < 0 ||
		    get_money(a, root, "creditLimit", &c.u.account.credit_limit) < 0)
			goto out;
	} else if (!strcmp(scope, "session")) {
		c.type = RISK_CMD_SESSION_LIMITS;
		if (user_session(a, root, &c.id) < 0)
			goto out;
		if ((r = get_uint(a, root, "maxOpenOrders", UINT32_MAX, &v)) < 0)
			goto out;
		c.u.session.max_open_orders = r ? (uint32_t)v : 0;
		if ((r = get_uint(a, root, "ratePerSec", UINT32_MAX, &v)) < 0)
			goto out;
		c.u.session.rate_per_s = r ? (uint32_t)v : 0;
		if ((r = get_uint(a, root, "burst", UINT32_MAX, &v)) < 0)
			goto out;
		c.u.session.burst = r ? (uint32_t)v : (c.u.session.rate_per_s ? c.u.session.rate_per_s : 0);
	} else if (!strcmp(scope, "collar") || !strcmp(scope, "refPrice")) {
		if (a->u->role != CP_ROLE_PLATFORM) {
			cp_resp_err(a->rs, 403, "FORBIDDEN", "scope", "only PLATFORM sets collars and reference prices");
			goto out;
		}
		if (scope[0] == 'c') {
			c.type = RISK_CMD_COLLAR;
			if (instrument_arg(a, root, &c.id, 1) || (r = get_uint(a, root, "bps", 100000, &v)) < 0)
				goto out;
			if (!r) {
				cp_resp_err(a->rs, 400, "MISSING_FIELD", "bps", "'bps' is required");
				goto out;
			}
			c.u.collar_bps = (uint32_t)v;
		} else {
			c.type = RISK_CMD_REF_PRICE;
			if (instrument_arg(a, root, &c.id, 0))
				goto out;
			json_t *p = json_object_get(root, "price");
			if (!p || cp_json_price(p, &c.u.ref_px) || c.u.ref_px <= 0) {
				cp_resp_err(a->rs, 400, "BAD_VALUE", "price", "'price' must be a positive decimal");
				goto out;
			}
		}
	} else {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "scope", "scope is user, account, session, collar or refPrice");
		goto out;
	}
	send_cmd(a, &c, "limits");
out:
	json_decref(root);
}

static void h_kill(struct api *a)
{
	static const char *const keys[] = { "scope", "tenant", "user", "session", "account", "on", "cancel", NULL };
	struct cp *cp = a->cp;
	json_t *root = body_object(a);
	if (!root)
		return;
	char scope[16], tenant[CP_NAME_LEN] = "";
	int on = 1, cancel = 0, r;
	struct risk_cmd c = { .type = RISK_CMD_KILL };
	if (check_keys(a, root, keys) || (r = get_str(a, root, "scope", scope, sizeof(scope))) < 0 ||
	    get_bool(a, root, "on", &on) < 0 || get_bool(a, root, "cancel", &cancel) < 0)
		goto out;
	if (!r) {
		cp_resp_err(a->rs, 400, "MISSING_FIELD", "scope", "'scope' is required");
		goto out;
	}
	c.flags = (uint8_t)((on ? RISK_CMDF_ON : 0) | (cancel ? RISK_CMDF_CANCEL : 0));
	uint32_t notify = a->u->tenant;
	if (!strcmp(scope, "global")) {
		if (a->u->role != CP_ROLE_PLATFORM) {
			cp_resp_err(a->rs, 403, "FORBIDDEN", "scope", "only PLATFORM may use the global kill switch");
			goto out;
		}
		c.scope = RISK_SCOPE_GLOBAL;
		notify = CP_TENANT_ALL;
	} else if (!strcmp(scope, "tenant")) {
		c.scope = RISK_SCOPE_TENANT;
		c.id = a->u->tenant;
		if ((r = get_str(a, root, "tenant", tenant, sizeof(tenant))) < 0)
			goto out;
		if (r && cp_tenant_id(cp, tenant, &c.id)) {
			cp_resp_err(a->rs, 400, "BAD_VALUE", "tenant", "unknown tenant");
			goto out;
		}
		if (c.id != a->u->tenant && a->u->role != CP_ROLE_PLATFORM) {
			cp_resp_err(a->rs, 403, "FORBIDDEN", "tenant", "another tenant's kill switch is not yours");
			goto out;
		}
		notify = c.id;
	} else if (!strcmp(scope, "session")) {
		c.scope = RISK_SCOPE_SESSION;
		if (user_session(a, root, &c.id) < 0)
			goto out;
	} else if (!strcmp(scope, "account")) {
		c.scope = RISK_SCOPE_ACCOUNT;
		if (tenant_account(a, root, &c.id))
			goto out;
	} else {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "scope", "scope is global, tenant, session or account");
		goto out;
	}
	if (send_cmd(a, &c, "kill_switch") == 0) {
		char text[128];
		snprintf(text, sizeof(text), "kill switch %s (%s %u)%s by %s", on ? "engaged" : "released", scope, c.id,
			 cancel ? ", resting orders canceled" : "", a->u->name);
		cp_ws_notify_all(cp, notify, on ? "KILL_SWITCH_ON" : "KILL_SWITCH_OFF", text);
	}
out:
	json_decref(root);
}

static void h_fix_sessions(struct api *a)
{
	struct cp *cp = a->cp;
	struct cp_fix_session *s = NULL;
	unsigned n = 0;
	if (cp->hooks.fix_sessions && (s = calloc(1024, sizeof(*s))))
		n = cp->hooks.fix_sessions(cp->hooks.ctx, s, 1024);
	if (n > 1024)
		n = 1024;
	ok_begin(a, 200);
	cp_buf_str(&a->rs->body, "{\"sessions\":[");
	int first = 1;
	for (unsigned i = 0; i < n; i++) {
		if (a->u->role != CP_ROLE_PLATFORM && s[i].tenant != a->u->tenant)
			continue;
		if (!first)
			cp_buf_str(&a->rs->body, ",");
		first = 0;
		s[i].name[sizeof(s[i].name) - 1] = 0;
		cp_buf_str(&a->rs->body, "{\"name\":");
		cp_buf_json_str(&a->rs->body, s[i].name, strlen(s[i].name));
		cp_buf_printf(&a->rs->body, ",\"session\":%u,\"tenant\":%u,\"connected\":%s,\"inSeq\":%llu,\"outSeq\":%llu}",
			      s[i].id, s[i].tenant, s[i].connected ? "true" : "false", (unsigned long long)s[i].in_seq,
			      (unsigned long long)s[i].out_seq);
	}
	cp_buf_str(&a->rs->body, "]}");
	free(s);
}

static void flags_json(struct api *a)
{
	ok_begin(a, 200);
	cp_buf_str(&a->rs->body, "{\"flags\":{");
	for (unsigned i = 0; i < a->cp->n_flags; i++) {
		if (i)
			cp_buf_str(&a->rs->body, ",");
		cp_buf_json_str(&a->rs->body, a->cp->flags[i].name, strlen(a->cp->flags[i].name));
		cp_buf_str(&a->rs->body, a->cp->flags[i].on ? ":true" : ":false");
	}
	cp_buf_str(&a->rs->body, "}}");
}

/* PUT /admin/instruments/{symbol} {"state":"OPEN|HALTED|CLOSED"}: the
 * venue's trading state of one instrument, through the risk command ring
 * (journaled, replayed). Closing expires its DAY orders. PLATFORM only: it
 * stops trading for every tenant. */
static void h_put_instrument(struct api *a)
{
	static const char *const keys[] = { "state", NULL };
	struct cp *cp = a->cp;
	struct cp_instrument *in = NULL;
	for (unsigned i = 0; i < cp->n_instr; i++)
		if (!strcmp(cp->instr[i].symbol, a->seg[2]))
			in = &cp->instr[i];
	if (!in) {
		cp_resp_err(a->rs, 404, "NOT_FOUND", "instrumentId", "no such tradable instrument");
		return;
	}
	json_t *root = body_object(a);
	if (!root)
		return;
	char state[16];
	int r;
	if (check_keys(a, root, keys) || (r = get_str(a, root, "state", state, sizeof(state))) < 0)
		goto out;
	struct risk_cmd c = { .type = RISK_CMD_INSTR_STATE, .id = in->id };
	if (!r || (strcmp(state, "OPEN") && strcmp(state, "HALTED") && strcmp(state, "CLOSED"))) {
		cp_resp_err(a->rs, 400, "BAD_VALUE", "state", "state is OPEN, HALTED or CLOSED");
		goto out;
	}
	c.u.state = !strcmp(state, "OPEN") ? ME_ST_OPEN : !strcmp(state, "HALTED") ? ME_ST_HALTED : ME_ST_CLOSED;
	if (send_cmd(a, &c, "instrument_state") == 0) {
		in->state = c.u.state;
		char text[96];
		snprintf(text, sizeof(text), "%s %s by %s", in->symbol,
			 c.u.state == ME_ST_OPEN ? "reopened" : c.u.state == ME_ST_HALTED ? "halted" : "closed", a->u->name);
		cp_ws_notify_all(cp, CP_TENANT_ALL, "INSTRUMENT_STATE", text);
	}
out:
	json_decref(root);
}

static void h_put_flags(struct api *a)
{
	struct cp *cp = a->cp;
	json_t *root = body_object(a);
	if (!root)
		return;
	const char *k;
	json_t *v;
	unsigned adds = 0;
	json_object_foreach(root, k, v) {
		unsigned i;
		if (!json_is_boolean(v) || !valid_username(k)) {
			cp_resp_err(a->rs, 400, "BAD_VALUE", k, "flags are NAME: true|false (NAME 1..31 of [A-Za-z0-9_.-])");
			goto out;
		}
		for (i = 0; i < cp->n_flags; i++)
			if (!strcmp(cp->flags[i].name, k))
				break;
		adds += i == cp->n_flags;
	}
	if (cp->n_flags + adds > CP_MAX_FLAGS) {
		cp_resp_err(a->rs, 400, "TOO_MANY", "", "too many flags");
		goto out;
	}
	json_object_foreach(root, k, v) {
		unsigned i;
		for (i = 0; i < cp->n_flags; i++)
			if (!strcmp(cp->flags[i].name, k))
				break;
		if (i == cp->n_flags) {
			snprintf(cp->flags[i].name, CP_NAME_LEN, "%s", k);
			cp->n_flags++;
		}
		cp->flags[i].on = json_is_true(v);
		cp_jr_flag(cp, k, cp->flags[i].on);
		cp_audit(cp, "flag", a->u, a->rq->peer, 1, "%s = %s", k, json_is_true(v) ? "true" : "false");
	}
	flags_json(a);
out:
	json_decref(root);
}

/* ---- routing ------------------------------------------------------------------- */
static int split(struct api *a, const char *path)
{
	a->nseg = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (a->nseg == MAX_SEG || n >= sizeof(a->seg[0]))
			return -1;
		memcpy(a->seg[a->nseg], p, n);
		a->seg[a->nseg][n] = 0;
		a->nseg++;
		p += n;
	}
	return 0;
}

static int is(struct api *a, int n, const char *s0, const char *s1, const char *s2)
{
	if (a->nseg != n)
		return 0;
	const char *s[3] = { s0, s1, s2 };
	for (int i = 0; i < n && i < 3; i++)
		if (s[i] && strcmp(a->seg[i], s[i]))
			return 0;
	return 1;
}

static void not_allowed(struct api *a)
{
	cp_resp_err(a->rs, 405, "METHOD_NOT_ALLOWED", "", "method not allowed on this resource");
}

/* 1 when the request's method is `method`, else 405 answered. */
static int only(struct api *a, int method)
{
	if (a->rq->method == method)
		return 1;
	not_allowed(a);
	return 0;
}

static void route(struct api *a)
{
	int m = a->rq->method;
	if (is(a, 1, "orders", NULL, NULL)) {
		if (m == CP_POST)
			idempotent(a, h_new_order);
		else if (only(a, CP_GET))
			h_list_orders(a);
	} else if (is(a, 2, "orders", NULL, NULL)) {
		if (only(a, CP_GET))
			h_get_order(a);
	} else if (is(a, 3, "orders", NULL, "cancel")) {
		if (only(a, CP_POST))
			h_cancel(a);
	} else if (is(a, 3, "orders", NULL, "amend")) {
		if (only(a, CP_POST))
			h_amend(a);
	} else if (is(a, 1, "trades", NULL, NULL)) {
		if (only(a, CP_GET))
			h_trades(a, NULL);
	} else if (is(a, 2, "trades", NULL, NULL)) {
		if (only(a, CP_GET))
			h_trades(a, a->seg[1]);
	} else if (is(a, 1, "me", NULL, NULL)) {
		if (only(a, CP_GET)) {
			ok_begin(a, 200);
			cp_user_json(a->cp, &a->rs->body, a->u);
		}
	} else if (is(a, 2, "auth", "logout", NULL)) {
		if (only(a, CP_POST)) {
			a->u->gen++;
			cp_jr_user(a->cp, a->slot); /* the revocation outlives a restart */
			cp_audit(a->cp, "logout", a->u, a->rq->peer, 1, "tokens revoked");
			cp_ws_close_user(a->cp, a->slot, "logged out");
			ok_begin(a, 204);
		}
	} else if (is(a, 1, "instruments", NULL, NULL)) {
		if (only(a, CP_GET))
			h_instruments(a, 0);
	} else if (is(a, 2, "market", "snapshot", NULL)) {
		if (only(a, CP_GET))
			h_snapshot(a);
	} else if (is(a, 2, "admin", "flags", NULL)) {
		if (m == CP_GET)
			flags_json(a);
		else if (only(a, CP_PUT) && has_role(a, ROLES_PLATFORM, "change feature flags"))
			h_put_flags(a);
	} else if (is(a, 2, "admin", "instruments", NULL)) {
		if (only(a, CP_GET) && has_role(a, ROLES_TENANT_VIEW, "list the venue's instruments"))
			h_instruments(a, 1);
	} else if (is(a, 3, "admin", "instruments", NULL)) {
		if (only(a, CP_PUT) && has_role(a, ROLES_PLATFORM, "change an instrument's trading state"))
			h_put_instrument(a);
	} else if (is(a, 2, "admin", "users", NULL)) {
		if (m == CP_GET) {
			if (has_role(a, ROLES_USERS | ROLE(CP_ROLE_RISK), "list users"))
				h_users(a);
		} else if (only(a, CP_POST) && has_role(a, ROLES_USERS, "create users")) {
			h_create_user(a);
		}
	} else if (is(a, 3, "admin", "users", NULL)) {
		if (only(a, CP_PATCH) && has_role(a, ROLES_USERS, "change users"))
			h_patch_user(a);
	} else if (is(a, 2, "admin", "fix-sessions", NULL)) {
		if (only(a, CP_GET) && has_role(a, ROLES_TENANT_VIEW, "list FIX sessions"))
			h_fix_sessions(a);
	} else if (is(a, 2, "admin", "limits", NULL)) {
		if (m == CP_GET) {
			if (has_role(a, ROLES_TENANT_VIEW, "read limits"))
				h_get_limits(a);
		} else if (only(a, CP_PUT) && has_role(a, ROLES_LIMITS, "change limits")) {
			h_put_limits(a);
		}
	} else if (is(a, 2, "admin", "kill", NULL)) {
		if (only(a, CP_POST) && has_role(a, ROLES_KILL, "use the kill switch"))
			h_kill(a);
	} else {
		cp_resp_err(a->rs, 404, "NOT_FOUND", "", "no such resource");
	}
}

void cp_api_handle(struct cp *cp, const struct cp_req *rq, struct cp_resp *rs)
{
	struct api a = { .cp = cp, .rq = rq, .rs = rs };
	rs->status = 500;
	rs->content_type = "application/json";
	if (strncmp(rq->path, "/api/v1/", 8) || split(&a, rq->path + 8) || a.nseg == 0) {
		cp_resp_err(rs, 404, "NOT_FOUND", "", "no such resource");
		goto done;
	}
	if (is(&a, 2, "auth", "login", NULL)) {
		if (rq->method != CP_POST)
			not_allowed(&a);
		else
			h_login(&a);
		goto done;
	}
	if (strncasecmp(rq->auth, "Bearer ", 7)) {
		cp_resp_err(rs, 401, "UNAUTHORIZED", "", "Authorization: Bearer <token> is required");
		goto done;
	}
	struct cp_err e;
	const char *tok = rq->auth + 7;
	int slot = cp_authenticate(cp, tok, strlen(tok), rq->wall_ns, &e, NULL);
	if (slot < 0) {
		cp_resp_cperr(rs, &e);
		goto done;
	}
	a.u = &cp->users[slot];
	a.slot = (uint32_t)slot;
	uint64_t retry;
	if (!cp_bucket_take(&a.u->rate, cp->cfg.rate_limit_per_s, cp->cfg.rate_limit_burst, rq->now_ns, &retry)) {
		snprintf(rs->retry_after, sizeof(rs->retry_after), "%llu",
			 (unsigned long long)(retry / 1000000000ull + 1));
		cp_resp_err(rs, 429, "RATE_LIMITED", "", "too many requests; slow down");
		goto done;
	}
	route(&a);
done:
	if (rs->status >= 500)
		cp_count(cp, CP_C_HTTP_5XX, 1);
	else if (rs->status >= 400)
		cp_count(cp, CP_C_HTTP_4XX, 1);
	else
		cp_count(cp, CP_C_HTTP_2XX, 1);
	if (rs->status == 401)
		cp_count(cp, CP_C_HTTP_401, 1);
	else if (rs->status == 403)
		cp_count(cp, CP_C_HTTP_403, 1);
	else if (rs->status == 429)
		cp_count(cp, CP_C_HTTP_429, 1);
}
