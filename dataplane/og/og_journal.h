/* Journal records of the order path: the on-disk contract between the order
 * lcore (writer), start-up replay, the Kafka exporter and orionctl.
 *
 * Record types (jr_rec.type). Requests (NEW..RISK_CMD) are the source of
 * truth: replay runs them through the engine again. EVENT and SESSION records
 * are the outbox: what happened, for export; replay skips them. Every payload
 * is a fixed-size plain struct, little-endian, as laid out here; a layout
 * change gets a new type number, never an edit in place.
 */
#ifndef ORION_DATAPLANE_OG_JOURNAL_H
#define ORION_DATAPLANE_OG_JOURNAL_H

#include <stdint.h>

#include "dataplane/me/me_types.h"
#include "dataplane/me/risk.h"

/* Journal record types of the order path (jr type field). */
enum og_jr_type {
	OG_JR_CONFIG = 0x0101,    /* first record: the session and instrument sets */
	OG_JR_NEW = 0x0102,
	OG_JR_CANCEL = 0x0103,
	OG_JR_REPLACE = 0x0104,
	OG_JR_MASS = 0x0105,
	OG_JR_RISK_CMD = 0x0106,  /* struct og_jr_risk_cmd: limits, kill switch */
	OG_JR_EVENT = 0x0201,     /* struct me_event (192 bytes): engine output, for export */
	OG_JR_SESSION = 0x0202,   /* struct og_jr_session: FIX logon / logout */
	OG_JR_CP = 0x0301,        /* a control-plane record: opaque to og, see below */
};

/* OG_JR_CP: the control plane's own state and audit trail, written through
 * the order lcore so that the journal keeps ONE writer. The payload is
 * 1..OG_CP_REC_MAX bytes, opaque to og: byte 0 is the record kind (enum
 * cp_jr_kind, controlplane/cp_jrec.h: audit line, user, flag, idempotency
 * key, correlation id reservation), byte 1 the kind's layout version, then
 * the kind's body. og appends each one as it comes and, at start-up, hands
 * every one back in journal order to og_cfg.cp_sink; it never interprets it. */
#define OG_CP_REC_MAX 2048u

/* Short name of a record type ("new", "event", ...), "?" when unknown. */
static inline const char *og_jr_type_name(uint16_t t)
{
	switch (t) {
	case 0x0101: return "config";
	case 0x0102: return "new";
	case 0x0103: return "cancel";
	case 0x0104: return "replace";
	case 0x0105: return "mass_cancel";
	case 0x0106: return "risk_cmd";
	case 0x0201: return "event";
	case 0x0202: return "session";
	case 0x0301: return "cp";
	default: return "?";
	}
}

/* Common head of every request record. out_seq: the submitting session's next
 * outbound MsgSeqNum before the request ran (recovery compares it with the
 * store to see whether the request's reports were committed). */
struct og_jr_head {
	uint32_t sess;
	uint32_t pad_;
	uint64_t out_seq;
};
struct og_jr_new {
	struct og_jr_head h;
	struct me_new_order req;
	char account[16];         /* FIX 1 as received ("" = session default) */
};
struct og_jr_cancel {
	struct og_jr_head h;
	struct me_cancel_req req;
};
struct og_jr_replace {
	struct og_jr_head h;
	struct me_replace_req req;
};
struct og_jr_mass {
	struct og_jr_head h;
	struct me_mass_cancel mc;
	uint8_t report;           /* 1: answer with an OrderMassCancelReport */
	char cl_ord_id[ME_CLORDID_LEN + 1];
	char type;                /* 530 */
};
#define OG_JR_CONFIG_MAX 8192

struct og_jr_risk_cmd {
	struct og_jr_head h;      /* sess = UINT32_MAX: from the control plane */
	struct risk_cmd cmd;
};

enum og_jr_session_kind { OG_SESS_LOGON = 1, OG_SESS_LOGOUT = 2 };
struct og_jr_session {
	uint32_t sess;
	uint32_t kind;            /* enum og_jr_session_kind */
	uint64_t in_seq, out_seq; /* next expected / next to send */
	char target_comp_id[64];  /* the counterparty, NUL padded (FIX_COMPID_MAX) */
};

#endif
