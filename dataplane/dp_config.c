#include "dataplane/dp_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/orion_ini.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

static void defaults(struct dp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->lcores, sizeof(c->lcores), "0-1");
	c->memory_mb = 512;
	c->no_huge = 1;
	c->in_memory = 1;
	c->no_pci = 1;
	c->layout = DP_LAYOUT_AUTO;
	c->mbufs = 8191;
	c->burst = 32;
	c->ring_size = 4096;
	c->tick_ring_size = 65536;
	c->conflate_ns = 100 * NS_PER_MS;
	c->ticklog_stream = DP_TICKLOG_RAW;
	c->og.max_connections = 1024;
	c->og.max_orders = 1u << 18;
	c->og.prelogon_timeout_ns = 10 * NS_PER_S;
	c->og.risk.stp = 1; /* ME_STP_NONE */
	exp_cfg_defaults(&c->kafka);
	cp_cfg_defaults(&c->cp);
}

static void feed_defaults(struct dp_feed_cfg *f)
{
	f->port = -1;
	f->max_instruments = 8192;
	f->max_orders = 1u << 20;
	f->max_levels = 1u << 16;
	f->stale_ns = 2 * NS_PER_S;
	f->gap_wait_ns = 1 * NS_PER_MS;
	f->rereq_timeout_ns = 50 * NS_PER_MS;
	f->rereq_retries = 5;
	f->rereq_max_count = 1000;
	f->window_packets = 1024;
	f->window_bytes = 4u << 20;
	f->rereq_src_port = 26999;
}

static int find_port(const struct dp_cfg *c, const char *name)
{
	for (unsigned i = 0; i < c->n_ports; i++)
		if (!strcmp(c->ports[i].name, name))
			return (int)i;
	return -1;
}

/* Sections appear in any order; a [port X] or [feed X] entry opens or extends
 * the named object. */
static int section_obj(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c, int is_port)
{
	if (e->name[0] == '\0')
		return orion_ini_fail(ini, e, "[%s] needs a name, e.g. [%s a]", e->kind, e->kind);
	if (strlen(e->name) >= DP_NAME_LEN)
		return orion_ini_fail(ini, e, "section name longer than %d bytes", DP_NAME_LEN - 1);
	if (is_port) {
		int i = find_port(c, e->name);
		if (i >= 0)
			return i;
		if (c->n_ports == DP_MAX_PORTS)
			return orion_ini_fail(ini, e, "more than %d ports", DP_MAX_PORTS);
		struct dp_port_cfg *p = &c->ports[c->n_ports];
		snprintf(p->name, sizeof(p->name), "%s", e->name);
		p->rx_desc = 1024;
		p->tx_desc = 512;
		p->promisc = 1;
		return (int)c->n_ports++;
	}
	for (unsigned i = 0; i < c->n_feeds; i++)
		if (!strcmp(c->feeds[i].name, e->name))
			return (int)i;
	if (c->n_feeds == DP_MAX_FEEDS)
		return orion_ini_fail(ini, e, "more than %d feeds", DP_MAX_FEEDS);
	struct dp_feed_cfg *f = &c->feeds[c->n_feeds];
	feed_defaults(f);
	snprintf(f->name, sizeof(f->name), "%s", e->name);
	f->id = (uint16_t)(c->n_feeds + 1);
	return (int)c->n_feeds++;
}

static int eal_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c)
{
	const char *k = e->key;
	if (!strcmp(k, "lcores"))
		return orion_ini_str(ini, e, c->lcores, sizeof(c->lcores));
	if (!strcmp(k, "memory_mb"))
		return orion_ini_u32(ini, e, 64, 1u << 20, &c->memory_mb);
	if (!strcmp(k, "no_huge"))
		return orion_ini_bool(ini, e, &c->no_huge);
	if (!strcmp(k, "in_memory"))
		return orion_ini_bool(ini, e, &c->in_memory);
	if (!strcmp(k, "no_pci"))
		return orion_ini_bool(ini, e, &c->no_pci);
	if (!strcmp(k, "file_prefix"))
		return orion_ini_str(ini, e, c->file_prefix, sizeof(c->file_prefix));
	if (!strcmp(k, "extra_args"))
		return orion_ini_str(ini, e, c->eal_extra, sizeof(c->eal_extra));
	return orion_ini_unknown(ini, e);
}

static int pow2_ok(struct orion_ini *ini, const struct orion_ini_entry *e, uint32_t v)
{
	if (v & (v - 1))
		return orion_ini_fail(ini, e, "%u is not a power of two", v);
	return 0;
}

