/* FIX session INI loader (see fix_config.h), on libinih.
 *
 * Two passes over the file: the first applies [DEFAULT] keys, the second
 * builds each [SESSION] from the defaults. Our reader counts lines and
 * notices section headers itself, so every error names its line.
 */
#include "fix/fix_config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_id {
	K_CONNECTION_TYPE, K_BEGIN_STRING, K_SENDER, K_TARGET, K_HEARTBT, K_HEARTBT_MIN, K_HEARTBT_MAX,
	K_RESET_LOGON, K_RESET_LOGOUT, K_RESET_DISCONNECT, K_USERNAME, K_PASSWORD, K_CANCEL_ON_DISC,
	K_CHECK_LATENCY, K_MAX_LATENCY, K_LOGON_TIMEOUT, K_LOGOUT_TIMEOUT, K_USE_DICT, K_STORE_PATH,
	K_STORE_MSGS, K_STORE_BYTES, K_MAX_MSG_SIZE, K_QUEUE_MSGS, K_TS_PRECISION, K_ACCEPT_PORT,
	K_TENANT,
	K__COUNT
};

static const char *const g_keys[K__COUNT] = {
	[K_CONNECTION_TYPE] = "ConnectionType",
	[K_BEGIN_STRING] = "BeginString",
	[K_SENDER] = "SenderCompID",
	[K_TARGET] = "TargetCompID",
	[K_HEARTBT] = "HeartBtInt",
	[K_HEARTBT_MIN] = "MinHeartBtInt",
	[K_HEARTBT_MAX] = "MaxHeartBtInt",
	[K_RESET_LOGON] = "ResetOnLogon",
	[K_RESET_LOGOUT] = "ResetOnLogout",
	[K_RESET_DISCONNECT] = "ResetOnDisconnect",
	[K_USERNAME] = "Username",
	[K_PASSWORD] = "Password",
	[K_CANCEL_ON_DISC] = "CancelOnDisconnect",
	[K_CHECK_LATENCY] = "CheckLatency",
	[K_MAX_LATENCY] = "MaxLatency",
	[K_LOGON_TIMEOUT] = "LogonTimeout",
	[K_LOGOUT_TIMEOUT] = "LogoutTimeout",
	[K_USE_DICT] = "UseDataDictionary",
	[K_STORE_PATH] = "FileStorePath",
	[K_STORE_MSGS] = "StoreMaxMessages",
	[K_STORE_BYTES] = "StoreMaxBytes",
	[K_MAX_MSG_SIZE] = "MaxMessageSize",
	[K_QUEUE_MSGS] = "QueueMaxMessages",
	[K_TS_PRECISION] = "TimeStampPrecision",
	[K_ACCEPT_PORT] = "SocketAcceptPort",
	[K_TENANT] = "TenantID",
};

