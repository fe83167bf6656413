/* Control plane life cycle, producer queues, drain, audit log and metrics. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "controlplane/cp_int.h"
#include "controlplane/cp_jrec.h"

#define CP_IDEM_TTL_NS (24ull * 3600 * 1000000000ull)

static_assert(CP_JR_NAME == CP_NAME_LEN && CP_JR_HASH == CP_HASH_LEN && CP_JR_ENTITLED == CP_MAX_ENTITLED &&
		      CP_JR_SYM == ORION_SYMBOL_LEN + 1 && CP_JR_IDEM_KEY == CP_IDEM_KEY_MAX + 1,
	      "cp_jrec.h sizes follow cp.h");

uint64_t cp_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t cp_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- SPSC ring ---------------------------------------------------------- */
static int spsc_init(struct cp_spsc *r, uint32_t n, uint32_t esz)
{
	uint32_t cap = 1;
	while (cap < n)
		cap <<= 1;
	r->buf = calloc(cap, esz);
	r->mask = cap - 1;
	r->esz = esz;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r->buf ? 0 : -ENOMEM;
}

static int spsc_push(struct cp_spsc *r, const void *rec)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (h - t > r->mask)
		return -ENOBUFS;
	memcpy(r->buf + (size_t)(h & r->mask) * r->esz, rec, r->esz);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 0;
}

static int spsc_pop(struct cp_spsc *r, void *rec)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	if (t == h)
		return 0;
	memcpy(rec, r->buf + (size_t)(t & r->mask) * r->esz, r->esz);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return 1;
}

static unsigned spsc_free(const struct cp_spsc *r)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	return (unsigned)(r->mask + 1 - (h - t));
}

/* ---- producer API ------------------------------------------------------- */
int cp_publish_tick(struct cp *cp, const struct md_tick *t, int conflated)
{
	if (!!conflated != (cp->cfg.market_data == CP_MD_CONFLATED)) {
		cp_count(cp, CP_C_TICKS_OTHER_STREAM, 1);
		return 0;
	}
	uint64_t key = ((uint64_t)t->source << 32 | t->instrument_id) + 1;
	uint32_t *v = cp_map_get(&cp->slot_of, key), idx;
	if (v) {
		idx = *v;
	} else {
		idx = atomic_load_explicit(&cp->n_slots, memory_order_relaxed);
		if (idx >= cp->n_slots_cap) {
			cp_count(cp, CP_C_TICKS_NO_SLOT, 1);
			return -ENOSPC;
		}
		cp_map_put(&cp->slot_of, key, idx);
	}
	struct cp_mdslot *s = &cp->slots[idx];
	uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
	atomic_store_explicit(&s->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&s->t, t, sizeof(*t));
	atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
	if (!v)
		atomic_store_explicit(&cp->n_slots, idx + 1, memory_order_release);
	if (!atomic_exchange_explicit(&s->dirty, 1, memory_order_acq_rel))
		spsc_push(&cp->dirty, &idx); /* room for every slot: cannot fail */
	cp_count(cp, CP_C_TICKS_IN, 1);
	return 0;
}

int cp_publish_order_event(struct cp *cp, const struct me_event *ev)
{
	if (spsc_push(&cp->evq, ev)) {
		cp_count(cp, CP_C_EVENTS_DROPPED, 1);
		return -ENOBUFS;
	}
	cp_count(cp, CP_C_EVENTS_IN, 1);
	return 0;
}

int cp_publish_md_event(struct cp *cp, uint16_t source, const char *event, uint64_t from, uint64_t to)
{
	struct cp_mdev m = { .from = from, .to = to, .source = source };
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* vDSO: no system call */
	m.wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	size_t n = strnlen(event, sizeof(m.event) - 1);
	memcpy(m.event, event, n);
	if (spsc_push(&cp->mdevq, &m)) {
		cp_count(cp, CP_C_MDEV_DROPPED, 1);
		return -ENOBUFS;
	}
	cp_count(cp, CP_C_MDEV_IN, 1);
	return 0;
}

unsigned cp_event_room(const struct cp *cp)
{
	return spsc_free(&cp->evq);
}

void cp_set_ready(struct cp *cp, int ready)
{
	atomic_store(&cp->ready, !!ready);
}

/* ---- helpers (cp thread) ------------------------------------------------ */
const char *cp_tenant_name(const struct cp *cp, uint32_t tenant)
{
	if (tenant < CP_MAX_TENANTS && cp->tenant_names[tenant][0])
		return cp->tenant_names[tenant];
	return tenant == 0 ? "default" : "?";
}

int cp_tenant_id(const struct cp *cp, const char *name, uint32_t *id)
{
	for (uint32_t i = 0; i < CP_MAX_TENANTS; i++)
		if (cp->tenant_names[i][0] && !strcmp(cp->tenant_names[i], name)) {
			*id = i;
			return 0;
		}
	if (!strcmp(name, "default")) {
		*id = 0;
		return 0;
	}
	return -ENOENT;
}

const struct cp_instrument *cp_instr_by_symbol(const struct cp *cp, const char *sym)
{
	for (unsigned i = 0; i < cp->n_instr; i++)
		if (!strcmp(cp->instr[i].symbol, sym))
			return &cp->instr[i];
	return NULL;
}

int cp_user_entitled(const struct cp_user *u, const char *sym)
{
	if (u->all_instruments)
		return 1;
	for (unsigned i = 0; i < u->n_instruments; i++)
		if (!strcmp(u->instruments[i], sym))
			return 1;
	return 0;
}