static int dataplane_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c)
{
	static const char *const layouts[] = { "auto", "run-to-completion", "pipeline", NULL };
	const char *k = e->key;
	int v;
	if (!strcmp(k, "layout")) {
		if (orion_ini_enum(ini, e, layouts, &v))
			return -EINVAL;
		c->layout = (enum dp_layout)v;
		return 0;
	}
	if (!strcmp(k, "mbufs"))
		return orion_ini_u32(ini, e, 1023, 1u << 24, &c->mbufs);
	if (!strcmp(k, "burst"))
		return orion_ini_u32(ini, e, 1, 256, &c->burst);
	if (!strcmp(k, "ring_size"))
		return orion_ini_u32(ini, e, 64, 1u << 24, &c->ring_size) || pow2_ok(ini, e, c->ring_size);
	if (!strcmp(k, "tick_ring_size"))
		return orion_ini_u32(ini, e, 64, 1u << 24, &c->tick_ring_size) || pow2_ok(ini, e, c->tick_ring_size);
	if (!strcmp(k, "conflate_interval"))
		return orion_ini_duration_ns(ini, e, "ms", NS_PER_MS, 60 * NS_PER_S, &c->conflate_ns);
	if (!strcmp(k, "idle_exit"))
		return orion_ini_duration_ns(ini, e, "ms", 0, 3600 * NS_PER_S, &c->idle_exit_ns);
	return orion_ini_unknown(ini, e);
}

static int port_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_port_cfg *p)
{
	const char *k = e->key;
	uint32_t v;
	if (!strcmp(k, "vdev") || !strcmp(k, "pci")) {
		if (p->device[0])
			return orion_ini_fail(ini, e, "port already has a device (use one of vdev, pci)");
		p->is_vdev = k[0] == 'v';
		return orion_ini_str(ini, e, p->device, sizeof(p->device));
	}
	if (!strcmp(k, "ip"))
		return orion_ini_ipv4(ini, e, &p->ip_be);
	if (!strcmp(k, "rx_desc")) {
		if (orion_ini_u32(ini, e, 64, 16384, &v))
			return -EINVAL;
		p->rx_desc = (uint16_t)v;
		return 0;
	}
	if (!strcmp(k, "tx_desc")) {
		if (orion_ini_u32(ini, e, 64, 16384, &v))
			return -EINVAL;
		p->tx_desc = (uint16_t)v;
		return 0;
	}
	if (!strcmp(k, "promiscuous"))
		return orion_ini_bool(ini, e, &p->promisc);
	return orion_ini_unknown(ini, e);
}

static int line_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_line_cfg *l, int multicast)
{
	if (orion_ini_ipv4_port(ini, e, &l->ip_be, &l->port))
		return -EINVAL;
	uint8_t first = (uint8_t)(l->ip_be & 0xff); /* network order: first octet */
	if (multicast && (first < 224 || first > 239))
		return orion_ini_fail(ini, e, "'%s' is not an IPv4 multicast group", e->value);
	l->set = 1;
	return 0;
}

static int feed_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c, struct dp_feed_cfg *f)
{
	const char *k = e->key;
	uint32_t v;
	if (!strcmp(k, "protocol")) {
		static const char *const protos[] = { "itch5-moldudp64", NULL };
		int i;
		return orion_ini_enum(ini, e, protos, &i);
	}
	if (!strcmp(k, "port")) {
		int i = find_port(c, e->value);
		if (i < 0)
			return orion_ini_fail(ini, e, "no [port %s] defined before this feed", e->value);
		f->port = i;
		return 0;
	}
	if (!strcmp(k, "id")) {
		if (orion_ini_u32(ini, e, 1, 0xfffe, &v))
			return -EINVAL;
		f->id = (uint16_t)v;
		return 0;
	}
	if (!strcmp(k, "line_a"))
		return line_key(ini, e, &f->line_a, 1);
	if (!strcmp(k, "line_b"))
		return line_key(ini, e, &f->line_b, 1);
	if (!strcmp(k, "rerequest"))
		return line_key(ini, e, &f->rereq, 0);
	if (!strcmp(k, "rerequest_mac")) {
		f->has_rereq_mac = 1;
		return orion_ini_mac(ini, e, f->rereq_mac);
	}
	if (!strcmp(k, "rerequest_src_port")) {
		if (orion_ini_u32(ini, e, 1, 65535, &v))
			return -EINVAL;
		f->rereq_src_port = (uint16_t)v;
		return 0;
	}
	if (!strcmp(k, "vlan")) {
		if (orion_ini_u32(ini, e, 0, 4094, &v))
			return -EINVAL;
		f->vlan = (uint16_t)v;
		return 0;
	}
	if (!strcmp(k, "max_instruments"))
		return orion_ini_u32(ini, e, 1, 65535, &f->max_instruments);
	if (!strcmp(k, "max_orders"))
		return orion_ini_u32(ini, e, 16, 1u << 28, &f->max_orders);
	if (!strcmp(k, "max_levels"))
		return orion_ini_u32(ini, e, 16, 1u << 24, &f->max_levels);
	if (!strcmp(k, "stale_after"))
		return orion_ini_duration_ns(ini, e, "ms", NS_PER_MS, 3600 * NS_PER_S, &f->stale_ns);
	if (!strcmp(k, "gap_wait"))
		return orion_ini_duration_ns(ini, e, "us", 0, 10 * NS_PER_S, &f->gap_wait_ns);
	if (!strcmp(k, "rerequest_timeout"))
		return orion_ini_duration_ns(ini, e, "ms", 100000, 60 * NS_PER_S, &f->rereq_timeout_ns);
	if (!strcmp(k, "rerequest_retries"))
		return orion_ini_u32(ini, e, 0, 100, &f->rereq_retries);
	if (!strcmp(k, "rerequest_max_count"))
		return orion_ini_u32(ini, e, 1, 65534, &f->rereq_max_count);
	if (!strcmp(k, "window_packets"))
		return orion_ini_u32(ini, e, 1, 1u << 20, &f->window_packets);
	if (!strcmp(k, "window_bytes"))
		return orion_ini_size(ini, e, 4096, 1ull << 32, &f->window_bytes);
	return orion_ini_unknown(ini, e);
}

