/* [cp], [tenant NAME] and [user NAME] configuration sections. Start-up only. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "controlplane/cp.h"

#ifdef OG_MAX_TENANTS
static_assert(CP_MAX_TENANTS == OG_MAX_TENANTS, "tenant ids follow the order gateway's");
#endif

static const char *const role_names[CP_ROLE__COUNT] = { "TRADER", "SALES", "RISK", "ANALYST", "ADMIN", "PLATFORM" };

const char *cp_role_name(unsigned role)
{
	return role < CP_ROLE__COUNT ? role_names[role] : "UNKNOWN";
}

int cp_role_parse(const char *s)
{
	for (int i = 0; i < CP_ROLE__COUNT; i++)
		if (!strcmp(s, role_names[i]))
			return i;
	return -1;
}

void cp_cfg_defaults(struct cp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->token_ttl_ns = 15ull * 60 * 1000000000ull;
	c->conflate_interval_ns = 100ull * 1000000ull;
	c->heartbeat_ns = 5ull * 1000000000ull;
	c->ws_stall_timeout_ns = 10ull * 1000000000ull;
	c->ws_max_queue = 1u << 20;
	c->ws_max_clients = 1024;
	c->ws_per_user = 8;
	c->rate_limit_per_s = 50;
	c->max_body = 64u << 10;
	c->max_orders = 65536;
	c->max_trades = 65536;
	c->md_max_instruments = 4096;
	c->event_queue = 65536;
	c->idem_max = 65536;
	c->metrics = 1;
	c->market_data = CP_MD_CONFLATED;
}

/* Names of tenants, users and flags: [A-Za-z0-9_.-], 1..31 bytes. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= CP_NAME_LEN)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int pow2_u32(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t min, uint32_t max, uint32_t *out)
{
	if (orion_ini_u32(ini, e, min, max, out))
		return -EINVAL;
	if (*out & (*out - 1))
		return orion_ini_fail(ini, e, "must be a power of two");
	return 0;
}

static int size_u32(struct orion_ini *ini, const struct orion_ini_entry *e, uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t v;
	if (orion_ini_size(ini, e, min, max, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "a.b.c.d:port"; port 0 = any free port (tests; see cp_port()). */
static int listen_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct cp_cfg *c)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strrchr(e->value, ':');
	char *end;
	if (!colon || (size_t)(colon - e->value) >= sizeof(ip) || !colon[1])
		return orion_ini_fail(ini, e, "'%s' is not a.b.c.d:port", e->value);
	memcpy(ip, e->value, (size_t)(colon - e->value));
	ip[colon - e->value] = 0;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	struct in_addr a;
	if (*end || errno || port > 65535 || colon[1] < '0' || colon[1] > '9' || inet_pton(AF_INET, ip, &a) != 1)
		return orion_ini_fail(ini, e, "'%s' is not a.b.c.d:port", e->value);
	c->listen_ip_be = a.s_addr;
	c->listen_port = (uint16_t)port;
	c->listen_set = 1;
	return 0;
}

