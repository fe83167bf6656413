/* Prometheus text exposition of every dataplane counter, served on a local
 * endpoint by the main lcore (non-blocking, one short request at a time) and
 * printed at shutdown. The control plane will absorb this into its /metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "common/orion_time.h"
#include "controlplane/cp.h"
#include "controlplane/exporter.h"
#include "dataplane/me/risk.h"
#include "dataplane/oriond.h"

int dp_metrics_open(struct oriond *od)
{
	od->metrics_fd = -1;
	od->start_ns = orion_monotonic_ns();
	if (!od->cfg.metrics_port)
		return 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(od->cfg.metrics_port),
				 .sin_addr.s_addr = od->cfg.metrics_ip_be };
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0) {
		int e = errno;
		fprintf(stderr, "oriond: metrics listen on port %u: %s\n", od->cfg.metrics_port, strerror(e));
		close(fd);
		return -e;
	}
	od->metrics_fd = fd;
	printf("oriond: metrics on http://%s:%u/metrics\n", inet_ntoa(a.sin_addr), od->cfg.metrics_port);
	return 0;
}

struct feed_counter_ctx {
	FILE *f;
	const char *feed;
};

static void feed_counter(void *arg, const char *name, const char *label, uint64_t v)
{
	struct feed_counter_ctx *c = arg;
	fprintf(c->f, "orion_%s{feed=\"%s\"%s%s} %" PRIu64 "\n", name, c->feed, label ? "," : "", label ? label : "", v);
}

static void og_counter(void *arg, const char *name, const char *label, uint64_t v)
{
	struct feed_counter_ctx *c = arg;
	fprintf(c->f, "orion_%s%s%s%s %" PRIu64 "\n", name, label ? "{" : "", label ? label : "", label ? "}" : "", v);
}

#define LC_METRIC(f, name, help, field)                                                                      \
	do {                                                                                                 \
		fprintf(f, "# HELP orion_lcore_%s %s\n# TYPE orion_lcore_%s counter\n", name, help, name); \
		for (unsigned i_ = 0; i_ < od->n_lcores; i_++)                                               \
			fprintf(f, "orion_lcore_%s{lcore=\"%u\"} %" PRIu64 "\n", name, od->lcores[i_].lcore_id,   \
				od->lcores[i_].st.field);                                                    \
	} while (0)

void dp_metrics_write(struct oriond *od, FILE *f)
{
	LC_METRIC(f, "rx_packets_total", "Packets received by the lcore.", rx_packets);
	LC_METRIC(f, "rx_bytes_total", "Bytes received by the lcore.", rx_bytes);
	LC_METRIC(f, "md_packets_total", "Feed packets run through the market-data stage.", md_packets);
	LC_METRIC(f, "ring_full_total", "Pipeline hand-over ring full (packet dropped).", ring_full);
	LC_METRIC(f, "rx_backpressure_total", "Loop turns that left packets in the port queue: md ring full.", rx_backpressure);
	LC_METRIC(f, "arp_replies_total", "ARP replies sent for the port address.", arp_replies);
	LC_METRIC(f, "busy_cycles_total", "TSC cycles of loop turns that did work.", busy_cycles);
	LC_METRIC(f, "idle_cycles_total", "TSC cycles of empty loop turns.", idle_cycles);
	fprintf(f, "# HELP orion_lcore_drops_total Frames not used as market data, by reason.\n"
		   "# TYPE orion_lcore_drops_total counter\n");
	for (unsigned i = 0; i < od->n_lcores; i++)
		for (unsigned r = 1; r < DP_PKT__COUNT; r++)
			fprintf(f, "orion_lcore_drops_total{lcore=\"%u\",reason=\"%s\"} %" PRIu64 "\n",
				od->lcores[i].lcore_id, dp_pkt_drop_name((enum dp_pkt_drop)r), od->lcores[i].st.drop[r]);
	fprintf(f, "# HELP orion_lcore_busy_ratio Share of cycles spent on work.\n# TYPE orion_lcore_busy_ratio gauge\n");
	for (unsigned i = 0; i < od->n_lcores; i++) {
		const struct dp_lcore_stats *s = &od->lcores[i].st;
		uint64_t tot = s->busy_cycles + s->idle_cycles;
		fprintf(f, "orion_lcore_busy_ratio{lcore=\"%u\"} %.4f\n", od->lcores[i].lcore_id,
			tot ? (double)s->busy_cycles / (double)tot : 0.0);
	}
	fprintf(f, "# HELP orion_feed_packets_total Feed packets by line (A, B, R = re-request responses).\n"
		   "# TYPE orion_feed_packets_total counter\n");
	for (unsigned fi = 0; fi < od->cfg.n_feeds; fi++) {
		const struct dp_md_stats *s = od->feed_rt[fi].md ? dp_md_stats(od->feed_rt[fi].md) : NULL;
		for (unsigned l = 0; s && l < 3; l++)
			fprintf(f, "orion_feed_packets_total{feed=\"%s\",line=\"%c\"} %" PRIu64 "\n", od->cfg.feeds[fi].name,
				"ABR"[l], s->packets[l]);
	}
	for (unsigned fi = 0; fi < od->cfg.n_feeds; fi++) {
		if (!od->feed_rt[fi].md)
			continue;
		struct feed_counter_ctx c = { f, od->cfg.feeds[fi].name };
		dp_md_foreach_counter(od->feed_rt[fi].md, feed_counter, &c);
	}
	if (od->og) {
		struct feed_counter_ctx c = { f, NULL };
		og_foreach_counter(od->og, og_counter, &c);
	}
	if (od->exp) {
		struct feed_counter_ctx c = { f, NULL };
		exp_foreach_counter(od->exp, og_counter, &c);
	}
	fprintf(f, "# HELP orion_consumer_records_total Records taken from the dataplane rings by the main lcore.\n"
		   "# TYPE orion_consumer_records_total counter\n"
		   "orion_consumer_records_total{stream=\"ticks\"} %" PRIu64 "\n"
		   "orion_consumer_records_total{stream=\"conflated\"} %" PRIu64 "\n"
		   "orion_consumer_records_total{stream=\"events\"} %" PRIu64 "\n"
		   "orion_consumer_records_total{stream=\"order_events\"} %" PRIu64 "\n"
		   "orion_admin_commands_total{result=\"sent\"} %" PRIu64 "\n"
		   "orion_admin_commands_total{result=\"ring_full\"} %" PRIu64 "\n",
		od->cons.ticks, od->cons.conflated, od->cons.events, od->cons.order_events, od->cons.cmds_sent,
		od->cons.cmds_ring_full);
	fprintf(f, "# HELP orion_tsc_hz Calibrated TSC frequency (cycles counters divide by it).\n"
		   "# TYPE orion_tsc_hz gauge\norion_tsc_hz %" PRIu64 "\n", g_orion_clock.tsc_hz);
	fprintf(f, "# HELP orion_uptime_seconds Seconds since start.\n# TYPE orion_uptime_seconds gauge\n"
		   "orion_uptime_seconds %.3f\n", (double)(orion_monotonic_ns() - od->start_ns) / 1e9);
}

static int qnum(const char *q, const char *key, uint64_t max, uint64_t *out, int *present)
{
	char v[32];
	*present = 0;
	if (cp_query_arg(q, key, v, sizeof(v)) != 0)
		return 0;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (!v[0] || *end || errno || x > max)
		return -1;
	*out = x;
	*present = 1;
	return 0;
}

#define JSON_ERR(m, code, msg, field)                                                                         \
	(fprintf(m, "{\"code\":\"%s\",\"message\":\"%s\",\"field\":\"%s\"}\n", code, msg, field), "400 Bad Request")

/* POST /admin/kill?scope=global|tenant|session|account&id=N&on=1|0&cancel=1|0
 * POST /admin/limits?session=N&rate=R&burst=B&max_open_orders=N
 * POST /admin/limits?account=N&max_order_qty=Q&max_notional=X&credit_limit=C&max_open_orders=N
 *      (amounts in 1e-8 currency units, 0 = unlimited)
 * Until the control plane serves the authenticated API, these live on the
 * local endpoint only: keep [metrics] listen on 127.0.0.1. */
