#!/usr/bin/env python3
"""The control plane's state and audit trail survive a crash (kill -9)
because they are journal records (OG_JR_CP, controlplane/cp_jrec.h): the
real oriond with FIX order entry, [journal] and [cp] (no audit_log: the
journal is the only audit trail).

Before the crash: a failed login, a user created over REST, a PATCH, feature
flags set (one overriding the configuration), an order with an
Idempotency-Key resting on the book. After kill -9 and a restart:
  - the new user logs in (its password and PATCHed limit are back);
  - the flags are as set, not as configured;
  - the same Idempotency-Key and body answer the same order id with
    Idempotent-Replayed, and the journal holds exactly one order of that id;
  - a new order gets a fresh id above the old one;
  - `orionctl journal dump` (text and --json) shows the logins, the failed
    login and the admin actions, and never a password or its hash.

usage: test_cp_journal_oriond.py ORIOND ORIONCTL
Exit 0 passed, 1 a check failed, 77 skipped (with the reason).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oriond_env as oe  # noqa: E402
import test_cp_api as t  # noqa: E402
from test_cp_api import Api, check, wait_order  # noqa: E402

O = "/api/v1/orders"
INSTRUMENTS = [("AAPL", "0.01", 1, "150.00", 20)]
PW = {"plat": "plat-pass-1", "dave": "dave-pass-1", "alice": "alice-pass-1"}


def cp_section(hashes):
    return ("[cp]\nlisten = 127.0.0.1:0\nflag.newBlotter = true\nflag.darkMode = false\n"
            "[tenant default]\nid = 0\n[tenant acme]\nid = 1\n"
            "[user plat]\ntenant = default\nrole = PLATFORM\npassword_hash = %s\ninstruments = *\n"
            "[user dave]\ntenant = acme\nrole = ADMIN\npassword_hash = %s\ninstruments = *\n"
            "[user alice]\ntenant = acme\nrole = TRADER\npassword_hash = %s\ninstruments = AAPL\n"
            % (hashes["plat"], hashes["dave"], hashes["alice"]))


def dump(ctl, jdir, *opts):
    r = subprocess.run([ctl, "journal", "dump"] + list(opts) + [jdir], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, "orionctl journal dump %s exits 0 (%s)" % (" ".join(opts), r.returncode))
    return r.stdout


def flags(api, tok):
    s, js, _, _ = api.req("GET", "/api/v1/admin/flags", token=tok)
    return js.get("flags", {}) if s == 200 and js else {}


def before_crash(api, fx):
    """Returns (order id, order body) of the idempotent order."""
    s, _, _, _ = api.req("POST", "/api/v1/auth/login", {"username": "alice", "password": "wrong-one"})
    check(s == 401, "failed login 401 (%s)" % s)
    plat = api.login("plat", PW["plat"])
    dave = api.login("dave", PW["dave"])
    s, js, _, _ = api.req("POST", "/api/v1/admin/users", {"username": "newbie", "password": "newbie-pass-1",
                                                          "role": "TRADER", "tenant": "acme",
                                                          "instruments": ["AAPL"]}, token=dave)
    check(s == 201 and js and js.get("username") == "newbie", "newbie created (%s %s)" % (s, js))
    s, js, _, _ = api.req("PATCH", "/api/v1/admin/users/newbie", {"maxNotional": "500000"}, token=dave)
    check(s == 200 and js and js.get("maxNotional") == "500000", "newbie PATCHed (%s %s)" % (s, js))
    s, js, _, _ = api.req("PUT", "/api/v1/admin/flags", {"newBlotter": False, "betaTicket": True}, token=plat)
    check(s == 200, "flags set (%s %s)" % (s, js))
    check(flags(api, plat) == {"newBlotter": False, "darkMode": False, "betaTicket": True},
          "flags before the crash %s" % flags(api, plat))
    # the venue's resting sell, so that the API bid under it rests
    cl = fx.new_order("AAPL", 2, 1000, "150.00", tif="1")
    check(oe.is_new(fx.wait(cl, oe.is_final) or {}), "FIX resting sell acknowledged")
    nb = api.login("newbie", "newbie-pass-1")
    body = {"instrumentId": "AAPL", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": 7,
            "price": "149.00"}
    s, js, h, _ = api.req("POST", O, body, token=nb, headers={"Idempotency-Key": "crash-key-1"})
    check(s == 202 and js and js.get("id", "").startswith("A"), "idempotent order accepted (%s %s)" % (s, js))
    oid = js.get("id") if js else None
    o = wait_order(api, nb, oid or "A0", lambda j: j and j.get("status") == "NEW")
    check(o and o.get("status") == "NEW", "the order rests (%s)" % o)
    s, js2, h2, _ = api.req("POST", O, body, token=nb, headers={"Idempotency-Key": "crash-key-1"})
    check(s == 202 and h2.get("idempotent-replayed") == "true" and js2.get("id") == oid,
          "replayed before the crash (%s %s)" % (s, h2.get("idempotent-replayed")))
    api.login("dave", PW["dave"])   # a last login just before the crash
    time.sleep(0.2)                 # the order lcore journals within a poll turn; no SIGTERM flush helps here
    return oid, body


def after_restart(api, oid, body, out):
    nb = api.login("newbie", "newbie-pass-1")
    s, me, _, _ = api.req("GET", "/api/v1/me", token=nb)
    check(s == 200 and me.get("tenant") == "acme" and me.get("role") == "TRADER" and
          me.get("maxNotional") == "500000", "newbie is back, PATCH included (%s)" % me)
    s, _, _, _ = api.req("POST", "/api/v1/auth/login", {"username": "newbie", "password": "newbie-pass-2"})
    check(s == 401, "newbie's wrong password still refused (%s)" % s)
    plat = api.login("plat", PW["plat"])
    check(flags(api, plat) == {"newBlotter": False, "darkMode": False, "betaTicket": True},
          "flags after the restart override the configuration %s" % flags(api, plat))
    s, js, h, _ = api.req("POST", O, body, token=nb, headers={"Idempotency-Key": "crash-key-1"})
    check(s == 202 and h.get("idempotent-replayed") == "true" and js and js.get("id") == oid,
          "same Idempotency-Key after the restart: same order %s, replayed (%s %s %s)" %
          (oid, s, js and js.get("id"), h.get("idempotent-replayed")))
    s, js, _, _ = api.req("GET", O + "?status=all", token=nb)
    mine = [o["id"] for o in js.get("orders", [])] if s == 200 else []
    check(mine == [oid], "exactly one order of newbie after the restart (%s)" % mine)
    s, js, _, _ = api.req("POST", O, dict(body, quantity=2), token=nb)
    nid = js.get("id", "A0") if js else "A0"
    check(s == 202 and nid != oid and int(nid[1:]) > int(oid[1:]),
          "a new order gets a fresh, higher id (%s > %s)" % (nid, oid))
    s, _, _, text = api.req("GET", "/metrics")
    sent = [ln for ln in text.decode().splitlines() if ln.startswith('orion_cp_journal_records_total{result="sent"}')]
    check(sent and float(sent[0].split()[-1]) > 0, "metrics count journaled cp records (%s)" % sent)
    check("control plane: state in the journal" in out and "applied 2 user, 2 flag, 1 idempotency key records" in out,
          "oriond says what it restored")


def check_dump(ctl, jdir, oid):
    text = dump(ctl, jdir)
    for ev in ("login_failed", "user_created", "user_changed", "flag", "login"):
        check(("kind=audit event=%s " % ev) in text, "journal dump shows audit %s" % ev)
    check("kind=user user=newbie tenant=acme role=TRADER" in text, "journal dump shows the USER record")
    check("kind=flag flag=betaTicket on=true" in text, "journal dump shows the FLAG record")
    check("kind=idem user=newbie key=crash-key-1 status=202" in text, "journal dump shows the IDEM record")
    check("$argon2id$" not in text and "pass-1" not in text, "journal dump never shows a password or its hash")
    lines = text.splitlines()
    idem = [i for i, ln in enumerate(lines) if "key=crash-key-1" in ln]
    new = [i for i, ln in enumerate(lines) if " name=new " in ln and "clordid=%s " % oid in ln]
    check(len(new) == 1, "the journal holds exactly one new order %s (%d)" % (oid, len(new)))
    check(idem and new and idem[0] < new[0], "the IDEM record precedes its order in the journal")
    js = dump(ctl, jdir, "--json")
    recs = []
    for ln in js.splitlines():
        try:
            recs.append(json.loads(ln))
        except ValueError:
            check(False, "dump --json line is JSON: %s" % ln[:200])
    audits = [r for r in recs if r.get("kind") == "audit"]
    evs = {r.get("event") for r in audits}
    check({"login", "login_failed", "user_created", "flag"} <= evs, "dump --json audit events %s" % sorted(evs))
    fl = [r for r in audits if r.get("event") == "login_failed"]
    check(fl and fl[0].get("ok") == "false" and "peer" in fl[0] and fl[0].get("user") == "alice",
          "dump --json failed login fields %s" % (fl[:1],))


def main():
    if len(sys.argv) < 3 or not os.access(sys.argv[1], os.X_OK) or not os.access(sys.argv[2], os.X_OK):
        t.skip("usage: test_cp_journal_oriond.py PATH/TO/oriond PATH/TO/orionctl (built)")
    exe, ctl = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="cp_journal_oriond_")
    hashes = {u: oe.hash_password(ctl, p) for u, p in PW.items()}
    fix_port = oe.free_port()
    conf = oe.write_config(tmp, fix_port, cp_section(hashes), INSTRUMENTS)
    jdir = os.path.join(tmp, "journal")
    d = oe.Oriond(exe, conf, os.path.join(tmp, "oriond1.log"))
    fx = None
    ok = False
    oid = None
    try:
        api = Api(d.start())
        check("control plane: state in the journal" in d.output(), "oriond says the cp state is journaled")
        fx = oe.Fix(fix_port, "CLIENT1").connect()
        oid, body = before_crash(api, fx)
        fx.close(logout=False)
        fx = None
        d.signal(signal.SIGKILL)
        d.p.wait(10)
        check(d.p.returncode == -signal.SIGKILL, "oriond killed with SIGKILL (%s)" % d.p.returncode)
        d.log.close()
        if oid:
            check_dump(ctl, jdir, oid)
        d = oe.Oriond(exe, conf, os.path.join(tmp, "oriond2.log"))
        api = Api(d.start())
        if oid:
            after_restart(api, oid, body, d.output())
        rc = d.stop()
        check(rc == 0, "oriond exit status after the restart %s" % rc)
        ok = True
    finally:
        if fx:
            fx.close(logout=False)
        if d.p and d.p.poll() is None:
            d.stop()
        if not ok or t.FAILS:
            print("---- oriond output (tail)\n" + d.output()[-4000:])
    text = dump(ctl, jdir)
    check(text.count("kind=audit event=login ") >= 4, "logins of both runs in the journal")
    if not t.FAILS:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("kept", tmp)
    print("%d checks, %d failed, %.1f s" % (t.CHECKS, len(t.FAILS), time.time() - t.T0))
    return 1 if t.FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