static int cp_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct cp_cfg *c)
{
	const char *k = e->key;
	c->enabled = 1;
	if (!strcmp(k, "listen"))
		return listen_key(ini, e, c);
	if (!strcmp(k, "web_root"))
		return orion_ini_str(ini, e, c->web_root, sizeof(c->web_root));
	if (!strcmp(k, "tls_cert"))
		return orion_ini_str(ini, e, c->tls_cert, sizeof(c->tls_cert));
	if (!strcmp(k, "tls_key"))
		return orion_ini_str(ini, e, c->tls_key, sizeof(c->tls_key));
	if (!strcmp(k, "token_secret_file"))
		return orion_ini_str(ini, e, c->token_secret_file, sizeof(c->token_secret_file));
	if (!strcmp(k, "audit_log"))
		return orion_ini_str(ini, e, c->audit_log, sizeof(c->audit_log));
	if (!strcmp(k, "token_ttl"))
		return orion_ini_duration_ns(ini, e, "s", 1000000000ull, 7ull * 86400 * 1000000000ull, &c->token_ttl_ns);
	if (!strcmp(k, "conflate_interval"))
		return orion_ini_duration_ns(ini, e, "ms", 1000000ull, 60ull * 1000000000ull, &c->conflate_interval_ns);
	if (!strcmp(k, "heartbeat"))
		return orion_ini_duration_ns(ini, e, "s", 100000000ull, 3600ull * 1000000000ull, &c->heartbeat_ns);
	if (!strcmp(k, "ws_stall_timeout"))
		return orion_ini_duration_ns(ini, e, "s", 100000000ull, 3600ull * 1000000000ull,
					     &c->ws_stall_timeout_ns);
	if (!strcmp(k, "ws_max_queue"))
		return size_u32(ini, e, 4096, 1ull << 30, &c->ws_max_queue);
	if (!strcmp(k, "ws_max_clients"))
		return orion_ini_u32(ini, e, 1, 1u << 20, &c->ws_max_clients);
	if (!strcmp(k, "ws_per_user"))
		return orion_ini_u32(ini, e, 1, 1u << 20, &c->ws_per_user);
	if (!strcmp(k, "ws_sndbuf"))
		return size_u32(ini, e, 0, 64ull << 20, &c->ws_sndbuf);
	if (!strcmp(k, "rate_limit_per_s"))
		return orion_ini_u32(ini, e, 1, 1000000, &c->rate_limit_per_s);
	if (!strcmp(k, "rate_limit_burst"))
		return orion_ini_u32(ini, e, 1, 1000000, &c->rate_limit_burst);
	if (!strcmp(k, "max_body"))
		return size_u32(ini, e, 256, 16ull << 20, &c->max_body);
	if (!strcmp(k, "max_orders"))
		return orion_ini_u32(ini, e, 16, 1u << 24, &c->max_orders);
	if (!strcmp(k, "max_trades"))
		return orion_ini_u32(ini, e, 16, 1u << 24, &c->max_trades);
	if (!strcmp(k, "md_max_instruments"))
		return orion_ini_u32(ini, e, 1, 1u << 20, &c->md_max_instruments);
	if (!strcmp(k, "event_queue"))
		return pow2_u32(ini, e, 64, 1u << 24, &c->event_queue);
	if (!strcmp(k, "idem_max"))
		return orion_ini_u32(ini, e, 16, 1u << 24, &c->idem_max);
	if (!strcmp(k, "metrics"))
		return orion_ini_bool(ini, e, &c->metrics);
	if (!strcmp(k, "market_data")) {
		static const char *const modes[] = { "conflated", "raw", NULL };
		int m;
		if (orion_ini_enum(ini, e, modes, &m))
			return -EINVAL;
		c->market_data = (enum cp_md_mode)m;
		return 0;
	}
	if (!strncmp(k, "flag.", 5)) {
		if (!valid_name(k + 5))
			return orion_ini_fail(ini, e, "flag name: 1..31 of [A-Za-z0-9_.-]");
		unsigned i;
		for (i = 0; i < c->n_flags; i++)
			if (!strcmp(c->flags[i].name, k + 5))
				break;
		if (i == c->n_flags) {
			if (c->n_flags == CP_MAX_FLAGS)
				return orion_ini_fail(ini, e, "more than %d flags", CP_MAX_FLAGS);
			snprintf(c->flags[i].name, sizeof(c->flags[i].name), "%s", k + 5);
			c->n_flags++;
		}
		return orion_ini_bool(ini, e, &c->flags[i].on);
	}
	return orion_ini_unknown(ini, e);
}

static int tenant_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct cp_cfg *c)
{
	if (!valid_name(e->name))
		return orion_ini_fail(ini, e, "[tenant NAME]: NAME is 1..31 of [A-Za-z0-9_.-]");
	unsigned i;
	for (i = 0; i < c->n_tenants; i++)
		if (!strcmp(c->tenants[i].name, e->name))
			break;
	if (i == c->n_tenants) {
		if (c->n_tenants == CP_MAX_TENANTS)
			return orion_ini_fail(ini, e, "more than %d tenants", CP_MAX_TENANTS);
		snprintf(c->tenants[i].name, sizeof(c->tenants[i].name), "%s", e->name);
		c->n_tenants++;
	}
	struct cp_tenant_cfg *t = &c->tenants[i];
	if (!strcmp(e->key, "id")) {
		if (orion_ini_u32(ini, e, 0, CP_MAX_TENANTS - 1, &t->id))
			return -EINVAL;
		for (unsigned j = 0; j < c->n_tenants; j++)
			if (j != i && c->tenants[j].id_set && c->tenants[j].id == t->id)
				return orion_ini_fail(ini, e, "tenant id %u already used by [tenant %s]", t->id,
						      c->tenants[j].name);
		t->id_set = 1;
		return 0;
	}
	return orion_ini_unknown(ini, e);
}

/* "AAPL, MSFT,IBM" or "*". */
static int instruments_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct cp_user_cfg *u)
{
	const char *s = e->value;
	u->n_instruments = 0;
	u->all_instruments = 0;
	while (*s == ' ')
		s++;
	if (!strcmp(s, "*")) {
		u->all_instruments = 1;
		return 0;
	}
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		const char *b = s;
		while (*s && *s != ',' && *s != ' ')
			s++;
		size_t n = (size_t)(s - b);
		if (n > ORION_SYMBOL_LEN)
			return orion_ini_fail(ini, e, "symbol '%.*s' longer than %d", (int)n, b, ORION_SYMBOL_LEN);
		for (size_t j = 0; j < n; j++)
			if (b[j] < 0x21 || b[j] > 0x7e || b[j] == '*')
				return orion_ini_fail(ini, e, "bad symbol '%.*s'", (int)n, b);
		if (u->n_instruments == CP_MAX_ENTITLED)
			return orion_ini_fail(ini, e, "more than %d instruments (use *)", CP_MAX_ENTITLED);
		memcpy(u->instruments[u->n_instruments], b, n);
		u->instruments[u->n_instruments][n] = 0;
		u->n_instruments++;
	}
	if (!u->n_instruments)
		return orion_ini_fail(ini, e, "empty list (SYM,SYM... or *)");
	return 0;
}

