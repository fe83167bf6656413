/* Unit tests: feeds/itch5 (NASDAQ TotalView-ITCH 5.0 codec).
 *
 * The byte vectors below are written by hand from the spec's field tables;
 * every one shares the header locate=0x1234 tracking=2 ts=0x1A2B3C4D5E6F,
 * whose distinct bytes catch any shifted or swapped field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "feeds/itch5.h"

#define HDR(t) (t), 0x12, 0x34, 0x00, 0x02, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E, 0x6F
#define REF(x) 0, 0, 0, 0, 0, 0, 0, (x)
#define S_AAPL 'A', 'A', 'P', 'L', ' ', ' ', ' ', ' '

static const uint8_t g_types[] = { 'S', 'R', 'H', 'Y', 'L', 'V', 'W', 'K', 'J', 'h', 'A', 'F',
				   'E', 'C', 'X', 'D', 'U', 'P', 'Q', 'B', 'I', 'N', 'O' };
static const size_t g_lens[] = { 12, 39, 25, 20, 26, 35, 12, 28, 35, 21, 36, 40,
				 31, 36, 23, 19, 35, 44, 40, 19, 50, 20, 48 };
#define N_TYPES (sizeof(g_types) / sizeof(g_types[0]))

/* Decode v (which must be accepted) and check the common header. */
static struct itch5_msg decode_ok(const uint8_t *v, size_t n)
{
	struct itch5_msg m;
	memset(&m, 0, sizeof(m));
	assert_int_equal(itch5_decode(v, n, &m), ITCH5_OK);
	assert_int_equal(m.type, v[0]);
	assert_int_equal(m.stock_locate, 0x1234);
	assert_int_equal(m.tracking, 2);
	assert_int_equal(m.timestamp, 0x1A2B3C4D5E6FULL);
	/* and it encodes back to the same bytes */
	uint8_t out[64];
	memset(out, 0xEE, sizeof(out));
	assert_int_equal(itch5_encode(out, sizeof(out), &m), (int)n);
	assert_memory_equal(out, v, n);
	assert_int_equal(out[n], 0xEE);
	return m;
}

static void itch5__lengths__match_spec_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_TYPES; i++)
		assert_int_equal(itch5_msg_len(g_types[i]), g_lens[i]);
	unsigned known = 0;
	for (unsigned t = 0; t < 256; t++)
		known += itch5_msg_len((uint8_t)t) != 0;
	assert_int_equal(known, N_TYPES);
	assert_int_equal(itch5_msg_len('Z'), 0);
}

static void itch5__system_event__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('S'), 'O' };
	assert_int_equal(sizeof(v), 12);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.system_event.event_code, 'O');
}

static void itch5__stock_directory__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('R'), 'Q', 'Q', 'Q', ' ', ' ', ' ', ' ', ' ',
				     'Q', 'N', 0x00, 0x00, 0x00, 0x64, 'N', 'C', 'A', ' ',
				     'P', 'N', ' ', '1', 'Y', 0x00, 0x00, 0x00, 0x03, 'N' };
	assert_int_equal(sizeof(v), 39);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	const struct itch5_stock_directory *r = &m.u.stock_directory;
	assert_memory_equal(r->stock, "QQQ     ", 8);
	assert_int_equal(r->market_category, 'Q');
	assert_int_equal(r->financial_status, 'N');
	assert_int_equal(r->round_lot_size, 100);
	assert_int_equal(r->round_lots_only, 'N');
	assert_int_equal(r->issue_classification, 'C');
	assert_memory_equal(r->issue_sub_type, "A ", 2);
	assert_int_equal(r->authenticity, 'P');
	assert_int_equal(r->short_sale_threshold, 'N');
	assert_int_equal(r->ipo_flag, ' ');
	assert_int_equal(r->luld_ref_price_tier, '1');
	assert_int_equal(r->etp_flag, 'Y');
	assert_int_equal(r->etp_leverage_factor, 3);
	assert_int_equal(r->inverse_indicator, 'N');
}

