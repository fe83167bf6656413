#include "dataplane/dp_pkt.h"

#include <errno.h>
#include <string.h>

#define ETH_HLEN 14
#define ETH_P_IPV4 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_8021Q 0x8100
#define IPPROTO_UDP_ 17

static const char *const g_drop_names[DP_PKT__COUNT] = {
	[DP_PKT_OK] = "ok",
	[DP_PKT_SHORT_ETH] = "short_eth",
	[DP_PKT_NOT_IPV4] = "not_ipv4",
	[DP_PKT_ARP] = "arp",
	[DP_PKT_BAD_IPV4] = "bad_ipv4",
	[DP_PKT_IP_FRAGMENT] = "ip_fragment",
	[DP_PKT_NOT_UDP] = "not_udp",
	[DP_PKT_BAD_UDP] = "bad_udp",
	[DP_PKT_NO_LINE] = "no_line",
};

const char *dp_pkt_drop_name(enum dp_pkt_drop r)
{
	return (unsigned)r < DP_PKT__COUNT ? g_drop_names[r] : "unknown";
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

enum dp_pkt_drop dp_pkt_parse_udp(const uint8_t *frame, size_t len, struct dp_udp_view *v)
{
	if (len < ETH_HLEN)
		return DP_PKT_SHORT_ETH;
	size_t off = 12;
	uint16_t et = rd16(frame + off);
	v->vlan = 0;
	if (et == ETH_P_8021Q) {
		if (len < ETH_HLEN + 4)
			return DP_PKT_SHORT_ETH;
		v->vlan = rd16(frame + 14) & 0x0fff;
		off += 4;
		et = rd16(frame + off);
	}
	off += 2;
	if (et == ETH_P_ARP)
		return DP_PKT_ARP;
	if (et != ETH_P_IPV4)
		return DP_PKT_NOT_IPV4;
	const uint8_t *ip = frame + off;
	size_t room = len - off;
	if (room < 20 || (ip[0] >> 4) != 4)
		return DP_PKT_BAD_IPV4;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	size_t tot = rd16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > room)
		return DP_PKT_BAD_IPV4;
	if ((rd16(ip + 6) & 0x3fff) != 0) /* MF set or fragment offset */
		return DP_PKT_IP_FRAGMENT;
	if (ip[9] != IPPROTO_UDP_)
		return DP_PKT_NOT_UDP;
	const uint8_t *udp = ip + ihl;
	size_t ulen_room = tot - ihl;
	if (ulen_room < 8)
		return DP_PKT_BAD_UDP;
	size_t ulen = rd16(udp + 4);
	if (ulen < 8 || ulen > ulen_room)
		return DP_PKT_BAD_UDP;
	memcpy(&v->src_ip, ip + 12, 4);
	memcpy(&v->dst_ip, ip + 16, 4);
	v->src_port = rd16(udp);
	v->dst_port = rd16(udp + 2);
	v->payload = udp + 8;
	v->payload_len = (uint16_t)(ulen - 8);
	v->src_mac = frame + 6;
	return DP_PKT_OK;
}

static inline unsigned line_hash(uint32_t ip, uint16_t port)
{
	uint32_t h = (ip ^ ((uint32_t)port << 16) ^ port) * 0x9E3779B1u;
	return (h >> 24) & (DP_LINE_TABLE_SIZE - 1);
}

void dp_line_table_init(struct dp_line_table *t) { memset(t, 0, sizeof(*t)); }

int dp_line_table_add(struct dp_line_table *t, uint32_t ip_be, uint16_t port, uint16_t feed, uint8_t line)
{
	if (t->n >= DP_LINE_TABLE_SIZE / 2)
		return -ENOSPC;
	unsigned i = line_hash(ip_be, port);
	for (unsigned k = 0; k < DP_LINE_TABLE_SIZE; k++, i = (i + 1) & (DP_LINE_TABLE_SIZE - 1)) {
		struct dp_line_entry *e = &t->e[i];
		if (!e->used) {
			*e = (struct dp_line_entry){ .ip_be = ip_be, .port = port, .used = 1, .line = line, .feed = feed };
			t->n++;
			return 0;
		}
		if (e->ip_be == ip_be && e->port == port)
			return -EEXIST;
	}
	return -ENOSPC;
}

