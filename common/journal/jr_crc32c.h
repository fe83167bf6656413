/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every
 * journal record and segment header.
 *
 * Convention: the standard CRC32C (initial value and final xor 0xFFFFFFFF are
 * applied inside), so calls chain: jr_crc32c(jr_crc32c(0, a, na), b, nb) is the
 * CRC of a followed by b. jr_crc32c(0, "123456789", 9) == 0xE3069283.
 *
 * The SSE4.2 crc32 instruction is used when the CPU has it (checked once at
 * load time with __builtin_cpu_supports); otherwise a slice-by-8 table. No new
 * dependency. All functions are pure, make no syscall and are safe from any
 * thread, including dataplane lcores.
 */
#ifndef ORION_COMMON_JOURNAL_CRC32C_H
#define ORION_COMMON_JOURNAL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C of buf[0..len) continuing from crc (0 to start). buf may be unaligned;
 * len 0 returns crc unchanged. */
uint32_t jr_crc32c(uint32_t crc, const void *buf, size_t len);

/* The table implementation, whatever the CPU (for tests and comparison). */
uint32_t jr_crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* 1 when jr_crc32c() uses the SSE4.2 instruction, else 0. */
int jr_crc32c_hw(void);

#endif
