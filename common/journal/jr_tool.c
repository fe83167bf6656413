/* `orionctl journal` implementation. See jr_tool.h. */
#include "common/journal/jr_tool.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/journal/jr_reader.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: orionctl journal dump [--from SEQ] [--limit N] [--full] [--json] DIR\n"
		"       orionctl journal verify DIR\n"
		"       orionctl journal stats DIR\n"
		"exit: 0 ok, 1 damage found (or unreadable), 2 usage\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	if (!s || !*s || *s == '-')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

static void fmt_time(char *buf, size_t n, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		snprintf(buf, n, "?");
		return;
	}
	char d[32];
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%09" PRIu64 "Z", d, (uint64_t)(ns % 1000000000ull));
}

static void report_diag(const char *dir, int rc, const struct jr_diag *d)
{
	if (d->torn)
		fprintf(stderr, "journal %s: torn tail at %s offset %" PRIu64 " (%" PRIu64 " bytes, %s); "
			"a writer opening the journal truncates it\n",
			dir, d->torn_file, d->torn_off, d->torn_bytes, d->torn_reason);
	if (rc == -EBADMSG)
		fprintf(stderr, "journal %s: DAMAGE at %s offset %" PRIu64 ": %s\n", dir, d->err_file, d->err_off,
			d->err);
	else if (rc)
		fprintf(stderr, "journal %s: cannot verify: %s: %s\n", dir, d->err_file, d->err[0] ? d->err : strerror(-rc));
}

static int cmd_verify(const char *dir)
{
	struct jr_diag d;
	int rc = jr_verify(dir, 0, &d, NULL);
	report_diag(dir, rc, &d);
	if (rc)
		return JR_TOOL_DAMAGE;
	if (d.segments)
		printf("ok: %u segments (%016" PRIx64 "..%016" PRIx64 "), %" PRIu64 " records, seq %" PRIu64
		       "..%" PRIu64 ", %u spare\n",
		       d.segments, d.first_index, d.last_index, d.records, d.first_seq, d.last_seq, d.spares);
	else
		printf("ok: empty journal (%u spare)\n", d.spares);
	return JR_TOOL_OK;
}

static void print_hex(FILE *f, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* ---- field writers for decoders ---- */

static void put_key(struct jr_tool_out *o, const char *key)
{
	if (o->json)
		fprintf(o->f, ",\"%s\":", key);
	else
		fprintf(o->f, " %s=", key);
}

void jr_tool_put_u64(struct jr_tool_out *o, const char *key, uint64_t v)
{
	put_key(o, key);
	fprintf(o->f, "%" PRIu64, v);
}

void jr_tool_put_i64(struct jr_tool_out *o, const char *key, int64_t v)
{
	put_key(o, key);
	fprintf(o->f, "%" PRId64, v);
}

void jr_tool_put_dec(struct jr_tool_out *o, const char *key, int64_t v, unsigned digits)
{
	char frac[24];
	uint64_t scale = 1;
	if (digits > 18)
		digits = 18;
	for (unsigned i = 0; i < digits; i++)
		scale *= 10;
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t ip = a / scale, fp = a % scale;
	put_key(o, key);
	fprintf(o->f, "%s%" PRIu64, v < 0 ? "-" : "", ip);
	if (fp) {
		snprintf(frac, sizeof(frac), "%0*" PRIu64, (int)digits, fp);
		size_t n = strlen(frac);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
		fprintf(o->f, ".%s", frac);
	}
}

void jr_tool_put_str(struct jr_tool_out *o, const char *key, const void *s, size_t maxlen)
{
	const uint8_t *p = s;
	size_t n = 0;
	while (n < maxlen && p[n])
		n++;
	put_key(o, key);
	if (o->json) {
		fputc('"', o->f);
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"' || p[i] == '\\')
				fprintf(o->f, "\\%c", p[i]);
			else if (p[i] < 0x20 || p[i] >= 0x7f)
				fprintf(o->f, "\\u%04x", p[i]); /* bytes, not UTF-8: one code point each */
			else
				fputc(p[i], o->f);
		}
		fputc('"', o->f);
		return;
	}
	int plain = n > 0;
	for (size_t i = 0; i < n && plain; i++)
		plain = p[i] > 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\';
	if (plain) {
		fwrite(p, 1, n, o->f);
		return;
	}
	fputc('"', o->f);
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			fputc(p[i], o->f);
		else
			fprintf(o->f, "\\x%02x", p[i]);
	}
	fputc('"', o->f);
}

