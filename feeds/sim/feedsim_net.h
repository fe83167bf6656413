/* orion-feedsim internals: option parsing helpers, Ethernet/IPv4/UDP frame
 * build and parse, multicast sockets. Used by the orion-feedsim subcommands
 * only (main thread). */
#ifndef ORION_FEEDS_SIM_FEEDSIM_NET_H
#define ORION_FEEDS_SIM_FEEDSIM_NET_H

#include <stddef.h>
#include <stdint.h>

#include "feeds/sim/itch_sim.h"

#define FS_ETH_HDR 14
#define FS_IP_HDR 20
#define FS_UDP_HDR 8
#define FS_FRAME_OVERHEAD (FS_ETH_HDR + FS_IP_HDR + FS_UDP_HDR)

#define FS_EXIT_USAGE 2

/* An IPv4 address and UDP port, both in host byte order. */
struct fs_endpoint {
	uint32_t addr;
	uint16_t port;
};

/* Set of closed ranges of uint64 ("100-120,500"). */
#define FS_MAX_RANGES 256
struct fs_ranges {
	unsigned n;
	uint64_t lo[FS_MAX_RANGES], hi[FS_MAX_RANGES];
};

/* Parsers: return 0, or -EINVAL for malformed text / out-of-range values. */
int fs_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int fs_parse_double(const char *s, double min, double max, double *out);
int fs_parse_ipv4(const char *s, uint32_t *addr);
int fs_parse_endpoint(const char *s, struct fs_endpoint *ep); /* "239.1.1.1:26400" */
int fs_parse_ranges(const char *s, struct fs_ranges *r);
int fs_ranges_hit(const struct fs_ranges *r, uint64_t lo, uint64_t hi); /* overlap with [lo, hi] */
/* A MoldUDP64 session name: 1..10 printable characters, space padded into out. */
int fs_parse_session(const char *s, char out[10]);

int fs_is_multicast(uint32_t addr);
/* Option error: prints "orion-feedsim <cmd>: <opt>: <what>" to stderr. */
void fs_opt_error(const char *cmd, const char *opt, const char *what, const char *value);

/* Internet checksum of len bytes (len even). */
uint16_t fs_ip_checksum(const void *data, size_t len);

/* Build an Ethernet II / IPv4 / UDP frame to a multicast group: destination
 * MAC 01:00:5e + low 23 bits of the group, IPv4 checksum set, UDP checksum 0.
 * Returns the frame length, or 0 when cap is too small or len too big. */
size_t fs_build_frame(uint8_t *frame, size_t cap, const uint8_t src_mac[6], uint32_t src_ip,
		      uint16_t src_port, const struct fs_endpoint *dst, uint16_t ip_id,
		      const uint8_t *payload, size_t len);

/* A UDP datagram found in a captured frame. */
struct fs_udp_view {
	uint32_t src_ip, dst_ip;   /* host order */
	uint16_t src_port, dst_port;
	const uint8_t *payload;
	size_t len;
};
/* Why fs_parse_frame() skipped a frame. */
enum fs_skip {
	FS_SKIP_NONE = 0,
	FS_SKIP_LINKTYPE,   /* link type we do not decode */
	FS_SKIP_NOT_IPV4,
	FS_SKIP_TRUNCATED,  /* caplen shorter than the headers say */
	FS_SKIP_FRAGMENT,
	FS_SKIP_NOT_UDP,
	FS_SKIP__COUNT
};
const char *fs_skip_name(enum fs_skip k);
/* Parse a frame of pcap link type dlt (EN10MB with up to two VLAN tags, RAW,
 * IPV4, LINUX_SLL, NULL/LOOP). Returns FS_SKIP_NONE with *out set. */
enum fs_skip fs_parse_frame(int dlt, const uint8_t *frame, size_t caplen, struct fs_udp_view *out);

/* A UDP socket for sending multicast out of interface ifname (IP_MULTICAST_IF
 * by index, TTL 1, loopback on). Returns the fd or -errno. */
int fs_mcast_sender(const char *ifname);

/* Monotonic clock in ns. */
uint64_t fs_now_ns(void);

/* Generator options shared by `pcap` and `send`. */
struct fs_gen {
	struct itch_sim_cfg cfg;
	char session[MOLD_SESSION_LEN];
	size_t max_payload;  /* UDP payload limit = mtu - 28 */
	uint16_t max_msgs;   /* messages per packet limit */
	uint32_t burst;      /* messages sent together (one flush) */
};
enum {
	FS_OPT_SEED = 1000, FS_OPT_INSTRUMENTS, FS_OPT_MESSAGES, FS_OPT_SESSION, FS_OPT_MTU,
	FS_OPT_MAX_MSGS, FS_OPT_BURST, FS_OPT_REAL_TICKERS, FS_OPT_HALT_PPM,
	FS_OPT__GEN_END
};
#define FS_GEN_LONG_OPTS \
	{ "seed", 1, NULL, FS_OPT_SEED }, { "instruments", 1, NULL, FS_OPT_INSTRUMENTS }, \
	{ "messages", 1, NULL, FS_OPT_MESSAGES }, { "session", 1, NULL, FS_OPT_SESSION }, \
	{ "mtu", 1, NULL, FS_OPT_MTU }, { "max-msgs", 1, NULL, FS_OPT_MAX_MSGS }, \
	{ "burst", 1, NULL, FS_OPT_BURST }, { "real-tickers", 0, NULL, FS_OPT_REAL_TICKERS }, \
	{ "halt-ppm", 1, NULL, FS_OPT_HALT_PPM }
#define FS_GEN_HELP \
	"  --seed N          simulator seed (default 1)\n" \
	"  --instruments N   instruments, 1..65535 (default 16)\n" \
	"  --messages N      ITCH messages in the session incl. preamble/closing (>= 4N+6)\n" \
	"  --session NAME    MoldUDP64 session, 1..10 chars (default ORIONSIM01)\n" \
	"  --mtu N           IP MTU, 128..9000 (default 1500)\n" \
	"  --max-msgs N      messages per packet, 1..65534 (default 65534)\n" \
	"  --burst N         messages sent together, packed into packets, 1..65534 (default 4)\n" \
	"  --real-tickers    name the first instruments AAPL, MSFT, ... (default SIM0001 ...)\n" \
	"  --halt-ppm N      per-message chance of a halt in ppm (default 20)\n"
void fs_gen_default(struct fs_gen *g);
/* Handle a generator option; returns 1 if handled, 0 if opt is not one, -1
 * after printing the error for a bad value. */
int fs_gen_opt(const char *cmd, int opt, const char *arg, struct fs_gen *g);
/* Final checks once every option is read; prints the error, returns -1. */
int fs_gen_finish(const char *cmd, struct fs_gen *g);

/* Subcommands: argv[0] is the subcommand name; return the exit status. */
int fs_cmd_pcap(int argc, char **argv);
int fs_cmd_send(int argc, char **argv);
int fs_cmd_replay(int argc, char **argv);
int fs_cmd_inspect(int argc, char **argv);

#endif