static const char *admin(struct oriond *od, const char *path, const char *q, FILE *m)
{
	struct risk_cmd cmd;
	memset(&cmd, 0, sizeof(cmd));
	uint64_t v;
	int has;
	if (!strcmp(path, "/admin/kill")) {
		static const char *const scopes[] = { "global", "tenant", "session", "account" };
		char sc[16] = "";
		int scope = -1;
		cp_query_arg(q, "scope", sc, sizeof(sc));
		for (int i = 0; i < 4; i++)
			if (!strcmp(sc, scopes[i]))
				scope = i;
		if (scope < 0)
			return JSON_ERR(m, "bad_scope", "scope must be global, tenant, session or account", "scope");
		cmd.type = RISK_CMD_KILL;
		cmd.scope = (uint8_t)scope;
		if (qnum(q, "id", UINT32_MAX - 1, &v, &has) || (scope && !has))
			return JSON_ERR(m, "bad_id", "id must be a number for this scope", "id");
		cmd.id = has ? (uint32_t)v : 0;
		if (qnum(q, "on", 1, &v, &has) || !has)
			return JSON_ERR(m, "bad_on", "on must be 0 or 1", "on");
		cmd.flags = v ? RISK_CMDF_ON : 0;
		if (qnum(q, "cancel", 1, &v, &has))
			return JSON_ERR(m, "bad_cancel", "cancel must be 0 or 1", "cancel");
		if (has && v)
			cmd.flags |= RISK_CMDF_CANCEL;
	} else if (!strcmp(path, "/admin/limits")) {
		int hs, ha;
		uint64_t sid, aid;
		if (qnum(q, "session", UINT32_MAX - 1, &sid, &hs) || qnum(q, "account", UINT32_MAX - 1, &aid, &ha) ||
		    hs == ha)
			return JSON_ERR(m, "bad_target", "give exactly one of session=N or account=N", "session");
		if (hs) {
			cmd.type = RISK_CMD_SESSION_LIMITS;
			cmd.id = (uint32_t)sid;
			if (qnum(q, "rate", UINT32_MAX, &v, &has))
				return JSON_ERR(m, "bad_value", "rate must be a number", "rate");
			cmd.u.session.rate_per_s = (uint32_t)v * (uint32_t)has;
			if (qnum(q, "burst", UINT32_MAX, &v, &has))
				return JSON_ERR(m, "bad_value", "burst must be a number", "burst");
			cmd.u.session.burst = has ? (uint32_t)v : (cmd.u.session.rate_per_s ? cmd.u.session.rate_per_s : 1);
			if (qnum(q, "max_open_orders", UINT32_MAX, &v, &has))
				return JSON_ERR(m, "bad_value", "max_open_orders must be a number", "max_open_orders");
			cmd.u.session.max_open_orders = (uint32_t)v * (uint32_t)has;
		} else {
			cmd.type = RISK_CMD_ACCOUNT_LIMITS;
			cmd.id = (uint32_t)aid;
			if (qnum(q, "max_order_qty", UINT32_MAX, &v, &has))
				return JSON_ERR(m, "bad_value", "max_order_qty must be a number", "max_order_qty");
			cmd.u.account.max_order_qty = (uint32_t)v * (uint32_t)has;
			if (qnum(q, "max_open_orders", UINT32_MAX, &v, &has))
				return JSON_ERR(m, "bad_value", "max_open_orders must be a number", "max_open_orders");
			cmd.u.account.max_open_orders = (uint32_t)v * (uint32_t)has;
			if (qnum(q, "max_notional", INT64_MAX, &v, &has))
				return JSON_ERR(m, "bad_value", "max_notional must be a number", "max_notional");
			cmd.u.account.max_order_notional = has ? (int64_t)v : 0;
			if (qnum(q, "credit_limit", INT64_MAX, &v, &has))
				return JSON_ERR(m, "bad_value", "credit_limit must be a number", "credit_limit");
			cmd.u.account.credit_limit = has ? (int64_t)v : 0;
		}
	} else {
		fprintf(m, "{\"code\":\"not_found\",\"message\":\"no such admin path\",\"field\":\"\"}\n");
		return "404 Not Found";
	}
	int rc = dp_send_cmd(od, &cmd);
	if (rc == -ENOTSUP) {
		fprintf(m, "{\"code\":\"no_order_entry\",\"message\":\"FIX order entry is not configured\",\"field\":\"\"}\n");
		return "409 Conflict";
	}
	if (rc) {
		fprintf(m, "{\"code\":\"busy\",\"message\":\"command ring full, retry\",\"field\":\"\"}\n");
		return "503 Service Unavailable";
	}
	fprintf(m, "{\"ok\":true}\n");
	return "202 Accepted";
}

