/* orionctl's REST subcommands: options, login (every call logs in afresh; the
 * token lives in this process only and is wiped at exit), the calls, and
 * their tables or --json output. Exit codes: 0 ok, 1 failure, 2 usage. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "dataplane/journal/ctl.h"

#define DEFAULT_URL "http://127.0.0.1:8480"
#define MAX_POS 4
#define MAX_COLS 10

enum cmd { C_STATUS, C_SESSIONS, C_KILL, C_LIMITS, C_INSTRUMENTS, C_USERS, C__COUNT };
static const char *const g_cmd_names[C__COUNT] = { "status", "sessions", "kill", "limits", "instruments", "users" };

#define M(c) (1u << (c))
#define M_ALL ((1u << C__COUNT) - 1)

struct opts {
	const char *url, *tenant, *user, *password, *cacert, *timeout;
	int password_stdin, insecure, json, help, cancel;
	const char *scope, *id;
	const char *max_order_qty, *max_open_orders, *max_notional, *credit_limit, *rate, *burst, *bps, *price;
	int npos;
	const char *pos[MAX_POS];
};

struct ctx {
	enum cmd cmd;
	struct opts o;
	struct ctl_http http;
	char password[1024];
	char token[512];
	char role[16];
};

/* ---- output helpers -------------------------------------------------------------- */
static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("orionctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (orionctl help)\n", stderr);
	va_end(ap);
	return 2;
}

/* Text from the server with control characters replaced: it is untrusted. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* A JSON value as table text: strings as they are, numbers, yes/no, "-" for
 * null or absent, arrays joined with ','. */
static void jtext(const json_t *v, char *out, size_t cap)
{
	if (!v || json_is_null(v)) {
		snprintf(out, cap, "-");
	} else if (json_is_string(v)) {
		snprintf(out, cap, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(out, cap, "%g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		snprintf(out, cap, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_array(v)) {
		size_t i, o = 0;
		json_t *x;
		out[0] = 0;
		json_array_foreach(v, i, x) {
			char one[64];
			jtext(x, one, sizeof(one));
			int n = snprintf(out + o, cap - o, "%s%s", i ? "," : "", one);
			if (n < 0 || (size_t)n >= cap - o) {
				if (cap > 4)
					memcpy(out + cap - 4, "...", 4);
				break;
			}
			o += (size_t)n;
		}
	} else {
		snprintf(out, cap, "{...}");
	}
	sanitize(out);
}

static void jget(const json_t *obj, const char *key, char *out, size_t cap)
{
	jtext(json_is_object(obj) ? json_object_get(obj, key) : NULL, out, cap);
}

struct table {
	unsigned ncol, nrow, cap;
	const char *head[MAX_COLS];
	char **cell; /* nrow * ncol strings */
};

static int tbl_row(struct table *t, const char *const *cols)
{
	if (t->nrow == t->cap) {
		unsigned nc = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cell, sizeof(*c) * nc * t->ncol);
		if (!c)
			return -ENOMEM;
		t->cell = c;
		t->cap = nc;
	}
	for (unsigned i = 0; i < t->ncol; i++) {
		char *s = strdup(cols[i] ? cols[i] : "-");
		if (!s) {
			for (unsigned k = 0; k < i; k++)
				free(t->cell[t->nrow * t->ncol + k]);
			return -ENOMEM;
		}
		sanitize(s);
		t->cell[t->nrow * t->ncol + i] = s;
	}
	t->nrow++;
	return 0;
}

static void tbl_print(const struct table *t, FILE *f)
{
	size_t w[MAX_COLS];
	for (unsigned c = 0; c < t->ncol; c++) {
		w[c] = strlen(t->head[c]);
		for (unsigned r = 0; r < t->nrow; r++) {
			size_t n = strlen(t->cell[r * t->ncol + c]);
			w[c] = n > w[c] ? n : w[c];
		}
	}
	for (unsigned r = 0; r <= t->nrow; r++) {
		for (unsigned c = 0; c < t->ncol; c++) {
			const char *s = r ? t->cell[(r - 1) * t->ncol + c] : t->head[c];
			if (c + 1 < t->ncol)
				fprintf(f, "%-*s  ", (int)w[c], s);
			else
				fprintf(f, "%s\n", s);
		}
	}
}

static void tbl_free(struct table *t)
{
	for (unsigned i = 0; i < t->nrow * t->ncol; i++)
		free(t->cell[i]);
	free(t->cell);
	t->cell = NULL;
	t->nrow = t->cap = 0;
}

static int print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (!s) {
		fprintf(stderr, "orionctl: out of memory\n");
		return 1;
	}
	printf("%s\n", s);
	free(s);
	return 0;
}

static void iso_ms(long long ms, char *out, size_t cap)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !gmtime_r(&s, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "-");
}

