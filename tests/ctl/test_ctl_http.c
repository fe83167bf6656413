/* Unit tests of orionctl's REST client pieces: URL parsing, the HTTP/1.1
 * response parser (Content-Length, chunked, close-delimited, 1xx, limits,
 * malformed input) and the Prometheus text reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/journal/ctl.h"

static int parse(const char *s, int eof, struct ctl_resp *r)
{
	return ctl_http_parse(s, strlen(s), eof, r);
}

/* ---- URL ---- */
static void url__http_with_port_and_prefix__parsed(void **st)
{
	(void)st;
	struct ctl_url u;
	assert_int_equal(ctl_url_parse("http://127.0.0.1:8480/orion/", &u), 0);
	assert_int_equal(u.tls, 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_string_equal(u.port, "8480");
	assert_string_equal(u.authority, "127.0.0.1:8480");
	assert_string_equal(u.prefix, "/orion");
}

static void url__https_default_port_and_ipv6__parsed(void **st)
{
	(void)st;
	struct ctl_url u;
	assert_int_equal(ctl_url_parse("https://orion.example", &u), 0);
	assert_int_equal(u.tls, 1);
	assert_string_equal(u.port, "443");
	assert_string_equal(u.prefix, "");
	assert_int_equal(ctl_url_parse("http://[::1]:9", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_string_equal(u.port, "9");
	assert_string_equal(u.authority, "[::1]:9");
}

static void url__bad_scheme_port_or_chars__rejected(void **st)
{
	(void)st;
	struct ctl_url u;
	assert_int_equal(ctl_url_parse("ftp://x", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://h:0", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://h:65536", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://h:12a", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://h:", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://user@h", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://h/a b", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://h/a\r\nX: y", &u), -EINVAL);
	assert_int_equal(ctl_url_parse("http://[::1", &u), -EINVAL);
}

/* ---- HTTP responses ---- */
static void http__content_length__body_exact(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":true}\nEXTRA";
	assert_int_equal(parse(s, 0, &r), 1);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	assert_int_equal(r.len, 11);
	assert_memory_equal(r.body, "{\"a\":true}\n", 11);
	assert_int_equal(r.body[11], 0);
	ctl_resp_free(&r);
}

static void http__content_length_short__needs_more_then_truncated_at_eof(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345";
	assert_int_equal(parse(s, 0, &r), 0);
	assert_int_equal(parse(s, 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Le", 0, &r), 0);
}

static void http__chunked__decoded_with_extensions_and_trailers(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n"
			"5;x=y\r\nhello\r\n1A\r\n, abcdefghijklmnopqrstuvwx\r\n0\r\nX-Trailer: 1\r\n\r\n";
	assert_int_equal(parse(s, 0, &r), 1);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.retry_after, "3");
	assert_int_equal(r.len, 31);
	assert_string_equal(r.body, "hello, abcdefghijklmnopqrstuvwx");
	ctl_resp_free(&r);
}

static void http__chunked_incomplete__needs_more_and_bad_at_eof(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
	assert_int_equal(parse(s, 0, &r), 0);
	assert_int_equal(parse(s, 1, &r), -EBADMSG);
	const char *t = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n";
	assert_int_equal(parse(t, 0, &r), 0); /* the final empty line is missing */
}

static void http__chunked_wins_over_content_length(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
	assert_int_equal(parse(s, 0, &r), 1);
	assert_string_equal(r.body, "abc");
	ctl_resp_free(&r);
}

static void http__chunked_malformed__rejected(void **st)
{
	(void)st;
	struct ctl_resp r;
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 0, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", 0, &r), -EMSGSIZE);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, &r), -EBADMSG);
}

static void http__close_delimited__complete_only_at_eof(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.0 503 Service Unavailable\r\n\r\n{\"status\":\"not ready\"}";
	assert_int_equal(parse(s, 0, &r), 0);
	assert_int_equal(parse(s, 1, &r), 1);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "{\"status\":\"not ready\"}");
	ctl_resp_free(&r);
}

static void http__interim_100_and_204__handled(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
	assert_int_equal(parse(s, 0, &r), 1);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.len, 0);
	assert_string_equal(r.body, "");
	ctl_resp_free(&r);
}

static void http__bad_status_lines_and_headers__rejected(void **st)
{
	(void)st;
	struct ctl_resp r;
	assert_int_equal(parse("HTTP/2 200 OK\r\n\r\n", 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 2x0 OK\r\n\r\n", 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 99 OK\r\n\r\n", 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200OK\r\n\r\n", 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 1, &r), -EBADMSG);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 1, &r),
			 -EBADMSG);
	assert_int_equal(parse("", 1, &r), -EBADMSG);
	assert_int_equal(parse("garbage", 1, &r), -EBADMSG);
}

static void http__over_limits__emsgsize(void **st)
{
	(void)st;
	struct ctl_resp r;
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", 0, &r), -EMSGSIZE);
	size_t n = CTL_HTTP_MAX_HEAD + 16;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	assert_int_equal(ctl_http_parse(big, n, 0, &r), -EMSGSIZE);
	free(big);
}

static void http__header_values_sanitized(void **st)
{
	(void)st;
	struct ctl_resp r;
	const char *s = "HTTP/1.1 200 OK\r\ncontent-type:  text/plain\x01\t \r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(parse(s, 0, &r), 1);
	assert_string_equal(r.content_type, "text/plain?");
	ctl_resp_free(&r);
}

/* ---- Prometheus text ---- */
static const char g_metrics[] =
	"# HELP orion_lcore_busy_ratio Share of cycles spent on work.\n"
	"# TYPE orion_lcore_busy_ratio gauge\n"
	"orion_lcore_busy_ratio{lcore=\"1\"} 0.2500\n"
	"orion_lcore_busy_ratio{lcore=\"2\"} 0.5\n"
	"orion_lcore_busy_ratio_extra 7\n"
	"orion_feed_packets_total{feed=\"itch\",line=\"A\"} 100\n"
	"orion_feed_packets_total{feed=\"it}ch\",line=\"B\"} 50 1700000000000\n"
	"orion_feed_packets_total{feed=\"x\" 9\n"
	"orion_uptime_seconds 12.5\r\n"
	"orion_bad_value abc\n"
	"orion_kafka_lag_records 0";

static void prom__sum__adds_every_sample_of_exact_name(void **st)
{
	(void)st;
	double v;
	assert_int_equal(ctl_prom_sum(g_metrics, strlen(g_metrics), "orion_feed_packets_total", &v), 2);
	assert_true(v == 150.0);
	assert_int_equal(ctl_prom_sum(g_metrics, strlen(g_metrics), "orion_lcore_busy_ratio", &v), 2);
	assert_true(v == 0.75);
	assert_int_equal(ctl_prom_sum(g_metrics, strlen(g_metrics), "orion_uptime_seconds", &v), 1);
	assert_true(v == 12.5);
	assert_int_equal(ctl_prom_sum(g_metrics, strlen(g_metrics), "orion_kafka_lag_records", &v), 1);
	assert_true(v == 0.0);
	assert_int_equal(ctl_prom_sum(g_metrics, strlen(g_metrics), "orion_bad_value", &v), 0);
	assert_int_equal(ctl_prom_sum(g_metrics, strlen(g_metrics), "orion_absent", &v), 0);
	assert_int_equal(ctl_prom_sum(g_metrics, strlen(g_metrics), "orion_lcore", &v), 0);
}

struct seen {
	char lcore[4][8];
	double v[4];
	unsigned n;
};

static void on_sample(void *arg, const char *labels, size_t len, double v)
{
	struct seen *s = arg;
	if (s->n < 4) {
		assert_int_equal(ctl_prom_label(labels, len, "lcore", s->lcore[s->n], sizeof(s->lcore[0])), 0);
		s->v[s->n++] = v;
	}
}

static void prom__each_and_label__give_per_series_values(void **st)
{
	(void)st;
	struct seen s = { .n = 0 };
	assert_int_equal(ctl_prom_each(g_metrics, strlen(g_metrics), "orion_lcore_busy_ratio", on_sample, &s), 2);
	assert_string_equal(s.lcore[0], "1");
	assert_string_equal(s.lcore[1], "2");
	assert_true(s.v[0] == 0.25 && s.v[1] == 0.5);
	const char *l = "feed=\"a\\\"b\",line=\"A\"";
	char out[8];
	assert_int_equal(ctl_prom_label(l, strlen(l), "feed", out, sizeof(out)), 0);
	assert_string_equal(out, "a\"b");
	assert_int_equal(ctl_prom_label(l, strlen(l), "line", out, sizeof(out)), 0);
	assert_string_equal(out, "A");
	assert_int_equal(ctl_prom_label(l, strlen(l), "lcore", out, sizeof(out)), -ENOENT);
	assert_int_equal(ctl_prom_label(l, strlen(l), "feed", out, 3), -ENOSPC);
	assert_int_equal(ctl_prom_label("a=\"x", 4, "a", out, sizeof(out)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url__http_with_port_and_prefix__parsed),
		cmocka_unit_test(url__https_default_port_and_ipv6__parsed),
		cmocka_unit_test(url__bad_scheme_port_or_chars__rejected),
		cmocka_unit_test(http__content_length__body_exact),
		cmocka_unit_test(http__content_length_short__needs_more_then_truncated_at_eof),
		cmocka_unit_test(http__chunked__decoded_with_extensions_and_trailers),
		cmocka_unit_test(http__chunked_incomplete__needs_more_and_bad_at_eof),
		cmocka_unit_test(http__chunked_wins_over_content_length),
		cmocka_unit_test(http__chunked_malformed__rejected),
		cmocka_unit_test(http__close_delimited__complete_only_at_eof),
		cmocka_unit_test(http__interim_100_and_204__handled),
		cmocka_unit_test(http__bad_status_lines_and_headers__rejected),
		cmocka_unit_test(http__over_limits__emsgsize),
		cmocka_unit_test(http__header_values_sanitized),
		cmocka_unit_test(prom__sum__adds_every_sample_of_exact_name),
		cmocka_unit_test(prom__each_and_label__give_per_series_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