int cp_user_find(const struct cp *cp, const char *name)
{
	for (int i = 0; i < CP_MAX_USERS; i++)
		if (cp->users[i].used && !strcmp(cp->users[i].name, name))
			return i;
	return -1;
}

int cp_can_see(const struct cp_user *u, uint32_t u_slot, uint32_t tenant, uint32_t owner)
{
	if (u->role == CP_ROLE_PLATFORM)
		return 1;
	if (u->role == CP_ROLE_ADMIN || u->role == CP_ROLE_RISK)
		return tenant == u->tenant;
	return owner == u_slot && tenant == u->tenant;
}

static uint64_t sym_key(const char *s)
{
	uint64_t k = 0;
	memcpy(&k, s, strnlen(s, ORION_SYMBOL_LEN));
	return k;
}

uint32_t cp_sym_find(const struct cp *cp, const char *name)
{
	uint32_t *v = cp_map_get((struct cp_u64map *)&cp->sym_of, sym_key(name));
	return v ? *v : UINT32_MAX;
}

int64_t cp_ref_price(const struct cp *cp, const char *sym, int side)
{
	uint32_t s = cp_sym_find(cp, sym);
	int64_t best = ORION_PX_NONE;
	if (s == UINT32_MAX)
		return best;
	for (uint32_t i = cp->syms[s].first; i != UINT32_MAX; i = cp->md[i].next_same_sym) {
		const struct md_tick *t = &cp->md[i].t;
		int64_t px = side == ME_BUY ? t->ask_px : t->bid_px;
		if (px == ORION_PX_NONE)
			px = t->last_px != ORION_PX_NONE ? t->last_px : t->mid_px;
		if (px != ORION_PX_NONE && (best == ORION_PX_NONE || t->source == MD_SOURCE_VENUE))
			best = px;
	}
	return best;
}

static void iso_time(uint64_t wall_ns, char *out, size_t n)
{
	time_t s = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, n - k, ".%03uZ", (unsigned)(wall_ns / 1000000ull % 1000));
}

/* NUL-padded copy of a string into a fixed field (truncated to fit). */
static void fixed_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap) : 0;
	memset(dst, 0, cap);
	memcpy(dst, src ? src : "", n);
}

/* The JSON audit line of a record (the same for the file and the journal). */
static void audit_line(const struct cp_jr_audit *a, const char *detail, size_t dlen, struct cp_buf *b)
{
	char ts[40];
	iso_time(a->wall_ns, ts, sizeof(ts));
	cp_buf_printf(b, "{\"ts\":\"%s\",\"event\":", ts);
	cp_buf_json_str(b, a->event, strnlen(a->event, sizeof(a->event)));
	cp_buf_str(b, ",\"user\":");
	if (a->flags & CP_JR_AUDIT_USER)
		cp_buf_json_str(b, a->user, strnlen(a->user, sizeof(a->user)));
	else
		cp_buf_str(b, "null");
	cp_buf_str(b, ",\"tenant\":");
	if (a->flags & CP_JR_AUDIT_USER)
		cp_buf_json_str(b, a->tenant, strnlen(a->tenant, sizeof(a->tenant)));
	else
		cp_buf_str(b, "null");
	cp_buf_str(b, ",\"peer\":");
	cp_buf_json_str(b, a->peer, strnlen(a->peer, sizeof(a->peer)));
	cp_buf_printf(b, ",\"ok\":%s,\"detail\":", a->flags & CP_JR_AUDIT_OK ? "true" : "false");
	cp_buf_json_str(b, detail, dlen);
	cp_buf_str(b, "}\n");
}

void cp_audit(struct cp *cp, const char *event, const struct cp_user *u, const char *peer, int ok, const char *fmt,
	      ...)
{
	if (!cp->audit && !cp->jr_on)
		return;
	struct {
		struct cp_jr_audit a;
		char detail[512];
	} r;
	memset(&r.a, 0, sizeof(r.a));
	r.a.kind = CP_JR_AUDIT;
	r.a.ver = CP_JR_VERSION;
	r.a.flags = (uint8_t)((ok ? CP_JR_AUDIT_OK : 0) | (u ? CP_JR_AUDIT_USER : 0));
	r.a.wall_ns = cp_wall_ns();
	fixed_str(r.a.event, sizeof(r.a.event), event);
	if (u) {
		fixed_str(r.a.user, sizeof(r.a.user), u->name);
		fixed_str(r.a.tenant, sizeof(r.a.tenant), cp_tenant_name(cp, u->tenant));
	}
	fixed_str(r.a.peer, sizeof(r.a.peer), peer);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r.detail, sizeof(r.detail), fmt, ap);
	va_end(ap);
	size_t dlen = n < 0 ? 0 : (size_t)n < sizeof(r.detail) ? (size_t)n : sizeof(r.detail) - 1;
	r.a.detail_len = (uint32_t)dlen;
	static_assert(sizeof(r) <= CP_JR_MAX, "an audit record fits a journal record");
	if (cp->jr_on)
		cp_jr_emit(cp, &r, sizeof(r.a) + dlen);
	if (!cp->audit)
		return;
	struct cp_buf b = { 0 };
	audit_line(&r.a, r.detail, dlen, &b);
	if (!b.oom) {
		fwrite(b.p, 1, b.len, cp->audit);
		fflush(cp->audit);
	}
	cp_buf_free(&b);
}

