/* libFuzzer target: a logged-on FIX acceptor session fed hostile input.
 *
 * Input byte 0 picks the mode:
 *   even: the rest is a raw byte stream, fed in chunks whose sizes come
 *         from the data itself;
 *   odd:  the rest is lines of message bodies written with '|' for SOH
 *         (e.g. "35=D|49=CLIENT1|56=ORION|34=2|52=...|11=A|"); each line is
 *         wrapped with a correct 8=, 9= and 10= so it passes framing and
 *         exercises the session logic. A line starting with '!' advances the
 *         fake clock by its second byte (seconds) and runs the timers.
 * Every message the session sends must frame, parse and carry our CompIDs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix/fix_app.h"
#include "fix/fix_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0 (1705311000ull * 1000000000ull)

static struct fix_session *g_s;
static struct fix_store *g_st;
static uint64_t g_now;

static int f_send(void *ctx, const char *d, size_t n)
{
	(void)ctx;
	static struct fix_msg m;
	struct fix_frame fr;
	if (fix_frame(d, n, 1 << 20, &fr) != FIX_FRAME_MSG || fr.len != n)
		abort();
	if (fix_parse(&m, d, n, NULL) != 0)
		abort();
	const struct fix_field *f = fix_msg_get(&m, 49);
	if (!f || f->len != 5 || memcmp(f->val, "ORION", 5) != 0)
		abort();
	return 0;
}

static void f_deliver(void *ctx, struct fix_session *s, const struct fix_msg *m)
{
	(void)ctx;
	struct fix_order o;
	if (fix_msg_is(m, "D") && fix_decode_order(m, &o, NULL) == 0) {
		struct fix_exec_report er = {
			.order_id = { "O1", 2 }, .exec_id = { "E1", 2 }, .cl_ord_id = o.cl_ord_id,
			.symbol = o.symbol, .exec_type = '0', .ord_status = '0', .side = o.side,
			.ord_rej_reason = -1, .order_qty = o.qty, .leaves_qty = o.qty, .price = o.price,
			.avg_px = 0, .last_px = ORION_PX_NONE,
		};
		(void)fix_send_exec_report(s, &er, g_now);
	}
}

static void f_disconnect(void *ctx, struct fix_session *s, enum fix_disc_reason r, const char *t)
{
	(void)ctx;
	(void)s;
	(void)r;
	(void)t;
}

static const struct fix_session_ops g_ops = { .send = f_send, .deliver = f_deliver, .disconnect = f_disconnect };

static void init(void)
{
	struct fix_session_cfg c;
	fix_session_cfg_defaults(&c);
	strcpy(c.sender_comp_id, "ORION");
	strcpy(c.target_comp_id, "CLIENT1");
	c.max_msg_size = 2048;
	c.queue_max_msgs = 64;
	struct fix_store_cfg sc = { .dir = NULL, .max_msgs = 256, .data_bytes = 1 << 16 };
	if (fix_store_mmap_open(&g_st, &sc) || fix_session_create(&g_s, &c, g_st, &g_ops, NULL))
		abort();
}

static void wrap_and_feed(const char *line, size_t n)
{
	static char msg[4200];
	char body[4096];
	if (n >= sizeof(body))
		n = sizeof(body) - 1;
	for (size_t i = 0; i < n; i++)
		body[i] = line[i] == '|' ? '\001' : line[i];
	int h = snprintf(msg, sizeof(msg), "8=FIX.4.4\0019=%zu\001", n);
	memcpy(msg + h, body, n);
	size_t len = (size_t)h + n;
	unsigned cs = fix_checksum(msg, len);
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "10=%03u\001", cs);
	fix_session_on_bytes(g_s, msg, len, g_now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!g_s)
		init();
	g_now = T0;
	fix_store_reset(g_st, g_now);
	fix_session_on_connect(g_s, g_now);
	const char *logon = "35=A|49=CLIENT1|56=ORION|34=1|52=20240115-09:30:00.000|98=0|108=30|";
	wrap_and_feed(logon, strlen(logon));
	if (fix_session_state(g_s) != FIX_SS_ACTIVE)
		abort();
	if (size == 0)
		return 0;
	const char *p = (const char *)data + 1;
	size_t len = size - 1;
	if ((data[0] & 1) == 0) {
		size_t i = 0;
		while (i < len) {
			size_t chunk = 1 + (unsigned char)p[i] % 97;
			if (chunk > len - i)
				chunk = len - i;
			fix_session_on_bytes(g_s, p + i, chunk, g_now);
			i += chunk;
			g_now += 100000000ull;
			fix_session_on_timer(g_s, g_now);
		}
		return 0;
	}
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) : len;
		if (n >= 2 && p[0] == '!') {
			g_now += (uint64_t)(unsigned char)p[1] * 1000000000ull;
			fix_session_on_timer(g_s, g_now);
		} else if (n > 0) {
			wrap_and_feed(p, n);
		}
		if (fix_session_state(g_s) == FIX_SS_DISCONNECTED)
			break;
		p += n + (nl ? 1 : 0);
		len -= n + (nl ? 1 : 0);
	}
	return 0;
}
