/* WebSocket /api/v1/ws (cp thread): authentication, subscriptions,
 * snapshots, conflated market data, order / trade / notification streams,
 * heartbeats, per-connection sequence numbers, slow-consumer handling. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "controlplane/cp_int.h"

#define WS_RX_MAX (64u << 10)         /* one client message, reassembled */
#define WS_AUTH_TIMEOUT_S 10
#define WS_WRITES_PER_CALLBACK 64
#define WS_SNAPSHOT_ORDERS 200
#define WS_SNAPSHOT_TRADES 100
#define ROLE_VIEW_MASK ((1u << CP_ROLE_ADMIN) | (1u << CP_ROLE_RISK) | (1u << CP_ROLE_PLATFORM))

enum {
	CLOSE_AUTH = 4001,
	CLOSE_EXPIRED = 4002,
	CLOSE_SLOW = 4008,
	CLOSE_QUEUE = 4009,
	CLOSE_TOO_MANY = 4029,
};

/* ---- bodies and queues ---------------------------------------------------- */
static struct cp_body *body_new(const char *data, size_t len)
{
	struct cp_body *b = malloc(sizeof(*b) + len + 1);
	if (!b)
		return NULL;
	b->refs = 0;
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = 0;
	return b;
}

static void body_put(struct cp_body *b)
{
	if (b && --b->refs == 0)
		free(b);
}

/* An unreferenced body (refs 0) that nobody took is freed here. */
static void body_done(struct cp_body *b)
{
	if (b && b->refs == 0)
		free(b);
}

static void want(struct cp_ws *c)
{
	if (!c->want_write) {
		c->want_write = 1;
		c->want_since = cp_mono_ns();
	}
	lws_callback_on_writable(c->wsi);
}

static void kill_now(struct cp_ws *c, enum cp_ctr why, const char *reason)
{
	if (c->closing == 2)
		return;
	c->closing = 2;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	cp_count(c->cp, why, 1);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Close politely: "bye" message and a close frame with the reason, at the
 * next writable moment (killed anyway after 2 s). */
static void close_client(struct cp_ws *c, uint16_t code, enum cp_ctr why, const char *reason)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	cp_count(c->cp, why, 1);
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 2);
	want(c);
}

static void enqueue(struct cp_ws *c, struct cp_body *b)
{
	if (!b || c->closing)
		return;
	struct cp_qmsg *m = malloc(sizeof(*m));
	if (!m) {
		kill_now(c, CP_C_WS_DROP_QUEUE, "out of memory");
		return;
	}
	m->next = NULL;
	m->b = b;
	b->refs++;
	if (c->qt)
		c->qt->next = m;
	else
		c->qh = m;
	c->qt = m;
	c->q_bytes += b->len;
	if (c->q_bytes > c->cp->cfg.ws_max_queue) {
		kill_now(c, CP_C_WS_DROP_QUEUE, "send queue full");
		return;
	}
	want(c);
}

static void enqueue_buf(struct cp_ws *c, struct cp_buf *b)
{
	if (b->oom)
		return;
	struct cp_body *body = body_new(b->p, b->len);
	enqueue(c, body);
	body_done(body);
}

static void queue_free(struct cp_ws *c)
{
	struct cp_qmsg *m = c->qh;
	while (m) {
		struct cp_qmsg *n = m->next;
		body_put(m->b);
		free(m);
		m = n;
	}
	c->qh = c->qt = NULL;
	c->q_bytes = 0;
}

/* Write `{"seq":N,` + body. 0 or -1 (connection broken). */
static int write_body(struct cp_ws *c, const char *body, size_t len)
{
	struct cp *cp = c->cp;
	size_t need = LWS_PRE + 40 + len;
	if (need > cp->wbuf_cap) {
		size_t cap = cp->wbuf_cap ? cp->wbuf_cap : 4096;
		while (cap < need)
			cap *= 2;
		unsigned char *p = realloc(cp->wbuf, cap);
		if (!p)
			return -1;
		cp->wbuf = p;
		cp->wbuf_cap = cap;
	}
	char *o = (char *)cp->wbuf + LWS_PRE;
	int n = snprintf(o, 40, "{\"seq\":%llu,", (unsigned long long)++c->seq);
	memcpy(o + n, body, len);
	size_t total = (size_t)n + len;
	if (lws_write(c->wsi, (unsigned char *)o, total, LWS_WRITE_TEXT) < (int)total)
		return -1;
	cp_count(cp, CP_C_WS_MSGS, 1);
	cp_count(cp, CP_C_WS_BYTES, total);
	return 0;
}

/* ---- market data ----------------------------------------------------------- */
/* Increments ("md") carry each changed instrument as an array, in the order
 * of MD_FIELDS (announced in the welcome message): a third of the bytes of
 * the object form that snapshots and REST use, which matters when one
 * update goes to thousands of clients. */
#define MD_FIELDS                                                                                                \
	"[\"instrumentId\",\"source\",\"bid\",\"bidSize\",\"ask\",\"askSize\",\"last\",\"lastSize\",\"flags\","   \
	"\"seqno\",\"recvNs\",\"ver\"]"

/* "flags" of the array form: the tick's quality bits (common/orion_tick.h). */
#define MD_FLAGS_SHOWN (MD_TF_STALE | MD_TF_GAP | MD_TF_CROSSED | MD_TF_HALTED | MD_TF_LATE)

