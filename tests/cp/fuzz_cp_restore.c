/* libFuzzer target: control-plane journal records (controlplane/cp_jrec.h)
 * as the start-up replay hands them to cp_restore(): any bytes, any length.
 * One control plane (two tenants, two configured users, a flag) lives across
 * inputs, so sequences of records (users replaced, keys forgotten, flags
 * flipped) are explored too. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controlplane/cp.h"
#include "controlplane/cp_jrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int no_journal(void *ctx, const void *rec, size_t len)
{
	(void)ctx, (void)rec, (void)len;
	return 0;
}

static void user(struct cp_cfg *c, const char *name, const char *tenant, int role, const char *hash)
{
	struct cp_user_cfg *u = &c->users[c->n_users++];
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->tenant, sizeof(u->tenant), "%s", tenant);
	snprintf(u->password_hash, sizeof(u->password_hash), "%s", hash);
	u->role = (uint8_t)role;
	u->role_set = 1;
	u->all_instruments = 1;
	u->account = UINT32_MAX;
}

static struct cp *make(void)
{
	static struct cp_cfg c;
	char hash[CP_HASH_LEN];
	if (cp_hash_password("fuzz-pass-1", 1, 8, hash, sizeof(hash)))
		abort();
	cp_cfg_defaults(&c);
	c.enabled = 1;
	c.listen_set = 1;
	c.listen_ip_be = 0x0100007f;
	c.n_tenants = 2;
	snprintf(c.tenants[0].name, CP_NAME_LEN, "default");
	c.tenants[0].id_set = 1;
	snprintf(c.tenants[1].name, CP_NAME_LEN, "acme");
	c.tenants[1].id = 1;
	c.tenants[1].id_set = 1;
	user(&c, "plat", "default", CP_ROLE_PLATFORM, hash);
	user(&c, "alice", "acme", CP_ROLE_TRADER, hash);
	c.n_flags = 1;
	snprintf(c.flags[0].name, CP_NAME_LEN, "newBlotter");
	c.flags[0].on = 1;
	struct cp_hooks h = { .journal = no_journal };
	char err[256];
	struct cp *cp = cp_create(&c, &h, err, sizeof(err));
	if (!cp) {
		fprintf(stderr, "cp_create: %s\n", err);
		abort();
	}
	return cp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cp *cp;
	if (!cp)
		cp = make();
	/* an exact-size copy: ASan sees any read past the record */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	int kind = cp_jr_check(p, size);
	int rc = cp_restore(cp, p, size, 1000000000ull);
	if (kind < 0 && rc != -EINVAL)
		abort(); /* a record that fails the framing check was applied */
	free(p);
	return 0;
}
