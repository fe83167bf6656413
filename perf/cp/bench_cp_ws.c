/* WebSocket fan-out benchmark client for the control plane (run against
 * cp_testd, see run_cp_bench.sh): N connections, each subscribed to the same
 * instruments, one epoll thread reading everything. Reports messages/s,
 * bytes/s and tick-publish -> client-receive latency (cp_testd stamps each
 * tick with CLOCK_MONOTONIC at publish; every md update carries it as
 * recvNs; client and server share the clock on one machine).
 *
 *   bench_cp_ws --port P --token T --clients N --seconds S [--warmup S] [--subscribe '["*"]']
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/orion_hist.h"

struct conn {
	int fd;
	uint8_t hdr[14];
	unsigned hdr_len, hdr_need;
	uint64_t left;              /* payload bytes left in the current frame */
	int text;
	unsigned depth, commas, in_digits;
	uint64_t value;
	int closed;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Connect and send the upgrade request: the fd, or -1. */
static int open_ws(uint16_t port, const char *token)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	char req[1024];
	int n = snprintf(req, sizeof(req),
			 "GET /api/v1/ws?token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n",
			 token);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the 101 answer, subscribe, go non-blocking: 0, or -1 (fd closed).
 * Frames that came with the headers are copied to extra. */
static int finish_ws(int fd, const char *sub, uint8_t *extra, size_t *extra_len)
{
	char buf[4096];
	size_t got = 0;
	char *eoh = NULL;
	while (!eoh && got < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r <= 0)
			goto fail;
		got += (size_t)r;
		buf[got] = 0;
		eoh = strstr(buf, "\r\n\r\n");
	}
	if (!eoh || strncmp(buf, "HTTP/1.1 101", 12))
		goto fail;
	*extra_len = got - (size_t)(eoh + 4 - buf); /* frames that came with the headers */
	memcpy(extra, eoh + 4, *extra_len);
	char msg[512];
	int ml = snprintf(msg, sizeof(msg), "{\"op\":\"SUBSCRIBE\",\"instrumentIds\":%s}", sub);
	uint8_t frame[600];
	frame[0] = 0x81;
	frame[1] = (uint8_t)(0x80 | 126);
	frame[2] = (uint8_t)(ml >> 8);
	frame[3] = (uint8_t)ml;
	memset(frame + 4, 0, 4); /* zero mask: payload unchanged */
	memcpy(frame + 8, msg, (size_t)ml);
	if (write(fd, frame, (size_t)ml + 8) != ml + 8)
		goto fail;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	close(fd);
	return -1;
}

struct stats {
	uint64_t frames, md_frames, bytes, samples;
	struct orion_hist lat;
};

/* Stream-parse the md increments across reads: every array nested two deep
 * ({"type":"md","updates":[[...],...]}) is one update whose 11th element
 * (index 10, see the welcome message's mdFields) is recvNs. Symbols and
 * prices hold no ',' '[' or ']', so counting commas at depth 2 finds it. */
#define RECV_NS_INDEX 10
static void scan(struct conn *c, const char *p, size_t n, uint64_t now, struct stats *st)
{
	for (size_t i = 0; i < n; i++) {
		char b = p[i];
		if (c->in_digits) {
			if (b >= '0' && b <= '9') {
				c->value = c->value * 10 + (uint64_t)(b - '0');
				continue;
			}
			if (now > c->value)
				orion_hist_add(&st->lat, now - c->value);
			st->samples++;
			c->in_digits = 0;
		}
		if (b == '[') {
			if (++c->depth == 2)
				c->commas = 0;
		} else if (b == ']') {
			if (c->depth)
				c->depth--;
		} else if (b == ',' && c->depth == 2) {
			if (++c->commas == RECV_NS_INDEX) {
				c->in_digits = 1;
				c->value = 0;
			}
		}
	}
}

static void on_bytes(struct conn *c, const uint8_t *p, size_t n, uint64_t now, struct stats *st)
{
	st->bytes += n;
	while (n) {
		if (c->left == 0) {
			c->hdr[c->hdr_len++] = *p++;
			n--;
			if (c->hdr_len == 2) {
				unsigned l = c->hdr[1] & 0x7f;
				c->hdr_need = l == 126 ? 4 : l == 127 ? 10 : 2;
			}
			if (c->hdr_len >= 2 && c->hdr_len == c->hdr_need) {
				unsigned l = c->hdr[1] & 0x7f;
				uint64_t len = l;
				if (l == 126)
					len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
				else if (l == 127)
					for (int i = 0; i < 8; i++)
						len = len << 8 | c->hdr[2 + i];
				c->text = (c->hdr[0] & 0x0f) == 1 || (c->hdr[0] & 0x0f) == 0;
				if ((c->hdr[0] & 0x0f) == 1)
					c->depth = c->in_digits = 0; /* a new message */
				if ((c->hdr[0] & 0x0f) == 8)
					c->closed = 1;
				st->frames++;
				c->left = len;
				c->hdr_len = 0;
				c->hdr_need = 2;
				if (!len)
					continue;
			}
			continue;
		}
		size_t k = n < c->left ? n : (size_t)c->left;
		if (c->text)
			scan(c, (const char *)p, k, now, st);
		c->left -= k;
		p += k;
		n -= k;
	}
}

