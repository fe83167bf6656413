/* Unit tests: feeds/moldudp64 (MoldUDP64 downstream and re-request codec). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "feeds/itch5.h"
#include "feeds/moldudp64.h"

static const char g_sess[MOLD_SESSION_LEN] = { 'S', 'E', 'S', 'S', '0', '0', '0', '0', '0', '1' };
#define SESS_BYTES 'S', 'E', 'S', 'S', '0', '0', '0', '0', '0', '1'

static void mold__hand_vector__decodes_and_iterates(void **state)
{
	(void)state;
	/* seq 0x0102030405060708, count 2; blocks "abc" and "Z" */
	static const uint8_t v[] = { SESS_BYTES, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				     0x00, 0x02, 0x00, 0x03, 'a', 'b', 'c', 0x00, 0x01, 'Z' };
	struct mold_packet p;
	assert_int_equal(mold_decode(v, sizeof(v), &p), MOLD_OK);
	assert_memory_equal(p.session, g_sess, MOLD_SESSION_LEN);
	assert_int_equal(p.seq, 0x0102030405060708ULL);
	assert_int_equal(p.count, 2);
	assert_int_equal(mold_msg_count(&p), 2);
	assert_false(mold_is_heartbeat(&p));
	assert_false(mold_is_end_of_session(&p));
	assert_ptr_equal(p.blocks, v + 20);
	assert_int_equal(p.blocks_len, sizeof(v) - 20);

	struct mold_iter it;
	const uint8_t *m;
	uint16_t n;
	mold_iter_init(&it, &p);
	assert_true(mold_iter_next(&it, &m, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(m, "abc", 3);
	assert_true(mold_iter_next(&it, &m, &n));
	assert_int_equal(n, 1);
	assert_int_equal(m[0], 'Z');
	assert_false(mold_iter_next(&it, &m, &n));
	assert_false(mold_iter_next(&it, &m, &n));
}

static void mold__builder_itch_messages__iterate_back_in_order(void **state)
{
	(void)state;
	uint8_t pkt[MOLD_MAX_PAYLOAD];
	struct mold_builder b;
	mold_builder_init(&b, pkt, sizeof(pkt), g_sess, 1000);

	const uint8_t types[] = { 'A', 'E', 'X', 'U', 'D', 'P' };
	const size_t nmsg = sizeof(types);
	for (size_t i = 0; i < nmsg; i++) {
		struct itch5_msg m;
		uint8_t wire[ITCH5_MAX_MSG_LEN];
		itch5_msg_init(&m, types[i], 5, 0, 34200000000000ULL + i);
		m.u.del.order_ref = 100 + i; /* first field of A E X D P; orig ref of U */
		int n = itch5_encode(wire, sizeof(wire), &m);
		assert_true(n > 0);
		assert_int_equal(mold_builder_add(&b, wire, (size_t)n), 0);
	}
	size_t len = mold_builder_finish(&b);
	assert_int_equal(len, 20 + 6 * 2 + 36 + 31 + 23 + 35 + 19 + 44);

	struct mold_packet p;
	assert_int_equal(mold_decode(pkt, len, &p), MOLD_OK);
	assert_int_equal(p.seq, 1000);
	assert_int_equal(p.count, nmsg);
	assert_memory_equal(p.session, g_sess, MOLD_SESSION_LEN);

	struct mold_iter it;
	const uint8_t *msg;
	uint16_t n;
	size_t i = 0;
	mold_iter_init(&it, &p);
	while (mold_iter_next(&it, &msg, &n)) {
		struct itch5_msg d;
		assert_true(i < nmsg);
		assert_int_equal(itch5_decode(msg, n, &d), ITCH5_OK);
		assert_int_equal(d.type, types[i]);
		assert_int_equal(d.timestamp, 34200000000000ULL + i);
		assert_int_equal(d.u.del.order_ref, 100 + i);
		i++;
	}
	assert_int_equal(i, nmsg);
}

static void mold__builder_full__enospc_leaves_packet_unchanged(void **state)
{
	(void)state;
	uint8_t pkt[20 + 2 + 10 + 2 + 5];
	uint8_t msg[16];
	memset(msg, 'm', sizeof(msg));
	struct mold_builder b;
	mold_builder_init(&b, pkt, sizeof(pkt), g_sess, 7);
	assert_int_equal(mold_builder_add(&b, msg, 10), 0);
	assert_int_equal(mold_builder_add(&b, msg, 6), -ENOSPC);
	assert_int_equal(b.len, 32);
	assert_int_equal(b.count, 1);
	assert_int_equal(mold_builder_add(&b, msg, 5), 0);
	assert_int_equal(mold_builder_add(&b, msg, 1), -ENOSPC);
	assert_int_equal(mold_builder_add(&b, msg, 0), -EINVAL);
	assert_int_equal(mold_builder_add(&b, msg, 65536), -EINVAL);
	size_t len = mold_builder_finish(&b);
	assert_int_equal(len, sizeof(pkt));
	struct mold_packet p;
	assert_int_equal(mold_decode(pkt, len, &p), MOLD_OK);
	assert_int_equal(p.count, 2);
}

static void mold__builder_tiny_buffer__finish_returns_zero(void **state)
{
	(void)state;
	uint8_t pkt[19];
	memset(pkt, 0xAB, sizeof(pkt));
	struct mold_builder b;
	mold_builder_init(&b, pkt, sizeof(pkt), g_sess, 1);
	assert_int_equal(mold_builder_add(&b, "x", 1), -ENOSPC);
	assert_int_equal(mold_builder_finish(&b), 0);
	assert_int_equal(pkt[0], 0xAB);
}

static void mold__builder_empty__is_heartbeat(void **state)
{
	(void)state;
	uint8_t pkt[64];
	struct mold_builder b;
	mold_builder_init(&b, pkt, sizeof(pkt), g_sess, 55);
	size_t len = mold_builder_finish(&b);
	assert_int_equal(len, 20);
	struct mold_packet p;
	assert_int_equal(mold_decode(pkt, len, &p), MOLD_OK);
	assert_true(mold_is_heartbeat(&p));
}

static void mold__heartbeat__encodes_and_decodes(void **state)
{
	(void)state;
	uint8_t pkt[32];
	static const uint8_t want[] = { SESS_BYTES, 0, 0, 0, 0, 0, 0, 0x30, 0x39, 0x00, 0x00 };
	assert_int_equal(mold_encode_heartbeat(pkt, sizeof(pkt), g_sess, 12345), 20);
	assert_memory_equal(pkt, want, 20);
	struct mold_packet p;
	assert_int_equal(mold_decode(pkt, 20, &p), MOLD_OK);
	assert_true(mold_is_heartbeat(&p));
	assert_false(mold_is_end_of_session(&p));
	assert_int_equal(mold_msg_count(&p), 0);
	assert_int_equal(p.seq, 12345);
	struct mold_iter it;
	const uint8_t *m;
	uint16_t n;
	mold_iter_init(&it, &p);
	assert_false(mold_iter_next(&it, &m, &n));
	assert_int_equal(mold_encode_heartbeat(pkt, 19, g_sess, 1), -ENOSPC);
}

static void mold__end_of_session__encodes_and_decodes(void **state)
{
	(void)state;
	uint8_t pkt[32];
	static const uint8_t want[] = { SESS_BYTES, 0, 0, 0, 0, 0, 0, 0, 0x09, 0xFF, 0xFF };
	assert_int_equal(mold_encode_end_of_session(pkt, sizeof(pkt), g_sess, 9), 20);
	assert_memory_equal(pkt, want, 20);
	struct mold_packet p;
	assert_int_equal(mold_decode(pkt, 20, &p), MOLD_OK);
	assert_true(mold_is_end_of_session(&p));
	assert_false(mold_is_heartbeat(&p));
	assert_int_equal(mold_msg_count(&p), 0);
	assert_int_equal(p.seq, 9);
	struct mold_iter it;
	const uint8_t *m;
	uint16_t n;
	mold_iter_init(&it, &p);
	assert_false(mold_iter_next(&it, &m, &n));
	assert_int_equal(mold_encode_end_of_session(pkt, 10, g_sess, 1), -ENOSPC);
}

static void mold__rereq__round_trips(void **state)
{
	(void)state;
	struct mold_rereq rq, back;
	memcpy(rq.session, g_sess, MOLD_SESSION_LEN);
	rq.seq = 0x1122334455667788ULL;
	rq.count = 300;
	uint8_t buf[MOLD_REREQ_LEN];
	static const uint8_t want[] = { SESS_BYTES, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
					0x01, 0x2C };
	assert_int_equal(mold_rereq_encode(buf, sizeof(buf), &rq), MOLD_REREQ_LEN);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(mold_rereq_decode(buf, sizeof(buf), &back), MOLD_OK);
	assert_memory_equal(back.session, g_sess, MOLD_SESSION_LEN);
	assert_int_equal(back.seq, rq.seq);
	assert_int_equal(back.count, 300);
	assert_int_equal(mold_rereq_encode(buf, 19, &rq), -ENOSPC);
}

static void mold__rereq_wrong_length__rejected(void **state)
{
	(void)state;
	uint8_t buf[21] = { 0 };
	struct mold_rereq rq;
	assert_int_equal(mold_rereq_decode(buf, 19, &rq), MOLD_ERR_SHORT_HEADER);
	assert_int_equal(mold_rereq_decode(buf, 0, &rq), MOLD_ERR_SHORT_HEADER);
	assert_int_equal(mold_rereq_decode(buf, 21, &rq), MOLD_ERR_COUNT_MISMATCH);
}

/* Header with the given count followed by tail bytes; returns total length. */
static size_t make_pkt(uint8_t *buf, uint16_t count, const uint8_t *tail, size_t tail_len)
{
	memcpy(buf, g_sess, MOLD_SESSION_LEN);
	memset(buf + 10, 0, 8);
	buf[17] = 1;
	buf[18] = (uint8_t)(count >> 8);
	buf[19] = (uint8_t)count;
	if (tail_len)
		memcpy(buf + 20, tail, tail_len);
	return 20 + tail_len;
}

static void mold__short_header__rejected(void **state)
{
	(void)state;
	uint8_t buf[32];
	struct mold_packet p;
	make_pkt(buf, 0, NULL, 0);
	assert_int_equal(mold_decode(buf, 19, &p), MOLD_ERR_SHORT_HEADER);
	assert_int_equal(mold_decode(buf, 0, &p), MOLD_ERR_SHORT_HEADER);
}

static void mold__truncated_len__rejected(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct mold_packet p;
	static const uint8_t tail[] = { 0x00, 0x01, 'a', 0x00 }; /* 2nd len cut after 1 byte */
	size_t n = make_pkt(buf, 2, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_TRUNCATED_LEN);
	n = make_pkt(buf, 1, tail + 3, 1);
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_TRUNCATED_LEN);
}

