/* oriond: the Orion appliance process.
 *
 * main lcore   : start-up, control work (tick log, metrics endpoint, events),
 *                shutdown and final statistics.
 * worker lcores: poll-mode dataplane. Layout from [dataplane] layout:
 *   run-to-completion  one lcore polls every port and runs every feed's stage;
 *   pipeline           the first worker polls the ports (rx) and hands mbufs over
 *                      SP/SC rings to md workers, each owning a subset of feeds.
 *   auto               pipeline with 3+ lcores in total, else run-to-completion.
 * The same stage code (dp_md.h) runs in both layouts.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "common/orion_time.h"
#include "dataplane/dp_config.h"
#include "dataplane/dp_md.h"
#include "dataplane/dp_pkt.h"
#include "controlplane/cp.h"
#include "controlplane/exporter.h"
#include "dataplane/journal/jr_writer.h"
#include "dataplane/og/og_journal.h"
#include "dataplane/oriond.h"
#include "fix/fix_config.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* ---- output vtable: stage → rings (runs on the lcore owning the feed) ---- */

static int out_tick(void *ctx, const struct md_tick *t)
{
	struct dp_lcore *lc = ctx;
	return lc->tick_ring ? rte_ring_sp_enqueue_elem(lc->tick_ring, (void *)t, sizeof(*t)) : 0;
}

static int out_conflated(void *ctx, const struct md_tick *t)
{
	struct dp_lcore *lc = ctx;
	return lc->conf_ring ? rte_ring_sp_enqueue_elem(lc->conf_ring, (void *)t, sizeof(*t)) : 0;
}

/* The venue's own book ticks (matching engine, order lcore): raw to the tick
 * ring, and through the same conflation as feed ticks. */
static int out_venue_tick(void *ctx, const struct md_tick *t)
{
	struct dp_lcore *lc = ctx;
	int rc = out_tick(ctx, t);
	md_conflate_update(lc->venue_conf, t);
	return rc;
}

static int out_event(void *ctx, const struct dp_md_event *ev)
{
	struct dp_lcore *lc = ctx;
	return rte_ring_sp_enqueue_elem(lc->event_ring, (void *)ev, sizeof(*ev));
}

