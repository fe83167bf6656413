#!/usr/bin/env python3
"""Integration: `orion-feedsim replay` of a simulator pcap over loopback.

Writes a pcap whose capture timestamps span ~0.6 s (3000 messages at 5000
messages/s, line A), replays it to its multicast group on lo at speed 1, 5,
0.2 and 0 (as fast as possible), receives every datagram, and checks that
the bytes equal the pcap's payloads in order and that the replay took the
capture's span divided by the speed (within generous bounds; 0 must be far
faster than 1). Exit 77 (skip) when multicast over loopback is unavailable.
Usage: test_feedsim_replay.py /path/to/orion-feedsim
"""
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

GROUP, PORT = "239.255.78.1", 26420


def pcap_payloads(path):
    """UDP payloads to PORT in the pcap (Ethernet/IPv4/UDP), with capture times."""
    out = []
    with open(path, "rb") as f:
        magic = struct.unpack("<I", f.read(24)[:4])[0]
        nano = magic == 0xA1B23C4D
        while True:
            h = f.read(16)
            if len(h) < 16:
                return out
            sec, frac, incl, _ = struct.unpack("<IIII", h)
            fr = f.read(incl)
            ihl = (fr[14] & 15) * 4
            udp = 14 + ihl
            dport, ulen = struct.unpack(">HH", fr[udp + 2:udp + 6])
            if dport == PORT:
                out.append((sec + frac / (1e9 if nano else 1e6), fr[udp + 8:udp + ulen]))


def main():
    exe = sys.argv[1]
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind((GROUP, PORT))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + socket.inet_aton("127.0.0.1"))
    except OSError as e:
        print(f"SKIP: cannot join multicast on lo: {e}")
        return 77
    tmp = tempfile.mkdtemp(prefix="feedsim_replay_")
    pcap = os.path.join(tmp, "f.pcap")
    subprocess.run([exe, "pcap", "--out", pcap, "--messages", "3000", "--instruments", "4", "--rate", "5000",
                    "--group", GROUP, "--port", str(PORT)], check=True, stdout=subprocess.DEVNULL)
    frames = pcap_payloads(pcap)
    span = frames[-1][0] - frames[0][0]
    want = [p for _, p in frames]
    rc = 0
    took = {}
    for speed in ["1", "5", "0.2", "0"]:
        while select.select([s], [], [], 0.05)[0]:
            s.recv(9000)  # drain
        t0 = time.monotonic()
        proc = subprocess.Popen([exe, "replay", "--in", pcap, "--iface", "lo", "--speed", speed],
                                stdout=subprocess.PIPE, text=True)
        got, last = [], t0
        deadline = t0 + span / (float(speed) or 1000) + 5
        while len(got) < len(want) and time.monotonic() < deadline:
            if select.select([s], [], [], 0.2)[0]:
                got.append(s.recv(9000))
                last = time.monotonic()
        proc.wait(timeout=10)
        took[speed] = last - t0
        if got != want:
            print(f"FAIL: speed {speed}: received {len(got)} of {len(want)} datagrams, or different bytes")
            rc = 1
        if proc.returncode != 0:
            print(f"FAIL: speed {speed}: replay exit {proc.returncode}")
            rc = 1
        print(f"speed {speed}: {len(got)} datagrams in {took[speed]:.3f} s (capture span {span:.3f} s)")
    # timing scaled by the speed factor (loose bounds: a shared CI machine)
    checks = [("1", span * 0.8, span * 1.5 + 0.3), ("5", span / 5 * 0.5, span / 5 * 1.5 + 0.3),
              ("0.2", span * 5 * 0.8, span * 5 * 1.5 + 0.5)]
    for speed, lo, hi in checks:
        if not lo <= took[speed] <= hi:
            print(f"FAIL: speed {speed} took {took[speed]:.3f} s, expected {lo:.3f}..{hi:.3f}")
            rc = 1
    if took["0"] >= took["1"] / 2:
        print(f"FAIL: as fast as possible ({took['0']:.3f} s) not faster than real time ({took['1']:.3f} s)")
        rc = 1
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    print("ok" if rc == 0 else "FAILED")
    return rc


if __name__ == "__main__":
    sys.exit(main())
