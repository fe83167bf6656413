/* libFuzzer target: the control plane's parsers of untrusted input (order
 * and amend bodies, WebSocket ops, bearer tokens, decimals, query strings). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/cp_auth.h"
#include "controlplane/cp_int.h"
#include "controlplane/cp_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
	static struct cp_ws_op op;
	struct cp_order_req o;
	struct cp_err e;
	const char *s = (const char *)data;
	cp_json_parse_order(s, size, &o, &e);
	uint32_t q;
	int64_t p;
	int hq, hp;
	cp_json_parse_amend(s, size, &q, &hq, &p, &hp, &e);
	cp_json_parse_ws(s, size, &op, &e);
	struct cp_claims c;
	cp_token_verify(key, sizeof(key), s, size, 1000, &c);
	int64_t v;
	if (cp_parse_decimal(s, size, 8, &v) == 0) {
		char out[32];
		cp_fmt_price(out, v);
		int64_t back;
		if (cp_parse_decimal(out, strlen(out), 8, &back) || back != v)
			abort(); /* formatting must round-trip */
	}
	char *z = malloc(size + 1);
	if (z) {
		memcpy(z, data, size);
		z[size] = 0;
		char out[64];
		cp_query_arg(z, "instrumentId", out, sizeof(out));
		free(z);
	}
	return 0;
}
