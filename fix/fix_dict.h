/* FIX 4.4 data dictionary for the messages Orion speaks, and message
 * validation producing SessionRejectReason (373) + RefTagID (371) + text.
 *
 * Messages: Logon A, Heartbeat 0, TestRequest 1, ResendRequest 2, Reject 3,
 * SequenceReset 4, Logout 5, NewOrderSingle D, OrderCancelRequest F,
 * OrderCancelReplaceRequest G, OrderStatusRequest H, OrderMassCancelRequest q,
 * ExecutionReport 8, OrderCancelReject 9, OrderMassCancelReport r,
 * BusinessMessageReject j.
 *
 * The tables are constant after program load (a constructor derives per-tag
 * lookup masks from them before main); every function here is read-only and
 * may be called from any thread. No allocation, no I/O.
 */
#ifndef ORION_FIX_DICT_H
#define ORION_FIX_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fix/fix_codec.h"

/* SessionRejectReason (373), FIX 4.4. */
enum fix_reject_reason {
	FIX_RR_INVALID_TAG = 0,          /* Invalid tag number */
	FIX_RR_REQUIRED_MISSING = 1,     /* Required tag missing */
	FIX_RR_NOT_FOR_MSGTYPE = 2,      /* Tag not defined for this message type */
	FIX_RR_UNDEFINED_TAG = 3,        /* Undefined Tag */
	FIX_RR_NO_VALUE = 4,             /* Tag specified without a value */
	FIX_RR_BAD_VALUE = 5,            /* Value is incorrect (out of range) for this tag */
	FIX_RR_BAD_FORMAT = 6,           /* Incorrect data format for value */
	FIX_RR_DECRYPTION = 7,
	FIX_RR_SIGNATURE = 8,
	FIX_RR_COMPID = 9,               /* CompID problem */
	FIX_RR_SENDING_TIME = 10,        /* SendingTime accuracy problem */
	FIX_RR_INVALID_MSGTYPE = 11,     /* Invalid MsgType */
	FIX_RR_XML = 12,
	FIX_RR_DUPLICATE_TAG = 13,       /* Tag appears more than once */
	FIX_RR_OUT_OF_ORDER = 14,        /* Tag specified out of required order */
	FIX_RR_GROUP_ORDER = 15,         /* Repeating group fields out of order */
	FIX_RR_GROUP_COUNT = 16,         /* Incorrect NumInGroup count for repeating group */
	FIX_RR_SOH_IN_VALUE = 17,
	FIX_RR_OTHER = 99,
};

/* Stable name of a SessionRejectReason value; never NULL. */
const char *fix_reject_reason_name(int reason);

/* BusinessRejectReason (380) values we emit. */
enum fix_business_reject {
	FIX_BRR_OTHER = 0,
	FIX_BRR_UNKNOWN_ID = 1,
	FIX_BRR_UNKNOWN_SECURITY = 2,
	FIX_BRR_UNSUPPORTED_MSGTYPE = 3,
	FIX_BRR_APP_NOT_AVAILABLE = 4,
	FIX_BRR_COND_REQUIRED_MISSING = 5,
	FIX_BRR_NOT_AUTHORIZED = 6,
};

/* Field value types. */
enum fix_type {
	FIX_T_NONE = 0,  /* tag not in the dictionary */
	FIX_T_STRING,
	FIX_T_CHAR,
	FIX_T_INT,
	FIX_T_SEQNUM,    /* unsigned integer */
	FIX_T_LENGTH,
	FIX_T_NUMINGROUP,
	FIX_T_PRICE,     /* fixed point, fix_parse_price() */
	FIX_T_QTY,       /* decimal */
	FIX_T_AMT,       /* decimal */
	FIX_T_BOOL,
	FIX_T_UTCTS,
	FIX_T_DATE,
};

/* Largest tag known to the dictionary (+1). */
#define FIX_DICT_MAX_TAG 1024

/* What went wrong, for a session-level Reject. text is a static string. */
struct fix_reject {
	int reason;        /* enum fix_reject_reason */
	uint32_t ref_tag;  /* RefTagID (371), 0 when none */
	const char *text;  /* Text (58) */
};

/* Message definition (opaque outside fix_dict.c). */
struct fix_msg_def;

/* Look a message type up. Returns NULL when the type is not one of ours. */
const struct fix_msg_def *fix_dict_msg(const char *type, size_t len);
/* Name of a message definition ("NewOrderSingle"). */
const char *fix_dict_msg_name(const struct fix_msg_def *d);
/* True for session-level (admin) types: 0 1 2 3 4 5 A. */
bool fix_dict_is_admin(const char *type, size_t len);
/* True when 'type' is a FIX 4.4 MsgType at all (ours or not). */
bool fix_dict_is_fix44_msgtype(const char *type, size_t len);

/* Type and name of a tag; FIX_T_NONE / "" when unknown. */
enum fix_type fix_dict_field_type(uint32_t tag);
const char *fix_dict_field_name(uint32_t tag);
/* True when tag belongs in the standard header (8, 9, 35, 49, 56, 34, 52, 43,
 * 97, 122, ...). */
bool fix_dict_is_header_tag(uint32_t tag);

/* Check one value against the tag's type and enumeration.
 * Returns 0, or the SessionRejectReason: FIX_RR_BAD_FORMAT / FIX_RR_BAD_VALUE
 * (FIX_RR_INVALID_TAG when the tag is unknown). */
int fix_dict_check_value(uint32_t tag, const char *v, size_t len);

/* Validate a parsed message against the dictionary: header order (8, 9, 35
 * first; header tags before body tags), required header tags (49, 56, 34, 52),
 * known message type, every tag known and allowed for the type, values of the
 * right type and in their enumeration, no duplicate tags outside repeating
 * groups, group delimiter order and NumInGroup counts, required body tags.
 * Returns 0; -EBADMSG with *rej filled (send a session Reject);
 * -ENOTSUP when the type is a valid FIX 4.4 MsgType we do not support (send a
 * BusinessMessageReject with reason 3). */
int fix_dict_validate(const struct fix_msg *m, struct fix_reject *rej);

#endif
