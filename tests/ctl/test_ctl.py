#!/usr/bin/env python3
"""Integration test of orionctl's REST subcommands (status, sessions, kill,
limits, instruments, users) against tests/cp/cp_testd on 127.0.0.1, plus two
tiny local servers: one answering chunked (status summary of dataplane
metrics, not ready) and one that never answers (timeout).

usage: test_ctl.py PATH/TO/orionctl PATH/TO/cp_testd
Exit 0 all passed, 1 a check failed, 77 skipped (with the reason).
"""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

T0 = time.time()
FAILS = []
CHECKS = 0


def check(cond, what):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, flush=True)
    return cond


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


class Testd:
    def __init__(self, exe, conf_text, tmp, name):
        self.conf = os.path.join(tmp, name + ".conf")
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.err = open(os.path.join(tmp, name + ".err"), "w")
        self.p = subprocess.Popen([exe, "-c", self.conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True)
        line = self.p.stdout.readline()
        if not line.startswith("LISTENING "):
            self.p.kill()
            raise RuntimeError("cp_testd did not start: " + open(self.err.name).read())
        self.port = int(line.split()[1])

    def stop(self):
        if self.p.poll() is None:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.err.close()
        return self.p.returncode


class Ctl:
    """Runs orionctl with a clean environment; paces logins like the server's
    per-user login bucket (burst 5, 1 per second) so no run is throttled."""

    def __init__(self, exe):
        self.exe = exe
        self.buckets = {}

    def pace(self, key):
        now = time.time()
        tokens, last = self.buckets.get(key, (5.0, now))
        tokens = min(5.0, tokens + (now - last))
        if tokens < 1.0:
            time.sleep(1.0 - tokens + 0.05)
            t = time.time()
            tokens, now = min(5.0, tokens + (t - now)), t
        self.buckets[key] = (tokens - 1.0, now)

    def run(self, args, url, user=None, pw=None, how="stdin", env=None, stdin=None, login=True, timeout=15):
        e = {k: v for k, v in os.environ.items() if not k.startswith("ORION_")}
        e["ORION_URL"] = url
        e.update(env or {})
        cmd = [self.exe] + args
        if user:
            cmd += ["--user", user]
        if pw is not None:
            if how == "stdin":
                cmd.append("--password-stdin")
                stdin = pw + "\n"
            elif how == "env":
                e["ORION_PASSWORD"] = pw
            else:
                cmd += ["--password", pw]
        if login and (user or "ORION_USER" in e):
            self.pace((url, user or e["ORION_USER"]))
        r = subprocess.run(cmd, input=stdin if stdin is not None else "", capture_output=True, text=True, env=e,
                           timeout=timeout)
        return r.returncode, r.stdout, r.stderr


def js(out):
    try:
        return json.loads(out)
    except ValueError:
        return None


def api(port, method, path, body=None, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data else None)


def wait_order(port, tok, oid, pred, timeout=3.0):
    end = time.time() + timeout
    o = None
    while time.time() < end:
        s, o = api(port, "GET", "/api/v1/orders/" + oid, token=tok)
        if s == 200 and pred(o):
            return o
        time.sleep(0.05)
    return o


# ---- little local servers -------------------------------------------------------
METRICS = """# HELP orion_uptime_seconds Seconds since start.
# TYPE orion_uptime_seconds gauge
orion_uptime_seconds 3661.5
orion_lcore_busy_ratio{lcore="1"} 0.2500
orion_lcore_busy_ratio{lcore="2"} 0.0010
orion_feed_packets_total{feed="itch",line="A"} 100
orion_feed_packets_total{feed="itch",line="B"} 40
orion_feed_packets_total{feed="itch",line="R"} 10
orion_md_arb_gaps_opened_total{feed="itch"} 3
orion_md_arb_gaps_filled_total{feed="itch"} 2
orion_md_arb_gaps_unrecoverable_total{feed="itch"} 1
orion_fix_connections_open 2
orion_me_accepted_total 42
orion_kafka_lag_records 7
"""


def chunked(body):
    b = body.encode()
    out = b""
    for i in range(0, len(b), 97):
        part = b[i:i + 97]
        out += b"%x;ext=1\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\nX-Trailer: t\r\n\r\n"


def fake_server():
    """Answers /healthz (Content-Length), /readyz (503, chunked), /metrics
    (chunked, in many chunks and writes). Returns (port, stop)."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    ls.settimeout(0.2)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                c, _ = ls.accept()
            except socket.timeout:
                continue
            c.settimeout(5)
            req = b""
            while b"\r\n\r\n" not in req:
                d = c.recv(4096)
                if not d:
                    break
                req += d
            path = req.split(b" ")[1].decode() if req.count(b" ") >= 2 else "/"
            if path == "/healthz":
                c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n'
                          b'{"status":"ok"}')
            elif path == "/readyz":
                c.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n" + chunked('{"status":"not ready"}'))
            else:
                data = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + \
                    chunked(METRICS)
                for i in range(0, len(data), 200):
                    c.sendall(data[i:i + 200])
                    time.sleep(0.001)
            c.close()
        ls.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return ls.getsockname()[1], stop


# ---- the test --------------------------------------------------------------------
def main():
    if len(sys.argv) < 3 or not os.access(sys.argv[1], os.X_OK) or not os.access(sys.argv[2], os.X_OK):
        skip("usage: test_ctl.py PATH/TO/orionctl PATH/TO/cp_testd")
    ctl = Ctl(sys.argv[1])
    testd = sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="ctl_")

    def hashpw(pw):
        return subprocess.check_output([testd, "hash-password", "-t", "1", "-m", "64", "--password", pw],
                                       text=True).strip()

    users = {
        "plat": ("default", "PLATFORM", "*"),
        "carol": ("acme", "RISK", "*"),
        "dave": ("acme", "ADMIN", "*"),
        "alice": ("acme", "TRADER", "AAPL,MSFT"),
        "bob": ("globex", "TRADER", "*"),
        "ops": ("globex", "ADMIN", "*"),
    }
    pw = {u: u + "-pass-1" for u in users}
    conf = ("[cp]\nlisten = 127.0.0.1:0\naudit_log = %s\nmarket_data = raw\nrate_limit_per_s = 1000\n"
            "rate_limit_burst = 1000\n[tenant acme]\nid = 1\n[tenant globex]\nid = 2\n[testd]\ninstruments = 8\n"
            "hz = 50\n") % os.path.join(tmp, "audit.log")
    for u, (ten, role, ins) in users.items():
        conf += "[user %s]\ntenant = %s\nrole = %s\npassword_hash = %s\ninstruments = %s\n" % (
            u, ten, role, hashpw(pw[u]), ins)
        if u == "bob":
            conf += "account = 2\n"
        if u == "alice":  # acme's desk account (users without one trade on their own)
            conf += "account = 0\n"
    d = Testd(testd, conf, tmp, "main")
    try:
        run(ctl, d, pw)
    finally:
        rc = d.stop()
        check(rc == 0, "cp_testd exit status %s" % rc)
    local_servers(ctl)
    tls(ctl, testd, tmp, hashpw)
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d checks, %d failed, %.1f s" % (CHECKS, len(FAILS), time.time() - T0))
    return 1 if FAILS else 0


def run(ctl, d, pw):
    url = "http://127.0.0.1:%d" % d.port

    def as_(user, args, how="stdin"):
        return ctl.run(args, url, user=user, pw=pw[user], how=how)

    # --- status (no login)
    rc, out, err = ctl.run(["status"], url)
    check(rc == 0 and re.search(r"^health\s+ok$", out, re.M) and re.search(r"^ready\s+ready$", out, re.M) and
          re.search(r"^WS clients\s+0$", out, re.M) and "Kafka lag" not in out, "status table: %r %r" % (out, err))
    rc, out, err = ctl.run(["status", "--json"], url)
    j = js(out)
    check(rc == 0 and j and j["healthy"] is True and j["ready"] is True and j["metrics"] is True and
          j["kafkaLag"] is None and j["wsClients"] == 0 and j["url"] == url, "status --json: %r" % out)
    rc, out, err = ctl.run(["status", "--url", url], "http://127.0.0.1:9")
    check(rc == 0, "--url overrides ORION_URL")

    # --- sessions
    rc, out, err = as_("plat", ["sessions"])
    check(rc == 0 and "CLIENT1->ORION" in out and "CLIENT2->ORION" in out and "2 FIX session(s)" in out and
          re.search(r"^0\s+CLIENT1->ORION\s+0\s+yes\s+12\s+15$", out, re.M), "sessions table (plat): %r %r" % (out, err))
    rc, out, err = as_("dave", ["sessions", "--json"], how="env")
    j = js(out)
    check(rc == 0 and j and [s["tenant"] for s in j["sessions"]] == [1], "sessions --json (ADMIN, own tenant): %r" % out)

    # --- instruments
    rc, out, err = as_("dave", ["instruments"])
    check(rc == 0 and "8 instrument(s)" in out and re.search(r"^MSFT\s+1\s+0\.01\s+10\s+yes\s+OPEN$", out, re.M),
          "instruments (venue list for ADMIN): %r %r" % (out, err))
    rc, out, err = ctl.run(["instruments", "--json", "--tenant", "acme"], url, user="alice", pw=pw["alice"], how="flag")
    j = js(out)
    check(rc == 0 and j and sorted(i["instrumentId"] for i in j["instruments"]) == ["AAPL", "MSFT"],
          "instruments --json (TRADER: entitled only): %r %r" % (out, err))

    # --- users
    rc, out, err = as_("dave", ["users"])
    names = re.findall(r"^(\S+)\s+(?:acme|globex|default)\s", out, re.M)
    check(rc == 0 and sorted(names) == ["alice", "carol", "dave"] and "5 user(s)" not in out and
          "3 user(s)" in out, "users (ADMIN: own tenant): %r %r" % (out, err))
    rc, out, err = as_("plat", ["users", "--json"])
    j = js(out)
    check(rc == 0 and j and sorted(u["username"] for u in j["users"]) == sorted(pw) and
          all("hash" not in json.dumps(u) for u in j["users"]), "users --json (PLATFORM: everyone): %r" % out)
    rc, out, err = as_("alice", ["users"])
    check(rc == 1 and err.startswith("orionctl: FORBIDDEN: role TRADER may not list users"), "TRADER users: %r" % err)

    # --- authentication failures
    rc, out, err = ctl.run(["users"], url, user="dave", pw="wrong-password")
    check(rc == 1 and err == "orionctl: INVALID_CREDENTIALS: unknown user or wrong password\n" and out == "",
          "bad password -> exit 1 with the code: %r" % err)
    rc, out, err = ctl.run(["users", "--tenant", "globex"], url, user="dave", pw=pw["dave"], how="flag")
    check(rc == 1 and "INVALID_CREDENTIALS" in err, "wrong tenant: %r" % err)
    rc, out, err = ctl.run(["users"], url, env={"ORION_USER": "dave", "ORION_PASSWORD": pw["dave"]})
    check(rc == 0 and "3 user(s)" in out, "ORION_USER / ORION_PASSWORD: %r %r" % (out, err))
    rc, out, err = ctl.run(["users", "--password-stdin"], url, user="dave", stdin="", login=False)
    check(rc == 1 and "stdin" in err, "--password-stdin with nothing on stdin: %r" % err)

    # --- kill switch: on -> visible in limits show, order rejected; off
    rc, out, err = as_("carol", ["kill", "on", "--scope", "tenant", "--cancel"])
    check(rc == 0 and out == "kill switch ON: tenant 1 (resting orders canceled)\n", "kill on tenant: %r %r" % (out, err))
    rc, out, err = as_("carol", ["limits", "show"])
    sect = out.split("\n\n")[0] if out else ""
    check(rc == 0 and re.search(r"^  tenant 1 since \S+ by carol \(resting orders canceled\)$", sect, re.M),
          "kill switch visible in limits show: %r %r" % (out, err))
    s, lj = api(d.port, "POST", "/api/v1/auth/login", {"username": "alice", "password": pw["alice"]})
    ctl.pace((url, "alice"))
    tok = lj["token"] if s == 200 else ""
    s, oj = api(d.port, "POST", "/api/v1/orders", {"instrumentId": "AAPL", "side": "BUY", "quantity": 1,
                                                   "price": "100"}, token=tok)
    o = wait_order(d.port, tok, oj["id"], lambda o: o["status"] == "REJECTED") if s == 202 else None
    check(o is not None and o["status"] == "REJECTED" and "tenant" in o.get("reason", ""),
          "order under the kill switch rejected: %r" % (o,))
    rc, out, err = as_("carol", ["kill", "off", "--scope", "tenant", "--json"])
    j = js(out)
    check(rc == 0 and j and j["ok"] is True and j["command"]["killScope"] == "tenant" and j["command"]["on"] is False,
          "kill off --json: %r" % out)
    rc, out, err = as_("carol", ["limits", "show"])
    check(rc == 0 and out.startswith("Kill switches on (as set through the API):\n  none\n"), "kill off in limits show: %r" % out)
    s, oj = api(d.port, "POST", "/api/v1/orders", {"instrumentId": "AAPL", "side": "BUY", "quantity": 1,
                                                   "price": "100"}, token=tok)
    o = wait_order(d.port, tok, oj["id"], lambda o: o["status"] != "PENDING_NEW") if s == 202 else None
    check(o is not None and o["status"] != "REJECTED", "order accepted after kill off: %r" % (o,))
    rc, out, err = as_("carol", ["kill", "on", "--scope", "global"])
    check(rc == 1 and err == "orionctl: FORBIDDEN: only PLATFORM may use the global kill switch (scope)\n",
          "RISK global kill refused with code and field: %r" % err)
    rc, out, err = as_("carol", ["kill", "on", "--scope", "tenant", "--id", "globex"])
    check(rc == 1 and "FORBIDDEN" in err and err.endswith("(tenant)\n"), "another tenant's kill switch: %r" % err)
    rc, out, err = as_("carol", ["kill", "on", "--scope", "session", "--id", "alice"])
    check(rc == 0 and re.match(r"kill switch ON: session 10\d\d\n$", out), "kill session by user name: %r %r" % (out, err))
    rc, out, err = as_("carol", ["kill", "off", "--scope", "account", "--id", "0"])
    check(rc == 0 and out == "kill switch OFF: account 0\n", "kill account: %r %r" % (out, err))
    rc, out, err = as_("plat", ["kill", "on", "--scope", "global"])
    check(rc == 0 and out == "kill switch ON: global\n", "PLATFORM global kill: %r %r" % (out, err))
    rc, out, err = as_("plat", ["kill", "off", "--scope", "global"])
    check(rc == 0 and out == "kill switch OFF: global\n", "PLATFORM global release: %r %r" % (out, err))

    # --- limits set / show
    rc, out, err = as_("carol", ["limits", "set", "--scope", "session", "--id", "alice", "--rate-per-sec", "5",
                                 "--burst", "10", "--max-open-orders", "50"])
    check(rc == 0 and re.match(r"limits set: session 10\d\d maxOpenOrders=50 ratePerSec=5 burst=10\n$", out),
          "limits set session: %r %r" % (out, err))
    rc, out, err = as_("carol", ["limits", "set", "--scope", "account", "--id", "0", "--max-order-qty", "500",
                                 "--credit-limit", "1000000.5"])
    check(rc == 0 and out == "limits set: account 0 maxOrderQty=500 maxOpenOrders=0 maxNotional=0 "
          "creditLimit=1000000.5\n", "limits set account: %r %r" % (out, err))
    rc, out, err = as_("carol", ["limits", "set", "--scope=user", "--id=alice", "--max-notional=5000000"])
    check(rc == 0 and out == "limits set: user alice maxNotional=5000000\n", "limits set user: %r %r" % (out, err))
    rc, out, err = as_("carol", ["limits", "set", "--scope", "account", "--id", "2", "--max-order-qty", "5"])
    check(rc == 1 and err == "orionctl: FORBIDDEN: this account is not one of your tenant's (account)\n",
          "another tenant's account: %r" % err)
    rc, out, err = as_("carol", ["limits", "set", "--scope", "account", "--id", "5000", "--max-order-qty", "5"])
    check(rc == 1 and re.match(r"orionctl: BAD_VALUE: .* \(account\)\n$", err), "account out of range: %r" % err)
    rc, out, err = as_("plat", ["limits", "set", "--scope", "collar", "--id", "*", "--bps", "500", "--json"])
    j = js(out)
    check(rc == 0 and j and j["command"] == {"scope": "collar", "instrument": -1, "bps": 500}, "collar --json: %r" % out)
    rc, out, err = as_("plat", ["limits", "set", "--scope", "refPrice", "--id", "AAPL", "--price", "150.25"])
    check(rc == 0 and out == "limits set: instrument 0 price=150.25\n", "refPrice: %r %r" % (out, err))
    rc, out, err = as_("carol", ["limits", "show"])
    check(rc == 0 and re.search(r"carol\s+session\s+session 10\d\d\s+maxOpenOrders=50 ratePerSec=5 burst=10", out) and
          re.search(r"carol\s+account\s+account 0\s+maxOrderQty=500", out) and "collar" not in out and
          re.search(r"^alice\s+10\d\d\s+0\s+5000000$", out, re.M), "limits show (RISK, tenant view): %r" % out)
    rc, out, err = as_("plat", ["limits", "show", "--json"])
    j = js(out)
    scopes = sorted(c["command"]["scope"] for c in j["commands"]) if j else []
    check(rc == 0 and "collar" in scopes and "refPrice" in scopes and "kill" in scopes and "account" in scopes and
          len(j["users"]) == len(pw), "limits show --json (PLATFORM): %r" % scopes)

    # --- login throttling: retried after Retry-After, within the deadline
    t = time.time()
    errs = []
    ok = True
    for _ in range(7):
        rc, out, err = ctl.run(["sessions"], url, user="ops", pw=pw["ops"], login=False)
        ok = ok and rc == 0 and "0 FIX session(s)" in out
        errs.append(err)
    check(ok and (time.time() - t > 4 or any("retrying" in e for e in errs)),
          "throttled logins retried: %r" % errs)

    # --- usage errors (exit 2, before any connection: the URL is dead)
    dead = "http://127.0.0.1:9"
    for args in (["kill"], ["kill", "maybe", "--scope", "global"], ["kill", "on"],
                 ["kill", "on", "--scope", "planet"], ["kill", "on", "--scope", "global", "--id", "3"],
                 ["kill", "on", "--scope", "account"], ["kill", "on", "--scope", "account", "--id", "x1"],
                 ["limits"], ["limits", "drop"], ["limits", "set", "--scope", "account", "--id", "0"],
                 ["limits", "set", "--scope", "session", "--id", "alice", "--bps", "3"],
                 ["limits", "set", "--scope", "account", "--id", "0", "--credit-limit", "1e5"],
                 ["limits", "set", "--scope", "account", "--id", "0", "--max-order-qty", "-5"],
                 ["limits", "set", "--scope", "collar", "--id", "AAPL"], ["limits", "set", "--id", "0"],
                 ["limits", "show", "--scope", "account"], ["users", "--bogus"], ["users", "extra"],
                 ["sessions", "--cancel"], ["users", "--timeout", "0"], ["users", "--url", "ftp://x"],
                 ["users", "--password", "x", "--password-stdin"], ["users", "--json=1"]):
        rc, out, err = ctl.run(args, dead, user="carol", pw="x", how="flag", login=False)
        check(rc == 2 and err.startswith("orionctl: ") and out == "", "usage error %s -> 2: %d %r" % (args, rc, err))
    rc, out, err = ctl.run(["users"], dead, login=False)
    check(rc == 2 and "--user" in err, "no user -> 2: %r" % err)
    rc, out, err = ctl.run(["users", "--user", "carol"], dead, login=False)
    check(rc == 2 and "password" in err, "no password -> 2: %r" % err)
    rc, out, err = ctl.run(["kill", "--help"], dead, login=False)
    check(rc == 0 and "kill on|off --scope" in out, "kill --help: %r" % out)
    rc, out, err = ctl.run(["help"], dead, login=False)
    check(rc == 0 and "limits show" in out and "journal" in out, "orionctl help lists both: %r" % out)

    # --- connection failures (exit 1 with the reason)
    rc, out, err = ctl.run(["status"], dead)
    check(rc == 1 and "Connection refused" in err, "status, nothing listening: %r" % err)
    rc, out, err = ctl.run(["users"], dead, user="carol", pw="x", login=False)
    check(rc == 1 and "Connection refused" in err, "users, nothing listening: %r" % err)


def local_servers(ctl):
    port, stop = fake_server()
    url = "http://127.0.0.1:%d" % port
    try:
        rc, out, err = ctl.run(["status"], url)
        check(rc == 1 and re.search(r"^ready\s+not ready$", out, re.M) and re.search(r"^uptime\s+01:01:01$", out, re.M)
              and re.search(r"^lcore busy\s+1: 25\.0%  2: 0\.1%$", out, re.M) and
              re.search(r"^feed packets\s+150$", out, re.M) and
              re.search(r"^feed gaps\s+opened 3, filled 2, unrecoverable 1$", out, re.M) and
              re.search(r"^FIX sessions\s+2 connected$", out, re.M) and re.search(r"^orders\s+42 accepted$", out, re.M)
              and re.search(r"^Kafka lag\s+7 records$", out, re.M), "status summary over chunked answers: %r %r" %
              (out, err))
        rc, out, err = ctl.run(["status", "--json"], url)
        j = js(out)
        check(rc == 1 and j and j["ready"] is False and j["healthy"] is True and j["uptimeSeconds"] == 3661.5 and
              j["feedPackets"] == 150 and j["feedGaps"] == {"opened": 3, "filled": 2, "unrecoverable": 1} and
              j["fixSessionsConnected"] == 2 and j["ordersAccepted"] == 42 and j["kafkaLag"] == 7 and
              [x["lcore"] for x in j["lcoreBusy"]] == ["1", "2"], "status --json summary: %r" % out)
    finally:
        stop.set()
    # a server that accepts (backlog) and never answers: the deadline holds
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    try:
        t = time.time()
        rc, out, err = ctl.run(["status", "--timeout", "1"], "http://127.0.0.1:%d" % ls.getsockname()[1])
        dt = time.time() - t
        check(rc == 1 and "timed out" in err and dt < 3, "silent server: exit 1 after the timeout (%.1f s) %r" % (dt, err))
    finally:
        ls.close()


def tls(ctl, testd, tmp, hashpw):
    openssl = shutil.which("openssl")
    if not openssl:
        print("NOTE: openssl CLI absent: TLS part not run")
        return
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    r = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode:
        print("NOTE: cannot make a certificate: TLS part not run")
        return
    conf = "[cp]\nlisten = 127.0.0.1:0\ntls_cert = %s\ntls_key = %s\n" % (cert, key)
    conf += "[user tess]\nrole = ADMIN\ninstruments = *\npassword_hash = %s\n" % hashpw("tess-pass-1")
    d = Testd(testd, conf, tmp, "tls")
    url = "https://127.0.0.1:%d" % d.port
    try:
        rc, out, err = ctl.run(["status", "--cacert", cert], url)
        check(rc == 0 and re.search(r"^health\s+ok$", out, re.M), "status over TLS, verified: %r %r" % (out, err))
        rc, out, err = ctl.run(["users", "--cacert", cert], url, user="tess", pw="tess-pass-1")
        check(rc == 0 and re.search(r"^tess\s+default\s+ADMIN", out, re.M), "users over TLS: %r %r" % (out, err))
        rc, out, err = ctl.run(["status"], url)
        check(rc == 1 and "certificate" in err, "unknown CA refused: %r" % err)
        rc, out, err = ctl.run(["status", "--cacert", os.path.join(tmp, "nope.pem")], url)
        check(rc == 1 and "nope.pem" in err, "missing CA file: %r" % err)
        rc, out, err = ctl.run(["status", "--insecure"], url)
        check(rc == 0, "--insecure skips verification: %r" % err)
        rc, out, err = ctl.run(["status"], "http://127.0.0.1:%d" % d.port)
        check(rc == 1 and err.startswith("orionctl: "), "plain HTTP to the TLS port fails cleanly: %r" % err)
    finally:
        d.stop()


if __name__ == "__main__":
    sys.exit(main())