#define PX_DIGITS 8 /* ORION_PX_SCALE = 1e8 */

static int fix_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c)
{
	const char *k = e->key;
	c->fix_enabled = 1;
	if (!strcmp(k, "listen"))
		return orion_ini_ipv4_port(ini, e, &c->og.listen_ip_be, &c->og.listen_port);
	if (!strcmp(k, "sessions"))
		return orion_ini_str(ini, e, c->og.sessions_path, sizeof(c->og.sessions_path));
	if (!strcmp(k, "max_connections"))
		return orion_ini_u32(ini, e, 1, 65536, &c->og.max_connections);
	if (!strcmp(k, "max_orders"))
		return orion_ini_u32(ini, e, 16, 1u << 26, &c->og.max_orders);
	if (!strcmp(k, "prelogon_timeout"))
		return orion_ini_duration_ns(ini, e, "s", NS_PER_MS, 3600 * NS_PER_S, &c->og.prelogon_timeout_ns);
	return orion_ini_unknown(ini, e);
}

static int instrument_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c)
{
	if (e->name[0] == '\0' || strlen(e->name) > ORION_SYMBOL_LEN)
		return orion_ini_fail(ini, e, "[instrument SYMBOL] needs a symbol of 1..%d characters", ORION_SYMBOL_LEN);
	struct og_instrument_cfg *in = NULL;
	for (uint32_t i = 0; i < c->og.n_instruments; i++)
		if (!strcmp(c->og.instruments[i].symbol, e->name))
			in = &c->og.instruments[i];
	if (!in) {
		if (c->og.n_instruments == OG_MAX_INSTRUMENTS)
			return orion_ini_fail(ini, e, "more than %d instruments", OG_MAX_INSTRUMENTS);
		in = &c->og.instruments[c->og.n_instruments++];
		snprintf(in->symbol, sizeof(in->symbol), "%s", e->name);
		in->tick = ORION_PX_SCALE / 100;
		in->lot = 1;
	}
	const char *k = e->key;
	const int64_t pmax = 1000000LL * ORION_PX_SCALE;
	if (!strcmp(k, "tick"))
		return orion_ini_decimal(ini, e, PX_DIGITS, 1, pmax, &in->tick);
	if (!strcmp(k, "ref_price"))
		return orion_ini_decimal(ini, e, PX_DIGITS, 1, pmax, &in->ref_px);
	if (!strcmp(k, "price_min"))
		return orion_ini_decimal(ini, e, PX_DIGITS, 1, pmax, &in->px_min);
	if (!strcmp(k, "price_max"))
		return orion_ini_decimal(ini, e, PX_DIGITS, 1, pmax, &in->px_max);
	if (!strcmp(k, "lot"))
		return orion_ini_u32(ini, e, 1, 1000000, &in->lot);
	if (!strcmp(k, "band_pct")) {
		int64_t v;
		if (orion_ini_decimal(ini, e, 2, 0, 10000, &v)) /* percent with 2 decimals = basis points */
			return -EINVAL;
		in->band_bps = (uint32_t)v;
		return 0;
	}
	return orion_ini_unknown(ini, e);
}

