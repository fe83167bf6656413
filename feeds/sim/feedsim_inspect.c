/* orion-feedsim inspect: decode the MoldUDP64/ITCH 5.0 packets of a pcap.
 * One line per MoldUDP64 packet: `session seq count len1,len2,...` (session
 * with trailing spaces removed, count as on the wire: 0 heartbeat, 65535 end
 * of session; the length list is "-" when there are no messages), then
 * summary lines starting with '#'. */
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "feeds/sim/feedsim_net.h"

#define CMD "inspect"

enum { OPT_PORT = 1, OPT_NO_SUMMARY, OPT_HELP };

static void help(void)
{
	printf("usage: orion-feedsim inspect [--port P] [--no-summary] F.pcap\n"
	       "Print `session seq count msglen1,msglen2,...` per MoldUDP64 packet (\"-\" for\n"
	       "no messages), then '#' summary lines by ITCH message type.\n"
	       "  --port P        only UDP datagrams to destination port P (default: all UDP)\n"
	       "  --no-summary    packet lines only\n");
}

struct inspect_stats {
	uint64_t frames, udp, mold, heartbeats, eos, msgs;
	uint64_t skipped[FS_SKIP__COUNT];
	uint64_t port_filtered;
	uint64_t mold_err[MOLD_ERR__COUNT];
	uint64_t itch_err[ITCH5_ERR__COUNT];
	uint64_t by_type[256];
};

static void print_packet(const struct mold_packet *mp)
{
	struct mold_iter it;
	const uint8_t *m;
	uint16_t len;
	int n = MOLD_SESSION_LEN, first = 1;

	while (n > 0 && mp->session[n - 1] == ' ')
		n--;
	printf("%.*s %llu %u ", n, mp->session, (unsigned long long)mp->seq, mp->count);
	mold_iter_init(&it, mp);
	while (mold_iter_next(&it, &m, &len)) {
		printf(first ? "%u" : ",%u", len);
		first = 0;
	}
	printf(first ? "-\n" : "\n");
}

static void count_msgs(struct inspect_stats *st, const struct mold_packet *mp)
{
	struct mold_iter it;
	struct itch5_msg msg;
	const uint8_t *m;
	uint16_t len;

	mold_iter_init(&it, mp);
	while (mold_iter_next(&it, &m, &len)) {
		enum itch5_err e = itch5_decode(m, len, &msg);
		st->msgs++;
		if (e == ITCH5_OK)
			st->by_type[msg.type]++;
		else
			st->itch_err[e]++;
	}
}

static void print_summary(const struct inspect_stats *st)
{
	printf("# frames=%llu udp=%llu moldudp64=%llu heartbeats=%llu end_of_session=%llu messages=%llu\n",
	       (unsigned long long)st->frames, (unsigned long long)st->udp,
	       (unsigned long long)st->mold, (unsigned long long)st->heartbeats,
	       (unsigned long long)st->eos, (unsigned long long)st->msgs);
	for (int t = 0; t < 256; t++)
		if (st->by_type[t])
			printf("# type %c %llu\n", t, (unsigned long long)st->by_type[t]);
	for (int k = 1; k < FS_SKIP__COUNT; k++)
		if (st->skipped[k])
			printf("# skipped %s %llu\n", fs_skip_name((enum fs_skip)k),
			       (unsigned long long)st->skipped[k]);
	if (st->port_filtered)
		printf("# skipped other_port %llu\n", (unsigned long long)st->port_filtered);
	for (int k = 1; k < MOLD_ERR__COUNT; k++)
		if (st->mold_err[k])
			printf("# moldudp64 error %s %llu\n", mold_err_name((enum mold_err)k),
			       (unsigned long long)st->mold_err[k]);
	for (int k = 1; k < ITCH5_ERR__COUNT; k++)
		if (st->itch_err[k])
			printf("# itch5 error %s %llu\n", itch5_err_name((enum itch5_err)k),
			       (unsigned long long)st->itch_err[k]);
}

int fs_cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", 1, NULL, OPT_PORT }, { "no-summary", 0, NULL, OPT_NO_SUMMARY },
		{ "help", 0, NULL, OPT_HELP }, { NULL, 0, NULL, 0 }
	};
	static struct inspect_stats st;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t port = 0;
	int opt, summary = 1, dlt, rc;
	pcap_t *p;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_PORT:
			if (fs_parse_u64(optarg, 1, 65535, &port)) {
				fs_opt_error(CMD, "--port", "expected 1..65535", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_NO_SUMMARY:
			summary = 0;
			break;
		case OPT_HELP:
			help();
			return 0;
		default:
			fprintf(stderr, "orion-feedsim inspect: see --help\n");
			return FS_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fs_opt_error(CMD, "F.pcap", "exactly one pcap file expected", NULL);
		return FS_EXIT_USAGE;
	}
	p = pcap_open_offline_with_tstamp_precision(argv[optind], PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "orion-feedsim inspect: %s\n", errbuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct fs_udp_view u;
		struct mold_packet mp;
		enum fs_skip sk;
		enum mold_err me;

		st.frames++;
		sk = fs_parse_frame(dlt, data, h->caplen, &u);
		if (sk != FS_SKIP_NONE) {
			st.skipped[sk]++;
			continue;
		}
		st.udp++;
		if (port && u.dst_port != port) {
			st.port_filtered++;
			continue;
		}
		me = mold_decode(u.payload, u.len, &mp);
		if (me != MOLD_OK) {
			st.mold_err[me]++;
			continue;
		}
		st.mold++;
		if (mold_is_heartbeat(&mp))
			st.heartbeats++;
		if (mold_is_end_of_session(&mp))
			st.eos++;
		print_packet(&mp);
		count_msgs(&st, &mp);
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "orion-feedsim inspect: %s: %s\n", argv[optind], pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	if (summary)
		print_summary(&st);
	return 0;
}
