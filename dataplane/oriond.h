/* oriond process state shared by its files (oriond.c, dp_consumers.c,
 * dp_metrics.c). Ownership:
 *   cfg, ports, lines, feed_rt[].owner/md: written at start-up by the main
 *     lcore, read-only once the workers run;
 *   dp_lcore.st: written only by that lcore; the main lcore reads it racily
 *     (aligned 64-bit loads, monotonic counters) for metrics;
 *   feed_rt[].peer_mac: written by the rx lcore, read by the md lcore owning
 *     the feed (6 bytes, a torn read only delays a re-request's next hop).
 */
#ifndef ORION_DATAPLANE_ORIOND_H
#define ORION_DATAPLANE_ORIOND_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/dp_config.h"
#include "dataplane/dp_md.h"
#include "dataplane/dp_pkt.h"
#include "dataplane/book/md_conflate.h"
#include "dataplane/og/og.h"

#define ORION_VERSION "0.1.0"
#define DP_MAX_LCORES 64
#define DP_MAX_BURST 256

struct oriond;

/* Per-lcore counters (single writer: the lcore). */
struct dp_lcore_stats {
	uint64_t rx_packets, rx_bytes, md_packets;
	uint64_t drop[DP_PKT__COUNT];
	uint64_t ring_full;          /* pipeline hand-over ring full (packet dropped) */
	uint64_t rx_backpressure;    /* rx skipped: an md ring had no room for a burst */
	uint64_t arp_replies;
	uint64_t busy_cycles, idle_cycles, loops;
};

struct dp_lcore {
	struct dp_lcore_stats st;    /* hot: first */
	struct oriond *od;
	unsigned lcore_id;
	uint16_t txq;                /* this lcore's tx queue on every port */
	uint16_t n_rx, n_feeds;
	uint16_t rx_ports[DP_MAX_PORTS];
	uint16_t feeds[DP_MAX_FEEDS];
	struct rte_ring *in_ring;    /* pipeline: mbufs from the rx lcore */
	struct rte_ring *tick_ring, *conf_ring, *event_ring; /* to the main lcore */
	struct dp_md_out out;
	struct og *og;               /* order gateway, on the order lcore only */
	struct md_conflate *venue_conf; /* the venue's book ticks, conflated (order lcore) */
	uint64_t venue_conf_next, venue_conf_step;
} __rte_cache_aligned;

struct dp_port {
	const struct dp_port_cfg *cfg;
	uint16_t port_id, n_txq;
	uint8_t mac[6];
	int started;
};

struct dp_feed_rt {
	struct dp_md_feed *md;
	struct dp_lcore *owner;
	uint8_t peer_mac[6];
};

struct dp_consumer_stats {
	uint64_t ticks, conflated, events, ticklog_lines, order_events, cmds_sent, cmds_ring_full;
	uint64_t api_sent, api_ring_full;
};

struct oriond {
	struct dp_cfg cfg;
	struct dp_lcore lcores[DP_MAX_LCORES];
	unsigned n_lcores;
	int pipeline;
	struct rte_mempool *pool;
	struct dp_port ports[DP_MAX_PORTS];
	struct dp_line_table lines;
	struct dp_feed_rt feed_rt[DP_MAX_FEEDS];
	struct og *og;
	struct dp_lcore *order_lc;
	struct rte_ring *order_events;   /* order lcore → main: struct me_event */
	struct rte_ring *order_cmds;     /* main → order lcore: struct risk_cmd */
	struct rte_ring *order_api;      /* control plane → order lcore: struct og_api_req */
	struct rte_ring *cp_journal;     /* control plane → order lcore: journal records (oriond.c) */
	struct exp *exp;                 /* Kafka exporter (NULL when off) */
	struct cp *cp;                   /* REST / WebSocket control plane (NULL when off) */
	/* main lcore only */
	FILE *ticklog;
	struct dp_consumer_stats cons;
	int metrics_fd;
	uint64_t start_ns;
};

/* dp_consumers.c — main lcore. */
int dp_consumers_open(struct oriond *od);
/* Drain the rings; returns records handled. */
unsigned dp_consumers_poll(struct oriond *od);
void dp_consumers_close(struct oriond *od);

/* Queue a control command for the order lcore. 0, -ENOTSUP (no FIX order
 * entry), -ENOBUFS (ring full). Main lcore. */
int dp_send_cmd(struct oriond *od, const struct risk_cmd *cmd);
/* Queue an API order request for the order lcore (control plane thread; one
 * producer). 0, -ENOTSUP, -ENOBUFS. */
int dp_send_order(struct oriond *od, const struct og_api_req *req);

/* dp_metrics.c — main lcore. */
/* Listen on [metrics] listen (no-op when unset). Returns 0 or -errno. */
int dp_metrics_open(struct oriond *od);
/* Serve pending /metrics requests (non-blocking). */
void dp_metrics_poll(struct oriond *od);
/* Prometheus text of every counter. */
void dp_metrics_write(struct oriond *od, FILE *f);
/* Final statistics at shutdown (Prometheus text, then a summary). */
void dp_metrics_final(struct oriond *od, FILE *f);

#endif