/* ---- API calls -------------------------------------------------------------------- */
/* Print a 4xx/5xx answer: "orionctl: CODE: message (field)". */
static void print_api_error(const struct ctl_resp *r)
{
	json_t *root = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	json_t *code = json_object_get(root, "code"), *msg = json_object_get(root, "message"),
	       *field = json_object_get(root, "field");
	if (json_is_string(code) && json_is_string(msg)) {
		char c[96], m[512], f[96] = "";
		snprintf(c, sizeof(c), "%s", json_string_value(code));
		snprintf(m, sizeof(m), "%s", json_string_value(msg));
		if (json_is_string(field) && json_string_length(field))
			snprintf(f, sizeof(f), "%s", json_string_value(field));
		sanitize(c);
		sanitize(m);
		sanitize(f);
		fprintf(stderr, "orionctl: %s: %s%s%s%s\n", c, m, f[0] ? " (" : "", f, f[0] ? ")" : "");
	} else {
		char b[160] = "";
		if (r->body)
			snprintf(b, sizeof(b), "%.*s", (int)strcspn(r->body, "\r\n"), r->body);
		sanitize(b);
		fprintf(stderr, "orionctl: HTTP %d from the server%s%s\n", r->status, b[0] ? ": " : "", b);
	}
	json_decref(root);
}

/* Send one call; body (when not NULL) is sent as JSON. 0 with *r the
 * answer (any status), or 1 with the reason printed. */
static int api_send(struct ctx *x, const char *method, const char *path, const json_t *body, struct ctl_resp *r)
{
	char err[256] = "", *b = NULL;
	if (body && !(b = json_dumps(body, JSON_COMPACT))) {
		fprintf(stderr, "orionctl: out of memory\n");
		return 1;
	}
	int rc = ctl_http_do(&x->http, method, path, x->token[0] ? x->token : NULL, b, b ? strlen(b) : 0, r, err,
			     sizeof(err));
	if (b) {
		OPENSSL_cleanse(b, strlen(b)); /* the login body holds the password */
		free(b);
	}
	if (rc) {
		sanitize(err);
		fprintf(stderr, "orionctl: %s: %s\n", x->http.url.authority, err);
		return 1;
	}
	return 0;
}

/* An answer (freed here) to 0 with *out its JSON object (caller decrefs), or
 * 1 with the error printed. */
static int api_answer(struct ctl_resp *r, const char *method, const char *path, json_t **out)
{
	*out = NULL;
	if (r->status >= 400) {
		print_api_error(r);
		ctl_resp_free(r);
		return 1;
	}
	json_t *root = json_loadb(r->body, r->len, 0, NULL);
	if (!json_is_object(root)) {
		fprintf(stderr, "orionctl: the server's answer to %s %s is not a JSON object (HTTP %d)\n", method, path,
			r->status);
		json_decref(root);
		ctl_resp_free(r);
		return 1;
	}
	ctl_resp_free(r);
	*out = root;
	return 0;
}

static int api(struct ctx *x, const char *method, const char *path, const json_t *body, json_t **out)
{
	struct ctl_resp r;
	*out = NULL;
	if (api_send(x, method, path, body, &r))
		return 1;
	return api_answer(&r, method, path, out);
}

/* Log in (a fresh token for this call only). A login answered 429 is tried
 * again after its Retry-After (up to 2 times, within the deadline): the
 * server allows a burst of 5 logins per user, then one a second. */
