/* Control plane state in the journal (controlplane/cp_jrec.h): the records
 * the REST API produces (through a fake journal hook that keeps them, in
 * order with the orders sent), the backlog when the channel is full, and
 * cp_restore() rebuilding a fresh control plane from them. No thread, no
 * network: requests go straight to cp_api_handle(), timed by the real
 * clocks (the idempotency cache's TTL is checked against them after a
 * restore, as in oriond). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controlplane/cp_int.h"
#include "controlplane/cp_jrec.h"
#include "controlplane/exp_map.h"

#define LOG_MAX 2048
enum { EV_JOURNAL = 1, EV_ORDER = 2 };

/* What the hooks saw, in order. */
struct hooklog {
	struct {
		int what;
		size_t len;
		uint8_t rec[CP_JR_MAX];
	} ev[LOG_MAX];
	unsigned n;
	int full;            /* journal channel full: -ENOBUFS */
	int send_fail;       /* order ring full: -ENOBUFS */
	unsigned sends;
};

struct fx {
	struct cp_cfg cfg;
	struct hooklog *log;
	struct cp *cp;
	char hash[CP_HASH_LEN];
};

static int hk_journal(void *ctx, const void *rec, size_t len)
{
	struct hooklog *l = ctx;
	if (l->full)
		return -ENOBUFS;
	assert_true(l->n < LOG_MAX && len <= CP_JR_MAX);
	l->ev[l->n].what = EV_JOURNAL;
	l->ev[l->n].len = len;
	memcpy(l->ev[l->n].rec, rec, len);
	l->n++;
	return 0;
}

static int hk_send(void *ctx, const struct og_api_req *req)
{
	struct hooklog *l = ctx;
	if (l->send_fail)
		return -ENOBUFS;
	assert_true(l->n < LOG_MAX);
	l->ev[l->n].what = EV_ORDER;
	l->ev[l->n].len = sizeof(*req);
	memcpy(l->ev[l->n].rec, req, sizeof(*req));
	l->n++;
	l->sends++;
	return 0;
}

static void add_user(struct cp_cfg *c, const char *name, const char *tenant, int role, const char *hash)
{
	struct cp_user_cfg *u = &c->users[c->n_users++];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->tenant, sizeof(u->tenant), "%s", tenant);
	snprintf(u->password_hash, sizeof(u->password_hash), "%s", hash);
	u->role = (uint8_t)role;
	u->role_set = 1;
	u->all_instruments = 1;
	u->account = UINT32_MAX;
}

static struct cp *make_cp(struct fx *f, int journal)
{
	struct cp_hooks h = { .ctx = f->log, .send_order = hk_send };
	if (journal)
		h.journal = hk_journal;
	char err[256] = "";
	struct cp *cp = cp_create(&f->cfg, &h, err, sizeof(err));
	if (!cp)
		fail_msg("cp_create: %s", err);
	snprintf(cp->instr[0].symbol, sizeof(cp->instr[0].symbol), "AAPL");
	cp->instr[0].id = 0;
	cp->instr[0].tick = ORION_PX_SCALE / 100;
	cp->instr[0].lot = 1;
	cp->n_instr = 1;
	return cp;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->log = calloc(1, sizeof(*f->log));
	assert_non_null(f->log);
	assert_int_equal(cp_hash_password("secret-pass-1", 1, 64, f->hash, sizeof(f->hash)), 0);
	struct cp_cfg *c = &f->cfg;
	cp_cfg_defaults(c);
	c->enabled = 1;
	c->listen_set = 1;
	c->listen_ip_be = 0x0100007f;
	c->n_tenants = 2;
	snprintf(c->tenants[0].name, CP_NAME_LEN, "default");
	c->tenants[0].id_set = 1;
	snprintf(c->tenants[1].name, CP_NAME_LEN, "acme");
	c->tenants[1].id = 1;
	c->tenants[1].id_set = 1;
	add_user(c, "plat", "default", CP_ROLE_PLATFORM, f->hash);
	add_user(c, "alice", "acme", CP_ROLE_TRADER, f->hash);
	c->n_flags = 1;
	snprintf(c->flags[0].name, CP_NAME_LEN, "newBlotter");
	c->flags[0].on = 1;
	f->cp = make_cp(f, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cp_destroy(f->cp);
	free(f->log);
	free(f);
	return 0;
}

/* One REST call; returns the status, body (NUL-terminated) in out. */
static int call(struct fx *f, int method, const char *path, const char *body, const char *tok, const char *key,
		char *out, size_t cap, int *replayed)
{
	char auth[300] = "";
	if (tok)
		snprintf(auth, sizeof(auth), "Bearer %s", tok);
	struct cp_req rq = { .method = method, .path = path, .query = "", .body = body,
			     .body_len = body ? strlen(body) : 0, .auth = auth, .idem_key = key ? key : "",
			     .peer = "127.0.0.1:5000", .now_ns = cp_mono_ns(), .wall_ns = cp_wall_ns() };
	struct cp_resp rs = { 0 };
	cp_api_handle(f->cp, &rq, &rs);
	if (out) {
		size_t n = rs.body.len < cap - 1 ? rs.body.len : cap - 1;
		memcpy(out, rs.body.p ? rs.body.p : "", n);
		out[n] = 0;
	}
	if (replayed)
		*replayed = rs.replayed;
	cp_buf_free(&rs.body);
	return rs.status;
}

static void login(struct fx *f, const char *user, char *tok, size_t cap)
{
	char body[200], out[4096];
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"secret-pass-1\"}", user);
	assert_int_equal(call(f, CP_POST, "/api/v1/auth/login", body, NULL, NULL, out, sizeof(out), NULL), 200);
	const char *p = strstr(out, "\"token\":\"");
	assert_non_null(p);
	p += 9;
	size_t n = strcspn(p, "\"");
	assert_true(n < cap);
	memcpy(tok, p, n);
	tok[n] = 0;
}

