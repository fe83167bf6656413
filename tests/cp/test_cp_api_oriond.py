#!/usr/bin/env python3
"""The control plane's REST + WebSocket API against the real oriond (not the
cp_testd harness): oriond runs with FIX order entry, four instruments, risk,
a journal and [cp] with three tenants on 127.0.0.1 (no feed: the engine's own
book ticks are the market data). A raw FIX 4.4 client (oriond_env.Fix) rests
orders that API orders fill against. Reuses test_cp_api.py's HTTP and
WebSocket clients and checks.

usage: test_cp_api_oriond.py ORIOND ORIONCTL
Exit 0 all passed, 1 a check failed, 77 skipped (with the reason).

What test_cp_api.py checks against cp_testd's fake hooks and this does not:
the 503 BUSY back-pressure (cp_testd's "busy" command fills a fake order
ring), the feed event notification (its "event" command; no feed here), the
slow WebSocket consumer (needs cp_testd's 64-instrument 50 Hz random walk to
overflow a client), and its testd_* metrics (replaced by oriond's own).
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oriond_env as oe  # noqa: E402
import test_cp_api as t  # noqa: E402
from test_cp_api import Api, Ws, check, is_err, ws_try, metric, wait_order  # noqa: E402

O = "/api/v1/orders"
INSTRUMENTS = [("AAPL", "0.01", 1, "150.00", 20), ("MSFT", "0.01", 10, "400.00", 20),
               ("GOOG", "0.01", 1, "140.00", 20), ("TSLA", "0.01", 1, "250.00", 20)]
USERS = {  # tenant, role, instruments, max_notional, account
    "alice": ("acme", "TRADER", "AAPL,MSFT,GOOG", "100000", 100),
    "bob": ("globex", "TRADER", "*", "0", 200),
    "carol": ("acme", "RISK", "*", "0", None),
    "dave": ("acme", "ADMIN", "*", "0", None),
    "plat": ("default", "PLATFORM", "*", "0", None),
    "eve": ("acme", "ANALYST", "AAPL", "0", None),
    "mallory": ("acme", "TRADER", "AAPL", "0", None),
    "spam": ("globex", "TRADER", "AAPL", "0", 201),
    "zed": ("globex", "TRADER", "*", "0", 202),
}
DEADLINE = time.time() + 110


def budget():
    if time.time() > DEADLINE:
        raise RuntimeError("over the time budget")


def cp_section(web, audit, hashes, extra=""):
    s = ("[cp]\nlisten = 127.0.0.1:0\nweb_root = %s\naudit_log = %s\nconflate_interval = 100ms\nheartbeat = 1s\n"
         "ws_stall_timeout = 2s\nrate_limit_per_s = 50\nrate_limit_burst = 60\nmax_body = 1024\n"
         "flag.newBlotter = true\n%s[tenant default]\nid = 0\n[tenant acme]\nid = 1\n[tenant globex]\nid = 2\n"
         % (web, audit, extra))
    for u, (ten, role, ins, mn, acct) in USERS.items():
        s += "[user %s]\ntenant = %s\nrole = %s\npassword_hash = %s\ninstruments = %s\n" % (
            u, ten, role, hashes[u], ins)
        if mn != "0":
            s += "max_notional = %s\n" % mn
        if acct is not None:
            s += "account = %d\n" % acct
        if u == "mallory":
            s += "disabled = true\n"
    return s


def rest_orders(fx):
    """The venue's resting book, from FIX: for each instrument a sell at
    ref and a buy at ref - 1 (1000 each, GTC)."""
    ids = {}
    for sym, _, lot, ref, _ in INSTRUMENTS:
        r = float(ref)
        q = 1000 if lot == 1 else 1000 * lot
        ids[sym] = (fx.new_order(sym, 2, q, "%.2f" % r, tif="1"), fx.new_order(sym, 1, q, "%.2f" % (r - 1), tif="1"))
    ok = all(oe.is_new(fx.wait(c, oe.is_final) or {}) for pair in ids.values() for c in pair)
    check(ok, "FIX resting orders acknowledged (New) on every instrument")
    return ids


def main():
    if len(sys.argv) < 3 or not os.access(sys.argv[1], os.X_OK) or not os.access(sys.argv[2], os.X_OK):
        t.skip("usage: test_cp_api_oriond.py PATH/TO/oriond PATH/TO/orionctl (built)")
    exe, ctl = sys.argv[1], sys.argv[2]
    # meson's timeout sends SIGTERM: unwind through the finally blocks (oriond stopped)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="cp_api_oriond_")
    web = os.path.join(tmp, "web")
    os.mkdir(web)
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><title>orion test</title>")
    pw = {u: u + "-pass-1" for u in USERS}
    hashes = {u: oe.hash_password(ctl, pw[u]) for u in USERS}
    fix_port = oe.free_port()
    audit = os.path.join(tmp, "audit.log")
    conf = oe.write_config(tmp, fix_port, cp_section(web, audit, hashes), INSTRUMENTS, {"collar_pct": 30})
    d = oe.Oriond(exe, conf, os.path.join(tmp, "oriond.log"))
    fx = fx2 = None
    ok = False
    try:
        port = d.start()
        fx = oe.Fix(fix_port, "CLIENT1").connect()
        fx2 = oe.Fix(fix_port, "CLIENT2").connect()
        run(Api(port), d, fx, fx2, pw, hashes)
        ok = True
    finally:
        for c in (fx, fx2):
            if c:
                c.close(logout=False)
        rc = d.stop()
        if not ok or t.FAILS:
            print("---- oriond output (tail)\n" + d.output()[-4000:])
    check(rc == 0, "oriond exit status %s" % rc)
    out = d.output()
    check("orion_cp_" in out or "orion_og_" in out, "oriond printed its final statistics")
    r = subprocess.run([ctl, "journal", "verify", os.path.join(tmp, "journal")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, "orionctl journal verify after the run: %s" % r.stdout.strip()[-300:])
    budget()
    restart_keeps_api_orders(d, pw)
    tls_and_expiry(exe, ctl, tmp)
    a = open(audit).read()
    check('"event":"login_failed"' in a and '"event":"kill_switch"' in a and '"event":"user_created"' in a,
          "audit log has logins, failures and admin actions")
    check("alice-pass-1" not in a, "audit log never holds a password")
    shutil.rmtree(tmp, ignore_errors=True)
    print("%d checks, %d failed, %.1f s" % (t.CHECKS, len(t.FAILS), time.time() - t.T0))
    return 1 if t.FAILS else 0


def md_of(msg, sym):
    return [u for u in t.md_rows(msg) if u["instrumentId"] == sym]


def run(api, d, fx, fx2, pw, hashes):
    port = api.port
    # --- health, metrics, static
    check(api.req("GET", "/healthz")[0] == 200, "healthz")
    check(api.req("GET", "/readyz")[0] == 200, "readyz (dataplane running)")
    s, _, h, text = api.req("GET", "/metrics")
    check(s == 200 and b"orion_cp_http_responses_total" in text and b"orion_risk_rejects_total" in text and
          b"orion_lcore_" in text, "metrics has cp counters and the dataplane's")
    s, _, h, text = api.req("GET", "/")
    check(s == 200 and b"orion test" in text and "text/html" in h.get("content-type", ""), "index.html at /")
    check(api.req("GET", "/nope.html")[0] == 404, "missing static file 404")

    book = rest_orders(fx)
    time.sleep(0.3)  # ticks through the venue conflation (100 ms) to the cp

    # --- login and authentication failures
    check(is_err(api.req("POST", "/api/v1/auth/login", {"username": "alice", "password": "wrong"}), 401,
                 "INVALID_CREDENTIALS"), "bad password 401")
    check(is_err(api.req("POST", "/api/v1/auth/login", {"username": "nobody", "password": "x"}), 401,
                 "INVALID_CREDENTIALS"), "unknown user 401")
    check(is_err(api.req("POST", "/api/v1/auth/login", {"username": "alice", "password": pw["alice"],
                                                        "tenant": "globex"}), 401), "wrong tenant 401")
    check(is_err(api.req("POST", "/api/v1/auth/login", {"username": "mallory", "password": pw["mallory"]}), 403,
                 "USER_DISABLED"), "disabled user 403")
    check(is_err(api.req("POST", "/api/v1/auth/login", raw="{nope"), 400, "BAD_JSON"), "login bad JSON 400")
    check(is_err(api.req("POST", "/api/v1/auth/login", {"username": "alice"}), 400, "MISSING_FIELD", "password"),
          "login missing password 400")
    check(is_err(api.req("GET", "/api/v1/auth/login"), 405), "login GET 405")
    tok = {u: api.login(u, pw[u], "acme" if u == "alice" else None)
           for u in ["alice", "bob", "carol", "dave", "plat", "eve", "spam", "zed"]}
    check(is_err(api.req("GET", "/api/v1/me"), 401, "UNAUTHORIZED"), "no token 401")
    check(is_err(api.req("GET", "/api/v1/me", token="garbage"), 401, "TOKEN_INVALID"), "garbage token 401")
    tk = tok["alice"]
    bad = tk[:-2] + ("AA" if not tk.endswith("AA") else "BB")
    check(is_err(api.req("GET", "/api/v1/me", token=bad), 401, "TOKEN_INVALID"), "tampered token 401")
    s, me, _, _ = api.req("GET", "/api/v1/me", token=tok["alice"])
    check(s == 200 and me["username"] == "alice" and me["tenant"] == "acme" and me["role"] == "TRADER" and
          me["session"] >= 1024 and me["maxNotional"] == "100000" and me["account"] == 100, "GET /me %s" % me)
    check(is_err(api.req("GET", "/api/v1/nothing", token=tok["alice"]), 404, "NOT_FOUND"), "unknown path 404")
    check(is_err(api.req("DELETE", O, token=tok["alice"]), 405), "wrong method 405")

    # --- instruments (oriond's [instrument] sections) and the venue's market data
    s, js, _, _ = api.req("GET", "/api/v1/instruments", token=tok["alice"])
    syms = sorted(i["instrumentId"] for i in js["instruments"])
    check(s == 200 and syms == ["AAPL", "GOOG", "MSFT"], "alice's instruments %s" % syms)
    msft = [i for i in js["instruments"] if i["instrumentId"] == "MSFT"][0]
    check(msft["lot"] == 10 and msft["tick"] == "0.01" and msft["tradable"] and msft["engineId"] == 1,
          "MSFT tick/lot/engine id from the config %s" % msft)
    s, js, _, _ = api.req("GET", "/api/v1/market/snapshot?instrumentId=AAPL", token=tok["alice"])
    e = js["instruments"][0] if s == 200 and js["instruments"] else {}
    check(e.get("instrumentId") == "AAPL" and e.get("bid") == "149" and e.get("ask") == "150" and
          e.get("bidSize") == 1000 and e.get("askSize") == 1000 and e.get("last") is None,
          "snapshot AAPL is the venue's book (bid 149 x 1000, ask 150 x 1000): %s" % e)
    check(is_err(api.req("GET", "/api/v1/market/snapshot?instrumentId=TSLA", token=tok["alice"]), 403,
                 "NOT_ENTITLED"), "snapshot not entitled 403")
    check(is_err(api.req("GET", "/api/v1/market/snapshot?instrumentId=ZZZZ", token=tok["bob"]), 404),
          "snapshot unknown 404")
    s, js, _, _ = api.req("GET", "/api/v1/market/snapshot", token=tok["alice"])
    check(s == 200 and sorted(e["instrumentId"] for e in js["instruments"]) == ["AAPL", "GOOG", "MSFT"],
          "snapshot of everything entitled only")
    s, js, _, _ = api.req("GET", "/api/v1/market/snapshot", token=tok["bob"])
    check(s == 200 and len(js["instruments"]) == 4, "bob (instruments = *) sees the four books")

    # --- orders: validation (control plane) and the real engine's rejects
    A = tok["alice"]
    check(is_err(api.req("POST", O, raw="{bad json", token=A), 400, "BAD_JSON"), "order bad JSON 400")
    check(is_err(api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "1",
                                     "colour": "red"}, token=A), 400, "UNKNOWN_FIELD", "colour"), "unknown field")
    check(is_err(api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": "1", "price": "1"},
                         token=A), 400, "BAD_TYPE", "quantity"), "quantity type")
    check(is_err(api.req("POST", O, {"instrumentId": "MSFT", "side": "BUY", "quantity": 15, "price": "400"},
                         token=A), 400, "LOT_SIZE", "quantity"), "lot size 400 (lot 10 from oriond's config)")
    check(is_err(api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "150.001"},
                         token=A), 400, "TICK_SIZE", "price"), "tick size 400")
    check(is_err(api.req("POST", O, {"instrumentId": "TSLA", "side": "BUY", "quantity": 1, "price": "250"},
                         token=A), 403, "NOT_ENTITLED", "instrumentId"), "order not entitled 403")
    check(is_err(api.req("POST", O, {"instrumentId": "NOPE", "side": "BUY", "quantity": 1, "price": "250"},
                         token=tok["bob"]), 400, "UNKNOWN_INSTRUMENT"), "instrument oriond does not trade 400")
    check(is_err(api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1000, "price": "150"},
                         token=A), 403, "MAX_NOTIONAL"), "max notional 403")
    check(is_err(api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "150"},
                         token=tok["eve"]), 403, "FORBIDDEN"), "ANALYST cannot trade")
    check(is_err(api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "150"},
                         token=tok["carol"]), 403, "FORBIDDEN"), "RISK cannot trade")
    check(is_err(api.req("POST", O, raw="{\"x\":\"" + "a" * 2000 + "\"}", token=A), 413, "PAYLOAD_TOO_LARGE"),
          "oversized body 413")

    # --- WS: alice (orders/trades/md), carol (RISK watcher), bob (other tenant)
    ws_a = Ws(port, "/api/v1/ws?token=" + A)
    welcome = ws_a.recv()
    check(welcome["type"] == "welcome" and welcome["seq"] == 1 and welcome["user"]["username"] == "alice",
          "ws welcome %s" % welcome)
    ws_a.send({"op": "SUBSCRIBE", "id": "s1", "instrumentIds": ["AAPL", "TSLA"], "streams": ["orders", "trades"]})
    seen = [welcome]
    ack = ws_a.until(lambda m: m["type"] == "ack", collect=seen)
    check(ack["id"] == "s1" and ack["instrumentIds"] == ["AAPL"] and
          ack["rejected"] == [{"instrumentId": "TSLA", "code": "NOT_ENTITLED"}] and
          ack["streams"] == ["orders", "trades"], "ws subscribe ack %s" % ack)
    snap = ws_a.until(lambda m: m["type"] == "md.snapshot", collect=seen)
    se = snap["instruments"][0] if snap["instruments"] else {}
    check([x["instrumentId"] for x in snap["instruments"]] == ["AAPL"] and se.get("bid") == "149" and
          se.get("ask") == "150", "ws md snapshot of the venue's AAPL book %s" % se)
    ws_a.until(lambda m: m["type"] == "orders.snapshot", collect=seen)
    ws_a.until(lambda m: m["type"] == "trades.snapshot", collect=seen)
    ws_c = Ws(port, "/api/v1/ws", headers={"Authorization": "Bearer " + tok["carol"]})
    check(ws_c.recv()["type"] == "welcome", "ws auth by header")
    ws_c.send({"op": "SUBSCRIBE", "streams": ["orders"]})
    ws_c.until(lambda m: m["type"] == "orders.snapshot")
    ws_b = Ws(port, "/api/v1/ws")
    ws_b.send({"op": "SUBSCRIBE", "instrumentIds": ["AAPL"]})
    e = ws_b.until(lambda m: m["type"] == "error")
    check(e["code"] == "UNAUTHORIZED", "ws op before auth refused")
    ws_b.send({"op": "AUTH", "token": tok["bob"]})
    check(ws_b.until(lambda m: m["type"] == "welcome")["user"]["username"] == "bob", "ws AUTH op")
    ws_b.send({"op": "SUBSCRIBE", "streams": ["orders", "trades"]})
    ws_b.until(lambda m: m["type"] == "trades.snapshot")

    # --- a venue tick from FIX reaches the WebSocket as an md increment
    better_bid = fx.new_order("AAPL", 1, 300, "149.50", tif="1")
    check(oe.is_new(fx.wait(better_bid, oe.is_final) or {}), "FIX bid 149.50 acknowledged")
    inc = ws_try(lambda: ws_a.until(lambda m: any(u.get("bid") == "149.5" and u.get("bidSize") == 300
                                                  for u in md_of(m, "AAPL")), 3, seen))
    check(inc is not None, "ws md increment shows the FIX order's new best bid 149.5 x 300")
    fx.cancel(better_bid, "AAPL", 1)
    check((fx.wait(better_bid, lambda m: m.get(150) == "4") or {}).get(39) == "4", "FIX cancel of the 149.50 bid")

    # --- orders: lifecycle against the FIX book
    budget()
    sell_aapl = book["AAPL"][0]
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 10, "price": "155.00",
                            "clientOrderId": "c-fill"}, token=A)
    check(r[0] == 202 and r[1]["status"] == "PENDING_NEW" and r[1]["id"].startswith("A") and
          r[1]["clientOrderId"] == "c-fill", "order accepted 202 %s" % (r[1],))
    fill_id = r[1]["id"] if r[0] == 202 else "A0"
    o = wait_order(api, A, fill_id, lambda o: o["status"] == "FILLED")
    check(o and o["status"] == "FILLED" and o["filledQuantity"] == 10 and o["avgPrice"] == "150" and
          o["exchangeOrderId"], "marketable order filled at the resting FIX price 150 %s" % o)
    fr = fx.wait(sell_aapl, lambda m: m.get(150) == "F")
    check(fr is not None and fr.get(32) == "10" and fr.get(31) == "150" and fr.get(151) == "990" and
          fr.get(39) == "1", "the FIX client's resting sell got the fill (32=10 31=150 151=990 39=1)")
    s, js, _, _ = api.req("GET", "/api/v1/trades", token=A)
    mine = [x for x in js["trades"] if x["orderId"] == fill_id]
    check(s == 200 and len(mine) == 1 and mine[0]["liquidity"] == "TAKER" and mine[0]["quantity"] == 10 and
          mine[0]["price"] == "150", "trade listed %s" % mine)
    trade_id = mine[0]["id"] if mine else "0"
    s, js, _, _ = api.req("GET", "/api/v1/trades/" + trade_id, token=A)
    check(s == 200 and js["orderId"] == fill_id, "GET trade by id")
    end = time.time() + 2
    while True:
        s, js, _, _ = api.req("GET", "/api/v1/market/snapshot?instrumentId=AAPL", token=A)
        e = js["instruments"][0] if s == 200 else {}
        if (e.get("last") == "150" and e.get("lastSize") == 10 and e.get("askSize") == 990 and
                e.get("bid") == "149") or time.time() > end:
            break
        time.sleep(0.05)
    check(e.get("last") == "150" and e.get("lastSize") == 10 and e.get("askSize") == 990 and e.get("bid") == "149",
          "snapshot after the cancel and the fill: bid 149, ask 150 x 990, last 150 x 10 %s" % e)

    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 5, "price": "140"}, token=A)
    rest_id = r[1]["id"] if r[0] == 202 else "A0"
    o = wait_order(api, A, rest_id, lambda o: o["status"] == "NEW")
    check(o and o["status"] == "NEW" and o["leavesQuantity"] == 5, "resting order NEW")
    r = api.req("POST", O + "/" + rest_id + "/amend", {"quantity": 8, "price": "141"}, token=A)
    check(r[0] == 202 and r[1]["pendingAction"] == "AMEND", "amend 202 %s" % (r[1],))
    o = wait_order(api, A, rest_id, lambda o: o["quantity"] == 8 and o["pendingAction"] is None)
    check(o and o["quantity"] == 8 and o["price"] == "141" and o["status"] == "NEW", "amended by the engine %s" % o)
    check(is_err(api.req("POST", O + "/" + rest_id + "/cancel", token=tok["bob"]), 404), "other tenant cannot cancel")
    check(is_err(api.req("POST", O + "/" + rest_id + "/cancel", token=tok["carol"]), 403), "RISK cannot cancel")
    r = api.req("POST", O + "/" + rest_id + "/cancel", token=A)
    check(r[0] == 202 and r[1]["pendingAction"] == "CANCEL" and r[1]["requestId"].startswith("A"), "cancel 202")
    o = wait_order(api, A, rest_id, lambda o: o["status"] == "CANCELED")
    check(o and o["status"] == "CANCELED" and o["leavesQuantity"] == 0, "canceled by the engine")
    check(is_err(api.req("POST", O + "/" + rest_id + "/cancel", token=A), 409, "ORDER_NOT_LIVE"), "cancel twice 409")
    check(is_err(api.req("POST", O + "/A999/cancel", token=A), 404), "cancel unknown 404")
    # rejects from the real engine and risk layer, with their reasons
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 10, "price": "115"}, token=A)
    o = wait_order(api, A, r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED" and o["reason"] and "band" in o["reason"],
          "engine reject: outside the 20%% price band (115 vs 150) %s" % o)
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 10, "price": "100"}, token=A)
    o = wait_order(api, A, r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED" and o["reason"] and "collar" in o["reason"],
          "risk reject: outside the 30%% collar (100 vs 150) %s" % o)
    r = api.req("POST", O, {"instrumentId": "GOOG", "side": "BUY", "quantity": 200000, "price": "0.5"},
                token=tok["bob"])
    o = wait_order(api, tok["bob"], r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED" and o["reason"] and "quantity" in o["reason"],
          "risk reject: quantity above [risk] max_order_qty %s" % o)
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "SELL", "type": "MARKET", "quantity": 3}, token=A)
    mkt = wait_order(api, A, r[1]["id"], lambda o: o["status"] == "FILLED") if r[0] == 202 else None
    check(mkt and mkt["status"] == "FILLED" and mkt["type"] == "MARKET" and mkt["avgPrice"] == "149",
          "market sell filled against the FIX bid 149 %s" % mkt)
    fb = fx.wait(book["AAPL"][1], lambda m: m.get(150) == "F")
    check(fb is not None and fb.get(32) == "3", "the FIX bid got the market order's fill")

    # --- idempotency
    body = {"instrumentId": "GOOG", "side": "BUY", "quantity": 1, "price": "130"}
    r1 = api.req("POST", O, body, token=A, headers={"Idempotency-Key": "key-1"})
    r2 = api.req("POST", O, body, token=A, headers={"Idempotency-Key": "key-1"})
    check(r1[0] == 202 and r2[0] == 202 and r1[1]["id"] == r2[1]["id"] and
          r2[2].get("idempotent-replayed") == "true", "same key + body -> same response")
    check(is_err(api.req("POST", O, dict(body, quantity=2), token=A, headers={"Idempotency-Key": "key-1"}), 409,
                 "IDEMPOTENCY_CONFLICT"), "same key, other body 409")
    r3 = api.req("POST", O, body, token=tok["zed"], headers={"Idempotency-Key": "key-1"})
    check(r3[0] == 202 and r3[1]["id"] != r1[1]["id"], "keys are per user")
    check(is_err(api.req("POST", O, body, token=A, headers={"Idempotency-Key": "bad key"}), 400,
                 "BAD_IDEMPOTENCY_KEY"), "malformed key 400")
    time.sleep(0.3)
    s, js, _, _ = api.req("GET", O + "?status=all", token=A)
    goog = [x for x in js["orders"] if x["instrumentId"] == "GOOG"]
    check(s == 200 and len(goog) == 1 and goog[0]["status"] == "NEW", "one engine order for the replayed key %s" % goog)

    # --- WS events seen by the right people only
    got = []
    ws_try(lambda: ws_a.until(lambda m: m["type"] == "order" and m["order"]["id"] == fill_id and
                              m["order"]["status"] == "FILLED", 3, got))
    allm = seen + got
    check(any(m["type"] == "order" and m["order"]["id"] == fill_id and m["order"]["status"] == "FILLED"
              for m in allm), "owner's WS got the order updates")
    check(any(m["type"] == "trade" and m["trade"]["orderId"] == fill_id for m in allm) or
          ws_try(lambda: ws_a.until(lambda m: m["type"] == "trade" and m["trade"]["orderId"] == fill_id, 3, got))
          is not None, "owner's WS got the trade")
    allm = seen + got
    check(any(u.get("last") == "150" for m in allm for u in md_of(m, "AAPL")) or
          ws_try(lambda: ws_a.until(lambda m: any(u.get("last") for u in md_of(m, "AAPL")), 3, got)) is not None,
          "md increment carries the trade's last price")
    seqs = [m["seq"] for m in seen + got]
    check(seqs == list(range(1, len(seqs) + 1)), "ws seq numbers 1,2,3... without gaps")
    check(all(u["instrumentId"] == "AAPL" for m in seen + got for u in t.md_rows(m)),
          "md only for subscribed instruments (MSFT, GOOG also ticked)")
    cg = []
    ws_try(lambda: ws_c.until(lambda m: m["type"] == "order" and m["order"]["id"] == fill_id, 3, cg))
    check(any(m["type"] == "order" and m["order"]["id"] == fill_id for m in cg), "tenant RISK watcher sees the order")
    check(not any(m["type"] == "order" and m["order"]["id"].startswith("E") for m in cg),
          "acme's RISK watcher sees none of the FIX orders (tenant 0)")
    bg = []
    ws_try(lambda: ws_b.until(lambda m: False, 1.0, bg))
    check(not any(m["type"] in ("order", "trade") and (m.get("order") or m.get("trade"))["user"] == "alice"
                  for m in bg), "other tenant's WS sees none of alice's orders")
    hb = ws_try(lambda: ws_a.until(lambda m: m["type"] == "heartbeat", 2.5))
    check(hb is not None and hb["time"] > 0, "heartbeat")
    ws_a.send({"op": "PING", "id": "p1"})
    pong = ws_try(lambda: ws_a.until(lambda m: m["type"] == "pong", 3))
    check(pong is not None and pong.get("id") == "p1", "ping/pong")
    ws_a.send({"op": "UNSUBSCRIBE", "id": "u1", "instrumentIds": ["AAPL"]})
    ws_try(lambda: ws_a.until(lambda m: m["type"] == "ack" and m["op"] == "UNSUBSCRIBE", 3))
    ws_try(lambda: ws_a.until(lambda m: False, 0.3))
    tick_cl = fx.new_order("AAPL", 1, 50, "148.00", tif="1")
    fx.wait(tick_cl, oe.is_final)
    after = []
    ws_try(lambda: ws_a.until(lambda m: False, 0.6, after))
    check(not any(m["type"] == "md" for m in after), "no md after unsubscribe (AAPL ticked meanwhile)")
    fx.cancel(tick_cl, "AAPL", 1)
    ws_a.send("not json")
    err = ws_try(lambda: ws_a.until(lambda m: m["type"] == "error", 3))
    check(err is not None and err["code"] == "BAD_JSON", "ws bad JSON -> error message, connection kept")
    ws_c.close()
    ws_b.close()

    # --- tenant isolation over REST
    budget()
    s, js, _, _ = api.req("GET", O, token=tok["bob"])
    check(s == 200 and not any(o["user"] == "alice" for o in js["orders"]), "bob sees none of alice's orders")
    check(is_err(api.req("GET", O + "/" + fill_id, token=tok["bob"]), 404), "bob cannot read alice's order")
    check(is_err(api.req("GET", "/api/v1/trades/" + trade_id, token=tok["bob"]), 404), "bob cannot read alice's trade")
    s, js, _, _ = api.req("GET", O, token=tok["carol"])
    check(s == 200 and any(o["id"] == fill_id for o in js["orders"]), "RISK of the tenant sees alice's orders")
    check(s == 200 and not any(o["id"].startswith("E") for o in js["orders"]), "RISK of acme sees no FIX order")
    s, js, _, _ = api.req("GET", O + "?status=open", token=tok["carol"])
    check(s == 200 and all(o["status"] in ("NEW", "PARTIALLY_FILLED", "PENDING_NEW") for o in js["orders"]),
          "status=open filter")
    s, js, _, _ = api.req("GET", O, token=tok["eve"])
    check(s == 200 and not any(o["user"] == "alice" for o in js["orders"]), "ANALYST sees only own orders")
    s, js, _, _ = api.req("GET", O + "?limit=1000", token=tok["plat"])
    check(s == 200 and any(o["user"] == "alice" for o in js["orders"]) and any(o["user"] == "zed" for o in js["orders"]),
          "PLATFORM sees every tenant")
    fixo = [o for o in js["orders"] if o["id"].startswith("E")] if s == 200 else []
    check(len(fixo) >= 8 and any(o.get("clientOrderId") == sell_aapl and o["filledQuantity"] == 10 for o in fixo),
          "PLATFORM sees the FIX orders, the resting sell with its fill (%d FIX orders)" % len(fixo))
    s, js, _, _ = api.req("GET", "/api/v1/trades?limit=1000", token=tok["plat"])
    check(s == 200 and any(x["orderId"].startswith("E") and x["liquidity"] == "MAKER" for x in js["trades"]),
          "PLATFORM sees the FIX side of the trade (MAKER)")
    check(is_err(api.req("GET", O + "?limit=0", token=A), 400, "BAD_VALUE", "limit"), "bad limit 400")

    # --- admin: users
    s, js, _, _ = api.req("GET", "/api/v1/admin/users", token=tok["dave"])
    names = sorted(u["username"] for u in js["users"])
    check(s == 200 and "alice" in names and "bob" not in names and "plat" not in names, "ADMIN lists own tenant")
    check(all("hash" not in json.dumps(u) and "argon" not in json.dumps(u) for u in js["users"]), "no hashes listed")
    check(is_err(api.req("GET", "/api/v1/admin/users", token=A), 403), "TRADER cannot list users")
    nu = {"username": "frank", "password": "frank-pass-1", "role": "TRADER", "instruments": ["AAPL"]}
    r = api.req("POST", "/api/v1/admin/users", nu, token=tok["dave"])
    check(r[0] == 201 and r[1]["tenant"] == "acme", "ADMIN creates a user %s" % (r[1],))
    check(is_err(api.req("POST", "/api/v1/admin/users", nu, token=tok["dave"]), 409, "USER_EXISTS"), "duplicate user")
    check(is_err(api.req("POST", "/api/v1/admin/users", dict(nu, username="x1", role="PLATFORM"), token=tok["dave"]),
                 403), "ADMIN cannot grant PLATFORM")
    check(is_err(api.req("POST", "/api/v1/admin/users", dict(nu, username="x2", tenant="globex"), token=tok["dave"]),
                 403), "ADMIN cannot create in another tenant")
    ftok = api.login("frank", "frank-pass-1")
    check(api.req("GET", "/api/v1/me", token=ftok)[0] == 200, "new user works")
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "145"}, token=ftok)
    fo = wait_order(api, ftok, r[1]["id"], lambda o: o["status"] == "NEW") if r[0] == 202 else None
    check(fo and fo["status"] == "NEW", "a user added at run time trades through the engine %s" % fo)
    ws_f = Ws(port, "/api/v1/ws?token=" + ftok)
    ws_f.recv()
    r = api.req("PATCH", "/api/v1/admin/users/frank", {"disabled": True}, token=tok["dave"])
    check(r[0] == 200 and r[1]["disabled"] is True, "ADMIN disables a user")
    check(is_err(api.req("GET", "/api/v1/me", token=ftok), 401), "disabled user's token revoked")
    check(is_err(api.req("POST", "/api/v1/auth/login", {"username": "frank", "password": "frank-pass-1"}), 403,
                 "USER_DISABLED"), "disabled user cannot log in")
    bye = ws_try(lambda: ws_f.until(lambda m: m["type"] == "bye", 3))
    check(bye is not None and "disabled" in bye["reason"], "disabled user's WS closed with a reason")
    ws_try(lambda: ws_f.recv(2))
    check(ws_f.close_code == 4001, "WS close code 4001 (%s)" % ws_f.close_code)
    ws_f.close()
    check(is_err(api.req("PATCH", "/api/v1/admin/users/bob", {"disabled": True}, token=tok["dave"]), 404),
          "ADMIN cannot touch another tenant's user")

    # --- kill switches, enforced by the real risk layer
    budget()
    K = "/api/v1/admin/kill"
    applied = metric(api, 'orion_og_commands_total{result="applied"}')
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 2, "price": "146"}, token=A)
    victim = r[1]["id"] if r[0] == 202 else "A0"
    wait_order(api, A, victim, lambda o: o["status"] == "NEW")
    r = api.req("POST", K, {"scope": "tenant", "on": True, "cancel": True}, token=tok["carol"])
    check(r[0] == 202 and r[1]["command"]["killScope"] == "tenant" and r[1]["command"]["id"] == 1,
          "RISK kills own tenant %s" % (r[1],))
    o = wait_order(api, A, victim, lambda o: o["status"] == "CANCELED")
    check(o and o["status"] == "CANCELED", "the tenant's resting order canceled by the kill switch (cancel=true) %s" % o)
    end = time.time() + 2
    while metric(api, 'orion_og_commands_total{result="applied"}') < applied + 1 and time.time() < end:
        time.sleep(0.05)
    check(metric(api, 'orion_og_commands_total{result="applied"}') >= applied + 1,
          "the risk command was applied by the order lcore")
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "145"}, token=A)
    o = wait_order(api, A, r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED" and "tenant" in (o["reason"] or ""),
          "order under the tenant kill switch rejected by risk %s" % o)
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "145"}, token=tok["zed"])
    o = wait_order(api, tok["zed"], r[1]["id"], lambda o: o["status"] == "NEW") if r[0] == 202 else None
    check(o and o["status"] == "NEW", "another tenant still trades under acme's kill switch %s" % o)
    fr = fx.got(sell_aapl)
    check(not any(m.get(150) == "4" for m in fr), "the FIX resting sell (tenant 0) survived acme's kill + cancel")
    check(api.req("POST", K, {"scope": "tenant", "on": False}, token=tok["carol"])[0] == 202, "kill switch released")
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "145"}, token=A)
    o = wait_order(api, A, r[1]["id"], lambda o: o["status"] == "NEW") if r[0] == 202 else None
    check(o and o["status"] == "NEW", "order accepted again after the release %s" % o)
    check(is_err(api.req("POST", K, {"scope": "global"}, token=tok["carol"]), 403), "RISK cannot kill globally")
    check(is_err(api.req("POST", K, {"scope": "tenant", "tenant": "globex"}, token=tok["carol"]), 403),
          "RISK cannot kill another tenant")
    check(is_err(api.req("POST", K, {"scope": "session", "user": "bob"}, token=tok["carol"]), 404),
          "RISK cannot kill another tenant's user")
    check(api.req("POST", K, {"scope": "session", "user": "alice", "on": False}, token=tok["carol"])[0] == 202,
          "RISK releases a user session's switch")
    check(is_err(api.req("POST", K, {"scope": "global"}, token=A), 403), "TRADER cannot kill")
    check(api.req("POST", K, {"scope": "global", "on": True}, token=tok["plat"])[0] == 202, "PLATFORM global kill")
    time.sleep(0.1)
    cl = fx2.new_order("MSFT", 1, 10, "399.00")
    m = fx2.wait(cl, oe.is_final)
    check(m is not None and m.get(150) == "8" and "global" in m.get(58, ""),
          "a FIX order under the global kill switch: ExecutionReport Rejected, 58=%s" % (m or {}).get(58))
    r = api.req("POST", O, {"instrumentId": "MSFT", "side": "BUY", "quantity": 10, "price": "399"}, token=tok["bob"])
    o = wait_order(api, tok["bob"], r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED" and "global" in (o["reason"] or ""), "API order under the global kill %s" % o)
    check(api.req("POST", K, {"scope": "global", "on": False}, token=tok["plat"])[0] == 202, "PLATFORM global release")
    time.sleep(0.1)
    cl = fx2.new_order("MSFT", 1, 10, "399.00")
    check(oe.is_new(fx2.wait(cl, oe.is_final) or {}), "FIX orders accepted again after the global release")
    fx2.cancel(cl, "MSFT", 1)
    check(is_err(api.req("POST", K, {"scope": "planet"}, token=tok["plat"]), 400, "BAD_VALUE", "scope"), "bad scope")

    # --- instrument trading state (PLATFORM): halt rejects, reopen trades
    budget()
    I = "/api/v1/admin/instruments/MSFT"
    check(is_err(api.req("PUT", I, {"state": "HALTED"}, token=tok["carol"]), 403), "RISK cannot halt an instrument")
    check(is_err(api.req("PUT", I, {"state": "PAUSED"}, token=tok["plat"]), 400, "BAD_VALUE", "state"), "bad state")
    check(is_err(api.req("PUT", "/api/v1/admin/instruments/NOPE", {"state": "HALTED"}, token=tok["plat"]), 404),
          "unknown instrument 404")
    r = api.req("PUT", I, {"state": "HALTED"}, token=tok["plat"])
    check(r[0] == 202 and r[1]["command"] == {"scope": "instrumentState", "instrument": r[1]["command"].get("instrument"),
                                              "state": "HALTED"}, "PLATFORM halts MSFT %s" % (r[1],))
    s, js, _, _ = api.req("GET", "/api/v1/admin/instruments", token=tok["plat"])
    check(s == 200 and any(i["instrumentId"] == "MSFT" and i.get("state") == "HALTED" for i in js["instruments"]),
          "the venue's instrument list shows MSFT halted")
    time.sleep(0.1)
    cl = fx2.new_order("MSFT", 1, 10, "399.00")
    m = fx2.wait(cl, oe.is_final)
    check(m is not None and m.get(150) == "8", "a FIX order for the halted instrument rejected, 58=%s" % (m or {}).get(58))
    r = api.req("POST", O, {"instrumentId": "MSFT", "side": "BUY", "quantity": 10, "price": "399"}, token=tok["bob"])
    o = wait_order(api, tok["bob"], r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED", "API order for the halted instrument rejected %s" % o)
    check(api.req("PUT", I, {"state": "OPEN"}, token=tok["plat"])[0] == 202, "PLATFORM reopens MSFT")
    time.sleep(0.1)
    cl = fx2.new_order("MSFT", 1, 10, "399.00")
    check(oe.is_new(fx2.wait(cl, oe.is_final) or {}), "FIX orders accepted again after the reopen")
    fx2.cancel(cl, "MSFT", 1)

    # --- limits, enforced by the real risk layer
    budget()
    L = "/api/v1/admin/limits"
    check(is_err(api.req("PUT", L, {"scope": "session", "user": "bob", "ratePerSec": 5}, token=tok["carol"]), 404),
          "RISK cannot limit another tenant's user")
    check(is_err(api.req("PUT", L, {"scope": "account", "account": 200, "maxOrderQty": 5}, token=tok["carol"]), 403),
          "RISK cannot limit another tenant's account")
    check(api.req("PUT", L, {"scope": "account", "account": 100, "maxOrderQty": 500, "creditLimit": "1000000"},
                  token=tok["carol"])[0] == 202, "RISK sets account limits")
    time.sleep(0.1)
    r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 600, "price": "141"}, token=A)
    o = wait_order(api, A, r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED" and "quantity" in (o["reason"] or ""),
          "account maxOrderQty 500 enforced by risk (600 rejected) %s" % o)
    r = api.req("PUT", L, {"scope": "session", "user": "alice", "ratePerSec": 1, "burst": 3, "maxOpenOrders": 50},
                token=tok["carol"])
    check(r[0] == 202 and r[1]["command"]["ratePerSec"] == 1, "RISK sets session limits")
    time.sleep(0.1)
    ids = []
    for _ in range(6):
        r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "142"}, token=A)
        if r[0] == 202:
            ids.append(r[1]["id"])
    fin = [wait_order(api, A, i, lambda o: o["status"] in ("NEW", "REJECTED")) for i in ids]
    rej = [o for o in fin if o and o["status"] == "REJECTED"]
    check(len(ids) == 6 and len(rej) >= 2 and all("rate" in (o["reason"] or "") for o in rej),
          "session rate 1/s burst 3 enforced by risk (%d of 6 rejected: %s)" % (
              len(rej), rej[0]["reason"] if rej else None))
    check(api.req("PUT", L, {"scope": "session", "user": "alice", "ratePerSec": 1000, "burst": 1000},
                  token=tok["carol"])[0] == 202, "session limits restored")
    check(is_err(api.req("PUT", L, {"scope": "collar", "instrumentId": "*", "bps": 500}, token=tok["carol"]), 403),
          "RISK cannot set collars")
    check(api.req("PUT", L, {"scope": "collar", "instrumentId": "*", "bps": 500}, token=tok["plat"])[0] == 202,
          "PLATFORM sets collars")
    time.sleep(0.1)
    r = api.req("POST", O, {"instrumentId": "GOOG", "side": "BUY", "quantity": 1, "price": "120"}, token=tok["zed"])
    o = wait_order(api, tok["zed"], r[1]["id"], lambda o: o["status"] == "REJECTED") if r[0] == 202 else None
    check(o and o["status"] == "REJECTED" and "collar" in (o["reason"] or ""),
          "5%% collar enforced by risk (GOOG 120 vs 140) %s" % o)
    check(is_err(api.req("PUT", L, {"scope": "session", "user": "alice"}, token=tok["dave"]), 403),
          "ADMIN cannot set limits")
    r = api.req("PUT", L, {"scope": "user", "user": "alice", "maxNotional": "5000000"}, token=tok["carol"])
    check(r[0] == 200 and r[1]["maxNotional"] == "5000000", "per-user notional limit")
    s, js, _, _ = api.req("GET", L, token=tok["carol"])
    scopes = sorted(c["command"]["scope"] for c in js["commands"]) if s == 200 else []
    check(s == 200 and "session" in scopes and "collar" not in scopes, "GET limits, tenant-filtered %s" % scopes)
    s, js, _, _ = api.req("GET", "/api/v1/admin/fix-sessions", token=tok["dave"])
    check(s == 200 and js["sessions"] == [], "acme has no FIX session (oriond's are tenant 0) %s" % js)
    s, js, _, _ = api.req("GET", "/api/v1/admin/fix-sessions", token=tok["plat"])
    ss = js["sessions"] if s == 200 else []
    check(len(ss) == 2 and all(x["connected"] for x in ss) and any("CLIENT1" in x["name"] for x in ss) and
          all(x["tenant"] == 0 for x in ss), "PLATFORM sees oriond's two FIX sessions, connected %s" % ss)
    s, js, _, _ = api.req("GET", "/api/v1/admin/instruments", token=tok["dave"])
    check(s == 200 and sorted(i["instrumentId"] for i in js["instruments"] if i["tradable"]) ==
          ["AAPL", "GOOG", "MSFT", "TSLA"], "admin instruments = oriond's")
    s, js, _, _ = api.req("GET", "/api/v1/admin/flags", token=A)
    check(s == 200 and js["flags"] == {"newBlotter": True}, "flags from config")
    check(is_err(api.req("PUT", "/api/v1/admin/flags", {"newBlotter": False}, token=tok["dave"]), 403),
          "ADMIN cannot change flags")
    s, js, _, _ = api.req("PUT", "/api/v1/admin/flags", {"newBlotter": False, "rfq": True}, token=tok["plat"])
    check(s == 200 and js["flags"] == {"newBlotter": False, "rfq": True}, "PLATFORM changes flags")

    # --- rate limit
    codes = [api.req("GET", "/api/v1/me", token=tok["spam"]) for _ in range(120)]
    limited = [c for c in codes if c[0] == 429]
    check(limited and is_err(limited[0], 429, "RATE_LIMITED") and int(limited[0][2].get("retry-after", "0")) >= 1,
          "rate limit 429 with Retry-After (%d of 120)" % len(limited))
    check(api.req("GET", "/api/v1/me", token=tok["zed"])[0] == 200, "other users unaffected by one's rate limit")

    # --- logout revokes
    check(api.req("POST", "/api/v1/auth/logout", token=tok["eve"])[0] == 204, "logout 204")
    check(is_err(api.req("GET", "/api/v1/me", token=tok["eve"]), 401, "TOKEN_REVOKED"), "token revoked after logout")
    ws_a.close()

    # --- shutdown (SIGTERM to oriond): connected clients are told
    ws_z = Ws(port, "/api/v1/ws?token=" + tok["zed"])
    ws_z.recv()
    d.signal(signal.SIGTERM)
    bye = ws_try(lambda: ws_z.until(lambda m: m["type"] == "bye", 5))
    check(bye is not None and "shutting down" in bye["reason"], "clients get a bye when oriond stops")
    ws_z.close()


def restart_keeps_api_orders(d, pw):
    """An API order resting when oriond stops is listed and cancelable after the restart (journal replay)."""
    port = d.start()
    api = Api(port)
    tok = api.login("alice", pw["alice"], "acme")
    # a bid a little under the last trade (the risk collar is around it), resting
    s, js, _, _ = api.req("GET", "/api/v1/market/snapshot?instrumentId=AAPL", token=tok)
    e = js["instruments"][0] if s == 200 and js.get("instruments") else {}
    ref = float(e.get("last") or e.get("bid") or "150")
    px = "%.2f" % (ref * 0.99)
    s, js, _, _ = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                                      "quantity": 3, "price": px}, token=tok,
                          headers={"Idempotency-Key": "restart-1"})
    check(s == 202, "restart: order placed (%s)" % s)
    oid = js.get("id") if s == 202 else None
    time.sleep(0.5)
    s, js, _, _ = api.req("GET", O, token=tok)
    before = [(o["status"], o.get("reason")) for o in js.get("orders", []) if o["id"] == oid]
    check(before and before[0][0] == "NEW", "restart: the order rests before the stop (%s)" % before)
    check(d.stop() == 0, "restart: first stop")
    port = d.start()
    api = Api(port)
    tok = api.login("alice", pw["alice"], "acme")
    s, js, _, _ = api.req("GET", O, token=tok)
    mine = [o for o in js.get("orders", []) if o["id"] == oid] if s == 200 else []
    check(len(mine) == 1 and mine[0]["leavesQuantity"] == 3, "restart: the resting API order is listed (%s)" % mine)
    s, _, _, _ = api.req("POST", "%s/%s/cancel" % (O, oid), token=tok)
    check(s == 202, "restart: the order is cancelable (%s)" % s)
    deadline = time.time() + 3
    st = None
    while time.time() < deadline:
        s, js, _, _ = api.req("GET", O, token=tok)
        st = [o["status"] for o in js.get("orders", []) if o["id"] == oid]
        if st == ["CANCELED"]:
            break
        time.sleep(0.1)
    check(st == ["CANCELED"], "restart: canceled through the engine (%s)" % st)
    check(d.stop() == 0, "restart: second stop")


def tls_and_expiry(exe, ctl, tmp):
    """A second oriond: HTTPS/WSS and a 1 s token lifetime."""
    openssl = shutil.which("openssl")
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    tls = False
    if openssl:
        r = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tls = r.returncode == 0
    if not tls:
        print("NOTE: openssl CLI absent: TLS part not run")
    t2 = os.path.join(tmp, "tls")
    os.mkdir(t2)
    cp = "[cp]\nlisten = 127.0.0.1:0\ntoken_ttl = 1s\nheartbeat = 1s\n"
    if tls:
        cp += "tls_cert = %s\ntls_key = %s\n" % (cert, key)
    cp += "[user tess]\nrole = TRADER\ninstruments = *\naccount = 300\npassword_hash = %s\n" % oe.hash_password(
        ctl, "tess-pass-1")
    d = oe.Oriond(exe, oe.write_config(t2, oe.free_port(), cp, INSTRUMENTS[:1]), os.path.join(t2, "oriond.log"))
    ctx = None
    if tls:
        ctx = ssl.create_default_context(cafile=cert)
        ctx.check_hostname = False
    try:
        port = d.start()
        api = Api(port, ctx)
        what = "TLS" if tls else "plain HTTP"
        check(api.req("GET", "/healthz")[0] == 200, "healthz over %s" % what)
        tok = api.login("tess", "tess-pass-1")
        check(api.req("GET", "/api/v1/me", token=tok)[0] == 200, "fresh token works")
        r = api.req("POST", O, {"instrumentId": "AAPL", "side": "BUY", "quantity": 1, "price": "150"}, token=tok)
        o = wait_order(api, tok, r[1]["id"], lambda o: o["status"] == "NEW") if r[0] == 202 else None
        check(o and o["status"] == "NEW", "an order over %s" % what)
        ws = Ws(port, "/api/v1/ws?token=" + tok, tls_ctx=ctx)
        check(ws.recv()["type"] == "welcome", "WebSocket over %s" % what)
        time.sleep(2.1)
        check(is_err(api.req("GET", "/api/v1/me", token=tok), 401, "TOKEN_EXPIRED"), "expired token 401")
        bye = ws_try(lambda: ws.until(lambda m: m["type"] == "bye", 3))
        check(bye is not None and "expired" in bye["reason"], "WS closed when its token expires")
        ws.close()
        if tls:
            try:
                import http.client
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
                c.request("GET", "/healthz")
                st = c.getresponse().status
            except (OSError, http.client.HTTPException):
                st = None
            check(st != 200, "plain HTTP refused on the TLS listener")
    finally:
        rc = d.stop()
        check(rc == 0, "TLS oriond exit status %s" % rc)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError, socket.timeout, t.WsClosed, KeyError, TypeError) as e:
        import traceback
        traceback.print_exc()
        print("FAIL:", repr(e))
        sys.exit(1)