const struct dp_line_entry *dp_line_table_find(const struct dp_line_table *t, uint32_t ip_be, uint16_t port)
{
	unsigned i = line_hash(ip_be, port);
	/* The table is at most half full, so an empty slot ends every probe. */
	for (unsigned k = 0; k < DP_LINE_TABLE_SIZE; k++, i = (i + 1) & (DP_LINE_TABLE_SIZE - 1)) {
		const struct dp_line_entry *e = &t->e[i];
		if (!e->used)
			return NULL;
		if (e->ip_be == ip_be && e->port == port)
			return e;
	}
	return NULL;
}

static uint16_t ip_checksum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(h + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int dp_pkt_build_udp(uint8_t *buf, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		     uint16_t vlan, uint32_t src_ip_be, uint32_t dst_ip_be, uint16_t src_port,
		     uint16_t dst_port, const void *payload, size_t len)
{
	size_t l2 = ETH_HLEN + (vlan ? 4 : 0);
	size_t total = l2 + 20 + 8 + len;
	if (total > cap || 20 + 8 + len > 0xffff)
		return -ENOSPC;
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	size_t off = 12;
	if (vlan) {
		wr16(buf + off, ETH_P_8021Q);
		wr16(buf + off + 2, vlan & 0x0fff);
		off += 4;
	}
	wr16(buf + off, ETH_P_IPV4);
	uint8_t *ip = buf + l2;
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(20 + 8 + len));
	wr16(ip + 4, 0);
	wr16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP_;
	wr16(ip + 10, 0);
	memcpy(ip + 12, &src_ip_be, 4);
	memcpy(ip + 16, &dst_ip_be, 4);
	wr16(ip + 10, ip_checksum(ip, 20));
	uint8_t *udp = ip + 20;
	wr16(udp, src_port);
	wr16(udp + 2, dst_port);
	wr16(udp + 4, (uint16_t)(8 + len));
	wr16(udp + 6, 0);
	memcpy(udp + 8, payload, len);
	return (int)total;
}

int dp_pkt_arp_reply(const uint8_t *frame, size_t len, uint32_t my_ip_be, const uint8_t my_mac[6],
		     uint8_t *out, size_t cap)
{
	size_t off = 12;
	if (len < ETH_HLEN)
		return 0;
	uint16_t vlan = 0;
	if (rd16(frame + 12) == ETH_P_8021Q) {
		if (len < ETH_HLEN + 4)
			return 0;
		vlan = rd16(frame + 14) & 0x0fff;
		off += 4;
	}
	if (rd16(frame + off) != ETH_P_ARP)
		return 0;
	const uint8_t *a = frame + off + 2;
	if (len < off + 2 + 28)
		return 0;
	/* Ethernet/IPv4 request (op 1) for my address only. */
	if (rd16(a) != 1 || rd16(a + 2) != ETH_P_IPV4 || a[4] != 6 || a[5] != 4 || rd16(a + 6) != 1)
		return 0;
	if (memcmp(a + 24, &my_ip_be, 4) != 0)
		return 0;
	size_t rlen = off + 2 + 28;
	if (cap < rlen || cap < 60)
		return -ENOSPC;
	memset(out, 0, rlen < 60 ? 60 : rlen);
	memcpy(out, a + 8, 6);        /* to the sender's MAC */
	memcpy(out + 6, my_mac, 6);
	size_t o = 12;
	if (vlan) {
		wr16(out + o, ETH_P_8021Q);
		wr16(out + o + 2, vlan);
		o += 4;
	}
	wr16(out + o, ETH_P_ARP);
	uint8_t *r = out + o + 2;
	wr16(r, 1);
	wr16(r + 2, ETH_P_IPV4);
	r[4] = 6;
	r[5] = 4;
	wr16(r + 6, 2);               /* reply */
	memcpy(r + 8, my_mac, 6);
	memcpy(r + 14, &my_ip_be, 4);
	memcpy(r + 18, a + 8, 6);     /* target = requester */
	memcpy(r + 24, a + 14, 4);
	return (int)(rlen < 60 ? 60 : rlen);
}
