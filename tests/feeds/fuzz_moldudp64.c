/* libFuzzer target: feeds/moldudp64 (+ itch5 on every block).
 *
 * mold_decode() must never crash or read out of bounds (ASan); when it
 * accepts a packet, iteration yields exactly mold_msg_count() blocks that
 * tile the packet to its last byte, and every block goes through
 * itch5_decode(). The input is also tried as a re-request.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feeds/itch5.h"
#include "feeds/moldudp64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = malloc(size ? size : 1);
	if (!in)
		return 0;
	if (size)
		memcpy(in, data, size);

	struct mold_packet p;
	enum mold_err e = mold_decode(in, size, &p);
	(void)mold_err_name(e);
	if (e == MOLD_OK) {
		struct mold_iter it;
		const uint8_t *msg;
		uint16_t n;
		size_t seen = 0, bytes = 0;
		mold_iter_init(&it, &p);
		while (mold_iter_next(&it, &msg, &n)) {
			struct itch5_msg m;
			if (n == 0 || msg < in || msg + n > in + size)
				abort();
			(void)itch5_decode(msg, n, &m);
			seen++;
			bytes += 2 + (size_t)n;
		}
		if (seen != mold_msg_count(&p) || bytes != p.blocks_len ||
		    p.blocks_len != size - MOLD_HDR_LEN)
			abort();
	}

	struct mold_rereq rq;
	if (mold_rereq_decode(in, size, &rq) == MOLD_OK) {
		uint8_t out[MOLD_REREQ_LEN];
		if (mold_rereq_encode(out, sizeof(out), &rq) != MOLD_REREQ_LEN ||
		    memcmp(out, in, MOLD_REREQ_LEN) != 0)
			abort();
	}
	free(in);
	return 0;
}
