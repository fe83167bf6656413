/* The cp thread: libwebsockets context (HTTP/1.1, HTTP/2 over TLS,
 * WebSocket), the one protocol callback, HTTP request collection and
 * response writing, the static file mount, and the loop's timers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "controlplane/cp_int.h"

#define DRAIN_US 1000              /* queues drained every millisecond */
#define HTTP_CHUNK (16u << 10)

struct cp_http {
	int method;
	int metrics;                   /* text/plain body */
	char path[512];
	char query[1024];
	char auth[CP_TOKEN_MAX + 16];
	char idem[96];
	char peer[48];
	char *body;
	size_t body_len, body_cap;
	int too_big;
	int dispatched;                /* answered: later body callbacks are ignored */
	struct cp_resp rs;
	size_t sent;
};

static void http_free(struct cp_pss *pss)
{
	struct cp_http *h = pss->http;
	if (!h)
		return;
	free(h->body);
	cp_buf_free(&h->rs.body);
	free(h);
	pss->http = NULL;
}

static int method_of(int lws_method)
{
	switch (lws_method) {
	case LWSHUMETH_GET:
		return CP_GET;
	case LWSHUMETH_POST:
		return CP_POST;
	case LWSHUMETH_PUT:
		return CP_PUT;
	case LWSHUMETH_PATCH:
		return CP_PATCH;
	case LWSHUMETH_DELETE:
		return CP_DELETE;
	default:
		return CP_OTHER;
	}
}

