#!/usr/bin/env python3
"""FIX 4.4 initiator for the journal tests (python3 standard library only).

One session (SenderCompID --comp) against oriond. Sequence numbers persist in
--state (JSON) across runs and across oriond restarts: Logon never resets
them (no 141=Y). As an initiator must, it
  - answers the acceptor's ResendRequest with a SequenceReset-GapFill over
    the requested range (orders are never resent: one the acceptor did not
    take is simply not acknowledged, and is counted as lost by the caller);
  - sends a ResendRequest when the acceptor's MsgSeqNum is above the one
    expected, takes the resent messages (PossDupFlag=Y) and gap fills;
  - answers TestRequests.
Every ExecutionReport and OrderCancelReject received is appended to --log as
"clordid exectype ordstatus possdup orderid" (one line each, flushed; exectype
C for a cancel reject), and every NewOrderSingle sent as "clordid S - 0 -".

Modes
  load   send --orders NewOrderSingle (and a cancel now and then), a window of
         --window unacknowledged orders at most, prices around 150.00 so that
         some cross; stops at --orders, at --seconds, or when the connection
         drops (oriond killed): exit 0 after saving the state either way.
  settle log on, recover what was missed (ResendRequest), read for --seconds,
         log out; exit 0 when logged on and out cleanly.
Exit 3: could not connect / log on (after --connect-timeout seconds).
"""

import argparse
import datetime
import json
import os
import random
import select
import socket
import sys
import time

SOH = b"\x01"


def utc_now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y%m%d-%H:%M:%S.") + "%03d" % (t.microsecond // 1000)