static const char *type_name(const struct jr_tool_decoder *dec, uint16_t t)
{
	return dec && dec->type_name ? dec->type_name(t) : NULL;
}

static void dump_rec(const struct jr_rec *rec, int full, int json, const struct jr_tool_decoder *dec)
{
	struct jr_tool_out o = { .f = stdout, .json = json };
	const char *name = type_name(dec, rec->type);
	if (json) {
		printf("{\"seq\":%" PRIu64 ",\"ts_ns\":%" PRIu64 ",\"type\":%u", rec->seq, rec->ts_ns, rec->type);
		if (name)
			jr_tool_put_str(&o, "name", name, strlen(name));
		printf(",\"flags\":%u,\"len\":%u,\"seg\":%" PRIu64 ",\"off\":%" PRIu64, rec->flags, rec->len,
		       rec->seg_index, rec->off);
	} else {
		printf("seq=%" PRIu64 " ts=%" PRIu64 " type=%u", rec->seq, rec->ts_ns, rec->type);
		if (name)
			printf(" name=%s", name);
		printf(" flags=0x%04x len=%u seg=%" PRIu64 " off=%" PRIu64, rec->flags, rec->len, rec->seg_index,
		       rec->off);
	}
	int decoded = dec && dec->decode && dec->decode(&o, rec->type, rec->payload, rec->len) == 0;
	if (!decoded || full) {
		uint32_t n = full || json || rec->len <= 32 ? rec->len : 32;
		printf(json ? ",\"payload\":\"" : " payload=");
		print_hex(stdout, rec->payload, n);
		printf("%s", n < rec->len ? "..." : "");
		if (json)
			putchar('"');
	}
	printf(json ? "}\n" : "\n");
}

static int cmd_dump(const char *dir, uint64_t from, uint64_t limit, int full, int json,
		    const struct jr_tool_decoder *dec)
{
	struct jr_diag d;
	int vrc = jr_verify(dir, 0, &d, NULL);
	report_diag(dir, vrc, &d);
	if (vrc && vrc != -EBADMSG)
		return JR_TOOL_DAMAGE;
	if (d.records == 0 || (from && from > d.last_seq))
		return vrc ? JR_TOOL_DAMAGE : JR_TOOL_OK;
	struct jr_reader *r;
	int rc = jr_reader_open(&r, dir, from);
	if (rc) {
		fprintf(stderr, "journal %s: cannot read from seq %" PRIu64 ": %s\n", dir, from,
			rc == -ERANGE ? "not in the journal" : strerror(-rc));
		return rc == -ERANGE ? JR_TOOL_USAGE : JR_TOOL_DAMAGE;
	}
	uint64_t shown = 0;
	struct jr_rec rec;
	while ((!limit || shown < limit) && (rc = jr_reader_next(r, d.last_seq, &rec)) == 1) {
		dump_rec(&rec, full, json, dec);
		shown++;
	}
	if (rc < 0) {
		fprintf(stderr, "journal %s: %s\n", dir, jr_reader_err(r));
		vrc = rc;
	}
	jr_reader_close(r);
	return vrc ? JR_TOOL_DAMAGE : JR_TOOL_OK;
}

struct stats {
	uint64_t *count;          /* [65536] */
	uint64_t *payload;        /* [65536] */
	uint64_t first_ts, last_ts, min_ts, max_ts;
	uint64_t payload_total;
	int have;
};

static int stats_rec(void *ctx, const struct jr_rec *r)
{
	struct stats *s = ctx;
	if (!s->have) {
		s->first_ts = r->ts_ns;
		s->have = 1;
	}
	s->count[r->type]++;
	s->payload[r->type] += r->len;
	s->payload_total += r->len;
	s->last_ts = r->ts_ns;
	if (r->ts_ns < s->min_ts)
		s->min_ts = r->ts_ns;
	if (r->ts_ns > s->max_ts)
		s->max_ts = r->ts_ns;
	return 0;
}

