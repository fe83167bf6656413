#!/usr/bin/env bash
# Integration: simulator → pcap (lines A and B) → oriond on net_pcap with
# --no-huge → the recorded ticks must equal, instrument by instrument and state
# by state, the books that an independent Python reference (itch_ref.py)
# computes from the same pcap. Also checks arbitration counters and the
# end-of-run statistics.
set -euo pipefail
ORIOND=$1 FEEDSIM=$2 REF=$3
# Optional 4th argument: the [eal] lcores value. With three lcores the layout
# is pipelined (rx lcore -> ring -> md lcore); lcores may share a CPU
# ("0@0,1@1,2@1") so the pipeline is tested on a 2-core machine too.
LCORES=${4:-0-1}
T=$(mktemp -d /tmp/orion-md-pcap.XXXXXX)
trap 'rm -rf "$T"' EXIT

"$FEEDSIM" pcap --out "$T/feed.pcap" --seed 42 --instruments 64 --messages 300000 --lines AB --real-tickers >/dev/null
cat > "$T/oriond.conf" <<CONF
[eal]
lcores = $LCORES
memory_mb = 512
[dataplane]
idle_exit = 1500ms
tick_ring_size = 1048576
[port p0]
vdev = net_pcap0,rx_pcap=$T/feed.pcap
[feed sim]
port = p0
line_a = 239.1.1.1:26400
line_b = 239.1.1.2:26401
[ticklog]
stream = both
CONF
timeout 120 "$ORIOND" -c "$T/oriond.conf" --tick-log "$T/ticks.log" >"$T/out.txt" 2>&1 || {
	echo "oriond failed:"; tail -30 "$T/out.txt"; exit 1; }

metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/out.txt"; }
fail=0
check() { # name got want
	if [ "$2" != "$3" ]; then echo "FAIL $1: got '$2' want '$3'"; fail=1; else echo "ok   $1 = $2"; fi
}
check "messages delivered once" "$(metric 'orion_md_arb_delivered_total{feed="sim"}')" 300000
check "line B duplicates dropped" "$(metric 'orion_md_arb_duplicate_messages_total{feed="sim",line="B"}')" 300000
check "book rejects" "$(grep -c '^orion_md_book_rejects_total.* [1-9]' "$T/out.txt" || true)" 0
check "tick ring drops" "$(metric 'orion_md_tick_ring_full_total{feed="sim",stream="raw"}')" 0
check "session end event" "$(grep -c 'session_end seq 300001' "$T/out.txt")" 1
check "pipeline ring full" "$(grep -c '^orion_lcore_ring_full_total.* [1-9]' "$T/out.txt" || true)" 0
grep "oriond: layout" "$T/out.txt"
conflated=$(grep -c '^C ' "$T/ticks.log" || true)
[ "$conflated" -gt 0 ] || { echo "FAIL no conflated ticks"; fail=1; }
python3 "$REF" compare "$T/feed.pcap" "$T/ticks.log" 26400 26401 || fail=1
exit $fail
