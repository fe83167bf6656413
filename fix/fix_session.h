/* FIX 4.4 acceptor session layer: a state machine driven by bytes and time,
 * with every output through callbacks. No sockets, no clock reads: the
 * caller owns the transport (struct fix_session_ops) and passes the time in.
 *
 * Implements the FIX 4.4 Volume 2 session-level test cases for an acceptor:
 * Logon (HeartBtInt bounds, ResetSeqNumFlag, Username/Password through a
 * callback), Heartbeat, TestRequest (answered; sent after HeartBtInt + 20%
 * silence, disconnect after another such silence), ResendRequest served from
 * the message store (application messages resent with PossDupFlag=Y and
 * OrigSendingTime, admin messages replaced by SequenceReset-GapFill),
 * SequenceReset GapFill and Reset, session Reject (373/371/372/45), Logout
 * handshake, MsgSeqNum too low (Logout) / too high (ResendRequest, queue,
 * in-order processing after the fill), PossDupFlag/OrigSendingTime rules,
 * SendingTime accuracy, CompID and BeginString checks, garbled messages
 * ignored without consuming a sequence number, first message not Logon.
 *
 * Threading: a session is owned by one thread; every fix_session_* call for
 * it must come from that thread. Callbacks run on that thread, inside the
 * call that triggered them. From a callback the application may call
 * fix_session_begin()/fix_session_commit() and fix_session_logout(), never
 * fix_session_on_bytes()/on_timer()/destroy().
 *
 * Time: 'now' is wall-clock epoch nanoseconds (UTC), e.g. orion_now_ns().
 * It is used for SendingTime and for the heartbeat/logon/logout timers.
 *
 * Memory: fix_session_create() allocates all buffers; nothing is allocated
 * afterwards. Sending and receiving make no syscalls of their own (the
 * store is an mmap; the transport is the caller's).
 */
#ifndef ORION_FIX_SESSION_H
#define ORION_FIX_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fix/fix_codec.h"
#include "fix/fix_dict.h"
#include "fix/fix_store.h"

#define FIX_COMPID_MAX 64   /* incl. NUL */
#define FIX_CRED_MAX 128    /* incl. NUL */
#define FIX_PATH_MAX 256    /* incl. NUL */

/* Session configuration (plain data; see fix_config.h for the INI loader). */
struct fix_session_cfg {
	char begin_string[FIX_MAX_BEGIN_STRING + 1]; /* "FIX.4.4" */
	char sender_comp_id[FIX_COMPID_MAX];  /* ours: their 56 */
	char target_comp_id[FIX_COMPID_MAX];  /* theirs: their 49 */
	/* Credentials checked when no authenticate callback is given: when
	 * username is non-empty, Logon must carry 553/554 equal to these. */
	char username[FIX_CRED_MAX];
	char password[FIX_CRED_MAX];
	uint32_t heartbt_int;       /* QuickFIX HeartBtInt: informational for an acceptor */
	uint32_t heartbt_int_min;   /* accepted Logon HeartBtInt (108) range, seconds */
	uint32_t heartbt_int_max;
	bool reset_on_logon;        /* sequence numbers back to 1 on every Logon */
	bool reset_on_logout;       /* ... after a Logout */
	bool reset_on_disconnect;   /* ... on any disconnect */
	bool cancel_on_disconnect;  /* for the application: cancel open orders on logout */
	bool check_latency;         /* check SendingTime against now */
	bool validate;              /* run fix_dict_validate() on every inbound message */
	uint32_t max_latency_s;     /* SendingTime tolerance (default 120) */
	uint32_t logon_timeout_s;   /* connect -> Logon (default 10) */
	uint32_t logout_timeout_s;  /* our Logout -> their Logout (default 2) */
	uint32_t max_msg_size;      /* largest inbound/outbound message (default 8192) */
	uint32_t queue_max_msgs;    /* too-high messages kept while a resend runs (default 1024) */
	uint8_t timestamp_digits;   /* SendingTime precision: 0, 3 (default), 6, 9 */
	char store_dir[FIX_PATH_MAX]; /* FileStorePath; empty = memory store */
	uint32_t store_max_msgs;    /* see fix_store_cfg (0 = default) */
	uint64_t store_max_bytes;
	uint16_t accept_port;       /* SocketAcceptPort, for the application's listener */
	uint32_t tenant;            /* TenantID*: the tenant its orders belong to (default 0) */
};

