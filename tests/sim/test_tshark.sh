#!/bin/sh
# Integration: orion-feedsim pcap output decoded by tshark's MoldUDP64
# dissector must match `orion-feedsim inspect` packet by packet (session,
# sequence, count, message lengths), with valid IPv4 checksums, multicast MACs
# derived from the groups, and no malformed frames.
# Usage: test_tshark.sh /path/to/orion-feedsim      (exit 77 = skipped)
set -eu

FEEDSIM=${1:?usage: test_tshark.sh /path/to/orion-feedsim}
if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIP: tshark is not installed (apt-get install tshark)"
	exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}

# tshark prints session<TAB>seq<TAB>count<TAB>len1,len2,... and an empty
# length list for heartbeat / end of session; inspect prints spaces, trims
# the session's space padding and prints "-" for an empty list.
tshark_lines() {
	tshark -r "$1" -d udp.port==26400,moldudp64 -d udp.port==26401,moldudp64 \
		-T fields -e moldudp64.session -e moldudp64.sequence -e moldudp64.count \
		-e moldudp64.msglen 2>/dev/null |
		awk -F '\t' '$1 != "" { sub(/ +$/, "", $1); print $1, $2, $3, ($4 == "" ? "-" : $4) }'
}

check_pcap() {
	name=$1
	shift
	pcap="$TMP/$name.pcap"
	"$FEEDSIM" pcap --out "$pcap" "$@" >"$TMP/$name.gen" || fail "$name: orion-feedsim pcap failed"
	"$FEEDSIM" inspect --no-summary "$pcap" >"$TMP/$name.ours" || fail "$name: inspect failed"
	tshark_lines "$pcap" >"$TMP/$name.tshark"
	n=$(wc -l <"$TMP/$name.ours")
	[ "$n" -gt 10 ] || fail "$name: only $n packets decoded"
	if ! diff "$TMP/$name.tshark" "$TMP/$name.ours" >"$TMP/$name.diff"; then
		head -20 "$TMP/$name.diff"
		fail "$name: tshark and inspect disagree"
	fi
	bad=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -d udp.port==26400,moldudp64 \
		-d udp.port==26401,moldudp64 -Y 'ip.checksum.status != 1 || _ws.malformed' 2>/dev/null | wc -l)
	[ "$bad" -eq 0 ] || fail "$name: $bad frames with a bad IPv4 checksum or malformed"
	echo "ok: $name: $n packets identical ($(cat "$TMP/$name.gen"))"
}

check_pcap default --seed 11 --instruments 12 --messages 20000
check_pcap ab_small_mtu --seed 12 --instruments 30 --messages 30000 --lines AB \
	--mtu 300 --burst 50 --max-msgs 7 --session ABC
check_pcap one_per_packet --seed 13 --instruments 3 --messages 2000 --burst 1 \
	--group 239.9.8.7 --port 26400

# multicast MAC from the group (01:00:5e + low 23 bits), TTL 1, and the
# inspect summary agrees with tshark on the number of ITCH messages
macs=$(tshark -r "$TMP/ab_small_mtu.pcap" -T fields -e eth.dst -e ip.dst 2>/dev/null | sort -u | tr '\t\n' ' ')
[ "$macs" = "01:00:5e:01:01:01 239.1.1.1 01:00:5e:01:01:02 239.1.1.2 " ] ||
	fail "unexpected MAC/group pairs: $macs"
mac=$(tshark -r "$TMP/one_per_packet.pcap" -T fields -e eth.dst 2>/dev/null | sort -u)
[ "$mac" = "01:00:5e:09:08:07" ] || fail "unexpected MAC for 239.9.8.7: $mac"
ours=$("$FEEDSIM" inspect "$TMP/default.pcap" | awk '/^# frames/ { sub("messages=", "", $7); print $7 }')
theirs=$(tshark_lines "$TMP/default.pcap" | awk '$3 != 65535 { s += $3 } END { print s }')
[ "$ours" = "$theirs" ] && [ "$ours" = 20000 ] || fail "message totals: inspect $ours tshark $theirs"

# deterministic: same options, same bytes
"$FEEDSIM" pcap --out "$TMP/again.pcap" --seed 11 --instruments 12 --messages 20000 >/dev/null
cmp -s "$TMP/default.pcap" "$TMP/again.pcap" || fail "same seed gave a different pcap"

# bad options name the option and exit 2
for args in "--seed x" "--instruments 0" "--lines C" "--group 10.0.0.1" "--rate 0" "--bogus 1" "--messages 5"; do
	set +e
	# shellcheck disable=SC2086
	err=$("$FEEDSIM" pcap --out "$TMP/x.pcap" $args 2>&1 >/dev/null)
	rc=$?
	set -e
	[ "$rc" -eq 2 ] || fail "pcap $args: exit $rc, expected 2"
	opt=${args%% *}
	case "$err" in
	*"$opt"*) ;;
	*) fail "pcap $args: message does not name $opt: $err" ;;
	esac
done
echo "ok: option errors"
