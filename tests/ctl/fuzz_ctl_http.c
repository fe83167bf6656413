/* libFuzzer target: orionctl's HTTP/1.1 response parser, Prometheus text
 * reader and URL parser on hostile bytes (what a server or a proxy could
 * answer). Input: byte 0 = mode (bit0 eof, bit1 feed the response in two
 * parts as the network would), the rest the bytes. Must never crash, leak or
 * read out of bounds; a complete answer's body is NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/journal/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_sample(void *arg, const char *labels, size_t len, double v)
{
	char out[32];
	(void)v;
	*(unsigned *)arg += ctl_prom_label(labels, len, "lcore", out, sizeof(out)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	/* a private copy, so reads past n are caught */
	char *buf = malloc(n ? n : 1);
	if (!buf)
		return 0;
	memcpy(buf, p, n);
	struct ctl_resp r;
	if (mode & 2) {
		size_t half = n / 2;
		if (ctl_http_parse(buf, half, 0, &r) == 1)
			ctl_resp_free(&r);
	}
	if (ctl_http_parse(buf, n, mode & 1, &r) == 1) {
		if (r.body[r.len] != 0 || r.len > CTL_HTTP_MAX_BODY)
			abort();
		ctl_resp_free(&r);
	}
	unsigned hits = 0;
	double sum;
	ctl_prom_each(buf, n, "orion_lcore_busy_ratio", on_sample, &hits);
	ctl_prom_sum(buf, n, "orion_feed_packets_total", &sum);
	char *url = malloc(n + 1);
	if (url) {
		memcpy(url, p, n);
		url[n] = 0;
		struct ctl_url u;
		ctl_url_parse(url, &u);
		free(url);
	}
	free(buf);
	return 0;
}
