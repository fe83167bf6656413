/* Unit tests: fix/fix_config (QuickFIX-style INI sessions). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fix/fix_config.h"

static char g_path[64];
static struct fix_config g_cfg;
static char g_err[256];

static int setup(void **state)
{
	(void)state;
	strcpy(g_path, "/tmp/orion_fix_cfg_XXXXXX");
	int fd = mkstemp(g_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unlink(g_path);
}

static int load(const char *text)
{
	FILE *f = fopen(g_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return fix_config_load(g_path, &g_cfg, g_err, sizeof(g_err));
}

/* g_err must be "<path>:<line>: ..." and contain 'needle'. */
static void expect_error(int line, const char *needle)
{
	char want[128];
	snprintf(want, sizeof(want), "%s:%d: ", g_path, line);
	if (strncmp(g_err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", g_err, want);
	if (!strstr(g_err, needle))
		fail_msg("error '%s' does not mention '%s'", g_err, needle);
}

static void config__defaults_and_sessions__loaded(void **state)
{
	(void)state;
	int rc = load("; Orion FIX acceptor\n"
		      "[DEFAULT]\n"
		      "ConnectionType=acceptor\n"
		      "BeginString=FIX.4.4\n"
		      "SenderCompID=ORION\n"
		      "FileStorePath=/var/lib/orion/fix\n"
		      "HeartBtInt=30\n"
		      "MaxLatency=60\n"
		      "\n"
		      "[SESSION]\n"
		      "TargetCompID=CLIENT1\n"
		      "Username=client1\n"
		      "Password=s3cret\n"
		      "ResetOnLogon=Y\n"
		      "CancelOnDisconnect=Y\n"
		      "\n"
		      "[SESSION]\n"
		      "TargetCompID=CLIENT2\n"
		      "MaxLatency=5\n"
		      "TimeStampPrecision=6\n"
		      "SocketAcceptPort=9878\n");
	assert_int_equal(rc, 0);
	assert_int_equal(g_cfg.n_sessions, 2);
	const struct fix_session_cfg *a = &g_cfg.sessions[0], *b = &g_cfg.sessions[1];
	assert_string_equal(a->begin_string, "FIX.4.4");
	assert_string_equal(a->sender_comp_id, "ORION");
	assert_string_equal(a->target_comp_id, "CLIENT1");
	assert_string_equal(a->username, "client1");
	assert_string_equal(a->password, "s3cret");
	assert_string_equal(a->store_dir, "/var/lib/orion/fix");
	assert_true(a->reset_on_logon);
	assert_true(a->cancel_on_disconnect);
	assert_int_equal(a->max_latency_s, 60);
	assert_int_equal(a->heartbt_int, 30);
	assert_int_equal(a->timestamp_digits, 3);
	assert_string_equal(b->sender_comp_id, "ORION");
	assert_string_equal(b->target_comp_id, "CLIENT2");
	assert_string_equal(b->username, "");
	assert_false(b->reset_on_logon);
	assert_int_equal(b->max_latency_s, 5);
	assert_int_equal(b->timestamp_digits, 6);
	assert_int_equal(b->accept_port, 9878);
	assert_true(b->validate);
}

static void config__default_after_sessions__still_applies(void **state)
{
	(void)state;
	int rc = load("[SESSION]\nTargetCompID=C1\n[DEFAULT]\nSenderCompID=ORION\nResetOnLogout=Y\n");
	assert_int_equal(rc, 0);
	assert_int_equal(g_cfg.n_sessions, 1);
	assert_string_equal(g_cfg.sessions[0].sender_comp_id, "ORION");
	assert_true(g_cfg.sessions[0].reset_on_logout);
}

static void config__unknown_key__error_names_line_and_key(void **state)
{
	(void)state;
	int rc = load("[DEFAULT]\nSenderCompID=ORION\n\n[SESSION]\nTargetCompID=C1\nHeartBeatInt=30\n");
	assert_int_equal(rc, -EINVAL);
	expect_error(6, "HeartBeatInt");
	assert_int_equal(g_cfg.n_sessions, 0);
	rc = load("[DEFAULT]\nSenderCompId=ORION\n[SESSION]\nTargetCompID=C1\n");
	assert_int_equal(rc, -EINVAL);
	expect_error(2, "SenderCompId");
}

static void config__bad_value__error_names_line_and_key(void **state)
{
	(void)state;
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nTargetCompID=C1\nResetOnLogon=yes\n"), -EINVAL);
	expect_error(5, "ResetOnLogon");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\nMaxLatency=0\n[SESSION]\nTargetCompID=C1\n"), -EINVAL);
	expect_error(3, "MaxLatency");
	assert_int_equal(load("[DEFAULT]\nBeginString=FIX.4.2\n"), -EINVAL);
	expect_error(2, "BeginString");
	assert_int_equal(load("[DEFAULT]\nConnectionType=initiator\n"), -EINVAL);
	expect_error(2, "ConnectionType");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nTargetCompID=C1\nTimeStampPrecision=4\n"), -EINVAL);
	expect_error(5, "TimeStampPrecision");
}

static void config__tenant_id__per_session_with_range_check(void **state)
{
	(void)state;
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nTargetCompID=C1\n[SESSION]\nTargetCompID=C2\n"
			      "TenantID=5\n"), 0);
	assert_int_equal(g_cfg.n_sessions, 2);
	assert_int_equal(g_cfg.sessions[0].tenant, 0);
	assert_int_equal(g_cfg.sessions[1].tenant, 5);
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nTargetCompID=C1\nTenantID=64\n"), -EINVAL);
	expect_error(5, "TenantID");
}

static void config__structure_errors__reported(void **state)
{
	(void)state;
	assert_int_equal(load("SenderCompID=O\n"), -EINVAL);
	expect_error(1, "outside");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSIONS]\nTargetCompID=C1\n"), -EINVAL);
	expect_error(3, "SESSIONS");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nTargetCompID=C1\nTargetCompID=C2\n"), -EINVAL);
	expect_error(5, "duplicate key 'TargetCompID'");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nUsername=u\n"), -EINVAL);
	expect_error(3, "TargetCompID");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nTargetCompID=C1\n\n[SESSION]\nTargetCompID=C1\n"), -EINVAL);
	expect_error(6, "duplicate session");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n"), -EINVAL);
	assert_non_null(strstr(g_err, "no [SESSION]"));
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\n[SESSION]\nTargetCompID=C1\nthis line is junk\n"), -EINVAL);
	expect_error(5, "syntax");
	assert_int_equal(load("[DEFAULT]\nSenderCompID=O\nMinHeartBtInt=60\nMaxHeartBtInt=30\n[SESSION]\nTargetCompID=C1\n"), -EINVAL);
	expect_error(5, "MinHeartBtInt");
}

static void config__missing_file__errno(void **state)
{
	(void)state;
	assert_int_equal(fix_config_load("/nonexistent/orion/fix.ini", &g_cfg, g_err, sizeof(g_err)), -ENOENT);
	assert_non_null(strstr(g_err, "/nonexistent/orion/fix.ini"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config__defaults_and_sessions__loaded),
		cmocka_unit_test(config__default_after_sessions__still_applies),
		cmocka_unit_test(config__unknown_key__error_names_line_and_key),
		cmocka_unit_test(config__bad_value__error_names_line_and_key),
		cmocka_unit_test(config__tenant_id__per_session_with_range_check),
		cmocka_unit_test(config__structure_errors__reported),
		cmocka_unit_test(config__missing_file__errno),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
