/* Market-data stage of one feed: arbiter → ITCH decode → books → ticks. */
#include "dataplane/dp_md.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/arb/md_arb.h"
#include "dataplane/book/md_book.h"
#include "dataplane/book/md_conflate.h"

#define FLAG_TICK_BATCH 64
#define MSG_BATCH 32 /* messages decoded and prefetched before the books apply them */

struct pending_msg {
	struct itch5_msg m;
	uint64_t seq;
	unsigned flags;
};

struct dp_md_feed {
	struct dp_md_stats st;
	struct md_arb *arb;
	struct md_books *books;
	struct md_conflate *conf;
	struct dp_md_out out;
	uint64_t now_ns;          /* time of the call in progress */
	uint16_t feed_id;
	uint16_t idx;
	uint16_t lost;            /* an unrecoverable gap happened: GAP stays set */
	uint64_t conf_next_ns;    /* next conflation scan */
	uint64_t conf_step_ns;    /* scan period: interval / 10, at most 1 ms */
	uint32_t n_pending;
	struct pending_msg pending[MSG_BATCH];
	struct md_tick scratch[FLAG_TICK_BATCH];
};

static const char *const g_event_names[] = {
	[DP_MD_EV_GAP_OPEN] = "gap_open",
	[DP_MD_EV_GAP_FILLED] = "gap_filled",
	[DP_MD_EV_GAP_UNRECOVERABLE] = "gap_unrecoverable",
	[DP_MD_EV_STALE] = "stale",
	[DP_MD_EV_STALE_CLEARED] = "stale_cleared",
	[DP_MD_EV_SESSION_END] = "session_end",
	[DP_MD_EV_BROKEN_TRADE] = "broken_trade",
};

const char *dp_md_event_name(unsigned type)
{
	return type < sizeof(g_event_names) / sizeof(g_event_names[0]) && g_event_names[type] ? g_event_names[type]
											      : "unknown";
}

static void emit_tick(struct dp_md_feed *f, const struct md_tick *t)
{
	f->st.ticks++;
	if (f->out.tick(f->out.ctx, t) != 0)
		f->st.tick_drops++;
	md_conflate_update(f->conf, t);
}

static void emit_event(struct dp_md_feed *f, unsigned type, uint64_t from, uint64_t to)
{
	struct dp_md_event ev = { .time_ns = f->now_ns, .seq_from = from, .seq_to = to, .feed = f->feed_id,
				  .type = (uint16_t)type };
	if (f->out.event(f->out.ctx, &ev) != 0)
		f->st.event_drops++;
}

/* Flag-change ticks, one per instrument: bounded batches per call; the rest
 * follow on later polls. */
static void flush_flag_ticks(struct dp_md_feed *f)
{
	uint32_t n = md_book_flush_flag_ticks(f->books, f->now_ns, f->scratch, FLAG_TICK_BATCH);
	for (uint32_t i = 0; i < n; i++)
		emit_tick(f, &f->scratch[i]);
	f->st.flag_ticks_pending = md_book_flag_ticks_pending(f->books);
}

static void set_flags(struct dp_md_feed *f, uint16_t set, uint16_t clear)
{
	int n = md_book_set_flags(f->books, set, clear, f->now_ns, f->scratch, FLAG_TICK_BATCH);
	for (int i = 0; i < n; i++)
		emit_tick(f, &f->scratch[i]);
	f->st.flag_ticks_pending = md_book_flag_ticks_pending(f->books);
}

/* Apply the decoded batch in order. Decoding a packet's messages first and
 * prefetching the book's hash buckets for each hides cache misses of the
 * order and level tables (perf/md at 500 instruments: a few percent now that
 * neighbouring order refs share cache lines; more when books outgrow the
 * caches). */
static void apply_pending(struct dp_md_feed *f)
{
	for (uint32_t i = 0; i < f->n_pending; i++) {
		const struct pending_msg *p = &f->pending[i];
		struct md_tick t;
		unsigned ev = md_book_apply(f->books, &p->m, f->now_ns, p->seq, &t);
		if (ev & MD_BOOK_EV_TICK) {
			if (p->flags & MD_ARB_F_LATE)
				t.flags |= MD_TF_LATE;
			emit_tick(f, &t);
		}
		if (ev & MD_BOOK_EV_BROKEN_TRADE)
			emit_event(f, DP_MD_EV_BROKEN_TRADE, p->seq, p->seq);
	}
	f->n_pending = 0;
}

