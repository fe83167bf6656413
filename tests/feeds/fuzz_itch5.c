/* libFuzzer target: feeds/itch5.
 *
 * 1. itch5_decode() on the raw input must never crash or read out of bounds
 *    (ASan), and must accept exactly the inputs whose length is the type's.
 * 2. For every accepted message, itch5_encode() gives back the input bytes.
 * 3. The input reinterpreted as a struct itch5_msg: encode → decode → encode
 *    gives the same bytes (encoder and decoder agree on every field).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/itch5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Copy to an exact-size heap block so ASan sees any overread. */
	uint8_t *in = malloc(size ? size : 1);
	if (!in)
		return 0;
	if (size)
		memcpy(in, data, size);

	struct itch5_msg m;
	enum itch5_err e = itch5_decode(in, size, &m);
	if (size == 0) {
		if (e != ITCH5_ERR_EMPTY)
			abort();
	} else if (itch5_msg_len(in[0]) == 0) {
		if (e != ITCH5_ERR_UNKNOWN_TYPE)
			abort();
	} else if (itch5_msg_len(in[0]) != size) {
		if (e != ITCH5_ERR_LEN_MISMATCH)
			abort();
	} else {
		uint8_t out[ITCH5_MAX_MSG_LEN];
		if (e != ITCH5_OK)
			abort();
		if (itch5_encode(out, sizeof(out), &m) != (int)size)
			abort();
		if (memcmp(out, in, size) != 0)
			abort();
	}
	(void)itch5_err_name(e);

	if (size >= sizeof(struct itch5_msg)) {
		struct itch5_msg s;
		uint8_t w1[ITCH5_MAX_MSG_LEN], w2[ITCH5_MAX_MSG_LEN];
		memcpy(&s, in, sizeof(s));
		int n1 = itch5_encode(w1, sizeof(w1), &s);
		if (n1 > 0) {
			struct itch5_msg d;
			if (itch5_decode(w1, (size_t)n1, &d) != ITCH5_OK)
				abort();
			if (d.type != s.type || d.stock_locate != s.stock_locate ||
			    d.tracking != s.tracking || d.timestamp != s.timestamp)
				abort();
			if (itch5_encode(w2, sizeof(w2), &d) != n1 || memcmp(w1, w2, (size_t)n1) != 0)
				abort();
		} else if (itch5_msg_len(s.type) != 0 && s.timestamp < (1ULL << 48)) {
			abort(); /* a known type with a valid timestamp must encode */
		}
	}
	free(in);
	return 0;
}
