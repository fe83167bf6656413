/* Packet parsing and building for the market-data path: Ethernet (with one
 * 802.1Q tag), IPv4, UDP. Works on byte spans, never on mbufs, so it is unit
 * tested and fuzzed alone. Hot path: no allocation, every length checked
 * before a read. Any thread; the line table is read-only after start-up.
 */
#ifndef ORION_DATAPLANE_DP_PKT_H
#define ORION_DATAPLANE_DP_PKT_H

#include <stddef.h>
#include <stdint.h>

/* Why a frame is not market data. Indexes counters; keep dp_pkt_drop_name() in step. */
enum dp_pkt_drop {
	DP_PKT_OK = 0,
	DP_PKT_SHORT_ETH,      /* shorter than an Ethernet (+VLAN) header */
	DP_PKT_NOT_IPV4,       /* other ethertype (ARP is reported as DP_PKT_ARP) */
	DP_PKT_ARP,            /* ARP: handed to the ARP responder, not dropped */
	DP_PKT_BAD_IPV4,       /* bad version/IHL/total length, or truncated */
	DP_PKT_IP_FRAGMENT,    /* fragments are not reassembled */
	DP_PKT_NOT_UDP,
	DP_PKT_BAD_UDP,        /* UDP length inconsistent with IP length */
	DP_PKT_NO_LINE,        /* (dst ip, dst port) is not a configured line */
	DP_PKT__COUNT
};
const char *dp_pkt_drop_name(enum dp_pkt_drop r);

struct dp_udp_view {
	const uint8_t *payload;
	uint16_t payload_len;
	uint16_t vlan;          /* 0 when untagged */
	uint32_t src_ip, dst_ip; /* network order */
	uint16_t src_port, dst_port; /* host order */
	const uint8_t *src_mac;
};

/* Parse frame; on DP_PKT_OK fills v. */
enum dp_pkt_drop dp_pkt_parse_udp(const uint8_t *frame, size_t len, struct dp_udp_view *v);

/* (group or unicast ip, udp port) → (feed index, line) lookup. Small open
 * addressing table built at start-up; lookups are read-only. */
#define DP_LINE_TABLE_SIZE 256 /* power of two, > 2 x lines */
struct dp_line_entry {
	uint32_t ip_be;
	uint16_t port;
	uint8_t used;
	uint8_t line;     /* 0 = A, 1 = B, 2 = re-request responses */
	uint16_t feed;
};
struct dp_line_table {
	struct dp_line_entry e[DP_LINE_TABLE_SIZE];
	unsigned n;
};
void dp_line_table_init(struct dp_line_table *t);
/* Returns 0, -EEXIST (same ip:port twice), -ENOSPC. Start-up only. */
int dp_line_table_add(struct dp_line_table *t, uint32_t ip_be, uint16_t port, uint16_t feed, uint8_t line);
/* Returns the entry or NULL. */
const struct dp_line_entry *dp_line_table_find(const struct dp_line_table *t, uint32_t ip_be, uint16_t port);

/* Build an Ethernet/IPv4/UDP frame around payload into buf (no VLAN when vlan
 * is 0). IPv4 checksum computed, UDP checksum 0 (allowed for IPv4). Returns the
 * frame length or -ENOSPC. */
int dp_pkt_build_udp(uint8_t *buf, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		     uint16_t vlan, uint32_t src_ip_be, uint32_t dst_ip_be, uint16_t src_port,
		     uint16_t dst_port, const void *payload, size_t len);

/* If frame is an ARP request for my_ip, write the reply into out and return
 * its length; 0 when the frame needs no answer; never reads past len. */
int dp_pkt_arp_reply(const uint8_t *frame, size_t len, uint32_t my_ip_be, const uint8_t my_mac[6],
		     uint8_t *out, size_t cap);

#endif