/* ---- journal records (cp thread; control thread before cp_start) -------- */
static void jr_count(struct cp *cp, enum cp_jr_result r)
{
	atomic_fetch_add_explicit(&cp->jr_ctr[r], 1, memory_order_relaxed);
}

void cp_jr_flush(struct cp *cp)
{
	while (cp->jr_bl_n) {
		uint32_t i = cp->jr_bl_head;
		if (cp->hooks.journal(cp->hooks.ctx, cp->jr_bl + (size_t)i * CP_JR_MAX, cp->jr_bl_len[i]) != 0)
			return;
		jr_count(cp, CP_JRR_SENT);
		cp->jr_bl_head = (i + 1) % CP_JR_BACKLOG;
		cp->jr_bl_n--;
	}
}

int cp_jr_emit(struct cp *cp, const void *rec, size_t len)
{
	if (!cp->jr_on)
		return 0;
	if (!len || len > CP_JR_MAX) {
		jr_count(cp, CP_JRR_DROPPED);
		return -EMSGSIZE;
	}
	cp_jr_flush(cp);
	if (!cp->jr_bl_n && cp->hooks.journal(cp->hooks.ctx, rec, len) == 0) {
		jr_count(cp, CP_JRR_SENT);
		return 0;
	}
	if (cp->jr_bl_n == CP_JR_BACKLOG) {
		jr_count(cp, CP_JRR_DROPPED);
		return -ENOBUFS;
	}
	uint32_t i = (cp->jr_bl_head + cp->jr_bl_n) % CP_JR_BACKLOG;
	memcpy(cp->jr_bl + (size_t)i * CP_JR_MAX, rec, len);
	cp->jr_bl_len[i] = (uint32_t)len;
	cp->jr_bl_n++;
	jr_count(cp, CP_JRR_BACKLOG);
	return 0;
}

int cp_jr_emit_now(struct cp *cp, const void *rec, size_t len)
{
	if (!cp->jr_on)
		return 0;
	if (!len || len > CP_JR_MAX)
		return -EMSGSIZE;
	cp_jr_flush(cp);
	if (cp->jr_bl_n || cp->hooks.journal(cp->hooks.ctx, rec, len) != 0)
		return -ENOBUFS;
	jr_count(cp, CP_JRR_SENT);
	return 0;
}

unsigned cp_journal_flush(struct cp *cp)
{
	if (!cp->jr_on)
		return 0;
	cp_jr_flush(cp);
	return cp->jr_bl_n;
}

void cp_jr_user(struct cp *cp, uint32_t slot)
{
	if (!cp->jr_on || slot >= CP_MAX_USERS || !cp->users[slot].used)
		return;
	const struct cp_user *u = &cp->users[slot];
	struct cp_jr_user r;
	memset(&r, 0, sizeof(r));
	r.kind = CP_JR_USER;
	r.ver = CP_JR_VERSION;
	r.role = u->role;
	r.disabled = u->disabled;
	r.all_instruments = u->all_instruments;
	r.slot = slot;
	r.tenant = u->tenant;
	r.account = u->account;
	r.gen = u->gen;
	r.n_instruments = u->n_instruments <= CP_JR_ENTITLED ? u->n_instruments : CP_JR_ENTITLED;
	r.max_notional = u->max_notional;
	fixed_str(r.name, sizeof(r.name), u->name);
	fixed_str(r.tenant_name, sizeof(r.tenant_name), cp_tenant_name(cp, u->tenant));
	fixed_str(r.hash, sizeof(r.hash), u->hash);
	for (unsigned i = 0; i < r.n_instruments; i++)
		fixed_str(r.instruments[i], sizeof(r.instruments[i]), u->instruments[i]);
	cp_jr_emit(cp, &r, sizeof(r));
}

void cp_jr_flag(struct cp *cp, const char *name, int on)
{
	struct cp_jr_flag r;
	memset(&r, 0, sizeof(r));
	r.kind = CP_JR_FLAG;
	r.ver = CP_JR_VERSION;
	r.on = !!on;
	fixed_str(r.name, sizeof(r.name), name);
	cp_jr_emit(cp, &r, sizeof(r));
}

int cp_next_corr(struct cp *cp, uint64_t *corr)
{
	uint64_t c = cp->next_corr + 1;
	if (cp->jr_on && c >= cp->corr_reserved) {
		struct cp_jr_corr r = { .kind = CP_JR_CORR, .ver = CP_JR_VERSION, .next = c + CP_CORR_BLOCK };
		if (cp_jr_emit_now(cp, &r, sizeof(r)) != 0)
			return -ENOBUFS;
		cp->corr_reserved = r.next;
	}
	cp->next_corr = c;
	*corr = c;
	return 0;
}

