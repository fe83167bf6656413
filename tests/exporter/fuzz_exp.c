/* Fuzz the exporter's parsers of hostile input:
 *  - journal records of any type, length and content → exp_map_record
 *    (a damaged or foreign journal must be skipped, never over-read);
 *  - exported messages → `orionctl decode` (length framing, protobuf unpack,
 *    JSON printer), framed and single.
 * Input: byte 0 selects the target, bytes 1-2 the record type (mapping).
 * decode reports each malformed input on stderr: run with -close_fd_mask=2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/exp_map.h"
#include "dataplane/og/og_journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[EXP_MAP_BUF];
	if (size < 3)
		return 0;
	if (data[0] & 1) {
		static const uint16_t types[] = { 0x0101, 0x0102, 0x0103, 0x0104, 0x0105,
						  0x0106, 0x0201, 0x0202, 0x0301 };
		static const size_t sizes[] = { 0, sizeof(struct og_jr_new), sizeof(struct og_jr_cancel),
						sizeof(struct og_jr_replace), sizeof(struct og_jr_mass),
						sizeof(struct og_jr_risk_cmd), sizeof(struct me_event),
						sizeof(struct og_jr_session), 0 /* OG_JR_CP: any length */ };
		uint16_t t = (uint16_t)(data[1] | data[2] << 8);
		size_t len = size - 3;
		if (data[0] & 2) { /* a known type with its exact length: reach the mappers */
			t = types[data[1] % 9];
			if (sizes[data[1] % 9])
				len = sizes[data[1] % 9];
		}
		uint8_t *p = calloc(1, len ? len : 1); /* exact size: ASan sees any over-read */
		if (!p)
			return 0;
		memcpy(p, data + 3, len < size - 3 ? len : size - 3);
		struct jr_rec rec = { .seq = 7, .ts_ns = 1, .type = t, .len = (uint32_t)len, .payload = p };
		struct exp_map_state ms = { .producer = "fuzz", .cause_seq = 3 };
		struct exp_msg m[EXP_MAX_MSGS];
		enum exp_skip skip;
		int n = exp_map_record(&ms, &rec, buf, sizeof(buf), m, &skip);
		for (int k = 0; k < n; k++)
			if (m[k].len > sizeof(buf) || m[k].key_len >= EXP_KEY_MAX)
				abort();
		free(p);
		return 0;
	}
	FILE *in = fmemopen((void *)(data + 1), size - 1, "rb");
	FILE *out = fopen("/dev/null", "w");
	if (in && out)
		exp_decode_stream(in, "fuzz", out, (data[0] & 2) != 0);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	return 0;
}