/* Records of a kind in the log, and the index of the k-th one. */
static unsigned count_kind(const struct hooklog *l, int kind)
{
	unsigned n = 0;
	for (unsigned i = 0; i < l->n; i++)
		n += l->ev[i].what == EV_JOURNAL && cp_jr_check(l->ev[i].rec, l->ev[i].len) == kind;
	return n;
}

static int find(const struct hooklog *l, int what, int kind, unsigned from)
{
	for (unsigned i = from; i < l->n; i++)
		if (l->ev[i].what == what && (what == EV_ORDER || cp_jr_check(l->ev[i].rec, l->ev[i].len) == kind))
			return (int)i;
	return -1;
}

/* A fresh control plane (same configuration) restored from the log. */
static struct cp *restore_all(struct fx *f)
{
	struct cp *cp = make_cp(f, 1);
	for (unsigned i = 0; i < f->log->n; i++)
		if (f->log->ev[i].what == EV_JOURNAL)
			assert_true(cp_restore(cp, f->log->ev[i].rec, f->log->ev[i].len, 0) >= 0);
	return cp;
}

#define ORDER_BODY "{\"instrumentId\":\"AAPL\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"quantity\":5,\"price\":\"10.00\"}"

/* ---- tests ------------------------------------------------------------------ */

static void cp_journal__rest_changes__restored_over_the_configuration(void **state)
{
	struct fx *f = *state;
	char plat[256], alice[256], out[4096];
	login(f, "plat", plat, sizeof(plat));
	assert_int_equal(call(f, CP_POST, "/api/v1/admin/users",
			      "{\"username\":\"newbie\",\"password\":\"newbie-pass-1\",\"tenant\":\"acme\","
			      "\"instruments\":[\"AAPL\"],\"account\":42}",
			      plat, NULL, out, sizeof(out), NULL),
			 201);
	assert_int_equal(call(f, CP_PATCH, "/api/v1/admin/users/alice", "{\"disabled\":true}", plat, NULL, out,
			      sizeof(out), NULL),
			 200);
	assert_int_equal(call(f, CP_PUT, "/api/v1/admin/flags", "{\"newBlotter\":false,\"beta\":true}", plat, NULL, out,
			      sizeof(out), NULL),
			 200);
	assert_int_equal(count_kind(f->log, CP_JR_USER), 2);
	assert_int_equal(count_kind(f->log, CP_JR_FLAG), 2);
	assert_true(count_kind(f->log, CP_JR_AUDIT) >= 4); /* secret, login, create, patch, 2 flags */
	int nb_slot = cp_user_find(f->cp, "newbie");
	uint32_t nb_gen = f->cp->users[nb_slot].gen;
	(void)alice;

	struct cp *cp2 = restore_all(f);
	const struct cp_restore_stats *r = cp_restore_stats(cp2);
	assert_int_equal(r->users, 2);
	assert_int_equal(r->flags, 2);
	assert_int_equal(r->skipped + r->invalid, 0);
	int s = cp_user_find(cp2, "newbie");
	assert_int_equal(s, nb_slot); /* its old slot: its orders' session */
	const struct cp_user *u = &cp2->users[s];
	assert_int_equal(u->tenant, 1);
	assert_int_equal(u->account, 42);
	assert_int_equal(u->gen, nb_gen);
	assert_int_equal(u->role, CP_ROLE_TRADER);
	assert_int_equal(u->n_instruments, 1);
	assert_string_equal(u->instruments[0], "AAPL");
	assert_int_equal(cp_password_verify(u->hash, "newbie-pass-1", 13), 0);
	assert_int_equal(cp2->users[cp_user_find(cp2, "alice")].disabled, 1); /* journal over config */
	assert_int_equal(cp2->n_flags, 2);
	assert_string_equal(cp2->flags[0].name, "newBlotter");
	assert_int_equal(cp2->flags[0].on, 0);
	assert_string_equal(cp2->flags[1].name, "beta");
	assert_int_equal(cp2->flags[1].on, 1);
	cp_destroy(cp2);
}

