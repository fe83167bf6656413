/* Control-plane journal records: the payload of OG_JR_CP journal records
 * (dataplane/og/og_journal.h). The on-disk contract between the control
 * plane (writer through the order lcore; reader at start-up, cp_restore),
 * the Kafka exporter (audit records) and `orionctl journal dump`.
 *
 * Framing: byte 0 the kind (enum cp_jr_kind), byte 1 the kind's layout
 * version (CP_JR_VERSION), then the body; the whole payload is at most
 * CP_JR_MAX (= OG_CP_REC_MAX) bytes. Every body is a plain little-endian
 * struct as laid out here, its text fields NUL-padded (not necessarily
 * NUL-terminated when full: read them with strnlen), optionally followed by
 * a variable part whose length the struct gives. A layout change gets a new
 * version number, never an edit in place; readers skip versions they do not
 * know.
 *
 *   AUDIT  one audit trail entry: the same fields as the JSON audit line
 *          (cp_audit_line() builds that line from them), then detail_len
 *          bytes of detail text (UTF-8, not NUL-terminated).
 *   USER   the full state of a user after a change at run time (create,
 *          PATCH, maxNotional, logout's token generation): replaces what the
 *          configuration said for that name, or adds the user.
 *   FLAG   a feature flag set at run time.
 *   IDEM   an Idempotency-Key of POST /orders and its first response
 *          (status, body_len bytes of body follow), or with CP_JR_IDEM_FORGET
 *          the key forgotten (its order could not be sent). Journaled before
 *          the order it answers (see cp.h).
 *   CORR   correlation ids ("A<corr>" ClOrdIDs of API requests) below `next`
 *          may have been used: a restart starts above.
 *
 * Header-only so that the exporter and orionctl, which do not link the
 * control plane, read the same layouts. Pure functions; any thread.
 */
#ifndef ORION_CONTROLPLANE_CP_JREC_H
#define ORION_CONTROLPLANE_CP_JREC_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/og/og_journal.h"

#define CP_JR_MAX OG_CP_REC_MAX
#define CP_JR_VERSION 1
#define CP_JR_NAME 32                 /* = CP_NAME_LEN */
#define CP_JR_HASH 192                /* = CP_HASH_LEN */
#define CP_JR_ENTITLED 64             /* = CP_MAX_ENTITLED */
#define CP_JR_SYM 9                   /* = ORION_SYMBOL_LEN + 1 */
#define CP_JR_IDEM_KEY 65             /* = CP_IDEM_KEY_MAX + 1 */

enum cp_jr_kind {
	CP_JR_AUDIT = 1,
	CP_JR_USER = 2,
	CP_JR_FLAG = 3,
	CP_JR_IDEM = 4,
	CP_JR_CORR = 5,
};

static inline const char *cp_jr_kind_name(unsigned k)
{
	switch (k) {
	case CP_JR_AUDIT: return "audit";
	case CP_JR_USER: return "user";
	case CP_JR_FLAG: return "flag";
	case CP_JR_IDEM: return "idem";
	case CP_JR_CORR: return "corr";
	default: return "?";
	}
}

#define CP_JR_AUDIT_OK 0x01           /* flags: the action succeeded */
#define CP_JR_AUDIT_USER 0x02         /* flags: user/tenant are set (else JSON null) */
struct cp_jr_audit {
	uint8_t kind, ver, flags, pad_;
	uint32_t detail_len;          /* bytes of detail text after the struct */
	uint64_t wall_ns;             /* when (ns since the epoch) */
	char event[CP_JR_NAME];       /* "login", "login_failed", "user_created", ... */
	char user[CP_JR_NAME];        /* who acted */
	char tenant[CP_JR_NAME];
	char peer[48];                /* client address */
};
static_assert(sizeof(struct cp_jr_audit) == 160, "cp_jr_audit layout");
#define CP_JR_AUDIT_DETAIL_MAX (CP_JR_MAX - sizeof(struct cp_jr_audit))

struct cp_jr_user {
	uint8_t kind, ver;
	uint8_t role;                 /* enum cp_role */
	uint8_t disabled, all_instruments, pad_[3];
	uint32_t slot;                /* user slot when written (= API session - OG_API_SESSION_BASE) */
	uint32_t tenant;              /* tenant id when written (restore goes by tenant_name) */
	uint32_t account;
	uint32_t gen;                 /* token generation: tokens of older generations are revoked */
	uint32_t n_instruments;
	uint32_t pad2_;
	int64_t max_notional;         /* 1e-8 units, 0 = none */
	char name[CP_JR_NAME];
	char tenant_name[CP_JR_NAME];
	char hash[CP_JR_HASH];        /* argon2id */
	char instruments[CP_JR_ENTITLED][CP_JR_SYM];
};
static_assert(sizeof(struct cp_jr_user) == 872, "cp_jr_user layout");

struct cp_jr_flag {
	uint8_t kind, ver, on, pad_[5];
	char name[CP_JR_NAME];
};
static_assert(sizeof(struct cp_jr_flag) == 40, "cp_jr_flag layout");

#define CP_JR_IDEM_FORGET 0x01
struct cp_jr_idem {
	uint8_t kind, ver, flags, pad_;
	int32_t status;               /* HTTP status of the first response */
	uint32_t user;                /* user slot when written (restore goes by user_name) */
	uint32_t body_len;            /* bytes of response body after the struct */
	uint64_t wall_ns;             /* when the key was first used */
	uint64_t corr;                /* the order's correlation id (0: none) */
	uint8_t hash[32];             /* SHA-256 of path + body of the request */
	char user_name[CP_JR_NAME];
	char key[CP_JR_IDEM_KEY];
	uint8_t pad2_[7];
};
static_assert(sizeof(struct cp_jr_idem) == 168, "cp_jr_idem layout");
#define CP_JR_IDEM_BODY_MAX (CP_JR_MAX - sizeof(struct cp_jr_idem))

struct cp_jr_corr {
	uint8_t kind, ver, pad_[6];
	uint64_t next;                /* every correlation id used is below it */
};
static_assert(sizeof(struct cp_jr_corr) == 16, "cp_jr_corr layout");

/* Check a payload's framing and the fixed part of its kind: the kind, or -1
 * when it is too short, of an unknown kind or version, or its variable part
 * does not match the length. */
static inline int cp_jr_check(const void *p, size_t len)
{
	const uint8_t *b = p;
	if (len < 2 || len > CP_JR_MAX || b[1] != CP_JR_VERSION)
		return -1;
	switch (b[0]) {
	case CP_JR_AUDIT: {
		struct cp_jr_audit a;
		if (len < sizeof(a))
			return -1;
		memcpy(&a, p, sizeof(a));
		return a.detail_len == len - sizeof(a) ? CP_JR_AUDIT : -1;
	}
	case CP_JR_USER: {
		struct cp_jr_user u;
		if (len != sizeof(u))
			return -1;
		memcpy(&u, p, sizeof(u));
		return u.n_instruments <= CP_JR_ENTITLED ? CP_JR_USER : -1;
	}
	case CP_JR_FLAG:
		return len == sizeof(struct cp_jr_flag) ? CP_JR_FLAG : -1;
	case CP_JR_IDEM: {
		struct cp_jr_idem i;
		if (len < sizeof(i))
			return -1;
		memcpy(&i, p, sizeof(i));
		return i.body_len == len - sizeof(i) ? CP_JR_IDEM : -1;
	}
	case CP_JR_CORR:
		return len == sizeof(struct cp_jr_corr) ? CP_JR_CORR : -1;
	default:
		return -1;
	}
}

#endif