static void mold__len_overrun__rejected(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct mold_packet p;
	static const uint8_t tail[] = { 0x00, 0x05, 'a', 'b', 'c', 'd' }; /* says 5, has 4 */
	size_t n = make_pkt(buf, 1, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_LEN_OVERRUN);
	static const uint8_t huge[] = { 0xFF, 0xFF, 'a' };
	n = make_pkt(buf, 1, huge, sizeof(huge));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_LEN_OVERRUN);
}

static void mold__zero_len__rejected(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct mold_packet p;
	static const uint8_t tail[] = { 0x00, 0x01, 'a', 0x00, 0x00 };
	size_t n = make_pkt(buf, 2, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_ZERO_LEN);
}

static void mold__count_mismatch__rejected(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct mold_packet p;
	static const uint8_t tail[] = { 0x00, 0x01, 'a', 0x00, 0x01, 'b' };
	/* fewer blocks than count */
	size_t n = make_pkt(buf, 3, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_COUNT_MISMATCH);
	/* trailing bytes after count blocks */
	n = make_pkt(buf, 1, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_COUNT_MISMATCH);
	/* heartbeat carrying bytes */
	n = make_pkt(buf, 0, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_COUNT_MISMATCH);
	/* and the exact count is accepted */
	n = make_pkt(buf, 2, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_OK);
}

