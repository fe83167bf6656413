/* orion-feedsim helpers: parsing, frames, sockets. */
#include "feeds/sim/feedsim_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* pcap link types we decode (values from the pcap link-type registry). */
#define DLT_NULL_ 0
#define DLT_EN10MB_ 1
#define DLT_RAW_ 12
#define DLT_LOOP_ 108
#define DLT_LINUX_SLL_ 113
#define DLT_RAW_LT_ 101
#define DLT_IPV4_ 228

void fs_opt_error(const char *cmd, const char *opt, const char *what, const char *value)
{
	if (value)
		fprintf(stderr, "orion-feedsim %s: %s: %s: '%s' (see --help)\n", cmd, opt, what, value);
	else
		fprintf(stderr, "orion-feedsim %s: %s: %s (see --help)\n", cmd, opt, what);
}

int fs_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int fs_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= min && v <= max))
		return -EINVAL;
	*out = v;
	return 0;
}

int fs_parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = ntohl(a.s_addr);
	return 0;
}

int fs_parse_endpoint(const char *s, struct fs_endpoint *ep)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = s ? strrchr(s, ':') : NULL;
	uint64_t port;
	size_t n;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = 0;
	if (fs_parse_ipv4(ip, &ep->addr) || fs_parse_u64(colon + 1, 1, 65535, &port))
		return -EINVAL;
	ep->port = (uint16_t)port;
	return 0;
}

int fs_parse_ranges(const char *s, struct fs_ranges *r)
{
	const char *p = s;

	r->n = 0;
	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		char *end;
		unsigned long long lo, hi;

		if (*p < '0' || *p > '9' || r->n == FS_MAX_RANGES)
			return -EINVAL;
		errno = 0;
		lo = strtoull(p, &end, 10);
		if (errno)
			return -EINVAL;
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			hi = strtoull(p, &end, 10);
			if (errno || hi < lo)
				return -EINVAL;
			p = end;
		}
		r->lo[r->n] = lo;
		r->hi[r->n] = hi;
		r->n++;
		if (*p == ',') {
			p++;
			if (!*p)
				return -EINVAL;
		} else if (*p) {
			return -EINVAL;
		}
	}
	return 0;
}

int fs_ranges_hit(const struct fs_ranges *r, uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->lo[i] <= hi && lo <= r->hi[i])
			return 1;
	return 0;
}

int fs_parse_session(const char *s, char out[10])
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return -EINVAL;
	memset(out, ' ', 10);
	memcpy(out, s, n);
	return 0;
}

int fs_is_multicast(uint32_t addr)
{
	return (addr >> 28) == 0xe;
}

uint16_t fs_ip_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

size_t fs_build_frame(uint8_t *frame, size_t cap, const uint8_t src_mac[6], uint32_t src_ip,
		      uint16_t src_port, const struct fs_endpoint *dst, uint16_t ip_id,
		      const uint8_t *payload, size_t len)
{
	uint8_t *ip = frame + FS_ETH_HDR, *udp = ip + FS_IP_HDR;
	size_t total = FS_FRAME_OVERHEAD + len;

	if (len > 65507 || cap < total)
		return 0;
	/* Ethernet: IPv4 multicast MAC 01:00:5e:(group & 0x7fffff) */
	frame[0] = 0x01;
	frame[1] = 0x00;
	frame[2] = 0x5e;
	frame[3] = (uint8_t)((dst->addr >> 16) & 0x7f);
	frame[4] = (uint8_t)(dst->addr >> 8);
	frame[5] = (uint8_t)dst->addr;
	memcpy(frame + 6, src_mac, 6);
	put16(frame + 12, 0x0800);
	/* IPv4 */
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(FS_IP_HDR + FS_UDP_HDR + len));
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 1;             /* TTL 1, like a multicast feed on one segment */
	ip[9] = 17;
	put16(ip + 10, 0);
	put32(ip + 12, src_ip);
	put32(ip + 16, dst->addr);
	put16(ip + 10, fs_ip_checksum(ip, FS_IP_HDR));
	/* UDP, checksum 0 (optional over IPv4) */
	put16(udp, src_port);
	put16(udp + 2, dst->port);
	put16(udp + 4, (uint16_t)(FS_UDP_HDR + len));
	put16(udp + 6, 0);
	memcpy(udp + FS_UDP_HDR, payload, len);
	return total;
}

