/* orion-feedsim replay: send the UDP payloads of a pcap to their original
 * multicast group and port, with the capture's timing scaled by --speed. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feeds/sim/feedsim_net.h"

#define CMD "replay"

enum { OPT_IN = 1, OPT_IFACE, OPT_SPEED, OPT_SECONDS, OPT_HELP };

static volatile sig_atomic_t g_replay_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_replay_stop = 1;
}

static void help(void)
{
	printf("usage: orion-feedsim replay --in F.pcap --iface IF [--speed X] [--seconds S]\n"
	       "Send every IPv4 UDP multicast datagram of the pcap to its original group:port\n"
	       "out of IF (TTL 1, loopback on), keeping the capture's inter-packet timing.\n"
	       "  --in F          pcap file (any link type we decode: Ethernet, raw IP, SLL, null)\n"
	       "  --iface IF      interface for IP_MULTICAST_IF (required)\n"
	       "  --speed X       timing scale: 1 = as captured, 5 = 5x faster, 0.2 = 5x slower,\n"
	       "                  0 = as fast as possible (default 1; 0 or 0.001..1000)\n"
	       "  --seconds S     stop after S seconds (default: end of file)\n"
	       "Non-multicast and non-UDP frames are skipped and counted.\n");
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000ull),
			       .tv_nsec = (long)(t_ns % 1000000000ull) };

	while (!g_replay_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int fs_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "in", 1, NULL, OPT_IN }, { "iface", 1, NULL, OPT_IFACE },
		{ "speed", 1, NULL, OPT_SPEED }, { "seconds", 1, NULL, OPT_SECONDS },
		{ "help", 0, NULL, OPT_HELP }, { NULL, 0, NULL, 0 }
	};
	const char *in = NULL, *iface = NULL;
	double speed = 1.0;
	uint64_t seconds = 0;
	char errbuf[PCAP_ERRBUF_SIZE];
	uint64_t sent = 0, bytes = 0, send_err = 0, not_mcast = 0, skipped[FS_SKIP__COUNT] = { 0 };
	uint64_t t0 = 0, first_cap = 0, deadline;
	struct pcap_pkthdr *h;
	const u_char *data;
	int opt, fd, dlt, rc, have_first = 0;
	pcap_t *p;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_IN:
			in = optarg;
			break;
		case OPT_IFACE:
			iface = optarg;
			break;
		case OPT_SPEED:
			if (fs_parse_double(optarg, 0.0, 1000.0, &speed) || (speed > 0 && speed < 0.001)) {
				fs_opt_error(CMD, "--speed", "expected 0 or 0.001..1000", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_SECONDS:
			if (fs_parse_u64(optarg, 1, 86400, &seconds)) {
				fs_opt_error(CMD, "--seconds", "expected 1..86400", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_HELP:
			help();
			return 0;
		default:
			fprintf(stderr, "orion-feedsim replay: see --help\n");
			return FS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fs_opt_error(CMD, "argument", "unexpected", argv[optind]);
		return FS_EXIT_USAGE;
	}
	if (!in) {
		fs_opt_error(CMD, "--in", "required", NULL);
		return FS_EXIT_USAGE;
	}
	if (!iface) {
		fs_opt_error(CMD, "--iface", "required", NULL);
		return FS_EXIT_USAGE;
	}
	fd = fs_mcast_sender(iface);
	if (fd < 0) {
		fs_opt_error(CMD, "--iface", fd == -ENODEV ? "no such interface" : strerror(-fd), iface);
		return fd == -ENODEV ? FS_EXIT_USAGE : 1;
	}
	p = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "orion-feedsim replay: %s\n", errbuf);
		close(fd);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	dlt = pcap_datalink(p);
	t0 = fs_now_ns();
	deadline = seconds ? t0 + seconds * 1000000000ull : UINT64_MAX;
	while (!g_replay_stop && (rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct fs_udp_view u;
		struct sockaddr_in to;
		enum fs_skip sk = fs_parse_frame(dlt, data, h->caplen, &u);
		uint64_t cap_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;

		if (sk != FS_SKIP_NONE) {
			skipped[sk]++;
			continue;
		}
		if (!fs_is_multicast(u.dst_ip)) {
			not_mcast++;
			continue;
		}
		if (!have_first) {
			first_cap = cap_ns;
			have_first = 1;
		}
		if (speed > 0 && cap_ns > first_cap) {
			uint64_t due = t0 + (uint64_t)((double)(cap_ns - first_cap) / speed);
			if (due > deadline)
				break;
			sleep_until(due);
		}
		if (fs_now_ns() >= deadline)
			break;
		memset(&to, 0, sizeof(to));
		to.sin_family = AF_INET;
		to.sin_addr.s_addr = htonl(u.dst_ip);
		to.sin_port = htons(u.dst_port);
		if (sendto(fd, u.payload, u.len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			send_err++;
		} else {
			sent++;
			bytes += u.len;
		}
	}
	pcap_close(p);
	close(fd);
	printf("orion-feedsim replay: sent=%llu bytes=%llu send_errors=%llu skipped_not_multicast=%llu",
	       (unsigned long long)sent, (unsigned long long)bytes, (unsigned long long)send_err,
	       (unsigned long long)not_mcast);
	for (int k = 1; k < FS_SKIP__COUNT; k++)
		printf(" skipped_%s=%llu", fs_skip_name((enum fs_skip)k), (unsigned long long)skipped[k]);
	printf(" seconds=%.3f\n", (double)(fs_now_ns() - t0) / 1e9);
	return send_err && !sent ? 1 : 0;
}
