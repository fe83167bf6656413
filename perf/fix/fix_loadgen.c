/* fix_loadgen: FIX 4.4 order-entry load generator.
 *
 * Opens N initiator sessions over TCP to HOST:PORT, logs each on, then sends
 * NewOrderSingle (limit, resting: buys below and sells above each symbol's
 * reference price, so they never cross) and measures NewOrderSingle →
 * ExecutionReport(150=0) round trips in a log-linear histogram.
 *
 *   open loop (--rate R > 0): orders are scheduled on the TSC at R per second
 *     in total; latency runs from the *scheduled* send time, so a stalled
 *     server or a late loadgen is charged (no coordinated omission). The
 *     "send lag" histogram shows how late the loadgen itself was.
 *     The thread sleeps in epoll until --spin-us before the next send is due
 *     (timer slack 1 ns), then polls; --spin polls all the time.
 *   closed loop (--rate 0): each session keeps --window W orders outstanding
 *     and sends the next one when an answer arrives (max rate); latency runs
 *     from the moment the order was queued for sending.
 *
 * ClOrdIDs are "L<tag><n>" (cancels "C<tag><n>"), tag = 8 hex digits unique
 * to the run, so a server that remembers ClOrdIDs across connections of a
 * session still sees new ones. Logon sends ResetSeqNumFlag=Y (--no-reset to
 * keep sequence numbers) and Username/Password (553/554).
 *
 * Book control: once a session has more than --resting K acknowledged
 * orders, every new order is preceded by an OrderCancelRequest for its
 * oldest resting order (cancel → ExecutionReport 150=4 is measured too).
 *
 * Non-blocking sockets, one epoll set per thread; sessions are split across
 * --threads T threads (default 1). The FIX codec is the project's own
 * (fix/fix_codec.h): frames and parses what comes back, builds what goes out.
 *
 * Output: human-readable lines and one "RESULT key=value ..." line for
 * scripts. Exit status: 0 done, 1 no session logged on or I/O setup failure,
 * 2 bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/orion_hist.h"
#include "common/orion_time.h"
#include "fix/fix_codec.h"

#define LG_MAX_SESSIONS 4096
#define LG_MAX_THREADS 64
#define LG_MAX_SYMBOLS 256
#define LG_RX_CAP (64u * 1024u)
#define LG_TX_CAP (256u * 1024u)
#define LG_MAX_MSG 8192u
#define LG_SCRATCH 1024u
#define LG_EVENTS 64
#define LG_SEND_BURST 256u /* most scheduled orders sent per loop turn */

enum sess_state { S_IDLE, S_CONNECTING, S_LOGON_SENT, S_ACTIVE, S_LOGOUT_SENT, S_CLOSED };
enum ord_state { O_FREE = 0, O_SENT, O_RESTING, O_CXL_SENT };

struct ord {
	uint64_t t;     /* TSC: scheduled send of the order, then send of its cancel */
	uint32_t n;     /* order number (ClOrdID "L<tag><n>") */
	uint16_t qty;
	uint8_t sym;
	uint8_t state;  /* enum ord_state */
	char side;
};

struct symbol {
	char name[16];
	int64_t ref;    /* reference price, ORION_PX_SCALE units */
};

struct counters {
	uint64_t nos_sent, cxl_sent;
	uint64_t acks;            /* 150=0 answers to our orders */
	uint64_t acks_window;     /* ... received inside the measurement window */
	uint64_t cxl_acks;        /* 150=4 */
	uint64_t rejects;         /* 150=8 */
	uint64_t cxl_rejects;     /* 35=9 */
	uint64_t sess_rejects;    /* 35=3 */
	uint64_t biz_rejects;     /* 35=j */
	uint64_t fills;           /* 150=F */
	uint64_t other_er;        /* other ExecTypes, or unmatched ClOrdIDs */
	uint64_t overruns;        /* scheduled orders not sent: table or tx buffer full */
	uint64_t seq_gaps;        /* inbound MsgSeqNum jumps */
	uint64_t resend_reqs;     /* 35=2 received (answered with a gap fill) */
	uint64_t garbled;         /* bytes the framer refused */
	uint64_t logouts;         /* 35=5 received before we asked */
	uint64_t disconnects;     /* connections lost during the run */
	uint64_t cleanup_cxl;     /* cancels sent after the run by --cleanup */
};

struct worker;

struct sess {
	int fd;
	int idx;                      /* 1-based session number */
	enum sess_state st;
	bool dirty, want_out;
	char sender[40], target[40], user[40];
	uint64_t out_seq, in_seq;     /* next to send / expected next inbound */
	uint64_t last_tx;             /* TSC of the last message queued */
	uint64_t retry_at;            /* TSC of the next connect attempt (refused) */
	char *rx;
	size_t rx_len;
	char *tx;
	size_t tx_off, tx_len;
	uint32_t next_n;              /* next order number */
	uint32_t inflight;            /* orders sent, not answered */
	uint32_t cxl_inflight;        /* cancels sent, not answered */
	struct ord *ord;              /* ord_cap slots, indexed by n & ord_mask */
	uint32_t *rest;               /* FIFO of resting order numbers */
	uint32_t rest_head, rest_tail;
	struct worker *w;
};

struct worker {
	int id;
	pthread_t tid;
	int ep;
	struct sess *s;
	unsigned n_sess;
	unsigned rr;                  /* round-robin cursor (open loop) */
	uint64_t k;                   /* orders scheduled so far (open loop) */
	uint64_t *dirty;              /* stack of session indexes with pending tx */
	unsigned n_dirty;
	struct orion_hist *h_new, *h_cxl, *h_lag;
	struct counters c;
	struct fix_msg msg;
	struct fix_ts_cache tsc;
	uint64_t rng;
	char scratch[LG_SCRATCH];
	int rc;
};

/* Parameters, written by main() before threads start, read-only after. */
static struct {
	const char *host, *port;
	unsigned sessions, threads, window, resting;
	double rate, seconds, warmup;
	char sender_prefix[24], user_prefix[24], target[32], password[64], account[32];
	struct symbol sym[LG_MAX_SYMBOLS];
	unsigned n_sym;
	int64_t tick;
	unsigned spread_ticks;
	unsigned hb_int;
	bool reset, spin, cleanup;
	unsigned spin_us;
	uint32_t ord_cap, ord_mask;
	double logon_timeout;
} g_opt;

