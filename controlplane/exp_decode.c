/* `orionctl decode`: exported Envelopes → one JSON object per line.
 *
 * The JSON is produced from the protobuf-c descriptors, so it follows the
 * schema without per-message code: field names as in the .proto files,
 * fields that are absent are left out, enums as their names, bytes as
 * base64, 64-bit integers as JSON numbers (exact in the text; a reader that
 * parses numbers as doubles rounds values above 2^53, e.g. ns timestamps).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/exp_map.h"
#include "controlplane/exporter.h"
#include "orion/v1/envelope.pb-c.h"

#define DECODE_MAX_MSG (64u << 20)
#define DECODE_MAX_DEPTH 16

static void json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f); /* UTF-8 passes through */
		}
	}
	fputc('"', f);
}

static void json_b64(FILE *f, const uint8_t *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	fputc('"', f);
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		fputc(t[(v >> 18) & 63], f);
		fputc(t[(v >> 12) & 63], f);
		fputc(i + 1 < n ? t[(v >> 6) & 63] : '=', f);
		fputc(i + 2 < n ? t[v & 63] : '=', f);
	}
	fputc('"', f);
}

static void json_msg(FILE *f, const ProtobufCMessage *m, int depth);

/* One value of field fd stored at p. */
static void json_value(FILE *f, const ProtobufCFieldDescriptor *fd, const void *p, int depth)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: fprintf(f, "%" PRId32, *(const int32_t *)p); break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: fprintf(f, "%" PRIu32, *(const uint32_t *)p); break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: fprintf(f, "%" PRId64, *(const int64_t *)p); break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: fprintf(f, "%" PRIu64, *(const uint64_t *)p); break;
	case PROTOBUF_C_TYPE_FLOAT: fprintf(f, "%.9g", (double)*(const float *)p); break;
	case PROTOBUF_C_TYPE_DOUBLE: fprintf(f, "%.17g", *(const double *)p); break;
	case PROTOBUF_C_TYPE_BOOL: fputs(*(const protobuf_c_boolean *)p ? "true" : "false", f); break;
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, v);
		if (ev)
			json_str(f, ev->name, strlen(ev->name));
		else
			fprintf(f, "%d", v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		json_str(f, s ? s : "", s ? strlen(s) : 0);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		json_b64(f, b->data, b->len);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		if (sub)
			json_msg(f, sub, depth + 1);
		else
			fputs("null", f);
		break;
	}
	default: fputs("null", f); break;
	}
}

static size_t elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return 8;
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM: return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	default: return 4;
	}
}

static void json_msg(FILE *f, const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const uint8_t *base = (const uint8_t *)m;
	int first = 1;
	if (depth > DECODE_MAX_DEPTH) {
		fputs("null", f);
		return;
	}
	fputc('{', f);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];
		const void *p = base + fd->offset;
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			if (!n)
				continue;
			fprintf(f, "%s\"%s\":[", first ? "" : ",", fd->name);
			const uint8_t *arr = *(uint8_t *const *)p;
			for (size_t k = 0; k < n; k++) {
				if (k)
					fputc(',', f);
				json_value(f, fd, arr + k * elem_size(fd->type), depth);
			}
			fputc(']', f);
			first = 0;
			continue;
		}
		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			if (*(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
				continue;
		} else if (fd->type == PROTOBUF_C_TYPE_STRING || fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			if (!*(void *const *)p)
				continue;
		} else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset) {
			if (!*(const protobuf_c_boolean *)(base + fd->quantifier_offset))
				continue;
		}
		fprintf(f, "%s\"%s\":", first ? "" : ",", fd->name);
		json_value(f, fd, p, depth);
		first = 0;
	}
	fputc('}', f);
}

/* Decode one Envelope and print it; 0 or -EBADMSG. */
static int print_one(FILE *out, const uint8_t *p, size_t n)
{
	Orion__V1__Envelope *env = orion__v1__envelope__unpack(NULL, n, p);
	if (!env)
		return -EBADMSG;
	json_msg(out, &env->base, 0);
	fputc('\n', out);
	orion__v1__envelope__free_unpacked(env, NULL);
	return 0;
}

