/* oriond configuration: the INI file documented in deploy/oriond.conf.example.
 * Loaded once by main() before the EAL starts; read-only afterwards, so every
 * thread may read it.
 */
#ifndef ORION_DATAPLANE_DP_CONFIG_H
#define ORION_DATAPLANE_DP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "controlplane/cp.h"
#include "controlplane/exporter.h"
#include "dataplane/og/og.h"

#define DP_MAX_PORTS 8
#define DP_MAX_FEEDS 16
#define DP_NAME_LEN 32

enum dp_layout { DP_LAYOUT_AUTO, DP_LAYOUT_RTC, DP_LAYOUT_PIPELINE };
enum dp_ticklog_stream { DP_TICKLOG_RAW, DP_TICKLOG_CONFLATED, DP_TICKLOG_BOTH };

struct dp_port_cfg {
	char name[DP_NAME_LEN];
	char device[256];       /* "net_pcap0,rx_pcap=f.pcap" (vdev) or a PCI address */
	int is_vdev;
	uint32_t ip_be;         /* our address on this port (ARP, re-requests); 0 = none */
	uint16_t rx_desc, tx_desc;
	int promisc;
};

struct dp_line_cfg {
	uint32_t ip_be;
	uint16_t port;
	int set;
};

struct dp_feed_cfg {
	char name[DP_NAME_LEN];
	uint16_t id;            /* source id in ticks, 1.. */
	int port;               /* index in dp_cfg.ports */
	struct dp_line_cfg line_a, line_b;
	struct dp_line_cfg rereq;        /* re-request server */
	uint16_t rereq_src_port;         /* our UDP port for re-requests and responses */
	uint8_t rereq_mac[6];
	int has_rereq_mac;
	uint16_t vlan;
	uint32_t max_instruments, max_orders, max_levels;
	uint64_t stale_ns, gap_wait_ns, rereq_timeout_ns;
	uint32_t rereq_retries, rereq_max_count, window_packets;
	uint64_t window_bytes;
};

struct dp_cfg {
	/* [eal] */
	char lcores[64];
	uint32_t memory_mb;
	int no_huge, in_memory, no_pci;
	char file_prefix[64];
	char eal_extra[256];
	/* [dataplane] */
	enum dp_layout layout;
	uint32_t mbufs, burst, ring_size, tick_ring_size;
	uint64_t conflate_ns;
	uint64_t idle_exit_ns;  /* stop after this long with no packets (0 = never) */
	/* [metrics] */
	uint32_t metrics_ip_be;
	uint16_t metrics_port;  /* 0 = disabled */
	/* [ticklog] */
	char ticklog_path[256];
	enum dp_ticklog_stream ticklog_stream;

	struct dp_port_cfg ports[DP_MAX_PORTS];
	unsigned n_ports;
	struct dp_feed_cfg feeds[DP_MAX_FEEDS];
	unsigned n_feeds;

	/* [fix], [instrument SYMBOL], [risk]: FIX order entry (off without [fix]) */
	int fix_enabled;
	struct og_cfg og;

	/* [kafka]: export (off without the section) */
	struct exp_cfg kafka;

	/* [cp], [tenant NAME], [user NAME]: REST / WebSocket control plane
	 * (off without [cp]) */
	struct cp_cfg cp;
};

/* Load and validate path into cfg (defaults first). Returns 0, or -errno with
 * err holding "FILE:LINE: key 'K' in [S]: reason". */
int dp_config_load(struct dp_cfg *cfg, const char *path, char *err, size_t errlen);
/* Same from text (tests). */
int dp_config_load_string(struct dp_cfg *cfg, const char *label, const char *text, char *err, size_t errlen);

#endif
