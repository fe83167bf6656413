/* Control plane: per-WebSocket-client conflation and slow-consumer policy.
 *
 * Market data is never queued per client: at each conflation tick (every
 * conflate_interval) a client that is due gets one "md" message holding the
 * latest value of every subscribed instrument that changed since its last
 * one. A client is due every 2^level ticks. When a client has not drained its
 * previous writes by the next tick (stalled), its level goes up (conflated
 * harder, up to max_level); after `relax_ticks` ticks in a row without a stall
 * it comes down one level. A client stalled for stall_ns, or with more than
 * max_queue bytes of order/trade/notification messages waiting, is
 * disconnected with a reason. Pure logic, time passed in; cp thread only.
 */
#ifndef ORION_CONTROLPLANE_CP_CONFLATE_H
#define ORION_CONTROLPLANE_CP_CONFLATE_H

#include <stddef.h>
#include <stdint.h>

struct cp_cflt_cfg {
	uint8_t max_level;          /* e.g. 4: at worst every 16th tick */
	uint32_t relax_ticks;       /* stall-free ticks before one level down */
	uint64_t stall_ns;          /* stalled this long: disconnect */
	size_t max_queue;           /* queued bytes above this: disconnect */
};

struct cp_cflt {
	uint8_t level;
	uint32_t clean_ticks;
	uint64_t stalled_since;     /* 0: not stalled */
	uint64_t level_ups, level_downs;
};

enum cp_cflt_action {
	CP_CFLT_IDLE = 0,           /* nothing to send now */
	CP_CFLT_SEND,               /* build and send the md update */
	CP_CFLT_DROP_STALLED,       /* disconnect: not reading */
	CP_CFLT_DROP_QUEUE,         /* disconnect: queue over max */
};

void cp_cflt_init(struct cp_cflt *s);
/* One conflation tick. tick_no counts ticks; stalled: the client still has
 * unwritten data from before (the transport has not asked for more);
 * has_md: a subscribed instrument changed since its last md message;
 * queued: bytes waiting in its message queue. *level_changed is set to +1 /
 * -1 when the level moved (to notify the client), else 0. */
enum cp_cflt_action cp_cflt_tick(struct cp_cflt *s, const struct cp_cflt_cfg *cfg, uint64_t tick_no, uint64_t now_ns,
				 int stalled, int has_md, size_t queued, int *level_changed);

#endif