int cp_jr_idem(struct cp *cp, uint32_t user, const char *key, const uint8_t hash[32], int status, const char *body,
	       size_t body_len, uint64_t corr, uint64_t wall_ns, int forget)
{
	if (!cp->jr_on)
		return 0;
	if (forget)
		body_len = 0;
	if (body_len > CP_JR_IDEM_BODY_MAX)
		return -EMSGSIZE;
	struct {
		struct cp_jr_idem h;
		char body[CP_JR_IDEM_BODY_MAX];
	} r;
	memset(&r.h, 0, sizeof(r.h));
	r.h.kind = CP_JR_IDEM;
	r.h.ver = CP_JR_VERSION;
	r.h.flags = forget ? CP_JR_IDEM_FORGET : 0;
	r.h.status = status;
	r.h.user = user;
	r.h.body_len = (uint32_t)body_len;
	r.h.wall_ns = wall_ns;
	r.h.corr = corr;
	memcpy(r.h.hash, hash, 32);
	if (user < CP_MAX_USERS)
		fixed_str(r.h.user_name, sizeof(r.h.user_name), cp->users[user].name);
	fixed_str(r.h.key, sizeof(r.h.key), key);
	if (body_len)
		memcpy(r.body, body, body_len);
	size_t len = sizeof(r.h) + body_len;
	return forget ? cp_jr_emit(cp, &r, len) : cp_jr_emit_now(cp, &r, len);
}