static int out_rereq(void *ctx, uint16_t feed_idx, const uint8_t *pkt, uint16_t len)
{
	struct dp_lcore *lc = ctx;
	struct oriond *od = lc->od;
	const struct dp_feed_cfg *fc = &od->cfg.feeds[feed_idx];
	struct dp_port *port = &od->ports[fc->port];
	if (port->n_txq <= lc->txq)
		return -ENOTSUP;
	if (!port->cfg->ip_be)
		return -EADDRNOTAVAIL;
	struct rte_mbuf *m = rte_pktmbuf_alloc(od->pool);
	if (!m)
		return -ENOMEM;
	const uint8_t *dst_mac = fc->has_rereq_mac ? fc->rereq_mac : od->feed_rt[feed_idx].peer_mac;
	int n = dp_pkt_build_udp(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), dst_mac,
				 port->mac, fc->vlan, port->cfg->ip_be, fc->rereq.ip_be, fc->rereq_src_port,
				 fc->rereq.port, pkt, len);
	if (n < 0 || !rte_pktmbuf_append(m, (uint16_t)n)) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	if (rte_eth_tx_burst(port->port_id, lc->txq, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

static int og_event_out(void *ctx, const struct me_event *ev)
{
	struct oriond *od = ctx;
	return rte_ring_sp_enqueue_elem(od->order_events, (void *)ev, sizeof(*ev));
}

static unsigned og_event_room(void *ctx)
{
	struct oriond *od = ctx;
	return rte_ring_free_count(od->order_events);
}

static int og_next_cmd(void *ctx, struct risk_cmd *cmd)
{
	struct oriond *od = ctx;
	return rte_ring_sc_dequeue_elem(od->order_cmds, cmd, sizeof(*cmd)) == 0;
}

static int og_next_api(void *ctx, struct og_api_req *req)
{
	struct oriond *od = ctx;
	return rte_ring_sc_dequeue_elem(od->order_api, req, sizeof(*req)) == 0;
}

/* The control plane's journal channel: fixed-size elements, one producer (the
 * cp thread; cp_create's thread before it exists), one consumer (the order
 * lcore, which appends each as an OG_JR_CP record). */
struct cp_jr_elem {
	uint32_t len;
	uint8_t data[OG_CP_REC_MAX];
};
#define CP_JR_RING 1024

static size_t og_next_cp(void *ctx, void *buf, size_t cap)
{
	struct oriond *od = ctx;
	struct cp_jr_elem e;
	if (rte_ring_sc_dequeue_elem(od->cp_journal, &e, sizeof(e)) != 0)
		return 0;
	if (e.len > cap)
		return cap + 1; /* og counts it invalid (cannot happen: the producer checks) */
	memcpy(buf, e.data, e.len);
	return e.len;
}

static unsigned og_cp_count(void *ctx)
{
	struct oriond *od = ctx;
	return rte_ring_count(od->cp_journal);
}

/* hooks.journal (cp thread): copy the record into the channel, never wait. */
static int cp_journal_rec(void *ctx, const void *rec, size_t len)
{
	struct oriond *od = ctx;
	struct cp_jr_elem e;
	if (!len || len > sizeof(e.data))
		return -EMSGSIZE;
	e.len = (uint32_t)len;
	memcpy(e.data, rec, len);
	return rte_ring_sp_enqueue_elem(od->cp_journal, &e, sizeof(e)) == 0 ? 0 : -ENOBUFS;
}

/* og_cfg.cp_sink: og_create's replay hands the control plane its records. */
static void cp_journal_sink(void *ctx, const void *rec, size_t len, uint64_t seq, uint64_t ts_ns)
{
	struct oriond *od = ctx;
	(void)seq;
	if (od->cp)
		cp_restore(od->cp, rec, len, ts_ns);
}

static int create_cp(struct oriond *od);

int dp_send_order(struct oriond *od, const struct og_api_req *req)
{
	if (!od->order_api)
		return -ENOTSUP;
	if (rte_ring_sp_enqueue_elem(od->order_api, (void *)req, sizeof(*req)) != 0) {
		od->cons.api_ring_full++;
		return -ENOBUFS;
	}
	od->cons.api_sent++;
	return 0;
}

int dp_send_cmd(struct oriond *od, const struct risk_cmd *cmd)
{
	if (!od->order_cmds)
		return -ENOTSUP;
	if (rte_ring_mp_enqueue_elem(od->order_cmds, (void *)cmd, sizeof(*cmd)) != 0) {
		od->cons.cmds_ring_full++;
		return -ENOBUFS;
	}
	od->cons.cmds_sent++;
	return 0;
}

/* ---- dataplane stages ---- */

/* Classify one frame and run the feed stage (run-to-completion) or hand it to
 * the owning md lcore (pipeline). Returns 1 when the mbuf was passed on. */
static int rx_frame(struct dp_lcore *lc, struct rte_mbuf *m, uint16_t port_idx, uint64_t now_ns)
{
	struct oriond *od = lc->od;
	struct dp_udp_view v;
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	enum dp_pkt_drop r = dp_pkt_parse_udp(data, len, &v);
	if (r == DP_PKT_ARP) {
		struct dp_port *p = &od->ports[port_idx];
		if (p->cfg->ip_be && p->n_txq > lc->txq) {
			struct rte_mbuf *rep = rte_pktmbuf_alloc(od->pool);
			if (rep) {
				int n = dp_pkt_arp_reply(data, len, p->cfg->ip_be, p->mac,
							 rte_pktmbuf_mtod(rep, uint8_t *), rte_pktmbuf_tailroom(rep));
				if (n > 0 && rte_pktmbuf_append(rep, (uint16_t)n) &&
				    rte_eth_tx_burst(p->port_id, lc->txq, &rep, 1) == 1)
					lc->st.arp_replies++;
				else
					rte_pktmbuf_free(rep);
			}
		}
		lc->st.drop[DP_PKT_ARP]++;
		return 0;
	}
	if (r != DP_PKT_OK) {
		lc->st.drop[r]++;
		return 0;
	}
	const struct dp_line_entry *e = dp_line_table_find(&od->lines, v.dst_ip, v.dst_port);
	if (!e) {
		lc->st.drop[DP_PKT_NO_LINE]++;
		return 0;
	}
	struct dp_feed_rt *fr = &od->feed_rt[e->feed];
	if (e->line != 2)
		memcpy(fr->peer_mac, v.src_mac, 6); /* next hop towards the feed's source */
	if (fr->owner == lc) {
		lc->st.md_packets++;
		dp_md_rx(fr->md, e->line, v.payload, v.payload_len, now_ns);
		return 0;
	}
	/* Pipeline: stash the line in the mbuf and pass it on. */
	m->hash.usr = e->line;
	m->port = e->feed;
	if (rte_ring_sp_enqueue(fr->owner->in_ring, m) != 0) {
		lc->st.ring_full++;
		return 0;
	}
	return 1;
}

static void poll_md_inputs(struct dp_lcore *lc, uint64_t now_ns, unsigned *work)
{
	struct oriond *od = lc->od;
	struct rte_mbuf *pk[DP_MAX_BURST];
	if (lc->in_ring) {
		unsigned n = rte_ring_sc_dequeue_burst(lc->in_ring, (void **)pk, od->cfg.burst, NULL);
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = pk[i];
			struct dp_udp_view v;
			if (dp_pkt_parse_udp(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &v) ==
			    DP_PKT_OK) {
				lc->st.md_packets++;
				dp_md_rx(od->feed_rt[m->port].md, (unsigned)m->hash.usr, v.payload, v.payload_len,
					 now_ns);
			}
			rte_pktmbuf_free(m);
		}
		*work += n;
	}
	for (unsigned i = 0; i < lc->n_feeds; i++)
		dp_md_poll(od->feed_rt[lc->feeds[i]].md, now_ns);
}

static int rx_room(const struct oriond *od, unsigned burst)
{
	for (unsigned i = 0; i < od->n_lcores; i++) {
		const struct rte_ring *r = od->lcores[i].in_ring;
		if (r && rte_ring_free_count(r) < burst)
			return 0;
	}
	return 1;
}

static int lcore_main(void *arg)
{
	struct dp_lcore *lc = arg;
	struct oriond *od = lc->od;
	struct rte_mbuf *pk[DP_MAX_BURST];
	const uint16_t burst = (uint16_t)od->cfg.burst;
	uint64_t last = rte_rdtsc();

	while (!g_stop) {
		unsigned work = 0;
		uint64_t now_ns = orion_now_ns();
		for (unsigned i = 0; i < lc->n_rx; i++) {
			struct dp_port *p = &od->ports[lc->rx_ports[i]];
			/* Pipeline back-pressure: while an md lcore's ring has no
			 * room for a burst, leave the packets in the port's queue
			 * (the NIC counts what it must drop) rather than receive
			 * and drop them here. */
			if (od->pipeline && !rx_room(od, burst)) {
				lc->st.rx_backpressure++;
				continue;
			}
			uint16_t n = rte_eth_rx_burst(p->port_id, 0, pk, burst);
			lc->st.rx_packets += n;
			for (uint16_t j = 0; j < n; j++) {
				lc->st.rx_bytes += rte_pktmbuf_pkt_len(pk[j]);
				if (!rx_frame(lc, pk[j], lc->rx_ports[i], now_ns))
					rte_pktmbuf_free(pk[j]);
			}
			work += n;
		}
		poll_md_inputs(lc, now_ns, &work);
		if (lc->og) {
			work += og_poll(lc->og, now_ns);
			if (now_ns >= lc->venue_conf_next) {
				md_conflate_poll(lc->venue_conf, now_ns, out_conflated, lc, 256);
				lc->venue_conf_next = now_ns + lc->venue_conf_step;
			}
		}
		uint64_t t = rte_rdtsc();
		if (work)
			lc->st.busy_cycles += t - last;
		else
			lc->st.idle_cycles += t - last;
		lc->st.loops++;
		last = t;
	}
	return 0;
}

/* ---- start-up ---- */

static int build_eal_args(const struct dp_cfg *c, char *store, size_t cap, char **argv, int max)
{
	int argc = 0;
	size_t used = 0;
	char line[1024], prefix[96] = "";
	/* --in-memory needs hugepages; without them a per-process file prefix
	 * keeps instances apart just as well. */
	int in_memory = c->in_memory && !c->no_huge;
	if (c->file_prefix[0])
		snprintf(prefix, sizeof(prefix), " --file-prefix=%s", c->file_prefix);
	else if (c->in_memory && c->no_huge)
		snprintf(prefix, sizeof(prefix), " --file-prefix=oriond%d", (int)getpid());
	int n = snprintf(line, sizeof(line), "oriond --lcores=%s -m %u%s%s%s%s --log-level=*:notice", c->lcores,
			 c->memory_mb, c->no_huge ? " --no-huge" : "", in_memory ? " --in-memory" : "",
			 c->no_pci ? " --no-pci" : "", prefix);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENOSPC;
	char *tok, *save = NULL;
	for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		size_t l = strlen(tok) + 1;
		if (argc >= max - 1 || used + l > cap)
			return -ENOSPC;
		argv[argc++] = memcpy(store + used, tok, l);
		used += l;
	}
	for (unsigned i = 0; i < c->n_ports; i++) {
		const char *flag = c->ports[i].is_vdev ? "--vdev" : "-a";
		size_t l1 = strlen(flag) + 1, l2 = strlen(c->ports[i].device) + 1;
		if (argc >= max - 2 || used + l1 + l2 > cap)
			return -ENOSPC;
		argv[argc++] = memcpy(store + used, flag, l1);
		used += l1;
		argv[argc++] = memcpy(store + used, c->ports[i].device, l2);
		used += l2;
	}
	if (c->eal_extra[0]) {
		char extra[256];
		snprintf(extra, sizeof(extra), "%s", c->eal_extra);
		for (tok = strtok_r(extra, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			size_t l = strlen(tok) + 1;
			if (argc >= max - 1 || used + l > cap)
				return -ENOSPC;
			argv[argc++] = memcpy(store + used, tok, l);
			used += l;
		}
	}
	argv[argc] = NULL;
	return argc;
}

static int port_setup(struct oriond *od, unsigned idx, uint16_t n_txq_wanted)
{
	struct dp_port *p = &od->ports[idx];
	const struct dp_port_cfg *pc = &od->cfg.ports[idx];
	char name[256];
	snprintf(name, sizeof(name), "%s", pc->device);
	char *comma = strchr(name, ',');
	if (comma)
		*comma = '\0';
	p->cfg = pc;
	if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
		fprintf(stderr, "oriond: port %s: device %s not found\n", pc->name, name);
		return -ENODEV;
	}
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc)
		return rc;
	p->n_txq = n_txq_wanted < info.max_tx_queues ? n_txq_wanted : info.max_tx_queues;
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if ((rc = rte_eth_dev_configure(p->port_id, 1, p->n_txq, &conf)) != 0) {
		fprintf(stderr, "oriond: port %s: configure: %s\n", pc->name, rte_strerror(-rc));
		return rc;
	}
	uint16_t rxd = pc->rx_desc, txd = pc->tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	int socket = rte_eth_dev_socket_id(p->port_id);
	if (socket < 0)
		socket = 0;
	if ((rc = rte_eth_rx_queue_setup(p->port_id, 0, rxd, (unsigned)socket, NULL, od->pool)) != 0) {
		fprintf(stderr, "oriond: port %s: rx queue: %s\n", pc->name, rte_strerror(-rc));
		return rc;
	}
	for (uint16_t q = 0; q < p->n_txq; q++)
		if ((rc = rte_eth_tx_queue_setup(p->port_id, q, txd, (unsigned)socket, NULL)) != 0) {
			fprintf(stderr, "oriond: port %s: tx queue %u: %s\n", pc->name, q, rte_strerror(-rc));
			return rc;
		}
	if ((rc = rte_eth_dev_start(p->port_id)) != 0) {
		fprintf(stderr, "oriond: port %s: start: %s\n", pc->name, rte_strerror(-rc));
		return rc;
	}
	if (pc->promisc)
		rte_eth_promiscuous_enable(p->port_id);
	rte_eth_allmulticast_enable(p->port_id);
	struct rte_ether_addr mac;
	rte_eth_macaddr_get(p->port_id, &mac);
	memcpy(p->mac, mac.addr_bytes, 6);
	p->started = 1;
	printf("oriond: port %s = %s (port %u, driver %s, %u tx queues, mac %02x:%02x:%02x:%02x:%02x:%02x)\n",
	       pc->name, name, p->port_id, info.driver_name, p->n_txq, p->mac[0], p->mac[1], p->mac[2], p->mac[3],
	       p->mac[4], p->mac[5]);
	return 0;
}