static void itch5__trading_action__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('H'), S_AAPL, 'H', ' ', 'T', '1', ' ', ' ' };
	assert_int_equal(sizeof(v), 25);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.trading_action.stock, "AAPL    ", 8);
	assert_int_equal(m.u.trading_action.trading_state, 'H');
	assert_int_equal(m.u.trading_action.reserved, ' ');
	assert_memory_equal(m.u.trading_action.reason, "T1  ", 4);
}

static void itch5__reg_sho__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('Y'), S_AAPL, '1' };
	assert_int_equal(sizeof(v), 20);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.reg_sho.stock, "AAPL    ", 8);
	assert_int_equal(m.u.reg_sho.action, '1');
}

static void itch5__participant_pos__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('L'), 'G', 'S', 'C', 'O', S_AAPL, 'Y', 'N', 'A' };
	assert_int_equal(sizeof(v), 26);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.participant_pos.mpid, "GSCO", 4);
	assert_memory_equal(m.u.participant_pos.stock, "AAPL    ", 8);
	assert_int_equal(m.u.participant_pos.primary_market_maker, 'Y');
	assert_int_equal(m.u.participant_pos.market_maker_mode, 'N');
	assert_int_equal(m.u.participant_pos.market_participant_state, 'A');
}

static void itch5__mwcb_decline__decodes_price8_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('V'), 0x00, 0x00, 0x00, 0x5D, 0x21, 0xDB, 0xA0, 0x00,
				     0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				     0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	assert_int_equal(sizeof(v), 35);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.mwcb_decline.level1, 400000000000ULL); /* 4000.00000000 */
	assert_int_equal(m.u.mwcb_decline.level2, 0x0102030405060708ULL);
	assert_int_equal(m.u.mwcb_decline.level3, 0x1112131415161718ULL);
}

static void itch5__mwcb_status__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('W'), '2' };
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.mwcb_status.breached_level, '2');
}

static void itch5__ipo_quoting__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('K'), 'N', 'E', 'W', 'C', 'O', ' ', ' ', ' ',
				     0x00, 0x00, 0x8C, 0xA0, 'A', 0x00, 0x03, 0x0D, 0x40 };
	assert_int_equal(sizeof(v), 28);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.ipo_quoting.stock, "NEWCO   ", 8);
	assert_int_equal(m.u.ipo_quoting.release_time, 36000);
	assert_int_equal(m.u.ipo_quoting.release_qualifier, 'A');
	assert_int_equal(m.u.ipo_quoting.ipo_price, 200000);
}

static void itch5__luld_collar__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('J'), S_AAPL, 0x00, 0x12, 0xD6, 0x44, 0x00, 0x14, 0x00, 0x00,
				     0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02 };
	assert_int_equal(sizeof(v), 35);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.luld_collar.stock, "AAPL    ", 8);
	assert_int_equal(m.u.luld_collar.ref_price, 1234500);
	assert_int_equal(m.u.luld_collar.upper_price, 0x140000);
	assert_int_equal(m.u.luld_collar.lower_price, 0x100000);
	assert_int_equal(m.u.luld_collar.extension, 2);
}

static void itch5__operational_halt__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('h'), S_AAPL, 'Q', 'H' };
	assert_int_equal(sizeof(v), 21);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.operational_halt.stock, "AAPL    ", 8);
	assert_int_equal(m.u.operational_halt.market_code, 'Q');
	assert_int_equal(m.u.operational_halt.action, 'H');
}

static void itch5__add_order__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('A'), 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				     'B', 0x00, 0x00, 0x00, 0x64, S_AAPL, 0x00, 0x12, 0xD6, 0x44 };
	assert_int_equal(sizeof(v), 36);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.add.order_ref, 0x0102030405060708ULL);
	assert_int_equal(m.u.add.side, 'B');
	assert_int_equal(m.u.add.shares, 100);
	assert_memory_equal(m.u.add.stock, "AAPL    ", 8);
	assert_int_equal(m.u.add.price, 1234500); /* $123.4500 */
	assert_memory_equal(m.u.add.attribution, "    ", 4);
}