/* ---- restore from the journal (control thread, before cp_start) ---------- */
static void restore_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void restore_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("oriond: control plane: journal: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Copy a NUL-padded field into a C string of the same capacity. */
static void field_str(char *dst, const char *src, size_t cap)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int restore_user(struct cp *cp, const struct cp_jr_user *r)
{
	char name[CP_NAME_LEN], tname[CP_NAME_LEN];
	field_str(name, r->name, sizeof(name));
	field_str(tname, r->tenant_name, sizeof(tname));
	if (!name[0])
		return -EINVAL;
	uint32_t tid;
	if (cp_tenant_id(cp, tname, &tid)) {
		restore_log("user '%s' skipped: its tenant '%s' is no longer configured", name, tname);
		return 1;
	}
	if (r->role >= CP_ROLE__COUNT || strncmp(r->hash, "$argon2id$", 10) || r->account >= CP_MAX_ACCOUNTS) {
		restore_log("user '%s' skipped: role, password hash or account not valid", name);
		return 1;
	}
	int slot = cp_user_find(cp, name);
	if (slot < 0) {
		if (r->slot < CP_MAX_USERS && !cp->users[r->slot].used) {
			slot = (int)r->slot;
		} else {
			for (int i = 0; i < CP_MAX_USERS && slot < 0; i++)
				if (!cp->users[i].used)
					slot = i;
			if (slot < 0) {
				restore_log("user '%s' skipped: no free user slot", name);
				return 1;
			}
			restore_log("user '%s' restored into slot %d (was %u, now a configured user's): its earlier "
				    "orders show under API session %u",
				    name, slot, r->slot, OG_API_SESSION_BASE + r->slot);
		}
	}
	struct cp_user *u = &cp->users[slot];
	if (!u->used) {
		uint64_t now = cp_mono_ns();
		memset(u, 0, sizeof(*u));
		cp_bucket_init(&u->rate, cp->cfg.rate_limit_burst, now);
		cp_bucket_init(&u->login_rate, 5, now);
		u->used = 1;
		memcpy(u->name, name, sizeof(u->name));
	}
	field_str(u->hash, r->hash, sizeof(u->hash));
	u->tenant = tid;
	u->account = r->account;
	u->gen = r->gen ? r->gen : 1;
	u->role = r->role;
	u->disabled = !!r->disabled;
	u->all_instruments = !!r->all_instruments;
	u->n_instruments = r->n_instruments;
	for (unsigned i = 0; i < r->n_instruments; i++)
		field_str(u->instruments[i], r->instruments[i], sizeof(u->instruments[i]));
	u->max_notional = r->max_notional;
	cp->rst.users++;
	return 0;
}

static int restore_flag(struct cp *cp, const struct cp_jr_flag *r)
{
	char name[CP_NAME_LEN];
	field_str(name, r->name, sizeof(name));
	if (!name[0])
		return -EINVAL;
	unsigned i;
	for (i = 0; i < cp->n_flags; i++)
		if (!strcmp(cp->flags[i].name, name))
			break;
	if (i == cp->n_flags) {
		if (cp->n_flags == CP_MAX_FLAGS) {
			restore_log("flag '%s' skipped: too many flags", name);
			return 1;
		}
		memcpy(cp->flags[i].name, name, sizeof(name));
		cp->n_flags++;
	}
	cp->flags[i].on = !!r->on;
	cp->rst.flags++;
	return 0;
}

static int restore_idem(struct cp *cp, const struct cp_jr_idem *r, const char *body)
{
	char uname[CP_NAME_LEN], key[CP_IDEM_KEY_MAX + 1];
	field_str(uname, r->user_name, sizeof(uname));
	field_str(key, r->key, sizeof(key));
	int slot = cp_user_find(cp, uname);
	if (slot < 0 || !cp_idem_key_ok(key))
		return 1;
	if (r->flags & CP_JR_IDEM_FORGET) {
		cp_idem_forget(cp->idem, (uint32_t)slot, key);
		cp->rst.forgotten++;
		return 0;
	}
	uint64_t wall = cp_wall_ns();
	uint64_t age = wall > r->wall_ns ? wall - r->wall_ns : 0;
	if (age >= CP_IDEM_TTL_NS) {
		cp->rst.idem_expired++;
		return 1;
	}
	/* the cache runs on the monotonic clock: the same age (wraps harmlessly) */
	if (cp_idem_put(cp->idem, (uint32_t)slot, key, r->hash, cp_mono_ns() - age, r->status, body, r->body_len))
		return 1;
	if (r->corr >= cp->next_corr)
		cp->next_corr = r->corr + 1;
	cp->rst.idem++;
	return 0;
}

int cp_restore(struct cp *cp, const void *rec, size_t len, uint64_t ts_ns)
{
	(void)ts_ns;
	cp->rst.records++;
	int rc;
	switch (cp_jr_check(rec, len)) {
	case CP_JR_AUDIT:
		cp->rst.audit++;
		return 0;
	case CP_JR_USER: {
		struct cp_jr_user u;
		memcpy(&u, rec, sizeof(u));
		rc = restore_user(cp, &u);
		break;
	}
	case CP_JR_FLAG: {
		struct cp_jr_flag f;
		memcpy(&f, rec, sizeof(f));
		rc = restore_flag(cp, &f);
		break;
	}
	case CP_JR_IDEM: {
		struct cp_jr_idem i;
		memcpy(&i, rec, sizeof(i));
		rc = restore_idem(cp, &i, (const char *)rec + sizeof(i));
		break;
	}
	case CP_JR_CORR: {
		struct cp_jr_corr c;
		memcpy(&c, rec, sizeof(c));
		if (c.next > cp->next_corr)
			cp->next_corr = c.next;
		cp->rst.corr++;
		return 0;
	}
	default:
		rc = -EINVAL;
		break;
	}
	if (rc < 0)
		cp->rst.invalid++;
	else if (rc > 0)
		cp->rst.skipped++;
	return rc;
}

const struct cp_restore_stats *cp_restore_stats(const struct cp *cp)
{
	return &cp->rst;
}

int cp_journaled(const struct cp *cp)
{
	return cp->jr_on;
}

void cp_risk_log_add(struct cp *cp, const struct risk_cmd *cmd, const char *by)
{
	int free_i = -1, oldest = 0;
	for (int i = 0; i < CP_RISK_LOG; i++) {
		struct cp_risk_log *l = &cp->risk_log[i];
		if (!l->used) {
			if (free_i < 0)
				free_i = i;
			continue;
		}
		if (l->cmd.type == cmd->type && l->cmd.scope == cmd->scope && l->cmd.id == cmd->id) {
			free_i = i;
			break;
		}
		if (l->wall_ns < cp->risk_log[oldest].wall_ns)
			oldest = i;
	}
	struct cp_risk_log *l = &cp->risk_log[free_i >= 0 ? free_i : oldest];
	l->cmd = *cmd;
	l->wall_ns = cp_wall_ns();
	l->used = 1;
	snprintf(l->by, sizeof(l->by), "%s", by);
}

/* ---- market data entries (cp thread) ------------------------------------ */
static uint32_t sym_add(struct cp *cp, const char *name)
{
	uint32_t s = cp_sym_find(cp, name);
	if (s != UINT32_MAX)
		return s;
	s = cp->n_syms++;
	snprintf(cp->syms[s].name, sizeof(cp->syms[s].name), "%s", name);
	cp->syms[s].first = UINT32_MAX;
	cp_map_put(&cp->sym_of, sym_key(name), s);
	return s;
}

void cp_md_entry_json(struct cp *cp, struct cp_md *m, struct cp_buf *b)
{
	const struct md_tick *t = &m->t;
	if (m->frag && m->frag_ver == m->ver) {
		cp_buf_add(b, m->frag, m->frag_len);
		return;
	}
	struct cp_buf f = { 0 };
	cp_buf_str(&f, "{\"instrumentId\":");
	cp_buf_json_str(&f, cp->syms[m->sym].name, strlen(cp->syms[m->sym].name));
	cp_buf_printf(&f, ",\"source\":%u,\"bid\":", t->source);
	cp_buf_json_px(&f, t->bid_px);
	cp_buf_printf(&f, ",\"bidSize\":%u,\"ask\":", t->bid_sz);
	cp_buf_json_px(&f, t->ask_px);
	cp_buf_printf(&f, ",\"askSize\":%u,\"mid\":", t->ask_sz);
	cp_buf_json_px(&f, t->mid_px);
	cp_buf_str(&f, ",\"last\":");
	cp_buf_json_px(&f, t->last_px);
	cp_buf_printf(&f,
		      ",\"lastSize\":%u,\"stale\":%s,\"halted\":%s,\"gap\":%s,\"crossed\":%s,\"seqno\":%u,"
		      "\"recvNs\":%llu,\"ver\":%llu}",
		      t->last_sz, t->flags & MD_TF_STALE ? "true" : "false", t->flags & MD_TF_HALTED ? "true" : "false",
		      t->flags & MD_TF_GAP ? "true" : "false", t->flags & MD_TF_CROSSED ? "true" : "false", t->seqno,
		      (unsigned long long)t->recv_ns, (unsigned long long)m->ver);
	if (f.oom) {
		cp_buf_free(&f);
		b->oom = 1;
		return;
	}
	free(m->frag);
	m->frag = f.p;
	m->frag_len = f.len;
	m->frag_ver = m->ver;
	cp_buf_add(b, m->frag, m->frag_len);
}

static void md_update(struct cp *cp, uint32_t idx, const struct md_tick *t)
{
	struct cp_md *m = &cp->md[idx];
	if (!m->used) {
		char sym[ORION_SYMBOL_LEN + 1];
		size_t n = 0;
		while (n < ORION_SYMBOL_LEN && t->symbol[n] && t->symbol[n] != ' ')
			n++;
		memcpy(sym, t->symbol, n);
		sym[n] = 0;
		if (!n)
			snprintf(sym, sizeof(sym), "#%u", t->instrument_id % 10000000u);
		for (size_t i = 0; i < n; i++)
			if (sym[i] < 0x21 || sym[i] > 0x7e || sym[i] == '"' || sym[i] == '\\')
				sym[i] = '_';
		m->used = 1;
		m->sym = sym_add(cp, sym);
		m->next_same_sym = cp->syms[m->sym].first;
		cp->syms[m->sym].first = idx;
	}
	m->t = *t;
	m->ver = ++cp->md_ver;
	cp_ws_md_touched(cp, m->sym);
}

/* ---- order view callbacks ----------------------------------------------- */
static void on_order(void *ctx, const struct cp_order *o)
{
	cp_ws_on_order(ctx, o);
}

static void on_trade(void *ctx, const struct cp_trade *t)
{
	cp_ws_on_trade(ctx, t);
}

static void on_notice(void *ctx, uint32_t user, uint32_t tenant, const char *code, const char *text)
{
	(void)tenant;
	if (user != CP_USER_NONE)
		cp_ws_notify_user(ctx, user, code, text);
}

static const char *instr_symbol(void *ctx, uint32_t id)
{
	struct cp *cp = ctx;
	for (unsigned i = 0; i < cp->n_instr; i++)
		if (cp->instr[i].id == id)
			return cp->instr[i].symbol;
	return NULL;
}

void cp_drain(struct cp *cp)
{
	if (cp->jr_bl_n)
		cp_jr_flush(cp);
	uint32_t idx;
	unsigned n = 0, cap = cp->n_slots_cap;
	while (n++ < cap && spsc_pop(&cp->dirty, &idx)) {
		struct cp_mdslot *s = &cp->slots[idx];
		atomic_store(&s->dirty, 0);
		struct md_tick t;
		for (int tries = 0; tries < 16; tries++) {
			uint32_t s1 = atomic_load_explicit(&s->seq, memory_order_acquire);
			if (s1 & 1)
				continue;
			memcpy(&t, &s->t, sizeof(t));
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&s->seq, memory_order_relaxed) == s1) {
				md_update(cp, idx, &t);
				break;
			}
		}
	}
	cp_ws_md_flush(cp);
	const struct cp_orders_cb cb = { .ctx = cp, .order = on_order, .trade = on_trade, .notice = on_notice,
					 .symbol = instr_symbol };
	struct me_event ev;
	uint64_t wall = cp_wall_ns();
	for (n = 0; n < 8192 && spsc_pop(&cp->evq, &ev); n++)
		cp_orders_apply(cp->orders, &ev, wall, &cb);
	struct cp_mdev m;
	for (n = 0; n < 256 && spsc_pop(&cp->mdevq, &m); n++) {
		char text[128];
		snprintf(text, sizeof(text), "feed %u: %s (sequence %llu..%llu)", m.source, m.event,
			 (unsigned long long)m.from, (unsigned long long)m.to);
		cp_ws_notify_all(cp, CP_TENANT_ALL, "FEED_EVENT", text);
	}
}

