#!/usr/bin/env bash
# Benchmark: FIX 4.4 order entry over loopback TCP, oriond against QuickFIX.
# fix_loadgen (N initiator sessions) sends resting limit orders and measures
# NewOrderSingle -> ExecutionReport(New) round trips, open loop at fixed rates
# (latency from the scheduled send time) and closed loop at max rate (a window
# of outstanding orders per session). The same runs go first to oriond (FIX
# acceptor -> risk -> matching engine on one dataplane lcore) and then to
# qf_executor (QuickFIX SocketAcceptor answering every order with New, no
# book, no risk, no dictionary validation, in-memory store), then the ratios.
#   perf/fix/bench_fix_rtt.sh BUILD_DIR
# Environment (defaults): SESSIONS=4 (at most 64 for oriond) RATES="10000 50000"
#   SECONDS_PER_RUN=5 WARMUP=1 WINDOW=16 SYMBOLS=AAPL,MSFT,GOOG,AMZN
#   ORIOND=BUILD_DIR/dataplane/bin/oriond QF=BUILD_DIR/perf/fix/qf_executor
#   STORE_DIR=DIR (oriond's FIX message stores; default under the temp dir)
#   JOURNAL=off|process|power (oriond's journal, in STORE_DIR; default off)
#   SERVER_CPU=1 CLIENT_CPU=0 (qf_executor / fix_loadgen pinning, only with 2+
#   CPUs; empty disables it; oriond pins itself: [eal] lcores = 0-1, the FIX
#   lcore is CPU 1), ONLY=oriond|quickfix.
# Default run: about 50 s.
set -euo pipefail
B=$(cd "${1:-build}" && pwd)
SESSIONS=${SESSIONS:-4}
RATES=${RATES:-"10000 50000"}
SECS=${SECONDS_PER_RUN:-5}
WARMUP=${WARMUP:-1}
WINDOW=${WINDOW:-16}
SYMBOLS=${SYMBOLS:-AAPL,MSFT,GOOG,AMZN}
ONLY=${ONLY:-}
LOADGEN_OPTS=${LOADGEN_OPTS:-}   # e.g. --spin: the load generator busy-polls (no wake-up latency in the figures)
PASSWORD=bench-secret
if [ "$(nproc)" -ge 2 ]; then
	SERVER_CPU=${SERVER_CPU-1}
	CLIENT_CPU=${CLIENT_CPU-0}
else
	SERVER_CPU=""
	CLIENT_CPU=""
fi
pin() { # pin CPU CMD...
	local cpu=$1
	shift
	if [ -n "$cpu" ] && command -v taskset >/dev/null; then taskset -c "$cpu" "$@"; else "$@"; fi
}

LOADGEN=$B/perf/fix/fix_loadgen
ORIOND=${ORIOND:-$B/dataplane/bin/oriond}
QF=${QF:-$B/perf/fix/qf_executor}
[ -x "$LOADGEN" ] || { echo "bench_fix_rtt: $LOADGEN not built" >&2; exit 1; }

T=$(mktemp -d /tmp/orion-bench-fix.XXXXXX)
SERVER_PID=""
cleanup() {
	if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
	rm -rf "$T"
}
trap cleanup EXIT

# start_server LOG CMD...: in the background, pinned to SERVER_CPU; sets
# SERVER_PID to the server's own pid (taskset execs it).
start_server() {
	local log=$1
	shift
	if [ -n "$SERVER_CPU" ] && command -v taskset >/dev/null; then
		taskset -c "$SERVER_CPU" "$@" > "$log" 2>&1 &
	else
		"$@" > "$log" 2>&1 &
	fi
	SERVER_PID=$!
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_running LOGFILE PATTERN: until the server prints PATTERN (20 s at most)
wait_running() {
	for _ in $(seq 200); do
		if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
		sleep 0.1
	done
	echo "bench_fix_rtt: server did not start:" >&2
	cat "$1" >&2
	return 1
}

stop_server() {
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

# loadgen_runs NAME PORT: fixed rates then max rate; RESULT lines to $T/NAME.res
loadgen_runs() {
	local name=$1 port=$2
	: > "$T/$name.res"
	for r in $RATES 0; do
		echo "--- $name, rate ${r/#0/max} ---"
		pin "$CLIENT_CPU" "$LOADGEN" --port "$port" --sessions "$SESSIONS" --rate "$r" --window "$WINDOW" $LOADGEN_OPTS \
			--seconds "$SECS" --warmup "$WARMUP" --symbols "$SYMBOLS" --password "$PASSWORD" \
			--logon-timeout 5 | tee "$T/$name.$r.out" | grep -v '^RESULT' || true
		grep '^RESULT' "$T/$name.$r.out" | sed "s/^RESULT/RESULT server=$name/" >> "$T/$name.res" || true
	done
}

sessions_cfg() { # sessions_cfg STORE_DIR
	printf '[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ORION\n'
	printf 'FileStorePath=%s\nHeartBtInt=30\n' "$1"
	for i in $(seq "$SESSIONS"); do
		printf '[SESSION]\nTargetCompID=CLIENT%s\nUsername=client%s\nPassword=%s\n' "$i" "$i" "$PASSWORD"
	done
}

run_oriond() {
	if [ ! -x "$ORIOND" ]; then
		echo "bench_fix_rtt: $ORIOND not built: oriond side skipped"
		return 0
	fi
	local port
	port=$(free_port)
	# STORE_DIR: where the FIX message stores live (default: the temp dir on
	# its file system; /dev/shm shows the cost of page faults on ext4).
	local store=${STORE_DIR:-$T/store}
	mkdir -p "$store"
	sessions_cfg "$store" > "$T/sessions.cfg"
	{
		printf '[eal]\nlcores = 0-1\nmemory_mb = 512\nno_huge = true\nin_memory = true\nno_pci = true\n'
		printf '[fix]\nlisten = 127.0.0.1:%s\nsessions = %s\nmax_connections = 256\n' "$port" "$T/sessions.cfg"
		for s in ${SYMBOLS//,/ }; do
			printf '[instrument %s]\ntick = 0.01\nlot = 1\nref_price = 100.00\nband_pct = 10\n' "$s"
		done
		printf '[risk]\nmax_order_qty = 1000000\nmax_notional = 100000000\ncollar_pct = 20\n'
		printf 'max_open_orders_session = 100000\norder_rate_per_sec = 1000000\ncredit_limit = 1000000000\n'
		case "${JOURNAL:-off}" in
		process|power) printf '[journal]\ndir = %s/journal\ndurability = %s\n' "$store" "$JOURNAL" ;;
		off) ;;
		*) echo "bench_fix_rtt: JOURNAL must be off, process or power" >&2; exit 2 ;;
		esac
	} > "$T/oriond.conf"
	if ! "$ORIOND" -c "$T/oriond.conf" --check-config > "$T/oriond.check" 2>&1; then
		echo "bench_fix_rtt: oriond refused the configuration (no [fix] support yet?): oriond side skipped"
		cat "$T/oriond.check"
		return 0
	fi
	# oriond pins its own lcores ([eal] lcores): not through taskset
	"$ORIOND" -c "$T/oriond.conf" > "$T/oriond.log" 2>&1 &
	SERVER_PID=$!
	wait_running "$T/oriond.log" "oriond: running" || return 1
	loadgen_runs oriond "$port"
	stop_server
	echo "--- oriond counters (non-zero orion_fix_/orion_me_/orion_risk_) ---"
	grep -E '^orion_(fix|me|risk)_' "$T/oriond.log" | awk '$NF != 0' | head -40 || true
}