static void entry_array(struct cp *cp, struct cp_md *m, struct cp_buf *b)
{
	if (!m->afrag || m->afrag_ver != m->ver) {
		const struct md_tick *t = &m->t;
		struct cp_buf f = { 0 };
		cp_buf_str(&f, "[");
		cp_buf_json_str(&f, cp->syms[m->sym].name, strlen(cp->syms[m->sym].name));
		cp_buf_printf(&f, ",%u,", t->source);
		cp_buf_json_px(&f, t->bid_px);
		cp_buf_printf(&f, ",%u,", t->bid_sz);
		cp_buf_json_px(&f, t->ask_px);
		cp_buf_printf(&f, ",%u,", t->ask_sz);
		cp_buf_json_px(&f, t->last_px);
		cp_buf_printf(&f, ",%u,%u,%u,%llu,%llu]", t->last_sz, (unsigned)(t->flags & MD_FLAGS_SHOWN), t->seqno,
			      (unsigned long long)t->recv_ns,
			      (unsigned long long)m->ver);
		if (f.oom) {
			cp_buf_free(&f);
			b->oom = 1;
			return;
		}
		free(m->afrag);
		m->afrag = f.p;
		m->afrag_len = f.len;
		m->afrag_ver = m->ver;
	}
	cp_buf_add(b, m->afrag, m->afrag_len);
}

static int has_sub(const struct cp_ws *c, uint32_t sym)
{
	for (unsigned i = 0; i < c->n_subs; i++)
		if (c->subs[i] == sym)
			return 1;
	return 0;
}

