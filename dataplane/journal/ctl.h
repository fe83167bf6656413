/* orionctl's REST client: the operator subcommands (status, sessions, kill,
 * limits, instruments, users) that talk to oriond's control plane over
 * HTTP/1.1 or HTTPS, and the small pieces they are made of.
 *
 * Everything here runs on orionctl's single thread; nothing is shared.
 * Library functions return 0 / -errno (or a count); only ctl_main() decides
 * exit codes: 0 ok, 1 failure (connection, TLS, HTTP error answer), 2 usage.
 */
#ifndef ORION_DATAPLANE_JOURNAL_CTL_H
#define ORION_DATAPLANE_JOURNAL_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_HTTP_MAX_HEAD (64u * 1024u)        /* status line + headers */
#define CTL_HTTP_MAX_BODY (16u * 1024u * 1024u) /* decoded body */

/* ---- subcommands (orionctl.c's dispatch) ---------------------------------- */

/* 1 when `name` is one of the REST subcommands, else 0. */
int ctl_is_command(const char *name);

/* Run a REST subcommand. argv[0] is its name (as ctl_is_command accepted),
 * the rest its arguments and the common options (--url, --tenant, --user,
 * --password, --password-stdin, --insecure, --cacert, --timeout, --json).
 * Returns the process exit code: 0, 1 (failure) or 2 (usage). */
int ctl_main(int argc, char **argv);

/* The subcommands' lines for orionctl's usage text. */
void ctl_usage(FILE *f);

/* ---- URLs ----------------------------------------------------------------- */
struct ctl_url {
	int tls;             /* https:// */
	char host[256];      /* name or address, IPv6 without brackets */
	char port[8];        /* decimal; 80 / 443 when the URL has none */
	char authority[272]; /* host[:port] as written, for the Host header */
	char prefix[256];    /* path before /api, "" or "/x/y" (no trailing '/') */
};

/* Parse "http[s]://host[:port][/prefix]". 0, or -EINVAL (bad scheme, host,
 * port, or characters that do not belong in a request line). */
int ctl_url_parse(const char *url, struct ctl_url *out);

/* ---- HTTP/1.1 client -------------------------------------------------------- */
struct ctl_http {
	struct ctl_url url;
	int insecure;        /* https: do not verify the server certificate */
	const char *cacert;  /* https: PEM file of trusted CAs (else the system's) */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC; every call gives up at this time */
};

struct ctl_resp {
	int status;              /* 100..599 */
	char content_type[96];   /* "" when absent */
	char retry_after[16];    /* "" when absent */
	char *body;              /* malloc'd, NUL-terminated (the NUL not in len) */
	size_t len;
};

/* Monotonic clock in ns (for ctl_http.deadline_ns). */
uint64_t ctl_now_ns(void);

/* One request on a new connection ("Connection: close"): connect (with the
 * deadline), TLS handshake and verification when https, send, read the whole
 * response. path starts with '/' (the URL's prefix is put before it); token,
 * when not NULL, goes in "Authorization: Bearer"; body, when not NULL, is
 * sent as application/json. On success *r owns a body (ctl_resp_free).
 * Returns 0, or -errno with a one-line reason in err: -ETIMEDOUT (deadline),
 * -ECONNREFUSED and other connect errors, -EPROTO (TLS, verification),
 * -EBADMSG (malformed response), -EMSGSIZE (response over the limits),
 * -EINVAL (path or token not fit for a request line), -ENOMEM. */
int ctl_http_do(const struct ctl_http *h, const char *method, const char *path, const char *token,
		const char *body, size_t body_len, struct ctl_resp *r, char *err, size_t errlen);

void ctl_resp_free(struct ctl_resp *r);

/* Parse a response held in buf[0..len) (pure; no I/O). eof: the peer has
 * closed, nothing more will come. Returns 1 complete (*r filled; its body
 * malloc'd), 0 more bytes needed, -EBADMSG malformed or truncated,
 * -EMSGSIZE head over CTL_HTTP_MAX_HEAD or body over CTL_HTTP_MAX_BODY,
 * -ENOMEM. Handles Content-Length, chunked transfer coding (extensions and
 * trailers skipped), bodies delimited by the close, and skips 1xx answers. */
int ctl_http_parse(const char *buf, size_t len, int eof, struct ctl_resp *r);

/* ---- Prometheus text ------------------------------------------------------------ */
/* Called per sample of the metric: labels is the text between the braces
 * (not NUL-terminated, labels_len may be 0), v its value. */
typedef void (*ctl_prom_fn)(void *arg, const char *labels, size_t labels_len, double v);

/* Every sample of the metric named exactly `name` in text[0..len): calls fn
 * (when not NULL) and returns how many there were (0: metric absent).
 * Comments and malformed lines are skipped. */
unsigned ctl_prom_each(const char *text, size_t len, const char *name, ctl_prom_fn fn, void *arg);

/* Sum of every sample of `name` in *sum; returns the number of samples. */
unsigned ctl_prom_sum(const char *text, size_t len, const char *name, double *sum);

/* Value of label key in a label text (k1="v1",k2="v2"), unescaped into out.
 * 0, -ENOENT absent, -ENOSPC out too small. */
int ctl_prom_label(const char *labels, size_t len, const char *key, char *out, size_t cap);

#endif