static void mold__eos_with_data__rejected(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct mold_packet p;
	static const uint8_t tail[] = { 0x00, 0x01, 'a' };
	size_t n = make_pkt(buf, MOLD_COUNT_END_OF_SESSION, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_EOS_WITH_DATA);
}

static void mold__rejection__leaves_output_untouched(void **state)
{
	(void)state;
	uint8_t buf[64];
	struct mold_packet p;
	memset(&p, 0x5A, sizeof(p));
	static const uint8_t tail[] = { 0x00, 0x09, 'a' };
	size_t n = make_pkt(buf, 1, tail, sizeof(tail));
	assert_int_equal(mold_decode(buf, n, &p), MOLD_ERR_LEN_OVERRUN);
	assert_int_equal(p.count, 0x5A5A);
}

static void mold__iter_on_hand_made_packet__stops_at_end(void **state)
{
	(void)state;
	/* A packet struct not produced by mold_decode: count says 3, bytes hold 1. */
	static const uint8_t blocks[] = { 0x00, 0x01, 'a', 0x00, 0x09, 'b' };
	struct mold_packet p = { .count = 3, .blocks = blocks, .blocks_len = sizeof(blocks) };
	struct mold_iter it;
	const uint8_t *m;
	uint16_t n;
	mold_iter_init(&it, &p);
	assert_true(mold_iter_next(&it, &m, &n));
	assert_int_equal(n, 1);
	assert_false(mold_iter_next(&it, &m, &n));
	assert_false(mold_iter_next(&it, &m, &n));
}