static void on_deliver(void *ctx, uint64_t seq, const uint8_t *msg, uint16_t len, unsigned flags)
{
	struct dp_md_feed *f = ctx;
	struct pending_msg *p = &f->pending[f->n_pending];
	enum itch5_err e = itch5_decode(msg, len, &p->m);
	if (e != ITCH5_OK) {
		f->st.decode_err[e]++;
		return;
	}
	f->st.messages++;
	p->seq = seq;
	p->flags = flags;
	md_book_prefetch(f->books, &p->m);
	if (++f->n_pending == MSG_BATCH)
		apply_pending(f);
}

static int on_rerequest(void *ctx, const uint8_t *pkt, size_t len)
{
	struct dp_md_feed *f = ctx;
	if (!f->out.rerequest)
		return -ENOTSUP;
	int rc = f->out.rerequest(f->out.ctx, f->idx, pkt, (uint16_t)len);
	if (rc)
		f->st.rereq_tx_fail++;
	return rc;
}

static void on_event(void *ctx, enum md_arb_event ev, uint64_t from, uint64_t to)
{
	struct dp_md_feed *f = ctx;
	apply_pending(f); /* messages before the event take effect before it */
	switch (ev) {
	case MD_ARB_EV_GAP_OPEN:
		set_flags(f, MD_TF_GAP, 0);
		emit_event(f, DP_MD_EV_GAP_OPEN, from, to);
		break;
	case MD_ARB_EV_GAP_FILLED:
		if (!f->lost)
			set_flags(f, 0, MD_TF_GAP);
		emit_event(f, DP_MD_EV_GAP_FILLED, from, to);
		break;
	case MD_ARB_EV_GAP_UNRECOVERABLE:
		f->lost = 1;
		set_flags(f, MD_TF_GAP, 0);
		emit_event(f, DP_MD_EV_GAP_UNRECOVERABLE, from, to);
		break;
	case MD_ARB_EV_STALE:
		set_flags(f, MD_TF_STALE, 0);
		emit_event(f, DP_MD_EV_STALE, from, to);
		break;
	case MD_ARB_EV_STALE_CLEARED:
		set_flags(f, 0, MD_TF_STALE);
		emit_event(f, DP_MD_EV_STALE_CLEARED, from, to);
		break;
	case MD_ARB_EV_SESSION_END:
		emit_event(f, DP_MD_EV_SESSION_END, from, to);
		break;
	default:
		break;
	}
}

static int conf_emit(void *arg, const struct md_tick *t)
{
	struct dp_md_feed *f = arg;
	int rc = f->out.conflated(f->out.ctx, t);
	if (rc == 0)
		f->st.conflated++;
	return rc;
}

struct dp_md_feed *dp_md_create(const struct dp_feed_cfg *cfg, unsigned idx, uint64_t conflate_ns,
				const struct dp_md_out *out)
{
	struct dp_md_feed *f = aligned_alloc(64, (sizeof(*f) + 63) & ~(size_t)63);
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	memset(f, 0, sizeof(*f));
	f->out = *out;
	f->feed_id = cfg->id;
	f->idx = (uint16_t)idx;
	f->conf_step_ns = conflate_ns / 10 < 1000000 ? conflate_ns / 10 : 1000000;

	struct md_arb_config ac;
	md_arb_config_default(&ac);
	ac.max_held_pkts = cfg->window_packets;
	ac.max_held_bytes = cfg->window_bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)cfg->window_bytes;
	ac.gap_wait_ns = cfg->gap_wait_ns;
	ac.rerequest_timeout_ns = cfg->rereq_timeout_ns;
	ac.max_retries = cfg->rereq_retries;
	ac.max_rereq_count = (uint16_t)cfg->rereq_max_count;
	ac.stale_ns = cfg->stale_ns;
	ac.deliver = on_deliver;
	ac.rerequest = cfg->rereq.set ? on_rerequest : NULL;
	ac.event = on_event;
	ac.ctx = f;
	struct md_book_config bc = { .source = cfg->id, .max_instruments = cfg->max_instruments,
				     .max_orders = cfg->max_orders, .max_levels_per_side = 4096,
				     .max_levels = cfg->max_levels };
	struct md_conflate_config cc = { .max_instruments = cfg->max_instruments, .interval_ns = conflate_ns };
	int rc = md_arb_create(&ac, &f->arb);
	if (rc == 0)
		rc = md_book_create(&bc, &f->books);
	if (rc == 0)
		rc = md_conflate_create(&cc, &f->conf);
	if (rc != 0) {
		dp_md_destroy(f);
		errno = -rc;
		return NULL;
	}
	return f;
}