static int login(struct ctx *x)
{
	static const char path[] = "/api/v1/auth/login";
	json_t *body = json_object(), *pw = json_string(x->password), *ans = NULL;
	if (!body || !pw) {
		json_decref(body);
		json_decref(pw);
		fprintf(stderr, "orionctl: out of memory (or a password that is not UTF-8)\n");
		return 1;
	}
	json_object_set_new(body, "username", json_string(x->o.user));
	json_object_set(body, "password", pw);
	if (x->o.tenant)
		json_object_set_new(body, "tenant", json_string(x->o.tenant));
	struct ctl_resp r;
	int rc;
	for (int attempt = 0;; attempt++) {
		if ((rc = api_send(x, "POST", path, body, &r)) != 0)
			break;
		unsigned long ra = strtoul(r.retry_after, NULL, 10);
		if (r.status != 429 || attempt == 2 || ra < 1 || ra > 5 ||
		    ctl_now_ns() + ra * 1000000000ull >= x->http.deadline_ns) {
			rc = api_answer(&r, "POST", path, &ans);
			break;
		}
		ctl_resp_free(&r);
		fprintf(stderr, "orionctl: login rate-limited; retrying in %lu s\n", ra);
		struct timespec ts = { .tv_sec = (time_t)ra };
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	OPENSSL_cleanse((char *)json_string_value(pw), json_string_length(pw));
	json_decref(pw);
	json_decref(body);
	if (rc)
		return rc;
	json_t *tok = json_object_get(ans, "token"), *role = json_object_get(json_object_get(ans, "user"), "role");
	if (!json_is_string(tok) || json_string_length(tok) == 0 || json_string_length(tok) >= sizeof(x->token)) {
		fprintf(stderr, "orionctl: the login answer has no usable token\n");
		json_decref(ans);
		return 1;
	}
	memcpy(x->token, json_string_value(tok), json_string_length(tok) + 1);
	OPENSSL_cleanse((char *)json_string_value(tok), json_string_length(tok));
	if (json_is_string(role))
		snprintf(x->role, sizeof(x->role), "%s", json_string_value(role));
	json_decref(ans);
	return 0;
}

/* ---- status ------------------------------------------------------------------------- */
struct busy {
	json_t *arr;
	char text[512];
	size_t len;
};

static void on_busy(void *arg, const char *labels, size_t labels_len, double v)
{
	struct busy *b = arg;
	char lc[16];
	if (ctl_prom_label(labels, labels_len, "lcore", lc, sizeof(lc)))
		snprintf(lc, sizeof(lc), "?");
	sanitize(lc);
	json_array_append_new(b->arr, json_pack("{s:s,s:f}", "lcore", lc, "busyRatio", v));
	if (b->len < sizeof(b->text)) {
		int n = snprintf(b->text + b->len, sizeof(b->text) - b->len, "%s%s: %.1f%%", b->len ? "  " : "", lc,
				 v * 100.0);
		if (n > 0)
			b->len += (size_t)n;
	}
}

/* Sum of a metric into obj[key] (null when absent); its text in out. */
static int metric(const struct ctl_resp *m, const char *name, json_t *obj, const char *key, char *out, size_t cap)
{
	double v = 0;
	unsigned n = m ? ctl_prom_sum(m->body, m->len, name, &v) : 0;
	int whole = n && v >= 0 && v < 9e15 && v == (double)(long long)v;
	json_object_set_new(obj, key, !n ? json_null() : whole ? json_integer((json_int_t)v) : json_real(v));
	snprintf(out, cap, n ? "%.0f" : "-", v);
	return (int)n;
}

static void duration(double s, char *out, size_t cap)
{
	unsigned long long t = (unsigned long long)(s < 0 ? 0 : s);
	if (t >= 86400)
		snprintf(out, cap, "%llud %02llu:%02llu:%02llu", t / 86400, t % 86400 / 3600, t % 3600 / 60, t % 60);
	else
		snprintf(out, cap, "%02llu:%02llu:%02llu", t / 3600, t % 3600 / 60, t % 60);
}

static int cmd_status(struct ctx *x)
{
	static const char *const paths[3] = { "/healthz", "/readyz", "/metrics" };
	struct ctl_resp r[3];
	int got[3] = { 0 };
	for (int i = 0; i < 3; i++) {
		char err[256] = "";
		int rc = ctl_http_do(&x->http, "GET", paths[i], NULL, NULL, 0, &r[i], err, sizeof(err));
		if (rc) {
			sanitize(err);
			fprintf(stderr, "orionctl: %s: %s\n", x->http.url.authority, err);
			for (int k = 0; k < i; k++)
				ctl_resp_free(&r[k]);
			return 1;
		}
		got[i] = 1;
	}
	int healthy = r[0].status == 200, ready = r[1].status == 200, has_m = r[2].status == 200;
	const struct ctl_resp *m = has_m ? &r[2] : NULL;
	char health[64], readys[64];
	json_t *h = json_loadb(r[0].body, r[0].len, 0, NULL), *rd = json_loadb(r[1].body, r[1].len, 0, NULL);
	if (json_is_string(json_object_get(h, "status")))
		jget(h, "status", health, sizeof(health));
	else
		snprintf(health, sizeof(health), "HTTP %d", r[0].status);
	if (json_is_string(json_object_get(rd, "status")))
		jget(rd, "status", readys, sizeof(readys));
	else
		snprintf(readys, sizeof(readys), "HTTP %d", r[1].status);
	json_decref(h);
	json_decref(rd);

	json_t *o = json_object();
	char url[600];
	snprintf(url, sizeof(url), "%s://%s%s", x->http.url.tls ? "https" : "http", x->http.url.authority,
		 x->http.url.prefix);
	json_object_set_new(o, "url", json_string(url));
	json_object_set_new(o, "healthy", json_boolean(healthy));
	json_object_set_new(o, "health", json_string(health));
	json_object_set_new(o, "ready", json_boolean(ready));
	json_object_set_new(o, "readiness", json_string(readys));
	json_object_set_new(o, "metrics", json_boolean(has_m));

	char uptime[48] = "-";
	double up = 0;
	if (m && ctl_prom_sum(m->body, m->len, "orion_uptime_seconds", &up)) {
		json_object_set_new(o, "uptimeSeconds", json_real(up));
		duration(up, uptime, sizeof(uptime));
	} else {
		json_object_set_new(o, "uptimeSeconds", json_null());
	}
	struct busy b = { .arr = json_array() };
	if (m)
		ctl_prom_each(m->body, m->len, "orion_lcore_busy_ratio", on_busy, &b);
	json_object_set_new(o, "lcoreBusy", b.arr);
	char pk[32], go[32], gf[32], gu[32], fix[32], acc[32], lag[32], ws[32];
	json_t *gaps = json_object();
	metric(m, "orion_feed_packets_total", o, "feedPackets", pk, sizeof(pk));
	int has_gaps = metric(m, "orion_md_arb_gaps_opened_total", gaps, "opened", go, sizeof(go));
	metric(m, "orion_md_arb_gaps_filled_total", gaps, "filled", gf, sizeof(gf));
	metric(m, "orion_md_arb_gaps_unrecoverable_total", gaps, "unrecoverable", gu, sizeof(gu));
	json_object_set_new(o, "feedGaps", has_gaps ? gaps : json_null());
	if (!has_gaps)
		json_decref(gaps);
	metric(m, "orion_fix_connections_open", o, "fixSessionsConnected", fix, sizeof(fix));
	metric(m, "orion_me_accepted_total", o, "ordersAccepted", acc, sizeof(acc));
	int has_lag = metric(m, "orion_kafka_lag_records", o, "kafkaLag", lag, sizeof(lag));
	metric(m, "orion_cp_ws_clients", o, "wsClients", ws, sizeof(ws));

	int rc = 0;
	if (x->o.json) {
		rc = print_json(o);
	} else {
		printf("%-14s%s\n", "endpoint", url);
		printf("%-14s%s\n", "health", health);
		printf("%-14s%s\n", "ready", readys);
		if (!has_m)
			printf("%-14s%s (HTTP %d)\n", "metrics", "unavailable", r[2].status);
		printf("%-14s%s\n", "uptime", uptime);
		printf("%-14s%s\n", "lcore busy", b.len ? b.text : "-");
		printf("%-14s%s\n", "feed packets", pk);
		if (has_gaps)
			printf("%-14sopened %s, filled %s, unrecoverable %s\n", "feed gaps", go, gf, gu);
		else
			printf("%-14s-\n", "feed gaps");
		printf("%-14s%s%s\n", "FIX sessions", fix, strcmp(fix, "-") ? " connected" : "");
		printf("%-14s%s%s\n", "orders", acc, strcmp(acc, "-") ? " accepted" : "");
		if (has_lag)
			printf("%-14s%s records\n", "Kafka lag", lag);
		printf("%-14s%s\n", "WS clients", ws);
	}
	json_decref(o);
	for (int i = 0; i < 3; i++)
		if (got[i])
			ctl_resp_free(&r[i]);
	return rc ? rc : (healthy && ready ? 0 : 1);
}

/* ---- sessions, instruments, users ------------------------------------------------------ */
static int list_cmd(struct ctx *x, const char *path, const char *arr_key, const char *const *heads,
		    const char *const *keys, unsigned ncol, const char *noun)
{
	json_t *root;
	if (api(x, "GET", path, NULL, &root))
		return 1;
	if (x->o.json) {
		int rc = print_json(root);
		json_decref(root);
		return rc;
	}
	json_t *arr = json_object_get(root, arr_key), *it;
	struct table t = { .ncol = ncol };
	for (unsigned c = 0; c < ncol; c++)
		t.head[c] = heads[c];
	size_t i;
	char cells[MAX_COLS][256];
	const char *row[MAX_COLS];
	json_array_foreach(arr, i, it) {
		for (unsigned c = 0; c < ncol; c++) {
			jget(it, keys[c], cells[c], sizeof(cells[c]));
			row[c] = cells[c];
		}
		if (tbl_row(&t, row)) {
			fprintf(stderr, "orionctl: out of memory\n");
			tbl_free(&t);
			json_decref(root);
			return 1;
		}
	}
	if (t.nrow)
		tbl_print(&t, stdout);
	printf("%u %s\n", t.nrow, noun);
	tbl_free(&t);
	json_decref(root);
	return 0;
}

static int cmd_sessions(struct ctx *x)
{
	static const char *const h[] = { "SESSION", "NAME", "TENANT", "CONNECTED", "IN_SEQ", "OUT_SEQ" };
	static const char *const k[] = { "session", "name", "tenant", "connected", "inSeq", "outSeq" };
	return list_cmd(x, "/api/v1/admin/fix-sessions", "sessions", h, k, 6, "FIX session(s)");
}

static int cmd_instruments(struct ctx *x)
{
	static const char *const h[] = { "INSTRUMENT", "ENGINE_ID", "TICK", "LOT", "TRADABLE", "STATE" };
	static const char *const k[] = { "instrumentId", "engineId", "tick", "lot", "tradable", "state" };
	/* the venue's list for the roles that may read it, else the entitled one */
	int venue = !strcmp(x->role, "ADMIN") || !strcmp(x->role, "RISK") || !strcmp(x->role, "PLATFORM");
	return list_cmd(x, venue ? "/api/v1/admin/instruments" : "/api/v1/instruments", "instruments", h, k, 6,
			"instrument(s)");
}

static int cmd_users(struct ctx *x)
{
	static const char *const h[] = { "USERNAME", "TENANT", "ROLE",	      "ACCOUNT",
					 "SESSION",  "DISABLED", "MAX_NOTIONAL", "INSTRUMENTS" };
	static const char *const k[] = { "username", "tenant",	 "role",	"account",
					 "session",  "disabled", "maxNotional", "instruments" };
	return list_cmd(x, "/api/v1/admin/users", "users", h, k, 8, "user(s)");
}

/* ---- kill, limits ------------------------------------------------------------------------ */
static int all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* Non-negative integer option into obj[key]. 0, or 2 (usage). */
static int put_uint(json_t *obj, const char *key, const char *opt, const char *v)
{
	if (!v)
		return 0;
	if (!all_digits(v) || strlen(v) > 10 || strtoull(v, NULL, 10) > UINT32_MAX)
		return usage_err("--%s must be an integer 0..%u", opt, UINT32_MAX);
	json_object_set_new(obj, key, json_integer((json_int_t)strtoull(v, NULL, 10)));
	return 0;
}

/* Decimal amount option ("1000", "150.25") into obj[key] as a string. */
static int put_money(json_t *obj, const char *key, const char *opt, const char *v)
{
	if (!v)
		return 0;
	size_t n = strspn(v, "0123456789");
	if (!n || (v[n] && (v[n] != '.' || !v[n + 1] || strspn(v + n + 1, "0123456789") != strlen(v + n + 1))) ||
	    strlen(v) > 30)
		return usage_err("--%s must be a non-negative decimal (e.g. 1000 or 150.25)", opt);
	json_object_set_new(obj, key, json_string(v));
	return 0;
}

/* --id for session scopes: a number is the session, else a user name. */
static void put_session_or_user(json_t *obj, const char *id)
{
	if (all_digits(id))
		json_object_set_new(obj, "session", json_integer((json_int_t)strtoull(id, NULL, 10)));
	else
		json_object_set_new(obj, "user", json_string(id));
}

/* A command's settings as "key=value ..." (everything but scope and target). */
static void describe_cmd(const json_t *c, char *out, size_t cap)
{
	static const char *const skip[] = { "scope", "killScope", "account", "session", "instrument", "id", NULL };
	char v[96];
	size_t o = 0;
	const char *k;
	json_t *val;
	out[0] = 0;
	json_object_foreach((json_t *)c, k, val) {
		int s = 0;
		for (unsigned i = 0; skip[i]; i++)
			s |= !strcmp(k, skip[i]);
		if (s)
			continue;
		jtext(val, v, sizeof(v));
		int n = snprintf(out + o, cap - o, "%s%s=%s", o ? " " : "", k, v);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
	sanitize(out);
}

/* A command's target: "account 3", "session 1024", "tenant 1", "global",
 * "instrument 7", "all instruments". */
static void cmd_target(const json_t *c, char *out, size_t cap)
{
	char sc[32], id[32];
	jget(c, "scope", sc, sizeof(sc));
	if (!strcmp(sc, "kill")) {
		char ks[32];
		jget(c, "killScope", ks, sizeof(ks));
		jget(c, "id", id, sizeof(id));
		if (!strcmp(ks, "global"))
			snprintf(out, cap, "global");
		else
			snprintf(out, cap, "%s %s", ks, id);
	} else if (!strcmp(sc, "account") || !strcmp(sc, "session")) {
		jget(c, sc, id, sizeof(id));
		snprintf(out, cap, "%s %s", sc, id);
	} else {
		jget(c, "instrument", id, sizeof(id));
		if (!strcmp(id, "-1"))
			snprintf(out, cap, "all instruments");
		else
			snprintf(out, cap, "instrument %s", id);
	}
	sanitize(out);
}

static int cmd_kill(struct ctx *x)
{
	const char *onoff = x->o.pos[0], *sc = x->o.scope, *id = x->o.id;
	if (!onoff || (strcmp(onoff, "on") && strcmp(onoff, "off")) || x->o.npos != 1)
		return usage_err("kill on|off --scope global|tenant|session|account [--id N] [--cancel]");
	if (!sc)
		return usage_err("kill needs --scope global|tenant|session|account");
	json_t *b = json_object();
	json_object_set_new(b, "scope", json_string(sc));
	json_object_set_new(b, "on", json_boolean(!strcmp(onoff, "on")));
	json_object_set_new(b, "cancel", json_boolean(x->o.cancel));
	int rc = 0;
	if (!strcmp(sc, "global")) {
		if (id)
			rc = usage_err("--scope global takes no --id");
	} else if (!strcmp(sc, "tenant")) {
		if (id)
			json_object_set_new(b, "tenant", json_string(id));
	} else if (!strcmp(sc, "session")) {
		if (!id)
			rc = usage_err("--scope session needs --id SESSION or --id USERNAME");
		else
			put_session_or_user(b, id);
	} else if (!strcmp(sc, "account")) {
		if (!id)
			rc = usage_err("--scope account needs --id ACCOUNT");
		else
			rc = put_uint(b, "account", "id", id);
	} else {
		rc = usage_err("--scope is global, tenant, session or account");
	}
	json_t *ans = NULL;
	if (!rc)
		rc = login(x) || api(x, "POST", "/api/v1/admin/kill", b, &ans);
	json_decref(b);
	if (rc)
		return rc;
	if (x->o.json) {
		rc = print_json(ans);
	} else {
		json_t *c = json_object_get(ans, "command");
		char target[96];
		cmd_target(c, target, sizeof(target));
		printf("kill switch %s: %s%s\n", json_is_true(json_object_get(c, "on")) ? "ON" : "OFF", target,
		       json_is_true(json_object_get(c, "cancel")) ? " (resting orders canceled)" : "");
	}
	json_decref(ans);
	return rc;
}

static int by_time(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "time"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "time"));
	return x < y ? -1 : x > y;
}