static int respond(struct lws *wsi, struct cp_pss *pss)
{
	struct cp_http *h = pss->http;
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	const char *ct = h->rs.content_type ? h->rs.content_type : "application/json";
	if (lws_add_http_common_headers(wsi, (unsigned)h->rs.status, ct, h->rs.body.len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store",
					8, &p, end))
		return -1;
	if (h->rs.retry_after[0] &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"retry-after:",
					(const unsigned char *)h->rs.retry_after, (int)strlen(h->rs.retry_after), &p, end))
		return -1;
	if (h->rs.replayed && lws_add_http_header_by_name(wsi, (const unsigned char *)"idempotent-replayed:",
							  (const unsigned char *)"true", 4, &p, end))
		return -1;
	if (h->rs.close && lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
						       (const unsigned char *)"close", 5, &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	h->sent = 0;
	if (!h->rs.body.len) {
		int close = h->rs.close;
		http_free(pss);
		if (close)
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	lws_callback_on_writable(wsi);
	return 0;
}

static int write_body(struct cp *cp, struct lws *wsi, struct cp_pss *pss)
{
	struct cp_http *h = pss->http;
	if (!h || !h->rs.body.len)
		return 0;
	size_t left = h->rs.body.len - h->sent, n = left < HTTP_CHUNK ? left : HTTP_CHUNK;
	if (cp->wbuf_cap < LWS_PRE + n) {
		unsigned char *q = realloc(cp->wbuf, LWS_PRE + HTTP_CHUNK);
		if (!q)
			return -1;
		cp->wbuf = q;
		cp->wbuf_cap = LWS_PRE + HTTP_CHUNK;
	}
	memcpy(cp->wbuf + LWS_PRE, h->rs.body.p + h->sent, n);
	int final = n == left;
	if (lws_write(wsi, cp->wbuf + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	h->sent += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	int close = h->rs.close;
	http_free(pss);
	if (close)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void simple(struct cp_http *h, int status, const char *json)
{
	h->rs.status = status;
	h->rs.body.len = 0;
	cp_buf_str(&h->rs.body, json);
}

static int dispatch(struct cp *cp, struct lws *wsi, struct cp_pss *pss)
{
	struct cp_http *h = pss->http;
	if (h->dispatched)
		return 0;
	h->dispatched = 1;
	if (h->too_big) {
		cp_count(cp, CP_C_HTTP_413, 1);
		cp_count(cp, CP_C_HTTP_4XX, 1);
		char m[96];
		snprintf(m, sizeof(m), "request body over %u bytes", cp->cfg.max_body);
		cp_resp_err(&h->rs, 413, "PAYLOAD_TOO_LARGE", "", m);
		h->rs.close = 1;
		return respond(wsi, pss);
	}
	if (!strcmp(h->path, "/healthz")) {
		simple(h, 200, "{\"status\":\"ok\"}");
	} else if (!strcmp(h->path, "/readyz")) {
		if (atomic_load(&cp->ready))
			simple(h, 200, "{\"status\":\"ready\"}");
		else
			simple(h, 503, "{\"status\":\"not ready\"}");
	} else if (!strcmp(h->path, "/metrics")) {
		if (!cp->cfg.metrics) {
			cp_resp_err(&h->rs, 404, "NOT_FOUND", "", "metrics are off");
		} else {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);
			if (f) {
				cp_write_metrics(cp, f);
				fclose(f);
			}
			h->rs.status = 200;
			h->rs.content_type = "text/plain; version=0.0.4";
			h->rs.body.len = 0;
			if (text)
				cp_buf_add(&h->rs.body, text, len);
			free(text);
		}
	} else {
		struct cp_req rq = { .method = h->method,
				     .path = h->path,
				     .query = h->query,
				     .body = h->body,
				     .body_len = h->body_len,
				     .auth = h->auth,
				     .idem_key = h->idem,
				     .peer = h->peer,
				     .now_ns = cp_mono_ns(),
				     .wall_ns = cp_wall_ns() };
		cp_api_handle(cp, &rq, &h->rs);
		return respond(wsi, pss);
	}
	if (h->rs.status >= 500)
		cp_count(cp, CP_C_HTTP_5XX, 1);
	else
		cp_count(cp, h->rs.status >= 400 ? CP_C_HTTP_4XX : CP_C_HTTP_2XX, 1);
	return respond(wsi, pss);
}

static int http_begin(struct cp *cp, struct lws *wsi, struct cp_pss *pss)
{
	http_free(pss);
	struct cp_http *h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	pss->http = h;
	char *uri;
	int ulen, m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
	h->method = method_of(m);
	if (m < 0 || ulen <= 0 || (size_t)ulen >= sizeof(h->path)) {
		cp_resp_err(&h->rs, 414, "URI_TOO_LONG", "", "request URI too long or missing");
		h->rs.close = 1;
		return respond(wsi, pss);
	}
	memcpy(h->path, uri, (size_t)ulen);
	h->path[ulen] = 0;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) >= (int)sizeof(h->query)) {
		cp_resp_err(&h->rs, 414, "URI_TOO_LONG", "", "query string too long");
		h->rs.close = 1;
		return respond(wsi, pss);
	}
	if (lws_hdr_copy(wsi, h->query, sizeof(h->query), WSI_TOKEN_HTTP_URI_ARGS) < 0)
		h->query[0] = 0;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION) < (int)sizeof(h->auth))
		lws_hdr_copy(wsi, h->auth, sizeof(h->auth), WSI_TOKEN_HTTP_AUTHORIZATION);
	if (lws_hdr_custom_length(wsi, "idempotency-key:", 16) > 0 &&
	    lws_hdr_custom_length(wsi, "idempotency-key:", 16) < (int)sizeof(h->idem))
		lws_hdr_custom_copy(wsi, h->idem, sizeof(h->idem), "idempotency-key:", 16);
	else if (lws_hdr_custom_length(wsi, "idempotency-key:", 16) >= (int)sizeof(h->idem))
		snprintf(h->idem, sizeof(h->idem), " "); /* present but too long: refused as malformed */
	lws_get_peer_simple(wsi, h->peer, sizeof(h->peer));
	if (h->method == CP_POST || h->method == CP_PUT || h->method == CP_PATCH) {
		char cl[24] = "";
		uint64_t want = 0;
		if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
			want = strtoull(cl, NULL, 10);
		if (want > cp->cfg.max_body) {
			h->too_big = 1;
			return dispatch(cp, wsi, pss);
		}
		if (want > 0) {
			h->body_cap = (size_t)want;
			if (!(h->body = malloc(h->body_cap + 1)))
				return -1;
			return 0; /* LWS_CALLBACK_HTTP_BODY / _COMPLETION follow */
		}
	}
	return dispatch(cp, wsi, pss);
}