/* Phase boundaries (TSC), set by main() between the two barriers. */
static uint64_t g_t_start, g_t_measure, g_t_end;
static pthread_barrier_t g_bar;
/* Run tag in every ClOrdID ("L<tag><n>", cancels "C<tag><n>"): servers that
 * remember ClOrdIDs beyond the live orders (per session and day) see new
 * ones on every run. 8 hex digits from the start time and the pid. */
#define LG_TAG_LEN 8
static char g_tag[LG_TAG_LEN + 1];
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t sec_to_tsc(double s)
{
	return (uint64_t)(s * (double)g_orion_clock.tsc_hz);
}

/* ---- transmit ------------------------------------------------------------ */

static void mark_dirty(struct sess *s)
{
	if (!s->dirty) {
		s->dirty = true;
		s->w->dirty[s->w->n_dirty++] = (uint64_t)(s - s->w->s);
	}
}

/* Start a message with the standard header (49, 56, 34, 52). */
static void hdr(struct sess *s, struct fix_builder *b, const char *type, uint64_t seq, uint64_t now_ns)
{
	fix_build_begin(b, s->w->scratch, LG_SCRATCH, "FIX.4.4", type);
	b->ts_cache = &s->w->tsc;
	fix_build_cstr(b, 49, s->sender);
	fix_build_cstr(b, 56, s->target);
	fix_build_uint(b, 34, seq);
	fix_build_timestamp(b, 52, now_ns, 6);
}

/* Finish the message and queue it on s. Returns 0 or -ENOBUFS / -EINVAL. */
static int queue(struct sess *s, struct fix_builder *b)
{
	const char *p;
	int n = fix_build_finish(b, &p);
	if (n < 0)
		return n;
	if (s->tx_len + (size_t)n > LG_TX_CAP && s->tx_off > 0) {
		memmove(s->tx, s->tx + s->tx_off, s->tx_len - s->tx_off);
		s->tx_len -= s->tx_off;
		s->tx_off = 0;
	}
	if (s->tx_len + (size_t)n > LG_TX_CAP)
		return -ENOBUFS;
	memcpy(s->tx + s->tx_len, p, (size_t)n);
	s->tx_len += (size_t)n;
	s->last_tx = orion_tsc();
	mark_dirty(s);
	return 0;
}

static bool tx_room(const struct sess *s)
{
	return s->tx_len - s->tx_off + 2 * LG_SCRATCH <= LG_TX_CAP;
}

static void sess_close(struct sess *s, bool lost)
{
	if (s->fd >= 0) {
		epoll_ctl(s->w->ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
	}
	if (lost && s->st != S_CLOSED)
		s->w->c.disconnects++;
	s->st = S_CLOSED;
	s->tx_off = s->tx_len = 0;
	s->rx_len = 0;
}

static void set_events(struct sess *s, bool out)
{
	if (s->want_out == out || s->fd < 0)
		return;
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0u), .data.ptr = s };
	epoll_ctl(s->w->ep, EPOLL_CTL_MOD, s->fd, &ev);
	s->want_out = out;
}

static void flush(struct sess *s)
{
	while (s->fd >= 0 && s->tx_off < s->tx_len) {
		ssize_t n = send(s->fd, s->tx + s->tx_off, s->tx_len - s->tx_off, MSG_NOSIGNAL);
		if (n > 0) {
			s->tx_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_events(s, true);
			return;
		}
		sess_close(s, true);
		return;
	}
	s->tx_off = s->tx_len = 0;
	set_events(s, false);
}

static void flush_dirty(struct worker *w)
{
	for (unsigned i = 0; i < w->n_dirty; i++) {
		struct sess *s = &w->s[w->dirty[i]];
		s->dirty = false;
		flush(s);
	}
	w->n_dirty = 0;
}

static void send_logon(struct sess *s)
{
	struct fix_builder b;
	hdr(s, &b, "A", s->out_seq++, orion_now_ns());
	fix_build_int(&b, 98, 0);
	fix_build_uint(&b, 108, g_opt.hb_int);
	if (g_opt.reset)
		fix_build_char(&b, 141, 'Y');
	if (s->user[0])
		fix_build_cstr(&b, 553, s->user);
	if (g_opt.password[0])
		fix_build_cstr(&b, 554, g_opt.password);
	if (queue(s, &b) == 0)
		s->st = S_LOGON_SENT;
}

static void send_simple(struct sess *s, const char *type, const struct fix_field *test_req_id)
{
	struct fix_builder b;
	hdr(s, &b, type, s->out_seq++, orion_now_ns());
	if (test_req_id)
		fix_build_str(&b, 112, test_req_id->val, test_req_id->len);
	queue(s, &b);
}

/* Answer a ResendRequest by skipping everything: SequenceReset-GapFill from
 * BeginSeqNo to our next sequence number (orders are not resent). */
static void send_gap_fill(struct sess *s, uint64_t begin)
{
	struct fix_builder b;
	uint64_t now = orion_now_ns();
	hdr(s, &b, "4", begin, now);
	fix_build_char(&b, 43, 'Y');
	fix_build_timestamp(&b, 122, now, 6);
	fix_build_char(&b, 123, 'Y');
	fix_build_uint(&b, 36, s->out_seq);
	queue(s, &b);
}

/* Cancel the oldest still-resting order of s, if any. */
static void send_cancel(struct sess *s)
{
	while (s->rest_head != s->rest_tail) {
		uint32_t n = s->rest[s->rest_head & g_opt.ord_mask];
		s->rest_head++;
		struct ord *o = &s->ord[n & g_opt.ord_mask];
		if (o->state != O_RESTING || o->n != n)
			continue; /* filled or already gone */
		struct fix_builder b;
		uint64_t now = orion_now_ns();
		char id[32];
		int idl = snprintf(id, sizeof(id), "L%s%u", g_tag, n);
		hdr(s, &b, "F", s->out_seq, now);
		fix_build_str(&b, 41, id, (size_t)idl);
		id[0] = 'C';
		fix_build_str(&b, 11, id, (size_t)idl);
		if (g_opt.account[0])
			fix_build_cstr(&b, 1, g_opt.account);
		fix_build_cstr(&b, 55, g_opt.sym[o->sym].name);
		fix_build_char(&b, 54, o->side);
		fix_build_timestamp(&b, 60, now, 6);
		fix_build_uint(&b, 38, o->qty);
		if (queue(s, &b) != 0)
			return;
		s->out_seq++;
		o->state = O_CXL_SENT;
		o->t = orion_tsc();
		s->cxl_inflight++;
		s->w->c.cxl_sent++;
		return;
	}
}

/* Queue one NewOrderSingle on s, scheduled at TSC t_sched (open loop) or
 * now (closed loop). Returns 0, or -ENOBUFS when it cannot be sent. */
