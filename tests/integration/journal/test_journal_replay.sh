#!/usr/bin/env bash
# Integration: oriond's order journal, replay and recovery.
#   1. two FIX sessions drive a few hundred orders (fixdrive.py: crossing
#      prices, some cancels), SIGTERM: the final statistics give
#      orion_state_checksum and orion_me_orders_live;
#   2. two restarts on the same journal: each start prints
#      "state checksum <hex>" after replay and each stop prints the same
#      orion_state_checksum and live order count again;
#   3. one byte flipped inside a record in the middle of a segment: oriond
#      refuses to start (exit status != 0) naming the file and the offset;
#      `orionctl journal verify` reports the damage too;
#   4. a torn tail, two ways (garbage after the last record; the last record
#      cut short): oriond starts, logs the truncation, state intact.
# Usage: test_journal_replay.sh ORIOND ORIONCTL FIXDRIVE_PY
set -uo pipefail
. "$(dirname "$0")/../lib_oriond.sh"
ORIOND=$1 ORIONCTL=$2 FIXDRIVE=$3

[ -x "$ORIOND" ] || { echo "SKIP: no oriond at $ORIOND"; exit 77; }
[ -x "$ORIONCTL" ] || { echo "SKIP: no orionctl at $ORIONCTL"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

T=$(mktemp -d /tmp/orion-jr-replay.XXXXXX)
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
[SESSION]
TargetCompID=CLIENT2
Username=client2
Password=secret2
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

# start_oriond: start and wait for "oriond: running"; returns 1 when it exits first.
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
# stop_oriond: SIGTERM and wait (10 s); sets RC.
stop_oriond() {
	kill -TERM "$OPID" 2>/dev/null
	RC=124
	for _ in $(seq 1 100); do
		if ! kill -0 "$OPID" 2>/dev/null; then
			wait "$OPID"
			RC=$?
			break
		fi
		sleep 0.1
	done
	[ $RC -eq 124 ] && { kill -9 "$OPID"; wait "$OPID" 2>/dev/null; }
	OPID=
}
final_sum() { awk '$1 == "orion_state_checksum" { print $2 }' "$1" | tail -1; }
final_live() { awk '$1 == "orion_me_orders_live" { print $2 }' "$1" | tail -1; }
start_sum() { # the hex checksum printed after replay, as decimal
	local h
	h=$(sed -n 's/.*state checksum \([0-9a-f]*\).*/\1/p' "$1" | tail -1)
	[ -n "$h" ] && python3 -c "print(int('$h', 16))"
}

# ---- 1. drive orders -------------------------------------------------------
start_oriond || { echo "FAIL oriond did not start:"; tail -20 "$OUT"; exit 1; }
python3 "$FIXDRIVE" load --port "$PORT" --comp CLIENT1 --user client1 --password secret1 \
	--state "$T/c1.state" --log "$T/c1.log" --orders 250 --seed 11 --logout > "$T/c1.out" 2>&1 &
C1=$!
python3 "$FIXDRIVE" load --port "$PORT" --comp CLIENT2 --user client2 --password secret2 \
	--state "$T/c2.state" --log "$T/c2.log" --orders 250 --seed 12 --logout > "$T/c2.out" 2>&1
rc2=$?
wait $C1
rc1=$?
cat "$T/c1.out" "$T/c2.out"
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || bad "order load (exit $rc1 / $rc2)"
stop_oriond
[ $RC -eq 0 ] || bad "oriond did not stop cleanly on SIGTERM (status $RC)"
SUM0=$(final_sum "$OUT")
LIVE0=$(final_live "$OUT")
NEW=$("$ORIONCTL" journal stats "$T/journal" | awk '$NF == "new" { print $2 }')
FILLS=$(cat "$T/c1.log" "$T/c2.log" | awk '$2 == "F"' | wc -l)
echo "# run 1: state checksum $SUM0, $LIVE0 live orders, ${NEW:-0} journaled new orders, $FILLS fill reports"
[ -n "$SUM0" ] || bad "no orion_state_checksum in the final statistics"
[ "${NEW:-0}" -ge 500 ] || bad "expected 500 journaled new orders, found ${NEW:-0}"
[ "$FILLS" -gt 0 ] || bad "no fills: the prices did not cross"

# ---- 2. replay twice ----------------------------------------------------------
for k in 1 2; do
	start_oriond || { bad "restart $k: oriond did not start"; tail -20 "$OUT"; break; }
	S=$(start_sum "$OUT")
	stop_oriond
	E=$(final_sum "$OUT")
	L=$(final_live "$OUT")
	if [ "$S" = "$SUM0" ] && [ "$E" = "$SUM0" ] && [ "$L" = "$LIVE0" ]; then
		echo "ok   restart $k: replay checksum $S = final $E = first run; $L live orders"
	else
		bad "restart $k: checksum after replay $S, at stop $E, live $L (first run: $SUM0, live $LIVE0)"
		grep 'journal' "$OUT"
	fi
done

"$ORIONCTL" journal verify "$T/journal" >/dev/null || bad "orionctl journal verify on the clean journal"
cp -a "$T/journal" "$T/journal.good"

# record SEQ's segment file, offset and payload length (from orionctl --json)
rec_at() {
	"$ORIONCTL" journal dump --json --from "$1" --limit 1 "$T/journal" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())
print("%s/seg-%016x.jrn %d %d" % (sys.argv[1], r["seg"], r["off"], r["len"]))' "$T/journal"
}
poke() { # FILE OFFSET HEXBYTES: write bytes in place
	python3 -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); f.write(bytes.fromhex(sys.argv[3]))' "$1" "$2" "$3"
}
flip() { # FILE OFFSET: invert one byte
	python3 -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}
