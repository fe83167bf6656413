/* Unit tests: fix/fix_store (memory-mapped message store). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fix/fix_store.h"

static char g_dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(g_dir, "/tmp/orion_fix_store_XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct fix_store *open_store(const char *name, uint32_t msgs, uint64_t bytes, int *rc)
{
	struct fix_store_cfg c = { .dir = g_dir, .name = name, .max_msgs = msgs, .data_bytes = bytes,
				   .now_ns = 1234 };
	struct fix_store *st = NULL;
	*rc = fix_store_mmap_open(&st, &c);
	return st;
}

static void expect_msg(struct fix_store *st, uint64_t seq, const char *want)
{
	const char *m;
	size_t n;
	assert_int_equal(fix_store_get(st, seq, &m, &n), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(m, want, n);
}

static void store__new__starts_at_one(void **state)
{
	(void)state;
	int rc;
	struct fix_store *st = open_store("S1", 16, 4096, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(fix_store_next_sender(st), 1);
	assert_int_equal(fix_store_next_target(st), 1);
	assert_int_equal(fix_store_creation_time(st), 1234);
	const char *m;
	size_t n;
	assert_int_equal(fix_store_get(st, 1, &m, &n), -ENOENT);
	assert_int_equal(fix_store_put(st, 0, "x", 1), -EINVAL);
	fix_store_close(st);
}

static void store__reopen__restores_seqs_and_messages(void **state)
{
	(void)state;
	int rc;
	struct fix_store *st = open_store("S2", 16, 4096, &rc);
	assert_int_equal(rc, 0);
	fix_store_set_next_sender(st, 4);
	fix_store_set_next_target(st, 9);
	assert_int_equal(fix_store_put(st, 1, "one", 3), 0);
	assert_int_equal(fix_store_put(st, 2, "two!", 4), 0);
	assert_int_equal(fix_store_put(st, 3, "three", 5), 0);
	fix_store_close(st);
	/* different geometry asked: the file's own wins */
	st = open_store("S2", 1024, 1 << 20, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(fix_store_next_sender(st), 4);
	assert_int_equal(fix_store_next_target(st), 9);
	expect_msg(st, 1, "one");
	expect_msg(st, 2, "two!");
	expect_msg(st, 3, "three");
	const char *m;
	size_t n;
	assert_int_equal(fix_store_get(st, 4, &m, &n), -ENOENT);
	assert_int_equal(fix_store_get(st, 17, &m, &n), -ENOENT); /* same slot as 1 */
	fix_store_close(st);
}

static void store__bounded_by_count__old_messages_evicted(void **state)
{
	(void)state;
	int rc;
	struct fix_store *st = open_store("S3", 4, 4096, &rc);
	assert_int_equal(rc, 0);
	char msg[16];
	for (uint64_t s = 1; s <= 10; s++) {
		int n = snprintf(msg, sizeof(msg), "m%llu", (unsigned long long)s);
		assert_int_equal(fix_store_put(st, s, msg, (size_t)n), 0);
	}
	const char *m;
	size_t n;
	for (uint64_t s = 1; s <= 6; s++)
		assert_int_equal(fix_store_get(st, s, &m, &n), -ENOENT);
	expect_msg(st, 7, "m7");
	expect_msg(st, 10, "m10");
	fix_store_close(st);
}

static void store__bounded_by_bytes__overwritten_messages_evicted(void **state)
{
	(void)state;
	int rc;
	struct fix_store *st = open_store("S4", 64, 4096, &rc);
	assert_int_equal(rc, 0);
	char big[1500];
	for (uint64_t s = 1; s <= 6; s++) {
		memset(big, (int)('a' + s), sizeof(big));
		assert_int_equal(fix_store_put(st, s, big, sizeof(big)), 0);
	}
	/* 4096 bytes hold two 1500-byte messages (no wrap inside a message) */
	const char *m;
	size_t n;
	for (uint64_t s = 1; s <= 4; s++)
		assert_int_equal(fix_store_get(st, s, &m, &n), -ENOENT);
	for (uint64_t s = 5; s <= 6; s++) {
		assert_int_equal(fix_store_get(st, s, &m, &n), 0);
		assert_int_equal(n, sizeof(big));
		assert_int_equal(m[0], 'a' + (int)s);
		assert_int_equal(m[n - 1], 'a' + (int)s);
	}
	char huge[5000] = { 0 };
	assert_int_equal(fix_store_put(st, 7, huge, sizeof(huge)), -EMSGSIZE);
	fix_store_close(st);
}