/* Fill c with the defaults listed above (empty CompIDs). */
void fix_session_cfg_defaults(struct fix_session_cfg *c);

enum fix_session_state {
	FIX_SS_DISCONNECTED = 0, /* no transport */
	FIX_SS_AWAIT_LOGON,      /* connected, waiting for the peer's Logon */
	FIX_SS_ACTIVE,           /* logged on */
	FIX_SS_LOGOUT_SENT,      /* we sent Logout, waiting for theirs */
};

/* Why the session ended a connection; indexes fix_session_stats.disc. */
enum fix_disc_reason {
	FIX_DR_LOGOUT = 0,        /* Logout handshake completed (either side began) */
	FIX_DR_PEER_CLOSED,       /* transport closed (fix_session_on_disconnect) */
	FIX_DR_FIRST_NOT_LOGON,
	FIX_DR_LOGON_REFUSED,     /* bad credentials, HeartBtInt, unknown CompID, ... */
	FIX_DR_LOGON_TIMEOUT,
	FIX_DR_HEARTBEAT_TIMEOUT, /* no answer to our TestRequest */
	FIX_DR_LOGOUT_TIMEOUT,    /* no Logout answer in time */
	FIX_DR_SEQ_TOO_LOW,
	FIX_DR_BEGIN_STRING,
	FIX_DR_COMPID,
	FIX_DR_SENDING_TIME,
	FIX_DR_PROTOCOL,          /* other session-level violation */
	FIX_DR_SEND_FAILED,       /* ops->send returned an error */
	FIX_DR__COUNT
};
const char *fix_disc_reason_name(enum fix_disc_reason r);

/* Counters; keep fix_session_counter_name() in step. */
enum fix_session_counter {
	FIX_SC_MSGS_IN = 0,     /* well-framed messages received */
	FIX_SC_MSGS_OUT,        /* messages sent (incl. resends) */
	FIX_SC_APP_IN,          /* application messages delivered */
	FIX_SC_APP_OUT,         /* application messages committed */
	FIX_SC_GARBLED,         /* dropped by framing/parsing (see garbled[]) */
	FIX_SC_REJECTS_SENT,    /* session Rejects (see reject_reason[]) */
	FIX_SC_BMR_SENT,        /* BusinessMessageRejects */
	FIX_SC_RESEND_REQ_SENT,
	FIX_SC_RESEND_REQ_RECV,
	FIX_SC_MSGS_RESENT,     /* application messages resent with PossDupFlag */
	FIX_SC_GAPFILLS_SENT,
	FIX_SC_POSSDUP_IGNORED, /* PossDup message with an already seen MsgSeqNum */
	FIX_SC_QUEUED,          /* too-high messages kept for later */
	FIX_SC_QUEUE_DROPPED,   /* too-high messages dropped (queue full) */
	FIX_SC_HEARTBEATS_SENT,
	FIX_SC_TEST_REQ_SENT,
	FIX_SC_LOGONS,
	FIX_SC_LOGONS_REFUSED,
	FIX_SC_SEQ_RESETS,      /* SequenceReset-Reset applied, or store resets */
	FIX_SC_STORE_ERRORS,    /* store put failed (message sent, not resendable) */
	FIX_SC_SEND_ERRORS,
	FIX_SC_BYTES_WHILE_DOWN,/* on_bytes calls while disconnected */
	FIX_SC__COUNT
};
const char *fix_session_counter_name(enum fix_session_counter c);

#define FIX_RR_SLOTS 19 /* reject_reason[] index: reason 0..17, 18 = any other */
struct fix_session_stats {
	uint64_t c[FIX_SC__COUNT];
	uint64_t garbled[FIX_ERR__COUNT];
	uint64_t reject_reason[FIX_RR_SLOTS];
	uint64_t disc[FIX_DR__COUNT];
};

struct fix_session;