LAST=$("$ORIONCTL" journal verify "$T/journal" | sed -n 's/.*seq [0-9]*\.\.\([0-9]*\).*/\1/p')

# ---- 3. damage in the middle ----------------------------------------------------
read -r SEG OFF LEN <<<"$(rec_at $((LAST / 2)))"
flip "$SEG" $((OFF + 32 + LEN / 2))
if start_oriond; then
	bad "oriond started on a journal damaged at $SEG offset $OFF"
	stop_oriond
else
	wait "$OPID" 2>/dev/null
	RC=$?
	OPID=
	MSG=$(grep -i 'journal' "$OUT" | tail -1)
	if [ $RC -ne 0 ] && grep -q "$(basename "$SEG")" <<<"$MSG" && grep -q "offset $OFF" <<<"$MSG"; then
		echo "ok   damaged journal refused (exit $RC): $MSG"
	else
		bad "damaged journal: exit $RC, message does not name $(basename "$SEG") offset $OFF: $MSG"
	fi
fi
"$ORIONCTL" journal verify "$T/journal" >/dev/null 2>"$T/verify.err"
VRC=$?
[ $VRC -eq 1 ] && grep -q "offset $OFF" "$T/verify.err" && echo "ok   orionctl journal verify: $(cat "$T/verify.err")" ||
	bad "orionctl journal verify on the damaged journal: exit $VRC: $(cat "$T/verify.err")"

# ---- 4a. garbage after the last record --------------------------------------------
rm -rf "$T/journal"; cp -a "$T/journal.good" "$T/journal"
read -r SEG OFF LEN <<<"$(rec_at "$LAST")"
END=$(( (OFF + 32 + LEN + 7) / 8 * 8 ))
poke "$SEG" "$END" "4a52454300ff13379e3779b9deadbeef0102030405060708090a0b0c0d0e0f10"
if start_oriond; then
	S=$(start_sum "$OUT")
	if grep -q "torn record at the tail truncated: .*$(basename "$SEG") offset $END" "$OUT" && [ "$S" = "$SUM0" ]; then
		echo "ok   garbage after the last record: started, $(grep 'torn record' "$OUT")"
	else
		bad "garbage tail: no truncation logged at offset $END, or checksum $S != $SUM0"
		grep journal "$OUT"
	fi
	stop_oriond
	"$ORIONCTL" journal verify "$T/journal" >/dev/null 2>&1 || bad "journal not clean after the torn tail was truncated"
else
	bad "oriond refused a journal with a torn tail (garbage after the last record)"
	tail -5 "$OUT"
fi

# ---- 4b. the last record cut short ---------------------------------------------------
rm -rf "$T/journal"; cp -a "$T/journal.good" "$T/journal"
read -r SEG OFF LEN <<<"$(rec_at "$LAST")"
# a write cut short: the header's first 24 bytes (crc, len, type, tag, seq)
# made it, its timestamp and the payload did not
ZEROS=$(python3 -c "print('00' * $((8 + LEN)))")
poke "$SEG" $((OFF + 24)) "$ZEROS"
if start_oriond; then
	if grep -q "torn record at the tail truncated: .*$(basename "$SEG") offset $OFF" "$OUT"; then
		echo "ok   last record cut short: started, $(grep 'torn record' "$OUT")"
	else
		bad "cut last record: no truncation logged at offset $OFF"
		grep journal "$OUT"
	fi
	N=$("$ORIONCTL" journal verify "$T/journal" 2>/dev/null | sed -n 's/.*seq [0-9]*\.\.\([0-9]*\).*/\1/p')
	stop_oriond
	[ "${N:-0}" -ge $((LAST - 1)) ] || bad "records lost beyond the torn one: last seq $N, was $LAST"
else
	bad "oriond refused a journal whose last record was cut short"
	tail -5 "$OUT"
fi

[ $fail -eq 0 ] && echo "PASS journal_replay" || echo "FAIL journal_replay"
exit $fail
