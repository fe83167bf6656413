#!/usr/bin/env bash
# WebSocket fan-out benchmark of the control plane: cp_testd publishing K
# instruments at H Hz, N clients each subscribed to all of them (conflated to
# 10 Hz per client), measured by bench_cp_ws. Prints the parameters, the
# machine, and per N: server CPU, messages/s, MB/s, publish -> receive latency.
#   perf/cp/run_cp_bench.sh BUILD_DIR [clients...]   (default 1000 5000 10000)
set -euo pipefail
B=${1:?usage: run_cp_bench.sh BUILD_DIR [clients...]}; shift || true
CLIENTS=${*:-"1000 5000 10000"}
SECONDS_RUN=${SECONDS_RUN:-5}
WARMUP=${WARMUP:-5}   # after the last connect: backlog built while connecting drains
INSTR=${INSTR:-50}
HZ=${HZ:-10}
TESTD=$B/tests/cp/cp_testd
BENCH=${BENCH:-$B/perf/cp/bench_cp_ws}
for x in "$TESTD" "$BENCH"; do [ -x "$x" ] || { echo "missing $x (build first)"; exit 77; }; done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
T=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$T"' EXIT
HASH=$("$TESTD" hash-password -t 1 -m 64 --password bench-pass-1)
cat > "$T/bench.conf" <<CONF
[cp]
listen = 127.0.0.1:0
market_data = raw
conflate_interval = 100ms
ws_max_clients = 30000
ws_per_user = 30000
ws_max_queue = 16M
ws_stall_timeout = 10s
rate_limit_per_s = 100000
rate_limit_burst = 100000
audit_log = $T/audit.log
[user bench]
role = TRADER
instruments = *
password_hash = $HASH
[testd]
instruments = $INSTR
hz = $HZ
CONF
"$TESTD" -c "$T/bench.conf" > "$T/out" 2> "$T/err" < /dev/null &
PID=$!
for _ in $(seq 50); do grep -q LISTENING "$T/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/LISTENING/ {print $2}' "$T/out")
TOKEN=$(python3 - "$PORT" <<'PY'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("POST", "/api/v1/auth/login", json.dumps({"username": "bench", "password": "bench-pass-1"}))
print(json.loads(c.getresponse().read())["token"])
PY
)
echo "== control plane WebSocket fan-out"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "params: $INSTR instruments random-walking at $HZ Hz (every instrument changes every tick), conflation 100 ms"
echo "        per client, every client subscribed to all $INSTR, ${SECONDS_RUN} s measured after ${WARMUP} s warm-up"
HZTCK=$(getconf CLK_TCK)
for N in $CLIENTS; do
  read -r u0 s0 < <(awk '{print $14, $15}' /proc/$PID/stat)
  t0=$(date +%s.%N)
  OUT=$("$BENCH" --port "$PORT" --token "$TOKEN" --clients "$N" --seconds "$SECONDS_RUN" --warmup "$WARMUP" 2>"$T/bench.err")
  t1=$(date +%s.%N)
  read -r u1 s1 < <(awk '{print $14, $15}' /proc/$PID/stat)
  CPU=$(python3 -c "print('%.0f' % (100.0 * (($u1 + $s1) - ($u0 + $s0)) / $HZTCK / ($t1 - $t0)))")
  echo "-- N=$N  server CPU ${CPU}% of one core (connect phase included; $(tr '\n' ' ' < "$T/bench.err"))"
  echo "$OUT" | sed 's/^/   /'
  sleep 1
done
grep -h "orion_cp_ws_disconnects_total\|orion_cp_ws_conflation_changes_total\|orion_cp_ws_md_messages_total" \
  <(python3 -c "import urllib.request,sys; print(urllib.request.urlopen('http://127.0.0.1:$PORT/metrics').read().decode())") | sed 's/^/   /'
