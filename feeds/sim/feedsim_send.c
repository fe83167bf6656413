/* orion-feedsim send: a simulated session as live UDP multicast on line A
 * (and B), paced at --rate, with deterministic per-line drops, heartbeats
 * when idle, end of session at the end, and a MoldUDP64 re-request server
 * answering from a bounded history. Runtime is always bounded by --seconds
 * (plus --linger for late re-requests). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feeds/sim/feedsim_net.h"

#define CMD "send"
#define NS 1000000000ull
#define HEARTBEAT_NS NS
#define MAX_MSGS_PER_TURN 4096u /* messages generated before looking at re-requests again */
#define MAX_RR_PER_TURN 64u

enum {
	OPT_IFACE = FS_OPT__GEN_END, OPT_GROUP_A, OPT_GROUP_B, OPT_RATE, OPT_SECONDS,
	OPT_DROP_A, OPT_DROP_B, OPT_REREQ_PORT, OPT_HISTORY, OPT_LINGER, OPT_HELP
};

static volatile sig_atomic_t g_send_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_send_stop = 1;
}

static void help(void)
{
	printf("usage: orion-feedsim send --iface IF --group-a G:P [options]\n"
	       "Send a simulated ITCH 5.0 session as MoldUDP64 over UDP multicast.\n"
	       "  --iface IF          outgoing interface (IP_MULTICAST_IF; TTL 1, loopback on)\n"
	       "  --group-a G:P       line A group and port (required)\n"
	       "  --group-b G:P       line B group and port (optional)\n"
	       "  --rate R            messages per second, 1..10000000 (default 10000)\n"
	       "  --seconds S         run time, 1..86400 (default 10); the session then closes\n"
	       "  --drop-a LIST       on line A omit every packet carrying a message sequence\n"
	       "  --drop-b LIST       number in LIST, e.g. 100-120,500 (same for line B)\n"
	       "  --rereq-port P      serve MoldUDP64 re-requests on UDP port P (unicast); one\n"
	       "                      downstream packet per request, sent to the requester\n"
	       "  --history N         messages kept for re-requests, 1..67108864 (default 100000)\n"
	       "  --linger S          keep serving re-requests S seconds after end of session,\n"
	       "                      0..60 (default 1)\n"
	       FS_GEN_HELP
	       "--messages defaults to unbounded: the session closes (S 'M','E','C') at --seconds.\n"
	       "With --messages N the session may finish earlier; heartbeats then follow until\n"
	       "--seconds. End of session always goes out at --seconds (or SIGINT/SIGTERM).\n"
	       "Heartbeats go out on every line after 1 s without data. At exit one summary line.\n");
}

struct send_run {
	int fd_tx, fd_rr;
	struct fs_endpoint dst[2];
	int n_lines;
	struct fs_ranges drop[2];
	int has_drop[2];
	uint64_t packets[2], dropped[2], heartbeats, send_err;
	uint64_t messages;
	uint64_t rr_received, rr_served, rr_msgs, rr_out_of_range, rr_bad;
	uint64_t last_tx_ns;
	struct itch_sim_hist *hist;
	struct fs_gen *g;
	uint8_t rr_buf[ITCH_SIM_PKT_MAX];
};

