#!/usr/bin/env bash
# Integration: oriond's Kafka export end to end, through kill -9.
#
#   test_oriond_kafka.sh ORIOND ORIONCTL FEEDSIM FIXDRIVE_PY [SEED] [ROUNDS]
#
# A real Apache Kafka 0.9.0.1 broker (kafka_broker.sh) on 127.0.0.1; oriond
# with FIX order entry, the order journal and [kafka] (a unique env, the 0.9
# options, idempotence off, market_data = conflated), plus a small simulator
# pcap on net_pcap so conflated ticks are exported too. The FIX initiator of
# the journal tests (fixdrive.py) sends orders while oriond is killed with
# SIGKILL at random (seeded) moments, ROUNDS times, and restarted on the same
# journal, FIX store and Kafka checkpoint; a last run collects what the client
# missed, logs out and stops cleanly (SIGTERM). Every topic is then read back
# (kcat -f '%R%s' | orionctl decode) and checked against the journal
# (orionctl journal dump --json), the client's log and the last run's tick log:
#   - no loss: every message the journal's records give (event ids
#     "<seq>" / "<seq>.<n>", proto/README.md) is in its topic, and nothing
#     else is; every copy of an event id carries the same envelope;
#   - every order acknowledged to the client (150=0) has an OrderAccepted in
#     <env>.oms.orders.v1, and every OrderAccepted is for an order the client
#     was told about (150=0), after its final reconnect;
#   - per-key order: after dedupe on event_id (first copy kept), the events
#     of one key come in journal (and engine) sequence order; ticks of one
#     instrument come in receive-time order (no dedupe);
#   - trades in execution.trades, session logons and the final logout in
#     session.events, conflated ticks (only) in marketdata.ticks, and every
#     conflated tick of the clean last run exported;
#   - duplicates are counted and printed (allowed), but bounded by the
#     checkpoints: an event is re-sent only by a restart whose checkpoint
#     lies before it;
#   - after the clean stop the checkpoint is the journal's last record.
# Exits 77 saying why when java, kcat, npm / the broker bundle, python3 or a
# binary is missing. Bounded to ~170 s; oriond, the client, the broker and
# ZooKeeper are always stopped.
set -uo pipefail
. "$(dirname "$0")/../lib_oriond.sh"

ORIOND=${1:?usage: test_oriond_kafka.sh ORIOND ORIONCTL FEEDSIM FIXDRIVE_PY [SEED] [ROUNDS]}
ORIONCTL=${2:?} FEEDSIM=${3:?} FIXDRIVE=${4:?}
SEED=${5:-${ORION_KAFKA_SEED:-20240917}}
ROUNDS=${6:-5}
BUILD=${ORION_BUILD_DIR:-$(pwd)}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START=$(date +%s)
BUDGET=170

skip() { echo "SKIP: $*"; exit 77; }
left() { echo $((BUDGET - ($(date +%s) - START))); }

for b in "$ORIOND" "$ORIONCTL" "$FEEDSIM"; do
	[ -x "$b" ] || skip "no executable $b"
done
[ -r "$FIXDRIVE" ] || skip "no $FIXDRIVE"
# shellcheck source-path=SCRIPTDIR source=kafka_broker.sh
. "$HERE/kafka_broker.sh"
kb_prepare "$BUILD" || skip "$KB_WHY"

