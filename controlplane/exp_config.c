/* [kafka] configuration section of the exporter. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "controlplane/exporter.h"

void exp_cfg_defaults(struct exp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->env, sizeof(cfg->env), "dev");
	snprintf(cfg->client_id, sizeof(cfg->client_id), "orion");
	snprintf(cfg->acks, sizeof(cfg->acks), "all");
	snprintf(cfg->compression, sizeof(cfg->compression), "none");
	cfg->idempotence = -1;
	cfg->linger_ms = 5;
	cfg->market_data = EXP_MD_CONFLATED;
	cfg->queue_max_messages = 100000;
	cfg->api_version_request = -1;
	cfg->inflight_max = 65536;
	cfg->md_queue = 16384;
	cfg->checkpoint_interval_ms = 100;
	cfg->stop_timeout_ms = 5000;
	cfg->retry_backoff_ms = 200;
}

static int pow2(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t min, uint32_t max, uint32_t *out)
{
	if (orion_ini_u32(ini, e, min, max, out))
		return -EINVAL;
	if (*out & (*out - 1))
		return orion_ini_fail(ini, e, "must be a power of two");
	return 0;
}

static int ms_key(struct orion_ini *ini, const struct orion_ini_entry *e, uint64_t min_ms, uint64_t max_ms,
		  uint32_t *out)
{
	uint64_t ns;
	if (orion_ini_duration_ns(ini, e, "ms", min_ms * 1000000ull, max_ms * 1000000ull, &ns))
		return -EINVAL;
	*out = (uint32_t)(ns / 1000000ull);
	return 0;
}

/* Property names librdkafka accepts: [a-z0-9._] only, so that a typo cannot
 * smuggle anything else through. librdkafka itself rejects unknown names at
 * exp_create. */
static int valid_prop(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_'))
			return 0;
	return 1;
}

int exp_config_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct exp_cfg *c)
{
	static const char *const md_modes[] = { "conflated", "raw", "off", NULL };
	static const char *const acks[] = { "all", "-1", "1", "0", NULL };
	static const char *const codecs[] = { "none", "gzip", "snappy", "lz4", "zstd", NULL };
	static const char *const protos[] = { "plaintext", "ssl", "sasl_plaintext", "sasl_ssl", NULL };
	const char *k = e->key;
	int rc, v;

	c->enabled = 1;
	if (!strcmp(k, "brokers"))
		return orion_ini_str(ini, e, c->brokers, sizeof(c->brokers));
	if (!strcmp(k, "env")) {
		if ((rc = orion_ini_str(ini, e, c->env, sizeof(c->env))))
			return rc;
		for (const char *p = c->env; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '-' || *p == '_'))
				return orion_ini_fail(ini, e, "topic prefix: letters, digits, '-' and '_' only");
		return 0;
	}
	if (!strcmp(k, "client_id"))
		return orion_ini_str(ini, e, c->client_id, sizeof(c->client_id));
	if (!strcmp(k, "acks")) {
		if ((rc = orion_ini_enum(ini, e, acks, &v)))
			return rc;
		snprintf(c->acks, sizeof(c->acks), "%s", v <= 1 ? "all" : acks[v]);
		return 0;
	}
	if (!strcmp(k, "idempotence"))
		return orion_ini_bool(ini, e, &c->idempotence);
	if (!strcmp(k, "compression")) {
		if ((rc = orion_ini_enum(ini, e, codecs, &v)))
			return rc;
		snprintf(c->compression, sizeof(c->compression), "%s", codecs[v]);
		return 0;
	}
	if (!strcmp(k, "linger_ms")) {
		uint32_t ms;
		if ((rc = orion_ini_u32(ini, e, 0, 900000, &ms)))
			return rc;
		c->linger_ms = (int)ms;
		return 0;
	}
	if (!strcmp(k, "batch_size")) {
		uint64_t b;
		if ((rc = orion_ini_size(ini, e, 1, 2147483647ull, &b)))
			return rc;
		c->batch_size = (uint32_t)b;
		return 0;
	}
	if (!strcmp(k, "security_protocol")) {
		if ((rc = orion_ini_enum(ini, e, protos, &v)))
			return rc;
		snprintf(c->security_protocol, sizeof(c->security_protocol), "%s", protos[v]);
		return 0;
	}
	if (!strcmp(k, "sasl_mechanism"))
		return orion_ini_str(ini, e, c->sasl_mechanism, sizeof(c->sasl_mechanism));
	if (!strcmp(k, "sasl_username"))
		return orion_ini_str(ini, e, c->sasl_username, sizeof(c->sasl_username));
	if (!strcmp(k, "sasl_password"))
		return orion_ini_str(ini, e, c->sasl_password, sizeof(c->sasl_password));
	if (!strcmp(k, "ssl_ca_location"))
		return orion_ini_str(ini, e, c->ssl_ca_location, sizeof(c->ssl_ca_location));
	if (!strcmp(k, "market_data")) {
		if ((rc = orion_ini_enum(ini, e, md_modes, &v)))
			return rc;
		c->market_data = (enum exp_md_mode)v;
		return 0;
	}
	if (!strcmp(k, "checkpoint"))
		return orion_ini_str(ini, e, c->checkpoint, sizeof(c->checkpoint));
	if (!strcmp(k, "queue_max_messages"))
		return orion_ini_u32(ini, e, 64, 10000000, &c->queue_max_messages);
	if (!strcmp(k, "api_version_request"))
		return orion_ini_bool(ini, e, &c->api_version_request);
	if (!strcmp(k, "broker_version_fallback")) {
		if ((rc = orion_ini_str(ini, e, c->broker_version_fallback, sizeof(c->broker_version_fallback))))
			return rc;
		for (const char *p = c->broker_version_fallback; *p; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '.'))
				return orion_ini_fail(ini, e, "a version like 0.9.0.1");
		return 0;
	}
	if (!strcmp(k, "inflight_max"))
		return pow2(ini, e, 64, 1u << 24, &c->inflight_max);
	if (!strcmp(k, "md_queue"))
		return pow2(ini, e, 64, 1u << 24, &c->md_queue);
	if (!strcmp(k, "checkpoint_interval"))
		return ms_key(ini, e, 1, 60000, &c->checkpoint_interval_ms);
	if (!strcmp(k, "stop_timeout"))
		return ms_key(ini, e, 0, 600000, &c->stop_timeout_ms);
	if (!strcmp(k, "retry_backoff"))
		return ms_key(ini, e, 1, 60000, &c->retry_backoff_ms);
	if (!strncmp(k, "rdkafka.", 8)) {
		const char *name = k + 8;
		if (!valid_prop(name) || strlen(name) >= sizeof(c->rdkafka[0].name))
			return orion_ini_fail(ini, e, "rdkafka.<property>: a librdkafka property name ([a-z0-9._])");
		if (c->n_rdkafka >= EXP_RDKAFKA_MAX)
			return orion_ini_fail(ini, e, "at most %d rdkafka.* keys", EXP_RDKAFKA_MAX);
		if ((rc = orion_ini_str(ini, e, c->rdkafka[c->n_rdkafka].value, sizeof(c->rdkafka[0].value))))
			return rc;
		snprintf(c->rdkafka[c->n_rdkafka].name, sizeof(c->rdkafka[0].name), "%s", name);
		c->n_rdkafka++;
		return 0;
	}
	return orion_ini_unknown(ini, e);
}
