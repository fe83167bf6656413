#!/usr/bin/env python3
"""Integration: `orion-feedsim send` on the loopback interface.

Receives lines A and B (multicast joined on lo), checks that the configured
drops are the only gaps, fills the gaps both lines share with MoldUDP64
re-requests, and checks heartbeats, end of session and the summary line.
Exit 77 (skip) when multicast over loopback is not available here.
Usage: test_feedsim_live.py /path/to/orion-feedsim
"""
import select
import socket
import struct
import subprocess
import sys
import time

GA, PA, GB, PB, RR = "239.255.77.1", 26410, "239.255.77.2", 26411, 26412
SESSION = b"LIVETEST  "
N = 3000


def join(group, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((group, port))
    mreq = socket.inet_aton(group) + socket.inet_aton("127.0.0.1")
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    return s


def parse(d):
    sess, seq, cnt = struct.unpack(">10sQH", d[:20])
    msgs, off = [], 20
    if cnt not in (0, 0xFFFF):
        for _ in range(cnt):
            (ln,) = struct.unpack(">H", d[off:off + 2])
            msgs.append(d[off + 2:off + 2 + ln])
            off += 2 + ln
    return sess, seq, cnt, msgs


def main():
    exe = sys.argv[1]
    try:
        socks = [join(GA, PA), join(GB, PB)]
    except OSError as e:
        print(f"SKIP: cannot join multicast on lo: {e}")
        return 77
    cmd = [exe, "send", "--iface", "lo", "--group-a", f"{GA}:{PA}", "--group-b", f"{GB}:{PB}",
           "--rate", "2000", "--messages", str(N), "--seconds", "3", "--instruments", "4",
           "--session", "LIVETEST", "--burst", "4", "--drop-a", "101-200,1001",
           "--drop-b", "151-250", "--rereq-port", str(RR), "--linger", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    got = [dict(), dict()]
    hb, eos = [0, 0], [0, 0]
    deadline = time.time() + 8
    while time.time() < deadline and min(eos) == 0:
        r, _, _ = select.select(socks, [], [], 0.2)
        for s in r:
            line = socks.index(s)
            sess, seq, cnt, msgs = parse(s.recv(9000))
            assert sess == SESSION, sess
            if cnt == 0:
                hb[line] += 1
            elif cnt == 0xFFFF:
                eos[line] += 1
                assert seq == N + 1, seq
            else:
                for i, m in enumerate(msgs):
                    got[line][seq + i] = m
    if sum(hb) == 0 and not got[0]:
        proc.kill()
        print("SKIP: nothing received over multicast on lo")
        return 77
    rc = 0
    for line, (lo_hi, name) in enumerate([((101, 200), "A"), ((151, 250), "B")]):
        missing = sorted(set(range(1, N + 1)) - set(got[line]))
        # whole packets of 4 carrying a dropped sequence are omitted
        lo, hi = (lo_hi[0] - 1) // 4 * 4 + 1, (lo_hi[1] - 1) // 4 * 4 + 4
        expect = set(range(lo, hi + 1))
        if name == "A":
            expect |= set(range(1001, 1005))
        if set(missing) != expect:
            print(f"FAIL: line {name} missing {missing[:8]}... expected {sorted(expect)[:8]}...")
            rc = 1
    for line in (0, 1):
        if eos[line] != 1 or hb[line] < 1:
            print(f"FAIL: line {line}: end_of_session {eos[line]} heartbeats {hb[line]}")
            rc = 1
    both = sorted(set(range(1, N + 1)) - set(got[0]) - set(got[1]))
    if both != list(range(149, 201)):  # 151-200 rounded out to packets 149..200
        print(f"FAIL: gap on both lines {both[:4]}..{both[-4:]}")
        rc = 1
    # recover the shared gap by re-request (one packet per request)
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(1.0)
    seq, end = both[0], both[-1] + 1
    while seq < end:
        c.sendto(struct.pack(">10sQH", SESSION, seq, end - seq), ("127.0.0.1", RR))
        sess, rseq, cnt, msgs = parse(c.recv(9000))
        assert rseq == seq and 0 < cnt <= end - seq, (rseq, cnt)
        for i, m in enumerate(msgs):
            got[0][seq + i] = m
        seq += cnt
    if set(range(1, N + 1)) - set(got[0]) - set(got[1]):
        print("FAIL: still missing after re-requests")
        rc = 1
    # a request beyond the end gets nothing
    c.sendto(struct.pack(">10sQH", SESSION, N + 10, 1), ("127.0.0.1", RR))
    try:
        c.recv(9000)
        print("FAIL: answer to a request outside history")
        rc = 1
    except socket.timeout:
        pass
    # both lines carried identical bytes where both have them
    for q in set(got[0]) & set(got[1]):
        if got[0][q] != got[1][q]:
            print(f"FAIL: lines differ at {q}")
            rc = 1
            break
    out, _ = proc.communicate(timeout=10)
    print(out.strip())
    if proc.returncode != 0 or "rereq_out_of_range=1" not in out or f"messages={N}" not in out:
        print(f"FAIL: send exit {proc.returncode} or summary unexpected")
        rc = 1
    if rc == 0:
        print(f"ok: {N} messages, gaps as configured, shared gap of {len(both)} recovered by re-request")
    return rc


if __name__ == "__main__":
    sys.exit(main())