static void drain(int ep, struct conn *cs, struct epoll_event *evs, int timeout_ms, struct stats *s, uint8_t *buf,
		  size_t cap)
{
	int n = epoll_wait(ep, evs, 256, timeout_ms);
	uint64_t now = mono_ns();
	for (int i = 0; i < n; i++) {
		struct conn *c = &cs[evs[i].data.u32];
		for (int loops = 0; loops < 8; loops++) {
			ssize_t r = read(c->fd, buf, cap);
			if (r > 0) {
				on_bytes(c, buf, (size_t)r, now, s);
				if ((size_t)r < cap)
					break;
				continue;
			}
			if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->closed = 1;
			}
			break;
		}
	}
}

int main(int argc, char **argv)
{
	uint16_t port = 0;
	const char *token = NULL, *sub = "[\"*\"]";
	unsigned clients = 100, seconds = 10, warmup = 2;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = (uint16_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--token"))
			token = argv[i + 1];
		else if (!strcmp(argv[i], "--clients"))
			clients = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--warmup"))
			warmup = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--subscribe"))
			sub = argv[i + 1];
	}
	if (!port || !token) {
		fprintf(stderr, "usage: bench_cp_ws --port P --token T [--clients N] [--seconds S] [--subscribe JSON]\n");
		return 2;
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	struct conn *cs = calloc(clients, sizeof(*cs));
	int ep = epoll_create1(0);
	unsigned up = 0;
	uint64_t t0 = mono_ns();
	static struct stats warm, st;
	orion_hist_reset(&warm.lat);
	orion_hist_reset(&st.lat);
	static uint8_t buf[1 << 16];
	struct epoll_event evs[256];
	/* Connect in waves of 64 upgrade requests in flight, keeping the
	 * connected ones drained meanwhile (a backlog built while connecting
	 * would show up as latency). */
	for (unsigned w = 0; w < clients; w += 64) {
		unsigned end_w = w + 64 < clients ? w + 64 : clients;
		for (unsigned i = w; i < end_w; i++) {
			cs[i].fd = open_ws(port, token);
			cs[i].hdr_need = 2;
		}
		for (unsigned i = w; i < end_w; i++) {
			size_t extra = 0;
			if (cs[i].fd < 0)
				continue;
			if (finish_ws(cs[i].fd, sub, buf, &extra)) {
				cs[i].fd = -1;
				continue;
			}
			on_bytes(&cs[i], buf, extra, mono_ns(), &warm);
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
			epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
			up++;
		}
		for (int k = 0; k < 4; k++)
			drain(ep, cs, evs, 0, &warm, buf, sizeof(buf));
	}
	fprintf(stderr, "connected %u/%u in %.2f s\n", up, clients, (double)(mono_ns() - t0) / 1e9);
	uint64_t start = mono_ns(), measure_from = start + (uint64_t)warmup * 1000000000ull,
		 end = measure_from + seconds * 1000000000ull;
	while (mono_ns() < end)
		drain(ep, cs, evs, 100, mono_ns() < measure_from ? &warm : &st, buf, sizeof(buf));
	unsigned closed = 0;
	for (unsigned i = 0; i < clients; i++)
		closed += cs[i].fd >= 0 && cs[i].closed;
	double secs = (double)seconds;
	printf("clients=%u connected=%u closed_by_server=%u seconds=%u warmup=%u\n", clients, up, closed, seconds,
	       warmup);
	printf("frames_per_s=%.0f md_updates_per_s=%.0f MB_per_s=%.1f\n", (double)st.frames / secs,
	       (double)st.samples / secs, (double)st.bytes / secs / 1e6);
	printf("latency_us p50=%.0f p99=%.0f p999=%.0f (tick publish -> client receive, includes conflation)\n",
	       (double)orion_hist_pct(&st.lat, 50) / 1e3, (double)orion_hist_pct(&st.lat, 99) / 1e3,
	       (double)orion_hist_pct(&st.lat, 99.9) / 1e3);
	return 0;
}
