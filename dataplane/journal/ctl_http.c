/* orionctl's HTTP/1.1 client: URL parsing, a connect bounded by a deadline,
 * TLS through OpenSSL (certificate and host verified unless insecure), and a
 * response parser for Content-Length, chunked and close-delimited bodies.
 * One request per connection; every wait is a poll() up to the deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "dataplane/journal/ctl.h"

#define READ_CHUNK 16384
#define MAX_INTERIM 8 /* 1xx answers skipped before the final one */

uint64_t ctl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...)
{
	if (!err || !n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* ---- URL ------------------------------------------------------------------ */
static int url_char_ok(char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>' && c != '\\' && c != '^' && c != '`' &&
	       c != '{' && c != '|' && c != '}' && c != '#' && c != '?';
}

int ctl_url_parse(const char *url, struct ctl_url *out)
{
	memset(out, 0, sizeof(*out));
	const char *p;
	if (!strncasecmp(url, "http://", 7)) {
		p = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		p = url + 8;
		out->tls = 1;
	} else {
		return -EINVAL;
	}
	size_t alen = strcspn(p, "/");
	if (alen == 0 || alen >= sizeof(out->authority))
		return -EINVAL;
	memcpy(out->authority, p, alen);
	const char *a = out->authority, *port = NULL;
	size_t hlen;
	if (a[0] == '[') {
		const char *rb = strchr(a, ']');
		if (!rb || rb == a + 1)
			return -EINVAL;
		hlen = (size_t)(rb - a - 1);
		if (hlen >= sizeof(out->host))
			return -EINVAL;
		memcpy(out->host, a + 1, hlen);
		for (size_t i = 0; i < hlen; i++)
			if (!(out->host[i] == ':' || out->host[i] == '.' || (out->host[i] >= '0' && out->host[i] <= '9') ||
			      (out->host[i] >= 'a' && out->host[i] <= 'f') || (out->host[i] >= 'A' && out->host[i] <= 'F')))
				return -EINVAL;
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1])
			return -EINVAL;
	} else {
		const char *colon = strchr(a, ':');
		hlen = colon ? (size_t)(colon - a) : strlen(a);
		if (hlen == 0 || hlen >= sizeof(out->host))
			return -EINVAL;
		memcpy(out->host, a, hlen);
		for (size_t i = 0; i < hlen; i++) {
			char c = out->host[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			      c == '-' || c == '_'))
				return -EINVAL;
		}
		if (colon)
			port = colon + 1;
	}
	if (port) {
		size_t n = strlen(port);
		if (n == 0 || n > 5 || strspn(port, "0123456789") != n || atoi(port) < 1 || atoi(port) > 65535)
			return -EINVAL;
		memcpy(out->port, port, n + 1);
	} else {
		strcpy(out->port, out->tls ? "443" : "80");
	}
	const char *path = p + alen;
	size_t plen = strlen(path);
	while (plen && path[plen - 1] == '/')
		plen--;
	if (plen >= sizeof(out->prefix))
		return -EINVAL;
	for (size_t i = 0; i < plen; i++)
		if (!url_char_ok(path[i]))
			return -EINVAL;
	memcpy(out->prefix, path, plen);
	out->prefix[plen] = 0;
	return 0;
}

/* ---- response parser ---------------------------------------------------------- */
static const char *find_crlf(const char *p, const char *end)
{
	for (; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void copy_trim(char *out, size_t cap, const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		out[o++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	out[o] = 0;
}

struct head {
	int status;
	int chunked;
	int has_len;
	uint64_t clen;
	size_t body_off;
	char ctype[96];
	char retry[16];
};

/* 1 head parsed, 0 more needed, <0 error. */
static int parse_head(const char *buf, size_t len, int eof, struct head *h)
{
	memset(h, 0, sizeof(*h));
	size_t lim = len < CTL_HTTP_MAX_HEAD ? len : CTL_HTTP_MAX_HEAD;
	const char *end = NULL;
	for (size_t i = 0; i + 3 < lim; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
			end = buf + i;
			break;
		}
	if (!end) {
		if (len >= CTL_HTTP_MAX_HEAD)
			return -EMSGSIZE;
		return eof ? -EBADMSG : 0;
	}
	h->body_off = (size_t)(end - buf) + 4;
	const char *eol = find_crlf(buf, end + 2);
	/* "HTTP/1.x NNN[ reason]" */
	if (!eol || eol - buf < 12 || memcmp(buf, "HTTP/1.", 7) || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return -EBADMSG;
	for (int i = 9; i < 12; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -EBADMSG;
	if (eol - buf > 12 && buf[12] != ' ')
		return -EBADMSG;
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (h->status < 100 || h->status > 599)
		return -EBADMSG;
	const char *p = eol + 2;
	while (p < end + 2) {
		const char *le = find_crlf(p, end + 2);
		if (!le)
			return -EBADMSG;
		if (le == p)
			break;
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (!colon || colon == p || *p == ' ' || *p == '\t')
			return -EBADMSG;
		size_t nl = (size_t)(colon - p);
		const char *v = colon + 1;
		size_t vl = (size_t)(le - v);
		for (size_t i = 0; i < nl; i++)
			if (p[i] <= 0x20 || p[i] >= 0x7f)
				return -EBADMSG;
		if (nl == 14 && !strncasecmp(p, "Content-Length", 14)) {
			char tmp[32];
			copy_trim(tmp, sizeof(tmp), v, vl);
			size_t n = strlen(tmp);
			if (n == 0 || n > 19 || strspn(tmp, "0123456789") != n)
				return -EBADMSG;
			uint64_t cl = strtoull(tmp, NULL, 10);
			if (h->has_len && cl != h->clen)
				return -EBADMSG;
			h->has_len = 1;
			h->clen = cl;
		} else if (nl == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
			char tmp[64];
			copy_trim(tmp, sizeof(tmp), v, vl);
			/* only "chunked" (or "identity"): no compression was asked for */
			if (!strcasecmp(tmp, "chunked"))
				h->chunked = 1;
			else if (strcasecmp(tmp, "identity"))
				return -EBADMSG;
		} else if (nl == 12 && !strncasecmp(p, "Content-Type", 12)) {
			copy_trim(h->ctype, sizeof(h->ctype), v, vl);
		} else if (nl == 11 && !strncasecmp(p, "Retry-After", 11)) {
			copy_trim(h->retry, sizeof(h->retry), v, vl);
		}
		p = le + 2;
	}
	if (h->chunked)
		h->has_len = 0; /* RFC 9112 6.3: chunked wins over Content-Length */
	if (h->has_len && h->clen > CTL_HTTP_MAX_BODY)
		return -EMSGSIZE;
	return 1;
}

/* Walk the chunks of b[0..len): total data size in *total, or 0 more needed /
 * <0 error; 1 when the last chunk and trailers are complete. If out is not
 * NULL the data is copied there. */
static int walk_chunks(const char *b, size_t len, int eof, char *out, size_t *total)
{
	size_t off = 0, tot = 0;
	for (;;) {
		const char *le = find_crlf(b + off, b + len);
		if (!le)
			return (len - off > 1024) ? -EBADMSG : (eof ? -EBADMSG : 0);
		const char *q = b + off;
		uint64_t sz = 0;
		int digits = 0;
		while (q < le && hexval(*q) >= 0) {
			if (++digits > 8)
				return -EMSGSIZE;
			sz = sz * 16 + (uint64_t)hexval(*q);
			q++;
		}
		if (!digits)
			return -EBADMSG;
		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q < le && *q != ';')
			return -EBADMSG;
		off = (size_t)(le - b) + 2;
		if (sz == 0) {
			/* trailers, up to an empty line */
			for (;;) {
				const char *te = find_crlf(b + off, b + len);
				if (!te)
					return (len - off > CTL_HTTP_MAX_HEAD) ? -EMSGSIZE : (eof ? -EBADMSG : 0);
				int empty = te == b + off;
				off = (size_t)(te - b) + 2;
				if (empty) {
					*total = tot;
					return 1;
				}
			}
		}
		if (tot + sz > CTL_HTTP_MAX_BODY)
			return -EMSGSIZE;
		if (len - off < sz + 2)
			return eof ? -EBADMSG : 0;
		if (b[off + sz] != '\r' || b[off + sz + 1] != '\n')
			return -EBADMSG;
		if (out)
			memcpy(out + tot, b + off, sz);
		tot += sz;
		off += sz + 2;
	}
}

static int fill(struct ctl_resp *r, const struct head *h, const char *data, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->status = h->status;
	memcpy(r->content_type, h->ctype, sizeof(r->content_type));
	memcpy(r->retry_after, h->retry, sizeof(r->retry_after));
	r->body = malloc(n + 1);
	if (!r->body)
		return -ENOMEM;
	if (data && n)
		memcpy(r->body, data, n);
	r->body[n] = 0;
	r->len = n;
	return 1;
}

int ctl_http_parse(const char *buf, size_t len, int eof, struct ctl_resp *r)
{
	struct head h;
	for (int interim = 0;; interim++) {
		int rc = parse_head(buf, len, eof, &h);
		if (rc <= 0)
			return rc;
		if (h.status >= 200 || h.status == 101)
			break;
		if (interim == MAX_INTERIM)
			return -EBADMSG;
		buf += h.body_off;
		len -= h.body_off;
	}
	const char *b = buf + h.body_off;
	size_t avail = len - h.body_off;
	if (h.status == 204 || h.status == 304)
		return fill(r, &h, NULL, 0);
	if (h.chunked) {
		size_t total = 0;
		int rc = walk_chunks(b, avail, eof, NULL, &total);
		if (rc <= 0)
			return rc;
		rc = fill(r, &h, NULL, total);
		if (rc < 0)
			return rc;
		walk_chunks(b, avail, eof, r->body, &total);
		return 1;
	}
	if (h.has_len) {
		if (avail < h.clen)
			return eof ? -EBADMSG : 0;
		return fill(r, &h, b, (size_t)h.clen);
	}
	if (avail > CTL_HTTP_MAX_BODY)
		return -EMSGSIZE;
	if (!eof)
		return 0;
	return fill(r, &h, b, avail);
}

void ctl_resp_free(struct ctl_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* ---- transport ------------------------------------------------------------------- */
struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	uint64_t deadline;
};

/* Wait for fd to be readable (POLLIN) or writable (POLLOUT) until the
 * deadline. 0, -ETIMEDOUT, or -errno. */
static int wait_fd(int fd, short ev, uint64_t deadline)
{
	for (;;) {
		uint64_t now = ctl_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t ms = (deadline - now + 999999) / 1000000;
		struct pollfd p = { .fd = fd, .events = ev };
		int n = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int tcp_connect(struct conn *c, const struct ctl_url *u, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
	int g = getaddrinfo(u->host, u->port, &hints, &res);
	if (g) {
		seterr(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int rc = -ECONNREFUSED;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			rc = 0;
		} else if (errno == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, c->deadline);
			if (rc == 0) {
				int e = 0;
				socklen_t el = sizeof(e);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
					e = errno;
				rc = -e;
			}
		} else {
			rc = -errno;
		}
		if (rc == 0) {
			c->fd = fd;
			break;
		}
		close(fd);
		if (rc == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (rc)
		seterr(err, errlen, "connect to %s: %s", u->authority, rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
	return rc;
}

static void tls_reason(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char b[256] = "unknown error";
	if (e)
		ERR_error_string_n(e, b, sizeof(b));
	ERR_clear_error();
	seterr(err, errlen, "TLS %s: %s", what, b);
}

/* Drive one OpenSSL call to completion with the deadline. Returns its
 * result (> 0), 0 for a clean or unannounced close on read, or <0 -errno. */
static int tls_io(struct conn *c, int op, void *buf, int n, char *err, size_t errlen)
{
	for (;;) {
		ERR_clear_error();
		int r = op == 0 ? SSL_connect(c->ssl) : op == 1 ? SSL_write(c->ssl, buf, n) : SSL_read(c->ssl, buf, n);
		if (r > 0)
			return r;
		int e = SSL_get_error(c->ssl, r);
		int w;
		if (e == SSL_ERROR_WANT_READ)
			w = wait_fd(c->fd, POLLIN, c->deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			w = wait_fd(c->fd, POLLOUT, c->deadline);
		else if (op == 2 && (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)))
			return 0;
		else if (op == 2 && e == SSL_ERROR_SSL &&
			 ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return ERR_clear_error(), 0; /* framing of the body tells truncation */
		else {
			if (op == 0 && SSL_get_verify_result(c->ssl) != X509_V_OK) {
				seterr(err, errlen, "TLS: server certificate not trusted: %s",
				       X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
				ERR_clear_error();
			} else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
				seterr(err, errlen, "TLS %s: connection closed by the server",
				       op == 0 ? "handshake" : "write");
			} else {
				tls_reason(err, errlen, op == 0 ? "handshake" : op == 1 ? "write" : "read");
			}
			return -EPROTO;
		}
		if (w) {
			seterr(err, errlen, "TLS %s: %s", op == 0 ? "handshake" : op == 1 ? "write" : "read",
			       w == -ETIMEDOUT ? "timed out" : strerror(-w));
			return w;
		}
	}
}

static int tls_start(struct conn *c, const struct ctl_http *h, char *err, size_t errlen)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		tls_reason(err, errlen, "context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	if (!h->insecure) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		if (h->cacert) {
			if (SSL_CTX_load_verify_locations(c->ctx, h->cacert, NULL) != 1) {
				ERR_clear_error();
				seterr(err, errlen, "cannot load CA certificates from %s", h->cacert);
				return -EPROTO;
			}
		} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
			tls_reason(err, errlen, "system CA certificates");
			return -EPROTO;
		}
	}
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		tls_reason(err, errlen, "setup");
		return -ENOMEM;
	}
	unsigned char ip[16];
	int is_ip = inet_pton(AF_INET, h->url.host, ip) == 1 || inet_pton(AF_INET6, h->url.host, ip) == 1;
	if (!is_ip)
		SSL_set_tlsext_host_name(c->ssl, h->url.host);
	if (!h->insecure) {
		int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), h->url.host)
			       : SSL_set1_host(c->ssl, h->url.host);
		if (ok != 1) {
			tls_reason(err, errlen, "host check setup");
			return -EPROTO;
		}
	}
	int r = tls_io(c, 0, NULL, 0, err, errlen);
	return r > 0 ? 0 : r;
}

static int send_all(struct conn *c, const char *p, size_t n, char *err, size_t errlen)
{
	while (n) {
		int chunk = n > 65536 ? 65536 : (int)n;
		ssize_t w;
		if (c->ssl) {
			int r = tls_io(c, 1, (void *)p, chunk, err, errlen);
			if (r < 0)
				return r;
			w = r;
		} else {
			w = send(c->fd, p, (size_t)chunk, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN && errno != EWOULDBLOCK) {
					seterr(err, errlen, "send: %s", strerror(errno));
					return -errno;
				}
				int rc = wait_fd(c->fd, POLLOUT, c->deadline);
				if (rc) {
					seterr(err, errlen, "send: %s", rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
					return rc;
				}
				continue;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read into buf; >0 bytes, 0 EOF, <0 -errno. */
static ssize_t recv_some(struct conn *c, char *buf, size_t cap, char *err, size_t errlen)
{
	if (c->ssl)
		return tls_io(c, 2, buf, (int)cap, err, errlen);
	for (;;) {
		ssize_t n = recv(c->fd, buf, cap, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			int e = errno;
			seterr(err, errlen, "receive: %s", strerror(e));
			return -e;
		}
		int rc = wait_fd(c->fd, POLLIN, c->deadline);
		if (rc) {
			seterr(err, errlen, "waiting for the answer: %s", rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
			return rc;
		}
	}
}

static void conn_close(struct conn *c)
{
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->ctx) {
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
	}
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

static int header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int ctl_http_do(const struct ctl_http *h, const char *method, const char *path, const char *token,
		const char *body, size_t body_len, struct ctl_resp *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	if (path[0] != '/' || !header_safe(path) || !header_safe(method) || (token && !header_safe(token))) {
		seterr(err, errlen, "refusing to send a request line or header with control characters");
		return -EINVAL;
	}
	struct conn c = { .fd = -1, .deadline = h->deadline_ns };
	char *req = NULL, *buf = NULL;
	int rc = tcp_connect(&c, &h->url, err, errlen);
	if (rc)
		goto out;
	if (h->url.tls && (rc = tls_start(&c, h, err, errlen)) != 0)
		goto out;
	size_t cap = 1024 + strlen(h->url.prefix) + strlen(path) + (token ? strlen(token) : 0);
	req = malloc(cap);
	if (!req) {
		rc = -ENOMEM;
		seterr(err, errlen, "out of memory");
		goto out;
	}
	int n = snprintf(req, cap,
			 "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: orionctl\r\nAccept: application/json, "
			 "text/plain\r\nConnection: close\r\n",
			 method, h->url.prefix, path, h->url.authority);
	if (token)
		n += snprintf(req + n, cap - (size_t)n, "Authorization: Bearer %s\r\n", token);
	if (body)
		n += snprintf(req + n, cap - (size_t)n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
			      body_len);
	n += snprintf(req + n, cap - (size_t)n, "\r\n");
	if ((rc = send_all(&c, req, (size_t)n, err, errlen)) != 0)
		goto out;
	if (body && body_len && (rc = send_all(&c, body, body_len, err, errlen)) != 0)
		goto out;
	size_t len = 0, bcap = 0;
	for (;;) {
		if (bcap - len < READ_CHUNK) {
			if (bcap >= CTL_HTTP_MAX_HEAD + 2 * (size_t)CTL_HTTP_MAX_BODY) {
				rc = -EMSGSIZE;
				seterr(err, errlen, "the answer is too large");
				goto out;
			}
			size_t ncap = bcap ? bcap * 2 : 4 * READ_CHUNK;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				rc = -ENOMEM;
				seterr(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
			bcap = ncap;
		}
		ssize_t got = recv_some(&c, buf + len, bcap - len, err, errlen);
		if (got < 0) {
			rc = (int)got;
			goto out;
		}
		len += (size_t)got;
		int p = ctl_http_parse(buf, len, got == 0, r);
		if (p == 1) {
			rc = 0;
			goto out;
		}
		if (p < 0) {
			rc = p;
			seterr(err, errlen, "%s",
			       p == -EMSGSIZE ? "the answer is too large"
			       : p == -ENOMEM ? "out of memory"
			       : len == 0     ? "the server closed the connection without answering"
					      : "malformed HTTP answer");
			goto out;
		}
	}
out:
	if (req) {
		OPENSSL_cleanse(req, strlen(req)); /* it carried the token */
		free(req);
	}
	free(buf);
	conn_close(&c);
	return rc;
}
