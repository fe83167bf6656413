/* libFuzzer: Ethernet/VLAN/IPv4/UDP parser and ARP responder on arbitrary frames. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/dp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_udp_view v;
	if (dp_pkt_parse_udp(data, size, &v) == DP_PKT_OK) {
		/* The payload must lie inside the frame. */
		if (v.payload < data || v.payload + v.payload_len > data + size)
			__builtin_trap();
		volatile uint8_t sink = 0;
		for (size_t i = 0; i < v.payload_len; i++)
			sink ^= v.payload[i];
		(void)sink;
	}
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t out[128];
	uint32_t ip;
	memcpy(&ip, "\x0a\x00\x00\x02", 4);
	(void)dp_pkt_arp_reply(data, size, ip, mac, out, sizeof(out));
	return 0;
}
