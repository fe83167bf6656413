#!/usr/bin/env python3
"""Independent reference for the market-data path.

Reads a pcap written by orion-feedsim (or any Ethernet/IPv4/UDP capture of a
MoldUDP64 ITCH 5.0 feed), arbitrates lines A/B by sequence number (first copy
wins), rebuilds every book from the ITCH messages with a deliberately simple
dict-based model (no code shared with Orion), and prints, per instrument, the
sequence of distinct (bid, bid size, ask, ask size, last, last size) states.

  itch_ref.py states FEED.pcap PORT_A [PORT_B]   reference states
  itch_ref.py ticklog TICKS.log                  the same view of oriond's tick log
  itch_ref.py compare FEED.pcap TICKS.log PORT_A [PORT_B]
Prices are in Orion units (1e-8); '-' = none.
"""
import struct
import sys
from collections import defaultdict

PX = 10000  # Price(4) -> 1e-8 units

LENGTHS = {b'S': 12, b'R': 39, b'H': 25, b'Y': 20, b'L': 26, b'V': 35, b'W': 12, b'K': 28,
           b'J': 35, b'h': 21, b'A': 36, b'F': 40, b'E': 31, b'C': 36, b'X': 23, b'D': 19,
           b'U': 35, b'P': 44, b'Q': 40, b'B': 19, b'I': 50, b'N': 20, b'O': 48}


def pcap_udp(path, ports):
    """Yield (udp_dst_port, payload) of every UDP frame to one of ports."""
    with open(path, 'rb') as f:
        gh = f.read(24)
        magic = struct.unpack('<I', gh[:4])[0]
        endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            _, _, incl, _ = struct.unpack(endian + 'IIII', rh)
            fr = f.read(incl)
            off = 12
            et = struct.unpack('>H', fr[off:off + 2])[0]
            if et == 0x8100:
                off += 4
                et = struct.unpack('>H', fr[off:off + 2])[0]
            off += 2
            if et != 0x0800 or fr[off + 9] != 17:
                continue
            ihl = (fr[off] & 15) * 4
            udp = off + ihl
            dport, ulen = struct.unpack('>HH', fr[udp + 2:udp + 6])
            if dport in ports:
                yield dport, fr[udp + 8:udp + ulen]


def arbitrated_messages(path, ports):
    """Every message once, in sequence order, whatever line (or re-request
    answer) brought it first; a sequence missing from the capture is an error."""
    msgs = {}
    for _, p in pcap_udp(path, ports):
        seq, count = struct.unpack('>QH', p[10:20])
        if count in (0, 0xFFFF):
            continue
        off = 20
        for i in range(count):
            ln = struct.unpack('>H', p[off:off + 2])[0]
            msgs.setdefault(seq + i, p[off + 2:off + 2 + ln])
            off += 2 + ln
    if not msgs:
        return
    first, last = min(msgs), max(msgs)
    for s in range(first, last + 1):
        if s not in msgs:
            raise SystemExit('reference: sequence %d missing from the capture' % s)
        yield msgs[s]