class Session:
    def __init__(self, a):
        self.a = a
        self.st = {"out": 1, "in": 1, "n": 0, "run": 0}
        if os.path.exists(a.state):
            with open(a.state) as f:
                self.st.update(json.load(f))
        self.st["run"] += 1
        self.log = open(a.log, "a", buffering=1)
        self.sock = None
        self.buf = bytearray()
        self.eof = False
        self.resend_pending = False
        self.problems = []
        self.acked = set()
        self.pending = {}         # clordid -> time sent (not yet answered)
        self.live = []            # acknowledged, maybe resting: candidates for cancel
        self.n_rr = self.n_gf = self.n_possdup = 0   # ResendRequests sent, gap fills sent, PossDup received

    def save(self):
        tmp = self.a.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.st, f)
        os.replace(tmp, self.a.state)

    def connect(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.a.port), timeout=2)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return True
            except OSError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.1)

    def send(self, msgtype, body=(), seq=None, possdup=False):
        if seq is None:
            seq = self.st["out"]
            self.st["out"] += 1
        hdr = [(35, msgtype), (49, self.a.comp), (56, "ORION"), (34, seq)]
        if possdup:
            hdr.append((43, "Y"))
        hdr.append((52, utc_now()))
        b = b"".join(b"%d=%s\x01" % (t, str(v).encode()) for t, v in hdr + list(body))
        head = b"8=FIX.4.4\x019=%d\x01" % len(b)
        msg = head + b + b"10=%03d\x01" % ((sum(head) + sum(b)) % 256)
        try:
            self.sock.sendall(msg)
        except OSError:
            self.eof = True
        return seq

    def _extract(self):
        i = self.buf.find(b"8=FIX")
        if i < 0:
            return None
        del self.buf[:i]
        j = self.buf.find(SOH)
        k = self.buf.find(SOH, j + 1) if j >= 0 else -1
        if k < 0:
            return None
        blen = int(self.buf[j + 3:k])
        end = k + 1 + blen + 7
        if len(self.buf) < end:
            return None
        raw = bytes(self.buf[:end])
        del self.buf[:end]
        d = {}
        for part in raw[:-1].split(SOH):
            t, _, v = part.partition(b"=")
            d.setdefault(int(t), v.decode(errors="replace"))
        return d

    def read(self, timeout):
        """Next message or None (timeout or EOF)."""
        deadline = time.monotonic() + timeout
        while True:
            m = self._extract()
            if m is not None:
                return m
            if self.eof:
                return None
            left = max(0.0, deadline - time.monotonic())
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                if left <= 0:
                    return None
                continue
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.eof = True
            self.buf += data

    def handle(self, m):
        """Session-level processing of one message; returns it, or None when
        it was consumed here."""
        seq = int(m.get(34, "0"))
        typ = m.get(35, "")
        possdup = m.get(43) == "Y"
        if typ == "4" and m.get(123) == "Y":          # gap fill
            new = int(m.get(36, "0"))
            if seq >= self.st["in"] and new > self.st["in"]:
                self.st["in"] = new
            return None
        if typ == "4":                                  # reset
            self.st["in"] = int(m.get(36, "0"))
            return None
        if seq < self.st["in"]:
            if not possdup:
                self.problems.append("MsgSeqNum too low: %d < %d (35=%s)" % (seq, self.st["in"], typ))
            elif typ in ("8", "9"):
                self.record(m, possdup)                # a duplicate resend: logged, harmless
            return None
        if seq > self.st["in"] and typ not in ("5",):
            if not self.resend_pending:
                self.send("2", [(7, self.st["in"]), (16, 0)])
                self.resend_pending = True
                self.n_rr += 1
            if typ == "A":
                return m                                # the Logon itself is fine
            if typ == "2":
                self.answer_resend(m)
            return None                                 # the resend brings it again
        self.st["in"] = max(self.st["in"], seq + 1)
        if not possdup:
            self.resend_pending = False     # in sequence again: any resend is over
        if typ == "2":
            self.answer_resend(m)
            return None
        if typ == "1":
            self.send("0", [(112, m.get(112, ""))])
            return None
        if typ in ("8", "9"):
            self.record(m, possdup)
        return m

    def answer_resend(self, m):
        beg = int(m.get(7, "1"))
        # gap fill from beg up to our next sequence number
        self.n_gf += 1
        self.send("4", [(123, "Y"), (36, self.st["out"])], seq=beg, possdup=True)

    def record(self, m, possdup):
        self.n_possdup += 1 if possdup else 0
        cl = m.get(11, "")
        et = m.get(150, "C") if m.get(35) == "8" else "C"
        self.log.write("%s %s %s %d %s\n" % (cl, et, m.get(39, "-"), 1 if possdup else 0, m.get(37, "-")))
        if et in ("0", "8", "F", "4") and cl in self.pending:
            del self.pending[cl]
        if et == "0":
            self.acked.add(cl)
            self.live.append(cl)

    def logon(self, timeout):
        self.send("A", [(98, 0), (108, 30), (553, self.a.user), (554, self.a.password)])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.read(deadline - time.monotonic())
            if m is None:
                return False
            h = self.handle(m)
            if h is not None and h.get(35) == "A":
                return True
            if h is not None and h.get(35) == "5":
                self.problems.append("logon refused: %s" % h.get(58, ""))
                return False
        return False

    def pump(self, timeout):
        m = self.read(timeout)
        if m is None:
            return False
        self.handle(m)
        return True

    def new_order(self, rnd):
        self.st["n"] += 1
        cl = "r%d-%d" % (self.st["run"], self.st["n"])
        side = rnd.choice((1, 2))
        ticks = rnd.randint(-20, 20)
        px = "%.2f" % (150.0 + ticks * 0.01)
        qty = rnd.randint(1, 10) * 10
        self.send("D", [(11, cl), (55, "AAPL"), (54, side), (60, utc_now()), (38, qty), (40, 2),
                        (44, px), (59, 1)])
        self.pending[cl] = time.monotonic()
        self.log.write("%s S - 0 -\n" % cl)
        return cl

    def cancel(self, rnd):
        if not self.live:
            return
        orig = self.live.pop(rnd.randrange(len(self.live)))
        self.st["n"] += 1
        cl = "x%d-%d" % (self.st["run"], self.st["n"])
        self.send("F", [(41, orig), (11, cl), (55, "AAPL"), (54, 1), (60, utc_now())])

    def recovery(self):
        return "resend requests sent %d, gap fills sent %d, reports received as PossDup %d" % (
            self.n_rr, self.n_gf, self.n_possdup)

    def logout(self, timeout=3.0):
        self.send("5", [(58, "bye")])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.read(deadline - time.monotonic())
            if m is None:
                return False
            h = self.handle(m)
            if h is not None and h.get(35) == "5":
                return True
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["load", "settle"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--comp", default="CLIENT1")
    ap.add_argument("--user", default="client1")
    ap.add_argument("--password", default="secret1")
    ap.add_argument("--state", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--orders", type=int, default=300)
    ap.add_argument("--window", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cancel-pct", type=int, default=10)
    ap.add_argument("--logout", action="store_true", help="load: log out at the end")
    ap.add_argument("--connect-timeout", type=float, default=10.0)
    a = ap.parse_args()

    s = Session(a)
    rnd = random.Random(a.seed * 1000003 + s.st["run"])
    try:
        if not s.connect(a.connect_timeout) or not s.logon(a.connect_timeout):
            print("fixdrive: %s: no logon on port %d (%s)" % (a.comp, a.port, "; ".join(s.problems)))
            return 3
        deadline = time.monotonic() + a.seconds
        if a.mode == "settle":
            while time.monotonic() < deadline and not s.eof:
                s.pump(deadline - time.monotonic())
            ok = s.logout()
            print("fixdrive: settle: in=%d out=%d problems=%d, %s"
                  % (s.st["in"], s.st["out"], len(s.problems), s.recovery()))
            for p in s.problems[:5]:
                print("fixdrive: problem: " + p)
            return 0 if ok and not s.problems else 1
        sent = 0
        while not s.eof and time.monotonic() < deadline:
            if sent < a.orders and len(s.pending) < a.window:
                if rnd.randrange(100) < a.cancel_pct:
                    s.cancel(rnd)
                s.new_order(rnd)
                sent += 1
                while s.pump(0):
                    pass
                continue
            if sent >= a.orders and not s.pending:
                break
            s.pump(0.2)
        while s.pump(0):        # what arrived before the connection dropped
            pass
        if a.logout and not s.eof:
            s.logout()
        print("fixdrive: load: sent %d orders, %d acked, %d unanswered, eof=%s, problems=%d, %s"
              % (sent, len(s.acked), len(s.pending), s.eof, len(s.problems), s.recovery()))
        for p in s.problems[:5]:
            print("fixdrive: problem: " + p)
        return 0 if not s.problems else 1
    finally:
        s.save()
        if s.sock:
            s.sock.close()


if __name__ == "__main__":
    sys.exit(main())