static void itch5__add_order_mpid__decodes_attribution(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('F'), REF(9), 'S', 0x00, 0x00, 0x00, 0x64, S_AAPL,
				     0x00, 0x12, 0xD6, 0x44, 'G', 'S', 'C', 'O' };
	assert_int_equal(sizeof(v), 40);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.add.order_ref, 9);
	assert_int_equal(m.u.add.side, 'S');
	assert_int_equal(m.u.add.shares, 100);
	assert_memory_equal(m.u.add.stock, "AAPL    ", 8);
	assert_int_equal(m.u.add.price, 1234500);
	assert_memory_equal(m.u.add.attribution, "GSCO", 4);
}

static void itch5__order_executed__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('E'), REF(42), 0x00, 0x00, 0x01, 0x2C,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xE2, 0x40 };
	assert_int_equal(sizeof(v), 31);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.exec.order_ref, 42);
	assert_int_equal(m.u.exec.shares, 300);
	assert_int_equal(m.u.exec.match_number, 123456);
	assert_int_equal(m.u.exec.printable, 0);
	assert_int_equal(m.u.exec.price, 0);
}

static void itch5__order_executed_price__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('C'), REF(43), 0x00, 0x00, 0x00, 0x0A,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xE2, 0x41,
				     'Y', 0x00, 0x0F, 0x42, 0x40 };
	assert_int_equal(sizeof(v), 36);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.exec.order_ref, 43);
	assert_int_equal(m.u.exec.shares, 10);
	assert_int_equal(m.u.exec.match_number, 123457);
	assert_int_equal(m.u.exec.printable, 'Y');
	assert_int_equal(m.u.exec.price, 1000000);
}

static void itch5__order_cancel__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('X'), REF(42), 0x00, 0x00, 0x00, 0x32 };
	assert_int_equal(sizeof(v), 23);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.cancel.order_ref, 42);
	assert_int_equal(m.u.cancel.shares, 50);
}

static void itch5__order_delete__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('D'), 0x80, 0, 0, 0, 0, 0, 0, 0x2A };
	assert_int_equal(sizeof(v), 19);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.del.order_ref, 0x800000000000002AULL);
}

static void itch5__order_replace__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('U'), REF(42), REF(44), 0x00, 0x00, 0x00, 0xC8,
				     0x00, 0x12, 0xD6, 0x45 };
	assert_int_equal(sizeof(v), 35);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.replace.orig_order_ref, 42);
	assert_int_equal(m.u.replace.new_order_ref, 44);
	assert_int_equal(m.u.replace.shares, 200);
	assert_int_equal(m.u.replace.price, 1234501);
}

static void itch5__trade__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('P'), REF(0), 'S', 0x00, 0x00, 0x03, 0xE8,
				     'M', 'S', 'F', 'T', ' ', ' ', ' ', ' ',
				     0x00, 0x04, 0x93, 0xE0, REF(7) };
	assert_int_equal(sizeof(v), 44);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.trade.order_ref, 0);
	assert_int_equal(m.u.trade.side, 'S');
	assert_int_equal(m.u.trade.shares, 1000);
	assert_memory_equal(m.u.trade.stock, "MSFT    ", 8);
	assert_int_equal(m.u.trade.price, 300000);
	assert_int_equal(m.u.trade.match_number, 7);
}

static void itch5__cross_trade__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('Q'), 0x00, 0x00, 0x00, 0x00, 0x00, 0x98, 0x96, 0x80,
				     'S', 'P', 'Y', ' ', ' ', ' ', ' ', ' ',
				     0x00, 0x06, 0x1A, 0x80, REF(9), 'O' };
	assert_int_equal(sizeof(v), 40);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.cross.shares, 10000000);
	assert_memory_equal(m.u.cross.stock, "SPY     ", 8);
	assert_int_equal(m.u.cross.price, 400000);
	assert_int_equal(m.u.cross.match_number, 9);
	assert_int_equal(m.u.cross.cross_type, 'O');
}

static void itch5__broken_trade__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('B'), 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xE2, 0x40 };
	assert_int_equal(sizeof(v), 19);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.broken.match_number, 123456);
}

