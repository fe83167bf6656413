/* NASDAQ TotalView-ITCH 5.0 message codec.
 *
 * Pure codec: no DPDK, no allocation, no I/O, callable from any thread.
 * Wire format: big-endian integers, fixed-length messages per type, every
 * message starts with type(1) stock_locate(2) tracking(2) timestamp(6).
 * Prices stay integers: Price(4) has 4 implied decimals, Price(8) has 8.
 * Alpha fields (stock, mpid, ...) are kept as raw space-padded bytes.
 */
#ifndef ORION_FEEDS_ITCH5_H
#define ORION_FEEDS_ITCH5_H

#include <stddef.h>
#include <stdint.h>

#define ITCH5_HDR_LEN 11
#define ITCH5_STOCK_LEN 8
#define ITCH5_MAX_MSG_LEN 50 /* 'I' NOII */

/* Message types, the byte on the wire. */
enum itch5_type {
	ITCH5_SYSTEM_EVENT = 'S',
	ITCH5_STOCK_DIRECTORY = 'R',
	ITCH5_TRADING_ACTION = 'H',
	ITCH5_REG_SHO = 'Y',
	ITCH5_MARKET_PARTICIPANT_POS = 'L',
	ITCH5_MWCB_DECLINE = 'V',
	ITCH5_MWCB_STATUS = 'W',
	ITCH5_IPO_QUOTING = 'K',
	ITCH5_LULD_COLLAR = 'J',
	ITCH5_OPERATIONAL_HALT = 'h',
	ITCH5_ADD_ORDER = 'A',
	ITCH5_ADD_ORDER_MPID = 'F',
	ITCH5_ORDER_EXECUTED = 'E',
	ITCH5_ORDER_EXECUTED_PRICE = 'C',
	ITCH5_ORDER_CANCEL = 'X',
	ITCH5_ORDER_DELETE = 'D',
	ITCH5_ORDER_REPLACE = 'U',
	ITCH5_TRADE = 'P',
	ITCH5_CROSS_TRADE = 'Q',
	ITCH5_BROKEN_TRADE = 'B',
	ITCH5_NOII = 'I',
	ITCH5_RPII = 'N',
	ITCH5_DLCR = 'O',
};

/* Why a message was rejected; indexes counters, keep itch5_err_name() in step. */
enum itch5_err {
	ITCH5_OK = 0,
	ITCH5_ERR_EMPTY,        /* zero-length message */
	ITCH5_ERR_UNKNOWN_TYPE, /* type byte not in the specification */
	ITCH5_ERR_LEN_MISMATCH, /* length differs from the type's fixed length */
	ITCH5_ERR__COUNT
};
const char *itch5_err_name(enum itch5_err e);

/* Fixed wire length of a message type, or 0 for an unknown type. */
size_t itch5_msg_len(uint8_t type);

struct itch5_system_event { char event_code; };
struct itch5_stock_directory {
	char stock[ITCH5_STOCK_LEN];
	char market_category, financial_status;
	uint32_t round_lot_size;
	char round_lots_only, issue_classification;
	char issue_sub_type[2];
	char authenticity, short_sale_threshold, ipo_flag, luld_ref_price_tier, etp_flag;
	uint32_t etp_leverage_factor;
	char inverse_indicator;
};
struct itch5_trading_action {
	char stock[ITCH5_STOCK_LEN];
	char trading_state; /* H halted, P paused, Q quotation only, T trading */
	char reserved;
	char reason[4];
};
struct itch5_reg_sho { char stock[ITCH5_STOCK_LEN]; char action; };
struct itch5_market_participant_pos {
	char mpid[4];
	char stock[ITCH5_STOCK_LEN];
	char primary_market_maker, market_maker_mode, market_participant_state;
};
struct itch5_mwcb_decline { uint64_t level1, level2, level3; /* Price(8) */ };
struct itch5_mwcb_status { char breached_level; };
struct itch5_ipo_quoting {
	char stock[ITCH5_STOCK_LEN];
	uint32_t release_time; /* seconds since midnight */
	char release_qualifier;
	uint32_t ipo_price;    /* Price(4) */
};
struct itch5_luld_collar {
	char stock[ITCH5_STOCK_LEN];
	uint32_t ref_price, upper_price, lower_price; /* Price(4) */
	uint32_t extension;
};
struct itch5_operational_halt { char stock[ITCH5_STOCK_LEN]; char market_code, action; };
/* 'A' and 'F' share this body; attribution is spaces for 'A'. */
struct itch5_add_order {
	uint64_t order_ref;
	char side; /* 'B' or 'S' */
	uint32_t shares;
	char stock[ITCH5_STOCK_LEN];
	uint32_t price; /* Price(4) */
	char attribution[4];
};
/* 'E' and 'C' share this body; printable/price only meaningful for 'C'. */
struct itch5_order_executed {
	uint64_t order_ref;
	uint32_t shares;
	uint64_t match_number;
	char printable;
	uint32_t price;
};
struct itch5_order_cancel { uint64_t order_ref; uint32_t shares; };
struct itch5_order_delete { uint64_t order_ref; };
struct itch5_order_replace { uint64_t orig_order_ref, new_order_ref; uint32_t shares, price; };
struct itch5_trade {
	uint64_t order_ref;
	char side;
	uint32_t shares;
	char stock[ITCH5_STOCK_LEN];
	uint32_t price;
	uint64_t match_number;
};
struct itch5_cross_trade {
	uint64_t shares;
	char stock[ITCH5_STOCK_LEN];
	uint32_t price;
	uint64_t match_number;
	char cross_type;
};
struct itch5_broken_trade { uint64_t match_number; };
struct itch5_noii {
	uint64_t paired_shares, imbalance_shares;
	char imbalance_direction;
	char stock[ITCH5_STOCK_LEN];
	uint32_t far_price, near_price, ref_price;
	char cross_type, price_variation;
};
struct itch5_rpii { char stock[ITCH5_STOCK_LEN]; char interest_flag; };
struct itch5_dlcr {
	char stock[ITCH5_STOCK_LEN];
	char open_eligibility;
	uint32_t min_price, max_price, near_exec_price;
	uint64_t near_exec_time;
	uint32_t lower_collar, upper_collar;
};

