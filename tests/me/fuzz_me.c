/* libFuzzer target: the input is a script of order-entry operations and raw
 * control records (risk_cmd, mass cancel, state changes) played against an
 * engine behind risk. After every step the books must be consistent
 * (me_check_book) and risk usage non-negative; after a final cancel-all every
 * account's open notional and open-order count must be back to zero. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/me/risk.h"

#define TICK 1000000LL
#define PX_MIN (9900 * TICK)
#define N_IDS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink_event(void *ctx, const struct me_event *ev)
{
	uint64_t *ids = ctx;
	if (ev->type == ME_EV_ACCEPTED)
		ids[ev->u.order.order_id % N_IDS] = ev->u.order.order_id;
}

struct cursor {
	const uint8_t *p;
	size_t n;
};

static int take(struct cursor *c, void *out, size_t len)
{
	if (c->n < len)
		return -1;
	memcpy(out, c->p, len);
	c->p += len;
	c->n -= len;
	return 0;
}

static void check(struct me_engine *e, struct risk *r)
{
	for (uint32_t i = 0; i < me_instrument_count(e); i++)
		if (me_check_book(e, i) != 0)
			__builtin_trap();
	for (uint32_t a = 0; a < 4; a++) {
		int64_t used;
		uint32_t open;
		if (risk_account_usage(r, a, &used, &open) != 0 || used < 0 || open > me_capacity(e))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t ids[N_IDS];
	memset(ids, 0, sizeof ids);
	struct me_config mc = { .max_orders = 48, .max_instruments = 2, .stp_default = ME_STP_CANCEL_RESTING,
		.sink = { .on_event = sink_event, .ctx = ids } };
	struct me_engine *e = me_create(&mc);
	if (!e)
		return 0;
	for (int i = 0; i < 2; i++) {
		struct me_instrument_cfg ic = { .px_min = PX_MIN, .px_max = PX_MIN + 200 * TICK, .tick_size = TICK,
			.lot_size = i ? 10 : 1, .ref_px = i ? PX_MIN + 100 * TICK : ORION_PX_NONE, .band_ticks = 50 };
		uint32_t id;
		if (me_add_instrument(e, &ic, &id) != 0)
			abort();
	}
	struct risk_config rc = { .max_sessions = 4, .max_accounts = 4, .max_tenants = 2, .max_instruments = 2,
		.account_default = { .max_order_qty = 500, .max_open_orders = 20, .credit_limit = INT64_MAX / 4 },
		.session_default = { .max_open_orders = 30, .rate_per_s = 1000, .burst = 50 } };
	struct risk *r = risk_create(&rc, e);
	if (!r)
		abort();

	struct cursor c = { data, size };
	uint64_t now = 0;
	uint8_t op;
	while (take(&c, &op, 1) == 0) {
		uint8_t b[24];
		now += 1000000;
		switch (op % 8) {
		case 0: case 1: case 2: {
			if (take(&c, b, 12))
				break;
			struct me_new_order q = { .instrument_id = b[0] % 3, .session_id = b[1] % 5,
				.account_id = b[2] % 5, .tenant_id = b[3] % 3,
				.price = PX_MIN + (int64_t)(int8_t)b[4] * TICK + 100 * TICK + (b[5] == 0xff ? 1 : 0),
				.qty = (uint32_t)(b[6] | (b[7] << 8)) % 600, .side = b[8] % 3, .type = b[9] % 3,
				.tif = b[10] % 5, .flags = b[11] & 0x81, .stp = b[11] >> 4 };
			risk_new_order(r, &q, now);
			break;
		}
		case 3: {
			if (take(&c, b, 2))
				break;
			struct me_cancel_req q = { .order_id = ids[b[0] % N_IDS], .session_id = b[1] % 2 ? ME_SESSION_ANY : b[1] % 5 };
			risk_cancel(r, &q, now);
			break;
		}
		case 4: {
			if (take(&c, b, 5))
				break;
			struct me_replace_req q = { .order_id = ids[b[0] % N_IDS], .session_id = ME_SESSION_ANY,
				.qty = (uint32_t)(b[1] | (b[2] << 8)) % 600,
				.price = PX_MIN + (int64_t)(int8_t)b[3] * TICK + 100 * TICK };
			(void)b[4];
			risk_replace(r, &q, now);
			break;
		}
		case 5: {
			struct me_mass_cancel m;
			if (take(&c, &m, sizeof m))
				break;
			me_mass_cancel(e, &m, now, NULL);
			break;
		}
		case 6: {
			if (take(&c, b, 2))
				break;
			me_set_state(e, b[0] % 3, b[1] % 4, now);
			break;
		}
		default: {
			struct risk_cmd cmd;
			if (take(&c, &cmd, sizeof cmd))
				break;
			risk_apply_cmd(r, &cmd);
			break;
		}
		}
		check(e, r);
	}
	struct me_mass_cancel all = { .reason = ME_CXL_MASS };
	if (me_mass_cancel(e, &all, now, NULL) != 0 || me_get_stats(e)->orders_live != 0)
		__builtin_trap();
	for (uint32_t a = 0; a < 4; a++) {
		int64_t used;
		uint32_t open;
		risk_account_usage(r, a, &used, &open);
		if (used != 0 || open != 0)
			__builtin_trap();
	}
	risk_destroy(r);
	me_destroy(e);
	return 0;
}