static int send_order(struct sess *s, uint64_t t_sched)
{
	struct worker *w = s->w;
	if (s->rest_tail - s->rest_head > g_opt.resting)
		send_cancel(s);
	struct ord *o = &s->ord[s->next_n & g_opt.ord_mask];
	if (o->state != O_FREE || !tx_room(s))
		return -ENOBUFS;
	uint64_t r = rng_next(&w->rng);
	uint32_t n = s->next_n;
	o->n = n;
	o->sym = (uint8_t)(r % g_opt.n_sym);
	o->side = (n & 1) ? '2' : '1';
	o->qty = (uint16_t)(100 * (1 + (r >> 16) % 10));
	int64_t off = (int64_t)(1 + (r >> 32) % g_opt.spread_ticks) * g_opt.tick;
	int64_t px = g_opt.sym[o->sym].ref + (o->side == '1' ? -off : off);

	struct fix_builder b;
	uint64_t now = orion_now_ns();
	char id[32];
	int idl = snprintf(id, sizeof(id), "L%s%u", g_tag, n);
	hdr(s, &b, "D", s->out_seq, now);
	fix_build_str(&b, 11, id, (size_t)idl);
	if (g_opt.account[0])
		fix_build_cstr(&b, 1, g_opt.account);
	fix_build_cstr(&b, 55, g_opt.sym[o->sym].name);
	fix_build_char(&b, 54, o->side);
	fix_build_timestamp(&b, 60, now, 6);
	fix_build_uint(&b, 38, o->qty);
	fix_build_char(&b, 40, '2');
	fix_build_price(&b, 44, px);
	fix_build_char(&b, 59, '0');
	if (queue(s, &b) != 0)
		return -ENOBUFS;
	s->out_seq++;
	s->next_n++;
	s->inflight++;
	o->state = O_SENT;
	o->t = t_sched;
	w->c.nos_sent++;
	uint64_t t = orion_tsc();
	if (t_sched >= g_t_measure && t > t_sched)
		orion_hist_add(w->h_lag, orion_tsc_to_ns(t - t_sched));
	return 0;
}

/* ---- receive ------------------------------------------------------------- */

static bool parse_id(const struct fix_field *f, char pfx, uint32_t *n)
{
	uint64_t v;
	if (!f || f->len < 2 + LG_TAG_LEN || f->val[0] != pfx || memcmp(f->val + 1, g_tag, LG_TAG_LEN) ||
	    fix_parse_uint(f->val + 1 + LG_TAG_LEN, f->len - 1 - LG_TAG_LEN, &v) || v > UINT32_MAX)
		return false;
	*n = (uint32_t)v;
	return true;
}

static void order_answered(struct sess *s, struct ord *o)
{
	if (o->state == O_SENT && s->inflight > 0)
		s->inflight--;
}

static bool closed_loop_refill(struct sess *s, uint64_t now)
{
	return g_opt.rate == 0 && now < g_t_end && now >= g_t_start && s->st == S_ACTIVE && !g_stop;
}

static void on_exec_report(struct sess *s, const struct fix_msg *m, uint64_t now)
{
	struct worker *w = s->w;
	const struct fix_field *et = fix_msg_get(m, 150);
	uint32_t n;
	if (!et || et->len != 1) {
		w->c.other_er++;
		return;
	}
	switch (et->val[0]) {
	case '0':
	case '8': {
		struct ord *o;
		if (!parse_id(fix_msg_get(m, 11), 'L', &n) || (o = &s->ord[n & g_opt.ord_mask])->n != n ||
		    o->state != O_SENT) {
			w->c.other_er++;
			return;
		}
		order_answered(s, o);
		if (et->val[0] == '0') {
			w->c.acks++;
			if (now >= g_t_measure && now < g_t_end)
				w->c.acks_window++;
			if (o->t >= g_t_measure && now > o->t)
				orion_hist_add(w->h_new, orion_tsc_to_ns(now - o->t));
			o->state = O_RESTING;
			s->rest[s->rest_tail & g_opt.ord_mask] = n;
			s->rest_tail++;
		} else {
			w->c.rejects++;
			o->state = O_FREE;
		}
		if (closed_loop_refill(s, now))
			send_order(s, orion_tsc());
		return;
	}
	case '4': {
		struct ord *o;
		if (!parse_id(fix_msg_get(m, 41), 'L', &n) || (o = &s->ord[n & g_opt.ord_mask])->n != n ||
		    o->state == O_FREE) {
			w->c.other_er++;
			return;
		}
		if (o->state == O_CXL_SENT) {
			w->c.cxl_acks++;
			s->cxl_inflight--;
			if (o->t >= g_t_measure && o->t < g_t_end && now > o->t)
				orion_hist_add(w->h_cxl, orion_tsc_to_ns(now - o->t));
		} else {
			order_answered(s, o); /* unsolicited cancel (IOC, mass cancel) */
			w->c.other_er++;
		}
		o->state = O_FREE;
		return;
	}
	case 'F': {
		w->c.fills++;
		const struct fix_field *os = fix_msg_get(m, 39);
		struct ord *o;
		if (os && os->val[0] == '2' && parse_id(fix_msg_get(m, 11), 'L', &n) &&
		    (o = &s->ord[n & g_opt.ord_mask])->n == n) {
			order_answered(s, o);
			o->state = O_FREE;
		}
		return;
	}
	default:
		w->c.other_er++;
		return;
	}
}

