/* libFuzzer target: hostile ITCH message sequences into md_book.
 *
 * Each message takes a selector byte (which book-relevant type) and then the
 * type's wire bytes from the input; locates and order refs are folded into
 * small ranges so adds, executions, deletes and replaces hit each other. After
 * every message the book's invariants are checked: levels strictly ordered
 * from the touch, every level with shares and orders, counts within limits.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/book/md_book.h"
#include "feeds/itch5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t k_types[] = { 'R', 'A', 'F', 'E', 'C', 'X', 'D', 'U', 'P', 'Q', 'B', 'H', 'h', 'S', 'I' };

static void check(const struct md_books *b, const struct md_book_config *cfg)
{
	struct md_book_level lv[64];
	for (uint16_t loc = 0; loc < 8; loc++)
		for (int s = 0; s < 2; s++) {
			int n = md_book_depth(b, loc, s ? MD_SIDE_ASK : MD_SIDE_BID, lv, 64);
			if (n == -ENOENT)
				continue;
			if (n < 0 || (uint32_t)n > cfg->max_levels_per_side)
				abort();
			for (int k = 0; k < n; k++) {
				if (lv[k].shares == 0 || lv[k].orders == 0)
					abort();
				if (k > 0 && (s ? lv[k].px <= lv[k - 1].px : lv[k].px >= lv[k - 1].px))
					abort();
			}
		}
	struct md_book_stats st;
	md_book_stats(b, &st);
	if (st.orders > cfg->max_orders || st.instruments > cfg->max_instruments)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct md_books *b;
	static const struct md_book_config cfg = {
		.source = 1, .max_instruments = 6, .max_orders = 48, .max_levels_per_side = 6, .max_levels = 40,
	};
	static void *mem;
	static size_t memsz;
	if (mem == NULL) {
		memsz = md_book_mem_size(&cfg);
		mem = aligned_alloc(64, memsz);
		if (mem == NULL)
			abort();
	}
	if (md_book_init(&b, mem, memsz, &cfg) != 0)
		abort();
	size_t i = 0;
	uint64_t seq = 0;
	while (i < size) {
		uint8_t type = k_types[data[i++] % sizeof(k_types)];
		size_t len = itch5_msg_len(type);
		if (len == 0 || size - i < len - 1)
			break;
		uint8_t buf[ITCH5_MAX_MSG_LEN];
		buf[0] = type;
		memcpy(buf + 1, data + i, len - 1);
		i += len - 1;
		struct itch5_msg m;
		if (itch5_decode(buf, len, &m) != ITCH5_OK)
			continue;
		m.stock_locate &= 7;
		switch (type) {
		case 'A':
		case 'F':
			m.u.add.order_ref &= 63;
			m.u.add.price &= 15;
			m.u.add.shares &= 0xFFF;
			break;
		case 'E':
		case 'C':
			m.u.exec.order_ref &= 63;
			break;
		case 'X':
			m.u.cancel.order_ref &= 63;
			break;
		case 'D':
			m.u.del.order_ref &= 63;
			break;
		case 'U':
			m.u.replace.orig_order_ref &= 63;
			m.u.replace.new_order_ref &= 63;
			m.u.replace.price &= 15;
			break;
		default:
			break;
		}
		struct md_tick t;
		unsigned ev = md_book_apply(b, &m, seq, seq, &t);
		seq++;
		if ((ev & MD_BOOK_EV_TICK) && t.bid_px != ORION_PX_NONE && t.ask_px != ORION_PX_NONE &&
		    (t.bid_px >= t.ask_px) != !!(t.flags & MD_TF_CROSSED))
			abort();
		check(b, &cfg);
	}
	struct md_tick out[8];
	if (md_book_set_flags(b, MD_TF_STALE, 0, 1, out, 8) < 0)
		abort();
	return 0;
}