/* ---- metrics ------------------------------------------------------------ */
static const struct {
	const char *name, *label;
} ctr_info[CP_C__COUNT] = {
#define CP_X(id, name, label) { name, label },
	CP_COUNTERS(CP_X)
#undef CP_X
};

static const char *const g_jr_labels[3] = { "result=\"sent\"", "result=\"backlog\"", "result=\"dropped\"" };

void cp_foreach_counter(const struct cp *cp, void (*fn)(void *arg, const char *name, const char *label, uint64_t v),
			void *arg)
{
	for (int i = 0; i < CP_C__COUNT; i++)
		fn(arg, ctr_info[i].name, ctr_info[i].label,
		   atomic_load_explicit(&((struct cp *)cp)->ctr[i], memory_order_relaxed));
	for (int i = 0; i < 3; i++)
		fn(arg, "orion_cp_journal_records_total", g_jr_labels[i],
		   atomic_load_explicit(&((struct cp *)cp)->jr_ctr[i], memory_order_relaxed));
}

void cp_write_metrics(struct cp *cp, FILE *f)
{
	const char *last = "";
	for (int i = 0; i < CP_C__COUNT; i++) {
		if (strcmp(last, ctr_info[i].name))
			fprintf(f, "# TYPE %s counter\n", ctr_info[i].name);
		last = ctr_info[i].name;
		uint64_t v = atomic_load_explicit(&cp->ctr[i], memory_order_relaxed);
		if (ctr_info[i].label)
			fprintf(f, "%s{%s} %llu\n", ctr_info[i].name, ctr_info[i].label, (unsigned long long)v);
		else
			fprintf(f, "%s %llu\n", ctr_info[i].name, (unsigned long long)v);
	}
	fprintf(f, "# TYPE orion_cp_journal_records_total counter\n");
	for (int i = 0; i < 3; i++)
		fprintf(f, "orion_cp_journal_records_total{%s} %llu\n", g_jr_labels[i],
			(unsigned long long)atomic_load_explicit(&cp->jr_ctr[i], memory_order_relaxed));
	fprintf(f, "# TYPE orion_cp_journal_backlog gauge\norion_cp_journal_backlog %u\n", cp->jr_bl_n);
	unsigned users = 0;
	for (int i = 0; i < CP_MAX_USERS; i++)
		users += cp->users[i].used;
	const struct cp_orders_stats *os = cp_orders_stats(cp->orders);
	fprintf(f,
		"# TYPE orion_cp_ws_clients gauge\norion_cp_ws_clients %u\n"
		"# TYPE orion_cp_users gauge\norion_cp_users %u\n"
		"# TYPE orion_cp_md_instruments gauge\norion_cp_md_instruments %u\n"
		"# TYPE orion_cp_event_queue_free gauge\norion_cp_event_queue_free %u\n"
		"# TYPE orion_cp_idempotency_keys gauge\norion_cp_idempotency_keys %u\n"
		"# TYPE orion_cp_order_view_total counter\n"
		"orion_cp_order_view_total{kind=\"events\"} %llu\n"
		"orion_cp_order_view_total{kind=\"unmatched\"} %llu\n"
		"orion_cp_order_view_total{kind=\"fix_orders\"} %llu\n"
		"orion_cp_order_view_total{kind=\"api_orders\"} %llu\n"
		"orion_cp_order_view_total{kind=\"trades\"} %llu\n"
		"orion_cp_order_view_total{kind=\"evicted_orders\"} %llu\n"
		"orion_cp_order_view_total{kind=\"evicted_trades\"} %llu\n",
		cp->n_ws, users, atomic_load(&cp->n_slots), spsc_free(&cp->evq), cp_idem_count(cp->idem),
		(unsigned long long)os->events, (unsigned long long)os->unmatched, (unsigned long long)os->fix_orders,
		(unsigned long long)os->api_orders, (unsigned long long)os->trades, (unsigned long long)os->evicted_orders,
		(unsigned long long)os->evicted_trades);
	if (cp->hooks.write_metrics)
		cp->hooks.write_metrics(cp->hooks.ctx, f);
}

