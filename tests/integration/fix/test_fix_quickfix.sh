#!/usr/bin/env bash
# Integration: oriond's FIX 4.4 order entry against QuickFIX (orion-fixclient).
#   1. basic: two sessions; rest, partial and full fills on both sides,
#      cancel, replace, rejects, mass cancel.
#   2. restart-a: resting orders, then the client leaves without Logout;
#      oriond is killed with SIGKILL and started again on the same store;
#   3. restart-b: same QuickFIX FileStore; sequence numbers continue, a
#      ResendRequest across the crash is answered, the orders are still known.
# Then SIGTERM: oriond must stop cleanly and print its statistics.
# Usage: test_fix_quickfix.sh ORIOND FIXCLIENT|none FIX44_SUBSET_XML
set -uo pipefail
. "$(dirname "$0")/../lib_oriond.sh"
ORIOND=$1 FIXCLIENT=$2 SUBSET=$3

if [ "$FIXCLIENT" = none ] || [ ! -x "$FIXCLIENT" ]; then
	echo "SKIP: orion-fixclient not built (needs a C++ compiler and libquickfix-dev)"
	exit 77
fi
[ -x "$ORIOND" ] || { echo "SKIP: no oriond at $ORIOND"; exit 77; }
DICT=/usr/share/quickfix/FIX44.xml
[ -f "$DICT" ] || DICT=/usr/local/share/quickfix/FIX44.xml
[ -f "$DICT" ] || DICT=$SUBSET

T=$(mktemp -d /tmp/orion-fix-qf.XXXXXX)
OPID=
cleanup() {
	if [ -n "$OPID" ] && kill -0 "$OPID" 2>/dev/null; then
		kill -9 "$OPID" 2>/dev/null
		wait "$OPID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}
PORT=$(free_port)
mkdir -p "$T/oriond-store" "$T/client"

cat > "$T/sessions.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=ORION
FileStorePath=$T/oriond-store
HeartBtInt=30
[SESSION]
TargetCompID=CLIENT1
Username=client1
Password=secret1
[SESSION]
TargetCompID=CLIENT2
Username=client2
Password=secret2
[SESSION]
TargetCompID=CLIENT3
Username=client3
Password=secret3
CFG
cat > "$T/oriond.conf" <<CONF
[eal]
lcores = 0-1
memory_mb = 512
$(orion_fix_sections "$PORT" "$T/sessions.cfg" 64)
[journal]
dir = $T/journal
segment_size = 4M
CONF

fail=0
run=0
start_oriond() {
	run=$((run + 1))
	"$ORIOND" -c "$T/oriond.conf" >"$T/oriond.$run.out" 2>&1 &
	OPID=$!
	for _ in $(seq 1 300); do
		grep -q 'oriond: running' "$T/oriond.$run.out" && return 0
		kill -0 "$OPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL oriond (start $run) did not report 'oriond: running':"
	tail -30 "$T/oriond.$run.out"
	exit 1
}
client() { # scenario [args...]
	local sc=$1; shift
	timeout 90 "$FIXCLIENT" "$sc" --port "$PORT" --dir "$T/client" --dict "$DICT" "$@"
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL scenario $sc (exit $rc); oriond output:"
		tail -20 "$T/oriond.$run.out"
		fail=1
	fi
	return $rc
}

echo "# oriond on 127.0.0.1:$PORT, dictionary $DICT"
start_oriond
client basic
client restart-a --state "$T/restart.state" || { echo "FAIL restart-a failed: restart-b skipped"; exit 1; }

kill -9 "$OPID"
wait "$OPID" 2>/dev/null
echo "# oriond killed with SIGKILL; restarting on the same store"
start_oriond
client restart-b --state "$T/restart.state" --rewind 2

kill -TERM "$OPID"
rc=124
for _ in $(seq 1 100); do
	if ! kill -0 "$OPID" 2>/dev/null; then
		wait "$OPID"; rc=$?; break
	fi
	sleep 0.1
done
OPID_DONE=$OPID
if [ $rc -ne 0 ]; then
	echo "FAIL oriond did not stop cleanly on SIGTERM (status $rc)"
	tail -20 "$T/oriond.$run.out"
	fail=1
else
	OPID=
	echo "ok   oriond stopped on SIGTERM (pid $OPID_DONE)"
fi
grep -E '^orion_fix_' "$T/oriond.$run.out" | head -40
[ $fail -eq 0 ] && echo "PASS fix_quickfix" || echo "FAIL fix_quickfix"
exit $fail