static int http_body(struct cp *cp, struct cp_pss *pss, const void *in, size_t len)
{
	struct cp_http *h = pss->http;
	if (!h || h->too_big || h->dispatched || !len)
		return 0;
	if (!h->body) {
		h->too_big = 1; /* a body after "Content-Length: 0" */
		return 0;
	}
	if (h->body_len + len > cp->cfg.max_body || h->body_len + len > h->body_cap) {
		h->too_big = 1;
		return 0;
	}
	memcpy(h->body + h->body_len, in, len);
	h->body_len += len;
	h->body[h->body_len] = 0;
	return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct cp *cp = lws_context_user(lws_get_context(wsi));
	struct cp_pss *pss = user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_CLOSED:
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_RECEIVE:
		return cp_ws_callback(wsi, reason, user, in, len);
	case LWS_CALLBACK_HTTP:
		return http_begin(cp, wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		return http_body(cp, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return pss->http ? dispatch(cp, wsi, pss) : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss && pss->http)
			return write_body(cp, wsi, pss);
		break;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss)
			http_free(pss);
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- timers ------------------------------------------------------------------ */
static void on_drain(lws_sorted_usec_list_t *sul)
{
	struct cp *cp = lws_container_of(sul, struct cp, sul_drain);
	cp_drain(cp);
	lws_sul_schedule(cp->lws, 0, &cp->sul_drain, on_drain, DRAIN_US);
}

static void on_cflt(lws_sorted_usec_list_t *sul)
{
	struct cp *cp = lws_container_of(sul, struct cp, sul_cflt);
	cp_ws_conflate_tick(cp);
	lws_sul_schedule(cp->lws, 0, &cp->sul_cflt, on_cflt, (lws_usec_t)(cp->cfg.conflate_interval_ns / 1000));
}

static void on_hb(lws_sorted_usec_list_t *sul)
{
	struct cp *cp = lws_container_of(sul, struct cp, sul_hb);
	cp_ws_heartbeat(cp);
	lws_sul_schedule(cp->lws, 0, &cp->sul_hb, on_hb, (lws_usec_t)(cp->cfg.heartbeat_ns / 1000));
}

/* ---- the thread ------------------------------------------------------------------ */
static void started(struct cp *cp, int state)
{
	pthread_mutex_lock(&cp->start_mu);
	cp->start_state = state;
	pthread_cond_signal(&cp->start_cv);
	pthread_mutex_unlock(&cp->start_mu);
}

/* Bind the address ourselves first, for a precise error (lws only says it failed). */
static int probe_listen(struct cp *cp)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(cp->cfg.listen_port),
				  .sin_addr.s_addr = cp->cfg.listen_ip_be };
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	close(fd);
	return rc;
}

static void lws_log(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "cp: lws: %s", line);
}

/* With libev the cp's timers are libev's (lws's libev glue re-arms its own
 * timer only for lws's deadlines, so a 1 ms drain scheduled through lws
 * would wait for the next of them). */
struct cp_ev_timers {
	ev_timer drain, cflt, hb;
	struct cp *cp;
};

static void ev_drain(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)revents;
	cp_drain(((struct cp_ev_timers *)w->data)->cp);
}

static void ev_cflt(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)revents;
	cp_ws_conflate_tick(((struct cp_ev_timers *)w->data)->cp);
}

static void ev_hb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)revents;
	cp_ws_heartbeat(((struct cp_ev_timers *)w->data)->cp);
}

static void timers_start(struct cp *cp, struct lws_context *ctx, struct ev_loop *loop, struct cp_ev_timers *t)
{
	if (!loop) {
		lws_sul_schedule(ctx, 0, &cp->sul_drain, on_drain, DRAIN_US);
		lws_sul_schedule(ctx, 0, &cp->sul_cflt, on_cflt, (lws_usec_t)(cp->cfg.conflate_interval_ns / 1000));
		lws_sul_schedule(ctx, 0, &cp->sul_hb, on_hb, (lws_usec_t)(cp->cfg.heartbeat_ns / 1000));
		return;
	}
	t->cp = cp;
	double cf = (double)cp->cfg.conflate_interval_ns / 1e9, hb = (double)cp->cfg.heartbeat_ns / 1e9;
	ev_timer_init(&t->drain, ev_drain, DRAIN_US / 1e6, DRAIN_US / 1e6);
	ev_timer_init(&t->cflt, ev_cflt, cf, cf);
	ev_timer_init(&t->hb, ev_hb, hb, hb);
	t->drain.data = t->cflt.data = t->hb.data = t;
	ev_timer_start(loop, &t->drain);
	ev_timer_start(loop, &t->cflt);
	ev_timer_start(loop, &t->hb);
}