/* Callbacks provided by the owner of the transport and the application. */
struct fix_session_ops {
	/* Write len bytes to the peer. Must take them all (buffering as needed)
	 * or fail; returns 0 or -errno. A failure disconnects the session
	 * (FIX_DR_SEND_FAILED). Required. */
	int (*send)(void *ctx, const char *data, size_t len);
	/* One application message (not 0 1 2 3 4 5 A), in MsgSeqNum order,
	 * validated. m and its field views are valid only during the call.
	 * Required. */
	void (*deliver)(void *ctx, struct fix_session *s, const struct fix_msg *m);
	/* Close the transport now (the session already sent any Logout).
	 * text is a static or session-owned string valid during the call.
	 * Called once per connection; not called for fix_session_on_disconnect().
	 * Required. */
	void (*disconnect)(void *ctx, struct fix_session *s, enum fix_disc_reason r, const char *text);
	/* Optional: accept (return 0) or refuse (non-zero) a Logon's
	 * credentials. user/pw are views into the Logon (NULL, 0 when absent).
	 * When NULL, cfg username/password are compared (if username set). */
	int (*authenticate)(void *ctx, struct fix_session *s, const char *user, size_t ulen,
			    const char *pw, size_t pwlen);
	/* Optional: the session became ACTIVE. */
	void (*on_logon)(void *ctx, struct fix_session *s);
	/* Optional: the session left ACTIVE/LOGOUT_SENT (logout, disconnect,
	 * error). The place to apply cfg.cancel_on_disconnect. */
	void (*on_logout)(void *ctx, struct fix_session *s);
};

/* Create a session in FIX_SS_DISCONNECTED. cfg is copied; store is used but
 * not owned (close it after fix_session_destroy()); ops and ctx must outlive
 * the session. Init-time only. Returns 0 or -EINVAL (missing CompIDs,
 * BeginString, callbacks, bad sizes) / -ENOMEM. */
int fix_session_create(struct fix_session **out, const struct fix_session_cfg *cfg,
		       struct fix_store *store, const struct fix_session_ops *ops, void *ctx);
void fix_session_destroy(struct fix_session *s);

/* A transport connected: state AWAIT_LOGON, Logon timer started. A session
 * that was not DISCONNECTED is first disconnected (FIX_DR_PEER_CLOSED). */
void fix_session_on_connect(struct fix_session *s, uint64_t now);
/* Bytes from the transport (any split). Complete messages are processed at
 * once, without copying when they arrive whole; partial ones are buffered.
 * Returns 0, or -ENOTCONN when the session is (or became) disconnected. */
int fix_session_on_bytes(struct fix_session *s, const char *data, size_t len, uint64_t now);
/* Timers: Heartbeat, TestRequest, heartbeat/logon/logout timeouts. Call
 * every ~100 ms (or more often); cheap when nothing is due. */
void fix_session_on_timer(struct fix_session *s, uint64_t now);
/* The transport closed under us (peer or error). No ops->disconnect call. */
void fix_session_on_disconnect(struct fix_session *s, uint64_t now);
/* Begin a Logout (text may be NULL): ACTIVE -> LOGOUT_SENT, disconnect on
 * their Logout or after logout_timeout_s. Returns 0 or -ENOTCONN. */
int fix_session_logout(struct fix_session *s, const char *text, uint64_t now);

/* Application send, two steps, zero-copy into the session's buffer:
 *   fix_session_begin(s, &b, "8", now);   header 8 9 35 49 56 34 52 written
 *   fix_build_str(&b, 37, ...); ...       body fields
 *   fix_session_commit(s, &b);            9 and 10, store, send
 * No other call on s between the two. begin returns 0 or -EINVAL (bad
 * type). commit returns 0 (sent), 1 (not logged on: stored and numbered,
 * to be recovered by the peer's ResendRequest), or -errno: builder error
 * (-ENOSPC/-EINVAL; nothing sent, no sequence number used), -EPIPE (send
 * failed; the session disconnected; the message is stored). */
int fix_session_begin(struct fix_session *s, struct fix_builder *b, const char *msgtype, uint64_t now);
int fix_session_commit(struct fix_session *s, struct fix_builder *b);

/* Business-level reject of an inbound application message (35=j). */
int fix_session_send_business_reject(struct fix_session *s, const struct fix_msg *ref, int reason,
				     const char *text, uint64_t now);

enum fix_session_state fix_session_state(const struct fix_session *s);
const struct fix_session_cfg *fix_session_config(const struct fix_session *s);
const struct fix_session_stats *fix_session_stats(const struct fix_session *s);
/* HeartBtInt agreed at Logon, seconds (0 before). */
uint32_t fix_session_heartbt_int(const struct fix_session *s);
uint64_t fix_session_next_sender_seq(const struct fix_session *s);
uint64_t fix_session_next_target_seq(const struct fix_session *s);

#endif
