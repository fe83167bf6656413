/* CRC32C: SSE4.2 instruction when present, slice-by-8 tables otherwise.
 * The tables are computed and the CPU probed once, in a load-time constructor,
 * so the per-call cost is one predictable branch. */
#include "common/journal/jr_crc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define JR_CRC32C_POLY 0x82F63B78u

static uint32_t g_jr_crc_tab[8][256];
static int g_jr_crc_use_hw;

__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1u) ? (c >> 1) ^ JR_CRC32C_POLY : c >> 1;
		g_jr_crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int s = 1; s < 8; s++) {
			uint32_t prev = g_jr_crc_tab[s - 1][i];
			g_jr_crc_tab[s][i] = (prev >> 8) ^ g_jr_crc_tab[0][prev & 0xffu];
		}
#if defined(__x86_64__)
	__builtin_cpu_init();
	g_jr_crc_use_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
}

uint32_t jr_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	while (len >= 8) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= c;   /* little-endian host (x86-64, aarch64 LE) */
		c = g_jr_crc_tab[7][lo & 0xffu] ^ g_jr_crc_tab[6][(lo >> 8) & 0xffu] ^
		    g_jr_crc_tab[5][(lo >> 16) & 0xffu] ^ g_jr_crc_tab[4][lo >> 24] ^
		    g_jr_crc_tab[3][hi & 0xffu] ^ g_jr_crc_tab[2][(hi >> 8) & 0xffu] ^
		    g_jr_crc_tab[1][(hi >> 16) & 0xffu] ^ g_jr_crc_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ g_jr_crc_tab[0][(c ^ *p++) & 0xffu];
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = (uint32_t)~crc;
	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	if (len >= 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		c32 = _mm_crc32_u32(c32, v);
		p += 4;
		len -= 4;
	}
	while (len--)
		c32 = _mm_crc32_u8(c32, *p++);
	return ~c32;
}
#endif

uint32_t jr_crc32c(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (__builtin_expect(g_jr_crc_use_hw, 1))
		return crc_hw(crc, buf, len);
#endif
	return jr_crc32c_sw(crc, buf, len);
}

int jr_crc32c_hw(void)
{
	return g_jr_crc_use_hw;
}