run_quickfix() {
	if [ ! -x "$QF" ]; then
		echo "bench_fix_rtt: $QF not built (needs g++ and libquickfix-dev): QuickFIX side skipped"
		return 0
	fi
	local port
	port=$(free_port)
	start_server "$T/qf.log" "$QF" --port "$port" --sessions "$SESSIONS" --password "$PASSWORD"
	wait_running "$T/qf.log" "qf_executor: running" || return 1
	loadgen_runs quickfix "$port"
	stop_server
	grep '^qf_executor:' "$T/qf.log" || true
}

[ "$ONLY" = quickfix ] || run_oriond
[ "$ONLY" = oriond ] || run_quickfix

cat "$T"/*.res 2>/dev/null > "$T/all.res" || true
if [ ! -s "$T/all.res" ]; then
	echo "bench_fix_rtt: nothing measured" >&2
	exit 1
fi
python3 - "$T/all.res" "$SESSIONS" "$SECS" "$WARMUP" "$WINDOW" "$SYMBOLS" "$RATES" <<'PY'
import sys, platform, os
path, sessions, secs, warm, window, symbols, rates = sys.argv[1:]
res = {}
for line in open(path):
    kv = dict(f.split("=", 1) for f in line.split()[1:])
    res[(kv["server"], int(float(kv["rate"])))] = kv
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"bench_fix_rtt: machine: {cpu}, {os.cpu_count()} CPUs, {platform.node()}, kernel {platform.release()}")
print(f"bench_fix_rtt: params: sessions={sessions} seconds={secs} warmup={warm} window={window} (max rate) "
      f"symbols={symbols}; resting limit orders, cancel of the oldest beyond 100 resting per session; "
      f"loopback TCP; oriond: 1 dataplane lcore (CPU 1); QuickFIX: SocketAcceptor, memory store, no dictionary")
hdr = f"{'server':9} {'rate':>7} {'orders/s':>9} {'p50 us':>8} {'p99 us':>8} {'p99.9 us':>9} {'max us':>9} {'rejects':>7} {'unans':>5} {'errors':>6}"
print("bench_fix_rtt: " + hdr)
keys = [int(r) for r in rates.split()] + [0]
for server in ("oriond", "quickfix"):
    for r in keys:
        kv = res.get((server, r))
        if not kv:
            continue
        us = lambda k: int(kv[k]) / 1e3
        print(f"bench_fix_rtt: {server:9} {('max' if r == 0 else str(r)):>7} {float(kv['orders_per_s']):9.0f} "
              f"{us('p50_ns'):8.1f} {us('p99_ns'):8.1f} {us('p999_ns'):9.1f} {us('max_ns'):9.1f} "
              f"{kv['rejects']:>7} {kv['unanswered']:>5} {kv['errors']:>6}")
for r in keys:
    o, q = res.get(("oriond", r)), res.get(("quickfix", r))
    if o and q and int(q["p99_ns"]) > 0 and float(q["orders_per_s"]) > 0:
        label = "max rate" if r == 0 else f"{r}/s"
        print(f"bench_fix_rtt: ratio oriond/quickfix at {label}: p99 {int(o['p99_ns']) / int(q['p99_ns']):.2f}x, "
              f"p50 {int(o['p50_ns']) / max(1, int(q['p50_ns'])):.2f}x, "
              f"orders/s {float(o['orders_per_s']) / float(q['orders_per_s']):.2f}x")
PY
