/* Micro-benchmark of the FIX path for one NewOrderSingle on one core:
 * frame+parse, +validate, +decode, builder (ExecutionReport), and the whole
 * session round trip (bytes in -> deliver -> decode -> ExecutionReport built,
 * stored in an in-memory store, handed to a no-op transport).
 * Usage: bench_fix [iterations]  (default 1000000; a few seconds at most). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fix/fix_app.h"
#include "fix/fix_session.h"

#define T0 (1705311000ull * 1000000000ull)

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t wrap(char *out, size_t cap, const char *body_pipes)
{
	char body[1024];
	size_t n = strlen(body_pipes);
	for (size_t i = 0; i <= n; i++)
		body[i] = body_pipes[i] == '|' ? '\001' : body_pipes[i];
	int h = snprintf(out, cap, "8=FIX.4.4\0019=%zu\001", n);
	memcpy(out + h, body, n);
	size_t len = (size_t)h + n;
	unsigned cs = fix_checksum(out, len);
	return len + (size_t)snprintf(out + len, cap - len, "10=%03u\001", cs);
}

static uint64_t g_sink, g_sent;
static uint64_t g_now = T0;

static int b_send(void *ctx, const char *d, size_t n)
{
	(void)ctx;
	g_sink += (unsigned char)d[n - 2];
	g_sent++;
	return 0;
}

static void b_deliver(void *ctx, struct fix_session *s, const struct fix_msg *m)
{
	(void)ctx;
	struct fix_order o;
	if (fix_decode_order(m, &o, NULL))
		abort();
	struct fix_exec_report er = {
		.order_id = { "OID-0000001", 11 }, .exec_id = { "EID-0000001", 11 }, .cl_ord_id = o.cl_ord_id,
		.symbol = o.symbol, .account = o.account, .exec_type = '0', .ord_status = '0', .side = o.side,
		.ord_type = o.ord_type, .tif = o.tif, .ord_rej_reason = -1, .order_qty = o.qty,
		.leaves_qty = o.qty, .cum_qty = 0, .price = o.price, .avg_px = 0, .last_px = ORION_PX_NONE,
		.transact_time_ns = g_now,
	};
	if (fix_send_exec_report(s, &er, g_now) != 0)
		abort();
}

static void b_disc(void *ctx, struct fix_session *s, enum fix_disc_reason r, const char *t)
{
	(void)ctx;
	(void)s;
	fprintf(stderr, "unexpected disconnect: %s (%s)\n", fix_disc_reason_name(r), t);
	abort();
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 1000000;
	if (iters <= 0)
		iters = 1000000;
	static char nos[512];
	size_t n = wrap(nos, sizeof(nos), "35=D|49=CLIENT1|56=ORION|34=2|52=20240115-09:30:00.000|11=ORD-00000001|"
					  "1=ACC1|55=AAPL|54=1|60=20240115-09:30:00.000|38=100|40=2|44=187.25|59=0|");
	static struct fix_msg m;
	struct fix_frame fr;
	struct fix_reject rj;
	struct fix_order o;

	uint64_t t = mono_ns();
	for (long i = 0; i < iters; i++) {
		if (fix_frame(nos, n, 8192, &fr) != FIX_FRAME_MSG || fix_parse(&m, nos, fr.len, NULL))
			abort();
		g_sink += m.nfields;
	}
	double parse_ns = (double)(mono_ns() - t) / (double)iters;

	t = mono_ns();
	for (long i = 0; i < iters; i++) {
		fix_frame(nos, n, 8192, &fr);
		fix_parse(&m, nos, fr.len, NULL);
		if (fix_dict_validate(&m, &rj))
			abort();
	}
	double validate_ns = (double)(mono_ns() - t) / (double)iters;

	t = mono_ns();
	for (long i = 0; i < iters; i++) {
		fix_frame(nos, n, 8192, &fr);
		fix_parse(&m, nos, fr.len, NULL);
		fix_dict_validate(&m, &rj);
		if (fix_decode_order(&m, &o, NULL))
			abort();
		g_sink += (uint64_t)o.price;
	}
	double decode_ns = (double)(mono_ns() - t) / (double)iters;

	static char out[1024];
	t = mono_ns();
	for (long i = 0; i < iters; i++) {
		struct fix_builder b;
		const char *p;
		fix_build_begin(&b, out, sizeof(out), "FIX.4.4", "8");
		fix_build_str(&b, 49, "ORION", 5);
		fix_build_str(&b, 56, "CLIENT1", 7);
		fix_build_uint(&b, 34, (uint64_t)i + 1);
		fix_build_timestamp(&b, 52, T0 + (uint64_t)i * 1000, 3);
		fix_build_str(&b, 37, "OID-0000001", 11);
		fix_build_str(&b, 17, "EID-0000001", 11);
		fix_build_str(&b, 11, "ORD-00000001", 12);
		fix_build_char(&b, 150, '0');
		fix_build_char(&b, 39, '0');
		fix_build_str(&b, 55, "AAPL", 4);
		fix_build_char(&b, 54, '1');
		fix_build_int(&b, 38, 100);
		fix_build_price(&b, 44, 18725000000LL);
		fix_build_int(&b, 151, 100);
		fix_build_int(&b, 14, 0);
		fix_build_price(&b, 6, 0);
		g_sink += (uint64_t)fix_build_finish(&b, &p);
	}
	double build_ns = (double)(mono_ns() - t) / (double)iters;

	/* whole session round trip */
	struct fix_session_cfg c;
	fix_session_cfg_defaults(&c);
	strcpy(c.sender_comp_id, "ORION");
	strcpy(c.target_comp_id, "CLIENT1");
	struct fix_store_cfg sc = { .dir = NULL, .max_msgs = 1u << 16, .data_bytes = 64ull << 20 };
	struct fix_store *st;
	struct fix_session *s;
	static const struct fix_session_ops ops = { .send = b_send, .deliver = b_deliver, .disconnect = b_disc };
	if (fix_store_mmap_open(&st, &sc) || fix_session_create(&s, &c, st, &ops, NULL))
		abort();
	fix_session_on_connect(s, g_now);
	char logon[256];
	size_t ln = wrap(logon, sizeof(logon), "35=A|49=CLIENT1|56=ORION|34=1|52=20240115-09:30:00.000|98=0|108=30|");
	fix_session_on_bytes(s, logon, ln, g_now);
	/* pre-build a batch of orders with consecutive sequence numbers */
	enum { BATCH = 1024 };
	static char batch[BATCH * 256];
	size_t blen = 0;
	long done = 0;
	uint64_t seq = 2, total_ns = 0;
	while (done < iters) {
		blen = 0;
		for (int k = 0; k < BATCH; k++) {
			char body[300];
			snprintf(body, sizeof(body), "35=D|49=CLIENT1|56=ORION|34=%llu|52=20240115-09:30:00.000|"
				 "11=ORD-%08llu|1=ACC1|55=AAPL|54=1|60=20240115-09:30:00.000|38=100|40=2|44=187.25|59=0|",
				 (unsigned long long)seq, (unsigned long long)seq);
			seq++;
			blen += wrap(batch + blen, sizeof(batch) - blen, body);
		}
		t = mono_ns();
		/* feed like a socket would: 4 KiB reads */
		for (size_t off = 0; off < blen; off += 4096)
			fix_session_on_bytes(s, batch + off, blen - off < 4096 ? blen - off : 4096, g_now);
		total_ns += mono_ns() - t;
		done += BATCH;
	}
	if (fix_session_stats(s)->c[FIX_SC_APP_IN] != (uint64_t)done)
		abort();
	double session_ns = (double)total_ns / (double)done;

	printf("NewOrderSingle (%zu bytes), %ld iterations, one core:\n", n, iters);
	printf("  frame+parse                         %7.1f ns\n", parse_ns);
	printf("  frame+parse+validate                %7.1f ns\n", validate_ns);
	printf("  frame+parse+validate+decode         %7.1f ns\n", decode_ns);
	printf("  build ExecutionReport               %7.1f ns\n", build_ns);
	printf("  session: NOS in -> ExecReport out   %7.1f ns  (%.0f orders/s)\n", session_ns,
	       1e9 / session_ns);
	fprintf(stderr, "(sink %llu, sent %llu)\n", (unsigned long long)g_sink, (unsigned long long)g_sent);
	fix_session_destroy(s);
	fix_store_close(st);
	return 0;
}