static int cmd_stats(const char *dir, const struct jr_tool_decoder *dec)
{
	struct stats s = { .min_ts = UINT64_MAX };
	s.count = calloc(65536, sizeof(uint64_t));
	s.payload = calloc(65536, sizeof(uint64_t));
	if (!s.count || !s.payload) {
		free(s.count);
		free(s.payload);
		fprintf(stderr, "journal %s: out of memory\n", dir);
		return JR_TOOL_DAMAGE;
	}
	struct jr_diag d;
	struct jr_visit v = { .on_record = stats_rec, .ctx = &s };
	int rc = jr_verify(dir, 0, &d, &v);
	report_diag(dir, rc, &d);
	printf("segments:      %u", d.segments);
	if (d.segments)
		printf(" (index %016" PRIx64 "..%016" PRIx64 ")", d.first_index, d.last_index);
	printf(", %u spare\n", d.spares);
	printf("records:       %" PRIu64 "\n", d.records);
	if (d.records)
		printf("seq:           %" PRIu64 "..%" PRIu64 "\n", d.first_seq, d.last_seq);
	printf("bytes:         %" PRIu64 " in records (%" PRIu64 " payload)\n", d.bytes, s.payload_total);
	if (d.records) {
		char a[64], b[64];
		fmt_time(a, sizeof(a), s.min_ts);
		fmt_time(b, sizeof(b), s.max_ts);
		printf("time:          %s .. %s (span %.6f s)\n", a, b, (double)(s.max_ts - s.min_ts) / 1e9);
		if (s.last_ts < s.first_ts)
			printf("note:          timestamps are not monotonic\n");
		printf("%-8s %14s %16s\n", "type", "records", "payload_bytes");
		for (unsigned t = 0; t < 65536; t++)
			if (s.count[t]) {
				const char *name = type_name(dec, (uint16_t)t);
				printf("%-8u %14" PRIu64 " %16" PRIu64 "%s%s\n", t, s.count[t], s.payload[t],
				       name ? "  " : "", name ? name : "");
			}
	}
	free(s.count);
	free(s.payload);
	return rc ? JR_TOOL_DAMAGE : JR_TOOL_OK;
}

int jr_tool_main(int argc, char **argv)
{
	return jr_tool_main_dec(argc, argv, NULL);
}

int jr_tool_main_dec(int argc, char **argv, const struct jr_tool_decoder *dec)
{
	if (argc < 2) {
		usage(stderr);
		return JR_TOOL_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return JR_TOOL_OK;
	}
	uint64_t from = 0, limit = 0;
	int full = 0, json = 0;
	const char *dir = NULL;
	int is_dump = !strcmp(cmd, "dump");
	if (!is_dump && strcmp(cmd, "verify") && strcmp(cmd, "stats")) {
		fprintf(stderr, "orionctl journal: unknown command '%s'\n", cmd);
		usage(stderr);
		return JR_TOOL_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (is_dump && (!strcmp(a, "--from") || !strcmp(a, "--limit"))) {
			if (i + 1 >= argc || parse_u64(argv[i + 1], a[2] == 'f' ? &from : &limit)) {
				fprintf(stderr, "orionctl journal: %s needs a number\n", a);
				return JR_TOOL_USAGE;
			}
			i++;
		} else if (is_dump && !strcmp(a, "--full")) {
			full = 1;
		} else if (is_dump && !strcmp(a, "--json")) {
			json = 1;
		} else if (a[0] == '-' || dir) {
			fprintf(stderr, "orionctl journal %s: unexpected argument '%s'\n", cmd, a);
			usage(stderr);
			return JR_TOOL_USAGE;
		} else {
			dir = a;
		}
	}
	if (!dir) {
		fprintf(stderr, "orionctl journal %s: missing DIR\n", cmd);
		usage(stderr);
		return JR_TOOL_USAGE;
	}
	if (is_dump)
		return cmd_dump(dir, from, limit, full, json, dec);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(dir);
	return cmd_stats(dir, dec);
}
