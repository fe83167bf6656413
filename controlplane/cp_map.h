/* Control plane: u64 -> u32 open-addressing hash map (linear probing,
 * backward-shift deletion), sized once. Key 0 means "empty". Header-only,
 * one owner thread (no locking).
 */
#ifndef ORION_CONTROLPLANE_CP_MAP_H
#define ORION_CONTROLPLANE_CP_MAP_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct cp_u64map {
	uint64_t *k;
	uint32_t *v;
	uint32_t mask;
};

static inline int cp_map_init(struct cp_u64map *m, uint32_t entries)
{
	uint32_t cap = 16;
	while (cap < entries * 2u)
		cap <<= 1;
	m->k = calloc(cap, sizeof(*m->k));
	m->v = calloc(cap, sizeof(*m->v));
	m->mask = cap - 1;
	return m->k && m->v ? 0 : -ENOMEM;
}

static inline void cp_map_free(struct cp_u64map *m)
{
	free(m->k);
	free(m->v);
}

static inline uint32_t cp_map_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x;
}

static inline uint32_t *cp_map_get(struct cp_u64map *m, uint64_t key)
{
	if (!key)
		return NULL;
	for (uint32_t i = cp_map_mix(key) & m->mask, n = 0; n <= m->mask; i = (i + 1) & m->mask, n++) {
		if (m->k[i] == key)
			return &m->v[i];
		if (!m->k[i])
			return NULL;
	}
	return NULL;
}

static inline void cp_map_put(struct cp_u64map *m, uint64_t key, uint32_t val)
{
	if (!key)
		return;
	for (uint32_t i = cp_map_mix(key) & m->mask, n = 0; n <= m->mask; i = (i + 1) & m->mask, n++) {
		if (m->k[i] == key || !m->k[i]) {
			m->k[i] = key;
			m->v[i] = val;
			return;
		}
	}
}

static inline void cp_map_del(struct cp_u64map *m, uint64_t key)
{
	if (!key)
		return;
	uint32_t i = cp_map_mix(key) & m->mask, n = 0;
	for (; n <= m->mask; i = (i + 1) & m->mask, n++) {
		if (!m->k[i])
			return;
		if (m->k[i] == key)
			break;
	}
	if (n > m->mask)
		return;
	/* backward shift: move later members of the cluster into the hole */
	uint32_t hole = i;
	for (uint32_t j = (i + 1) & m->mask; m->k[j]; j = (j + 1) & m->mask) {
		uint32_t home = cp_map_mix(m->k[j]) & m->mask;
		/* can j's entry move to hole? yes unless home lies cyclically in (hole, j] */
		int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!stays) {
			m->k[hole] = m->k[j];
			m->v[hole] = m->v[j];
			hole = j;
		}
	}
	m->k[hole] = 0;
}

#endif