static int add_sub(struct cp_ws *c, uint32_t sym)
{
	if (has_sub(c, sym))
		return 0;
	if (c->n_subs == c->cap_subs) {
		unsigned cap = c->cap_subs ? c->cap_subs * 2 : 16;
		uint32_t *p = realloc(c->subs, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->subs = p;
		c->cap_subs = cap;
	}
	c->subs[c->n_subs++] = sym;
	return 1;
}

static void del_sub(struct cp_ws *c, uint32_t sym)
{
	for (unsigned i = 0; i < c->n_subs; i++)
		if (c->subs[i] == sym) {
			c->subs[i] = c->subs[--c->n_subs];
			return;
		}
}

/* Append the entries of sym changed after `since` (all when since is 0):
 * objects (snapshots) or arrays (increments). */
static unsigned add_entries(struct cp *cp, struct cp_buf *b, uint32_t sym, uint64_t since, unsigned n, int arrays)
{
	for (uint32_t i = cp->syms[sym].first; i != UINT32_MAX; i = cp->md[i].next_same_sym) {
		if (cp->md[i].ver <= since)
			continue;
		if (n++)
			cp_buf_add(b, ",", 1);
		if (arrays)
			entry_array(cp, &cp->md[i], b);
		else
			cp_md_entry_json(cp, &cp->md[i], b);
	}
	return n;
}

static int md_changed(struct cp *cp, const struct cp_ws *c)
{
	if (cp->md_ver <= c->md_ver_sent)
		return 0;
	for (unsigned s = 0; s < c->n_subs; s++)
		for (uint32_t i = cp->syms[c->subs[s]].first; i != UINT32_MAX; i = cp->md[i].next_same_sym)
			if (cp->md[i].ver > c->md_ver_sent)
				return 1;
	return 0;
}

/* "md" of every subscribed instrument changed after `since` into scratch;
 * the number of entries. */
static unsigned build_md(struct cp *cp, const uint32_t *syms, unsigned n_syms, uint64_t since)
{
	struct cp_buf *b = &cp->scratch;
	b->len = 0;
	b->oom = 0;
	cp_buf_str(b, "\"type\":\"md\",\"updates\":[");
	unsigned n = 0;
	for (unsigned s = 0; s < n_syms; s++)
		n = add_entries(cp, b, syms[s], since, n, 1);
	cp_buf_str(b, "]}");
	return b->oom ? 0 : n;
}

/* A client's own "md" (it fell out of step with its set: conflated harder,
 * or its previous frame still unwritten). */
static int write_md(struct cp_ws *c)
{
	struct cp *cp = c->cp;
	unsigned n = build_md(cp, c->subs, c->n_subs, c->md_ver_sent);
	c->md_ver_sent = cp->md_ver;
	if (!n)
		return 0;
	cp_count(cp, CP_C_WS_MD_MSGS, 1);
	cp_count(cp, CP_C_WS_MD_BUILT_OWN, 1);
	return write_body(c, cp->scratch.p, cp->scratch.len);
}

/* ---- subscription sets ------------------------------------------------------
 * Clients subscribed to the same instruments share a set. When one of its
 * instruments changes and the set's last frame is at least one conflation
 * interval old, the next drain (<= 1 ms) builds one frame for the set and
 * hands the same body to every member that is in step (it received the
 * previous frame and is not conflated harder): one serialization per set and
 * interval, and a tick reaches clients without waiting for a timer phase.
 * Members out of step get their own frame at write time (write_md). */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t set_hash(const uint32_t *s, unsigned n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h ^ n;
}

static int sym_groups_add(struct cp_sym *y, struct cp_wsgrp *g)
{
	if (y->n_groups == y->cap_groups) {
		unsigned cap = y->cap_groups ? y->cap_groups * 2 : 4;
		struct cp_wsgrp **p = realloc(y->groups, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		y->groups = p;
		y->cap_groups = cap;
	}
	y->groups[y->n_groups++] = g;
	return 0;
}

static void sym_groups_del(struct cp_sym *y, const struct cp_wsgrp *g)
{
	for (unsigned i = 0; i < y->n_groups; i++)
		if (y->groups[i] == g) {
			y->groups[i] = y->groups[--y->n_groups];
			return;
		}
}

static void grp_free(struct cp *cp, struct cp_wsgrp *g)
{
	for (unsigned i = 0; i < g->n_syms; i++)
		sym_groups_del(&cp->syms[g->syms[i]], g);
	if (g->dirty)
		for (struct cp_wsgrp **pp = &cp->grp_dirty; *pp; pp = &(*pp)->next_dirty)
			if (*pp == g) {
				*pp = g->next_dirty;
				break;
			}
	if (g->prev)
		g->prev->next = g->next;
	else
		cp->grp_head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	cp->n_grps--;
	free(g->syms);
	free(g);
}

static void grp_leave(struct cp_ws *c)
{
	struct cp_wsgrp *g = c->grp;
	if (!g)
		return;
	if (c->gprev)
		c->gprev->gnext = c->gnext;
	else
		g->members = c->gnext;
	if (c->gnext)
		c->gnext->gprev = c->gprev;
	c->grp = NULL;
	c->gnext = c->gprev = NULL;
	if (--g->n_members == 0)
		grp_free(c->cp, g);
}

/* Move c to the set of its current subscriptions (none: no set). */
static void grp_join(struct cp_ws *c)
{
	struct cp *cp = c->cp;
	grp_leave(c);
	if (!c->n_subs)
		return;
	uint32_t *syms = malloc(c->n_subs * sizeof(*syms));
	if (!syms)
		return; /* without a set the client is served its own frames */
	memcpy(syms, c->subs, c->n_subs * sizeof(*syms));
	qsort(syms, c->n_subs, sizeof(*syms), cmp_u32);
	uint64_t h = set_hash(syms, c->n_subs);
	struct cp_wsgrp *g = cp->grp_head;
	while (g && !(g->hash == h && g->n_syms == c->n_subs && !memcmp(g->syms, syms, c->n_subs * sizeof(*syms))))
		g = g->next;
	if (g) {
		free(syms);
	} else {
		if (!(g = calloc(1, sizeof(*g)))) {
			free(syms);
			return;
		}
		g->hash = h;
		g->syms = syms;
		g->n_syms = c->n_subs;
		g->sent_ver = cp->md_ver;
		for (unsigned i = 0; i < g->n_syms; i++)
			if (sym_groups_add(&cp->syms[syms[i]], g)) {
				while (i--)
					sym_groups_del(&cp->syms[syms[i]], g);
				free(syms);
				free(g);
				return;
			}
		g->next = cp->grp_head;
		if (cp->grp_head)
			cp->grp_head->prev = g;
		cp->grp_head = g;
		cp->n_grps++;
	}
	c->grp = g;
	c->gprev = NULL;
	c->gnext = g->members;
	if (g->members)
		g->members->gprev = c;
	g->members = c;
	g->n_members++;
}

static void grp_send(struct cp *cp, struct cp_wsgrp *g)
{
	uint64_t prev = g->sent_ver;
	unsigned n = build_md(cp, g->syms, g->n_syms, prev);
	g->sent_ver = cp->md_ver;
	if (!n)
		return;
	struct cp_body *body = body_new(cp->scratch.p, cp->scratch.len);
	cp_count(cp, CP_C_WS_MD_BUILT_SET, 1);
	for (struct cp_ws *c = g->members; c; c = c->gnext) {
		if (!c->authed || c->closing || c->cflt.level)
			continue; /* conflated harder: its own timer (cp_ws_conflate_tick) */
		if (body && !c->md_body && c->md_ver_sent >= prev) {
			c->md_body = body;
			body->refs++;
			c->md_body_ver = g->sent_ver;
		} else {
			c->md_due = 1;
		}
		want(c);
	}
	body_done(body);
}

void cp_ws_md_touched(struct cp *cp, uint32_t sym)
{
	struct cp_sym *y = &cp->syms[sym];
	for (unsigned i = 0; i < y->n_groups; i++) {
		struct cp_wsgrp *g = y->groups[i];
		if (!g->dirty) {
			g->dirty = 1;
			g->next_dirty = cp->grp_dirty;
			cp->grp_dirty = g;
		}
	}
}

void cp_ws_md_flush(struct cp *cp)
{
	if (!cp->grp_dirty)
		return;
	uint64_t now = cp_mono_ns(), every = cp->cfg.conflate_interval_ns;
	struct cp_wsgrp **pp = &cp->grp_dirty;
	while (*pp) {
		struct cp_wsgrp *g = *pp;
		if (now < g->next_due_ns) {
			pp = &g->next_dirty;
			continue;
		}
		*pp = g->next_dirty;
		g->next_dirty = NULL;
		g->dirty = 0;
		/* Due times keep a fixed grid (a frame sent late does not push the
		 * next one back: that would ratchet the phase against a source
		 * ticking at the same rate); after a quiet spell the grid restarts. */
		g->next_due_ns = now < g->next_due_ns + every ? g->next_due_ns + every : now + every;
		grp_send(cp, g);
	}
}

void cp_ws_free(struct cp *cp)
{
	while (cp->grp_head) {
		struct cp_wsgrp *g = cp->grp_head;
		cp->grp_head = g->next;
		free(g->syms);
		free(g);
	}
	cp->grp_dirty = NULL;
	cp->n_grps = 0;
	for (uint32_t s = 0; cp->syms && s < cp->n_syms; s++) {
		free(cp->syms[s].groups);
		cp->syms[s].groups = NULL;
		cp->syms[s].n_groups = cp->syms[s].cap_groups = 0;
	}
}

/* ---- messages -------------------------------------------------------------- */
static void send_error(struct cp_ws *c, const struct cp_err *e, const char *req_id)
{
	struct cp_buf b = { 0 };
	cp_buf_str(&b, "\"type\":\"error\",\"code\":");
	cp_buf_json_str(&b, e->code, strlen(e->code));
	cp_buf_str(&b, ",\"message\":");
	cp_buf_json_str(&b, e->message, strlen(e->message));
	cp_buf_str(&b, ",\"field\":");
	if (e->field[0])
		cp_buf_json_str(&b, e->field, strlen(e->field));
	else
		cp_buf_str(&b, "null");
	if (req_id && *req_id) {
		cp_buf_str(&b, ",\"id\":");
		cp_buf_json_str(&b, req_id, strlen(req_id));
	}
	cp_buf_str(&b, "}");
	enqueue_buf(c, &b);
	cp_buf_free(&b);
}

static void notice_body(struct cp_buf *b, const char *level, const char *code, const char *text)
{
	cp_buf_printf(b, "\"type\":\"notification\",\"level\":\"%s\",\"code\":", level);
	cp_buf_json_str(b, code, strlen(code));
	cp_buf_str(b, ",\"message\":");
	cp_buf_json_str(b, text, strlen(text));
	cp_buf_printf(b, ",\"time\":%llu}", (unsigned long long)(cp_wall_ns() / 1000000));
}

static void send_orders_snapshot(struct cp_ws *c)
{
	struct cp *cp = c->cp;
	const struct cp_user *u = &cp->users[c->user];
	struct cp_buf b = { 0 };
	cp_buf_str(&b, "\"type\":\"orders.snapshot\",\"orders\":[");
	unsigned n = 0;
	const struct cp_order *o;
	for (uint32_t k = 0; k < cp->cfg.max_orders && n < WS_SNAPSHOT_ORDERS && (o = cp_orders_nth(cp->orders, k)); k++) {
		if (!o->used || !cp_can_see(u, c->user, o->tenant, o->user))
			continue;
		if (n++)
			cp_buf_str(&b, ",");
		cp_order_json(&b, o, o->user < CP_MAX_USERS && cp->users[o->user].used ? cp->users[o->user].name : NULL);
	}
	cp_buf_str(&b, "]}");
	enqueue_buf(c, &b);
	cp_buf_free(&b);
}

static void send_trades_snapshot(struct cp_ws *c)
{
	struct cp *cp = c->cp;
	const struct cp_user *u = &cp->users[c->user];
	struct cp_buf b = { 0 };
	cp_buf_str(&b, "\"type\":\"trades.snapshot\",\"trades\":[");
	unsigned n = 0;
	const struct cp_trade *t;
	for (uint32_t k = 0; k < cp->cfg.max_trades && n < WS_SNAPSHOT_TRADES && (t = cp_trades_nth(cp->orders, k)); k++) {
		if (!t->used || !cp_can_see(u, c->user, t->tenant, t->user))
			continue;
		if (n++)
			cp_buf_str(&b, ",");
		cp_trade_json(&b, t, t->user < CP_MAX_USERS && cp->users[t->user].used ? cp->users[t->user].name : NULL);
	}
	cp_buf_str(&b, "]}");
	enqueue_buf(c, &b);
	cp_buf_free(&b);
}

static void watcher_link(struct cp_ws *c, int on)
{
	struct cp *cp = c->cp;
	if (on == c->watcher)
		return;
	if (on) {
		c->wprev = NULL;
		c->wnext = cp->watch_head;
		if (cp->watch_head)
			cp->watch_head->wprev = c;
		cp->watch_head = c;
	} else {
		if (c->wprev)
			c->wprev->wnext = c->wnext;
		else
			cp->watch_head = c->wnext;
		if (c->wnext)
			c->wnext->wprev = c->wprev;
	}
	c->watcher = on;
}

static void streams_json(struct cp_buf *b, unsigned streams)
{
	cp_buf_str(b, "[");
	if (streams & CP_STREAM_ORDERS)
		cp_buf_str(b, streams & CP_STREAM_TRADES ? "\"orders\",\"trades\"" : "\"orders\"");
	else if (streams & CP_STREAM_TRADES)
		cp_buf_str(b, "\"trades\"");
	cp_buf_str(b, "]");
}

static void op_subscribe(struct cp_ws *c, const struct cp_ws_op *op, int sub)
{
	struct cp *cp = c->cp;
	const struct cp_user *u = &cp->users[c->user];
	struct cp_buf ack = { 0 }, rej = { 0 }, snap = { 0 };
	unsigned nack = 0, nrej = 0, nsnap = 0;
	for (unsigned i = 0; i < op->n_ids; i++) {
		const char *id = op->ids[i];
		if (!strcmp(id, "*")) {
			/* every entitled instrument known now */
			for (uint32_t s = 0; s < cp->n_syms; s++) {
				if (!cp_user_entitled(u, cp->syms[s].name))
					continue;
				if (!sub) {
					del_sub(c, s);
				} else if (add_sub(c, s) > 0) {
					nsnap = add_entries(cp, &snap, s, 0, nsnap, 0);
				}
			}
			cp_buf_str(&ack, nack++ ? ",\"*\"" : "\"*\"");
			continue;
		}
		const char *code = NULL;
		uint32_t s = cp_sym_find(cp, id);
		if (!cp_user_entitled(u, id))
			code = "NOT_ENTITLED";
		else if (s == UINT32_MAX && sub)
			code = "UNKNOWN_INSTRUMENT";
		if (code) {
			cp_buf_str(&rej, nrej++ ? ",{\"instrumentId\":" : "{\"instrumentId\":");
			cp_buf_json_str(&rej, id, strlen(id));
			cp_buf_printf(&rej, ",\"code\":\"%s\"}", code);
			continue;
		}
		if (!sub) {
			if (s != UINT32_MAX)
				del_sub(c, s);
		} else if (add_sub(c, s) > 0) {
			nsnap = add_entries(cp, &snap, s, 0, nsnap, 0);
		}
		if (nack++)
			cp_buf_str(&ack, ",");
		cp_buf_json_str(&ack, id, strlen(id));
	}
	grp_join(c);
	unsigned before = c->streams;
	if (sub)
		c->streams |= op->streams;
	else
		c->streams &= ~op->streams;
	watcher_link(c, c->streams && (ROLE_VIEW_MASK & (1u << u->role)) != 0);

	struct cp_buf b = { 0 };
	cp_buf_printf(&b, "\"type\":\"ack\",\"op\":\"%s\",\"id\":", sub ? "SUBSCRIBE" : "UNSUBSCRIBE");
	if (op->req_id[0])
		cp_buf_json_str(&b, op->req_id, strlen(op->req_id));
	else
		cp_buf_str(&b, "null");
	cp_buf_str(&b, ",\"instrumentIds\":[");
	if (ack.p)
		cp_buf_add(&b, ack.p, ack.len);
	cp_buf_str(&b, "],\"rejected\":[");
	if (rej.p)
		cp_buf_add(&b, rej.p, rej.len);
	cp_buf_str(&b, "],\"streams\":");
	streams_json(&b, c->streams);
	cp_buf_str(&b, "}");
	enqueue_buf(c, &b);
	if (sub && nsnap) {
		b.len = 0;
		cp_buf_str(&b, "\"type\":\"md.snapshot\",\"instruments\":[");
		cp_buf_add(&b, snap.p, snap.len);
		cp_buf_str(&b, "]}");
		enqueue_buf(c, &b);
	}
	if (sub && (c->streams & ~before & CP_STREAM_ORDERS))
		send_orders_snapshot(c);
	if (sub && (c->streams & ~before & CP_STREAM_TRADES))
		send_trades_snapshot(c);
	cp_buf_free(&b);
	cp_buf_free(&ack);
	cp_buf_free(&rej);
	cp_buf_free(&snap);
}

static void link_user(struct cp_ws *c)
{
	struct cp_user *u = &c->cp->users[c->user];
	c->uprev = NULL;
	c->unext = u->ws_head;
	if (u->ws_head)
		u->ws_head->uprev = c;
	u->ws_head = c;
	u->n_ws++;
}

static void unlink_user(struct cp_ws *c)
{
	struct cp_user *u = &c->cp->users[c->user];
	if (c->uprev)
		c->uprev->unext = c->unext;
	else
		u->ws_head = c->unext;
	if (c->unext)
		c->unext->uprev = c->uprev;
	u->n_ws--;
}

/* Authenticate with a bearer token (first time or a refresh). */
static void do_auth(struct cp_ws *c, const char *tok, const char *req_id)
{
	struct cp *cp = c->cp;
	struct cp_err e;
	uint64_t exp;
	int slot = cp_authenticate(cp, tok, strlen(tok), cp_wall_ns(), &e, &exp);
	if (slot < 0) {
		send_error(c, &e, req_id);
		cp_audit(cp, "ws_auth_failed", NULL, c->peer, 0, "%s", e.code);
		close_client(c, CLOSE_AUTH, CP_C_WS_DROP_AUTH, e.code);
		return;
	}
	struct cp_user *u = &cp->users[slot];
	if (c->authed) {
		if ((uint32_t)slot != c->user) {
			cp_err_set(&e, 403, "USER_MISMATCH", "token", "a connection cannot change user");
			send_error(c, &e, req_id);
			return;
		}
		c->gen = u->gen;
		c->token_exp_s = exp;
		struct cp_buf b = { 0 };
		cp_buf_printf(&b, "\"type\":\"ack\",\"op\":\"AUTH\",\"tokenExpiresAt\":%llu}",
			      (unsigned long long)exp * 1000);
		enqueue_buf(c, &b);
		cp_buf_free(&b);
		return;
	}
	if (u->n_ws >= cp->cfg.ws_per_user) {
		cp_err_set(&e, 429, "TOO_MANY_CONNECTIONS", "", "too many connections for this user");
		send_error(c, &e, req_id);
		close_client(c, CLOSE_TOO_MANY, CP_C_WS_REFUSED, "too many connections for this user");
		return;
	}
	c->authed = 1;
	c->user = (uint32_t)slot;
	c->gen = u->gen;
	c->token_exp_s = exp;
	link_user(c);
	lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
	cp_audit(cp, "ws_connect", u, c->peer, 1, "WebSocket session");
	struct cp_buf b = { 0 };
	cp_buf_str(&b, "\"type\":\"welcome\",\"user\":");
	cp_user_json(cp, &b, u);
	cp_buf_printf(&b, ",\"mdFields\":" MD_FIELDS ",\"conflateMs\":%llu,\"heartbeatMs\":%llu,\"tokenExpiresAt\":%llu}",
		      (unsigned long long)(cp->cfg.conflate_interval_ns / 1000000),
		      (unsigned long long)(cp->cfg.heartbeat_ns / 1000000), (unsigned long long)exp * 1000);
	enqueue_buf(c, &b);
	cp_buf_free(&b);
}

static void on_message(struct cp_ws *c, const char *msg, size_t len)
{
	struct cp *cp = c->cp;
	struct cp_ws_op *op = malloc(sizeof(*op));
	struct cp_err e;
	cp_count(cp, CP_C_WS_MSGS_IN, 1);
	if (!op)
		return;
	if (cp_json_parse_ws(msg, len, op, &e)) {
		send_error(c, &e, NULL);
		goto out;
	}
	if (op->op == CP_OP_PING) {
		struct cp_buf b = { 0 };
		cp_buf_printf(&b, "\"type\":\"pong\",\"time\":%llu", (unsigned long long)(cp_wall_ns() / 1000000));
		if (op->req_id[0]) {
			cp_buf_str(&b, ",\"id\":");
			cp_buf_json_str(&b, op->req_id, strlen(op->req_id));
		}
		cp_buf_str(&b, "}");
		enqueue_buf(c, &b);
		cp_buf_free(&b);
		goto out;
	}
	if (op->op == CP_OP_AUTH) {
		do_auth(c, op->token, op->req_id);
		goto out;
	}
	if (!c->authed) {
		cp_err_set(&e, 401, "UNAUTHORIZED", "", "authenticate first: {\"op\":\"AUTH\",\"token\":...}");
		send_error(c, &e, op->req_id);
		goto out;
	}
	struct cp_user *u = &cp->users[c->user];
	if (!cp_bucket_take(&u->rate, cp->cfg.rate_limit_per_s, cp->cfg.rate_limit_burst, cp_mono_ns(), NULL)) {
		cp_err_set(&e, 429, "RATE_LIMITED", "", "too many requests; slow down");
		send_error(c, &e, op->req_id);
		goto out;
	}
	op_subscribe(c, op, op->op == CP_OP_SUBSCRIBE);
out:
	free(op);
}

/* ---- fan-out from the order view -------------------------------------------- */
static void to_user_clients(struct cp *cp, uint32_t user, unsigned stream, struct cp_body *b)
{
	if (user >= CP_MAX_USERS)
		return;
	for (struct cp_ws *c = cp->users[user].ws_head; c; c = c->unext)
		if (c->authed && (!stream || (c->streams & stream)))
			enqueue(c, b);
}

static void to_watchers(struct cp *cp, uint32_t tenant, uint32_t owner, unsigned stream, struct cp_body *b)
{
	for (struct cp_ws *c = cp->watch_head; c; c = c->wnext)
		if (c->user != owner && (c->streams & stream) &&
		    cp_can_see(&cp->users[c->user], c->user, tenant, owner))
			enqueue(c, b);
}

void cp_ws_on_order(struct cp *cp, const struct cp_order *o)
{
	int owner_listens = 0;
	if (o->user < CP_MAX_USERS)
		for (struct cp_ws *c = cp->users[o->user].ws_head; c; c = c->unext)
			owner_listens |= (c->streams & CP_STREAM_ORDERS) != 0;
	if (!owner_listens && !cp->watch_head)
		return;
	struct cp_buf b = { 0 };
	cp_buf_str(&b, "\"type\":\"order\",\"order\":");
	cp_order_json(&b, o, o->user < CP_MAX_USERS && cp->users[o->user].used ? cp->users[o->user].name : NULL);
	cp_buf_str(&b, "}");
	struct cp_body *body = b.oom ? NULL : body_new(b.p, b.len);
	cp_buf_free(&b);
	if (!body)
		return;
	to_user_clients(cp, o->user, CP_STREAM_ORDERS, body);
	to_watchers(cp, o->tenant, o->user, CP_STREAM_ORDERS, body);
	body_done(body);
}

void cp_ws_on_trade(struct cp *cp, const struct cp_trade *t)
{
	if ((t->user >= CP_MAX_USERS || !cp->users[t->user].ws_head) && !cp->watch_head)
		return;
	struct cp_buf b = { 0 };
	cp_buf_str(&b, "\"type\":\"trade\",\"trade\":");
	cp_trade_json(&b, t, t->user < CP_MAX_USERS && cp->users[t->user].used ? cp->users[t->user].name : NULL);
	cp_buf_str(&b, "}");
	struct cp_body *body = b.oom ? NULL : body_new(b.p, b.len);
	cp_buf_free(&b);
	if (!body)
		return;
	to_user_clients(cp, t->user, CP_STREAM_TRADES, body);
	to_watchers(cp, t->tenant, t->user, CP_STREAM_TRADES, body);
	body_done(body);
}

void cp_ws_notify_user(struct cp *cp, uint32_t user, const char *code, const char *text)
{
	if (user >= CP_MAX_USERS || !cp->users[user].ws_head)
		return;
	struct cp_buf b = { 0 };
	notice_body(&b, "warn", code, text);
	struct cp_body *body = b.oom ? NULL : body_new(b.p, b.len);
	cp_buf_free(&b);
	if (body)
		to_user_clients(cp, user, 0, body);
	body_done(body);
}

void cp_ws_notify_all(struct cp *cp, uint32_t tenant, const char *code, const char *text)
{
	if (!cp->ws_head)
		return;
	struct cp_buf b = { 0 };
	notice_body(&b, "info", code, text);
	struct cp_body *body = b.oom ? NULL : body_new(b.p, b.len);
	cp_buf_free(&b);
	if (!body)
		return;
	for (struct cp_ws *c = cp->ws_head; c; c = c->next)
		if (c->authed && (tenant == CP_TENANT_ALL || cp->users[c->user].tenant == tenant ||
				  cp->users[c->user].role == CP_ROLE_PLATFORM))
			enqueue(c, body);
	body_done(body);
}

void cp_ws_close_user(struct cp *cp, uint32_t user, const char *reason)
{
	if (user >= CP_MAX_USERS)
		return;
	for (struct cp_ws *c = cp->users[user].ws_head; c; c = c->unext)
		close_client(c, CLOSE_AUTH, CP_C_WS_DROP_REVOKED, reason);
}

void cp_ws_close_all(struct cp *cp)
{
	for (struct cp_ws *c = cp->ws_head; c; c = c->next)
		close_client(c, LWS_CLOSE_STATUS_GOINGAWAY, CP_C_WS_DROP_SHUTDOWN, "server shutting down");
}

/* ---- timers ------------------------------------------------------------------ */
void cp_ws_conflate_tick(struct cp *cp)
{
	uint64_t now = cp_mono_ns(), prev = cp->last_cflt_ns;
	cp->last_cflt_ns = now;
	uint64_t tick = cp->cflt_tick_no++;
	for (struct cp_ws *c = cp->ws_head; c; c = c->next) {
		if (!c->authed || c->closing)
			continue;
		int stalled = c->want_write && prev && c->want_since <= prev;
		/* In step with its set: the set sends (cp_ws_md_flush); here only
		 * a member left behind (after conflating harder) is caught up.
		 * Conflated harder, or without a set: its own frame when due. */
		int has;
		if (!c->cflt.level && c->grp)
			has = !c->md_due && !c->md_body && c->md_ver_sent < c->grp->sent_ver;
		else
			has = !c->md_due && c->n_subs && md_changed(cp, c);
		int changed;
		enum cp_cflt_action act = cp_cflt_tick(&c->cflt, &cp->cflt_cfg, tick, now, stalled, has, c->q_bytes,
						       &changed);
		if (changed > 0)
			cp_count(cp, CP_C_WS_CFLT_UP, 1);
		else if (changed < 0)
			cp_count(cp, CP_C_WS_CFLT_DOWN, 1);
		switch (act) {
		case CP_CFLT_SEND:
			c->md_due = 1;
			want(c);
			break;
		case CP_CFLT_DROP_STALLED:
			kill_now(c, CP_C_WS_DROP_STALLED, "slow consumer: not reading");
			continue;
		case CP_CFLT_DROP_QUEUE:
			kill_now(c, CP_C_WS_DROP_QUEUE, "send queue full");
			continue;
		case CP_CFLT_IDLE:
			break;
		}
		if (changed) {
			char text[96];
			snprintf(text, sizeof(text), "market data every %llu ms (conflation level %u)",
				 (unsigned long long)((cp->cfg.conflate_interval_ns << c->cflt.level) / 1000000),
				 c->cflt.level);
			struct cp_buf b = { 0 };
			notice_body(&b, changed > 0 ? "warn" : "info", "CONFLATION", text);
			enqueue_buf(c, &b);
			cp_buf_free(&b);
		}
	}
}

void cp_ws_heartbeat(struct cp *cp)
{
	uint64_t wall = cp_wall_ns();
	struct cp_buf b = { 0 };
	cp_buf_printf(&b, "\"type\":\"heartbeat\",\"time\":%llu}", (unsigned long long)(wall / 1000000));
	struct cp_body *body = b.oom ? NULL : body_new(b.p, b.len);
	cp_buf_free(&b);
	for (struct cp_ws *c = cp->ws_head; c; c = c->next) {
		if (!c->authed || c->closing)
			continue;
		const struct cp_user *u = &cp->users[c->user];
		if (u->disabled || u->gen != c->gen) {
			close_client(c, CLOSE_AUTH, CP_C_WS_DROP_REVOKED, "token revoked");
			continue;
		}
		if (wall / 1000000000ull >= c->token_exp_s) {
			close_client(c, CLOSE_EXPIRED, CP_C_WS_DROP_REVOKED, "token expired");
			continue;
		}
		enqueue(c, body);
	}
	body_done(body);
}

/* ---- lws callback --------------------------------------------------------------- */
static int uri_is_ws(struct lws *wsi)
{
	char uri[64];
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
		return 0;
	return !strcmp(uri, "/api/v1/ws");
}

static int established(struct cp *cp, struct cp_pss *pss, struct lws *wsi)
{
	struct cp_ws *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->wsi = wsi;
	c->cp = cp;
	c->connected_ns = cp_mono_ns();
	c->md_ver_sent = cp->md_ver;
	cp_cflt_init(&c->cflt);
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	c->next = cp->ws_head;
	if (cp->ws_head)
		cp->ws_head->prev = c;
	cp->ws_head = c;
	cp->n_ws++;
	pss->ws = c;
	cp_count(cp, CP_C_WS_ACCEPTED, 1);
	if (cp->cfg.ws_sndbuf) {
		int v = (int)cp->cfg.ws_sndbuf;
		setsockopt(lws_get_socket_fd(wsi), SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	}
	char tok[CP_TOKEN_MAX + 16];
	const char *t = NULL;
	int n = lws_hdr_copy(wsi, tok, sizeof(tok), WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && !strncasecmp(tok, "Bearer ", 7))
		t = tok + 7;
	else
		t = lws_get_urlarg_by_name(wsi, "token=", tok, sizeof(tok));
	if (t && *t)
		do_auth(c, t, NULL);
	else
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, WS_AUTH_TIMEOUT_S);
	return 0;
}

static void closed(struct cp *cp, struct cp_pss *pss)
{
	struct cp_ws *c = pss->ws;
	if (!c)
		return;
	if (!c->closing)
		cp_count(cp, CP_C_WS_DROP_PEER, 1);
	if (c->authed) {
		unlink_user(c);
		cp_audit(cp, "ws_disconnect", &cp->users[c->user], c->peer, 1, "%s",
			 c->closing ? c->close_reason : "closed by peer");
	}
	watcher_link(c, 0);
	if (c->prev)
		c->prev->next = c->next;
	else
		cp->ws_head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cp->n_ws--;
	queue_free(c);
	grp_leave(c);
	body_put(c->md_body);
	free(c->subs);
	free(c->rx);
	free(c);
	pss->ws = NULL;
}

static int writeable(struct cp_ws *c)
{
	c->want_write = 0;
	if (c->closing == 2)
		return -1;
	if (c->closing == 1) {
		struct cp_buf b = { 0 };
		cp_buf_str(&b, "\"type\":\"bye\",\"reason\":");
		cp_buf_json_str(&b, c->close_reason, strlen(c->close_reason));
		cp_buf_str(&b, "}");
		if (!b.oom)
			write_body(c, b.p, b.len);
		cp_buf_free(&b);
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
				 strlen(c->close_reason));
		return -1;
	}
	int n = 0;
	while (c->qh && n < WS_WRITES_PER_CALLBACK) {
		if (n && lws_send_pipe_choked(c->wsi))
			break;
		struct cp_qmsg *m = c->qh;
		int rc = write_body(c, m->b->data, m->b->len);
		c->qh = m->next;
		if (!c->qh)
			c->qt = NULL;
		c->q_bytes -= m->b->len;
		body_put(m->b);
		free(m);
		if (rc)
			return -1;
		n++;
	}
	if (!c->qh && c->md_body && !(n && lws_send_pipe_choked(c->wsi))) {
		struct cp_body *b = c->md_body;
		c->md_body = NULL;
		int rc = write_body(c, b->data, b->len);
		if (c->md_body_ver > c->md_ver_sent)
			c->md_ver_sent = c->md_body_ver;
		body_put(b);
		cp_count(c->cp, CP_C_WS_MD_MSGS, 1);
		if (rc)
			return -1;
		n++;
	}
	if (!c->qh && !c->md_body && c->md_due && !(n && lws_send_pipe_choked(c->wsi))) {
		c->md_due = 0;
		if (write_md(c))
			return -1;
	}
	if (c->qh || c->md_due || c->md_body)
		want(c);
	return 0;
}

int cp_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct cp *cp = lws_context_user(lws_get_context(wsi));
	struct cp_pss *pss = user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (!uri_is_ws(wsi) || cp->n_ws >= cp->cfg.ws_max_clients) {
			cp_count(cp, CP_C_WS_REFUSED, 1);
			return 1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		return established(cp, pss, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* The peer sent its close frame: write nothing more (a data frame
		 * after the peer's close is a protocol error for the browser);
		 * lws answers the close itself. */
		if (pss->ws) {
			pss->ws->closing = 2;
			snprintf(pss->ws->close_reason, sizeof(pss->ws->close_reason), "%s", "closed by peer");
		}
		return 0;
	case LWS_CALLBACK_CLOSED:
		closed(cp, pss);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->ws ? writeable(pss->ws) : 0;
	case LWS_CALLBACK_RECEIVE: {
		struct cp_ws *c = pss->ws;
		if (!c || c->closing)
			return 0;
		if (lws_frame_is_binary(wsi)) {
			close_client(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, CP_C_WS_DROP_PROTO, "text messages only");
			return 0;
		}
		if (lws_is_first_fragment(wsi))
			c->rx_len = 0;
		if (c->rx_len + len > WS_RX_MAX) {
			close_client(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, CP_C_WS_DROP_PROTO, "message too large");
			return 0;
		}
		if (!c->rx && !(c->rx = malloc(WS_RX_MAX)))
			return -1;
		memcpy(c->rx + c->rx_len, in, len);
		c->rx_len += len;
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			on_message(c, c->rx, c->rx_len);
			c->rx_len = 0;
		}
		return 0;
	}
	default:
		return 0;
	}
}