static void store__reset__seqs_to_one_and_messages_dropped(void **state)
{
	(void)state;
	int rc;
	struct fix_store *st = open_store("S5", 16, 4096, &rc);
	assert_int_equal(rc, 0);
	fix_store_put(st, 1, "a", 1);
	fix_store_set_next_sender(st, 2);
	fix_store_set_next_target(st, 5);
	assert_int_equal(fix_store_reset(st, 999), 0);
	assert_int_equal(fix_store_next_sender(st), 1);
	assert_int_equal(fix_store_next_target(st), 1);
	assert_int_equal(fix_store_creation_time(st), 999);
	const char *m;
	size_t n;
	assert_int_equal(fix_store_get(st, 1, &m, &n), -ENOENT);
	fix_store_close(st);
}

static void store__survives_kill_9(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;
		struct fix_store *st = open_store("S6", 16, 4096, &rc);
		if (rc)
			_exit(1);
		fix_store_put(st, 1, "before-kill", 11);
		fix_store_set_next_sender(st, 2);
		fix_store_set_next_target(st, 42);
		raise(SIGKILL); /* no close, no msync */
		_exit(2);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	int rc;
	struct fix_store *st = open_store("S6", 16, 4096, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(fix_store_next_sender(st), 2);
	assert_int_equal(fix_store_next_target(st), 42);
	expect_msg(st, 1, "before-kill");
	fix_store_close(st);
}

static void store__second_open__busy(void **state)
{
	(void)state;
	int rc;
	struct fix_store *a = open_store("S7", 16, 4096, &rc);
	assert_int_equal(rc, 0);
	struct fix_store *b = open_store("S7", 16, 4096, &rc);
	assert_int_equal(rc, -EBUSY);
	assert_null(b);
	fix_store_close(a);
	b = open_store("S7", 16, 4096, &rc);
	assert_int_equal(rc, 0);
	fix_store_close(b);
}

static void store__corrupt_file__rejected(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/S8.store", g_dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	char junk[8192];
	memset(junk, 'Z', sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	int rc;
	assert_null(open_store("S8", 16, 4096, &rc));
	assert_int_equal(rc, -EBADMSG);
	/* a valid file truncated afterwards */
	struct fix_store *st = open_store("S9", 16, 4096, &rc);
	assert_int_equal(rc, 0);
	fix_store_close(st);
	snprintf(path, sizeof(path), "%s/S9.store", g_dir);
	assert_int_equal(truncate(path, 5000), 0);
	assert_null(open_store("S9", 16, 4096, &rc));
	assert_int_equal(rc, -EBADMSG);
}

static void store__bad_config__einval(void **state)
{
	(void)state;
	int rc;
	assert_null(open_store("../escape", 16, 4096, &rc));
	assert_int_equal(rc, -EINVAL);
	assert_null(open_store("a/b", 16, 4096, &rc));
	assert_int_equal(rc, -EINVAL);
	assert_null(open_store("", 16, 4096, &rc));
	assert_int_equal(rc, -EINVAL);
	assert_null(open_store("S10", 16, 100, &rc));
	assert_int_equal(rc, -EINVAL);
}

static void store__memory__works_without_dir(void **state)
{
	(void)state;
	struct fix_store_cfg c = { .dir = NULL, .max_msgs = 8, .data_bytes = 4096 };
	struct fix_store *st;
	assert_int_equal(fix_store_mmap_open(&st, &c), 0);
	assert_int_equal(fix_store_put(st, 3, "abc", 3), 0);
	expect_msg(st, 3, "abc");
	fix_store_set_next_sender(st, 4);
	assert_int_equal(fix_store_next_sender(st), 4);
	fix_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store__new__starts_at_one),
		cmocka_unit_test(store__reopen__restores_seqs_and_messages),
		cmocka_unit_test(store__bounded_by_count__old_messages_evicted),
		cmocka_unit_test(store__bounded_by_bytes__overwritten_messages_evicted),
		cmocka_unit_test(store__reset__seqs_to_one_and_messages_dropped),
		cmocka_unit_test(store__survives_kill_9),
		cmocka_unit_test(store__second_open__busy),
		cmocka_unit_test(store__corrupt_file__rejected),
		cmocka_unit_test(store__bad_config__einval),
		cmocka_unit_test(store__memory__works_without_dir),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