const char *fs_skip_name(enum fs_skip k)
{
	static const char *const names[FS_SKIP__COUNT] = {
		[FS_SKIP_NONE] = "none",
		[FS_SKIP_LINKTYPE] = "linktype",
		[FS_SKIP_NOT_IPV4] = "not_ipv4",
		[FS_SKIP_TRUNCATED] = "truncated",
		[FS_SKIP_FRAGMENT] = "fragment",
		[FS_SKIP_NOT_UDP] = "not_udp",
	};
	return (unsigned)k < FS_SKIP__COUNT ? names[k] : "?";
}

static enum fs_skip parse_ipv4(const uint8_t *p, size_t len, struct fs_udp_view *out)
{
	size_t ihl, tot;

	if (len < FS_IP_HDR)
		return FS_SKIP_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return FS_SKIP_NOT_IPV4;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = get16(p + 2);
	if (ihl < FS_IP_HDR || tot < ihl || len < tot)
		return FS_SKIP_TRUNCATED;
	if ((get16(p + 6) & 0x3fff) != 0)
		return FS_SKIP_FRAGMENT;
	if (p[9] != 17)
		return FS_SKIP_NOT_UDP;
	if (tot - ihl < FS_UDP_HDR)
		return FS_SKIP_TRUNCATED;
	const uint8_t *udp = p + ihl;
	size_t ulen = get16(udp + 4);
	if (ulen < FS_UDP_HDR || ulen > tot - ihl)
		return FS_SKIP_TRUNCATED;
	out->src_ip = get32(p + 12);
	out->dst_ip = get32(p + 16);
	out->src_port = get16(udp);
	out->dst_port = get16(udp + 2);
	out->payload = udp + FS_UDP_HDR;
	out->len = ulen - FS_UDP_HDR;
	return FS_SKIP_NONE;
}

enum fs_skip fs_parse_frame(int dlt, const uint8_t *frame, size_t caplen, struct fs_udp_view *out)
{
	size_t off;
	uint16_t et;

	switch (dlt) {
	case DLT_EN10MB_:
		if (caplen < FS_ETH_HDR)
			return FS_SKIP_TRUNCATED;
		off = 12;
		et = get16(frame + off);
		for (int tags = 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++) {
			off += 4;
			if (caplen < off + 2)
				return FS_SKIP_TRUNCATED;
			et = get16(frame + off);
		}
		off += 2;
		if (et != 0x0800)
			return FS_SKIP_NOT_IPV4;
		return parse_ipv4(frame + off, caplen - off, out);
	case DLT_RAW_:
	case DLT_RAW_LT_:
	case DLT_IPV4_:
		return parse_ipv4(frame, caplen, out);
	case DLT_LINUX_SLL_:
		if (caplen < 16)
			return FS_SKIP_TRUNCATED;
		if (get16(frame + 14) != 0x0800)
			return FS_SKIP_NOT_IPV4;
		return parse_ipv4(frame + 16, caplen - 16, out);
	case DLT_NULL_:
	case DLT_LOOP_:
		if (caplen < 4)
			return FS_SKIP_TRUNCATED;
		/* AF_INET is 2 in either byte order's first/last byte */
		if (!(frame[0] == 2 || frame[3] == 2))
			return FS_SKIP_NOT_IPV4;
		return parse_ipv4(frame + 4, caplen - 4, out);
	default:
		return FS_SKIP_LINKTYPE;
	}
}

int fs_mcast_sender(const char *ifname)
{
	struct ip_mreqn mr;
	unsigned char ttl = 1, loop = 1;
	unsigned idx = if_nametoindex(ifname);
	int fd, err;

	if (idx == 0)
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = (int)idx;
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

uint64_t fs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