static int user_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct cp_cfg *c)
{
	if (!valid_name(e->name))
		return orion_ini_fail(ini, e, "[user NAME]: NAME is 1..31 of [A-Za-z0-9_.-]");
	unsigned i;
	for (i = 0; i < c->n_users; i++)
		if (!strcmp(c->users[i].name, e->name))
			break;
	if (i == c->n_users) {
		if (c->n_users == CP_MAX_USERS)
			return orion_ini_fail(ini, e, "more than %d users", CP_MAX_USERS);
		memset(&c->users[i], 0, sizeof(c->users[i]));
		c->users[i].account = UINT32_MAX; /* unset: OG_API_ACCOUNT_BASE + slot */
		snprintf(c->users[i].name, sizeof(c->users[i].name), "%s", e->name);
		c->n_users++;
	}
	struct cp_user_cfg *u = &c->users[i];
	const char *k = e->key;
	if (!strcmp(k, "tenant")) {
		if (!valid_name(e->value))
			return orion_ini_fail(ini, e, "tenant name: 1..31 of [A-Za-z0-9_.-]");
		return orion_ini_str(ini, e, u->tenant, sizeof(u->tenant));
	}
	if (!strcmp(k, "role")) {
		static const char *const roles[] = { "TRADER", "SALES", "RISK", "ANALYST", "ADMIN", "PLATFORM", NULL };
		int r;
		if (orion_ini_enum(ini, e, roles, &r))
			return -EINVAL;
		u->role = (uint8_t)r;
		u->role_set = 1;
		return 0;
	}
	if (!strcmp(k, "password_hash")) {
		if (strncmp(e->value, "$argon2id$", 10))
			return orion_ini_fail(ini, e, "not an argon2id hash ($argon2id$...; see orion-passwd)");
		return orion_ini_str(ini, e, u->password_hash, sizeof(u->password_hash));
	}
	if (!strcmp(k, "instruments"))
		return instruments_key(ini, e, u);
	if (!strcmp(k, "max_notional"))
		return orion_ini_decimal(ini, e, 8, 0, INT64_MAX, &u->max_notional);
	if (!strcmp(k, "account"))
		return orion_ini_u32(ini, e, 0, CP_MAX_ACCOUNTS - 1, &u->account);
	if (!strcmp(k, "disabled")) {
		int b;
		if (orion_ini_bool(ini, e, &b))
			return -EINVAL;
		u->disabled = (uint8_t)b;
		return 0;
	}
	return orion_ini_unknown(ini, e);
}

int cp_config_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct cp_cfg *c)
{
	if (!strcmp(e->kind, "cp")) {
		if (e->name[0])
			return orion_ini_fail(ini, e, "[cp] takes no name");
		return cp_key(ini, e, c);
	}
	if (!strcmp(e->kind, "tenant"))
		return tenant_key(ini, e, c);
	if (!strcmp(e->kind, "user"))
		return user_key(ini, e, c);
	return orion_ini_fail(ini, e, "section [%s] is not a control-plane section", e->kind);
}

int cp_cfg_validate(const struct cp_cfg *c, char *err, size_t errlen)
{
	if (!c->enabled) {
		snprintf(err, errlen, "[cp] section missing");
		return -EINVAL;
	}
	if (!c->listen_set) {
		snprintf(err, errlen, "[cp] listen not set (a.b.c.d:port)");
		return -EINVAL;
	}
	if (!!c->tls_cert[0] != !!c->tls_key[0]) {
		snprintf(err, errlen, "[cp] tls_cert and tls_key go together");
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_tenants; i++)
		if (!c->tenants[i].id_set) {
			snprintf(err, errlen, "[tenant %s] has no id", c->tenants[i].name);
			return -EINVAL;
		}
	for (unsigned i = 0; i < c->n_users; i++) {
		const struct cp_user_cfg *u = &c->users[i];
		if (!u->password_hash[0]) {
			snprintf(err, errlen, "[user %s] has no password_hash", u->name);
			return -EINVAL;
		}
		if (u->tenant[0] && strcmp(u->tenant, "default")) {
			unsigned t;
			for (t = 0; t < c->n_tenants; t++)
				if (!strcmp(c->tenants[t].name, u->tenant))
					break;
			if (t == c->n_tenants) {
				snprintf(err, errlen, "[user %s] tenant '%s' has no [tenant %s] section", u->name,
					 u->tenant, u->tenant);
				return -EINVAL;
			}
		}
	}
	for (unsigned i = 0; i < c->n_tenants; i++)
		if (!strcmp(c->tenants[i].name, "default") && c->tenants[i].id != 0) {
			snprintf(err, errlen, "[tenant default] must have id 0");
			return -EINVAL;
		}
	return 0;
}
