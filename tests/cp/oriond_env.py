#!/usr/bin/env python3
"""The real oriond for the control plane's end-to-end tests (python3 standard
library only): a configuration writer, the process (started, waited for,
stopped), a raw FIX 4.4 initiator, and the "venue" command the web test's
wrapper (tests/web/run_e2e_oriond.sh) runs in the background.

Used by tests/cp/test_cp_api_oriond.py (imported) and as a command:

  oriond_env.py venue --port FIX_PORT --rest SYM:PX[:QTY],... [--seconds N]
      log on as CLIENT1, place one resting SELL per SYM at PX (a known
      price the web scenario's order fills against) and print
      "VENUE READY" once every one is acknowledged; then, until killed or N
      seconds, every ~200 ms per SYM send a BUY a few ticks under PX and
      cancel the previous one, so the venue's best bid moves and the market
      watch streams. Each fill of a resting sell is printed as
      "venue: fill on the resting sell SYM @ PX: QTY @ PRICE ...". Exit 3
      when it cannot log on, 1 when a resting order is refused.

Everything listens on and connects to 127.0.0.1 only.
"""
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import datetime

SOH = b"\x01"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def hash_password(orionctl, password):
    """argon2id hash from `orionctl passwd` (its last line)."""
    out = subprocess.check_output([orionctl, "passwd", "-t", "1", "-m", "64", "--password", password], text=True)
    return out.strip().splitlines()[-1]


