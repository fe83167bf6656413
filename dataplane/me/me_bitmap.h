/* Internal to dataplane/me: a two-level bitmap over price levels. Bit i set =
 * level i is non-empty on that side. The summary word array has one bit per
 * 64-bit word, so next/prev look at <= 2 words plus a scan of the summary
 * (n_levels / 4096 words: one word for grids up to 4096 ticks). */
#ifndef ORION_ME_BITMAP_H
#define ORION_ME_BITMAP_H

#include <stdint.h>

#define ME_BM_NONE UINT32_MAX

struct me_bm {
	uint64_t *w;     /* nw words */
	uint64_t *s;     /* ns summary words */
	uint32_t nbits, nw, ns;
};

static inline void me_bm_set(struct me_bm *b, uint32_t i)
{
	uint32_t wi = i >> 6;
	b->w[wi] |= 1ull << (i & 63);
	b->s[wi >> 6] |= 1ull << (wi & 63);
}

static inline void me_bm_clear(struct me_bm *b, uint32_t i)
{
	uint32_t wi = i >> 6;
	b->w[wi] &= ~(1ull << (i & 63));
	if (b->w[wi] == 0)
		b->s[wi >> 6] &= ~(1ull << (wi & 63));
}

static inline int me_bm_test(const struct me_bm *b, uint32_t i)
{
	return (int)((b->w[i >> 6] >> (i & 63)) & 1);
}

/* Smallest set index >= i, or ME_BM_NONE. */
static inline uint32_t me_bm_next(const struct me_bm *b, uint32_t i)
{
	if (i >= b->nbits)
		return ME_BM_NONE;
	uint32_t wi = i >> 6;
	uint64_t x = b->w[wi] & (~0ull << (i & 63));
	if (x)
		return (wi << 6) + (uint32_t)__builtin_ctzll(x);
	wi++;
	if (wi >= b->nw)
		return ME_BM_NONE;
	uint32_t si = wi >> 6;
	uint64_t y = b->s[si] & (~0ull << (wi & 63));
	while (y == 0) {
		if (++si >= b->ns)
			return ME_BM_NONE;
		y = b->s[si];
	}
	wi = (si << 6) + (uint32_t)__builtin_ctzll(y);
	return (wi << 6) + (uint32_t)__builtin_ctzll(b->w[wi]);
}

/* Largest set index <= i (i clamped to the grid), or ME_BM_NONE. */
static inline uint32_t me_bm_prev(const struct me_bm *b, uint32_t i)
{
	if (b->nbits == 0)
		return ME_BM_NONE;
	if (i >= b->nbits)
		i = b->nbits - 1;
	uint32_t wi = i >> 6;
	uint64_t x = b->w[wi] & (~0ull >> (63 - (i & 63)));
	if (x)
		return (wi << 6) + 63u - (uint32_t)__builtin_clzll(x);
	if (wi == 0)
		return ME_BM_NONE;
	wi--;
	uint32_t si = wi >> 6;
	uint64_t y = b->s[si] & (~0ull >> (63 - (wi & 63)));
	while (y == 0) {
		if (si == 0)
			return ME_BM_NONE;
		y = b->s[--si];
	}
	wi = (si << 6) + 63u - (uint32_t)__builtin_clzll(y);
	return (wi << 6) + 63u - (uint32_t)__builtin_clzll(b->w[wi]);
}

#endif
