#!/usr/bin/env bash
# Integration: oriond's local endpoint ([metrics] listen): GET /metrics, and
# the admin commands that reach the order lcore through its command ring
# (POST /admin/kill, /admin/limits), with JSON errors for bad input.
set -uo pipefail
ORIOND=$1
. "$(dirname "$0")/lib_oriond.sh"
command -v curl >/dev/null || { echo "SKIP: needs curl"; exit 77; }
T=$(mktemp -d /tmp/orion-admin.XXXXXX)
trap 'kill "${OPID:-}" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port) MPORT=$(free_port)
mkdir -p "$T/store"
printf '[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ORION\nFileStorePath=%s\n[SESSION]\nTargetCompID=CLIENT1\n' \
	"$T/store" > "$T/sessions.cfg"
cat > "$T/oriond.conf" <<CONF
[eal]
lcores = 0-1
memory_mb = 512
$(orion_fix_sections "$PORT" "$T/sessions.cfg" 16)
[metrics]
listen = 127.0.0.1:$MPORT
CONF
"$ORIOND" -c "$T/oriond.conf" > "$T/out" 2>&1 &
OPID=$!
for _ in $(seq 100); do grep -q running "$T/out" && break; sleep 0.1; done
fail=0
expect() { # NAME METHOD PATH STATUS BODY_REGEX
	local out code
	out=$(curl -s -o "$T/body" -w '%{http_code}' -X "$2" "http://127.0.0.1:$MPORT$3")
	code=$out
	if [ "$code" != "$4" ] || ! grep -qE "$5" "$T/body"; then
		echo "FAIL $1: $code $(head -c 300 "$T/body")"; fail=1
	else
		echo "ok   $1: $code"
	fi
}
expect "metrics" GET /metrics 200 '^orion_lcore_rx_packets_total'
expect "kill global on" POST '/admin/kill?scope=global&on=1&cancel=1' 202 '"ok":true'
expect "kill, URL-encoded scope" POST '/admin/kill?scope=glob%61l&on=0' 202 '"ok":true'
expect "kill bad scope" POST '/admin/kill?scope=planet&on=1' 400 '"code":"bad_scope".*"field":"scope"'
expect "kill without on" POST '/admin/kill?scope=session&id=0' 400 '"field":"on"'
expect "limits session" POST '/admin/limits?session=0&rate=100&burst=10' 202 '"ok":true'
expect "limits bad number" POST '/admin/limits?session=0&rate=lots' 400 '"field":"rate"'
expect "limits two targets" POST '/admin/limits?session=0&account=1' 400 '"code":"bad_target"'
expect "unknown admin path" POST '/admin/nothing' 404 '"code":"not_found"'
expect "unknown path" GET /elsewhere 404 'GET /metrics'
sleep 0.3
applied=$(curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "orion_og_commands_total{result=\"applied\"}" { print $2 }')
[ "$applied" = 3 ] && echo "ok   3 commands applied by the order lcore" || { echo "FAIL applied commands: '$applied'"; fail=1; }
kill -INT $OPID; wait $OPID || { echo "FAIL oriond exit status"; fail=1; }
exit $fail
