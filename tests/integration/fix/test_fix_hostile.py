#!/usr/bin/env python3
"""Integration: oriond's FIX 4.4 acceptor against a hostile peer.

Raw sockets on 127.0.0.1 only, python3 standard library only. Starts oriond
itself (temporary config, sessions.cfg and store), then runs one case per
misbehaviour and checks the reaction FIX 4.4 Volume 2 asks for, while a
well-behaved session (GOOD, HeartBtInt=1) keeps running in a thread: after
every case it must still get Heartbeats on time, answers to its TestRequests
and acks (ExecutionReport 150=0) to its orders.

Cases: bad checksum, bad BodyLength, missing required tag, wrong CompID,
MsgSeqNum too low, MsgSeqNum too high (+ the client's gap fill), client
ResendRequest (resent application messages PossDupFlag=Y, admin ones
gap-filled), oversized message before Logon (disconnect) and after it
(disconnect, or dropped as garbled without consuming a MsgSeqNum),
slow-loris partial message, first message not Logon, bad password, 2000
concurrent connections.

Prints "ok   case: detail" or "FAIL case: detail" per case and a final
"N passed, N failed". Exit 0 when all pass, 1 otherwise, 77 (skip) when
oriond is missing. Bounded: every socket operation has a timeout and a
watchdog ends the run after 170 s.

Usage: test_fix_hostile.py ORIOND [--keep] [--verbose] [--attach=PORT]
  --attach=PORT  run the cases against an acceptor already listening on PORT
                 (sessions as in write_config()) instead of starting oriond.
"""

import datetime
import os
import resource
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SOH = b"\x01"
TARGET = "ORION"
SYMBOL = "AAPL"
WATCHDOG_S = 170
VERBOSE = False

# CompID -> (username, password). One session per case, so that each case
# starts from fresh sequence numbers and cannot disturb the others.
SESSIONS = {
    name: (name.lower(), "pw-" + name.lower())
    for name in ["GOOD", "CHK", "BLEN", "REQ", "COMP", "LOW", "HIGH", "RESEND", "BIG",
                 "LORIS", "NOTLOGON", "BADPW", "LATE"]
}


def log(msg):
    if VERBOSE:
        print("# " + msg, flush=True)


def utc_now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y%m%d-%H:%M:%S.") + "%03d" % (t.microsecond // 1000)


def encode(msgtype, body, seq, sender, target=TARGET, extra_header=(), blen_delta=0,
           cs_delta=0, sending_time=None):
    """One FIX 4.4 message. body: [(tag, value)]. blen_delta/cs_delta corrupt
    BodyLength/CheckSum on purpose."""
    hdr = [(35, msgtype), (49, sender), (56, target), (34, seq),
           (52, sending_time or utc_now())] + list(extra_header)
    b = b"".join(b"%d=%s\x01" % (t, str(v).encode()) for t, v in hdr + list(body))
    head = b"8=FIX.4.4\x019=%d\x01" % (len(b) + blen_delta)
    cs = (sum(head) + sum(b) + cs_delta) % 256
    return head + b + b"10=%03d\x01" % cs


class Msg:
    def __init__(self, raw, fields):
        self.raw = raw
        self.fields = fields
        self.d = {}
        for t, v in fields:
            self.d.setdefault(t, v)
        self.type = self.d.get(35, "")
        self.seq = int(self.d.get(34, "0") or 0)

    def get(self, tag, default=""):
        return self.d.get(tag, default)

    def __repr__(self):
        return self.raw.replace(SOH, b"|").decode(errors="replace")