struct loader {
	FILE *f;
	const char *path;
	int line;            /* line of the chunk last returned by the reader */
	bool at_line_start;
	int pass;            /* 0: [DEFAULT], 1: [SESSION]s */
	int section;         /* 0 none, 1 DEFAULT, 2 SESSION, 3 other */
	uint32_t seen;       /* keys set in the current section (duplicate check) */
	struct fix_session_cfg defaults;
	struct fix_config *out;
	int session_line[FIX_CONFIG_MAX_SESSIONS];
	bool failed;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static void fail_at(struct loader *L, int line, const char *fmt, ...)
{
	if (L->failed)
		return;
	L->failed = true;
	if (!L->err || !L->errlen)
		return;
	int n = snprintf(L->err, L->errlen, "%s:%d: ", L->path, line);
	if (n < 0 || (size_t)n >= L->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A section header line: switch section, open a session in pass 1. */
static void on_section(struct loader *L, const char *p)
{
	const char *e = strchr(p, ']');
	if (!e) {
		fail_at(L, L->line, "malformed section header");
		return;
	}
	size_t n = (size_t)(e - p);
	L->seen = 0;
	if (n == 7 && strncasecmp(p, "DEFAULT", 7) == 0) {
		L->section = 1;
	} else if (n == 7 && strncasecmp(p, "SESSION", 7) == 0) {
		L->section = 2;
		if (L->pass == 1) {
			struct fix_config *c = L->out;
			if (c->n_sessions == FIX_CONFIG_MAX_SESSIONS) {
				fail_at(L, L->line, "more than %d [SESSION] sections", FIX_CONFIG_MAX_SESSIONS);
				return;
			}
			L->session_line[c->n_sessions] = L->line;
			c->sessions[c->n_sessions++] = L->defaults;
		}
	} else {
		L->section = 3;
		if (L->pass == 0)
			fail_at(L, L->line, "unknown section [%.*s]", (int)n, p);
	}
}

static char *reader(char *str, int num, void *stream)
{
	struct loader *L = stream;
	if (!fgets(str, num, L->f))
		return NULL;
	if (L->at_line_start) {
		L->line++;
		const char *p = str;
		if (L->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
		    (unsigned char)p[2] == 0xBF)
			p += 3;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[')
			on_section(L, p + 1);
	}
	size_t l = strlen(str);
	L->at_line_start = l > 0 && str[l - 1] == '\n';
	return str;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "Y")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "N")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

static int parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t x;
	if (fix_parse_uint(v, strlen(v), &x) || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(dst, v, n + 1);
	return 0;
}

/* Apply one key to c. Returns NULL or a description of what is wrong. */
static const char *apply(struct fix_session_cfg *c, enum key_id k, const char *v)
{
	uint64_t u;
	bool b;
	switch (k) {
	case K_CONNECTION_TYPE:
		return strcmp(v, "acceptor") ? "only 'acceptor' is supported" : NULL;
	case K_BEGIN_STRING:
		if (strcmp(v, "FIX.4.4"))
			return "only FIX.4.4 is supported";
		memcpy(c->begin_string, "FIX.4.4", 8);
		return NULL;
	case K_SENDER:
		return copy_str(c->sender_comp_id, sizeof(c->sender_comp_id), v) ? "empty or too long" : NULL;
	case K_TARGET:
		return copy_str(c->target_comp_id, sizeof(c->target_comp_id), v) ? "empty or too long" : NULL;
	case K_USERNAME:
		return copy_str(c->username, sizeof(c->username), v) ? "empty or too long" : NULL;
	case K_PASSWORD:
		return copy_str(c->password, sizeof(c->password), v) ? "empty or too long" : NULL;
	case K_STORE_PATH:
		return copy_str(c->store_dir, sizeof(c->store_dir), v) ? "empty or too long" : NULL;
	case K_HEARTBT:
		if (parse_u64(v, 0, 3600, &u))
			return "expected 0..3600";
		c->heartbt_int = (uint32_t)u;
		return NULL;
	case K_HEARTBT_MIN:
	case K_HEARTBT_MAX:
		if (parse_u64(v, 0, 3600, &u))
			return "expected 0..3600";
		*(k == K_HEARTBT_MIN ? &c->heartbt_int_min : &c->heartbt_int_max) = (uint32_t)u;
		return NULL;
	case K_RESET_LOGON:
	case K_RESET_LOGOUT:
	case K_RESET_DISCONNECT:
	case K_CANCEL_ON_DISC:
	case K_CHECK_LATENCY:
	case K_USE_DICT:
		if (parse_bool(v, &b))
			return "expected Y or N";
		switch (k) {
		case K_RESET_LOGON: c->reset_on_logon = b; break;
		case K_RESET_LOGOUT: c->reset_on_logout = b; break;
		case K_RESET_DISCONNECT: c->reset_on_disconnect = b; break;
		case K_CANCEL_ON_DISC: c->cancel_on_disconnect = b; break;
		case K_CHECK_LATENCY: c->check_latency = b; break;
		default: c->validate = b; break;
		}
		return NULL;
	case K_MAX_LATENCY:
		if (parse_u64(v, 1, 86400, &u))
			return "expected 1..86400 seconds";
		c->max_latency_s = (uint32_t)u;
		return NULL;
	case K_LOGON_TIMEOUT:
	case K_LOGOUT_TIMEOUT:
		if (parse_u64(v, 1, 3600, &u))
			return "expected 1..3600 seconds";
		*(k == K_LOGON_TIMEOUT ? &c->logon_timeout_s : &c->logout_timeout_s) = (uint32_t)u;
		return NULL;
	case K_STORE_MSGS:
		if (parse_u64(v, 1, 16u << 20, &u))
			return "expected 1..16777216";
		c->store_max_msgs = (uint32_t)u;
		return NULL;
	case K_STORE_BYTES:
		if (parse_u64(v, 4096, 16ull << 30, &u))
			return "expected 4096..17179869184";
		c->store_max_bytes = u;
		return NULL;
	case K_MAX_MSG_SIZE:
		if (parse_u64(v, 256, 1u << 20, &u))
			return "expected 256..1048576";
		c->max_msg_size = (uint32_t)u;
		return NULL;
	case K_QUEUE_MSGS:
		if (parse_u64(v, 1, 65536, &u))
			return "expected 1..65536";
		c->queue_max_msgs = (uint32_t)u;
		return NULL;
	case K_TS_PRECISION:
		if (parse_u64(v, 0, 9, &u) || (u != 0 && u != 3 && u != 6 && u != 9))
			return "expected 0, 3, 6 or 9";
		c->timestamp_digits = (uint8_t)u;
		return NULL;
	case K_ACCEPT_PORT:
		if (parse_u64(v, 1, 65535, &u))
			return "expected 1..65535";
		c->accept_port = (uint16_t)u;
		return NULL;
	case K_TENANT:
		if (parse_u64(v, 0, 63, &u))
			return "expected 0..63 (the control plane's [tenant] id)";
		c->tenant = (uint32_t)u;
		return NULL;
	case K__COUNT:
		break;
	}
	return "unknown key";
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *L = user;
	(void)section; /* we track sections in the reader, with line numbers */
	if (L->failed)
		return 0;
	if (L->section == 0) {
		if (L->pass == 0)
			fail_at(L, L->line, "key '%s' outside of a section", name);
		return 0;
	}
	if (L->section == 3)
		return 0; /* reported at the header */
	int k = 0;
	while (k < K__COUNT && strcmp(g_keys[k], name) != 0)
		k++;
	if (k == K__COUNT) {
		fail_at(L, L->line, "unknown key '%s'", name);
		return 0;
	}
	bool mine = (L->pass == 0 && L->section == 1) || (L->pass == 1 && L->section == 2);
	if (!mine)
		return 1;
	if (L->seen & (1u << k)) {
		fail_at(L, L->line, "duplicate key '%s'", name);
		return 0;
	}
	L->seen |= 1u << k;
	struct fix_session_cfg *c = L->pass == 0 ? &L->defaults : &L->out->sessions[L->out->n_sessions - 1];
	const char *why = apply(c, (enum key_id)k, value);
	if (why) {
		fail_at(L, L->line, "bad value '%s' for key '%s': %s", value, name, why);
		return 0;
	}
	return 1;
}

static int run_pass(struct loader *L, int pass)
{
	L->pass = pass;
	L->line = 0;
	L->at_line_start = true;
	L->section = 0;
	L->seen = 0;
	rewind(L->f);
	int rc = ini_parse_stream(reader, L, handler, L);
	if (!L->failed && rc > 0)
		fail_at(L, rc, "syntax error");
	if (!L->failed && rc < 0)
		fail_at(L, 0, "cannot parse (error %d)", rc);
	return L->failed ? -EINVAL : 0;
}

static int check_sessions(struct loader *L)
{
	struct fix_config *c = L->out;
	if (c->n_sessions == 0) {
		fail_at(L, L->line, "no [SESSION] section");
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->n_sessions; i++) {
		const struct fix_session_cfg *s = &c->sessions[i];
		if (!s->sender_comp_id[0] || !s->target_comp_id[0]) {
			fail_at(L, L->session_line[i], "session needs key '%s'",
				!s->sender_comp_id[0] ? "SenderCompID" : "TargetCompID");
			return -EINVAL;
		}
		if (s->heartbt_int_min > s->heartbt_int_max) {
			fail_at(L, L->session_line[i], "key 'MinHeartBtInt' is above 'MaxHeartBtInt'");
			return -EINVAL;
		}
		if (s->password[0] && !s->username[0]) {
			fail_at(L, L->session_line[i], "key 'Password' without 'Username'");
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			const struct fix_session_cfg *o = &c->sessions[j];
			if (!strcmp(o->sender_comp_id, s->sender_comp_id) &&
			    !strcmp(o->target_comp_id, s->target_comp_id)) {
				fail_at(L, L->session_line[i], "duplicate session %s->%s (first at line %d)",
					s->sender_comp_id, s->target_comp_id, L->session_line[j]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int fix_config_load(const char *path, struct fix_config *out, char *err, size_t errlen)
{
	struct loader *L = calloc(1, sizeof(*L));
	if (!L)
		return -ENOMEM;
	if (err && errlen)
		err[0] = 0;
	memset(out, 0, sizeof(*out));
	L->path = path;
	L->out = out;
	L->err = err;
	L->errlen = errlen;
	fix_session_cfg_defaults(&L->defaults);
	int rc;
	L->f = fopen(path, "r");
	if (!L->f) {
		rc = -errno;
		fail_at(L, 0, "cannot open: %s", strerror(-rc));
		goto out;
	}
	rc = run_pass(L, 0);
	if (!rc)
		rc = run_pass(L, 1);
	if (!rc)
		rc = check_sessions(L);
	fclose(L->f);
out:
	if (rc)
		out->n_sessions = 0;
	free(L);
	return rc;
}
