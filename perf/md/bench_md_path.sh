#!/usr/bin/env bash
# Benchmark: the packet path through DPDK with a vdev. oriond reads a simulator
# pcap (line A only) with net_pcap on one dataplane lcore, run to completion:
# parse → arbitrate → decode → books → ticks → rings. Rates are computed from
# the lcore's busy cycles (loop turns that did work), so the measurement is the
# dataplane's own cost, not the pcap's timing. Baseline in the same run: the
# same pcap with no feed configured for its group, so every frame is received,
# parsed and dropped (rx + classification only); the ratio shows what the
# market-data stage adds.
#   perf/md/bench_md_path.sh BUILD_DIR [MESSAGES] [INSTRUMENTS]
set -euo pipefail
B=${1:-build}; N=${2:-2000000}; I=${3:-500}
T=$(mktemp -d /tmp/orion-bench-md.XXXXXX); trap 'rm -rf "$T"' EXIT
"$B/feeds/sim/orion-feedsim" pcap --out "$T/feed.pcap" --seed 1 --instruments "$I" --messages "$N" --lines A >/dev/null
run() { # run NAME GROUP
	cat > "$T/$1.conf" <<CONF
[eal]
lcores = 0-1
memory_mb = 1024
[dataplane]
idle_exit = 1s
tick_ring_size = 4194304
mbufs = 16383
[port p0]
vdev = net_pcap0,rx_pcap=$T/feed.pcap
[feed sim]
port = p0
line_a = $2:26400
max_instruments = 8192
max_orders = 4194304
max_levels = 1048576
CONF
	"$B/dataplane/bin/oriond" -c "$T/$1.conf" > "$T/$1.out" 2>&1
}
run md 239.1.1.1
run baseline 239.9.9.9
python3 - "$T" "$N" "$I" <<'PY'
import sys, platform
t, n, inst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def metrics(name):
    m = {}
    for line in open(f"{t}/{name}.out"):
        if line.startswith("orion_"):
            k, v = line.rsplit(" ", 1)
            m[k] = float(v)
    return m
md, base = metrics("md"), metrics("baseline")
hz = md["orion_tsc_hz"]
def rate(m, key):
    busy = m['orion_lcore_busy_cycles_total{lcore="1"}'] / hz
    return m[key] / busy, busy
pk, busy = rate(md, 'orion_lcore_rx_packets_total{lcore="1"}')
msgs = md['orion_md_messages_total{feed="sim"}']
ticks = md['orion_md_ticks_total{feed="sim"}']
bpk, bbusy = rate(base, 'orion_lcore_rx_packets_total{lcore="1"}')
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"bench_md_path: machine: {cpu}, {platform.node()}, TSC {hz/1e9:.3f} GHz")
print(f"bench_md_path: params: messages={n} instruments={inst} line A only, net_pcap, 1 dataplane lcore, --no-huge, burst 32")
print(f"bench_md_path: md path      : {pk/1e6:8.3f} Mpps  {msgs/busy/1e6:8.3f} M msgs/s  {busy*1e9/msgs:7.1f} ns/msg  (busy {busy:.3f}s, ticks {ticks:.0f})")
print(f"bench_md_path: baseline rx  : {bpk/1e6:8.3f} Mpps  (rx + parse + drop, busy {bbusy:.3f}s)")
print(f"bench_md_path: ratio md/baseline packet rate: {pk/bpk:.2f}")
PY
