/* orion-feedsim: NASDAQ ITCH 5.0 over MoldUDP64 feed simulator.
 * Subcommands: pcap, send, replay, inspect (see --help). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "feeds/sim/feedsim_net.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orion-feedsim <command> [options]\n"
		"  pcap     write a simulated session to a pcap file (Ethernet/IPv4/UDP multicast)\n"
		"  send     send a simulated session as live UDP multicast, with a re-request server\n"
		"  replay   replay the UDP payloads of a pcap to their original groups/ports\n"
		"  inspect  decode a pcap: one line per MoldUDP64 packet and a summary\n"
		"orion-feedsim <command> --help shows the options of a command.\n"
		"Exit status: 0 ok, 1 runtime error, 2 bad usage.\n");
}

void fs_gen_default(struct fs_gen *g)
{
	memset(g, 0, sizeof(*g));
	itch_sim_cfg_default(&g->cfg);
	memcpy(g->session, "ORIONSIM01", MOLD_SESSION_LEN);
	g->max_payload = MOLD_MAX_PAYLOAD;
	g->max_msgs = 65534;
	g->burst = 4;
}

int fs_gen_opt(const char *cmd, int opt, const char *arg, struct fs_gen *g)
{
	uint64_t v;

	switch (opt) {
	case FS_OPT_SEED:
		if (fs_parse_u64(arg, 0, UINT64_MAX, &v))
			goto bad_num;
		g->cfg.seed = v;
		return 1;
	case FS_OPT_INSTRUMENTS:
		if (fs_parse_u64(arg, 1, ITCH_SIM_MAX_INSTRUMENTS, &v)) {
			fs_opt_error(cmd, "--instruments", "expected 1..65535", arg);
			return -1;
		}
		g->cfg.n_instruments = (uint32_t)v;
		return 1;
	case FS_OPT_MESSAGES:
		if (fs_parse_u64(arg, 1, UINT64_MAX / 2, &v))
			goto bad_num;
		g->cfg.n_messages = v;
		return 1;
	case FS_OPT_SESSION:
		if (fs_parse_session(arg, g->session)) {
			fs_opt_error(cmd, "--session", "expected 1..10 printable characters", arg);
			return -1;
		}
		return 1;
	case FS_OPT_MTU:
		if (fs_parse_u64(arg, 128, 9000, &v)) {
			fs_opt_error(cmd, "--mtu", "expected 128..9000", arg);
			return -1;
		}
		g->max_payload = (size_t)v - 28;
		return 1;
	case FS_OPT_MAX_MSGS:
		if (fs_parse_u64(arg, 1, 65534, &v)) {
			fs_opt_error(cmd, "--max-msgs", "expected 1..65534", arg);
			return -1;
		}
		g->max_msgs = (uint16_t)v;
		return 1;
	case FS_OPT_BURST:
		if (fs_parse_u64(arg, 1, 65534, &v)) {
			fs_opt_error(cmd, "--burst", "expected 1..65534", arg);
			return -1;
		}
		g->burst = (uint32_t)v;
		return 1;
	case FS_OPT_REAL_TICKERS:
		g->cfg.real_tickers = 1;
		return 1;
	case FS_OPT_HALT_PPM:
		if (fs_parse_u64(arg, 0, 1000000, &v)) {
			fs_opt_error(cmd, "--halt-ppm", "expected 0..1000000", arg);
			return -1;
		}
		g->cfg.halt_ppm = (uint32_t)v;
		return 1;
	default:
		return 0;
	}
bad_num:
	fprintf(stderr, "orion-feedsim %s: --%s: expected a number: '%s' (see --help)\n", cmd,
		opt == FS_OPT_SEED ? "seed" : "messages", arg);
	return -1;
}

int fs_gen_finish(const char *cmd, struct fs_gen *g)
{
	uint64_t fixed = itch_sim_fixed_msgs(&g->cfg);

	if (g->cfg.n_messages && g->cfg.n_messages < fixed) {
		char what[96];
		snprintf(what, sizeof(what), "at least %llu with %u instruments",
			 (unsigned long long)fixed, g->cfg.n_instruments);
		fs_opt_error(cmd, "--messages", what, NULL);
		return -1;
	}
	if (itch_sim_cfg_check(&g->cfg)) {
		fs_opt_error(cmd, "--instruments/--messages", "invalid simulator configuration", NULL);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return FS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "pcap"))
		return fs_cmd_pcap(argc - 1, argv + 1);
	if (!strcmp(argv[1], "send"))
		return fs_cmd_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return fs_cmd_replay(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect"))
		return fs_cmd_inspect(argc - 1, argv + 1);
	fprintf(stderr, "orion-feedsim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return FS_EXIT_USAGE;
}