static void on_msg(struct sess *s, const struct fix_msg *m, uint64_t now)
{
	struct worker *w = s->w;
	const struct fix_field *sf = fix_msg_get(m, 34);
	uint64_t seq = 0;
	if (sf && fix_parse_uint(sf->val, sf->len, &seq) == 0) {
		if (seq > s->in_seq)
			w->c.seq_gaps++;
		if (seq >= s->in_seq)
			s->in_seq = seq + 1;
	}
	if (m->msgtype_len != 1) {
		w->c.other_er++;
		return;
	}
	switch (m->msgtype[0]) {
	case '8':
		on_exec_report(s, m, now);
		break;
	case '9': {
		uint32_t n;
		struct ord *o;
		w->c.cxl_rejects++;
		if (parse_id(fix_msg_get(m, 41), 'L', &n) && (o = &s->ord[n & g_opt.ord_mask])->n == n &&
		    o->state == O_CXL_SENT) {
			o->state = O_FREE;
			s->cxl_inflight--;
		}
		break;
	}
	case 'A':
		if (s->st == S_LOGON_SENT)
			s->st = S_ACTIVE;
		break;
	case '0':
		break;
	case '1':
		send_simple(s, "0", fix_msg_get(m, 112));
		break;
	case '2': {
		const struct fix_field *bf = fix_msg_get(m, 7);
		uint64_t begin;
		w->c.resend_reqs++;
		if (bf && fix_parse_uint(bf->val, bf->len, &begin) == 0 && begin > 0 && begin < s->out_seq)
			send_gap_fill(s, begin);
		break;
	}
	case '4': {
		const struct fix_field *nf = fix_msg_get(m, 36);
		uint64_t next;
		if (nf && fix_parse_uint(nf->val, nf->len, &next) == 0)
			s->in_seq = next;
		break;
	}
	case '3':
		w->c.sess_rejects++;
		break;
	case 'j':
		w->c.biz_rejects++;
		break;
	case '5':
		if (s->st != S_LOGOUT_SENT) {
			w->c.logouts++;
			const struct fix_field *t = fix_msg_get(m, 58);
			fprintf(stderr, "fix_loadgen: %s: Logout from server: %.*s\n", s->sender, t ? (int)t->len : 0,
				t ? t->val : "");
			send_simple(s, "5", NULL);
			flush(s);
		}
		sess_close(s, false);
		break;
	default:
		w->c.other_er++;
		break;
	}
}

static void on_readable(struct sess *s)
{
	struct worker *w = s->w;
	for (unsigned rounds = 0; rounds < 64 && s->fd >= 0; rounds++) {
		size_t room = LG_RX_CAP - s->rx_len;
		ssize_t n = recv(s->fd, s->rx + s->rx_len, room, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			sess_close(s, s->st != S_LOGOUT_SENT);
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		uint64_t now = orion_tsc();
		s->rx_len += (size_t)n;
		size_t off = 0;
		while (off < s->rx_len && s->fd >= 0) {
			struct fix_frame fr;
			enum fix_frame_rc rc = fix_frame(s->rx + off, s->rx_len - off, LG_MAX_MSG, &fr);
			if (rc == FIX_FRAME_NEED_MORE)
				break;
			if (rc == FIX_FRAME_GARBLED) {
				w->c.garbled += fr.len;
				off += fr.len;
				continue;
			}
			if (fix_parse(&w->msg, s->rx + off, fr.len, NULL) == 0)
				on_msg(s, &w->msg, now);
			else
				w->c.garbled += fr.len;
			off += fr.len;
		}
		if (s->fd < 0)
			return;
		if (off > 0) {
			memmove(s->rx, s->rx + off, s->rx_len - off);
			s->rx_len -= off;
		}
		if (s->rx_len == LG_RX_CAP) {
			fprintf(stderr, "fix_loadgen: %s: message larger than the receive buffer\n", s->sender);
			sess_close(s, true);
			return;
		}
		if ((size_t)n < room)
			return; /* short read: the socket is drained */
	}
}

/* ---- connection set-up ---------------------------------------------------- */

static int sess_connect(struct sess *s, const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	s->fd = fd;
	s->st = S_CONNECTING;
	s->want_out = true;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = s };
	if (epoll_ctl(s->w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;
		close(fd);
		s->fd = -1;
		return e;
	}
	return 0;
}

static int wait_events(struct worker *w, struct epoll_event *evs, uint64_t timeout_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000u),
			       .tv_nsec = (long)(timeout_ns % 1000000000u) };
	int n = epoll_pwait2(w->ep, evs, LG_EVENTS, &ts, NULL);
	if (n < 0 && errno == ENOSYS)
		n = epoll_wait(w->ep, evs, LG_EVENTS, (int)((timeout_ns + 999999u) / 1000000u));
	return n;
}

static void handle_events(struct worker *w, struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		struct sess *s = evs[i].data.ptr;
		if (s->fd < 0)
			continue;
		if (s->st == S_CONNECTING) {
			int err = 0;
			socklen_t l = sizeof(err);
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err != 0) {
				if (err == ECONNREFUSED) {
					/* not listening yet: retry shortly */
					epoll_ctl(w->ep, EPOLL_CTL_DEL, s->fd, NULL);
					close(s->fd);
					s->fd = -1;
					s->st = S_IDLE;
					s->retry_at = orion_tsc() + sec_to_tsc(0.1);
				} else {
					fprintf(stderr, "fix_loadgen: %s: connect: %s\n", s->sender, strerror(err));
					sess_close(s, false);
				}
				continue;
			}
			send_logon(s);
			flush(s);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			on_readable(s);
		if (s->fd >= 0 && (evs[i].events & EPOLLOUT))
			flush(s);
	}
}

/* Connect and log on every session of w; returns how many are active. */
static unsigned logon_all(struct worker *w, const struct addrinfo *ai)
{
	struct epoll_event evs[LG_EVENTS];
	uint64_t deadline = orion_tsc() + sec_to_tsc(g_opt.logon_timeout);
	unsigned active = 0;
	for (unsigned i = 0; i < w->n_sess; i++)
		w->s[i].retry_at = 0;
	while (!g_stop) {
		uint64_t now = orion_tsc();
		active = 0;
		unsigned pending = 0;
		for (unsigned i = 0; i < w->n_sess; i++) {
			struct sess *s = &w->s[i];
			if (s->st == S_IDLE && now >= s->retry_at) {
				int rc = sess_connect(s, ai);
				if (rc < 0 && rc != -ECONNREFUSED) {
					fprintf(stderr, "fix_loadgen: %s: connect: %s\n", s->sender, strerror(-rc));
					s->st = S_CLOSED;
				}
			}
			active += s->st == S_ACTIVE;
			pending += s->st != S_ACTIVE && s->st != S_CLOSED;
		}
		if (pending == 0 || now >= deadline)
			break;
		int n = wait_events(w, evs, 10000000u);
		if (n > 0)
			handle_events(w, evs, n);
	}
	for (unsigned i = 0; i < w->n_sess; i++) {
		struct sess *s = &w->s[i];
		if (s->st != S_ACTIVE && s->st != S_CLOSED) {
			fprintf(stderr, "fix_loadgen: %s: no Logon answer\n", s->sender);
			sess_close(s, false);
		}
	}
	return active;
}

/* ---- the run --------------------------------------------------------------- */

static struct sess *next_active(struct worker *w)
{
	for (unsigned i = 0; i < w->n_sess; i++) {
		struct sess *s = &w->s[w->rr++ % w->n_sess];
		if (s->st == S_ACTIVE)
			return s;
	}
	return NULL;
}