void dp_md_destroy(struct dp_md_feed *f)
{
	if (!f)
		return;
	md_arb_destroy(f->arb);
	md_book_destroy(f->books);
	md_conflate_destroy(f->conf);
	free(f);
}

void dp_md_rx(struct dp_md_feed *f, unsigned line, const uint8_t *payload, uint16_t len, uint64_t now_ns)
{
	f->now_ns = now_ns;
	if (line < 3)
		f->st.packets[line]++;
	md_arb_rx(f->arb, (enum md_arb_line)line, payload, len, now_ns);
	apply_pending(f);
}

void dp_md_poll(struct dp_md_feed *f, uint64_t now_ns)
{
	f->now_ns = now_ns;
	md_arb_poll(f->arb, now_ns);
	apply_pending(f);
	if (f->st.flag_ticks_pending)
		flush_flag_ticks(f);
	/* A conflation scan walks the dirty instruments: do it a few times per
	 * interval, not on every loop turn. */
	if (now_ns >= f->conf_next_ns) {
		md_conflate_poll(f->conf, now_ns, conf_emit, f, 256);
		f->conf_next_ns = now_ns + f->conf_step_ns;
	}
}

const struct dp_md_stats *dp_md_stats(const struct dp_md_feed *f) { return &f->st; }

struct arb_fwd {
	dp_md_counter_fn fn;
	void *arg;
};

static void arb_metric(void *ctx, const struct md_arb_metric *m)
{
	struct arb_fwd *a = ctx;
	a->fn(a->arg, m->name, m->label, m->value);
}

void dp_md_foreach_counter(const struct dp_md_feed *f, dp_md_counter_fn fn, void *arg)
{
	char label[64];
	struct arb_fwd a = { fn, arg };
	md_arb_stats_foreach(md_arb_stats(f->arb), arb_metric, &a);

	fn(arg, "md_messages_total", NULL, f->st.messages);
	for (unsigned e = 1; e < ITCH5_ERR__COUNT; e++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", itch5_err_name((enum itch5_err)e));
		fn(arg, "md_decode_errors_total", label, f->st.decode_err[e]);
	}
	fn(arg, "md_ticks_total", NULL, f->st.ticks);
	fn(arg, "md_tick_ring_full_total", "stream=\"raw\"", f->st.tick_drops);
	fn(arg, "md_tick_ring_full_total", "stream=\"events\"", f->st.event_drops);
	fn(arg, "md_rerequest_tx_failures_total", NULL, f->st.rereq_tx_fail);

	struct md_book_stats bs;
	md_book_stats(f->books, &bs);
	fn(arg, "md_book_messages_total", NULL, bs.msgs);
	fn(arg, "md_book_ignored_total", NULL, bs.ignored);
	fn(arg, "md_book_broken_trades_total", NULL, bs.broken_trades);
	for (unsigned e = 0; e < MD_BOOK_ERR__COUNT; e++) {
		snprintf(label, sizeof(label), "reason=\"%s\"", md_book_err_name((enum md_book_err)e));
		fn(arg, "md_book_rejects_total", label, bs.err[e]);
	}
	fn(arg, "md_book_instruments", NULL, bs.instruments);
	fn(arg, "md_book_orders", NULL, bs.orders);
	fn(arg, "md_book_orders_high_water", NULL, bs.orders_hwm);
	fn(arg, "md_book_levels", NULL, bs.levels);

	struct md_conflate_stats cs;
	md_conflate_stats(f->conf, &cs);
	fn(arg, "md_conflate_updates_total", NULL, cs.updates);
	fn(arg, "md_conflate_overwritten_total", NULL, cs.overwritten);
	fn(arg, "md_conflate_emitted_total", NULL, cs.emitted);
	fn(arg, "md_conflate_ring_full_total", NULL, cs.dropped);
	fn(arg, "md_conflate_table_full_total", NULL, cs.table_full);
}