static void itch5__noii__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('I'), 0, 0, 0, 0, 0, 0, 0x27, 0x10, 0, 0, 0, 0, 0, 0, 0x01, 0xF4,
				     'B', S_AAPL, 0x00, 0x12, 0xD6, 0x44, 0x00, 0x12, 0xD6, 0x45,
				     0x00, 0x12, 0xD6, 0x46, 'O', 'L' };
	assert_int_equal(sizeof(v), 50);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_int_equal(m.u.noii.paired_shares, 10000);
	assert_int_equal(m.u.noii.imbalance_shares, 500);
	assert_int_equal(m.u.noii.imbalance_direction, 'B');
	assert_memory_equal(m.u.noii.stock, "AAPL    ", 8);
	assert_int_equal(m.u.noii.far_price, 1234500);
	assert_int_equal(m.u.noii.near_price, 1234501);
	assert_int_equal(m.u.noii.ref_price, 1234502);
	assert_int_equal(m.u.noii.cross_type, 'O');
	assert_int_equal(m.u.noii.price_variation, 'L');
}

static void itch5__rpii__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('N'), S_AAPL, 'B' };
	assert_int_equal(sizeof(v), 20);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.rpii.stock, "AAPL    ", 8);
	assert_int_equal(m.u.rpii.interest_flag, 'B');
}

static void itch5__dlcr__decodes_fields(void **state)
{
	(void)state;
	static const uint8_t v[] = { HDR('O'), 'N', 'E', 'W', 'C', 'O', ' ', ' ', ' ', 'Y',
				     0x00, 0x0F, 0x42, 0x40, 0x00, 0x1E, 0x84, 0x80,
				     0x00, 0x16, 0xE3, 0x60, 0x00, 0x00, 0x00, 0x00, 0x65, 0x4A, 0x3B, 0x2C,
				     0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00 };
	assert_int_equal(sizeof(v), 48);
	struct itch5_msg m = decode_ok(v, sizeof(v));
	assert_memory_equal(m.u.dlcr.stock, "NEWCO   ", 8);
	assert_int_equal(m.u.dlcr.open_eligibility, 'Y');
	assert_int_equal(m.u.dlcr.min_price, 1000000);
	assert_int_equal(m.u.dlcr.max_price, 2000000);
	assert_int_equal(m.u.dlcr.near_exec_price, 1500000);
	assert_int_equal(m.u.dlcr.near_exec_time, 0x654A3B2CULL);
	assert_int_equal(m.u.dlcr.lower_collar, 0x140000);
	assert_int_equal(m.u.dlcr.upper_collar, 0x180000);
}

/* xorshift64*, seeded: deterministic pseudo-random fill. */
static uint64_t g_rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 0x2545F4914F6CDD1DULL;
}