static void timers_stop(struct ev_loop *loop, struct cp_ev_timers *t)
{
	if (!loop)
		return;
	ev_timer_stop(loop, &t->drain);
	ev_timer_stop(loop, &t->cflt);
	ev_timer_stop(loop, &t->hb);
}

/* One turn of the loop: libev's when lws runs on it, else lws's own. The
 * drain timer (every DRAIN_US) bounds the wait either way; cp_stop wakes it
 * with lws_cancel_service. */
static int loop_turn(struct lws_context *ctx, struct ev_loop *loop)
{
	if (!loop)
		return lws_service(ctx, 0);
	ev_run(loop, EVRUN_ONCE);
	return 0;
}

int cp_http_run(struct cp *cp)
{
	static const struct lws_protocols protocols[] = {
		{ .name = "orion", .callback = callback, .per_session_data_size = sizeof(struct cp_pss),
		  .rx_buffer_size = 0 },
		{ 0 }
	};
	static const struct lws_protocol_vhost_options hdr_ref = { NULL, NULL, "referrer-policy:", "no-referrer" };
	static const struct lws_protocol_vhost_options hdr_frame = { &hdr_ref, NULL, "x-frame-options:", "DENY" };
	static const struct lws_protocol_vhost_options hdr_nosniff = { &hdr_frame, NULL, "x-content-type-options:",
								       "nosniff" };
	static const struct lws_protocol_vhost_options mime_json = { NULL, NULL, ".json", "application/json" };
	static const struct lws_protocol_vhost_options mime_svg = { &mime_json, NULL, ".svg", "image/svg+xml" };
	static const struct lws_protocol_vhost_options mime_mjs = { &mime_svg, NULL, ".mjs", "text/javascript" };
	static const struct lws_protocol_vhost_options mime_wasm = { &mime_mjs, NULL, ".wasm", "application/wasm" };
	char iface[INET_ADDRSTRLEN];
	int rc = probe_listen(cp);
	if (rc) {
		snprintf(cp->last_error, sizeof(cp->last_error), "[cp] listen %s:%u: %s",
			 inet_ntop(AF_INET, &cp->cfg.listen_ip_be, iface, sizeof(iface)) ? iface : "?",
			 cp->cfg.listen_port, strerror(-rc));
		started(cp, rc);
		return rc;
	}
	if (cp->cfg.tls_cert[0] && (access(cp->cfg.tls_cert, R_OK) || access(cp->cfg.tls_key, R_OK))) {
		rc = -errno;
		snprintf(cp->last_error, sizeof(cp->last_error), "[cp] tls_cert / tls_key: %s", strerror(-rc));
		started(cp, rc);
		return rc;
	}
	inet_ntop(AF_INET, &cp->cfg.listen_ip_be, iface, sizeof(iface));

	struct lws_http_mount m_files = { 0 }, m_api = { 0 }, m_metrics = { 0 }, m_health = { 0 }, m_ready = { 0 };
	struct lws_http_mount *chain[5];
	unsigned nm = 0;
	const char *cb_points[] = { "/api", "/metrics", "/healthz", "/readyz" };
	struct lws_http_mount *cbm[] = { &m_api, &m_metrics, &m_health, &m_ready };
	for (unsigned i = 0; i < 4; i++) {
		cbm[i]->mountpoint = cb_points[i];
		cbm[i]->mountpoint_len = (unsigned char)strlen(cb_points[i]);
		cbm[i]->origin = "orion";
		cbm[i]->origin_protocol = LWSMPRO_CALLBACK;
		chain[nm++] = cbm[i];
	}
	if (cp->cfg.web_root[0]) {
		m_files.mountpoint = "/";
		m_files.mountpoint_len = 1;
		m_files.origin = cp->cfg.web_root;
		m_files.def = "index.html";
		m_files.origin_protocol = LWSMPRO_FILE;
		m_files.extra_mimetypes = &mime_wasm;
		m_files.cache_max_age = 60;
		m_files.cache_reusable = 1;
		m_files.cache_revalidate = 1;
		chain[nm++] = &m_files;
	}
	for (unsigned i = 0; i + 1 < nm; i++)
		chain[i]->mount_next = chain[i + 1];

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = cp->cfg.listen_port;
	info.iface = cp->cfg.listen_ip_be ? iface : NULL;
	info.protocols = protocols;
	info.mounts = chain[0];
	info.headers = &hdr_nosniff;
	info.user = cp;
	info.server_string = "orion";
	info.max_http_header_data = 8192;
	info.pt_serv_buf_size = 32768;
	info.timeout_secs = 20;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
	if (cp->cfg.tls_cert[0]) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cp->cfg.tls_cert;
		info.ssl_private_key_filepath = cp->cfg.tls_key;
		info.alpn = "http/1.1";
	}
	/* The loop: libev on epoll, so a turn costs what is ready, not what is
	 * connected (lws's own poll() loop walks every descriptor each turn:
	 * half of a core at 5,000 WebSocket clients). lws's idle-validity timer
	 * is off: it re-sorts a timer list of every connection on each frame;
	 * our heartbeats and stall checks do that job. */
	static const lws_retry_bo_t no_validity = { .secs_since_valid_ping = 0, .secs_since_valid_hangup = 0 };
	info.retry_and_idle_policy = &no_validity;
	struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
	void *foreign[1] = { loop };
	if (loop) {
		info.options |= LWS_SERVER_OPTION_LIBEV;
		info.foreign_loops = foreign;
	}
	struct lws_context *ctx = lws_create_context(&info);
	if (!ctx && loop) {
		/* no libev plugin (package libwebsockets-evlib-ev): lws's poll() loop */
		fprintf(stderr, "cp: libwebsockets libev support unavailable, using poll()\n");
		ev_loop_destroy(loop);
		loop = NULL;
		info.options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
		info.foreign_loops = NULL;
		ctx = lws_create_context(&info);
	}
	if (!ctx) {
		if (loop)
			ev_loop_destroy(loop);
		snprintf(cp->last_error, sizeof(cp->last_error),
			 "[cp] cannot start the HTTP server on %s:%u (TLS certificate / key, or the listener)", iface,
			 cp->cfg.listen_port);
		started(cp, -EINVAL);
		return -EINVAL;
	}
	struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
	atomic_store(&cp->port, (uint16_t)(vh ? lws_get_vhost_listen_port(vh) : cp->cfg.listen_port));
	pthread_mutex_lock(&cp->start_mu);
	cp->lws = ctx;
	pthread_mutex_unlock(&cp->start_mu);
	struct cp_ev_timers timers;
	timers_start(cp, ctx, loop, &timers);
	cp_audit(cp, "cp_start", NULL, NULL, 1, "listening on %s://%s:%u", cp->cfg.tls_cert[0] ? "https" : "http", iface,
		 atomic_load(&cp->port));
	started(cp, 1);
	while (!atomic_load(&cp->stop))
		if (loop_turn(ctx, loop) < 0)
			break;
	/* Say goodbye: a "bye" and a close frame to every client that reads, for
	 * at most 300 ms; lws_context_destroy() drops the rest. */
	cp_ws_close_all(cp);
	for (uint64_t until = cp_mono_ns() + 300000000ull; cp->n_ws && cp_mono_ns() < until;)
		if (loop_turn(ctx, loop) < 0)
			break;
	cp_drain(cp);
	pthread_mutex_lock(&cp->start_mu);
	cp->lws = NULL;
	pthread_mutex_unlock(&cp->start_mu);
	timers_stop(loop, &timers);
	lws_context_destroy(ctx);
	if (loop)
		ev_loop_destroy(loop);
	cp->ws_head = cp->watch_head = NULL;
	cp->n_ws = 0;
	for (int i = 0; i < CP_MAX_USERS; i++) {
		cp->users[i].ws_head = NULL;
		cp->users[i].n_ws = 0;
	}
	cp_audit(cp, "cp_stop", NULL, NULL, 1, "stopped");
	return 0;
}
