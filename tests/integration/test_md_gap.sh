#!/usr/bin/env bash
# Integration: live multicast over a veth pair from a network namespace.
# The simulator drops the same packets on BOTH lines A and B (so arbitration
# cannot help), oriond (DPDK net_af_packet on the veth) detects the gaps,
# re-requests the missing ranges from the simulator's re-request server, and
# delivers every message exactly once and in order; the books are then checked
# against the independent reference computed from a capture of line A taken
# on the same wire (tcpdump), where the simulator does send all packets.
set -uo pipefail
ORIOND=$1 FEEDSIM=$2 REF=$3
. "$(dirname "$0")/netns.sh"
why=$(orion_netns_need) || { echo "SKIP: $why"; exit 77; }
command -v tcpdump >/dev/null || { echo "SKIP: needs tcpdump"; exit 77; }

T=$(mktemp -d /tmp/orion-md-gap.XXXXXX)
orion_netns_up "g$$"
cleanup() { kill "${OPID:-}" "${DPID:-}" 2>/dev/null; wait 2>/dev/null; orion_netns_down; rm -rf "$T"; }
trap cleanup EXIT

cat > "$T/oriond.conf" <<CONF
[eal]
lcores = 0-1
memory_mb = 512
[dataplane]
tick_ring_size = 1048576
[port p0]
vdev = net_af_packet0,iface=$ORION_VETH_HOST,framecnt=8192
ip = 10.77.0.2
[feed sim]
port = p0
line_a = 239.77.1.1:26400
line_b = 239.77.1.2:26401
rerequest = 10.77.0.1:26500
rerequest_src_port = 26999
gap_wait = 2ms
rerequest_timeout = 100ms
rerequest_retries = 5
stale_after = 5s
window_packets = 16384
window_bytes = 32M
CONF
"$ORIOND" -c "$T/oriond.conf" --tick-log "$T/ticks.log" >"$T/out.txt" 2>&1 &
OPID=$!
for _ in $(seq 50); do grep -q "running" "$T/out.txt" && break; sleep 0.2; done
grep -q running "$T/out.txt" || { echo "oriond did not start"; cat "$T/out.txt"; exit 1; }

# Independent witness of line A... taken in the simulator's namespace.
ip netns exec "$ORION_NS" tcpdump -i "$ORION_VETH_SIM" -w "$T/wire.pcap" -U -s 0 \
	"udp and (dst port 26400 or dst port 26401 or src port 26500)" >/dev/null 2>&1 &
DPID=$!
sleep 1

ip netns exec "$ORION_NS" "$FEEDSIM" send --iface "$ORION_VETH_SIM" \
	--group-a 239.77.1.1:26400 --group-b 239.77.1.2:26401 --rate 10000 --seconds 4 \
	--instruments 32 --seed 9 --rereq-port 26500 --linger 2 \
	--drop-a 2000-2100,30000-30010 --drop-b 2000-2100,30000-30010,45000-45020 >"$T/sim.txt" 2>&1
rc=$?
sleep 1
kill -INT $OPID; wait $OPID; orc=$?
kill -INT $DPID 2>/dev/null; wait $DPID 2>/dev/null
cat "$T/sim.txt"
grep "^oriond: feed" "$T/out.txt"
[ $rc -eq 0 ] && [ $orc -eq 0 ] || { echo "FAIL: simulator rc=$rc oriond rc=$orc"; tail -20 "$T/out.txt"; exit 1; }

metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/out.txt"; }
fail=0
sent=$(sed -n 's/.*messages=\([0-9]*\).*/\1/p' "$T/sim.txt" | head -1)
delivered=$(metric 'orion_md_arb_delivered_total{feed="sim"}')
recovered=$(metric 'orion_md_arb_messages_recovered_total{feed="sim"}')
lost=$(metric 'orion_md_arb_gaps_unrecoverable_total{feed="sim"}')
echo "sent=$sent delivered=$delivered recovered=$recovered unrecoverable=$lost"
[ -n "$sent" ] && [ "$delivered" = "$sent" ] || { echo "FAIL: delivered $delivered of $sent"; fail=1; }
[ "${recovered:-0}" -gt 0 ] || { echo "FAIL: nothing recovered through re-requests"; fail=1; }
[ "$lost" = 0 ] || { echo "FAIL: unrecoverable gaps"; fail=1; }
grep -q "gap_open" "$T/out.txt" && grep -q "gap_filled" "$T/out.txt" || { echo "FAIL: no gap events"; fail=1; }
# Ticks recorded while a gap was open carry the gap flag G only on flag ticks;
# the final books must equal the reference built from everything on the wire
# (lines A+B and re-request answers, arbitrated by sequence).
python3 "$REF" compare "$T/wire.pcap" "$T/ticks.log" 26400 26401 26999 || fail=1
exit $fail