/* Field-by-field equality of the member that type t carries. */
static void assert_msg_equal(const struct itch5_msg *a, const struct itch5_msg *b)
{
#define EQ(f) assert_true(a->u.f == b->u.f)
#define EQA(f) assert_memory_equal(a->u.f, b->u.f, sizeof(a->u.f))
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->stock_locate, b->stock_locate);
	assert_int_equal(a->tracking, b->tracking);
	assert_int_equal(a->timestamp, b->timestamp);
	switch (a->type) {
	case 'S': EQ(system_event.event_code); break;
	case 'R':
		EQA(stock_directory.stock); EQ(stock_directory.market_category);
		EQ(stock_directory.financial_status); EQ(stock_directory.round_lot_size);
		EQ(stock_directory.round_lots_only); EQ(stock_directory.issue_classification);
		EQA(stock_directory.issue_sub_type); EQ(stock_directory.authenticity);
		EQ(stock_directory.short_sale_threshold); EQ(stock_directory.ipo_flag);
		EQ(stock_directory.luld_ref_price_tier); EQ(stock_directory.etp_flag);
		EQ(stock_directory.etp_leverage_factor); EQ(stock_directory.inverse_indicator);
		break;
	case 'H':
		EQA(trading_action.stock); EQ(trading_action.trading_state);
		EQ(trading_action.reserved); EQA(trading_action.reason);
		break;
	case 'Y': EQA(reg_sho.stock); EQ(reg_sho.action); break;
	case 'L':
		EQA(participant_pos.mpid); EQA(participant_pos.stock);
		EQ(participant_pos.primary_market_maker); EQ(participant_pos.market_maker_mode);
		EQ(participant_pos.market_participant_state);
		break;
	case 'V': EQ(mwcb_decline.level1); EQ(mwcb_decline.level2); EQ(mwcb_decline.level3); break;
	case 'W': EQ(mwcb_status.breached_level); break;
	case 'K':
		EQA(ipo_quoting.stock); EQ(ipo_quoting.release_time);
		EQ(ipo_quoting.release_qualifier); EQ(ipo_quoting.ipo_price);
		break;
	case 'J':
		EQA(luld_collar.stock); EQ(luld_collar.ref_price); EQ(luld_collar.upper_price);
		EQ(luld_collar.lower_price); EQ(luld_collar.extension);
		break;
	case 'h':
		EQA(operational_halt.stock); EQ(operational_halt.market_code);
		EQ(operational_halt.action);
		break;
	case 'A':
	case 'F':
		EQ(add.order_ref); EQ(add.side); EQ(add.shares); EQA(add.stock); EQ(add.price);
		EQA(add.attribution);
		break;
	case 'E':
	case 'C':
		EQ(exec.order_ref); EQ(exec.shares); EQ(exec.match_number); EQ(exec.printable);
		EQ(exec.price);
		break;
	case 'X': EQ(cancel.order_ref); EQ(cancel.shares); break;
	case 'D': EQ(del.order_ref); break;
	case 'U':
		EQ(replace.orig_order_ref); EQ(replace.new_order_ref); EQ(replace.shares);
		EQ(replace.price);
		break;
	case 'P':
		EQ(trade.order_ref); EQ(trade.side); EQ(trade.shares); EQA(trade.stock);
		EQ(trade.price); EQ(trade.match_number);
		break;
	case 'Q':
		EQ(cross.shares); EQA(cross.stock); EQ(cross.price); EQ(cross.match_number);
		EQ(cross.cross_type);
		break;
	case 'B': EQ(broken.match_number); break;
	case 'I':
		EQ(noii.paired_shares); EQ(noii.imbalance_shares); EQ(noii.imbalance_direction);
		EQA(noii.stock); EQ(noii.far_price); EQ(noii.near_price); EQ(noii.ref_price);
		EQ(noii.cross_type); EQ(noii.price_variation);
		break;
	case 'N': EQA(rpii.stock); EQ(rpii.interest_flag); break;
	case 'O':
		EQA(dlcr.stock); EQ(dlcr.open_eligibility); EQ(dlcr.min_price); EQ(dlcr.max_price);
		EQ(dlcr.near_exec_price); EQ(dlcr.near_exec_time); EQ(dlcr.lower_collar);
		EQ(dlcr.upper_collar);
		break;
	default: fail_msg("unexpected type %c", a->type);
	}
#undef EQ
#undef EQA
}

static void itch5__encode_decode__round_trips_every_type(void **state)
{
	(void)state;
	g_rng = 0x9E3779B97F4A7C15ULL;
	for (size_t i = 0; i < N_TYPES; i++) {
		for (int rep = 0; rep < 64; rep++) {
			struct itch5_msg in, out;
			uint8_t *raw = (uint8_t *)&in;
			for (size_t k = 0; k < sizeof(in); k++)
				raw[k] = (uint8_t)rnd();
			in.type = g_types[i];
			in.timestamp &= (1ULL << 48) - 1;
			if (in.type == 'A') /* fields the type does not carry */
				memcpy(in.u.add.attribution, "    ", 4);
			if (in.type == 'E') {
				in.u.exec.printable = 0;
				in.u.exec.price = 0;
			}
			uint8_t buf[ITCH5_MAX_MSG_LEN];
			assert_int_equal(itch5_encode(buf, sizeof(buf), &in), (int)g_lens[i]);
			assert_int_equal(buf[0], g_types[i]);
			memset(&out, 0, sizeof(out));
			assert_int_equal(itch5_decode(buf, g_lens[i], &out), ITCH5_OK);
			assert_msg_equal(&in, &out);
		}
	}
}