static struct rte_ring *ring_elem(const char *what, unsigned lcore, unsigned esize, unsigned count)
{
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "%s_%u", what, lcore);
	struct rte_ring *r = rte_ring_create_elem(name, esize, count, (int)rte_lcore_to_socket_id(lcore),
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!r) {
		fprintf(stderr, "oriond: ring %s (%u x %u B): %s\n", name, count, esize, rte_strerror(rte_errno));
		return NULL;
	}
	/* Fault the ring's pages in now: without hugepages they are 4 KiB pages
	 * mapped on first touch, which would otherwise happen on the dataplane. */
	ssize_t sz = rte_ring_get_memsize_elem(esize, count);
	if (sz > (ssize_t)sizeof(*r))
		memset((char *)r + sizeof(*r), 0, (size_t)sz - sizeof(*r));
	return r;
}

/* Decide lcore roles and feed ownership. */
static int assign_roles(struct oriond *od)
{
	unsigned workers[RTE_MAX_LCORE], nw = 0, id;
	RTE_LCORE_FOREACH_WORKER(id) workers[nw++] = id;
	if (nw == 0) {
		fprintf(stderr, "oriond: [eal] lcores = %s leaves no dataplane lcore (need main + 1)\n", od->cfg.lcores);
		return -EINVAL;
	}
	int pipeline = od->cfg.layout == DP_LAYOUT_PIPELINE || (od->cfg.layout == DP_LAYOUT_AUTO && nw >= 2);
	if (pipeline && nw < 2) {
		fprintf(stderr, "oriond: layout pipeline needs at least 2 worker lcores\n");
		return -EINVAL;
	}
	od->n_lcores = nw;
	for (unsigned i = 0; i < nw; i++) {
		struct dp_lcore *lc = &od->lcores[i];
		lc->od = od;
		lc->lcore_id = workers[i];
		lc->txq = (uint16_t)i;
	}
	/* rx: run-to-completion → the only worker; pipeline → the first worker. */
	od->lcores[0].n_rx = od->cfg.n_ports;
	for (unsigned p = 0; p < od->cfg.n_ports; p++)
		od->lcores[0].rx_ports[p] = (uint16_t)p;
	unsigned first_md = pipeline ? 1 : 0, n_md = pipeline ? nw - 1 : 1;
	for (unsigned f = 0; f < od->cfg.n_feeds; f++) {
		struct dp_lcore *lc = &od->lcores[first_md + f % n_md];
		lc->feeds[lc->n_feeds++] = (uint16_t)f;
		od->feed_rt[f].owner = lc;
	}
	od->pipeline = pipeline;
	/* FIX order entry: the last worker (its own lcore from 3 workers up;
	 * otherwise it shares the md lcore, run to completion). */
	if (od->cfg.fix_enabled)
		od->order_lc = &od->lcores[nw - 1];
	printf("oriond: layout %s, %u dataplane lcore(s)\n", pipeline ? "pipeline" : "run-to-completion", nw);
	for (unsigned i = 0; i < nw; i++) {
		struct dp_lcore *lc = &od->lcores[i];
		printf("oriond:   lcore %u: %s%s%s%u feed(s)\n", lc->lcore_id, lc->n_rx ? "rx " : "",
		       lc->n_feeds ? "md " : "", lc == od->order_lc ? "fix+risk+match " : "", lc->n_feeds);
	}
	return 0;
}