static int risk_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c)
{
	struct og_risk_cfg *r = &c->og.risk;
	const char *k = e->key;
	if (!strcmp(k, "max_order_qty"))
		return orion_ini_u32(ini, e, 0, UINT32_MAX, &r->max_order_qty);
	if (!strcmp(k, "max_open_orders_session"))
		return orion_ini_u32(ini, e, 0, UINT32_MAX, &r->max_open_orders_session);
	if (!strcmp(k, "max_open_orders_account"))
		return orion_ini_u32(ini, e, 0, UINT32_MAX, &r->max_open_orders_account);
	if (!strcmp(k, "max_notional"))
		return orion_ini_decimal(ini, e, PX_DIGITS, 0, INT64_MAX / 2, &r->max_notional);
	if (!strcmp(k, "credit_limit"))
		return orion_ini_decimal(ini, e, PX_DIGITS, 0, INT64_MAX / 2, &r->credit_limit);
	if (!strcmp(k, "collar_pct")) {
		int64_t v;
		if (orion_ini_decimal(ini, e, 2, 0, 10000, &v))
			return -EINVAL;
		r->collar_bps = (uint32_t)v;
		return 0;
	}
	if (!strcmp(k, "order_rate_per_sec"))
		return orion_ini_u32(ini, e, 0, 100000000, &r->rate_per_s);
	if (!strcmp(k, "order_burst"))
		return orion_ini_u32(ini, e, 0, 100000000, &r->burst);
	if (!strcmp(k, "self_trade")) {
		static const char *const modes[] = { "allow", "cancel-resting", "cancel-incoming", "cancel-both", NULL };
		int v;
		if (orion_ini_enum(ini, e, modes, &v))
			return -EINVAL;
		r->stp = (uint8_t)(v + 1); /* enum me_stp: NONE = 1 .. CANCEL_BOTH = 4 */
		return 0;
	}
	return orion_ini_unknown(ini, e);
}

static int journal_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c)
{
	struct og_journal_cfg *j = &c->og.journal;
	const char *k = e->key;
	if (!strcmp(k, "dir"))
		return orion_ini_str(ini, e, j->dir, sizeof(j->dir));
	if (!strcmp(k, "durability")) {
		static const char *const modes[] = { "process", "power", NULL };
		return orion_ini_enum(ini, e, modes, &j->power_safe);
	}
	if (!strcmp(k, "segment_size")) {
		if (orion_ini_size(ini, e, 1u << 20, 1ull << 36, &j->segment_size))
			return -EINVAL;
		if (j->segment_size % 4096)
			return orion_ini_fail(ini, e, "must be a multiple of 4096");
		return 0;
	}
	if (!strcmp(k, "flush_interval")) {
		uint64_t ns;
		if (orion_ini_duration_ns(ini, e, "us", 10000, 10 * NS_PER_S, &ns))
			return -EINVAL;
		j->flush_interval_us = (uint32_t)(ns / 1000);
		return 0;
	}
	return orion_ini_unknown(ini, e);
}

static int other_key(struct orion_ini *ini, const struct orion_ini_entry *e, struct dp_cfg *c)
{
	if (!strcmp(e->kind, "metrics") && !strcmp(e->key, "listen"))
		return orion_ini_ipv4_port(ini, e, &c->metrics_ip_be, &c->metrics_port);
	if (!strcmp(e->kind, "ticklog") && !strcmp(e->key, "path"))
		return orion_ini_str(ini, e, c->ticklog_path, sizeof(c->ticklog_path));
	if (!strcmp(e->kind, "ticklog") && !strcmp(e->key, "stream")) {
		static const char *const streams[] = { "raw", "conflated", "both", NULL };
		int v;
		if (orion_ini_enum(ini, e, streams, &v))
			return -EINVAL;
		c->ticklog_stream = (enum dp_ticklog_stream)v;
		return 0;
	}
	return orion_ini_unknown(ini, e);
}