struct itch5_msg {
	uint8_t type;
	uint16_t stock_locate;
	uint16_t tracking;
	uint64_t timestamp; /* ns since midnight, 48 bits on the wire */
	union {
		struct itch5_system_event system_event;
		struct itch5_stock_directory stock_directory;
		struct itch5_trading_action trading_action;
		struct itch5_reg_sho reg_sho;
		struct itch5_market_participant_pos participant_pos;
		struct itch5_mwcb_decline mwcb_decline;
		struct itch5_mwcb_status mwcb_status;
		struct itch5_ipo_quoting ipo_quoting;
		struct itch5_luld_collar luld_collar;
		struct itch5_operational_halt operational_halt;
		struct itch5_add_order add;          /* 'A', 'F' */
		struct itch5_order_executed exec;    /* 'E', 'C' */
		struct itch5_order_cancel cancel;
		struct itch5_order_delete del;
		struct itch5_order_replace replace;
		struct itch5_trade trade;
		struct itch5_cross_trade cross;
		struct itch5_broken_trade broken;
		struct itch5_noii noii;
		struct itch5_rpii rpii;
		struct itch5_dlcr dlcr;
	} u;
};

/* Decode one message of exactly len bytes (a MoldUDP64 block). Returns
 * ITCH5_OK or the reason; never reads outside [buf, buf+len). Hot path:
 * no allocation, no branches beyond the type switch and length check.
 * On success only the header and the type's union member are written (for
 * 'A' attribution is set to four spaces; for 'E' printable is 0 and price 0).
 * On error *out is left unchanged. */
enum itch5_err itch5_decode(const uint8_t *buf, size_t len, struct itch5_msg *out);

/* Encode msg (type selects the body). Returns the bytes written, -EINVAL for
 * an unknown type or a timestamp that does not fit 48 bits, or -ENOSPC when
 * cap is smaller than the type's length. Fields a type does not carry
 * ('A' attribution, 'E' printable/price) are ignored. For every message that
 * itch5_decode() accepts, encoding the decoded struct gives the input bytes. */
int itch5_encode(uint8_t *buf, size_t cap, const struct itch5_msg *msg);

/* Helpers for builders (simulator, tests). Any thread. */
/* Zero *m and set its header fields. */
void itch5_msg_init(struct itch5_msg *m, uint8_t type, uint16_t stock_locate,
		    uint16_t tracking, uint64_t timestamp);
/* Copy sym into an alpha field of width n, space-padded on the right and
 * truncated at n (no NUL is written). sym must be NUL-terminated. */
void itch5_alpha_set(char *dst, size_t n, const char *sym);
/* Spec name of a message type ("ADD_ORDER", ...), or "UNKNOWN". */
const char *itch5_type_name(uint8_t type);

/* Rejection counters for a consumer of itch5_decode() (owned by the calling
 * thread; no atomics). Usage: stats.err[itch5_decode(...)]++ counts both
 * accepted (err[ITCH5_OK]) and rejected messages by reason. */
struct itch5_stats {
	uint64_t err[ITCH5_ERR__COUNT];
};

#endif
