/* FIX session configuration from an INI file in the QuickFIX layout.
 *
 *   [DEFAULT]                 keys here apply to every [SESSION] (wherever
 *   ConnectionType=acceptor   the [DEFAULT] section appears in the file)
 *   BeginString=FIX.4.4
 *   SenderCompID=ORION
 *   FileStorePath=/var/lib/orion/fix
 *   [SESSION]                 one per counterparty; overrides defaults
 *   TargetCompID=CLIENT1
 *   Username=client1
 *   Password=secret
 *
 * Keys (QuickFIX names unless marked *): ConnectionType (acceptor only),
 * BeginString (FIX.4.4 only), SenderCompID, TargetCompID, HeartBtInt
 * (informational for an acceptor, as in QuickFIX), MinHeartBtInt*,
 * MaxHeartBtInt* (accepted Logon HeartBtInt range), ResetOnLogon,
 * ResetOnLogout, ResetOnDisconnect, Username, Password, CancelOnDisconnect,
 * CheckLatency, MaxLatency (seconds), LogonTimeout, LogoutTimeout,
 * UseDataDictionary, FileStorePath, StoreMaxMessages*, StoreMaxBytes*,
 * MaxMessageSize*, QueueMaxMessages*, TimeStampPrecision (0/3/6/9),
 * SocketAcceptPort, TenantID* (0..63, the control plane's tenant id). Booleans are Y or N. Defaults: fix_session_cfg_defaults().
 *
 * Unknown sections or keys, duplicate keys, bad values, a session without
 * SenderCompID/TargetCompID and two sessions with the same CompIDs are
 * errors naming the file, the line and the key.
 *
 * Init-time, any thread (no shared state); reads the file with stdio.
 */
#ifndef ORION_FIX_CONFIG_H
#define ORION_FIX_CONFIG_H

#include <stddef.h>

#include "fix/fix_session.h"

#define FIX_CONFIG_MAX_SESSIONS 64

struct fix_config {
	unsigned n_sessions;
	struct fix_session_cfg sessions[FIX_CONFIG_MAX_SESSIONS];
};

/* Load path into *out (overwritten). Returns 0; -EINVAL with err holding
 * "<path>:<line>: <message>" (NUL-terminated, truncated to errlen); or
 * -errno when the file cannot be opened (err says so too). err may be NULL
 * when errlen is 0. */
int fix_config_load(const char *path, struct fix_config *out, char *err, size_t errlen);

#endif