static void cp_journal__logout__token_generation_restored(void **state)
{
	struct fx *f = *state;
	char tok[256];
	login(f, "alice", tok, sizeof(tok));
	uint32_t gen = f->cp->users[cp_user_find(f->cp, "alice")].gen;
	assert_int_equal(call(f, CP_POST, "/api/v1/auth/logout", "", tok, NULL, NULL, 0, NULL), 204);
	struct cp *cp2 = restore_all(f);
	assert_int_equal(cp2->users[cp_user_find(cp2, "alice")].gen, gen + 1); /* old tokens stay revoked */
	cp_destroy(cp2);
}

static void cp_journal__new_order_with_key__idem_journaled_before_the_order(void **state)
{
	struct fx *f = *state;
	char tok[256], out[4096], out2[4096];
	login(f, "alice", tok, sizeof(tok));
	unsigned mark = f->log->n;
	assert_int_equal(call(f, CP_POST, "/api/v1/orders", ORDER_BODY, tok, "key-1", out, sizeof(out), NULL), 202);
	int corr_at = find(f->log, EV_JOURNAL, CP_JR_CORR, mark);
	int idem_at = find(f->log, EV_JOURNAL, CP_JR_IDEM, mark);
	int order_at = find(f->log, EV_ORDER, 0, mark);
	assert_true(corr_at >= 0 && idem_at > corr_at && order_at > idem_at);
	struct cp_jr_idem ih;
	memcpy(&ih, f->log->ev[idem_at].rec, sizeof(ih));
	struct og_api_req req;
	memcpy(&req, f->log->ev[order_at].rec, sizeof(req));
	assert_int_equal(ih.status, 202);
	assert_int_equal(ih.corr, req.corr);
	assert_int_equal(ih.flags, 0);
	assert_memory_equal(f->log->ev[idem_at].rec + sizeof(ih), out, ih.body_len); /* the response itself */
	struct cp_jr_corr cr;
	memcpy(&cr, f->log->ev[corr_at].rec, sizeof(cr));
	assert_true(req.corr < cr.next);

	/* after a restart: the same key replays the same response, new ids are above */
	struct cp *cp1 = f->cp;
	f->cp = restore_all(f);
	f->cp->next_corr = 1; /* as if the clock had gone back a long way */
	for (unsigned i = 0; i < f->log->n; i++)
		if (f->log->ev[i].what == EV_JOURNAL)
			cp_restore(f->cp, f->log->ev[i].rec, f->log->ev[i].len, 0);
	assert_int_equal(cp_restore_stats(f->cp)->idem, 2);
	char tok2[256];
	int replayed = 0;
	login(f, "alice", tok2, sizeof(tok2));
	unsigned sends = f->log->sends;
	assert_int_equal(call(f, CP_POST, "/api/v1/orders", ORDER_BODY, tok2, "key-1", out2, sizeof(out2), &replayed),
			 202);
	assert_int_equal(replayed, 1);
	assert_string_equal(out2, out);
	assert_int_equal(f->log->sends, sends); /* no second order */
	assert_int_equal(call(f, CP_POST, "/api/v1/orders", ORDER_BODY, tok2, "key-2", out2, sizeof(out2), NULL), 202);
	int o2 = find(f->log, EV_ORDER, 0, (unsigned)order_at + 1);
	assert_true(o2 > order_at);
	struct og_api_req req2;
	memcpy(&req2, f->log->ev[o2].rec, sizeof(req2));
	assert_true(req2.corr >= cr.next); /* never an id issued before the restart */
	cp_destroy(cp1);
}