static void tx_line(struct send_run *r, int line, const uint8_t *data, size_t len)
{
	struct sockaddr_in to;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(r->dst[line].addr);
	to.sin_port = htons(r->dst[line].port);
	if (sendto(r->fd_tx, data, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		r->send_err++;
}

static void tx_packet(struct send_run *r, const struct itch_sim_pkt *pkt)
{
	uint64_t last = pkt->seq + (pkt->count ? pkt->count - 1 : 0);

	for (int line = 0; line < r->n_lines; line++) {
		if (r->has_drop[line] && pkt->count && fs_ranges_hit(&r->drop[line], pkt->seq, last)) {
			r->dropped[line]++;
			continue;
		}
		tx_line(r, line, pkt->data, pkt->len);
		r->packets[line]++;
	}
	r->last_tx_ns = fs_now_ns();
}

static void tx_control(struct send_run *r, const uint8_t *data, size_t len)
{
	for (int line = 0; line < r->n_lines; line++)
		tx_line(r, line, data, len);
	r->last_tx_ns = fs_now_ns();
}

static void serve_rereqs(struct send_run *r)
{
	for (unsigned i = 0; i < MAX_RR_PER_TURN; i++) {
		uint8_t in[64];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		struct mold_rereq rq;
		uint16_t served = 0;
		ssize_t n = recvfrom(r->fd_rr, in, sizeof(in), 0, (struct sockaddr *)&from, &flen);
		int len;

		if (n < 0)
			return; /* EAGAIN: drained */
		r->rr_received++;
		if (mold_rereq_decode(in, (size_t)n, &rq) != MOLD_OK ||
		    memcmp(rq.session, r->g->session, MOLD_SESSION_LEN) != 0) {
			r->rr_bad++;
			continue;
		}
		len = itch_sim_hist_answer(r->hist, r->g->session, rq.seq, rq.count, r->rr_buf,
					   sizeof(r->rr_buf), r->g->max_payload, r->g->max_msgs, &served);
		if (len < 0) {
			r->rr_out_of_range++;
			continue;
		}
		if (sendto(r->fd_rr, r->rr_buf, (size_t)len, 0, (struct sockaddr *)&from, flen) < 0) {
			r->send_err++;
			continue;
		}
		r->rr_served++;
		r->rr_msgs += served;
	}
}

static int open_rereq(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	a.sin_port = htons(port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Wait for a re-request or until t_ns (monotonic), whichever comes first. */
static void wait_until(struct send_run *r, uint64_t t_ns)
{
	uint64_t now = fs_now_ns();
	struct timespec ts;
	struct pollfd pfd = { .fd = r->fd_rr, .events = POLLIN };

	if (t_ns <= now)
		return;
	ts.tv_sec = (time_t)((t_ns - now) / NS);
	ts.tv_nsec = (long)((t_ns - now) % NS);
	if (r->fd_rr >= 0) {
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			serve_rereqs(r);
	} else {
		nanosleep(&ts, NULL);
	}
}

static int parse_args(int argc, char **argv, struct fs_gen *g, struct send_run *r,
		      const char **iface, uint64_t *rate, uint64_t *seconds, uint64_t *rr_port,
		      uint64_t *history, uint64_t *linger)
{
	static const struct option opts[] = {
		FS_GEN_LONG_OPTS,
		{ "iface", 1, NULL, OPT_IFACE }, { "group-a", 1, NULL, OPT_GROUP_A },
		{ "group-b", 1, NULL, OPT_GROUP_B }, { "rate", 1, NULL, OPT_RATE },
		{ "seconds", 1, NULL, OPT_SECONDS }, { "drop-a", 1, NULL, OPT_DROP_A },
		{ "drop-b", 1, NULL, OPT_DROP_B }, { "rereq-port", 1, NULL, OPT_REREQ_PORT },
		{ "history", 1, NULL, OPT_HISTORY }, { "linger", 1, NULL, OPT_LINGER },
		{ "help", 0, NULL, OPT_HELP }, { NULL, 0, NULL, 0 }
	};
	int opt, have_a = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int h = fs_gen_opt(CMD, opt, optarg, g);
		if (h < 0)
			return FS_EXIT_USAGE;
		if (h > 0)
			continue;
		switch (opt) {
		case OPT_IFACE:
			*iface = optarg;
			break;
		case OPT_GROUP_A:
		case OPT_GROUP_B: {
			int line = opt == OPT_GROUP_B;
			if (fs_parse_endpoint(optarg, &r->dst[line]) || !fs_is_multicast(r->dst[line].addr)) {
				fs_opt_error(CMD, line ? "--group-b" : "--group-a",
					     "expected MULTICAST_GROUP:PORT, e.g. 239.1.1.1:26400", optarg);
				return FS_EXIT_USAGE;
			}
			if (line)
				r->n_lines = 2;
			else
				have_a = 1;
			break;
		}
		case OPT_RATE:
			if (fs_parse_u64(optarg, 1, 10000000, rate)) {
				fs_opt_error(CMD, "--rate", "expected 1..10000000 messages/s", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_SECONDS:
			if (fs_parse_u64(optarg, 1, 86400, seconds)) {
				fs_opt_error(CMD, "--seconds", "expected 1..86400", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_DROP_A:
		case OPT_DROP_B: {
			int line = opt == OPT_DROP_B;
			if (fs_parse_ranges(optarg, &r->drop[line])) {
				fs_opt_error(CMD, line ? "--drop-b" : "--drop-a",
					     "expected sequence ranges like 100-120,500 (at most 256)", optarg);
				return FS_EXIT_USAGE;
			}
			r->has_drop[line] = 1;
			break;
		}
		case OPT_REREQ_PORT:
			if (fs_parse_u64(optarg, 1, 65535, rr_port)) {
				fs_opt_error(CMD, "--rereq-port", "expected 1..65535", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_HISTORY:
			if (fs_parse_u64(optarg, 1, 1ull << 26, history)) {
				fs_opt_error(CMD, "--history", "expected 1..67108864 messages", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_LINGER:
			if (fs_parse_u64(optarg, 0, 60, linger)) {
				fs_opt_error(CMD, "--linger", "expected 0..60 seconds", optarg);
				return FS_EXIT_USAGE;
			}
			break;
		case OPT_HELP:
			help();
			return -1;
		default:
			fprintf(stderr, "orion-feedsim send: see --help\n");
			return FS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fs_opt_error(CMD, "argument", "unexpected", argv[optind]);
		return FS_EXIT_USAGE;
	}
	if (!*iface) {
		fs_opt_error(CMD, "--iface", "required", NULL);
		return FS_EXIT_USAGE;
	}
	if (!have_a) {
		fs_opt_error(CMD, "--group-a", "required", NULL);
		return FS_EXIT_USAGE;
	}
	if (r->n_lines == 2 && r->dst[0].addr == r->dst[1].addr && r->dst[0].port == r->dst[1].port) {
		fs_opt_error(CMD, "--group-b", "must differ from --group-a", NULL);
		return FS_EXIT_USAGE;
	}
	if (r->has_drop[1] && r->n_lines < 2) {
		fs_opt_error(CMD, "--drop-b", "needs --group-b", NULL);
		return FS_EXIT_USAGE;
	}
	if (fs_gen_finish(CMD, g))
		return FS_EXIT_USAGE;
	return 0;
}

int fs_cmd_send(int argc, char **argv)
{
	struct fs_gen g;
	struct send_run *r = calloc(1, sizeof(*r));
	struct itch_sim *sim = NULL;
	struct itch_sim_pktz *pz = calloc(1, sizeof(*pz));
	struct itch_sim_pkt pkt;
	const char *iface = NULL;
	uint64_t rate = 10000, seconds = 10, rr_port = 0, history = 100000, linger = 1;
	uint64_t t0, deadline, k = 0;
	uint8_t msg[ITCH5_MAX_MSG_LEN], ctl[MOLD_HDR_LEN];
	int rc = 1, n = 1, closing = 0, exhausted = 0, err;

	if (!r || !pz) {
		fprintf(stderr, "orion-feedsim send: out of memory\n");
		free(r);
		free(pz);
		return 1;
	}
	fs_gen_default(&g);
	g.cfg.n_messages = 0;
	r->n_lines = 1;
	r->fd_tx = -1;
	r->fd_rr = -1;
	r->g = &g;
	err = parse_args(argc, argv, &g, r, &iface, &rate, &seconds, &rr_port, &history, &linger);
	if (err) {
		free(r);
		free(pz);
		return err < 0 ? 0 : err;
	}
	r->fd_tx = fs_mcast_sender(iface);
	if (r->fd_tx < 0) {
		fs_opt_error(CMD, "--iface", r->fd_tx == -ENODEV ? "no such interface" : strerror(-r->fd_tx), iface);
		rc = r->fd_tx == -ENODEV ? FS_EXIT_USAGE : 1;
		goto out;
	}
	if (rr_port) {
		r->fd_rr = open_rereq((uint16_t)rr_port);
		if (r->fd_rr < 0) {
			fs_opt_error(CMD, "--rereq-port", strerror(-r->fd_rr), NULL);
			goto out;
		}
	}
	if (itch_sim_create(&g.cfg, &sim) || itch_sim_hist_create(history, &r->hist) ||
	    itch_sim_pktz_init(pz, g.session, 1, g.max_payload, g.max_msgs)) {
		fprintf(stderr, "orion-feedsim send: cannot start the simulator\n");
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	t0 = fs_now_ns();
	r->last_tx_ns = t0;
	deadline = t0 + seconds * NS;
	for (;;) {
		uint64_t now = fs_now_ns(), due, next_due;
		unsigned made = 0;

		if (!closing && (now >= deadline || g_send_stop)) {
			itch_sim_end(sim); /* remaining closing messages go out at once */
			closing = 1;
		}
		due = closing ? UINT64_MAX : (now - t0) / NS * rate + (now - t0) % NS * rate / NS;
		while (!exhausted && k < due && made < MAX_MSGS_PER_TURN) {
			n = itch_sim_next_encoded(sim, msg, sizeof(msg));
			if (n < 0) {
				fprintf(stderr, "orion-feedsim send: encode failed (%d)\n", n);
				goto out;
			}
			if (n == 0) {
				/* session over (--messages): the tail goes out now, then
				 * heartbeats until --seconds */
				exhausted = 1;
				if (itch_sim_pktz_flush(pz, &pkt) == 1)
					tx_packet(r, &pkt);
				break;
			}
			itch_sim_hist_put(r->hist, pz->next_seq, msg, (size_t)n);
			if (itch_sim_pktz_push(pz, msg, (size_t)n, &pkt) == 1)
				tx_packet(r, &pkt);
			k++;
			made++;
			if ((k % g.burst == 0 || itch_sim_pktz_full(pz)) && itch_sim_pktz_flush(pz, &pkt) == 1)
				tx_packet(r, &pkt);
		}
		if (exhausted && closing)
			break;
		if (r->fd_rr >= 0)
			serve_rereqs(r);
		now = fs_now_ns();
		if (now - r->last_tx_ns >= HEARTBEAT_NS) {
			/* idle for a second: a partial burst goes out, else a heartbeat */
			if (itch_sim_pktz_flush(pz, &pkt) == 1) {
				tx_packet(r, &pkt);
			} else if (itch_sim_pktz_heartbeat(pz, ctl, sizeof(ctl)) == MOLD_HDR_LEN) {
				tx_control(r, ctl, MOLD_HDR_LEN);
				r->heartbeats++;
			}
		}
		if (!exhausted && (made == MAX_MSGS_PER_TURN || closing))
			continue;
		/* sleep until the next message is due, a heartbeat, or the deadline */
		next_due = exhausted ? UINT64_MAX : t0 + (k + 1) / rate * NS + (k + 1) % rate * NS / rate;
		if (next_due > r->last_tx_ns + HEARTBEAT_NS)
			next_due = r->last_tx_ns + HEARTBEAT_NS;
		if (next_due > deadline)
			next_due = deadline;
		wait_until(r, next_due);
	}
	r->messages = k;
	if (itch_sim_pktz_flush(pz, &pkt) == 1)
		tx_packet(r, &pkt);
	if (itch_sim_pktz_end_of_session(pz, ctl, sizeof(ctl)) == MOLD_HDR_LEN)
		tx_control(r, ctl, MOLD_HDR_LEN);
	if (r->fd_rr >= 0 && linger && !g_send_stop) {
		uint64_t end = fs_now_ns() + linger * NS;
		while (!g_send_stop && fs_now_ns() < end)
			wait_until(r, end);
	}
	printf("orion-feedsim send: packets_a=%llu packets_b=%llu dropped_a=%llu dropped_b=%llu "
	       "messages=%llu heartbeats=%llu rereq_received=%llu rereq_served=%llu rereq_msgs=%llu "
	       "rereq_out_of_range=%llu rereq_bad=%llu send_errors=%llu\n",
	       (unsigned long long)r->packets[0], (unsigned long long)r->packets[1],
	       (unsigned long long)r->dropped[0], (unsigned long long)r->dropped[1],
	       (unsigned long long)k, (unsigned long long)r->heartbeats,
	       (unsigned long long)r->rr_received, (unsigned long long)r->rr_served,
	       (unsigned long long)r->rr_msgs, (unsigned long long)r->rr_out_of_range,
	       (unsigned long long)r->rr_bad, (unsigned long long)r->send_err);
	rc = r->send_err && !r->packets[0] ? 1 : 0;
out:
	if (r->fd_tx >= 0)
		close(r->fd_tx);
	if (r->fd_rr >= 0)
		close(r->fd_rr);
	itch_sim_hist_destroy(r->hist);
	itch_sim_destroy(sim);
	free(r);
	free(pz);
	return rc;
}