static int setup(struct oriond *od)
{
	int rc = assign_roles(od);
	if (rc)
		return rc;
	od->pool = rte_pktmbuf_pool_create("orion_mbufs", od->cfg.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	if (!od->pool) {
		fprintf(stderr, "oriond: mbuf pool of %u: %s (raise [eal] memory_mb or lower [dataplane] mbufs)\n",
			od->cfg.mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (unsigned p = 0; p < od->cfg.n_ports; p++)
		if ((rc = port_setup(od, p, (uint16_t)od->n_lcores)) != 0)
			return rc;
	dp_line_table_init(&od->lines);
	for (unsigned f = 0; f < od->cfg.n_feeds; f++) {
		const struct dp_feed_cfg *fc = &od->cfg.feeds[f];
		const struct dp_line_cfg *ls[3] = { &fc->line_a, &fc->line_b, NULL };
		struct dp_line_cfg own = { .ip_be = od->cfg.ports[fc->port].ip_be, .port = fc->rereq_src_port, .set = 1 };
		if (fc->rereq.set && own.ip_be)
			ls[2] = &own;
		for (uint8_t l = 0; l < 3; l++) {
			if (!ls[l] || !ls[l]->set)
				continue;
			if ((rc = dp_line_table_add(&od->lines, ls[l]->ip_be, ls[l]->port, (uint16_t)f, l)) != 0) {
				fprintf(stderr, "oriond: feed %s: line %c: %s\n", fc->name, "ABR"[l],
					rc == -EEXIST ? "address:port used twice" : "too many lines");
				return rc;
			}
		}
	}
	for (unsigned i = 0; i < od->n_lcores; i++) {
		struct dp_lcore *lc = &od->lcores[i];
		if (!lc->n_feeds && lc != od->order_lc)
			continue;
		lc->out = (struct dp_md_out){ .ctx = lc, .tick = out_tick, .conflated = out_conflated,
					      .event = out_event, .rerequest = out_rereq };
		/* Rings for what the tick log and the exporter consume. */
		int log = od->cfg.ticklog_path[0] != '\0';
		enum exp_md_mode xm = od->cfg.kafka.enabled ? od->cfg.kafka.market_data : EXP_MD_OFF;
		int want_raw = (log && od->cfg.ticklog_stream != DP_TICKLOG_CONFLATED) || xm == EXP_MD_RAW ||
			       (!log && xm == EXP_MD_OFF);
		int want_conf = (log && od->cfg.ticklog_stream != DP_TICKLOG_RAW) || xm == EXP_MD_CONFLATED;
		if (od->cfg.cp.enabled) {
			if (od->cfg.cp.market_data == CP_MD_RAW)
				want_raw = 1;
			else
				want_conf = 1;
		}
		if ((want_raw && !(lc->tick_ring = ring_elem("ticks", lc->lcore_id, sizeof(struct md_tick),
								   od->cfg.tick_ring_size))) ||
		    (want_conf && !(lc->conf_ring = ring_elem("conflated", lc->lcore_id, sizeof(struct md_tick),
								    od->cfg.tick_ring_size))) ||
		    !(lc->event_ring = ring_elem("events", lc->lcore_id, sizeof(struct dp_md_event), 1024)))
			return -ENOMEM;
		if (od->pipeline && !(lc->in_ring = rte_ring_create("md_in", od->cfg.ring_size,
								     (int)rte_lcore_to_socket_id(lc->lcore_id),
								     RING_F_SP_ENQ | RING_F_SC_DEQ)))
			return -ENOMEM;
		for (unsigned k = 0; k < lc->n_feeds; k++) {
			unsigned f = lc->feeds[k];
			od->feed_rt[f].md = dp_md_create(&od->cfg.feeds[f], f, od->cfg.conflate_ns, &lc->out);
			if (!od->feed_rt[f].md) {
				fprintf(stderr, "oriond: feed %s: %s (check max_orders / max_levels against memory)\n",
					od->cfg.feeds[f].name, strerror(errno));
				return -errno;
			}
		}
	}
	/* The control plane exists before og_create, so that the journal's
	 * replay can hand it back its users, flags and idempotency keys. */
	if (od->cfg.cp.enabled && (rc = create_cp(od)) != 0)
		return rc;
	if (od->order_lc) {
		char err[512];
		if (od->cp_journal) {
			od->cfg.og.cp_sink = cp_journal_sink;
			od->cfg.og.cp_sink_ctx = od;
		}
		od->og = og_create(&od->cfg.og, err, sizeof(err));
		if (!od->og) {
			fprintf(stderr, "oriond: FIX order entry: %s\n", err);
			return -EINVAL;
		}
		struct md_conflate_config vc = { .max_instruments = od->cfg.og.n_instruments ? od->cfg.og.n_instruments : 1,
						 .interval_ns = od->cfg.conflate_ns };
		if (md_conflate_create(&vc, &od->order_lc->venue_conf) != 0)
			return -ENOMEM;
		od->order_lc->venue_conf_step = od->cfg.conflate_ns / 10 < 1000000 ? od->cfg.conflate_ns / 10 : 1000000;
		og_set_tick_sink(od->og, out_venue_tick, od->order_lc);
		if (!(od->order_events = ring_elem("order_events", od->order_lc->lcore_id, sizeof(struct me_event),
						   od->cfg.tick_ring_size)) ||
		    !(od->order_cmds = ring_elem("order_cmds", od->order_lc->lcore_id, sizeof(struct risk_cmd), 1024)) ||
		    !(od->order_api = ring_elem("order_api", od->order_lc->lcore_id, sizeof(struct og_api_req), 4096)))
			return -ENOMEM;
		struct og_io io = { .event = og_event_out, .event_room = og_event_room, .next_cmd = og_next_cmd,
				    .next_api = og_next_api, .ctx = od };
		if (od->cp_journal) {
			io.next_cp = og_next_cp;
			io.cp_count = og_cp_count;
		}
		og_set_io(od->og, &io);
		od->order_lc->og = od->og;
		og_publish_tops(od->og, orion_now_ns()); /* the replayed books, before anything trades */
		unsigned live = og_publish_live_orders(od->og); /* and their orders, for the control plane */
		if (live)
			printf("oriond: %u live orders after replay\n", live);
		printf("oriond: FIX 4.4 acceptor on port %u, %u instrument(s)\n", od->cfg.og.listen_port,
		       od->cfg.og.n_instruments);
	}
	return 0;
}

static uint64_t exp_committed(void *ctx) { return jr_committed_seq(ctx); }
static void exp_exported(void *ctx, uint64_t seq) { jr_set_exported(ctx, seq); }

/* Kafka export: after og_create (its replay is done), before the lcores run. */
static int start_exporter(struct oriond *od)
{
	if (!od->cfg.kafka.enabled) {
		printf("oriond: Kafka export off (no [kafka] section)\n");
		return 0;
	}
	struct jr_writer *jw = od->og ? og_journal_writer(od->og) : NULL;
	char err[512];
	od->exp = exp_create(&od->cfg.kafka, jw ? od->cfg.og.journal.dir : NULL, exp_committed, exp_exported, jw, err,
			     sizeof(err));
	if (!od->exp) {
		fprintf(stderr, "oriond: Kafka export: %s\n", err);
		return -EINVAL;
	}
	if (exp_start(od->exp) != 0) {
		fprintf(stderr, "oriond: Kafka export: cannot start\n");
		return -EINVAL;
	}
	printf("oriond: Kafka export to %s (%s)\n", od->cfg.kafka.brokers,
	       jw ? "journal events and market data" : "market data only: no [journal]");
	return 0;
}

/* Control plane hooks (run on the cp thread). */
static void cp_write_metrics(void *ctx, FILE *f) { dp_metrics_write(ctx, f); }
static int cp_send_risk_cmd(void *ctx, const struct risk_cmd *cmd) { return dp_send_cmd(ctx, cmd); }
static int cp_send_order(void *ctx, const struct og_api_req *req) { return dp_send_order(ctx, req); }

static unsigned cp_instruments(void *ctx, struct cp_instrument *out, unsigned max)
{
	struct oriond *od = ctx;
	unsigned n = 0;
	for (uint32_t i = 0; od->og && i < od->cfg.og.n_instruments && n < max; i++, n++) {
		const struct og_instrument_cfg *ic = &od->cfg.og.instruments[i];
		snprintf(out[n].symbol, sizeof(out[n].symbol), "%s", ic->symbol);
		out[n].id = i; /* the engine's instrument id is the config index */
		out[n].tick = ic->tick;
		out[n].lot = ic->lot;
		int st = og_instrument_state(od->og, i); /* after the replay: halts survive restarts */
		out[n].state = st < 0 ? ME_ST_OPEN : (uint8_t)st;
	}
	return n;
}

static unsigned cp_fix_sessions(void *ctx, struct cp_fix_session *out, unsigned max)
{
	struct oriond *od = ctx;
	static struct og_session_info info[FIX_CONFIG_MAX_SESSIONS];
	unsigned n = od->og ? og_sessions(od->og, info, max < FIX_CONFIG_MAX_SESSIONS ? max : FIX_CONFIG_MAX_SESSIONS) : 0;
	for (unsigned i = 0; i < n; i++) {
		snprintf(out[i].name, sizeof(out[i].name), "%.30s->%.30s", info[i].sender, info[i].target);
		out[i].id = info[i].id;
		out[i].tenant = info[i].tenant;
		out[i].connected = info[i].connected;
		out[i].in_seq = info[i].in_seq;
		out[i].out_seq = info[i].out_seq;
	}
	return n;
}

/* Create the control plane (no thread yet): in setup(), before og_create.
 * With [journal] and FIX order entry its state and audit trail go into the
 * order journal through the cp_journal channel. */
static int create_cp(struct oriond *od)
{
	struct cp_hooks h = { .ctx = od, .write_metrics = cp_write_metrics, .send_risk_cmd = cp_send_risk_cmd,
			      .send_order = cp_send_order, .instruments = cp_instruments,
			      .fix_sessions = cp_fix_sessions };
	if (od->order_lc && od->cfg.og.journal.dir[0]) {
		if (!(od->cp_journal = ring_elem("cp_journal", od->order_lc->lcore_id, sizeof(struct cp_jr_elem),
						 CP_JR_RING)))
			return -ENOMEM;
		h.journal = cp_journal_rec;
	}
	char err[512];
	od->cp = cp_create(&od->cfg.cp, &h, err, sizeof(err));
	if (!od->cp) {
		fprintf(stderr, "oriond: control plane: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static int start_cp(struct oriond *od)
{
	if (!od->cp)
		return 0;
	if (cp_journaled(od->cp)) {
		const struct cp_restore_stats *r = cp_restore_stats(od->cp);
		printf("oriond: control plane: state in the journal %s (audit trail, users, flags, idempotency keys%s); "
		       "applied %llu user, %llu flag, %llu idempotency key records (%llu keys expired, %llu records skipped)\n",
		       od->cfg.og.journal.dir, od->cfg.cp.audit_log[0] ? "; audit copy in audit_log" : "",
		       (unsigned long long)r->users, (unsigned long long)r->flags, (unsigned long long)r->idem,
		       (unsigned long long)r->idem_expired, (unsigned long long)(r->skipped + r->invalid));
	} else {
		printf("oriond: control plane: no journal (%s): audit trail to %s; users, flags and idempotency keys "
		       "changed at run time are kept in memory only and lost at a restart\n",
		       od->order_lc ? "no [journal] section" : "no FIX order entry",
		       od->cfg.cp.audit_log[0] ? od->cfg.cp.audit_log : "stderr");
	}
	if (cp_start(od->cp) != 0) {
		fprintf(stderr, "oriond: control plane: %s\n", cp_last_error(od->cp));
		return -EINVAL;
	}
	printf("oriond: control plane on port %u (REST /api/v1, WebSocket /api/v1/ws, /metrics)\n", cp_port(od->cp));
	return 0;
}

/* ---- main lcore: consumers, metrics, shutdown ---- */

static uint64_t total_rx(const struct oriond *od)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < od->n_lcores; i++)
		n += od->lcores[i].st.rx_packets;
	return n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: oriond -c FILE [--tick-log FILE] [--check-config] [--version]\n"
		   "  -c, --config FILE    configuration (see deploy/oriond.conf.example)\n"
		   "  --tick-log FILE      record ticks to FILE (overrides [ticklog] path)\n"
		   "  --check-config       validate the configuration and exit (0 ok, 2 bad)\n");
}

int main(int argc, char **argv)
{
	static struct oriond od_store;
	struct oriond *od = &od_store;
	const char *cfg_path = NULL, *ticklog = NULL;
	int check_only = 0;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "tick-log", required_argument, NULL, 't' },
		{ "check-config", no_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { NULL, 0, NULL, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': cfg_path = optarg; break;
		case 't': ticklog = optarg; break;
		case 'k': check_only = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("oriond %s\n", ORION_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!cfg_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	char err[1100];
	if (dp_config_load(&od->cfg, cfg_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "oriond: config error: %s\n", err);
		return 2;
	}
	if (ticklog)
		snprintf(od->cfg.ticklog_path, sizeof(od->cfg.ticklog_path), "%s", ticklog);
	if (check_only) {
		static struct fix_config fc;
		if (od->cfg.fix_enabled && fix_config_load(od->cfg.og.sessions_path, &fc, err, sizeof(err)) != 0) {
			fprintf(stderr, "oriond: config error: %s\n", err);
			return 2;
		}
		printf("oriond: %s: ok (%u ports, %u feeds, %u FIX sessions, %u instruments)\n", cfg_path,
		       od->cfg.n_ports, od->cfg.n_feeds, od->cfg.fix_enabled ? fc.n_sessions : 0,
		       od->cfg.og.n_instruments);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	char store[4096], *eal_argv[128];
	int eal_argc = build_eal_args(&od->cfg, store, sizeof(store), eal_argv, 128);
	if (eal_argc < 0) {
		fprintf(stderr, "oriond: EAL arguments too long\n");
		return 2;
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "oriond: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (orion_time_init(20) != 0) {
		fprintf(stderr, "oriond: TSC calibration failed\n");
		rte_eal_cleanup();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	int rc = setup(od);
	if (rc == 0)
		rc = start_exporter(od);
	if (rc == 0)
		rc = start_cp(od);
	if (rc == 0)
		rc = dp_consumers_open(od);
	if (rc != 0) {
		g_stop = 1;
	} else {
		for (unsigned i = 0; i < od->n_lcores; i++)
			rte_eal_remote_launch(lcore_main, &od->lcores[i], od->lcores[i].lcore_id);
		if (od->cp)
			cp_set_ready(od->cp, 1);
		printf("oriond: running (metrics %s); SIGINT or SIGTERM stops\n",
		       od->cfg.metrics_port ? "on" : "off");
		uint64_t last_rx = 0, last_change = orion_monotonic_ns();
		while (!g_stop) {
			unsigned work = dp_consumers_poll(od);
			dp_metrics_poll(od);
			uint64_t rx = total_rx(od), now = orion_monotonic_ns();
			if (rx != last_rx || work) {
				last_rx = rx;
				last_change = now;
			} else if (od->cfg.idle_exit_ns && now - last_change >= od->cfg.idle_exit_ns) {
				printf("oriond: idle for %" PRIu64 " ms, stopping\n", od->cfg.idle_exit_ns / 1000000);
				g_stop = 1;
			}
			if (!work)
				usleep(200);
		}
		rte_eal_mp_wait_lcore();
		/* Drain what the lcores left in the rings. */
		while (dp_consumers_poll(od))
			;
	}
	if (od->cp) {
		cp_set_ready(od->cp, 0);
		cp_stop(od->cp); /* joins the cp thread: nothing calls into the dataplane after this */
		/* The order lcore has stopped: journal what the control plane queued
		 * last (its backlog, then the channel) from here. */
		for (int k = 0; od->og && od->cp_journal && k < 2 * CP_JR_BACKLOG / CP_JR_RING + 2; k++) {
			unsigned left = cp_journal_flush(od->cp);
			og_drain_cp(od->og, CP_JR_RING, orion_realtime_ns());
			if (!left && !rte_ring_count(od->cp_journal))
				break;
		}
		cp_destroy(od->cp);
		od->cp = NULL;
	}
	if (od->exp) {
		if (exp_stop(od->exp) != 0)
			fprintf(stderr, "oriond: Kafka export: stop timed out; undelivered events resume from the checkpoint\n");
	}
	dp_metrics_final(od, stdout);
	exp_destroy(od->exp);
	od->exp = NULL;
	dp_consumers_close(od);
	for (unsigned f = 0; f < od->cfg.n_feeds; f++)
		dp_md_destroy(od->feed_rt[f].md);
	og_destroy(od->og);
	if (od->order_lc)
		md_conflate_destroy(od->order_lc->venue_conf);
	for (unsigned p = 0; p < od->cfg.n_ports; p++)
		if (od->ports[p].started) {
			rte_eth_dev_stop(od->ports[p].port_id);
			rte_eth_dev_close(od->ports[p].port_id);
		}
	rte_eal_cleanup();
	return rc ? 1 : 0;
}