# ---- configuration -------------------------------------------------------------
def write_config(tmp, fix_port, cp_section, instruments, risk=None, sessions=("CLIENT1", "CLIENT2")):
    """Writes tmp/sessions.cfg and tmp/oriond.conf (no feed: the engine's own
    book ticks are the market data) and returns the config path.

    cp_section: the text of [cp], [tenant ...] and [user ...] sections.
    instruments: [(symbol, tick, lot, ref_price, band_pct)].
    risk: dict of [risk] keys (defaults generous).
    sessions: FIX TargetCompIDs (user = lower case, password = lower + "-pw")."""
    store = os.path.join(tmp, "fixstore")
    os.makedirs(store, exist_ok=True)
    with open(os.path.join(tmp, "sessions.cfg"), "w") as f:
        f.write("[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=ORION\n"
                "FileStorePath=%s\nHeartBtInt=30\n" % store)
        for s in sessions:
            f.write("[SESSION]\nTargetCompID=%s\nUsername=%s\nPassword=%s-pw\n" % (s, s.lower(), s.lower()))
    r = {"max_order_qty": 100000, "collar_pct": 20, "max_open_orders_session": 10000,
         "order_rate_per_sec": 100000, "order_burst": 10000}
    r.update(risk or {})
    conf = ("[eal]\nlcores = 0-1\nmemory_mb = 512\n"
            "[fix]\nlisten = 127.0.0.1:%d\nsessions = %s\nmax_connections = 16\n" %
            (fix_port, os.path.join(tmp, "sessions.cfg")))
    for sym, tick, lot, ref, band in instruments:
        conf += "[instrument %s]\ntick = %s\nlot = %d\nref_price = %s\nband_pct = %d\n" % (sym, tick, lot, ref, band)
    conf += "[risk]\n" + "".join("%s = %s\n" % kv for kv in r.items())
    conf += "[journal]\ndir = %s\nsegment_size = 1M\n" % os.path.join(tmp, "journal")
    conf += cp_section
    path = os.path.join(tmp, "oriond.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


# ---- the process ---------------------------------------------------------------
try:
    import ctypes
    _LIBC = ctypes.CDLL(None, use_errno=True)
except (OSError, ImportError):
    _LIBC = None


def _die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, however
    it dies (Linux prctl PR_SET_PDEATHSIG; best effort elsewhere)."""
    parent = _PARENT[0]
    try:
        if _LIBC is not None:
            _LIBC.prctl(1, int(signal.SIGTERM), 0, 0, 0)
    except AttributeError:
        pass
    if os.getppid() != parent:   # the parent died before the prctl
        os._exit(1)


_PARENT = [os.getpid()]


class Oriond:
    """oriond -c CONF, output to LOG; start() waits for the control plane's
    port and "running". stop() sends SIGTERM (SIGKILL after 10 s)."""

    def __init__(self, exe, conf, log):
        self.exe, self.conf, self.log_path = exe, conf, log
        self.p = None
        self.cp_port = None

    def start(self, timeout=30.0):
        self.log = open(self.log_path, "w")
        _PARENT[0] = os.getpid()
        self.p = subprocess.Popen([self.exe, "-c", self.conf], stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        end = time.time() + timeout
        while time.time() < end:
            text = self.output()
            for line in text.splitlines():
                if line.startswith("oriond: control plane on port "):
                    self.cp_port = int(line.split()[5])
            if self.cp_port and "oriond: running" in text:
                return self.cp_port
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("oriond did not start (status %s):\n%s" % (self.p.returncode, self.output()[-3000:]))

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def signal(self, sig=signal.SIGTERM):
        if self.p and self.p.poll() is None:
            self.p.send_signal(sig)

    def stop(self, timeout=10.0):
        if not self.p:
            return None
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        return self.p.returncode


# ---- a raw FIX 4.4 initiator ---------------------------------------------------
def utc_now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y%m%d-%H:%M:%S.") + "%03d" % (t.microsecond // 1000)


class Fix:
    """One initiator session (comp -> ORION). A reader thread takes every
    message, answers TestRequests and ResendRequests (gap fill), and keeps
    ExecutionReports / OrderCancelRejects per ClOrdID (dicts of tag -> value)."""

    def __init__(self, port, comp="CLIENT1", user=None, password=None, heartbeat=30):
        self.port, self.comp = port, comp
        self.user = user or comp.lower()
        self.password = password or comp.lower() + "-pw"
        self.hb = heartbeat
        self.out_seq = 1
        self.lock = threading.Condition()
        self.reports = {}          # clordid -> [msg dict]
        self.logon_reply = None
        self.closed = False
        self.sock = None
        self.n = 0

    def connect(self, timeout=10.0):
        end = time.time() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(None)
        threading.Thread(target=self._reader, daemon=True).start()
        self.send("A", [(98, 0), (108, self.hb), (141, "Y"), (553, self.user), (554, self.password)])
        with self.lock:
            self.lock.wait_for(lambda: self.logon_reply is not None or self.closed, timeout)
            reply = self.logon_reply
        if not reply or reply.get(35) != "A":
            raise RuntimeError("FIX logon %s refused: %s" % (self.comp, reply))
        return self

    def send(self, msgtype, body=(), seq=None, possdup=False):
        with self.lock:
            if seq is None:
                seq = self.out_seq
                self.out_seq += 1
            hdr = [(35, msgtype), (49, self.comp), (56, "ORION"), (34, seq)]
            if possdup:
                hdr.append((43, "Y"))
            hdr.append((52, utc_now()))
            b = b"".join(b"%d=%s\x01" % (t, str(v).encode()) for t, v in hdr + list(body))
            head = b"8=FIX.4.4\x019=%d\x01" % len(b)
            msg = head + b + b"10=%03d\x01" % ((sum(head) + sum(b)) % 256)
            try:
                self.sock.sendall(msg)
            except OSError:
                self.closed = True
            return seq

    def _reader(self):
        buf = bytearray()
        while True:
            try:
                r, _, _ = select.select([self.sock], [], [], 0.5)
                if not r:
                    continue
                data = self.sock.recv(65536)
            except (OSError, ValueError):
                data = b""
            if not data:
                with self.lock:
                    self.closed = True
                    self.lock.notify_all()
                return
            buf += data
            while True:
                m = _extract(buf)
                if m is None:
                    break
                self._handle(m)

    def _handle(self, m):
        typ = m.get(35)
        if typ == "1":
            self.send("0", [(112, m.get(112, ""))])
        elif typ == "2":
            self.send("4", [(123, "Y"), (36, self.out_seq)], seq=int(m.get(7, "1")), possdup=True)
        with self.lock:
            if typ in ("A", "5") and self.logon_reply is None:
                self.logon_reply = m
            if typ in ("8", "9"):
                self.reports.setdefault(m.get(11, ""), []).append(m)
                if typ == "8" and m.get(41):
                    self.reports.setdefault(m.get(41), []).append(m)
            self.lock.notify_all()

    def new_order(self, sym, side, qty, price=None, tif="0", clordid=None, account=None):
        """side 1 buy, 2 sell; price None: market. Returns the ClOrdID."""
        self.n += 1
        cl = clordid or "%s-%d-%d" % (self.comp, os.getpid() % 10000, self.n)
        body = [(11, cl), (55, sym), (54, side), (60, utc_now()), (38, qty), (40, 1 if price is None else 2)]
        if price is not None:
            body.append((44, price))
        body.append((59, tif))
        if account:
            body.append((1, account))
        self.send("D", body)
        return cl

    def cancel(self, orig, sym, side):
        self.n += 1
        cl = "%s-x%d-%d" % (self.comp, os.getpid() % 10000, self.n)
        self.send("F", [(41, orig), (11, cl), (55, sym), (54, side), (60, utc_now())])
        return cl

    def wait(self, clordid, pred, timeout=5.0):
        """The first report of clordid matching pred (or None)."""
        with self.lock:
            hit = []

            def found():
                hit[:] = [m for m in self.reports.get(clordid, []) if pred(m)][:1]
                return bool(hit) or self.closed
            self.lock.wait_for(found, timeout)
            return hit[0] if hit else None

    def got(self, clordid):
        with self.lock:
            return list(self.reports.get(clordid, []))

    def close(self, logout=True):
        if self.sock and not self.closed and logout:
            self.send("5", [(58, "bye")])
            with self.lock:
                self.lock.wait_for(lambda: self.closed, 2.0)
        try:
            self.sock.close()
        except (OSError, AttributeError):
            pass


def _extract(buf):
    i = buf.find(b"8=FIX")
    if i < 0:
        del buf[:-4]
        return None
    del buf[:i]
    j = buf.find(SOH)
    k = buf.find(SOH, j + 1) if j >= 0 else -1
    if k < 0:
        return None
    try:
        blen = int(buf[j + 3:k])
    except ValueError:
        del buf[:1]
        return None
    end = k + 1 + blen + 7
    if len(buf) < end:
        return None
    raw = bytes(buf[:end])
    del buf[:end]
    d = {}
    for part in raw[:-1].split(SOH):
        t, _, v = part.partition(b"=")
        try:
            d.setdefault(int(t), v.decode(errors="replace"))
        except ValueError:
            pass
    return d


def is_new(m):
    return m.get(35) == "8" and m.get(150) == "0"


def is_final(m):
    return m.get(35) == "9" or (m.get(35) == "8" and m.get(150) in ("0", "8", "4", "F"))


# ---- venue command (web e2e) ---------------------------------------------------
def venue(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="oriond_env.py venue")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rest", required=True, help="SYM:PX[:QTY],...  resting sells")
    ap.add_argument("--tick", type=float, default=0.01)
    ap.add_argument("--seconds", type=float, default=600)
    a = ap.parse_args(argv)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        fx = Fix(a.port, "CLIENT1").connect()
    except (OSError, RuntimeError) as e:
        print("venue: no FIX logon: %s" % e, flush=True)
        return 3
    rest = []
    for item in a.rest.split(","):
        parts = item.split(":")
        sym, px = parts[0], float(parts[1])
        qty = int(parts[2]) if len(parts) > 2 else 100000
        cl = fx.new_order(sym, 2, qty, "%.2f" % px, tif="1")
        rest.append((sym, px, cl))
    for sym, px, cl in rest:
        m = fx.wait(cl, is_final)
        if not m or not is_new(m):
            print("venue: resting sell %s @ %.2f refused: %s" % (sym, px, m and m.get(58)), flush=True)
            fx.close()
            return 1
        print("venue: resting sell %s @ %.2f (order %s)" % (sym, px, m.get(37)), flush=True)
    print("VENUE READY", flush=True)
    end = time.time() + a.seconds
    live = {}
    k = 0
    sent = 0
    reported = {cl: 0 for _, _, cl in rest}

    def report_fills():
        for sym, px, cl in rest:
            fl = [m for m in fx.got(cl) if m.get(35) == "8" and m.get(150) == "F"]
            for m in fl[reported[cl]:]:
                print("venue: fill on the resting sell %s @ %.2f: %s @ %s (leaves %s, order %s)" % (
                    sym, px, m.get(32), m.get(31), m.get(151), m.get(37)), flush=True)
            reported[cl] = len(fl)
    while not stop and not fx.closed and time.time() < end:
        report_fills()
        for sym, px, _ in rest:
            # a bid 5..24 ticks under the resting sell, then the previous one canceled
            off = 5 + (k * 7 + len(sym)) % 20
            bid = "%.2f" % (px - off * a.tick)
            cl = fx.new_order(sym, 1, 10 + (k % 5) * 10, bid)
            sent += 1
            if sym in live:
                fx.cancel(live[sym], sym, 1)
            live[sym] = cl
        k += 1
        time.sleep(0.2)
    report_fills()
    print("venue: %d moving orders sent" % sent, flush=True)
    fx.close()
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "venue":
        return venue(sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
