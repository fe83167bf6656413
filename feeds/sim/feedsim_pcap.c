/* orion-feedsim pcap: a simulated session written as Ethernet/IPv4/UDP
 * multicast frames to a nanosecond pcap, line A and optionally line B. */
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/sim/feedsim_net.h"

#define CMD "pcap"
/* Capture clock origin: 2024-01-02 09:30:00 UTC, fixed so output is reproducible. */
#define PCAP_EPOCH_S 1704187800ull

enum {
	OPT_OUT = FS_OPT__GEN_END, OPT_RATE, OPT_GROUP, OPT_PORT, OPT_GROUP_B, OPT_PORT_B,
	OPT_LINES, OPT_SRC, OPT_HELP
};

static void help(void)
{
	printf("usage: orion-feedsim pcap --out F.pcap [options]\n"
	       "Write a simulated ITCH 5.0 session in MoldUDP64 over UDP multicast to a pcap.\n"
	       "  --out F           output pcap (required)\n"
	       FS_GEN_HELP
	       "  --rate R          messages per second for the capture timestamps (default 100000)\n"
	       "  --group G         line A multicast group (default 239.1.1.1)\n"
	       "  --port P          line A UDP port (default 26400)\n"
	       "  --group-b G       line B multicast group (default 239.1.1.2)\n"
	       "  --port-b P        line B UDP port (default 26401)\n"
	       "  --lines A|AB      lines written (default A); B frames follow their A twin\n"
	       "  --src IP          source address of line A; line B uses IP+1 (default 10.0.0.1)\n"
	       "The session ends with a MoldUDP64 end-of-session packet on each line.\n");
}

struct pcap_run {
	pcap_dumper_t *d;
	struct fs_endpoint dst[2];
	uint32_t src_ip;
	int lines;
	uint16_t ip_id[2];
	uint64_t packets, frames, bytes;
};

static void write_packet(struct pcap_run *r, uint64_t ts_ns, const uint8_t *payload, size_t len)
{
	static const uint8_t mac[2][6] = { { 0x02, 0, 0, 0, 0, 0x0a }, { 0x02, 0, 0, 0, 0, 0x0b } };
	uint8_t frame[FS_FRAME_OVERHEAD + ITCH_SIM_PKT_MAX];
	struct pcap_pkthdr h;

	for (int line = 0; line < r->lines; line++) {
		size_t n = fs_build_frame(frame, sizeof(frame), mac[line], r->src_ip + (uint32_t)line,
					  50000, &r->dst[line], r->ip_id[line]++, payload, len);
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(PCAP_EPOCH_S + ts_ns / 1000000000ull);
		h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ull); /* nanosecond pcap */
		h.caplen = (bpf_u_int32)n;
		h.len = (bpf_u_int32)n;
		pcap_dump((u_char *)r->d, &h, frame);
		r->frames++;
		r->bytes += n;
	}
	r->packets++;
}

