/* Main-lcore consumers of the dataplane rings. Until the control plane serves
 * them, ticks go to the tick log (a text file, one record per line) and feed
 * events to stdout.
 *
 * Tick log format, space separated:
 *   T|C recv_ns source instrument symbol seqno feed_seq exch_ts bid_px bid_sz ask_px ask_sz mid_px last_px last_sz flags
 *   (T = raw change, C = conflated; prices in 1e-8 units, "-" for none;
 *    flags as letters: S stale, G gap, X crossed, H halted, L late, N snapshot, T trade)
 *   E time_ns source event seq_from seq_to
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "controlplane/cp.h"
#include "controlplane/exporter.h"
#include "dataplane/oriond.h"

#define DRAIN 256

static void px(FILE *f, int64_t v)
{
	if (v == ORION_PX_NONE)
		fputs(" -", f);
	else
		fprintf(f, " %" PRId64, v);
}

static void write_tick(FILE *f, char kind, const struct md_tick *t)
{
	static const char letters[] = "SGXHLNT";
	char fl[8];
	unsigned n = 0;
	for (unsigned b = 0; b < 7; b++)
		if (t->flags & (1u << b))
			fl[n++] = letters[b];
	if (!n)
		fl[n++] = '-';
	fl[n] = '\0';
	char sym[ORION_SYMBOL_LEN + 1];
	memcpy(sym, t->symbol, ORION_SYMBOL_LEN);
	sym[ORION_SYMBOL_LEN] = '\0';
	for (int i = ORION_SYMBOL_LEN - 1; i >= 0 && (sym[i] == ' ' || sym[i] == '\0'); i--)
		sym[i] = '\0';
	if (!sym[0])
		strcpy(sym, "?");
	fprintf(f, "%c %" PRIu64 " %u %u %s %u %" PRIu64 " %" PRIu64, kind, t->recv_ns, t->source, t->instrument_id,
		sym, t->seqno, t->feed_seq, t->exch_ts_ns);
	px(f, t->bid_px);
	fprintf(f, " %u", t->bid_sz);
	px(f, t->ask_px);
	fprintf(f, " %u", t->ask_sz);
	px(f, t->mid_px);
	px(f, t->last_px);
	fprintf(f, " %u %s\n", t->last_sz, fl);
}

int dp_consumers_open(struct oriond *od)
{
	int rc = dp_metrics_open(od);
	if (rc)
		return rc;
	if (!od->cfg.ticklog_path[0])
		return 0;
	od->ticklog = fopen(od->cfg.ticklog_path, "w");
	if (!od->ticklog) {
		int e = errno;
		fprintf(stderr, "oriond: tick log %s: %s\n", od->cfg.ticklog_path, strerror(e));
		return -e;
	}
	setvbuf(od->ticklog, NULL, _IOFBF, 1 << 20);
	return 0;
}

static unsigned drain_ticks(struct oriond *od, struct rte_ring *r, char kind, uint64_t *count)
{
	struct md_tick t[DRAIN];
	if (!r)
		return 0;
	unsigned n = rte_ring_sc_dequeue_burst_elem(r, t, sizeof(t[0]), DRAIN, NULL);
	*count += n;
	if (od->exp)
		for (unsigned i = 0; i < n; i++)
			exp_publish_tick(od->exp, &t[i]); /* keeps the stream its config asks for */
	if (od->cp)
		for (unsigned i = 0; i < n; i++)
			cp_publish_tick(od->cp, &t[i], kind == 'C');
	if (od->ticklog)
		for (unsigned i = 0; i < n; i++) {
			write_tick(od->ticklog, kind, &t[i]);
			od->cons.ticklog_lines++;
		}
	return n;
}

unsigned dp_consumers_poll(struct oriond *od)
{
	unsigned work = 0;
	if (od->order_events) {
		/* Order events for the control plane's live views; the journal is
		 * their durable copy (export tails it). */
		struct me_event ev[32];
		unsigned want = 32;
		if (od->cp) { /* leave events in the ring (back-pressure to og) rather than drop them */
			unsigned room = cp_event_room(od->cp);
			want = room < want ? room : want;
		}
		unsigned n = rte_ring_sc_dequeue_burst_elem(od->order_events, ev, sizeof(ev[0]), want, NULL);
		for (unsigned k = 0; od->cp && k < n; k++)
			cp_publish_order_event(od->cp, &ev[k]);
		od->cons.order_events += n;
		work += n;
	}
	for (unsigned i = 0; i < od->n_lcores; i++) {
		struct dp_lcore *lc = &od->lcores[i];
		if (!lc->event_ring)
			continue;
		work += drain_ticks(od, lc->tick_ring, 'T', &od->cons.ticks);
		work += drain_ticks(od, lc->conf_ring, 'C', &od->cons.conflated);
		struct dp_md_event ev[64];
		unsigned n = rte_ring_sc_dequeue_burst_elem(lc->event_ring, ev, sizeof(ev[0]), 64, NULL);
		for (unsigned k = 0; k < n; k++) {
			const char *feed = "?";
			for (unsigned f = 0; f < od->cfg.n_feeds; f++)
				if (od->cfg.feeds[f].id == ev[k].feed)
					feed = od->cfg.feeds[f].name;
			static const int8_t xmap[] = {
				[DP_MD_EV_GAP_OPEN] = EXP_FEED_GAP_OPEN,
				[DP_MD_EV_GAP_FILLED] = EXP_FEED_GAP_FILLED,
				[DP_MD_EV_GAP_UNRECOVERABLE] = EXP_FEED_GAP_UNRECOVERABLE,
				[DP_MD_EV_STALE] = EXP_FEED_STALE,
				[DP_MD_EV_STALE_CLEARED] = EXP_FEED_STALE_CLEARED,
			};
			if (od->exp && ev[k].type < sizeof(xmap) && xmap[ev[k].type])
				exp_publish_feed_event(od->exp, ev[k].feed, (enum exp_feed_ev)xmap[ev[k].type], ev[k].seq_from,
						       ev[k].seq_to, ev[k].time_ns);
			if (od->cp)
				cp_publish_md_event(od->cp, ev[k].feed, dp_md_event_name(ev[k].type), ev[k].seq_from,
						    ev[k].seq_to);
			if (ev[k].type != DP_MD_EV_BROKEN_TRADE) /* routine: tick log only */
				printf("oriond: feed %s: %s seq %" PRIu64 "-%" PRIu64 "\n", feed,
				       dp_md_event_name(ev[k].type), ev[k].seq_from, ev[k].seq_to);
			if (od->ticklog)
				fprintf(od->ticklog, "E %" PRIu64 " %u %s %" PRIu64 " %" PRIu64 "\n", ev[k].time_ns,
					ev[k].feed, dp_md_event_name(ev[k].type), ev[k].seq_from, ev[k].seq_to);
		}
		od->cons.events += n;
		work += n;
	}
	return work;
}

void dp_consumers_close(struct oriond *od)
{
	if (od->ticklog) {
		fclose(od->ticklog);
		od->ticklog = NULL;
	}
}