static void heartbeats(struct worker *w, uint64_t now)
{
	uint64_t hb = sec_to_tsc(g_opt.hb_int);
	for (unsigned i = 0; i < w->n_sess; i++) {
		struct sess *s = &w->s[i];
		if (s->st == S_ACTIVE && now - s->last_tx > hb)
			send_simple(s, "0", NULL);
	}
}

static void run(struct worker *w)
{
	struct epoll_event evs[LG_EVENTS];
	bool open_loop = g_opt.rate > 0;
	double per_thread = g_opt.rate / g_opt.threads;
	uint64_t next_hb = g_t_start + sec_to_tsc(1);

	if (!open_loop) {
		for (unsigned k = 0; k < g_opt.window; k++)
			for (unsigned i = 0; i < w->n_sess; i++)
				if (w->s[i].st == S_ACTIVE)
					send_order(&w->s[i], orion_tsc());
		flush_dirty(w);
	}
	/* the measured run, then drain outstanding answers for up to 2 s */
	uint64_t drain_end = g_t_end + sec_to_tsc(2);
	for (;;) {
		uint64_t now = orion_tsc();
		uint64_t wait_ns = 1000000;
		if (now >= g_t_end || g_stop) {
			unsigned inflight = 0;
			for (unsigned i = 0; i < w->n_sess; i++)
				inflight += w->s[i].st == S_ACTIVE ? w->s[i].inflight : 0;
			if (inflight == 0 || now >= drain_end)
				break;
		} else if (open_loop) {
			unsigned burst = 0;
			for (;;) {
				/* k-th order of this thread is due at start + k / rate */
				uint64_t due = g_t_start + (uint64_t)((double)w->k * (double)g_orion_clock.tsc_hz / per_thread);
				if (due > now) {
					wait_ns = orion_tsc_to_ns(due - now);
					break;
				}
				if (burst++ >= LG_SEND_BURST) {
					wait_ns = 0;
					break;
				}
				w->k++;
				struct sess *s = next_active(w);
				if (!s || send_order(s, due) != 0)
					w->c.overruns++;
			}
		}
		if (now >= next_hb) {
			heartbeats(w, now);
			next_hb = now + sec_to_tsc(1);
		}
		flush_dirty(w);
		/* sleep until shortly before the next send, then poll */
		if (g_opt.spin || wait_ns <= g_opt.spin_us * 1000ull)
			wait_ns = 0;
		else if (open_loop)
			wait_ns -= g_opt.spin_us * 1000ull;
		int n = wait_events(w, evs, wait_ns);
		if (n > 0)
			handle_events(w, evs, n);
		flush_dirty(w);
	}
}

/* After the run: cancel every order still resting so the server's book is
 * back where it was (2 s at most; not measured). */
static void cancel_all(struct worker *w)
{
	struct epoll_event evs[LG_EVENTS];
	uint64_t deadline = orion_tsc() + sec_to_tsc(2);
	uint64_t sent0 = w->c.cxl_sent;
	while (orion_tsc() < deadline) {
		unsigned pending = 0;
		for (unsigned i = 0; i < w->n_sess; i++) {
			struct sess *s = &w->s[i];
			if (s->st != S_ACTIVE)
				continue;
			while (s->rest_head != s->rest_tail && tx_room(s))
				send_cancel(s);
			pending += (s->rest_head != s->rest_tail) + s->cxl_inflight;
		}
		flush_dirty(w);
		if (pending == 0)
			break;
		int n = wait_events(w, evs, 1000000u);
		if (n > 0)
			handle_events(w, evs, n);
	}
	w->c.cleanup_cxl = w->c.cxl_sent - sent0;
}

static void logout_all(struct worker *w)
{
	struct epoll_event evs[LG_EVENTS];
	for (unsigned i = 0; i < w->n_sess; i++) {
		struct sess *s = &w->s[i];
		if (s->st == S_ACTIVE) {
			send_simple(s, "5", NULL);
			s->st = S_LOGOUT_SENT;
		}
	}
	flush_dirty(w);
	uint64_t deadline = orion_tsc() + sec_to_tsc(1);
	while (orion_tsc() < deadline) {
		unsigned open = 0;
		for (unsigned i = 0; i < w->n_sess; i++)
			open += w->s[i].fd >= 0;
		if (open == 0)
			break;
		int n = wait_events(w, evs, 10000000u);
		if (n > 0)
			handle_events(w, evs, n);
		flush_dirty(w);
	}
	for (unsigned i = 0; i < w->n_sess; i++)
		sess_close(&w->s[i], false);
}

static const struct addrinfo *g_ai;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned active = logon_all(w, g_ai);
	w->rc = active == w->n_sess ? 0 : -ENOTCONN;
	pthread_barrier_wait(&g_bar); /* everyone logged on (or gave up) */
	pthread_barrier_wait(&g_bar); /* main set the phase times */
	if (active > 0 && !g_stop) {
		run(w);
		if (g_opt.cleanup)
			cancel_all(w);
	}
	logout_all(w);
	return NULL;
}

/* ---- set-up and report ------------------------------------------------------ */

static int parse_symbols(const char *list)
{
	char buf[4096];
	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	g_opt.n_sym = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (g_opt.n_sym == LG_MAX_SYMBOLS)
			return -E2BIG;
		struct symbol *sy = &g_opt.sym[g_opt.n_sym];
		char *colon = strchr(t, ':');
		sy->ref = 0;
		if (colon) {
			*colon = '\0';
			if (fix_parse_price(colon + 1, strlen(colon + 1), &sy->ref) || sy->ref <= 0)
				return -EINVAL;
		}
		if (t[0] == '\0' || strlen(t) >= sizeof(sy->name))
			return -EINVAL;
		strcpy(sy->name, t);
		g_opt.n_sym++;
	}
	return g_opt.n_sym > 0 ? 0 : -EINVAL;
}

static void cpu_model(char *out, size_t cap)
{
	snprintf(out, cap, "unknown CPU");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');
			if (p) {
				p += 1 + (p[1] == ' ');
				p[strcspn(p, "\n")] = '\0';
				snprintf(out, cap, "%s", p);
			}
			break;
		}
	}
	fclose(f);
}