/* ---- life cycle --------------------------------------------------------- */
static int load_secret(struct cp *cp, char *err, size_t errlen)
{
	if (!cp->cfg.token_secret_file[0]) {
		if (RAND_bytes(cp->secret, 32) != 1) {
			snprintf(err, errlen, "cannot generate a token secret (OpenSSL RAND_bytes)");
			return -EIO;
		}
		cp->secret_len = 32;
		cp_audit(cp, "token_secret_generated", NULL, NULL, 1,
			 "no token_secret_file: random secret for this run (tokens do not survive a restart)");
		return 0;
	}
	int fd = open(cp->cfg.token_secret_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "token_secret_file %s: %s", cp->cfg.token_secret_file, strerror(e));
		return -e;
	}
	ssize_t n = read(fd, cp->secret, sizeof(cp->secret));
	close(fd);
	if (n < CP_SECRET_MIN) {
		snprintf(err, errlen, "token_secret_file %s: needs at least %d bytes", cp->cfg.token_secret_file,
			 CP_SECRET_MIN);
		return -EINVAL;
	}
	cp->secret_len = (size_t)n;
	return 0;
}

struct cp *cp_create(const struct cp_cfg *cfg, const struct cp_hooks *hooks, char *err, size_t errlen)
{
	int rc = cp_cfg_validate(cfg, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	struct cp *cp = calloc(1, sizeof(*cp));
	if (!cp) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	cp->cfg = *cfg;
	if (hooks)
		cp->hooks = *hooks;
	pthread_mutex_init(&cp->start_mu, NULL);
	pthread_cond_init(&cp->start_cv, NULL);
	if (!cp->cfg.rate_limit_burst)
		cp->cfg.rate_limit_burst = cp->cfg.rate_limit_per_s * 2;

	cp->jr_on = hooks && hooks->journal;
	if (cp->jr_on && !(cp->jr_bl = malloc((size_t)CP_JR_BACKLOG * CP_JR_MAX))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory for the journal backlog");
		goto fail;
	}
	if (cfg->audit_log[0]) {
		int fd = open(cfg->audit_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0 || !(cp->audit = fdopen(fd, "a"))) {
			rc = -errno;
			if (fd >= 0)
				close(fd);
			snprintf(err, errlen, "audit_log %s: %s", cfg->audit_log, strerror(-rc));
			goto fail;
		}
		cp->audit_owned = 1;
	} else if (!cp->jr_on) {
		cp->audit = stderr; /* without a journal the audit trail has nowhere else to go */
	}
	for (unsigned i = 0; i < cfg->n_tenants; i++)
		snprintf(cp->tenant_names[cfg->tenants[i].id], CP_NAME_LEN, "%s", cfg->tenants[i].name);
	if (!cp->tenant_names[0][0])
		snprintf(cp->tenant_names[0], CP_NAME_LEN, "default");
	uint64_t now = cp_mono_ns();
	for (unsigned i = 0; i < cfg->n_users; i++) {
		const struct cp_user_cfg *uc = &cfg->users[i];
		struct cp_user *u = &cp->users[i];
		u->used = 1;
		memcpy(u->name, uc->name, sizeof(u->name));
		memcpy(u->hash, uc->password_hash, sizeof(u->hash));
		u->tenant = 0;
		if (uc->tenant[0])
			cp_tenant_id(cp, uc->tenant, &u->tenant);
		/* Without an explicit account a user trades on its own, apart from
		 * every FIX session's (dataplane/og/og.h). */
		u->account = uc->account == UINT32_MAX ? OG_API_ACCOUNT_BASE + i : uc->account;
		u->gen = 1;
		u->role = uc->role;
		u->disabled = uc->disabled;
		u->all_instruments = uc->all_instruments;
		u->n_instruments = uc->n_instruments;
		memcpy(u->instruments, uc->instruments, sizeof(u->instruments));
		u->max_notional = uc->max_notional;
		cp_bucket_init(&u->rate, cp->cfg.rate_limit_burst, now);
		cp_bucket_init(&u->login_rate, 5, now);
	}
	for (unsigned i = 0; i < cfg->n_flags; i++) {
		memcpy(cp->flags[i].name, cfg->flags[i].name, CP_NAME_LEN);
		cp->flags[i].on = cfg->flags[i].on;
	}
	cp->n_flags = cfg->n_flags;
	if ((rc = load_secret(cp, err, errlen)))
		goto fail;

	uint32_t slots = cfg->md_max_instruments;
	cp->n_slots_cap = slots;
	cp->slots = calloc(slots, sizeof(*cp->slots));
	cp->md = calloc(slots, sizeof(*cp->md));
	cp->syms = calloc(slots, sizeof(*cp->syms));
	cp->instr = calloc(OG_MAX_INSTRUMENTS, sizeof(*cp->instr));
	cp->orders = cp_orders_create(cfg->max_orders, cfg->max_trades);
	cp->idem = cp_idem_create(cfg->idem_max, CP_IDEM_TTL_NS);
	if (!cp->slots || !cp->md || !cp->syms || !cp->instr || !cp->orders || !cp->idem ||
	    cp_map_init(&cp->slot_of, slots) || cp_map_init(&cp->sym_of, slots) || spsc_init(&cp->dirty, slots, 4) ||
	    spsc_init(&cp->evq, cfg->event_queue, sizeof(struct me_event)) ||
	    spsc_init(&cp->mdevq, 1024, sizeof(struct cp_mdev))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory for the control plane's tables");
		goto fail;
	}
	cp->cflt_cfg = (struct cp_cflt_cfg){ .max_level = 4,
					     .relax_ticks = 10,
					     .stall_ns = cfg->ws_stall_timeout_ns,
					     .max_queue = cfg->ws_max_queue };
	/* Unique across restarts: the engine keeps ClOrdIDs. The clock is the
	 * base; with a journal, cp_restore() also moves it above every CORR
	 * reservation, so a clock stepped back cannot repeat an id. */
	cp->next_corr = cp_wall_ns() / 1000;
	return cp;
fail:
	cp_destroy(cp);
	errno = -rc;
	return NULL;
}

static void *thread_main(void *arg)
{
	struct cp *cp = arg;
	cp_http_run(cp);
	return NULL;
}

int cp_start(struct cp *cp)
{
	if (cp->running)
		return -EALREADY;
	if (cp->hooks.instruments)
		cp->n_instr = cp->hooks.instruments(cp->hooks.ctx, cp->instr, OG_MAX_INSTRUMENTS);
	if (cp->n_instr > OG_MAX_INSTRUMENTS)
		cp->n_instr = OG_MAX_INSTRUMENTS;
	for (unsigned i = 0; i < cp->n_instr; i++)
		cp->instr[i].symbol[ORION_SYMBOL_LEN] = 0;
	atomic_store(&cp->stop, 0);
	cp->start_state = 0;
	int rc = pthread_create(&cp->thr, NULL, thread_main, cp);
	if (rc)
		return -rc;
	pthread_setname_np(cp->thr, "cp");
	pthread_mutex_lock(&cp->start_mu);
	while (cp->start_state == 0)
		pthread_cond_wait(&cp->start_cv, &cp->start_mu);
	rc = cp->start_state;
	pthread_mutex_unlock(&cp->start_mu);
	if (rc < 0) {
		pthread_join(cp->thr, NULL);
		return rc;
	}
	cp->running = 1;
	return 0;
}

const char *cp_last_error(const struct cp *cp)
{
	return cp->last_error;
}

uint16_t cp_port(const struct cp *cp)
{
	return atomic_load(&((struct cp *)cp)->port);
}

void cp_stop(struct cp *cp)
{
	if (!cp || !cp->running)
		return;
	atomic_store(&cp->stop, 1);
	pthread_mutex_lock(&cp->start_mu);
	if (cp->lws)
		lws_cancel_service(cp->lws);
	pthread_mutex_unlock(&cp->start_mu);
	pthread_join(cp->thr, NULL);
	cp->running = 0;
}

void cp_destroy(struct cp *cp)
{
	if (!cp)
		return;
	cp_stop(cp);
	cp_ws_free(cp);
	for (uint32_t i = 0; cp->md && i < cp->n_slots_cap; i++) {
		free(cp->md[i].frag);
		free(cp->md[i].afrag);
	}
	free(cp->md);
	free(cp->slots);
	free(cp->syms);
	free(cp->instr);
	cp_map_free(&cp->slot_of);
	cp_map_free(&cp->sym_of);
	free(cp->dirty.buf);
	free(cp->evq.buf);
	free(cp->mdevq.buf);
	cp_orders_destroy(cp->orders);
	cp_idem_destroy(cp->idem);
	cp_buf_free(&cp->scratch);
	free(cp->wbuf);
	free(cp->jr_bl);
	if (cp->audit_owned)
		fclose(cp->audit);
	OPENSSL_cleanse(cp->secret, sizeof(cp->secret));
	pthread_mutex_destroy(&cp->start_mu);
	pthread_cond_destroy(&cp->start_cv);
	free(cp);
}
