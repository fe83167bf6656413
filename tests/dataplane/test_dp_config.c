/* Unit tests: dataplane/dp_config (oriond INI configuration). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dataplane/dp_config.h"

static struct dp_cfg g_cfg;
static char g_err[1100];

#define GOOD \
	"[eal]\nlcores = 0-1\nmemory_mb = 256\n" \
	"[port p0]\nvdev = net_pcap0,rx_pcap=x.pcap\nip = 10.0.0.2\n" \
	"[feed nasdaq]\nport = p0\nline_a = 239.1.1.1:26400\nline_b = 239.1.1.2:26401\n" \
	"rerequest = 10.0.0.1:26500\nstale_after = 3s\nmax_orders = 1048576\n"

static void config__good_file__loads_every_key(void **state)
{
	(void)state;
	const char *text = "[eal]\nlcores = 0-1\nmemory_mb = 256\n"
			   "[dataplane]\nlayout = pipeline\nconflate_interval = 50ms\nidle_exit = 2s\n"
			   "[port p0]\nvdev = net_pcap0,rx_pcap=x.pcap\nip = 10.0.0.2\n"
			   "[feed nasdaq]\nport = p0\nline_a = 239.1.1.1:26400\nline_b = 239.1.1.2:26401\n"
			   "rerequest = 10.0.0.1:26500\nstale_after = 3s\nwindow_bytes = 2M\n"
			   "[metrics]\nlisten = 127.0.0.1:9100\n[ticklog]\npath = /tmp/t.log\nstream = both\n";
	assert_int_equal(dp_config_load_string(&g_cfg, "t.conf", text, g_err, sizeof(g_err)), 0);
	assert_int_equal(g_cfg.memory_mb, 256);
	assert_int_equal(g_cfg.layout, DP_LAYOUT_PIPELINE);
	assert_int_equal(g_cfg.conflate_ns, 50000000ull);
	assert_int_equal(g_cfg.idle_exit_ns, 2000000000ull);
	assert_int_equal(g_cfg.n_ports, 1);
	assert_int_equal(g_cfg.ports[0].is_vdev, 1);
	assert_int_equal(g_cfg.n_feeds, 1);
	assert_int_equal(g_cfg.feeds[0].line_b.port, 26401);
	assert_int_equal(g_cfg.feeds[0].rereq.ip_be, inet_addr("10.0.0.1"));
	assert_int_equal(g_cfg.feeds[0].stale_ns, 3000000000ull);
	assert_int_equal(g_cfg.feeds[0].window_bytes, 2u << 20);
	assert_int_equal(g_cfg.metrics_port, 9100);
	assert_int_equal(g_cfg.ticklog_stream, DP_TICKLOG_BOTH);
}

static void config__unknown_key__names_file_line_and_key(void **state)
{
	(void)state;
	const char *text = GOOD "bogus = 1\n";
	assert_int_equal(dp_config_load_string(&g_cfg, "t.conf", text, g_err, sizeof(g_err)), -EINVAL);
	assert_non_null(strstr(g_err, "t.conf:14:"));
	assert_non_null(strstr(g_err, "'bogus'"));
	assert_non_null(strstr(g_err, "[feed nasdaq]"));
}

static void config__bad_values__rejected_with_reason(void **state)
{
	(void)state;
	static const char *const bad[] = {
		GOOD "line_a = 10.0.0.1:26400\n",      /* not multicast */
		GOOD "stale_after = soon\n",
		GOOD "max_orders = 5\n",               /* below minimum */
		GOOD "port = nope\n",
		"[eal]\nmemory_mb = lots\n",
		"[dataplane]\nring_size = 1000\n",     /* not a power of two */
		"[dataplane]\nlayout = sideways\n",
		"[nonsense]\nx = 1\n",
		"[feed f]\nline_a = 239.1.1.1:1\n",    /* no port */
		"[port p]\nip = 10.0.0.1\n",           /* no device */
		"not an ini line\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		g_err[0] = '\0';
		assert_int_not_equal(dp_config_load_string(&g_cfg, "b.conf", bad[i], g_err, sizeof(g_err)), 0);
		assert_non_null(strstr(g_err, "b.conf"));
	}
}

static void config__missing_file__errno(void **state)
{
	(void)state;
	assert_int_equal(dp_config_load(&g_cfg, "/nonexistent/oriond.conf", g_err, sizeof(g_err)), -ENOENT);
	assert_non_null(strstr(g_err, "/nonexistent/oriond.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config__good_file__loads_every_key),
		cmocka_unit_test(config__unknown_key__names_file_line_and_key),
		cmocka_unit_test(config__bad_values__rejected_with_reason),
		cmocka_unit_test(config__missing_file__errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