static void pr_hist(const char *name, const struct orion_hist *h)
{
	printf("fix_loadgen: %-18s n=%-9llu p50=%8.1f p99=%8.1f p99.9=%8.1f max=%9.1f mean=%8.1f us\n", name,
	       (unsigned long long)h->count, (double)orion_hist_pct(h, 50) / 1e3, (double)orion_hist_pct(h, 99) / 1e3,
	       (double)orion_hist_pct(h, 99.9) / 1e3, (double)h->max / 1e3, orion_hist_mean(h) / 1e3);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fix_loadgen [options]\n"
		"  --host H            server address (127.0.0.1)\n"
		"  --port P            server port (9878)\n"
		"  --sessions N        FIX sessions (1)\n"
		"  --threads T         threads; sessions are split across them (1)\n"
		"  --rate R            NewOrderSingle per second in total, open loop; 0 = max rate (closed loop) (10000)\n"
		"  --window W          closed loop: outstanding orders per session (8)\n"
		"  --seconds S         measured duration (5)\n"
		"  --warmup S          seconds sent but not measured, before the measured duration (1)\n"
		"  --symbols LIST      SYM[:REFPX],... (AAPL,MSFT,GOOG,AMZN)\n"
		"  --ref-price PX      reference price of symbols without :REFPX (100)\n"
		"  --tick PX           price increment (0.01)\n"
		"  --spread-ticks K    orders are priced 1..K ticks away from the reference (200)\n"
		"  --resting K         resting orders per session before each new order cancels the oldest (100)\n"
		"  --sender-prefix P   SenderCompID = P1..PN (CLIENT)\n"
		"  --user-prefix P     Username (553) = P1..PN (lower-case sender prefix); '' = none\n"
		"  --target T          TargetCompID (ORION)\n"
		"  --password P        Password (554) for every session (none)\n"
		"  --account A         Account (1) on every order (none)\n"
		"  --heartbeat S       HeartBtInt (30)\n"
		"  --no-reset          do not send ResetSeqNumFlag=Y on Logon\n"
		"  --no-cleanup        leave the orders resting at the end (default: cancel them, 2 s at most)\n"
		"  --spin              busy-poll (epoll timeout 0) all the time\n"
		"  --spin-us U         open loop: stop sleeping U us before the next send is due (20)\n"
		"  --logon-timeout S   give up on sessions not logged on after S seconds (10)\n"
		"  --order-slots N     orders tracked per session, power of two (16384)\n");
}