static void itch5__random_bytes__decode_encode_gives_same_bytes(void **state)
{
	(void)state;
	g_rng = 12345;
	for (size_t i = 0; i < N_TYPES; i++) {
		for (int rep = 0; rep < 64; rep++) {
			uint8_t in[ITCH5_MAX_MSG_LEN], out[ITCH5_MAX_MSG_LEN];
			for (size_t k = 0; k < sizeof(in); k++)
				in[k] = (uint8_t)rnd();
			in[0] = g_types[i];
			struct itch5_msg m;
			assert_int_equal(itch5_decode(in, g_lens[i], &m), ITCH5_OK);
			assert_int_equal(itch5_encode(out, sizeof(out), &m), (int)g_lens[i]);
			assert_memory_equal(in, out, g_lens[i]);
		}
	}
}

static void itch5__wrong_length__rejected_for_every_type(void **state)
{
	(void)state;
	uint8_t buf[ITCH5_MAX_MSG_LEN + 8];
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < N_TYPES; i++) {
		struct itch5_msg m;
		memset(&m, 0x5A, sizeof(m));
		buf[0] = g_types[i];
		assert_int_equal(itch5_decode(buf, g_lens[i] - 1, &m), ITCH5_ERR_LEN_MISMATCH);
		assert_int_equal(itch5_decode(buf, g_lens[i] + 1, &m), ITCH5_ERR_LEN_MISMATCH);
		assert_int_equal(itch5_decode(buf, 1, &m), ITCH5_ERR_LEN_MISMATCH);
		assert_int_equal(m.type, 0x5A); /* untouched on error */
	}
}

static void itch5__unknown_type__rejected(void **state)
{
	(void)state;
	uint8_t buf[ITCH5_MAX_MSG_LEN] = { 0 };
	struct itch5_msg m;
	for (unsigned t = 0; t < 256; t++) {
		if (itch5_msg_len((uint8_t)t) != 0)
			continue;
		buf[0] = (uint8_t)t;
		assert_int_equal(itch5_decode(buf, 12, &m), ITCH5_ERR_UNKNOWN_TYPE);
		m.type = (uint8_t)t;
		m.timestamp = 0;
		assert_int_equal(itch5_encode(buf, sizeof(buf), &m), -EINVAL);
	}
	/* 'a' is not 'A': types are case-sensitive ('h' is the only lower case). */
	buf[0] = 'a';
	assert_int_equal(itch5_decode(buf, 36, &m), ITCH5_ERR_UNKNOWN_TYPE);
}

static void itch5__empty__rejected(void **state)
{
	(void)state;
	struct itch5_msg m;
	assert_int_equal(itch5_decode((const uint8_t *)"", 0, &m), ITCH5_ERR_EMPTY);
}

static void itch5__encode_small_buffer__enospc_and_untouched(void **state)
{
	(void)state;
	struct itch5_msg m;
	itch5_msg_init(&m, 'A', 1, 0, 1000);
	uint8_t buf[36];
	memset(buf, 0xCC, sizeof(buf));
	assert_int_equal(itch5_encode(buf, 35, &m), -ENOSPC);
	assert_int_equal(buf[0], 0xCC);
	assert_int_equal(itch5_encode(buf, 36, &m), 36);
}

static void itch5__encode_timestamp_over_48_bits__einval(void **state)
{
	(void)state;
	struct itch5_msg m;
	uint8_t buf[ITCH5_MAX_MSG_LEN];
	itch5_msg_init(&m, 'D', 1, 0, 1ULL << 48);
	assert_int_equal(itch5_encode(buf, sizeof(buf), &m), -EINVAL);
	m.timestamp = (1ULL << 48) - 1;
	assert_int_equal(itch5_encode(buf, sizeof(buf), &m), 19);
	assert_memory_equal(buf + 5, "\xFF\xFF\xFF\xFF\xFF\xFF", 6);
}