class Conn:
    """A TCP connection with a FIX framer. Not thread-safe for reading; send()
    takes a lock so a second thread may send."""

    def __init__(self, port, sender=None, timeout=3.0):
        global OPENED
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        OPENED += 1
        self.sock.settimeout(timeout)
        self.sender = sender
        self.buf = bytearray()
        self.eof = False
        self.errors = []     # framing problems in what the server sent
        self.out_seq = 1
        self.lock = threading.Lock()
        self.poll = select.poll()
        self.poll.register(self.sock, select.POLLIN)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        with self.lock:
            self.sock.sendall(data)

    def send(self, msgtype, body=(), seq=None, **kw):
        with self.lock:
            if seq is None:
                seq = self.out_seq
                self.out_seq += 1
            data = encode(msgtype, body, seq, kw.pop("sender", self.sender), **kw)
            self.sock.sendall(data)
        return seq

    def _extract(self):
        while True:
            i = self.buf.find(b"8=FIX")
            if i < 0:
                if len(self.buf) > 4:
                    self.errors.append("junk bytes from server: %r" % bytes(self.buf[:40]))
                    del self.buf[:-4]
                return None
            if i > 0:
                self.errors.append("junk bytes from server: %r" % bytes(self.buf[:i][:40]))
                del self.buf[:i]
            j = self.buf.find(SOH)
            if j < 0:
                return None
            if not self.buf[j + 1:j + 3] == b"9=" and len(self.buf) > j + 3:
                self.errors.append("no BodyLength after BeginString")
                del self.buf[:1]
                continue
            k = self.buf.find(SOH, j + 1)
            if k < 0:
                return None
            try:
                blen = int(self.buf[j + 3:k])
            except ValueError:
                self.errors.append("bad BodyLength from server")
                del self.buf[:1]
                continue
            end = k + 1 + blen
            if len(self.buf) < end + 7:
                return None
            raw = bytes(self.buf[:end + 7])
            if raw[end:end + 3] != b"10=" or raw[-1:] != SOH:
                self.errors.append("server message with wrong BodyLength: %r" % raw[:80])
                del self.buf[:1]
                continue
            del self.buf[:end + 7]
            if int(raw[end + 3:end + 6]) != sum(raw[:end]) % 256:
                self.errors.append("server message with wrong CheckSum: %r" % raw[:80])
            fields = []
            for part in raw[:-1].split(SOH):
                t, _, v = part.partition(b"=")
                try:
                    fields.append((int(t), v.decode(errors="replace")))
                except ValueError:
                    self.errors.append("bad tag from server: %r" % part)
            m = Msg(raw, fields)
            log("%s <- %r" % (self.sender, m))
            return m

    def read(self, timeout):
        """Next message, or None on timeout or EOF (self.eof tells which)."""
        deadline = time.monotonic() + timeout
        while True:
            m = self._extract()
            if m is not None:
                return m
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not self.poll.poll(int(left * 1000) + 1):
                continue
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                data = b""
            except socket.timeout:
                continue
            if not data:
                self.eof = True
            self.buf += data

    def expect(self, pred, timeout, seen=None, answer_test_requests=True):
        """Read until pred(msg); other messages go to seen. None on timeout/EOF."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            m = self.read(left)
            if m is None:
                return None
            if pred(m):
                return m
            if seen is not None:
                seen.append(m)
            if answer_test_requests and m.type == "1" and not self.eof:
                try:
                    self.send("0", [(112, m.get(112))])
                except OSError:
                    pass

    def wait_closed(self, timeout, seen=None):
        """True when the server closes within timeout; messages go to seen."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            m = self.read(left)
            if m is not None and seen is not None:
                seen.append(m)
        return True

    def logon(self, hb=30, password=None, timeout=3.0):
        user, pw = SESSIONS[self.sender]
        self.send("A", [(98, 0), (108, hb), (553, user), (554, password or pw)])
        return self.expect(lambda m: m.type in ("A", "5"), timeout)

    def logout(self, timeout=3.0):
        try:
            self.send("5", [(58, "bye")])
            self.expect(lambda m: m.type == "5", timeout)
        except OSError:
            pass
        self.close()


def order_body(clordid, side=1, qty=1, px="135.50", tif=0):
    return [(11, clordid), (55, SYMBOL), (54, side), (60, utc_now()), (38, qty), (40, 2),
            (44, px), (59, tif)]


