#!/usr/bin/env bash
# Integration: kill -9 oriond under FIX order load, again and again.
#   A python3 initiator (fixdrive.py) sends orders as fast as a window of 20
#   unacknowledged orders allows, logs every ExecutionReport it receives and
#   never resets sequence numbers. Each round oriond is killed with SIGKILL at
#   a random (seeded) moment; it is restarted on the same journal and FIX
#   store and the client logs on again, answering ResendRequests with gap
#   fills and asking for what it missed. After the rounds, a last logon
#   collects everything outstanding, then the journal (orionctl journal dump
#   --json) is compared with what the client saw:
#     - every order acknowledged (150=0) to the client is a NEW record;
#     - every NEW record was acknowledged (150=0) or rejected (150=8) to the
#       client: no order exists that the client was never told about.
# Usage: test_crash.sh ORIOND ORIONCTL FIXDRIVE_PY [SEED] [ROUNDS]
set -uo pipefail
. "$(dirname "$0")/../lib_oriond.sh"
ORIOND=$1 ORIONCTL=$2 FIXDRIVE=$3 SEED=${4:-${ORION_CRASH_SEED:-20240601}} ROUNDS=${5:-10}

[ -x "$ORIOND" ] || { echo "SKIP: no oriond at $ORIOND"; exit 77; }
[ -x "$ORIONCTL" ] || { echo "SKIP: no orionctl at $ORIONCTL"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

T=$(mktemp -d /tmp/orion-jr-crash.XXXXXX)
OPID= CPID=
cleanup() {
	for p in $CPID $OPID; do
		if kill -0 "$p" 2>/dev/null; then
			kill -9 "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
RANDOM=$SEED

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/store"
cat > "$T/sessions.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=ORION
FileStorePath=$T/store
HeartBtInt=30
[SESSION]
TargetCompID=CLIENT1
Username=client1
Password=secret1
CFG
cat > "$T/oriond.conf" <<CONF
[eal]
lcores = 0-1
memory_mb = 512
$(orion_fix_sections "$PORT" "$T/sessions.cfg" 16)
[journal]
dir = $T/journal
segment_size = 1M
CONF

fail=0
run=0
bad() { echo "FAIL $*"; fail=1; }
start_oriond() {
	run=$((run + 1))
	OUT="$T/oriond.$run.out"
	"$ORIOND" -c "$T/oriond.conf" >"$OUT" 2>&1 &
	OPID=$!
	for _ in $(seq 1 300); do
		grep -qs 'oriond: running' "$OUT" && return 0
		kill -0 "$OPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_pid() { # PID SECONDS: wait for a child; sets WRC (124 on timeout, after kill -9)
	local p=$1 n=$(($2 * 10))
	WRC=124
	for _ in $(seq 1 $n); do
		if ! kill -0 "$p" 2>/dev/null; then
			wait "$p"
			WRC=$?
			return
		fi
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
client() { # mode args...
	python3 "$FIXDRIVE" "$1" --port "$PORT" --state "$T/client.state" --log "$T/client.log" \
		--seed "$SEED" "${@:2}" >>"$T/client.out" 2>&1
}

echo "# seed $SEED, $ROUNDS rounds, oriond on 127.0.0.1:$PORT"
T0=$SECONDS
for r in $(seq 1 "$ROUNDS"); do
	start_oriond || { bad "round $r: oriond did not start"; tail -20 "$OUT"; break; }
	grep -q 'torn record' "$OUT" && echo "#   round $r: $(grep 'torn record' "$OUT")"
	client load --orders 1000000 --seconds 20 --window 20 --cancel-pct 10 &
	CPID=$!
	# kill after 0.3 .. 3.0 s of load
	MS=$((300 + RANDOM % 2700))
	sleep "$(printf '%d.%03d' $((MS / 1000)) $((MS % 1000)))"
	kill -9 "$OPID"
	wait "$OPID" 2>/dev/null
	OPID=
	wait_pid "$CPID" 15
	CPID=
	LINE=$(tail -1 "$T/client.out")
	echo "#   round $r: killed after ${MS} ms; $LINE"
	# 3: the kill came before the logon completed
	[ $WRC -eq 0 ] || [ $WRC -eq 3 ] || bad "round $r: client exit $WRC: $(tail -3 "$T/client.out")"
	[ $((SECONDS - T0)) -gt 60 ] && { echo "#   time budget reached after $r rounds"; break; }
done

start_oriond || { bad "final start: oriond did not start"; tail -20 "$OUT"; exit 1; }
client settle --seconds 3
SRC=$?
echo "#   final: $(tail -1 "$T/client.out")"
[ $SRC -eq 0 ] || bad "final logon/recovery/logout: exit $SRC: $(tail -4 "$T/client.out")"
kill -TERM "$OPID"
wait_pid "$OPID" 10
OPID=
[ $WRC -eq 0 ] || bad "oriond did not stop cleanly on SIGTERM (status $WRC)"
RESENT=$(cat "$T"/oriond.*.out | sed -n 's/.*requests replayed (\([0-9]*\) re-sent).*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
TORN=$(cat "$T"/oriond.*.out | grep -c 'torn record')
echo "#   over $run starts: $RESENT interrupted request(s) re-run with their reports, $TORN torn tail(s) truncated"

"$ORIONCTL" journal dump --json "$T/journal" > "$T/journal.json" 2>"$T/dump.err" || bad "orionctl journal dump: $(cat "$T/dump.err")"
python3 - "$T/journal.json" "$T/client.log" <<'PY' || fail=1
import json, sys
sessions = []
new = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("name") == "config":
        cfg = r["config"]
        sessions = cfg.split(" sessions=")[1].split(" ")[0].split(",")
    elif r.get("name") == "new":
        new.append((sessions[r["sess"]], r["clordid"]))
journaled = {cl for comp, cl in new if comp == "CLIENT1"}
sent, acked, rejected = set(), set(), set()
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) < 2:
        continue
    if f[1] == "S":
        sent.add(f[0])
    elif f[1] == "0":
        acked.add(f[0])
    elif f[1] == "8":
        rejected.add(f[0])
dups = len(new) - len({cl for _, cl in new})
acked_not_journaled = sorted(acked - journaled)
journaled_not_told = sorted(journaled - acked - rejected)
lost = sent - journaled - acked - rejected
print("#   orders sent %d, journaled %d, acknowledged %d, rejected %d, never reached the journal %d"
      % (len(sent), len(journaled), len(acked), len(rejected & sent), len(lost)))
ok = True
if dups:
    print("FAIL %d ClOrdIDs journaled twice" % dups); ok = False
if acked_not_journaled:
    print("FAIL %d acknowledged orders are not in the journal: %s" % (len(acked_not_journaled), acked_not_journaled[:10])); ok = False
if journaled_not_told:
    print("FAIL %d journaled orders were never acknowledged nor rejected to the client: %s"
          % (len(journaled_not_told), journaled_not_told[:10])); ok = False
if not journaled:
    print("FAIL no order reached the journal"); ok = False
if ok:
    print("ok   every acknowledged order is journaled; every journaled order was acknowledged or rejected")
sys.exit(0 if ok else 1)
PY

[ $fail -eq 0 ] && echo "PASS journal_crash" || echo "FAIL journal_crash"
exit $fail