static void cp_journal__order_send_fails__key_forgotten_not_replayed(void **state)
{
	struct fx *f = *state;
	char tok[256], out[4096];
	login(f, "alice", tok, sizeof(tok));
	f->log->send_fail = 1;
	unsigned mark = f->log->n;
	assert_int_equal(call(f, CP_POST, "/api/v1/orders", ORDER_BODY, tok, "key-f", out, sizeof(out), NULL), 503);
	int put_at = find(f->log, EV_JOURNAL, CP_JR_IDEM, mark);
	int forget_at = find(f->log, EV_JOURNAL, CP_JR_IDEM, (unsigned)put_at + 1);
	assert_true(put_at >= 0 && forget_at > put_at);
	struct cp_jr_idem ih;
	memcpy(&ih, f->log->ev[forget_at].rec, sizeof(ih));
	assert_int_equal(ih.flags, CP_JR_IDEM_FORGET);
	struct cp *cp2 = restore_all(f);
	assert_int_equal(cp_restore_stats(cp2)->forgotten, 1);
	const char *body;
	size_t len;
	int st;
	uint8_t h[32];
	memcpy(h, ih.hash, 32);
	assert_int_equal(cp_idem_get(cp2->idem, (uint32_t)cp_user_find(cp2, "alice"), "key-f", h, cp_mono_ns(), &st,
				     &body, &len),
			 CP_IDEM_MISS);
	cp_destroy(cp2);
	/* and live: the retry runs again */
	f->log->send_fail = 0;
	assert_int_equal(call(f, CP_POST, "/api/v1/orders", ORDER_BODY, tok, "key-f", out, sizeof(out), NULL), 202);
}

static void cp_journal__channel_full__order_refused_before_it_is_sent(void **state)
{
	struct fx *f = *state;
	char tok[256], out[4096];
	login(f, "alice", tok, sizeof(tok));
	f->log->full = 1;
	unsigned sends = f->log->sends;
	assert_int_equal(call(f, CP_POST, "/api/v1/orders", ORDER_BODY, tok, "key-b", out, sizeof(out), NULL), 503);
	assert_non_null(strstr(out, "BUSY"));
	assert_int_equal(f->log->sends, sends);
	f->log->full = 0;
	cp_drain(f->cp); /* the audit lines that waited go out */
	assert_int_equal(f->cp->jr_bl_n, 0);
	assert_int_equal(call(f, CP_POST, "/api/v1/orders", ORDER_BODY, tok, "key-b", out, sizeof(out), NULL), 202);
	assert_int_equal(f->log->sends, sends + 1);
}

static void cp_journal__backlog__kept_in_order_then_dropped_when_full(void **state)
{
	struct fx *f = *state;
	f->log->full = 1;
	unsigned mark = f->log->n;
	char name[16];
	for (unsigned i = 0; i < CP_JR_BACKLOG + 5; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		cp_jr_flag(f->cp, name, 1);
	}
	assert_int_equal(f->cp->jr_bl_n, CP_JR_BACKLOG);
	assert_int_equal(atomic_load(&f->cp->jr_ctr[CP_JRR_BACKLOG]), CP_JR_BACKLOG);
	assert_int_equal(atomic_load(&f->cp->jr_ctr[CP_JRR_DROPPED]), 5);
	f->log->full = 0;
	cp_drain(f->cp);
	assert_int_equal(f->cp->jr_bl_n, 0);
	assert_int_equal(f->log->n - mark, CP_JR_BACKLOG);
	for (unsigned i = 0; i < CP_JR_BACKLOG; i++) {
		struct cp_jr_flag r;
		memcpy(&r, f->log->ev[mark + i].rec, sizeof(r));
		snprintf(name, sizeof(name), "f%u", i);
		assert_string_equal(r.name, name);
	}
}