static int read_full(FILE *in, uint8_t *p, size_t n)
{
	return fread(p, 1, n, in) == n ? 0 : -1;
}

int exp_decode_stream(FILE *in, const char *name, FILE *out, int single)
{
	uint8_t hdr[4];
	uint8_t *buf = NULL;
	size_t cap = 0;
	uint64_t idx = 0, bad = 0;
	int rc = 0;
	if (single) {
		size_t len = 0;
		for (;;) {
			if (len == cap) {
				size_t ncap = cap ? cap * 2 : 65536;
				if (ncap > DECODE_MAX_MSG) {
					fprintf(stderr, "orionctl decode: %s: larger than %u bytes\n", name, DECODE_MAX_MSG);
					free(buf);
					return 1;
				}
				uint8_t *nb = realloc(buf, ncap);
				if (!nb) {
					free(buf);
					return 1;
				}
				buf = nb;
				cap = ncap;
			}
			size_t got = fread(buf + len, 1, cap - len, in);
			len += got;
			if (!got)
				break;
		}
		if (print_one(out, buf, len) != 0) {
			fprintf(stderr, "orionctl decode: %s: not an orion.v1.Envelope (%zu bytes)\n", name, len);
			rc = 1;
		}
		free(buf);
		return rc;
	}
	for (;; idx++) {
		size_t got = fread(hdr, 1, 4, in);
		if (got == 0)
			break;
		if (got != 4) {
			fprintf(stderr, "orionctl decode: %s: message %" PRIu64 ": truncated length prefix\n", name, idx);
			rc = 1;
			break;
		}
		uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (len == UINT32_MAX) /* kcat: a null value (tombstone) */
			continue;
		if (len > DECODE_MAX_MSG) {
			fprintf(stderr,
				"orionctl decode: %s: message %" PRIu64 ": length %u is not plausible (expected kcat "
				"-f '%%R%%s' framing: 4-byte big-endian length, then the value)\n",
				name, idx, len);
			rc = 1;
			break;
		}
		if (len > cap) {
			uint8_t *nb = realloc(buf, len);
			if (!nb) {
				rc = 1;
				break;
			}
			buf = nb;
			cap = len;
		}
		if (read_full(in, buf, len) != 0) {
			fprintf(stderr, "orionctl decode: %s: message %" PRIu64 ": truncated (%u bytes announced)\n", name,
				idx, len);
			rc = 1;
			break;
		}
		if (print_one(out, buf, len) != 0) {
			fprintf(stderr, "orionctl decode: %s: message %" PRIu64 ": not an orion.v1.Envelope (%u bytes)\n",
				name, idx, len);
			bad++;
		}
	}
	free(buf);
	fflush(out);
	return rc || bad ? 1 : 0;
}

static void decode_usage(FILE *f)
{
	fprintf(f,
		"usage: orionctl decode [--single] [FILE...]\n"
		"  Print exported orion.v1.Envelope messages as JSON, one object per line.\n"
		"  Input (stdin, or each FILE; '-' is stdin): a stream of messages, each a\n"
		"  4-byte big-endian length then that many bytes, as written by\n"
		"    kcat -C -b BROKER -t TOPIC -e -f '%%R%%s' | orionctl decode\n"
		"  A length of 0xFFFFFFFF (kcat's null value) is skipped.\n"
		"  --single   each FILE holds exactly one message, unframed\n"
		"Exit: 0 ok, 1 malformed input (reported on stderr), 2 usage.\n");
}

int exp_decode_main(int argc, char **argv)
{
	int single = 0, rc = 0, nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--single")) {
			single = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "help")) {
			decode_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "orionctl decode: unknown option '%s'\n", argv[i]);
			decode_usage(stderr);
			return 2;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		nfiles++;
		FILE *in = strcmp(argv[i], "-") ? fopen(argv[i], "rb") : stdin;
		if (!in) {
			fprintf(stderr, "orionctl decode: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		if (exp_decode_stream(in, argv[i], stdout, single))
			rc = 1;
		if (in != stdin)
			fclose(in);
	}
	if (!nfiles) {
		if (single)
			return exp_decode_stream(stdin, "stdin", stdout, 1);
		return exp_decode_stream(stdin, "stdin", stdout, 0);
	}
	return rc;
}
