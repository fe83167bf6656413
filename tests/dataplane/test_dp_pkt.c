/* Unit tests: dataplane/dp_pkt (Ethernet/VLAN/IPv4/UDP parsing, line table, frame building, ARP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dataplane/dp_pkt.h"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 1 }, MAC_B[6] = { 0x02, 0, 0, 0, 0, 2 };

static int build(uint8_t *buf, uint16_t vlan, const char *dst, uint16_t dport, size_t plen)
{
	uint8_t payload[64];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	return dp_pkt_build_udp(buf, 256, MAC_A, MAC_B, vlan, inet_addr("10.0.0.1"), inet_addr(dst), 1234, dport,
				payload, plen);
}

static void pkt__built_udp__parses_back(void **state)
{
	(void)state;
	uint8_t f[256];
	int n = build(f, 0, "239.1.1.1", 26400, 40);
	assert_int_equal(n, 14 + 20 + 8 + 40);
	struct dp_udp_view v;
	assert_int_equal(dp_pkt_parse_udp(f, (size_t)n, &v), DP_PKT_OK);
	assert_int_equal(v.payload_len, 40);
	assert_int_equal(v.dst_port, 26400);
	assert_int_equal(v.src_port, 1234);
	assert_int_equal(v.dst_ip, inet_addr("239.1.1.1"));
	assert_int_equal(v.payload[5], 5);
	assert_int_equal(v.vlan, 0);
	assert_memory_equal(v.src_mac, MAC_B, 6);
}

static void pkt__vlan_tagged__parses_with_vlan_id(void **state)
{
	(void)state;
	uint8_t f[256];
	int n = build(f, 101, "239.1.1.1", 26400, 10);
	struct dp_udp_view v;
	assert_int_equal(dp_pkt_parse_udp(f, (size_t)n, &v), DP_PKT_OK);
	assert_int_equal(v.vlan, 101);
	assert_int_equal(v.payload_len, 10);
}

static void pkt__truncated_anywhere__rejected_without_overread(void **state)
{
	(void)state;
	uint8_t f[256];
	int n = build(f, 0, "239.1.1.1", 26400, 20);
	struct dp_udp_view v;
	for (int len = 0; len < n; len++)
		assert_int_not_equal(dp_pkt_parse_udp(f, (size_t)len, &v), DP_PKT_OK);
	/* IP total length larger than the frame */
	f[14 + 2] = 0x05;
	assert_int_equal(dp_pkt_parse_udp(f, (size_t)n, &v), DP_PKT_BAD_IPV4);
}

static void pkt__fragment_and_tcp__dropped_by_reason(void **state)
{
	(void)state;
	uint8_t f[256];
	int n = build(f, 0, "239.1.1.1", 26400, 20);
	struct dp_udp_view v;
	f[14 + 6] = 0x20; /* MF */
	assert_int_equal(dp_pkt_parse_udp(f, (size_t)n, &v), DP_PKT_IP_FRAGMENT);
	f[14 + 6] = 0x40;
	f[14 + 9] = 6;
	assert_int_equal(dp_pkt_parse_udp(f, (size_t)n, &v), DP_PKT_NOT_UDP);
	f[12] = 0x86;
	f[13] = 0xdd;
	assert_int_equal(dp_pkt_parse_udp(f, (size_t)n, &v), DP_PKT_NOT_IPV4);
}

static void pkt__udp_length_beyond_ip__rejected(void **state)
{
	(void)state;
	uint8_t f[256];
	int n = build(f, 0, "239.1.1.1", 26400, 20);
	struct dp_udp_view v;
	f[14 + 20 + 4] = 0x10; /* UDP length 4096+ */
	assert_int_equal(dp_pkt_parse_udp(f, (size_t)n, &v), DP_PKT_BAD_UDP);
}

static void line_table__lookup__finds_only_configured_lines(void **state)
{
	(void)state;
	static struct dp_line_table t;
	dp_line_table_init(&t);
	assert_int_equal(dp_line_table_add(&t, inet_addr("239.1.1.1"), 26400, 0, 0), 0);
	assert_int_equal(dp_line_table_add(&t, inet_addr("239.1.1.2"), 26400, 0, 1), 0);
	assert_int_equal(dp_line_table_add(&t, inet_addr("239.1.1.1"), 26400, 1, 0), -EEXIST);
	const struct dp_line_entry *e = dp_line_table_find(&t, inet_addr("239.1.1.2"), 26400);
	assert_non_null(e);
	assert_int_equal(e->line, 1);
	assert_null(dp_line_table_find(&t, inet_addr("239.1.1.2"), 26401));
	for (unsigned i = 0; i < DP_LINE_TABLE_SIZE / 2 - 2; i++)
		assert_int_equal(dp_line_table_add(&t, htonl(0xef000000u + i), 1000, 2, 0), 0);
	assert_int_equal(dp_line_table_add(&t, htonl(0xef100000u), 1000, 2, 0), -ENOSPC);
	assert_null(dp_line_table_find(&t, htonl(0xef200000u), 1000));
}

static void arp__request_for_my_ip__answered(void **state)
{
	(void)state;
	uint8_t req[42] = { 0 }, out[128];
	memset(req, 0xff, 6);
	memcpy(req + 6, MAC_B, 6);
	req[12] = 0x08;
	req[13] = 0x06;
	uint8_t *a = req + 14;
	a[1] = 1;         /* htype */
	a[2] = 0x08;      /* ptype */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;         /* request */
	memcpy(a + 8, MAC_B, 6);
	uint32_t sip = inet_addr("10.0.0.1"), tip = inet_addr("10.0.0.2");
	memcpy(a + 14, &sip, 4);
	memcpy(a + 24, &tip, 4);
	int n = dp_pkt_arp_reply(req, sizeof(req), tip, MAC_A, out, sizeof(out));
	assert_int_equal(n, 60);
	assert_memory_equal(out, MAC_B, 6);
	assert_int_equal(out[14 + 7], 2);
	assert_memory_equal(out + 14 + 8, MAC_A, 6);
	assert_int_equal(dp_pkt_arp_reply(req, sizeof(req), inet_addr("10.0.0.9"), MAC_A, out, sizeof(out)), 0);
	assert_int_equal(dp_pkt_arp_reply(req, 30, tip, MAC_A, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pkt__built_udp__parses_back),
		cmocka_unit_test(pkt__vlan_tagged__parses_with_vlan_id),
		cmocka_unit_test(pkt__truncated_anywhere__rejected_without_overread),
		cmocka_unit_test(pkt__fragment_and_tcp__dropped_by_reason),
		cmocka_unit_test(pkt__udp_length_beyond_ip__rejected),
		cmocka_unit_test(line_table__lookup__finds_only_configured_lines),
		cmocka_unit_test(arp__request_for_my_ip__answered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