static void cp_journal__restore__stale_or_orphan_records_skipped(void **state)
{
	struct fx *f = *state;
	struct cp *cp = f->cp;
	/* a user of a tenant the configuration no longer has */
	struct cp_jr_user u;
	memset(&u, 0, sizeof(u));
	u.kind = CP_JR_USER;
	u.ver = CP_JR_VERSION;
	u.slot = 7;
	u.gen = 1;
	snprintf(u.name, sizeof(u.name), "ghost");
	snprintf(u.tenant_name, sizeof(u.tenant_name), "gone");
	snprintf(u.hash, sizeof(u.hash), "%s", f->hash);
	assert_int_equal(cp_restore(cp, &u, sizeof(u), 0), 1);
	assert_int_equal(cp_user_find(cp, "ghost"), -1);
	/* the same in a known tenant, its old slot taken by a configured user: moved */
	snprintf(u.tenant_name, sizeof(u.tenant_name), "acme");
	u.slot = 1; /* alice's */
	assert_int_equal(cp_restore(cp, &u, sizeof(u), 0), 0);
	int s = cp_user_find(cp, "ghost");
	assert_true(s >= 2);
	assert_string_equal(cp->users[1].name, "alice");
	/* a hash that is not argon2id */
	snprintf(u.name, sizeof(u.name), "weak");
	snprintf(u.hash, sizeof(u.hash), "plaintext");
	assert_int_equal(cp_restore(cp, &u, sizeof(u), 0), 1);
	/* idempotency keys: within the TTL restored, past it not */
	struct {
		struct cp_jr_idem h;
		char body[8];
	} i;
	memset(&i, 0, sizeof(i));
	i.h.kind = CP_JR_IDEM;
	i.h.ver = CP_JR_VERSION;
	i.h.status = 202;
	i.h.body_len = 8;
	memcpy(i.body, "{\"id\":1}", 8);
	snprintf(i.h.user_name, sizeof(i.h.user_name), "alice");
	snprintf(i.h.key, sizeof(i.h.key), "old");
	i.h.wall_ns = cp_wall_ns() - 25ull * 3600 * 1000000000ull;
	assert_int_equal(cp_restore(cp, &i, sizeof(i), 0), 1);
	snprintf(i.h.key, sizeof(i.h.key), "fresh");
	i.h.wall_ns = cp_wall_ns() - 3600ull * 1000000000ull;
	assert_int_equal(cp_restore(cp, &i, sizeof(i), 0), 0);
	snprintf(i.h.user_name, sizeof(i.h.user_name), "nobody");
	assert_int_equal(cp_restore(cp, &i, sizeof(i), 0), 1);
	int st;
	const char *body;
	size_t len;
	assert_int_equal(cp_idem_get(cp->idem, 1, "old", i.h.hash, cp_mono_ns(), &st, &body, &len), CP_IDEM_MISS);
	assert_int_equal(cp_idem_get(cp->idem, 1, "fresh", i.h.hash, cp_mono_ns(), &st, &body, &len), CP_IDEM_HIT);
	assert_int_equal(st, 202);
	assert_int_equal(len, 8);
	assert_memory_equal(body, "{\"id\":1}", 8);
	/* malformed: wrong length, unknown kind, unknown version */
	assert_int_equal(cp_restore(cp, &i, sizeof(i) - 1, 0), -EINVAL);
	uint8_t junk[16] = { 99, CP_JR_VERSION };
	assert_int_equal(cp_restore(cp, junk, sizeof(junk), 0), -EINVAL);
	junk[0] = CP_JR_CORR;
	junk[1] = 2;
	assert_int_equal(cp_restore(cp, junk, sizeof(junk), 0), -EINVAL);
	const struct cp_restore_stats *r = cp_restore_stats(cp);
	assert_int_equal(r->users, 1);
	assert_int_equal(r->idem, 1);
	assert_int_equal(r->idem_expired, 1);
	assert_int_equal(r->skipped, 4); /* ghost (tenant), weak (hash), old (TTL), nobody (user) */
	assert_int_equal(r->invalid, 3);
}