static void itch5__helpers__init_alpha_and_names(void **state)
{
	(void)state;
	struct itch5_msg m;
	itch5_msg_init(&m, 'A', 7, 3, 34200000000000ULL);
	assert_int_equal(m.type, 'A');
	assert_int_equal(m.stock_locate, 7);
	assert_int_equal(m.tracking, 3);
	assert_int_equal(m.timestamp, 34200000000000ULL);
	assert_int_equal(m.u.add.order_ref, 0);
	itch5_alpha_set(m.u.add.stock, sizeof(m.u.add.stock), "IBM");
	assert_memory_equal(m.u.add.stock, "IBM     ", 8);
	itch5_alpha_set(m.u.add.stock, sizeof(m.u.add.stock), "TOOLONGNAME");
	assert_memory_equal(m.u.add.stock, "TOOLONGN", 8);
	assert_string_equal(itch5_type_name('A'), "ADD_ORDER");
	assert_string_equal(itch5_type_name('h'), "OPERATIONAL_HALT");
	assert_string_equal(itch5_type_name('Z'), "UNKNOWN");
	for (size_t i = 0; i < N_TYPES; i++)
		assert_string_not_equal(itch5_type_name(g_types[i]), "UNKNOWN");
}

static void itch5__err_name__distinct_for_every_reason(void **state)
{
	(void)state;
	for (int i = 0; i < ITCH5_ERR__COUNT; i++) {
		assert_string_not_equal(itch5_err_name((enum itch5_err)i), "invalid");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(itch5_err_name((enum itch5_err)i),
						itch5_err_name((enum itch5_err)j));
	}
	assert_string_equal(itch5_err_name(ITCH5_ERR__COUNT), "invalid");
	assert_string_equal(itch5_err_name(ITCH5_ERR_LEN_MISMATCH), "len_mismatch");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(itch5__lengths__match_spec_table),
		cmocka_unit_test(itch5__system_event__decodes_fields),
		cmocka_unit_test(itch5__stock_directory__decodes_fields),
		cmocka_unit_test(itch5__trading_action__decodes_fields),
		cmocka_unit_test(itch5__reg_sho__decodes_fields),
		cmocka_unit_test(itch5__participant_pos__decodes_fields),
		cmocka_unit_test(itch5__mwcb_decline__decodes_price8_fields),
		cmocka_unit_test(itch5__mwcb_status__decodes_fields),
		cmocka_unit_test(itch5__ipo_quoting__decodes_fields),
		cmocka_unit_test(itch5__luld_collar__decodes_fields),
		cmocka_unit_test(itch5__operational_halt__decodes_fields),
		cmocka_unit_test(itch5__add_order__decodes_fields),
		cmocka_unit_test(itch5__add_order_mpid__decodes_attribution),
		cmocka_unit_test(itch5__order_executed__decodes_fields),
		cmocka_unit_test(itch5__order_executed_price__decodes_fields),
		cmocka_unit_test(itch5__order_cancel__decodes_fields),
		cmocka_unit_test(itch5__order_delete__decodes_fields),
		cmocka_unit_test(itch5__order_replace__decodes_fields),
		cmocka_unit_test(itch5__trade__decodes_fields),
		cmocka_unit_test(itch5__cross_trade__decodes_fields),
		cmocka_unit_test(itch5__broken_trade__decodes_fields),
		cmocka_unit_test(itch5__noii__decodes_fields),
		cmocka_unit_test(itch5__rpii__decodes_fields),
		cmocka_unit_test(itch5__dlcr__decodes_fields),
		cmocka_unit_test(itch5__encode_decode__round_trips_every_type),
		cmocka_unit_test(itch5__random_bytes__decode_encode_gives_same_bytes),
		cmocka_unit_test(itch5__wrong_length__rejected_for_every_type),
		cmocka_unit_test(itch5__unknown_type__rejected),
		cmocka_unit_test(itch5__empty__rejected),
		cmocka_unit_test(itch5__encode_small_buffer__enospc_and_untouched),
		cmocka_unit_test(itch5__encode_timestamp_over_48_bits__einval),
		cmocka_unit_test(itch5__helpers__init_alpha_and_names),
		cmocka_unit_test(itch5__err_name__distinct_for_every_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
