#!/usr/bin/env bash
# Orion demo: builds everything, then runs oriond against the built-in feed
# simulator. The simulator lives in its own network namespace and sends an
# ITCH 5.0 session over MoldUDP64 multicast (lines A and B, with a few packets
# lost on both lines so you can watch gap recovery through re-requests) across
# a veth pair that oriond reads with DPDK (net_af_packet, no hugepages).
#
#   sudo bash deploy/demo.sh [SECONDS]      (default 30; Ctrl-C stops early)
#
# What to look at while it runs:
#   - the table below, refreshed every 2 s from the conflated (10 Hz) ticks;
#   - the browser workstation at http://127.0.0.1:8480/ (tenant demo; user trader,
#     password trader; or admin / admin for the admin panel and kill switch);
#   - curl -s http://127.0.0.1:9100/metrics   (every dataplane counter);
#   - out/demo/ticks.log                       (every tick: T raw, C conflated, E events);
#   - FIX 4.4 on 127.0.0.1:9878 (SenderCompID ORION, TargetCompID DEMO1, user demo1 / demo1).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-30}
case "$SECONDS_TO_RUN" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2;; esac

bash deploy/install-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

OUT=out/demo
mkdir -p "$OUT"
. tests/integration/netns.sh
why=$(orion_netns_need) || { echo "demo: $why" >&2; exit 1; }
orion_netns_up demo
cleanup() {
	kill "${SIM:-}" 2>/dev/null || true
	kill -INT "${ORIOND:-}" 2>/dev/null || true
	wait 2>/dev/null || true
	orion_netns_down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash tests/web/setup.sh --vendor >/dev/null 2>&1 || echo "demo: charts off (uPlot not fetched)"
rm -rf "$OUT/journal" "$OUT/fix"; mkdir -p "$OUT/fix"
sed -e "s#OUT/#$PWD/$OUT/#g" deploy/profiles/demo-sessions.cfg > "$OUT/sessions.cfg"
TH=$(./build/dataplane/bin/orionctl passwd --password trader | tail -1)
AH=$(./build/dataplane/bin/orionctl passwd --password admin | tail -1)
sed -e "s/^vdev = net_af_packet0,iface=[^,]*/vdev = net_af_packet0,iface=$ORION_VETH_HOST/" \
    -e "s#OUT/#$PWD/$OUT/#g" -e "s#SRC/#$PWD/#g" -e "s#TRADER_HASH#$TH#" -e "s#ADMIN_HASH#$AH#" \
    deploy/profiles/demo.conf > "$OUT/oriond.conf"
./build/dataplane/bin/oriond -c "$OUT/oriond.conf" --tick-log "$OUT/ticks.log" > "$OUT/oriond.out" 2>&1 &
ORIOND=$!
for _ in $(seq 50); do grep -q running "$OUT/oriond.out" && break; sleep 0.2; done
grep -q running "$OUT/oriond.out" || { cat "$OUT/oriond.out"; exit 1; }

ip netns exec "$ORION_NS" ./build/feeds/sim/orion-feedsim send --iface "$ORION_VETH_SIM" \
	--group-a 239.77.1.1:26400 --group-b 239.77.1.2:26401 --rereq-port 26500 \
	--rate 50000 --seconds "$SECONDS_TO_RUN" --instruments 24 --real-tickers --seed "$RANDOM" \
	--drop-a 5000-5040 --drop-b 5000-5040 > "$OUT/feedsim.out" 2>&1 &
SIM=$!

echo "demo: oriond is running"
echo "demo:   workstation  http://127.0.0.1:8480/  (tenant demo, trader/trader or admin/admin)"
echo "demo:   metrics      curl -s http://127.0.0.1:9100/metrics"
echo "demo:   FIX 4.4      127.0.0.1:9878 ORION <- DEMO1 (demo1/demo1)"
echo "demo:   ticks        $OUT/ticks.log"
while kill -0 "$SIM" 2>/dev/null; do
	sleep 2
	printf '\n%-8s %12s %8s %12s %8s %12s %12s %7s %s\n' SYMBOL BID SIZE ASK SIZE MID LAST FLAGS
	awk '$1 == "C" { last[$5] = $0 } END { for (s in last) print last[s] }' "$OUT/ticks.log" | sort -k5 | head -12 |
	awk 'function p(v) { return v == "-" ? "-" : sprintf("%.4f", v / 1e8) }
	     { printf "%-8s %12s %8s %12s %8s %12s %12s %7s\n", $5, p($9), $10, p($11), $12, p($13), p($14), $16 }'
	grep "^oriond: feed" "$OUT/oriond.out" | tail -3 || true
done
cat "$OUT/feedsim.out"
kill -INT "$ORIOND"; wait "$ORIOND" || true
grep -E "^orion_(lcore_rx_packets|md_arb_delivered|md_arb_messages_recovered|md_arb_gaps_(opened|filled|unrecoverable)|md_ticks|md_conflate_emitted)" "$OUT/oriond.out"
echo "demo: done; the whole log is in $OUT/oriond.out"