class Monitor(threading.Thread):
    """The well-behaved session: HeartBtInt=1, answers TestRequests, sends its
    own Heartbeats, and on probe() a TestRequest plus a NewOrderSingle."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.c = Conn(port, "GOOD")
        m = self.c.logon(hb=1)
        if m is None or m.type != "A":
            raise RuntimeError("GOOD session could not log on: %r" % m)
        self.stop_ev = threading.Event()
        self.cv = threading.Condition()
        self.test_ids = set()
        self.acks = set()
        self.last_rx = time.monotonic()
        self.max_gap = 0.0      # since the last probe() that reported it
        self.worst_gap = 0.0    # whole run
        self.heartbeats = 0
        self.problems = []
        self.n = 0

    def run(self):
        last_tx = time.monotonic()
        while not self.stop_ev.is_set():
            m = self.c.read(0.1)
            now = time.monotonic()
            if m is not None:
                with self.cv:
                    gap = now - self.last_rx
                    self.max_gap = max(self.max_gap, gap)
                    self.worst_gap = max(self.worst_gap, gap)
                    self.last_rx = now
                    if m.type == "0":
                        self.heartbeats += 1
                        if m.get(112):
                            self.test_ids.add(m.get(112))
                    elif m.type == "8" and m.get(150) == "0":
                        self.acks.add(m.get(11))
                    elif m.type in ("3", "5", "j") or (m.type == "8" and m.get(150) == "8"):
                        self.problems.append("unexpected %r" % m)
                    self.cv.notify_all()
                if m.type == "1":
                    try:
                        self.c.send("0", [(112, m.get(112))])
                        last_tx = now
                    except OSError as e:
                        self.problems.append("send failed: %s" % e)
            elif self.c.eof:
                with self.cv:
                    self.problems.append("GOOD session disconnected by the server")
                    self.cv.notify_all()
                return
            else:
                with self.cv:
                    self.max_gap = max(self.max_gap, now - self.last_rx)
            if now - last_tx >= 0.8:
                try:
                    self.c.send("0")
                    last_tx = now
                except OSError as e:
                    with self.cv:
                        self.problems.append("send failed: %s" % e)
                    return

    def probe(self, tag, timeout=3.0):
        """None when healthy, else what is wrong."""
        self.n += 1
        tid = "probe-%s-%d" % (tag, self.n)
        cl = "mon-%d-%d" % (self.n, os.getpid() % 100000)   # ClOrdID <= 20 bytes
        try:
            self.c.send("1", [(112, tid)])
            self.c.send("D", order_body(cl))
        except OSError as e:
            return "GOOD send failed: %s" % e
        deadline = time.monotonic() + timeout
        with self.cv:
            while not (tid in self.test_ids and cl in self.acks):
                left = deadline - time.monotonic()
                if left <= 0 or self.problems:
                    break
                self.cv.wait(left)
            if self.problems:
                return "GOOD: " + "; ".join(self.problems[:3])
            if tid not in self.test_ids:
                return "GOOD: no Heartbeat for TestRequest %s within %.1fs" % (tid, timeout)
            if cl not in self.acks:
                return "GOOD: no ack for order %s within %.1fs" % (cl, timeout)
            if self.max_gap > 3.0:
                gap, self.max_gap = self.max_gap, 0.0
                return "GOOD: %.2fs without any message from the server (HeartBtInt=1)" % gap
        return None

    def finish(self):
        self.stop_ev.set()
        self.join(2)
        self.c.logout()


class Runner:
    def __init__(self, port, monitor):
        self.port = port
        self.mon = monitor
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def report(self, name, ok, detail):
        if ok is None:
            self.skipped += 1
            print("skip %s: %s" % (name, detail), flush=True)
        elif ok:
            self.passed += 1
            print("ok   %s: %s" % (name, detail), flush=True)
        else:
            self.failed += 1
            print("FAIL %s: %s" % (name, detail), flush=True)

    def run(self, name, fn, probe=True):
        t0 = time.monotonic()
        try:
            ok, detail = fn(self.port)
        except Exception as e:  # a case must never take the run down
            ok, detail = False, "exception %s: %s" % (type(e).__name__, e)
        if probe and self.mon is not None:
            bad = self.mon.probe(name)
            if bad:
                ok, detail = False, "%s; other session affected: %s" % (detail, bad)
        self.report(name, ok, "%s (%.1fs)" % (detail, time.monotonic() - t0))


def logged_on(port, sender, hb=30):
    c = Conn(port, sender)
    m = c.logon(hb=hb)
    if m is None or m.type != "A":
        c.close()
        raise RuntimeError("%s could not log on: %r" % (sender, m))
    return c


def heartbeat_for(c, tid, timeout=3.0, seen=None):
    return c.expect(lambda m: m.type == "0" and m.get(112) == tid, timeout, seen)


def fmt(msgs):
    return ", ".join("35=%s 34=%d" % (m.type, m.seq) for m in msgs) or "nothing"


# ------------------------------------------------------------------ cases

def case_bad_checksum(port):
    c = logged_on(port, "CHK")
    try:
        c.send("1", [(112, "garbled")], seq=2, cs_delta=1)
        seen = []
        c.expect(lambda m: False, 1.0, seen)
        if seen:
            return False, "server answered a message with a bad CheckSum: %s" % fmt(seen)
        c.send("1", [(112, "after-cs")], seq=2)
        seen = []
        hb = heartbeat_for(c, "after-cs", 2.0, seen)
        if hb is None:
            return False, ("valid MsgSeqNum 2 after the garbled one not answered (seq consumed?): "
                           "got %s" % fmt(seen))
        if hb.seq != 2:
            return False, "server's Heartbeat is 34=%d, want 2 (it sent something for the garbled message)" % hb.seq
        c.out_seq = 3
        return True, "ignored; next MsgSeqNum 2 accepted"
    finally:
        c.logout()


def case_bad_bodylength(port):
    c = logged_on(port, "BLEN")
    try:
        c.send("1", [(112, "garbled")], seq=2, blen_delta=-3)
        seen = []
        c.expect(lambda m: False, 1.0, seen)
        if seen:
            return False, "server answered a message with a bad BodyLength: %s" % fmt(seen)
        c.send("1", [(112, "after-blen")], seq=2)
        seen = []
        hb = heartbeat_for(c, "after-blen", 2.0, seen)
        if hb is None:
            return False, "valid MsgSeqNum 2 after the garbled one not answered: got %s" % fmt(seen)
        c.out_seq = 3
        return True, "ignored; next MsgSeqNum 2 accepted"
    finally:
        c.logout()


def case_missing_required(port):
    c = logged_on(port, "REQ")
    try:
        body = [f for f in order_body("req-1") if f[0] != 54]   # no Side
        seq = c.send("D", body)
        seen = []
        rj = c.expect(lambda m: m.type == "3", 2.0, seen)
        if rj is None:
            return False, "no Reject for a NewOrderSingle without Side: got %s" % fmt(seen)
        bad = [(t, rj.get(t), w) for t, w in ((45, str(seq)), (373, "1"), (371, "54"))
               if rj.get(t) != w]
        if bad:
            return False, "Reject fields wrong: " + ", ".join("%d=%r want %r" % b for b in bad)
        tid = "after-req"
        c.send("1", [(112, tid)])
        if heartbeat_for(c, tid) is None:
            return False, "session unusable after the Reject"
        return True, "Reject 45=%s 373=1 371=54, sequence continues" % seq
    finally:
        c.logout()


def case_wrong_compid(port):
    c = logged_on(port, "COMP")
    try:
        c.send("1", [(112, "intruder")], sender="INTRUDER")
        seen = []
        closed = c.wait_closed(5.0, seen)
        types = [m.type for m in seen]
        rj = [m for m in seen if m.type == "3"]
        if not rj:
            return False, "no Reject for a wrong SenderCompID: got %s" % fmt(seen)
        if rj[0].get(373) != "9":
            return False, "Reject 373=%r, want 9 (CompID problem)" % rj[0].get(373)
        if "5" not in types or types.index("5") < types.index("3"):
            return False, "no Logout after the Reject: got %s" % fmt(seen)
        if not closed:
            return False, "connection not closed within 5s after the Logout"
        return True, "Reject 373=9, Logout (%s), disconnect" % [m.get(58) for m in seen if m.type == "5"][0]
    finally:
        c.close()


def case_seq_too_low(port):
    c = logged_on(port, "LOW")
    try:
        c.send("1", [(112, "t2")])
        if heartbeat_for(c, "t2") is None:
            return False, "TestRequest 34=2 not answered"
        c.send("1", [(112, "t2-again")], seq=2)
        seen = []
        closed = c.wait_closed(5.0, seen)
        lo = [m for m in seen if m.type == "5"]
        if any(m.type == "0" and m.get(112) == "t2-again" for m in seen):
            return False, "a MsgSeqNum too low without PossDupFlag was processed"
        if not lo:
            return False, "no Logout for MsgSeqNum too low: got %s" % fmt(seen)
        if not closed:
            return False, "connection not closed within 5s after the Logout"
        return True, "Logout (%s), disconnect" % lo[0].get(58)
    finally:
        c.close()


def case_seq_too_high(port):
    c = logged_on(port, "HIGH")
    try:
        c.send("1", [(112, "hi")], seq=5)
        seen = []
        rr = c.expect(lambda m: m.type == "2", 2.0, seen)
        if rr is None:
            return False, "no ResendRequest for MsgSeqNum 5 (expected 2): got %s" % fmt(seen)
        if rr.get(7) != "2" or rr.get(16) not in ("0", "4"):
            return False, "ResendRequest 7=%s 16=%s, want 7=2 16=0 (or 4)" % (rr.get(7), rr.get(16))
        # Fill the gap 2..4; the queued TestRequest 5 must then be processed.
        c.send("4", [(123, "Y"), (36, 5)], seq=2,
               extra_header=[(43, "Y"), (122, utc_now())])
        seen = []
        hb = heartbeat_for(c, "hi", 2.0, seen)
        if hb is None:
            return False, "queued MsgSeqNum 5 not processed after the gap fill: got %s" % fmt(seen)
        c.out_seq = 6
        c.send("1", [(112, "hi6")])
        if heartbeat_for(c, "hi6") is None:
            return False, "MsgSeqNum 6 after the gap fill not answered"
        return True, "ResendRequest 7=2 16=%s; gap fill accepted; queued message processed" % rr.get(16)
    finally:
        c.logout()


def case_resend(port):
    c = logged_on(port, "RESEND")
    try:
        originals = {}
        for i, px in enumerate(("136.00", "136.10")):
            cl = "rs-%d-%d" % (i, os.getpid())
            c.send("D", order_body(cl, px=px))
            er = c.expect(lambda m, cl=cl: m.type == "8" and m.get(11) == cl, 2.0)
            if er is None:
                return False, "no ack for %s" % cl
            originals[er.seq] = er
        c.send("1", [(112, "mid")])
        hb = heartbeat_for(c, "mid")
        if hb is None:
            return False, "TestRequest not answered"
        cl = "rs-2-%d" % os.getpid()
        c.send("D", order_body(cl, px="136.20"))
        er = c.expect(lambda m: m.type == "8" and m.get(11) == cl, 2.0)
        if er is None:
            return False, "no ack for %s" % cl
        originals[er.seq] = er
        last = er.seq
        c.send("2", [(7, 1), (16, 0)])
        covered = 1
        problems = []
        deadline = time.monotonic() + 3.0
        while covered <= last and time.monotonic() < deadline:
            m = c.read(deadline - time.monotonic())
            if m is None:
                break
            if m.seq != covered:
                if m.type in ("0", "1") and m.get(43) != "Y":
                    continue   # a live Heartbeat/TestRequest in between
                problems.append("got 34=%d (35=%s), expected 34=%d" % (m.seq, m.type, covered))
                break
            if m.get(43) != "Y":
                problems.append("34=%d resent without PossDupFlag=Y" % m.seq)
            if m.type == "4":
                if m.get(123) != "Y":
                    problems.append("SequenceReset 34=%d without GapFillFlag=Y" % m.seq)
                nxt = int(m.get(36, "0") or 0)
                if nxt <= covered:
                    problems.append("gap fill 34=%d NewSeqNo=%d does not advance" % (m.seq, nxt))
                    break
                for s in range(covered, nxt):
                    if s in originals:
                        problems.append("application message 34=%d gap-filled, not resent" % s)
                covered = nxt
                continue
            if m.type in ("A", "0", "1", "2", "5"):
                problems.append("admin message 35=%s 34=%d resent instead of gap-filled" % (m.type, m.seq))
            elif m.seq in originals:
                o = originals[m.seq]
                for t in (11, 37, 17, 150, 39):
                    if m.get(t) != o.get(t):
                        problems.append("resent 34=%d tag %d %r != original %r" % (m.seq, t, m.get(t), o.get(t)))
                if not m.get(122):
                    problems.append("resent 34=%d without OrigSendingTime" % m.seq)
            covered = m.seq + 1
        if covered <= last:
            problems.append("resend covered 1..%d of 1..%d" % (covered - 1, last))
        if problems:
            return False, "; ".join(problems[:4])
        c.send("1", [(112, "post")])
        hb = heartbeat_for(c, "post")
        if hb is None:
            return False, "TestRequest after the resend not answered"
        if hb.seq != last + 1:
            return False, "after the resend the server continued at 34=%d, want %d" % (hb.seq, last + 1)
        return True, "1..%d resent (%d application messages with PossDupFlag=Y, admin gap-filled)" % (
            last, len(originals))
    finally:
        c.logout()


def _stream_oversized(c, msgtype, sender, seq):
    """A message announcing BodyLength 1 MB, then up to 64 KB of it."""
    hdr = (b"8=FIX.4.4\x019=1000000\x0135=%s\x0149=%s\x0156=ORION\x0134=%d\x0152=%s\x0158="
           % (msgtype.encode(), sender.encode(), seq, utc_now().encode()))
    sent = 0
    try:
        c.sock.sendall(hdr)
        chunk = b"X" * 4096
        deadline = time.monotonic() + 5.0
        while sent < 65536 and time.monotonic() < deadline and not c.eof:
            c.sock.sendall(chunk)
            sent += len(chunk)
            c.read(0.01)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    return sent


def case_oversized_prelogon(port):
    c = Conn(port, "BIG")
    try:
        sent = _stream_oversized(c, "A", "BIG", 1)
        seen = []
        if not c.wait_closed(5.0, seen):
            return False, "still connected after a Logon announcing 1 MB and %d bytes of it" % sent
        if any(m.type == "A" for m in seen):
            return False, "oversized Logon accepted"
        return True, "disconnected after %d bytes (%s)" % (sent, fmt(seen))
    finally:
        c.close()


def case_oversized_session(port):
    """Logged on: the oversized message must not be processed; the gateway
    either disconnects or drops it as garbled (no MsgSeqNum consumed)."""
    c = logged_on(port, "BIG")
    try:
        sent = _stream_oversized(c, "D", "BIG", 2)
        seen = []
        if c.wait_closed(1.0, seen):
            return True, "disconnected after %d bytes (%s)" % (sent, fmt(seen))
        if any(m.type in ("8", "3", "j") for m in seen):
            return False, "oversized message processed: %s" % fmt(seen)
        try:
            c.send("1", [(112, "after-big")], seq=2)
        except OSError:
            return True, "disconnected after %d bytes" % sent
        hb = heartbeat_for(c, "after-big", 2.0, seen)
        if hb is not None:
            c.out_seq = 3
            return True, "%d bytes dropped as garbled; next MsgSeqNum 2 accepted" % sent
        if c.wait_closed(3.0, seen):
            return True, "disconnected after %d bytes (%s)" % (sent, fmt(seen))
        return False, ("neither disconnected nor recovered after %d oversized bytes: got %s"
                       % (sent, fmt(seen)))
    finally:
        c.logout()


class SlowLoris(threading.Thread):
    """Pre-logon: a Logon that never ends, one byte per 100 ms."""

    def __init__(self, port, limit_s=25.0):
        super().__init__(daemon=True)
        self.port = port
        self.limit = limit_s
        self.result = None
        self.sent = 0

    def run(self):
        t0 = time.monotonic()
        global OPENED
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError as e:
            self.result = (False, "connect: %s" % e)
            return
        OPENED += 1
        data = b"8=FIX.4.4\x019=4000\x0135=A\x0149=LORIS\x0156=ORION\x0134=1\x0158=" + b"z" * 4000
        try:
            s.setblocking(False)
            while time.monotonic() - t0 < self.limit:
                try:
                    if s.recv(4096) == b"":
                        break
                except BlockingIOError:
                    pass
                s.send(data[self.sent % len(data):][:1])
                self.sent += 1
                time.sleep(0.1)
            else:
                self.result = (False, "still connected after %.0fs (%d bytes dribbled)" % (self.limit, self.sent))
                return
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
            pass
        finally:
            s.close()
        self.result = (True, "dropped by the server after %.1fs, %d bytes" % (time.monotonic() - t0, self.sent))


def case_first_not_logon(port):
    c = Conn(port, "NOTLOGON")
    try:
        c.send("1", [(112, "no-logon")])
        seen = []
        closed = c.wait_closed(4.0, seen)
        if any(m.type == "A" or (m.type == "0" and m.get(112)) for m in seen):
            return False, "server answered a session that never logged on: %s" % fmt(seen)
        if not closed:
            return False, "connection kept open after a first message that is not Logon"
        return True, "disconnected (%s)" % fmt(seen)
    finally:
        c.close()


def case_bad_password(port):
    c = Conn(port, "BADPW")
    try:
        m = c.logon(password="wrong-password", timeout=3.0)
        seen = [m] if m is not None else []
        closed = c.wait_closed(4.0, seen)
        if any(x.type == "A" for x in seen):
            return False, "Logon with a wrong password was accepted"
        if not closed:
            return False, "connection kept open after a refused Logon"
        lo = [x.get(58) for x in seen if x.type == "5"]
        return True, "refused: %s" % ("Logout (%s), disconnect" % lo[0] if lo else "disconnect")
    finally:
        c.close()


def case_many_connections(port, n=2000):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 256
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        except (ValueError, OSError):
            pass
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < want:
        n = max(0, soft - 256)
        if n < 500:
            return None, "RLIMIT_NOFILE %d too low for the test" % soft
    sel = selectors.DefaultSelector()
    socks = []
    t0 = time.monotonic()
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            socks.append(s)
            sel.register(s, selectors.EVENT_WRITE)
        connected, failed = 0, 0
        deadline = time.monotonic() + 15.0
        pending = n
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(0.2):
                err = key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(key.fileobj)
                pending -= 1
                if err == 0:
                    connected += 1
                else:
                    failed += 1
        t_conn = time.monotonic() - t0
        global OPENED
        OPENED += connected
        if connected < n:
            return False, "%d of %d connections established in %.1fs (%d failed, %d pending)" % (
                connected, n, t_conn, failed, pending)
        # While they are held: the GOOD session is served and a new session
        # can still log on and work.
        problems = []
        bad = RUNNER.mon.probe("many-held") if RUNNER.mon else None
        if bad:
            problems.append(bad)
        try:
            late = logged_on(port, "LATE")
            late.send("1", [(112, "late")])
            if heartbeat_for(late, "late") is None:
                problems.append("LATE session: TestRequest not answered")
            late.logout()
        except Exception as e:
            problems.append("LATE session: %s" % e)
        # The kernel completes handshakes into the listen backlog by itself:
        # prove the gateway serves every connection by making half of them
        # send a first message that is not a Logon; each must be closed.
        half = socks[::2]
        t1 = time.monotonic()
        for i, s in enumerate(half):
            try:
                s.send(encode("1", [(112, "x")], 1, "NOTLOGON"))
            except OSError:
                pass
            sel.register(s, selectors.EVENT_READ)
        closed = 0
        deadline = time.monotonic() + 10.0
        while closed < len(half) and time.monotonic() < deadline:
            for key, _ in sel.select(0.2):
                try:
                    data = key.fileobj.recv(4096)
                except (ConnectionResetError, BlockingIOError, OSError) as e:
                    data = b"" if not isinstance(e, BlockingIOError) else None
                if data == b"":
                    closed += 1
                    sel.unregister(key.fileobj)
        if closed < len(half):
            problems.append("%d of %d connections that sent a non-Logon first message were "
                            "closed within 10s (the gateway does not serve them all)"
                            % (closed, len(half)))
        t_close = time.monotonic() - t1
        bad = RUNNER.mon.probe("many-held-2") if RUNNER.mon else None
        if bad:
            problems.append(bad)
        if problems:
            return False, "; ".join(problems)
        return True, ("%d connections up in %.1fs and held; others served; new Logon works; "
                      "%d non-Logon ones closed by the server in %.1fs" % (n, t_conn, closed, t_close))
    finally:
        for s in socks:
            s.close()
        sel.close()


# ------------------------------------------------------------------ oriond

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def write_config(d, port):
    os.makedirs(os.path.join(d, "store"), exist_ok=True)
    with open(os.path.join(d, "sessions.cfg"), "w") as f:
        f.write("[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=%s\n"
                "FileStorePath=%s\nHeartBtInt=30\n" % (TARGET, os.path.join(d, "store")))
        for name, (user, pw) in SESSIONS.items():
            f.write("[SESSION]\nTargetCompID=%s\nUsername=%s\nPassword=%s\n" % (name, user, pw))
    with open(os.path.join(d, "oriond.conf"), "w") as f:
        f.write("""[eal]
