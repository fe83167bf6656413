/* libFuzzer target: FIX framing, parsing, dictionary validation, groups,
 * value parsers and a parse -> build -> frame round trip. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix/fix_app.h"
#include "fix/fix_codec.h"
#include "fix/fix_dict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t g_parties[] = { 448, 447, 452 };

static void rebuild(const struct fix_msg *m)
{
	static char out[70000];
	char type[9];
	memcpy(type, m->msgtype, m->msgtype_len);
	type[m->msgtype_len] = 0;
	char begin[FIX_MAX_BEGIN_STRING + 1];
	if (m->f[0].len > FIX_MAX_BEGIN_STRING)
		return;
	memcpy(begin, m->f[0].val, m->f[0].len);
	begin[m->f[0].len] = 0;
	struct fix_builder b;
	fix_build_begin(&b, out, sizeof(out), begin, type);
	for (unsigned i = 3; i + 1 < m->nfields; i++)
		fix_build_str(&b, m->f[i].tag, m->f[i].val, m->f[i].len);
	const char *p;
	int n = fix_build_finish(&b, &p);
	if (n < 0)
		return; /* e.g. a begin string with odd bytes is still fine to refuse */
	struct fix_frame fr;
	if (fix_frame(p, (size_t)n, sizeof(out), &fr) != FIX_FRAME_MSG || fr.len != (size_t)n)
		abort();
	static struct fix_msg m2;
	if (fix_parse(&m2, p, (size_t)n, NULL) != 0 || m2.nfields != m->nfields)
		abort();
	for (unsigned i = 3; i + 1 < m->nfields; i++)
		if (m2.f[i].tag != m->f[i].tag || m2.f[i].len != m->f[i].len ||
		    memcmp(m2.f[i].val, m->f[i].val, m->f[i].len) != 0)
			abort();
}

static void values(const char *p, size_t n)
{
	uint64_t u;
	int64_t s;
	bool b;
	char d[32];
	if (fix_parse_price(p, n, &s) == 0) {
		size_t k = fix_fmt_price(d, s);
		int64_t back;
		if (fix_parse_price(d, k, &back) != 0 || back != s)
			abort();
	}
	if (fix_parse_timestamp(p, n, &u) == 0) {
		size_t k = fix_fmt_timestamp(d, u, 9);
		uint64_t back;
		if (fix_parse_timestamp(d, k, &back) != 0 || back != u)
			abort();
	}
	(void)fix_parse_uint(p, n, &u);
	(void)fix_parse_int(p, n, &s);
	(void)fix_parse_qty(p, n, &s);
	(void)fix_parse_bool(p, n, &b);
	(void)fix_parse_date(p, n, &s);
	(void)fix_is_decimal(p, n);
}

static void stream(const char *p, size_t len);

/* Also run the input as a message body ('|' = SOH) with correct 8, 9 and 10,
 * so mutations reach the parser and validator instead of dying on CheckSum. */
static void wrapped(const uint8_t *data, size_t size)
{
	static char msg[8300];
	if (size > 8192)
		size = 8192;
	int h = snprintf(msg, sizeof(msg), "8=FIX.4.4\0019=%zu\001", size);
	for (size_t i = 0; i < size; i++)
		msg[(size_t)h + i] = data[i] == '|' ? '\001' : (char)data[i];
	size_t len = (size_t)h + size;
	unsigned cs = fix_checksum(msg, len);
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "10=%03u\001", cs);
	stream(msg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	values((const char *)data, size < 64 ? size : 64);
	stream((const char *)data, size);
	if (size > 0)
		wrapped(data, size);
	return 0;
}

static void stream(const char *p, size_t len)
{
	static struct fix_msg m;
	for (unsigned guard = 0; len > 0 && guard < 10000; guard++) {
		struct fix_frame fr;
		enum fix_frame_rc rc = fix_frame(p, len, 65536, &fr);
		if (rc == FIX_FRAME_NEED_MORE)
			break;
		if (fr.len == 0 || fr.len > len)
			abort(); /* the framer must always make progress inside the buffer */
		if (rc == FIX_FRAME_MSG && fix_parse(&m, p, fr.len, NULL) == 0) {
			struct fix_reject rj;
			(void)fix_dict_validate(&m, &rj);
			int ci = fix_msg_find(&m, 453);
			if (ci > 0) {
				struct fix_group g;
				uint32_t bad;
				if (fix_group_open(&m, (unsigned)ci, 448, g_parties, 3, &g, &bad) == 0)
					for (unsigned e = 0; e < g.count; e++)
						(void)fix_group_find(&m, &g, e, 452);
			}
			struct fix_order o;
			struct fix_cancel c;
			(void)fix_decode_order(&m, &o, NULL);
			(void)fix_decode_cancel(&m, &c, NULL);
			for (unsigned i = 0; i < m.nfields; i++)
				(void)fix_dict_check_value(m.f[i].tag, m.f[i].val, m.f[i].len);
			rebuild(&m);
		}
		p += fr.len;
		len -= fr.len;
	}
}