class Books:
    def __init__(self):
        self.sym = {}
        self.orders = {}                       # ref -> [locate, side, price, shares]
        self.levels = defaultdict(lambda: defaultdict(int))  # (locate, side) -> price -> shares
        self.last = {}
        self.states = defaultdict(list)

    def l1(self, loc):
        b = self.levels[(loc, 'B')]
        a = self.levels[(loc, 'S')]
        bp = max(b) if b else None
        ap = min(a) if a else None
        last = self.last.get(loc, (None, 0))
        return (bp * PX if bp is not None else '-', b[bp] if b else 0,
                ap * PX if ap is not None else '-', a[ap] if a else 0,
                last[0] * PX if last[0] is not None else '-', last[1])

    def record(self, loc):
        st = self.l1(loc)
        s = self.states[loc]
        if not s or s[-1] != st:
            s.append(st)

    def reduce(self, ref, n, delete=False):
        o = self.orders[ref]
        loc, side, price, shares = o
        take = shares if delete or n >= shares else n
        lv = self.levels[(loc, side)]
        lv[price] -= take
        if lv[price] == 0:
            del lv[price]
        o[3] -= take
        if o[3] == 0:
            del self.orders[ref]
        return loc

    def apply(self, m):
        t = m[0:1]
        if LENGTHS.get(t) != len(m):
            raise SystemExit('reference: bad message %r' % m[:1])
        loc = struct.unpack('>H', m[1:3])[0]
        if t == b'R':
            self.sym[loc] = m[11:19]
        elif t in (b'A', b'F'):
            ref, side, shares, _, price = struct.unpack('>Qc I 8s I'.replace(' ', ''), m[11:36])
            side = side.decode()
            self.orders[ref] = [loc, side, price, shares]
            self.levels[(loc, side)][price] += shares
            self.record(loc)
        elif t in (b'E', b'C'):
            ref, shares = struct.unpack('>QI', m[11:23])
            o = self.orders[ref]
            taken = min(shares, o[3])
            if t == b'E':
                self.last[o[0]] = (o[2], taken)
            elif m[31:32] == b'Y':
                self.last[o[0]] = (struct.unpack('>I', m[32:36])[0], taken)
            self.record(self.reduce(ref, shares))
        elif t == b'X':
            ref, shares = struct.unpack('>QI', m[11:23])
            self.record(self.reduce(ref, shares))
        elif t == b'D':
            ref = struct.unpack('>Q', m[11:19])[0]
            self.record(self.reduce(ref, 0, delete=True))
        elif t == b'U':
            old, new, shares, price = struct.unpack('>QQII', m[11:35])
            loc2, side = self.orders[old][0], self.orders[old][1]
            self.reduce(old, 0, delete=True)
            self.orders[new] = [loc2, side, price, shares]
            self.levels[(loc2, side)][price] += shares
            self.record(loc2)
        elif t == b'P':
            shares = struct.unpack('>I', m[20:24])[0]
            price = struct.unpack('>I', m[32:36])[0]
            self.last[loc] = (price, shares)
            self.record(loc)
        elif t == b'Q':
            shares = struct.unpack('>Q', m[11:19])[0]
            price = struct.unpack('>I', m[27:31])[0]
            if shares:
                self.last[loc] = (price, min(shares, 0xFFFFFFFF))
                self.record(loc)


def reference(path, ports):
    bk = Books()
    n = 0
    for m in arbitrated_messages(path, ports):
        bk.apply(m)
        n += 1
    return n, bk.states


def ticklog_states(path):
    states = defaultdict(list)
    for line in open(path):
        f = line.split()
        if not f or f[0] != 'T':
            continue
        loc = int(f[3])
        def px(v):
            return v if v == '-' else int(v)
        st = (px(f[8]), int(f[9]), px(f[10]), int(f[11]), px(f[13]), int(f[14]))
        s = states[loc]
        if not s or s[-1] != st:
            s.append(st)
    return states


def main():
    cmd = sys.argv[1]
    if cmd == 'states':
        n, st = reference(sys.argv[2], set(int(p) for p in sys.argv[3:]))
        for loc in sorted(st):
            for s in st[loc]:
                print(loc, *s)
    elif cmd == 'ticklog':
        st = ticklog_states(sys.argv[2])
        for loc in sorted(st):
            for s in st[loc]:
                print(loc, *s)
    elif cmd == 'compare':
        n, ref = reference(sys.argv[2], set(int(p) for p in sys.argv[4:]))
        got = ticklog_states(sys.argv[3])
        bad = 0
        for loc in sorted(set(ref) | set(got)):
            r, g = ref.get(loc, []), got.get(loc, [])
            if r != g:
                bad += 1
                k = next((i for i in range(min(len(r), len(g))) if r[i] != g[i]), min(len(r), len(g)))
                print('instrument %d: %d reference states, %d recorded; first difference at #%d: ref %s got %s'
                      % (loc, len(r), len(g), k, r[k] if k < len(r) else None, g[k] if k < len(g) else None))
        total = sum(len(v) for v in ref.values())
        print('reference: %d messages, %d instruments, %d states; mismatching instruments: %d'
              % (n, len(ref), total, bad))
        sys.exit(1 if bad or total == 0 else 0)


if __name__ == '__main__':
    main()