lcores = 0-1
memory_mb = 512
[fix]
listen = 127.0.0.1:%d
sessions = %s
max_connections = 4096
[instrument %s]
tick = 0.01
lot = 1
ref_price = 150.00
band_pct = 10
[risk]
max_order_qty = 1000000
max_notional = 100000000
collar_pct = 20
max_open_orders_session = 100000
order_rate_per_sec = 1000000
credit_limit = 1000000000
""" % (port, os.path.join(d, "sessions.cfg"), SYMBOL))


def start_oriond(oriond, d):
    out = open(os.path.join(d, "oriond.out"), "wb")
    p = subprocess.Popen([oriond, "-c", os.path.join(d, "oriond.conf")], stdout=out,
                         stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(os.path.join(d, "oriond.out"), "rb") as f:
            if b"oriond: running" in f.read():
                return p
        if p.poll() is not None:
            break
        time.sleep(0.1)
    return p


def tail(d, n=25):
    try:
        with open(os.path.join(d, "oriond.out"), "rb") as f:
            return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
    except OSError:
        return ""


RUNNER = None
OPENED = 0   # TCP connections this run established to oriond


def main():
    global VERBOSE, RUNNER
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    keep = "--keep" in sys.argv
    VERBOSE = "--verbose" in sys.argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1])
        return 2
    oriond = args[0]
    attach = [int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--attach=")]
    if not attach and not os.access(oriond, os.X_OK):
        print("SKIP: no oriond at %s" % oriond)
        return 77
    d = tempfile.mkdtemp(prefix="orion-fix-hostile.")
    proc = None

    def watchdog(signum, frame):
        print("FAIL watchdog: run exceeded %ds" % WATCHDOG_S, flush=True)
        if proc is not None and proc.poll() is None:
            proc.kill()
        if not keep:
            shutil.rmtree(d, ignore_errors=True)
        os._exit(1)

    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(WATCHDOG_S)
    try:
        port = attach[0] if attach else free_port()
        write_config(d, port)
        if not attach:
            proc = start_oriond(oriond, d)
            with open(os.path.join(d, "oriond.out"), "rb") as f:
                started = b"oriond: running" in f.read()
            if proc.poll() is not None or not started:
                print("FAIL oriond did not start (exit %s):\n%s" % (proc.poll(), tail(d)))
                return 1
            print("# oriond pid %d on 127.0.0.1:%d, dir %s" % (proc.pid, port, d), flush=True)
        try:
            mon = Monitor(port)
        except Exception as e:
            print("FAIL GOOD session: %s\n%s" % (e, tail(d)))
            return 1
        mon.start()
        RUNNER = Runner(port, mon)
        loris = SlowLoris(port)
        loris.start()

        RUNNER.run("bad_checksum", case_bad_checksum)
        RUNNER.run("bad_bodylength", case_bad_bodylength)
        RUNNER.run("missing_required_tag", case_missing_required)
        RUNNER.run("wrong_compid", case_wrong_compid)
        RUNNER.run("seq_too_low", case_seq_too_low)
        RUNNER.run("seq_too_high", case_seq_too_high)
        RUNNER.run("resend_request", case_resend)
        RUNNER.run("oversized_prelogon", case_oversized_prelogon)
        RUNNER.run("oversized_session", case_oversized_session)
        RUNNER.run("first_not_logon", case_first_not_logon)
        RUNNER.run("bad_password", case_bad_password)
        RUNNER.run("many_connections", case_many_connections)
        loris.join(30)
        res = loris.result or (False, "slow-loris thread did not finish")
        bad = mon.probe("slow_loris")
        if bad:
            res = (False, "%s; other session affected: %s" % (res[1], bad))
        RUNNER.report("slow_loris", res[0], res[1])

        bad = mon.probe("final")
        RUNNER.report("good_session", bad is None,
                      bad or "%d probes answered, %d heartbeats, longest silence %.2fs" % (
                          mon.n, mon.heartbeats, mon.worst_gap))
        errs = mon.c.errors
        RUNNER.report("server_framing", not errs, "; ".join(errs[:3]) or "every server message well framed")
        mon.finish()

        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(10)
            except subprocess.TimeoutExpired:
                rc = None
            RUNNER.report("oriond_stops", rc == 0, "exit status %s after SIGTERM" % rc)
            if rc != 0:
                print(tail(d))
            # Its final statistics account for every connection we made.
            acc = None
            with open(os.path.join(d, "oriond.out"), "rb") as f:
                for line in f.read().decode(errors="replace").splitlines():
                    if line.startswith("orion_fix_connections_accepted_total "):
                        acc = int(float(line.split()[1]))
            RUNNER.report("oriond_statistics", acc is not None and acc >= OPENED,
                          "orion_fix_connections_accepted_total %s, this test opened %d" % (acc, OPENED))
        print("%d passed, %d failed" % (RUNNER.passed, RUNNER.failed), flush=True)
        return 0 if RUNNER.failed == 0 else 1
    finally:
        signal.alarm(0)
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)
        if keep:
            print("# kept %s" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