int fs_cmd_pcap(int argc, char **argv)
{
	static const struct option opts[] = {
		FS_GEN_LONG_OPTS,
		{ "out", 1, NULL, OPT_OUT }, { "rate", 1, NULL, OPT_RATE },
		{ "group", 1, NULL, OPT_GROUP }, { "port", 1, NULL, OPT_PORT },
		{ "group-b", 1, NULL, OPT_GROUP_B }, { "port-b", 1, NULL, OPT_PORT_B },
		{ "lines", 1, NULL, OPT_LINES }, { "src", 1, NULL, OPT_SRC },
		{ "help", 0, NULL, OPT_HELP }, { NULL, 0, NULL, 0 }
	};
	struct fs_gen g;
	struct pcap_run r;
	const char *out = NULL;
	uint64_t rate = 100000, v;
	struct itch_sim *sim = NULL;
	struct itch_sim_pktz *pz = NULL;
	struct itch_sim_pkt pkt;
	pcap_t *p = NULL;
	uint8_t msg[ITCH5_MAX_MSG_LEN], eos[MOLD_HDR_LEN];
	uint64_t k = 0, ts = 0;
	int opt, rc = 1, n;

	fs_gen_default(&g);
	memset(&r, 0, sizeof(r));
	r.dst[0] = (struct fs_endpoint){ .addr = 0xef010101, .port = 26400 };
	r.dst[1] = (struct fs_endpoint){ .addr = 0xef010102, .port = 26401 };
	r.src_ip = 0x0a000001;
	r.lines = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int h = fs_gen_opt(CMD, opt, optarg, &g);
		if (h < 0)
			return FS_EXIT_USAGE;
		if (h > 0)
			continue;
		switch (opt) {
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_RATE:
			if (fs_parse_u64(optarg, 1, 1000000000, &rate)) {
				fs_opt_error(CMD, "--rate", "expected 1..1000000000 messages/s", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_GROUP:
		case OPT_GROUP_B:
			if (fs_parse_ipv4(optarg, &r.dst[opt == OPT_GROUP_B].addr) ||
			    !fs_is_multicast(r.dst[opt == OPT_GROUP_B].addr)) {
				fs_opt_error(CMD, opt == OPT_GROUP ? "--group" : "--group-b",
					     "expected an IPv4 multicast group (224.0.0.0/4)", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_PORT:
		case OPT_PORT_B:
			if (fs_parse_u64(optarg, 1, 65535, &v)) {
				fs_opt_error(CMD, opt == OPT_PORT ? "--port" : "--port-b", "expected 1..65535", optarg);
				return FS_EXIT_USAGE;
			}
			r.dst[opt == OPT_PORT_B].port = (uint16_t)v;
			break;
		case OPT_LINES:
			if (!strcmp(optarg, "A")) {
				r.lines = 1;
			} else if (!strcmp(optarg, "AB")) {
				r.lines = 2;
			} else {
				fs_opt_error(CMD, "--lines", "expected A or AB", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_SRC:
			if (fs_parse_ipv4(optarg, &r.src_ip) || r.src_ip == 0xffffffffu) {
				fs_opt_error(CMD, "--src", "expected an IPv4 address", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_HELP:
			help();
			return 0;
		default: /* getopt printed the option it did not like */
			fprintf(stderr, "orion-feedsim pcap: see --help\n");
			return FS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fs_opt_error(CMD, "argument", "unexpected", argv[optind]);
		return FS_EXIT_USAGE;
	}
	if (!out) {
		fs_opt_error(CMD, "--out", "required", NULL);
		return FS_EXIT_USAGE;
	}
	if (fs_gen_finish(CMD, &g))
		return FS_EXIT_USAGE;
	if (g.cfg.n_messages == 0) {
		fs_opt_error(CMD, "--messages", "must be > 0", NULL);
		return FS_EXIT_USAGE;
	}

	pz = calloc(1, sizeof(*pz));
	if (!pz || itch_sim_create(&g.cfg, &sim) != 0 ||
	    itch_sim_pktz_init(pz, g.session, 1, g.max_payload, g.max_msgs) != 0) {
		fprintf(stderr, "orion-feedsim pcap: cannot start the simulator\n");
		goto out;
	}
	p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	if (!p) {
		fprintf(stderr, "orion-feedsim pcap: pcap_open_dead failed\n");
		goto out;
	}
	r.d = pcap_dump_open(p, out);
	if (!r.d) {
		fprintf(stderr, "orion-feedsim pcap: %s: %s\n", out, pcap_geterr(p));
		goto out;
	}

	/* Message k is due at k/rate; a burst of g.burst messages is packed and
	 * sent when its last message is due. */
	while ((n = itch_sim_next_encoded(sim, msg, sizeof(msg))) > 0) {
		ts = k * 1000000000ull / rate;
		if (itch_sim_pktz_push(pz, msg, (size_t)n, &pkt) == 1)
			write_packet(&r, ts, pkt.data, pkt.len);
		k++;
		if (k % g.burst == 0 || itch_sim_pktz_full(pz)) {
			if (itch_sim_pktz_flush(pz, &pkt) == 1)
				write_packet(&r, ts, pkt.data, pkt.len);
		}
	}
	if (n < 0) {
		fprintf(stderr, "orion-feedsim pcap: encode failed (%d)\n", n);
		goto out;
	}
	if (itch_sim_pktz_flush(pz, &pkt) == 1)
		write_packet(&r, ts, pkt.data, pkt.len);
	ts += 1000000; /* end of session 1 ms after the last message */
	if (itch_sim_pktz_end_of_session(pz, eos, sizeof(eos)) == MOLD_HDR_LEN)
		write_packet(&r, ts, eos, MOLD_HDR_LEN);
	if (pcap_dump_flush(r.d) != 0) {
		fprintf(stderr, "orion-feedsim pcap: %s: write failed\n", out);
		goto out;
	}
	printf("orion-feedsim pcap: out=%s messages=%llu packets=%llu frames=%llu bytes=%llu lines=%s\n",
	       out, (unsigned long long)k, (unsigned long long)r.packets,
	       (unsigned long long)r.frames, (unsigned long long)r.bytes, r.lines == 2 ? "AB" : "A");
	rc = 0;
out:
	if (r.d)
		pcap_dump_close(r.d);
	if (p)
		pcap_close(p);
	itch_sim_destroy(sim);
	free(pz);
	return rc;
}