static int validate(struct orion_ini *ini, struct dp_cfg *c)
{
	for (unsigned i = 0; i < c->n_ports; i++)
		if (!c->ports[i].device[0])
			return orion_ini_fail(ini, NULL, "[port %s] has no vdev or pci key", c->ports[i].name);
	if (c->fix_enabled && (!c->og.listen_port || !c->og.sessions_path[0]))
		return orion_ini_fail(ini, NULL, "[fix] needs listen and sessions");
	for (uint32_t i = 0; i < c->og.n_instruments; i++) {
		struct og_instrument_cfg *in = &c->og.instruments[i];
		if (!in->ref_px)
			return orion_ini_fail(ini, NULL, "[instrument %s] has no ref_price", in->symbol);
		/* Default price grid: ref_price / 2 .. ref_price x 2, on the tick. */
		if (!in->px_min)
			in->px_min = in->ref_px / 2 / in->tick * in->tick;
		if (!in->px_min)
			in->px_min = in->tick;
		if (!in->px_max)
			in->px_max = in->ref_px * 2 / in->tick * in->tick;
		if (in->px_min % in->tick || in->px_max % in->tick || in->ref_px % in->tick || in->px_min >= in->px_max)
			return orion_ini_fail(ini, NULL, "[instrument %s]: ref_price, price_min and price_max must be "
				"multiples of tick with price_min < price_max", in->symbol);
	}
	for (unsigned i = 0; i < c->n_feeds; i++) {
		struct dp_feed_cfg *f = &c->feeds[i];
		if (f->port < 0)
			return orion_ini_fail(ini, NULL, "[feed %s] has no port key", f->name);
		if (!f->line_a.set)
			return orion_ini_fail(ini, NULL, "[feed %s] has no line_a key", f->name);
		for (unsigned j = 0; j < i; j++)
			if (c->feeds[j].id == f->id)
				return orion_ini_fail(ini, NULL, "[feed %s] and [feed %s] share id %u", f->name,
						      c->feeds[j].name, f->id);
	}
	return 0;
}

static int apply(struct dp_cfg *c, struct orion_ini *ini, char *err, size_t errlen)
{
	for (size_t i = 0; i < ini->n && !ini->err[0]; i++) {
		const struct orion_ini_entry *e = &ini->e[i];
		int idx;
		if (!strcmp(e->kind, "eal") && !e->name[0]) {
			eal_key(ini, e, c);
		} else if (!strcmp(e->kind, "dataplane") && !e->name[0]) {
			dataplane_key(ini, e, c);
		} else if (!strcmp(e->kind, "port")) {
			if ((idx = section_obj(ini, e, c, 1)) >= 0)
				port_key(ini, e, &c->ports[idx]);
		} else if (!strcmp(e->kind, "feed")) {
			if ((idx = section_obj(ini, e, c, 0)) >= 0)
				feed_key(ini, e, c, &c->feeds[idx]);
		} else if (!strcmp(e->kind, "fix") && !e->name[0]) {
			fix_key(ini, e, c);
		} else if (!strcmp(e->kind, "instrument")) {
			instrument_key(ini, e, c);
		} else if (!strcmp(e->kind, "risk") && !e->name[0]) {
			risk_key(ini, e, c);
		} else if (!strcmp(e->kind, "journal") && !e->name[0]) {
			journal_key(ini, e, c);
		} else if (!strcmp(e->kind, "kafka") && !e->name[0]) {
			exp_config_key(ini, e, &c->kafka);
		} else if (!strcmp(e->kind, "cp") || !strcmp(e->kind, "tenant") || !strcmp(e->kind, "user")) {
			cp_config_key(ini, e, &c->cp);
		} else if ((!strcmp(e->kind, "metrics") || !strcmp(e->kind, "ticklog")) && !e->name[0]) {
			other_key(ini, e, c);
		} else {
			orion_ini_fail(ini, e, "unknown section [%s%s%s]", e->kind, e->name[0] ? " " : "", e->name);
		}
	}
	if (!ini->err[0])
		validate(ini, c);
	char why[512];
	if (!ini->err[0] && c->cp.enabled && cp_cfg_validate(&c->cp, why, sizeof(why)) != 0)
		orion_ini_fail(ini, NULL, "%s", why);
	if (ini->err[0]) {
		snprintf(err, errlen, "%s", ini->err);
		return -EINVAL;
	}
	return 0;
}

int dp_config_load(struct dp_cfg *cfg, const char *path, char *err, size_t errlen)
{
	struct orion_ini ini;
	defaults(cfg);
	int rc = orion_ini_load(&ini, path);
	if (rc == 0)
		rc = apply(cfg, &ini, err, errlen);
	else
		snprintf(err, errlen, "%s", ini.err);
	orion_ini_free(&ini);
	return rc;
}

int dp_config_load_string(struct dp_cfg *cfg, const char *label, const char *text, char *err, size_t errlen)
{
	struct orion_ini ini;
	defaults(cfg);
	int rc = orion_ini_load_string(&ini, label, text);
	if (rc == 0)
		rc = apply(cfg, &ini, err, errlen);
	else
		snprintf(err, errlen, "%s", ini.err);
	orion_ini_free(&ini);
	return rc;
}