static void mold__err_name__distinct_for_every_reason(void **state)
{
	(void)state;
	for (int i = 0; i < MOLD_ERR__COUNT; i++) {
		assert_string_not_equal(mold_err_name((enum mold_err)i), "invalid");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(mold_err_name((enum mold_err)i),
						mold_err_name((enum mold_err)j));
	}
	assert_string_equal(mold_err_name(MOLD_ERR__COUNT), "invalid");
	assert_string_equal(mold_err_name(MOLD_ERR_ZERO_LEN), "zero_len");
}

static void mold__stats__count_by_reason(void **state)
{
	(void)state;
	struct mold_stats st;
	struct mold_packet p;
	uint8_t buf[32];
	memset(&st, 0, sizeof(st));
	size_t n = make_pkt(buf, 0, NULL, 0);
	st.err[mold_decode(buf, n, &p)]++;
	st.err[mold_decode(buf, 5, &p)]++;
	st.err[mold_decode(buf, 5, &p)]++;
	assert_int_equal(st.err[MOLD_OK], 1);
	assert_int_equal(st.err[MOLD_ERR_SHORT_HEADER], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mold__hand_vector__decodes_and_iterates),
		cmocka_unit_test(mold__builder_itch_messages__iterate_back_in_order),
		cmocka_unit_test(mold__builder_full__enospc_leaves_packet_unchanged),
		cmocka_unit_test(mold__builder_tiny_buffer__finish_returns_zero),
		cmocka_unit_test(mold__builder_empty__is_heartbeat),
		cmocka_unit_test(mold__heartbeat__encodes_and_decodes),
		cmocka_unit_test(mold__end_of_session__encodes_and_decodes),
		cmocka_unit_test(mold__rereq__round_trips),
		cmocka_unit_test(mold__rereq_wrong_length__rejected),
		cmocka_unit_test(mold__short_header__rejected),
		cmocka_unit_test(mold__truncated_len__rejected),
		cmocka_unit_test(mold__len_overrun__rejected),
		cmocka_unit_test(mold__zero_len__rejected),
		cmocka_unit_test(mold__count_mismatch__rejected),
		cmocka_unit_test(mold__eos_with_data__rejected),
		cmocka_unit_test(mold__rejection__leaves_output_untouched),
		cmocka_unit_test(mold__iter_on_hand_made_packet__stops_at_end),
		cmocka_unit_test(mold__err_name__distinct_for_every_reason),
		cmocka_unit_test(mold__stats__count_by_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
