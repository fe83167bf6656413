/* Per-client conflation level and slow-consumer decisions. */
#include <string.h>

#include "controlplane/cp_conflate.h"

void cp_cflt_init(struct cp_cflt *s)
{
	memset(s, 0, sizeof(*s));
}

enum cp_cflt_action cp_cflt_tick(struct cp_cflt *s, const struct cp_cflt_cfg *cfg, uint64_t tick_no, uint64_t now_ns,
				 int stalled, int has_md, size_t queued, int *level_changed)
{
	*level_changed = 0;
	if (queued > cfg->max_queue)
		return CP_CFLT_DROP_QUEUE;
	if (stalled) {
		if (!s->stalled_since)
			s->stalled_since = now_ns ? now_ns : 1;
		else if (now_ns - s->stalled_since >= cfg->stall_ns)
			return CP_CFLT_DROP_STALLED;
		s->clean_ticks = 0;
		if (s->level < cfg->max_level) {
			s->level++;
			s->level_ups++;
			*level_changed = 1;
		}
		return CP_CFLT_IDLE; /* nothing more is written while the last write is pending */
	}
	s->stalled_since = 0;
	if (s->level > 0 && ++s->clean_ticks >= cfg->relax_ticks) {
		s->level--;
		s->level_downs++;
		s->clean_ticks = 0;
		*level_changed = -1;
	}
	if (!has_md)
		return CP_CFLT_IDLE;
	uint64_t every = 1ull << s->level;
	return (tick_no & (every - 1)) == 0 ? CP_CFLT_SEND : CP_CFLT_IDLE;
}