T=$(mktemp -d /tmp/orion-kafka-e2e.XXXXXX)
OPID="" CPID=""
cleanup() {
	for p in $CPID $OPID; do
		if kill -0 "$p" 2>/dev/null; then
			kill -9 "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	kb_stop
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
RANDOM=$SEED

mkdir -p "$T/broker"
kb_start "$T/broker" || skip "$KB_WHY"
echo "# broker up after $(($(date +%s) - START)) s (Kafka 0.9.0.1 on $KB_BROKERS)"

# ---- oriond configuration ------------------------------------------------------
ENV="e2e$(date +%s)x$$"
"$FEEDSIM" pcap --out "$T/feed.pcap" --seed 7 --instruments 16 --messages 20000 --lines AB --real-tickers \
	>/dev/null || { echo "FAIL: orion-feedsim pcap"; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/store"
cat >"$T/sessions.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
BeginString=FIX.4.4
SenderCompID=ORION
FileStorePath=$T/store
HeartBtInt=30
[SESSION]
TargetCompID=CLIENT1
Username=client1
Password=secret1
CFG
cat >"$T/oriond.conf" <<CONF
[eal]
lcores = 0-1
memory_mb = 512
[port p0]
vdev = net_pcap0,rx_pcap=$T/feed.pcap
[feed sim]
port = p0
line_a = 239.1.1.1:26400
line_b = 239.1.1.2:26401
[ticklog]
stream = conflated
$(orion_fix_sections "$PORT" "$T/sessions.cfg" 16)
[journal]
dir = $T/journal
segment_size = 1M
[kafka]
brokers = $KB_BROKERS
env = $ENV
client_id = orion-e2e
acks = all
api_version_request = false
broker_version_fallback = 0.9.0.1
idempotence = false
market_data = conflated
checkpoint = $T/kafka.checkpoint
linger_ms = 5
rdkafka.topic.metadata.refresh.interval.ms = 1000
CONF

fail=0
run=0
bad() { echo "FAIL $*"; fail=1; }
ckpt_seq() { sed -n 's/^seq \([0-9]*\)$/\1/p' "$T/kafka.checkpoint" 2>/dev/null || true; }
start_oriond() {
	run=$((run + 1))
	# The checkpoint this run resumes from (0: none yet).
	echo "$run $(ckpt_seq | grep . || echo 0)" >>"$T/resume.txt"
	OUT="$T/oriond.$run.out"
	"$ORIOND" -c "$T/oriond.conf" --tick-log "$T/ticks.$run.log" >"$OUT" 2>&1 &
	OPID=$!
	for _ in $(seq 1 300); do
		grep -qs 'oriond: running' "$OUT" && return 0
		kill -0 "$OPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_pid() { # PID SECONDS: wait for a child; sets WRC (124 on timeout, after kill -9)
	local p=$1 n=$(($2 * 10))
	WRC=124
	for _ in $(seq 1 "$n"); do
		if ! kill -0 "$p" 2>/dev/null; then
			wait "$p"
			WRC=$?
			return
		fi
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
client() { # mode args...
	python3 "$FIXDRIVE" "$1" --port "$PORT" --state "$T/client.state" --log "$T/client.log" \
		--seed "$SEED" "${@:2}" >>"$T/client.out" 2>&1
}

# ---- kill -9 rounds ------------------------------------------------------------
echo "# seed $SEED, $ROUNDS rounds, env $ENV, FIX on 127.0.0.1:$PORT"
for r in $(seq 1 "$ROUNDS"); do
	[ "$(left)" -gt 90 ] || { echo "#   time budget: stopping the rounds after $((r - 1))"; break; }
	start_oriond || { bad "round $r: oriond did not start"; tail -20 "$OUT"; break; }
	client load --orders 1000000 --seconds 20 --window 20 --cancel-pct 10 &
	CPID=$!
	MS=$((300 + RANDOM % 2700)) # kill after 0.3 .. 3.0 s of load
	sleep "$(printf '%d.%03d' $((MS / 1000)) $((MS % 1000)))"
	kill -9 "$OPID"
	wait "$OPID" 2>/dev/null
	OPID=""
	wait_pid "$CPID" 15
	CPID=""
	echo "#   round $r: killed after ${MS} ms, resumed from checkpoint $(tail -1 "$T/resume.txt" | cut -d' ' -f2); $(tail -1 "$T/client.out")"
	# 3: the kill came before the logon completed
	[ $WRC -eq 0 ] || [ $WRC -eq 3 ] || bad "round $r: client exit $WRC: $(tail -3 "$T/client.out")"
done

# ---- clean last run ------------------------------------------------------------
start_oriond || { bad "final start: oriond did not start"; tail -20 "$OUT"; exit 1; }
client settle --seconds 3
SRC=$?
echo "#   final: $(tail -1 "$T/client.out")"
[ $SRC -eq 0 ] || bad "final logon/recovery/logout: exit $SRC: $(tail -4 "$T/client.out")"
sleep 1 # let the export of the logout go out before the stop
kill -TERM "$OPID"
wait_pid "$OPID" 15
OPID=""
[ $WRC -eq 0 ] || bad "oriond did not stop cleanly on SIGTERM (status $WRC)"
LAST="$T/oriond.$run.out"
metric() { awk -v k="$1" '$1 == k { print $2 }' "$LAST"; }
echo "#   last run: exported_seq $(metric orion_kafka_exported_seq), checkpoint_seq $(metric orion_kafka_checkpoint_seq)," \
	"rewinds $(metric orion_kafka_rewinds_total), md delivered $(metric 'orion_kafka_md_total{result="delivered"}')," \
	"md dropped $(metric 'orion_kafka_md_total{result="dropped_queue_full"}')+$(metric 'orion_kafka_md_total{result="dropped_backlog"}')"

"$ORIONCTL" journal dump --json "$T/journal" >"$T/journal.json" 2>"$T/dump.err" ||
	{ bad "orionctl journal dump: $(cat "$T/dump.err")"; exit 1; }

# ---- read every topic back -------------------------------------------------------
: >"$T/all.json"
for stream in marketdata.ticks oms.orders execution.trades risk.alerts session.events admin.changes; do
	topic="$ENV.$stream.v1"
	[ "$(left)" -gt 15 ] || { bad "time budget spent before reading $topic"; exit 1; }
	timeout 30 "${KB_KCAT[@]}" -C -t "$topic" -o beginning -e -q -f '%R%s' >"$T/$stream.bin" 2>"$T/$stream.err" ||
		{ bad "kcat could not read $topic: $(tail -2 "$T/$stream.err")"; continue; }
	"$ORIONCTL" decode <"$T/$stream.bin" >"$T/$stream.json" || { bad "orionctl decode failed on $topic"; continue; }
	sed "s/^/$stream /" "$T/$stream.json" >>"$T/all.json"
	echo "#   $topic: $(wc -l <"$T/$stream.json") messages"
done

python3 - "$T/journal.json" "$T/client.log" "$T/all.json" "$T/resume.txt" "$T/ticks.$run.log" \
	"$(ckpt_seq)" "orion-e2e" <<'PY' || fail=1
import json, sys
jpath, clog, allp, resp, tlog, final_ckpt, producer = sys.argv[1:8]
ok = True
def bad(msg):
    global ok
    ok = False
    print("FAIL " + msg)

# -- journal: the messages each record must give ------------------------------
recs, want = {}, {}      # seq -> record; (stream, event_id) -> seq
last_seq = 0
for line in open(jpath):
    r = json.loads(line)
    s = r["seq"]
    recs[s] = r
    last_seq = max(last_seq, s)
    n = r.get("name")
    if n in ("new", "cancel", "replace", "mass"):
        continue                                   # requests: their effects come as events
    if n == "config":
        want[("admin.changes", str(s))] = s
    elif n == "session":
        want[("session.events", str(s))] = s
    elif n == "event":
        ev = r["ev"]
        if ev == "trade":
            want[("oms.orders", "%d.1" % s)] = s
            want[("oms.orders", "%d.2" % s)] = s
            want[("execution.trades", "%d.3" % s)] = s
        elif ev == "rejected" and r.get("reason", "").startswith("RISK_"):
            want[("oms.orders", "%d.1" % s)] = s
            want[("risk.alerts", "%d.2" % s)] = s
        elif ev in ("accepted", "rejected", "canceled", "replaced", "cancel_rejected"):
            want[("oms.orders", str(s))] = s
        else:
            bad("journal seq %d: event %r not known to this test" % (s, ev))
    else:
        bad("journal seq %d: record %r not known to this test" % (s, n))

# -- client: what it was told ------------------------------------------------
sent, acked, rejected = set(), set(), set()
for line in open(clog):
    f = line.split()
    if len(f) < 2:
        continue
    if f[1] == "S":
        sent.add(f[0])
    elif f[1] == "0":
        acked.add(f[0])
    elif f[1] == "8":
        rejected.add(f[0])

# -- Kafka: every copy, in partition order per key ------------------------------
copies = {}              # (stream, event_id) -> [json text of each copy]
first = {}               # (stream, event_id) -> first decoded copy
order = []               # first copies, in read order
ticks_by_key = {}
types = {}
for line in open(allp):
    stream, js = line.rstrip("\n").split(" ", 1)
    m = json.loads(js)
    k = (stream, m["event_id"])
    copies.setdefault(k, []).append(js)
    types[m["type"]] = types.get(m["type"], 0) + 1
    if m.get("producer") != producer or m.get("version") != 1 or not m.get("entity_id"):
        bad("envelope fields: %s" % js[:200])
    if stream == "marketdata.ticks":
        ticks_by_key.setdefault(m["entity_id"], []).append(m)
    if k not in first:
        first[k] = m
        order.append((stream, m))

jkeys = {k for k in copies if k[0] != "marketdata.ticks"}
lost = sorted(set(want) - jkeys, key=lambda k: want[k])
extra = sorted(jkeys - set(want))
dups = sum(len(v) - 1 for k, v in copies.items() if k[0] != "marketdata.ticks")
tdups = sum(len(v) - 1 for k, v in copies.items() if k[0] == "marketdata.ticks")
print("#   journal: %d records (last seq %d) give %d messages; Kafka: %d distinct, %d duplicates, %d lost, %d unexpected"
      % (len(recs), last_seq, len(want), len(jkeys), dups, len(lost), len(extra)))
print("#   types read (all copies): %s" % ", ".join("%s %d" % kv for kv in sorted(types.items())))
if lost:
    bad("%d journal messages never reached Kafka, e.g. %s" % (len(lost), lost[:8]))
if extra:
    bad("%d messages in Kafka that no journal record gives, e.g. %s" % (len(extra), extra[:8]))
if final_ckpt != str(last_seq):
    bad("checkpoint after the clean stop is %r, the journal ends at %d" % (final_ckpt, last_seq))

# every copy of one event id is the same envelope (tick ids carry the run, so
# a restart's ticks never share an id with an earlier run's).
def norm(k, js):
    if k[0] != "marketdata.ticks":
        return js
    m = json.loads(js)
    m.pop("time_ns", None)
    if "tick" in m:
        m["tick"].pop("recv_ns", None)
    return json.dumps(m, sort_keys=True)
differ = [k for k, v in copies.items() if len({norm(k, js) for js in v}) > 1]
if differ:
    k = differ[0]
    v = [json.loads(norm(k, js)) for js in copies[k]]
    a, b = v[0], next(x for x in v if x != v[0])
    fields = sorted(f for f in set(a) | set(b) if a.get(f) != b.get(f))
    bad("%d event ids have copies that differ, e.g. %s in %s" % (len(differ), k, fields))

# content matches the journal record named by the event id
ORDER_FIELD = {"OrderAccepted": "order_accepted", "OrderRejected": "order_rejected",
               "OrderCanceled": "order_canceled", "OrderReplaced": "order_replaced",
               "OrderFilled": "order_filled"}
mism = []
for (stream, eid), m in first.items():
    if stream == "marketdata.ticks" or (stream, eid) not in want:
        continue
    s = want[(stream, eid)]
    r = recs[s]
    if m.get("journal_seq") != s:
        mism.append((eid, "journal_seq %s" % m.get("journal_seq")))
        continue
    if m["type"] in ORDER_FIELD:
        o = m[ORDER_FIELD[m["type"]]]["order"]
        pfx = ""
        if m["type"] == "OrderFilled":
            pfx = "maker_" if eid.endswith(".1") else "taker_"
        if o.get("cl_ord_id") != r.get(pfx + "clordid") or o.get("order_id", 0) != r.get(pfx + "order_id"):
            mism.append((eid, "order %s/%s vs journal %s/%s" % (o.get("cl_ord_id"), o.get("order_id"),
                                                            r.get(pfx + "clordid"), r.get(pfx + "order_id"))))
        if m.get("entity_seq") != r.get("ev_seq"):
            mism.append((eid, "entity_seq %s vs ev_seq %s" % (m.get("entity_seq"), r.get("ev_seq"))))
    elif m["type"] == "Trade" and m["trade"].get("trade_id") != r.get("trade_id"):
        mism.append((eid, "trade_id"))
    elif m["type"] in ("SessionLogon", "SessionLogout"):
        want_t = "SessionLogon" if r.get("kind") == "logon" else "SessionLogout"
        if m["type"] != want_t:
            mism.append((eid, m["type"]))
if mism:
    bad("%d messages disagree with their journal record, e.g. %s" % (len(mism), mism[:5]))

# -- orders against the client ---------------------------------------------------
accepted = {}
for (stream, eid), m in first.items():
    if m["type"] == "OrderAccepted":
        o = m["order_accepted"]["order"]
        accepted[o["cl_ord_id"]] = o.get("order_id")
not_exported = sorted(acked - set(accepted))
never_told = sorted(set(accepted) - acked)
print("#   client: %d orders sent, %d acknowledged (150=0), %d rejected; Kafka: %d OrderAccepted"
      % (len(sent), len(acked), len(rejected & sent), len(accepted)))
if not acked:
    bad("no order was acknowledged to the client")
if not_exported:
    bad("%d orders acknowledged to the client have no OrderAccepted: %s" % (len(not_exported), not_exported[:10]))
if never_told:
    bad("%d OrderAccepted for orders the client was never told about: %s" % (len(never_told), never_told[:10]))

# -- per-key order (journal topics: first copies in journal sequence order) -----
last = {}
viol = []
for stream, m in order:
    if stream == "marketdata.ticks":
        continue
    key = (stream, m["entity_id"])
    cur = (m.get("journal_seq", 0), m.get("entity_seq", 0))
    prev = last.get(key)
    if prev and not (cur[0] > prev[0] and cur[1] >= prev[1]):
        viol.append((key, prev, cur, m["event_id"]))
    last[key] = cur
print("#   per-key order: %d keys checked, %d out of order" % (len(last), len(viol)))
if viol:
    bad("events out of order within a key (key, previous (journal_seq, entity_seq), this, event_id): %s" % viol[:5])

# -- trades, sessions ---------------------------------------------------------------
trades = [m for (s, e), m in first.items() if m["type"] == "Trade"]
if not trades:
    bad("no Trade in execution.trades")
for t in trades:
    for side in ("maker", "taker"):
        cl = t["trade"][side]["cl_ord_id"]
        if cl not in acked:
            bad("trade %s: %s order %s was never acknowledged to the client" % (t["trade"]["trade_id"], side, cl))
            break
logons = sum(1 for m in first.values() if m["type"] == "SessionLogon")
logouts = sum(1 for m in first.values() if m["type"] == "SessionLogout")
print("#   %d trades, %d session logons, %d logouts" % (len(trades), logons, logouts))
if logons < 2:
    bad("only %d SessionLogon (one per run that logged on expected)" % logons)
if logouts < 1:
    bad("no SessionLogout (the final logout)")

# -- duplicates bounded by the checkpoints ---------------------------------------------
resumes = [int(l.split()[1]) for l in open(resp) if l.strip()]
over = []
for k, v in copies.items():
    if k[0] == "marketdata.ticks" or k not in want:
        continue
    s = want[k]
    allowed = 1 + sum(1 for c in resumes if c < s)
    if len(v) > allowed:
        over.append((k, len(v), allowed))
print("#   duplicates: %d journal messages re-sent (resumed from checkpoints %s), %d tick copies "
      "(every start replays the pcap)" % (dups, resumes, tdups))
if over:
    bad("%d events sent more often than the checkpoints allow (a resume before its checkpoint?): %s"
        % (len(over), over[:5]))

# -- ticks ------------------------------------------------------------------------------
nticks = sum(len(v) for v in ticks_by_key.values())
notconf = sum(1 for v in ticks_by_key.values() for m in v if m["type"] == "Tick" and not m["tick"].get("conflated"))
tick_ooo = []
for key, v in ticks_by_key.items():
    ts = [m["tick"]["recv_ns"] for m in v if m["type"] == "Tick"]
    for a, b in zip(ts, ts[1:]):
        if b < a:
            tick_ooo.append(key)
            break
final_ids = set()
for line in open(tlog):
    f = line.split()
    if f and f[0] == "C":
        final_ids.add("%s.%s.%s" % (f[2], f[3], f[5]))
# tick ids are <source>.<instrument>.<run>.<seqno>; the tick log knows seqno
got_ids = {".".join(e.split(".")[:2] + e.split(".")[3:]) for (s, e) in copies if s == "marketdata.ticks"}
missing_ticks = sorted(final_ids - got_ids)
print("#   ticks: %d messages over %d instruments (%d not conflated, %d keys out of receive order); "
      "last run logged %d conflated ticks, %d of them not in Kafka"
      % (nticks, len(ticks_by_key), notconf, len(tick_ooo), len(final_ids), len(missing_ticks)))
if not nticks:
    bad("no tick in marketdata.ticks")
if notconf:
    bad("%d raw ticks exported with market_data = conflated" % notconf)
if tick_ooo:
    bad("ticks out of receive order within instruments %s" % tick_ooo[:5])
if not final_ids:
    bad("the last run logged no conflated tick")
if missing_ticks:
    bad("conflated ticks of the clean last run not exported: %s" % missing_ticks[:8])
if ok:
    print("ok   no loss, per-key order kept, acknowledged orders = exported OrderAccepted")
sys.exit(0 if ok else 1)
PY

echo "# $run oriond starts, $(($(date +%s) - START)) s"
[ $fail -eq 0 ] && echo "PASS oriond_kafka" || echo "FAIL oriond_kafka"
exit $fail