static void cp_journal__audit_record__same_fields_as_the_line_and_exported(void **state)
{
	struct fx *f = *state;
	unsigned mark = f->log->n;
	struct cp_user *u = &f->cp->users[cp_user_find(f->cp, "alice")];
	cp_audit(f->cp, "login_failed", u, "10.0.0.1:99", 0, "wrong \"password\" %d", 3);
	assert_int_equal(f->log->n, mark + 1);
	const uint8_t *rec = f->log->ev[mark].rec;
	size_t len = f->log->ev[mark].len;
	assert_int_equal(cp_jr_check(rec, len), CP_JR_AUDIT);
	struct cp_jr_audit a;
	memcpy(&a, rec, sizeof(a));
	assert_string_equal(a.event, "login_failed");
	assert_string_equal(a.user, "alice");
	assert_string_equal(a.tenant, "acme");
	assert_string_equal(a.peer, "10.0.0.1:99");
	assert_int_equal(a.flags, CP_JR_AUDIT_USER);
	assert_int_equal(a.detail_len, strlen("wrong \"password\" 3"));
	assert_memory_equal(rec + sizeof(a), "wrong \"password\" 3", a.detail_len);
	/* the Kafka mapping: one AuditEvent on audit.events, keyed by the actor */
	struct jr_rec jr = { .seq = 42, .ts_ns = 1, .type = OG_JR_CP, .len = (uint32_t)len, .payload = rec };
	struct exp_map_state st = { .producer = "test" };
	static uint8_t buf[EXP_MAP_BUF];
	struct exp_msg m[EXP_MAX_MSGS];
	enum exp_skip skip;
	assert_int_equal(exp_map_record(&st, &jr, buf, sizeof(buf), m, &skip), 1);
	assert_int_equal(m[0].stream, EXP_S_AUDIT);
	assert_string_equal(m[0].key, "acme.alice");
	assert_string_equal(exp_stream_name(EXP_S_AUDIT), "audit.events");
	/* `orionctl decode` prints it from the schema */
	FILE *in = fmemopen((void *)m[0].val, m[0].len, "r");
	char *text = NULL;
	size_t tlen = 0;
	FILE *out = open_memstream(&text, &tlen);
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(exp_decode_stream(in, "audit", out, 1), 0);
	fclose(in);
	fclose(out);
	assert_non_null(strstr(text, "\"type\":\"AuditEvent\""));
	assert_non_null(strstr(text, "\"event\":\"login_failed\""));
	assert_non_null(strstr(text, "\"user\":\"alice\""));
	free(text);
	/* state records are not exported */
	cp_jr_flag(f->cp, "x", 1);
	jr.payload = f->log->ev[f->log->n - 1].rec;
	jr.len = (uint32_t)f->log->ev[f->log->n - 1].len;
	assert_int_equal(exp_map_record(&st, &jr, buf, sizeof(buf), m, &skip), 0);
	assert_int_equal(skip, EXP_SKIP_REQUEST);
}

static void cp_journal__without_journal__nothing_emitted(void **state)
{
	struct fx *f = *state;
	struct cp *cp = make_cp(f, 0);
	unsigned n = f->log->n;
	cp_jr_flag(cp, "x", 1);
	uint64_t c;
	assert_int_equal(cp_next_corr(cp, &c), 0);
	assert_int_equal(f->log->n, n);
	assert_int_equal(cp_journaled(cp), 0);
	cp_destroy(cp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cp_journal__rest_changes__restored_over_the_configuration, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cp_journal__logout__token_generation_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(cp_journal__new_order_with_key__idem_journaled_before_the_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cp_journal__order_send_fails__key_forgotten_not_replayed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cp_journal__channel_full__order_refused_before_it_is_sent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cp_journal__backlog__kept_in_order_then_dropped_when_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cp_journal__restore__stale_or_orphan_records_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(cp_journal__audit_record__same_fields_as_the_line_and_exported, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cp_journal__without_journal__nothing_emitted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
