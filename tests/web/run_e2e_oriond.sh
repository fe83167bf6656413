#!/usr/bin/env bash
# The web workstation's end-to-end test (tests/web/test_e2e.mjs) against the
# real oriond: FIX order entry, risk, the matching engine, a journal and the
# control plane, all on 127.0.0.1 (no feed: the engine's own book ticks are
# the market data).
#
#   run_e2e_oriond.sh ORIOND ORIONCTL SOURCE_ROOT ARTIFACTS_DIR
#
# A raw FIX client (tests/cp/oriond_env.py venue) rests a SELL on every
# instrument at a known price (AAPL 150.00, MSFT 400.00, GOOG 140.00) and
# keeps the venue's bids moving (a new bid and a cancel every ~200 ms per
# instrument) so the market watch streams. The scenario's marketable order
# must fill against that resting FIX sell: the FIX client's fill is checked
# after the browser run. Screenshots, the exported CSV and the logs of
# oriond, the FIX client and the browser go to ARTIFACTS_DIR. Exits 77
# (skip, with the reason) when node, Debian's chromium, python3, the npm
# packages (tests/web/setup.sh) or the binaries are unavailable. Bounded:
# about 110 s at most (the browser run itself takes ~10 s).
set -uo pipefail
oriond=${1:-}
orionctl=${2:-}
src=${3:-$(cd "$(dirname "$0")/../.." && pwd)}
art=${4:-$PWD/artifacts-oriond}

skip() { echo "SKIP: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node not installed (Debian package nodejs)"
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium not installed (Debian package chromium)"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[ -n "$oriond" ] && [ -x "$oriond" ] || skip "oriond not built (${oriond:-no path given})"
[ -n "$orionctl" ] && [ -x "$orionctl" ] || skip "orionctl not built (${orionctl:-no path given})"

# Time bound: everything below ends within about 110 s (meson's timeout is 120).
t_end=$((SECONDS + 108))
modules=$(timeout -k 2 30 bash "$src/tests/web/setup.sh" | tail -n 1)
rc=${PIPESTATUS[0]}
[ "$rc" -eq 77 ] && skip "npm packages unavailable (see tests/web/setup.sh output above)"
[ "$rc" -eq 124 ] && skip "npm packages not cached and not fetched within 30 s (run tests/web/setup.sh once)"
[ "$rc" -eq 0 ] || { echo "setup.sh failed ($rc)"; exit 1; }

rm -rf "$art"
mkdir -p "$art"
run=$(mktemp -d /tmp/orion-web-e2e.XXXXXX)
ORIOND_PID='' VENUE_PID='' NODE_PID=''
stop_pid() { # PID SECONDS: SIGTERM, then SIGKILL after SECONDS
	local pid=$1 n=$(( $2 * 10 ))
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
cleanup() {
	stop_pid "$NODE_PID" 5
	stop_pid "$VENUE_PID" 3
	stop_pid "$ORIOND_PID" 10
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

oe="$src/tests/cp/oriond_env.py"
pwhash() { "$orionctl" passwd -t 1 -m 64 --password "$1" | tail -n 1; }
th=$(pwhash trader-pw) && ah=$(pwhash admin-pw) || { echo "orionctl passwd failed"; exit 1; }
ports=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))') || { echo "no free port"; exit 1; }
read -r cp_port fix_port <<<"$ports"

mkdir -p "$run/fixstore"
cat > "$run/sessions.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=ORION
FileStorePath=$run/fixstore
HeartBtInt=30
[SESSION]
TargetCompID=CLIENT1
Username=client1
Password=client1-pw
CFG
# The workstation's users are tenant "desk" (id 1), account 100; the FIX
# session is the default tenant (0), account 0: the kill switch of the
# desk's ADMIN must not stop the venue's FIX orders.
cat > "$art/oriond.conf" <<CONF
[eal]
lcores = 0-1
memory_mb = 512

[fix]
listen = 127.0.0.1:$fix_port
sessions = $run/sessions.cfg

[instrument AAPL]
tick = 0.01
ref_price = 150.00
band_pct = 20

[instrument MSFT]
tick = 0.01
lot = 10
ref_price = 400.00
band_pct = 20

[instrument GOOG]
tick = 0.01
ref_price = 140.00
band_pct = 20

[risk]
max_order_qty = 1000000
collar_pct = 20
order_rate_per_sec = 1000
order_burst = 200

[journal]
dir = $run/journal
segment_size = 4M

[cp]
listen = 127.0.0.1:$cp_port
web_root = $src/web
audit_log = $art/audit.log

[tenant desk]
id = 1

[user trader]
tenant = desk
role = TRADER
instruments = *
account = 100
password_hash = $th

[user admin]
tenant = desk
role = ADMIN
instruments = *
account = 100
password_hash = $ah
CONF

"$oriond" -c "$art/oriond.conf" > "$art/oriond.log" 2>&1 &
ORIOND_PID=$!
for _ in $(seq 100); do
	grep -q "^oriond: running" "$art/oriond.log" && break
	kill -0 "$ORIOND_PID" 2>/dev/null || break
	sleep 0.1
done
grep -q "^oriond: running" "$art/oriond.log" || { echo "FAIL: oriond did not start:"; tail -20 "$art/oriond.log"; exit 1; }
grep -q "control plane on port $cp_port" "$art/oriond.log" || { echo "FAIL: control plane not on $cp_port"; exit 1; }

python3 "$oe" venue --port "$fix_port" --rest AAPL:150.00,MSFT:400.00,GOOG:140.00 --seconds 110 \
	> "$art/venue.log" 2>&1 &
VENUE_PID=$!
for _ in $(seq 100); do
	grep -q "^VENUE READY" "$art/venue.log" && break
	kill -0 "$VENUE_PID" 2>/dev/null || break
	sleep 0.1
done
grep -q "^VENUE READY" "$art/venue.log" || { echo "FAIL: FIX venue client not ready:"; cat "$art/venue.log"; exit 1; }
cat "$art/venue.log"

left=$((t_end - SECONDS - 15)) # 15 s kept for stopping everything
[ "$left" -ge 30 ] || { echo "FAIL: no time left for the browser run ($left s)"; exit 1; }
timeout -k 5 "$left" node "$src/tests/web/test_e2e.mjs" \
	--url "http://127.0.0.1:$cp_port" \
	--artifacts "$art" --modules "$modules" \
	--trader trader:trader-pw@desk --admin admin:admin-pw@desk &
NODE_PID=$!
wait "$NODE_PID"
rc=$?
NODE_PID=''

stop_pid "$VENUE_PID" 3
VENUE_PID=''
grep "^venue: " "$art/venue.log" | tail -n 5
if [ "$rc" -eq 0 ]; then
	if ! grep -q "^venue: fill on the resting sell" "$art/venue.log"; then
		echo "FAIL: the scenario's order did not fill against the resting FIX sell (no fill in venue.log)"
		rc=1
	fi
fi
stop_pid "$ORIOND_PID" 10
wait "$ORIOND_PID" 2>/dev/null
ORIOND_PID=''
if ! grep -q "^orion_me_trades_total [1-9]" "$art/oriond.log"; then
	echo "FAIL: oriond's final statistics show no trade"
	[ "$rc" -eq 0 ] && rc=1
fi
[ "$rc" -eq 0 ] && echo "PASS: web e2e against oriond (artifacts in $art)"
exit "$rc"