static int limits_show(struct ctx *x)
{
	json_t *root;
	if (login(x) || api(x, "GET", "/api/v1/admin/limits", NULL, &root))
		return 1;
	if (x->o.json) {
		int rc = print_json(root);
		json_decref(root);
		return rc;
	}
	json_t *cmds = json_object_get(root, "commands");
	size_t n = json_array_size(cmds), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		json_decref(root);
		fprintf(stderr, "orionctl: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(cmds, i);
	qsort(v, n, sizeof(*v), by_time);
	char when[40], by[64], target[96], settings[512], sc[32];
	unsigned kills = 0;
	printf("Kill switches on (as set through the API):\n");
	for (i = 0; i < n; i++) {
		json_t *c = json_object_get(v[i], "command");
		jget(c, "scope", sc, sizeof(sc));
		if (strcmp(sc, "kill") || !json_is_true(json_object_get(c, "on")))
			continue;
		cmd_target(c, target, sizeof(target));
		iso_ms(json_integer_value(json_object_get(v[i], "time")), when, sizeof(when));
		jget(v[i], "by", by, sizeof(by));
		printf("  %s since %s by %s%s\n", target, when, by,
		       json_is_true(json_object_get(c, "cancel")) ? " (resting orders canceled)" : "");
		kills++;
	}
	if (!kills)
		printf("  none\n");
	printf("\nLimit and kill switch commands (latest per target):\n");
	struct table t = { .ncol = 5, .head = { "TIME", "BY", "SCOPE", "TARGET", "SETTINGS" } };
	int rc = 0;
	for (i = 0; i < n && !rc; i++) {
		json_t *c = json_object_get(v[i], "command");
		iso_ms(json_integer_value(json_object_get(v[i], "time")), when, sizeof(when));
		jget(v[i], "by", by, sizeof(by));
		jget(c, "scope", sc, sizeof(sc));
		cmd_target(c, target, sizeof(target));
		describe_cmd(c, settings, sizeof(settings));
		const char *row[5] = { when, by, sc, target, settings };
		rc = tbl_row(&t, row);
	}
	if (t.nrow)
		tbl_print(&t, stdout);
	else
		printf("  none\n");
	tbl_free(&t);
	printf("\nAPI users:\n");
	struct table u = { .ncol = 4, .head = { "USERNAME", "SESSION", "ACCOUNT", "MAX_NOTIONAL" } };
	json_t *it;
	json_array_foreach(json_object_get(root, "users"), i, it) {
		char a[64], s[32], ac[32], mn[48];
		jget(it, "username", a, sizeof(a));
		jget(it, "session", s, sizeof(s));
		jget(it, "account", ac, sizeof(ac));
		jget(it, "maxNotional", mn, sizeof(mn));
		const char *row[4] = { a, s, ac, mn };
		if (!rc)
			rc = tbl_row(&u, row);
	}
	if (u.nrow)
		tbl_print(&u, stdout);
	else
		printf("  none\n");
	tbl_free(&u);
	free(v);
	json_decref(root);
	if (rc)
		fprintf(stderr, "orionctl: out of memory\n");
	return rc ? 1 : 0;
}

struct setting {
	const char *opt, *key;
	int money;
	unsigned scopes; /* bit per entry of g_limit_scopes */
};

static const char *const g_limit_scopes[] = { "account", "session", "user", "collar", "refPrice", NULL };
#define S_ACCOUNT 1u
#define S_SESSION 2u
#define S_USER 4u
#define S_COLLAR 8u
#define S_REF 16u

static int limits_set(struct ctx *x)
{
	const struct opts *o = &x->o;
	const struct setting set[] = {
		{ "max-order-qty", "maxOrderQty", 0, S_ACCOUNT },
		{ "max-open-orders", "maxOpenOrders", 0, S_ACCOUNT | S_SESSION },
		{ "max-notional", "maxNotional", 1, S_ACCOUNT | S_USER },
		{ "credit-limit", "creditLimit", 1, S_ACCOUNT },
		{ "rate-per-sec", "ratePerSec", 0, S_SESSION },
		{ "burst", "burst", 0, S_SESSION },
		{ "bps", "bps", 0, S_COLLAR },
		{ "price", "price", 1, S_REF },
	};
	const char *vals[] = { o->max_order_qty, o->max_open_orders, o->max_notional, o->credit_limit,
			       o->rate,		 o->burst,	     o->bps,	      o->price };
	if (!o->scope)
		return usage_err("limits set needs --scope account|session|user|collar|refPrice");
	unsigned sbit = 0;
	for (unsigned i = 0; g_limit_scopes[i]; i++)
		if (!strcmp(o->scope, g_limit_scopes[i]))
			sbit = 1u << i;
	if (!sbit)
		return usage_err("--scope is account, session, user, collar or refPrice");
	if (!o->id)
		return usage_err("limits set --scope %s needs --id (%s)", o->scope,
				 sbit == S_ACCOUNT   ? "ACCOUNT"
				 : sbit == S_SESSION ? "SESSION or USERNAME"
				 : sbit == S_USER    ? "USERNAME"
				 : sbit == S_COLLAR  ? "INSTRUMENT or *"
						     : "INSTRUMENT");
	json_t *b = json_object();
	json_object_set_new(b, "scope", json_string(o->scope));
	int rc = 0, nset = 0;
	for (unsigned i = 0; i < sizeof(set) / sizeof(set[0]) && !rc; i++) {
		if (!vals[i])
			continue;
		if (!(set[i].scopes & sbit)) {
			rc = usage_err("--%s does not apply to --scope %s", set[i].opt, o->scope);
			break;
		}
		rc = set[i].money ? put_money(b, set[i].key, set[i].opt, vals[i]) : put_uint(b, set[i].key, set[i].opt, vals[i]);
		nset++;
	}
	if (!rc) {
		if (sbit == S_ACCOUNT)
			rc = put_uint(b, "account", "id", o->id);
		else if (sbit == S_SESSION)
			put_session_or_user(b, o->id);
		else if (sbit == S_USER)
			json_object_set_new(b, "user", json_string(o->id));
		else
			json_object_set_new(b, "instrumentId", json_string(o->id));
	}
	if (!rc && !nset)
		rc = usage_err("limits set: nothing to set (see orionctl help)");
	if (!rc && ((sbit == S_USER && !o->max_notional) || (sbit == S_COLLAR && !o->bps) || (sbit == S_REF && !o->price)))
		rc = usage_err("--scope %s needs --%s", o->scope,
			       sbit == S_USER ? "max-notional" : sbit == S_COLLAR ? "bps" : "price");
	json_t *ans = NULL;
	if (!rc)
		rc = login(x) || api(x, "PUT", "/api/v1/admin/limits", b, &ans);
	json_decref(b);
	if (rc)
		return rc;
	if (x->o.json) {
		rc = print_json(ans);
	} else if (sbit == S_USER) {
		char u[64], mn[48];
		jget(ans, "username", u, sizeof(u));
		jget(ans, "maxNotional", mn, sizeof(mn));
		printf("limits set: user %s maxNotional=%s\n", u, mn);
	} else {
		json_t *c = json_object_get(ans, "command");
		char target[96], settings[512];
		cmd_target(c, target, sizeof(target));
		describe_cmd(c, settings, sizeof(settings));
		printf("limits set: %s %s\n", target, settings);
	}
	json_decref(ans);
	return rc;
}

static int cmd_limits(struct ctx *x)
{
	const char *sub = x->o.pos[0];
	if (x->o.npos != 1 || !sub || (strcmp(sub, "show") && strcmp(sub, "set")))
		return usage_err("limits show | limits set --scope S --id X [settings]");
	if (!strcmp(sub, "show")) {
		if (x->o.scope || x->o.id || x->o.max_order_qty || x->o.max_open_orders || x->o.max_notional ||
		    x->o.credit_limit || x->o.rate || x->o.burst || x->o.bps || x->o.price)
			return usage_err("limits show takes no --scope, --id or settings");
		return limits_show(x);
	}
	return limits_set(x);
}

/* ---- options ----------------------------------------------------------------------------- */
struct optdef {
	const char *name;
	unsigned cmds;
	const char **val; /* option with a value */
	int *flag;        /* flag */
};

static int parse(enum cmd cmd, int argc, char **argv, struct opts *o)
{
	const unsigned LIM_SET = M(C_LIMITS);
	const struct optdef defs[] = {
		{ "url", M_ALL, &o->url, NULL },
		/* status does not log in: it accepts and ignores these */
		{ "tenant", M_ALL, &o->tenant, NULL },
		{ "user", M_ALL, &o->user, NULL },
		{ "password", M_ALL, &o->password, NULL },
		{ "password-stdin", M_ALL, NULL, &o->password_stdin },
		{ "insecure", M_ALL, NULL, &o->insecure },
		{ "cacert", M_ALL, &o->cacert, NULL },
		{ "timeout", M_ALL, &o->timeout, NULL },
		{ "json", M_ALL, NULL, &o->json },
		{ "help", M_ALL, NULL, &o->help },
		{ "scope", M(C_KILL) | LIM_SET, &o->scope, NULL },
		{ "id", M(C_KILL) | LIM_SET, &o->id, NULL },
		{ "cancel", M(C_KILL), NULL, &o->cancel },
		{ "max-order-qty", LIM_SET, &o->max_order_qty, NULL },
		{ "max-open-orders", LIM_SET, &o->max_open_orders, NULL },
		{ "max-notional", LIM_SET, &o->max_notional, NULL },
		{ "credit-limit", LIM_SET, &o->credit_limit, NULL },
		{ "rate-per-sec", LIM_SET, &o->rate, NULL },
		{ "burst", LIM_SET, &o->burst, NULL },
		{ "bps", LIM_SET, &o->bps, NULL },
		{ "price", LIM_SET, &o->price, NULL },
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h")) {
			o->help = 1;
			continue;
		}
		if (strncmp(a, "--", 2) || !a[2]) {
			if (o->npos == MAX_POS)
				return usage_err("%s: too many arguments", g_cmd_names[cmd]);
			o->pos[o->npos++] = a;
			continue;
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		const struct optdef *d = NULL;
		for (unsigned k = 0; k < sizeof(defs) / sizeof(defs[0]); k++)
			if (strlen(defs[k].name) == nl && !strncmp(defs[k].name, name, nl))
				d = &defs[k];
		if (!d || !(d->cmds & M(cmd)))
			return usage_err("%s: unknown option '%.*s'", g_cmd_names[cmd], (int)(nl + 2), a);
		if (d->flag) {
			if (eq)
				return usage_err("--%s takes no value", d->name);
			*d->flag = 1;
			continue;
		}
		if (eq) {
			*d->val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return usage_err("--%s needs a value", d->name);
			*d->val = argv[++i];
		}
	}
	return 0;
}

static int read_password(struct ctx *x)
{
	const struct opts *o = &x->o;
	if (o->password && o->password_stdin)
		return usage_err("--password and --password-stdin exclude each other");
	const char *src = o->password;
	if (o->password_stdin) {
		if (!fgets(x->password, sizeof(x->password), stdin)) {
			fprintf(stderr, "orionctl: --password-stdin: nothing on stdin\n");
			return 1;
		}
		x->password[strcspn(x->password, "\r\n")] = 0;
		if (!x->password[0]) {
			fprintf(stderr, "orionctl: --password-stdin: empty password\n");
			return 1;
		}
		return 0;
	}
	if (!src)
		src = getenv("ORION_PASSWORD");
	if (!src || !*src)
		return usage_err("%s needs a password: --password-stdin, ORION_PASSWORD or --password",
				 g_cmd_names[x->cmd]);
	if (strlen(src) >= sizeof(x->password))
		return usage_err("the password is too long");
	snprintf(x->password, sizeof(x->password), "%s", src);
	return 0;
}

int ctl_is_command(const char *name)
{
	for (unsigned i = 0; i < C__COUNT; i++)
		if (!strcmp(name, g_cmd_names[i]))
			return 1;
	return 0;
}

void ctl_usage(FILE *f)
{
	fprintf(f,
		"  status                          health, readiness and a summary of /metrics (exit 1\n"
		"                                  when not healthy or not ready); no login\n"
		"  sessions                        FIX sessions (connected, sequence numbers)\n"
		"  kill on|off --scope global|tenant|session|account [--id N] [--cancel]\n"
		"                                  kill switch; --id: tenant name, session number or user\n"
		"                                  name, account number; --cancel cancels resting orders\n"
		"  limits show                     kill switches on, limit commands, API users' limits\n"
		"  limits set --scope S --id X SETTINGS   replaces the target's limits (absent = 0 = none):\n"
		"         account  --id ACCOUNT   [--max-order-qty N] [--max-open-orders N]\n"
		"                                 [--max-notional X] [--credit-limit X]\n"
		"         session  --id N|USER    [--max-open-orders N] [--rate-per-sec N] [--burst N]\n"
		"         user     --id USER      --max-notional X   (the control plane's per-order limit)\n"
		"         collar   --id SYM|'*'   --bps N            refPrice --id SYM --price X\n"
		"  instruments                     instruments (the venue's for ADMIN/RISK/PLATFORM)\n"
		"  users                           users of your tenant (every tenant for PLATFORM)\n"
		"  REST options: --url URL (ORION_URL, default " DEFAULT_URL ") --user NAME\n"
		"    (ORION_USER) [--tenant T (ORION_TENANT)] --password-stdin | ORION_PASSWORD |\n"
		"    --password P; --json; --timeout SEC (10); https: --cacert FILE, --insecure\n");
}

int ctl_main(int argc, char **argv)
{
	struct ctx *x = calloc(1, sizeof(*x));
	if (!x) {
		fprintf(stderr, "orionctl: out of memory\n");
		return 1;
	}
	int rc = 2;
	for (unsigned i = 0; i < C__COUNT; i++)
		if (!strcmp(argv[0], g_cmd_names[i]))
			x->cmd = (enum cmd)i;
	if (parse(x->cmd, argc, argv, &x->o))
		goto out;
	if (x->o.help) {
		printf("usage: orionctl <command> [options]\n");
		ctl_usage(stdout);
		rc = 0;
		goto out;
	}
	if (x->cmd != C_KILL && x->cmd != C_LIMITS && x->o.npos) {
		rc = usage_err("%s takes no argument '%s'", g_cmd_names[x->cmd], x->o.pos[0]);
		goto out;
	}
	const char *url = x->o.url ? x->o.url : getenv("ORION_URL");
	if (!url || !*url)
		url = DEFAULT_URL;
	if (ctl_url_parse(url, &x->http.url)) {
		rc = usage_err("bad URL '%s' (http[s]://host[:port][/prefix])", url);
		goto out;
	}
	double tmo = 10;
	if (x->o.timeout) {
		char *e;
		tmo = strtod(x->o.timeout, &e);
		if (*e || !(tmo > 0 && tmo <= 300)) {
			rc = usage_err("--timeout is a number of seconds, over 0 and at most 300");
			goto out;
		}
	}
	x->http.insecure = x->o.insecure;
	x->http.cacert = x->o.cacert;
	if (x->cmd != C_STATUS) {
		if (!x->o.user)
			x->o.user = getenv("ORION_USER");
		if (!x->o.tenant && getenv("ORION_TENANT") && *getenv("ORION_TENANT"))
			x->o.tenant = getenv("ORION_TENANT");
		if (!x->o.user || !*x->o.user) {
			rc = usage_err("%s needs --user (or ORION_USER)", g_cmd_names[x->cmd]);
			goto out;
		}
		if ((rc = read_password(x)) != 0)
			goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	x->http.deadline_ns = ctl_now_ns() + (uint64_t)(tmo * 1e9);
	switch (x->cmd) {
	case C_STATUS:
		rc = cmd_status(x);
		break;
	case C_SESSIONS:
		rc = login(x) ? 1 : cmd_sessions(x);
		break;
	case C_KILL:
		rc = cmd_kill(x);
		break;
	case C_LIMITS:
		rc = cmd_limits(x);
		break;
	case C_INSTRUMENTS:
		rc = login(x) ? 1 : cmd_instruments(x);
		break;
	case C_USERS:
		rc = login(x) ? 1 : cmd_users(x);
		break;
	default:
		rc = 2;
		break;
	}
out:
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
	return rc;
}