static int parse_args(int argc, char **argv)
{
	enum { O_HOST = 256, O_PORT, O_SESS, O_THR, O_RATE, O_WIN, O_SEC, O_WARM, O_SYM, O_REF, O_TICK, O_SPREAD,
	       O_REST, O_SPFX, O_UPFX, O_TGT, O_PW, O_ACC, O_HB, O_NORESET, O_NOCLEANUP, O_SPIN, O_SPINUS, O_LT, O_SLOTS, O_HELP };
	static const struct option lo[] = {
		{ "host", 1, 0, O_HOST },	{ "port", 1, 0, O_PORT },	  { "sessions", 1, 0, O_SESS },
		{ "threads", 1, 0, O_THR },	{ "rate", 1, 0, O_RATE },	  { "window", 1, 0, O_WIN },
		{ "seconds", 1, 0, O_SEC },	{ "warmup", 1, 0, O_WARM },	  { "symbols", 1, 0, O_SYM },
		{ "ref-price", 1, 0, O_REF },	{ "tick", 1, 0, O_TICK },	  { "spread-ticks", 1, 0, O_SPREAD },
		{ "resting", 1, 0, O_REST },	{ "sender-prefix", 1, 0, O_SPFX }, { "user-prefix", 1, 0, O_UPFX },
		{ "target", 1, 0, O_TGT },	{ "password", 1, 0, O_PW },	  { "account", 1, 0, O_ACC },
		{ "heartbeat", 1, 0, O_HB },	{ "no-reset", 0, 0, O_NORESET },
		{ "no-cleanup", 0, 0, O_NOCLEANUP },  { "spin", 0, 0, O_SPIN },
		{ "spin-us", 1, 0, O_SPINUS },
		{ "logon-timeout", 1, 0, O_LT }, { "order-slots", 1, 0, O_SLOTS }, { "help", 0, 0, O_HELP },
		{ 0, 0, 0, 0 },
	};
	const char *symbols = "AAPL,MSFT,GOOG,AMZN", *ref = "100", *tick = "0.01";
	bool user_set = false;
	g_opt.host = "127.0.0.1";
	g_opt.port = "9878";
	g_opt.sessions = 1;
	g_opt.threads = 1;
	g_opt.rate = 10000;
	g_opt.window = 8;
	g_opt.seconds = 5;
	g_opt.warmup = 1;
	g_opt.spread_ticks = 200;
	g_opt.resting = 100;
	g_opt.hb_int = 30;
	g_opt.reset = true;
	g_opt.cleanup = true;
	g_opt.spin_us = 20;
	g_opt.logon_timeout = 10;
	g_opt.ord_cap = 16384;
	strcpy(g_opt.sender_prefix, "CLIENT");
	strcpy(g_opt.target, "ORION");
	int c;
	char *end;
#define NUM(dst, conv)                                                 \
	do {                                                           \
		errno = 0;                                             \
		dst = conv;                                            \
		if (errno || end == optarg || *end) {                  \
			fprintf(stderr, "fix_loadgen: bad number '%s'\n", optarg); \
			return -EINVAL;                                \
		}                                                      \
	} while (0)
#define STR(dst)                                                       \
	do {                                                           \
		if (strlen(optarg) >= sizeof(dst)) {                   \
			fprintf(stderr, "fix_loadgen: '%s' too long\n", optarg); \
			return -EINVAL;                                \
		}                                                      \
		strcpy(dst, optarg);                                   \
	} while (0)
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_HOST: g_opt.host = optarg; break;
		case O_PORT: g_opt.port = optarg; break;
		case O_SESS: NUM(g_opt.sessions, (unsigned)strtoul(optarg, &end, 10)); break;
		case O_THR: NUM(g_opt.threads, (unsigned)strtoul(optarg, &end, 10)); break;
		case O_RATE: NUM(g_opt.rate, strtod(optarg, &end)); break;
		case O_WIN: NUM(g_opt.window, (unsigned)strtoul(optarg, &end, 10)); break;
		case O_SEC: NUM(g_opt.seconds, strtod(optarg, &end)); break;
		case O_WARM: NUM(g_opt.warmup, strtod(optarg, &end)); break;
		case O_SYM: symbols = optarg; break;
		case O_REF: ref = optarg; break;
		case O_TICK: tick = optarg; break;
		case O_SPREAD: NUM(g_opt.spread_ticks, (unsigned)strtoul(optarg, &end, 10)); break;
		case O_REST: NUM(g_opt.resting, (unsigned)strtoul(optarg, &end, 10)); break;
		case O_SPFX: STR(g_opt.sender_prefix); break;
		case O_UPFX: STR(g_opt.user_prefix); user_set = true; break;
		case O_TGT: STR(g_opt.target); break;
		case O_PW: STR(g_opt.password); break;
		case O_ACC: STR(g_opt.account); break;
		case O_HB: NUM(g_opt.hb_int, (unsigned)strtoul(optarg, &end, 10)); break;
		case O_NORESET: g_opt.reset = false; break;
		case O_NOCLEANUP: g_opt.cleanup = false; break;
		case O_SPIN: g_opt.spin = true; break;
		case O_SPINUS: NUM(g_opt.spin_us, (unsigned)strtoul(optarg, &end, 10)); break;
		case O_LT: NUM(g_opt.logon_timeout, strtod(optarg, &end)); break;
		case O_SLOTS: NUM(g_opt.ord_cap, (uint32_t)strtoul(optarg, &end, 10)); break;
		case O_HELP:
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
#undef NUM
#undef STR
	if (optind != argc || g_opt.sessions == 0 || g_opt.sessions > LG_MAX_SESSIONS || g_opt.threads == 0 ||
	    g_opt.threads > LG_MAX_THREADS || g_opt.threads > g_opt.sessions || g_opt.rate < 0 ||
	    g_opt.seconds <= 0 || g_opt.warmup < 0 || g_opt.spread_ticks == 0 || g_opt.hb_int == 0 ||
	    g_opt.ord_cap < 64 || (g_opt.ord_cap & (g_opt.ord_cap - 1)) || g_opt.ord_cap > (1u << 24) ||
	    g_opt.resting >= g_opt.ord_cap / 2 || (g_opt.rate == 0 && (g_opt.window == 0 ||
	    g_opt.window + g_opt.resting >= g_opt.ord_cap / 2))) {
		fprintf(stderr, "fix_loadgen: bad or inconsistent arguments\n");
		usage(stderr);
		return -EINVAL;
	}
	g_opt.ord_mask = g_opt.ord_cap - 1;
	int64_t refpx;
	if (fix_parse_price(ref, strlen(ref), &refpx) || refpx <= 0 ||
	    fix_parse_price(tick, strlen(tick), &g_opt.tick) || g_opt.tick <= 0 || parse_symbols(symbols)) {
		fprintf(stderr, "fix_loadgen: bad --symbols, --ref-price or --tick\n");
		return -EINVAL;
	}
	for (unsigned i = 0; i < g_opt.n_sym; i++) {
		if (g_opt.sym[i].ref == 0)
			g_opt.sym[i].ref = refpx;
		if ((int64_t)g_opt.spread_ticks * g_opt.tick >= g_opt.sym[i].ref) {
			fprintf(stderr, "fix_loadgen: --spread-ticks x --tick reaches zero for %s\n", g_opt.sym[i].name);
			return -EINVAL;
		}
	}
	if (!user_set) {
		size_t i;
		for (i = 0; g_opt.sender_prefix[i]; i++) {
			char ch = g_opt.sender_prefix[i];
			g_opt.user_prefix[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
		}
		g_opt.user_prefix[i] = '\0';
	}
	return 0;
}

static void sum_counters(struct counters *d, const struct counters *s)
{
	const uint64_t *a = (const uint64_t *)s;
	uint64_t *b = (uint64_t *)d;
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		b[i] += a[i];
}

int main(int argc, char **argv)
{
	int rc = parse_args(argc, argv);
	if (rc)
		return 2;
	if (orion_time_init(20)) {
		fprintf(stderr, "fix_loadgen: TSC calibration failed\n");
		return 1;
	}
	snprintf(g_tag, sizeof(g_tag), "%08x",
		 (uint32_t)(orion_realtime_ns() / 1000000u) * 2654435761u ^ (uint32_t)getpid());
	/* wake-ups as precise as the kernel allows (default slack: 50 us) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
	rc = getaddrinfo(g_opt.host, g_opt.port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "fix_loadgen: %s:%s: %s\n", g_opt.host, g_opt.port, gai_strerror(rc));
		return 2;
	}
	g_ai = ai;

	/* all memory up front */
	struct sess *sess = calloc(g_opt.sessions, sizeof(*sess));
	struct worker *ws = calloc(g_opt.threads, sizeof(*ws));
	if (!sess || !ws)
		return 1;
	for (unsigned i = 0; i < g_opt.sessions; i++) {
		struct sess *s = &sess[i];
		s->fd = -1;
		s->idx = (int)i + 1;
		s->out_seq = s->in_seq = 1;
		snprintf(s->sender, sizeof(s->sender), "%s%u", g_opt.sender_prefix, i + 1);
		snprintf(s->target, sizeof(s->target), "%s", g_opt.target);
		if (g_opt.user_prefix[0])
			snprintf(s->user, sizeof(s->user), "%s%u", g_opt.user_prefix, i + 1);
		s->rx = malloc(LG_RX_CAP);
		s->tx = malloc(LG_TX_CAP);
		s->ord = calloc(g_opt.ord_cap, sizeof(*s->ord));
		s->rest = calloc(g_opt.ord_cap, sizeof(*s->rest));
		if (!s->rx || !s->tx || !s->ord || !s->rest) {
			fprintf(stderr, "fix_loadgen: out of memory\n");
			return 1;
		}
	}
	unsigned per = g_opt.sessions / g_opt.threads, extra = g_opt.sessions % g_opt.threads, first = 0;
	for (unsigned t = 0; t < g_opt.threads; t++) {
		struct worker *w = &ws[t];
		w->id = (int)t;
		w->s = &sess[first];
		w->n_sess = per + (t < extra);
		first += w->n_sess;
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->dirty = calloc(w->n_sess, sizeof(*w->dirty));
		w->h_new = malloc(sizeof(*w->h_new));
		w->h_cxl = malloc(sizeof(*w->h_cxl));
		w->h_lag = malloc(sizeof(*w->h_lag));
		if (w->ep < 0 || !w->dirty || !w->h_new || !w->h_cxl || !w->h_lag) {
			fprintf(stderr, "fix_loadgen: set-up failed\n");
			return 1;
		}
		orion_hist_reset(w->h_new);
		orion_hist_reset(w->h_cxl);
		orion_hist_reset(w->h_lag);
		w->tsc.sec = UINT64_MAX;
		w->rng = 0x9E3779B97F4A7C15ull * (t + 1);
		for (unsigned i = 0; i < w->n_sess; i++)
			w->s[i].w = w;
	}
	/* the phases are far in the future until main sets them */
	g_t_start = g_t_measure = g_t_end = UINT64_MAX;
	pthread_barrier_init(&g_bar, NULL, g_opt.threads + 1);
	for (unsigned t = 0; t < g_opt.threads; t++)
		if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t])) {
			fprintf(stderr, "fix_loadgen: pthread_create failed\n");
			return 1;
		}
	pthread_barrier_wait(&g_bar);
	unsigned active = 0;
	for (unsigned i = 0; i < g_opt.sessions; i++)
		active += sess[i].st == S_ACTIVE;
	uint64_t t0 = orion_tsc();
	g_t_start = t0;
	g_t_measure = t0 + sec_to_tsc(g_opt.warmup);
	g_t_end = g_t_measure + sec_to_tsc(g_opt.seconds);
	if (active == 0)
		g_stop = 1;
	pthread_barrier_wait(&g_bar);
	for (unsigned t = 0; t < g_opt.threads; t++)
		pthread_join(ws[t].tid, NULL);
	freeaddrinfo(ai);

	struct orion_hist *hn = malloc(sizeof(*hn)), *hc = malloc(sizeof(*hc)), *hl = malloc(sizeof(*hl));
	if (!hn || !hc || !hl)
		return 1;
	orion_hist_reset(hn);
	orion_hist_reset(hc);
	orion_hist_reset(hl);
	struct counters c = { 0 };
	for (unsigned t = 0; t < g_opt.threads; t++) {
		orion_hist_merge(hn, ws[t].h_new);
		orion_hist_merge(hc, ws[t].h_cxl);
		orion_hist_merge(hl, ws[t].h_lag);
		sum_counters(&c, &ws[t].c);
	}
	uint64_t unanswered = 0;
	for (unsigned i = 0; i < g_opt.sessions; i++)
		unanswered += sess[i].inflight;

	char cpu[256];
	struct utsname un;
	cpu_model(cpu, sizeof(cpu));
	uname(&un);
	double ops = (double)c.acks_window / g_opt.seconds;
	printf("fix_loadgen: machine: %s, %ld CPUs, TSC %.3f GHz, %s %s, host %s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
	       (double)g_orion_clock.tsc_hz / 1e9, un.sysname, un.release, un.nodename);
	if (g_opt.rate > 0)
		printf("fix_loadgen: params: %s:%s sessions=%u (logged on %u) threads=%u rate=%.0f/s open loop%s spin-us=%u "
		       "seconds=%.1f warmup=%.1f\n",
		       g_opt.host, g_opt.port, g_opt.sessions, active, g_opt.threads, g_opt.rate,
		       g_opt.spin ? " (spin)" : "", g_opt.spin_us, g_opt.seconds, g_opt.warmup);
	else
		printf("fix_loadgen: params: %s:%s sessions=%u (logged on %u) threads=%u rate=max closed loop window=%u "
		       "per session%s seconds=%.1f warmup=%.1f\n",
		       g_opt.host, g_opt.port, g_opt.sessions, active, g_opt.threads, g_opt.window,
		       g_opt.spin ? " (spin)" : "", g_opt.seconds, g_opt.warmup);
	printf("fix_loadgen: mix: limit DAY orders on %u symbols, sides alternate, 1..%u ticks away from the reference "
	       "(never cross), qty 100..1000; cancel of the oldest once > %u resting per session\n",
	       g_opt.n_sym, g_opt.spread_ticks, g_opt.resting);
	pr_hist("NOS->New", hn);
	pr_hist("Cancel->Canceled", hc);
	if (g_opt.rate > 0)
		pr_hist("send lag", hl);
	printf("fix_loadgen: orders/s=%.0f sent=%llu acked=%llu cancels=%llu/%llu rejects=%llu cxl_rejects=%llu "
	       "session_rejects=%llu business_rejects=%llu fills=%llu unanswered=%llu overruns=%llu other=%llu "
	       "seq_gaps=%llu resend_reqs=%llu garbled_bytes=%llu logouts=%llu disconnects=%llu "
	       "cleanup_cancels=%llu\n",
	       ops, (unsigned long long)c.nos_sent, (unsigned long long)c.acks, (unsigned long long)c.cxl_acks,
	       (unsigned long long)c.cxl_sent, (unsigned long long)c.rejects, (unsigned long long)c.cxl_rejects,
	       (unsigned long long)c.sess_rejects, (unsigned long long)c.biz_rejects, (unsigned long long)c.fills,
	       (unsigned long long)unanswered, (unsigned long long)c.overruns, (unsigned long long)c.other_er,
	       (unsigned long long)c.seq_gaps, (unsigned long long)c.resend_reqs, (unsigned long long)c.garbled,
	       (unsigned long long)c.logouts, (unsigned long long)c.disconnects, (unsigned long long)c.cleanup_cxl);
	printf("RESULT sessions=%u active=%u rate=%.0f window=%u orders_per_s=%.0f n=%llu p50_ns=%llu p99_ns=%llu "
	       "p999_ns=%llu max_ns=%llu cxl_p99_ns=%llu lag_p99_ns=%llu rejects=%llu unanswered=%llu overruns=%llu "
	       "errors=%llu\n",
	       g_opt.sessions, active, g_opt.rate, g_opt.rate > 0 ? 0 : g_opt.window, ops,
	       (unsigned long long)hn->count, (unsigned long long)orion_hist_pct(hn, 50),
	       (unsigned long long)orion_hist_pct(hn, 99), (unsigned long long)orion_hist_pct(hn, 99.9),
	       (unsigned long long)hn->max, (unsigned long long)orion_hist_pct(hc, 99),
	       (unsigned long long)orion_hist_pct(hl, 99), (unsigned long long)c.rejects,
	       (unsigned long long)unanswered, (unsigned long long)c.overruns,
	       (unsigned long long)(c.cxl_rejects + c.sess_rejects + c.biz_rejects + c.disconnects + c.logouts));
	fflush(stdout);

	for (unsigned i = 0; i < g_opt.sessions; i++) {
		free(sess[i].rx);
		free(sess[i].tx);
		free(sess[i].ord);
		free(sess[i].rest);
	}
	for (unsigned t = 0; t < g_opt.threads; t++) {
		close(ws[t].ep);
		free(ws[t].dirty);
		free(ws[t].h_new);
		free(ws[t].h_cxl);
		free(ws[t].h_lag);
	}
	free(hn);
	free(hc);
	free(hl);
	free(sess);
	free(ws);
	pthread_barrier_destroy(&g_bar);
	return active > 0 ? 0 : 1;
}