void dp_metrics_poll(struct oriond *od)
{
	if (od->metrics_fd < 0)
		return;
	for (int k = 0; k < 4; k++) {
		int c = accept4(od->metrics_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			return;
		/* Read the request head with a short bound; we answer any GET. */
		char req[2048];
		size_t got = 0;
		struct pollfd p = { .fd = c, .events = POLLIN };
		while (got < sizeof(req) - 1 && poll(&p, 1, 200) == 1) {
			ssize_t r = read(c, req + got, sizeof(req) - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[got] = '\0';
		char *body = NULL;
		size_t blen = 0;
		FILE *m = open_memstream(&body, &blen);
		const char *status = "200 OK", *ctype = "text/plain; version=0.0.4";
		if (m) {
			char method[8] = "", target[512] = "";
			if (sscanf(req, "%7s %511s", method, target) == 2 && !strcmp(method, "GET") &&
			    !strcmp(target, "/metrics")) {
				dp_metrics_write(od, m);
			} else if (!strcmp(method, "POST") && !strncmp(target, "/admin/", 7)) {
				char *qs = strchr(target, '?');
				if (qs)
					*qs++ = '\0';
				ctype = "application/json";
				status = admin(od, target, qs ? qs : "", m);
			} else {
				status = "404 Not Found";
				fputs("GET /metrics, POST /admin/kill, POST /admin/limits\n", m);
			}
			fclose(m);
		}
		char head[256];
		int hl = snprintf(head, sizeof(head),
				  "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				  "Connection: close\r\n\r\n", status, ctype, blen);
		/* Blocking writes bounded by a send timeout. */
		struct timeval tv = { .tv_sec = 1 };
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (write(c, head, (size_t)hl) == hl && body)
			(void)!write(c, body, blen);
		free(body);
		close(c);
	}
}

void dp_metrics_final(struct oriond *od, FILE *f)
{
	fprintf(f, "oriond: final statistics\n");
	dp_metrics_write(od, f);
	if (od->metrics_fd >= 0)
		close(od->metrics_fd);
	od->metrics_fd = -1;
}
