#!/usr/bin/python3
"""Soak test body (run through tests/soak/soak.sh).

Usage: soak.py PINHOLED DURATION_SECONDS RATE [--wrapper "valgrind ..."]

Sends RATE datagrams/s for DURATION seconds to pinholed on loopback: half
valid Binding requests (plain, FINGERPRINT, classic, IPv6) from a pool of
client sockets, half invalid (mutated requests, truncations, responses,
indications, 4 KiB+ datagrams, 420/400 triggers). Samples pinholed's RSS
(/proc/PID/status VmRSS) and open fds (/proc/PID/fd) every few seconds.
Fails if RSS grows after warm-up by more than max(2 MiB, 2 %), if the fd
count changes, if a valid request goes unanswered (beyond 0.1 %), if the
counters do not account for every datagram, or if pinholed does not exit 0.
"""
import argparse
import os
import random
import shlex
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hostile_stun as hs  # noqa: E402


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def invalid(rng):
    good = hs.Msg().fingerprint().raw()
    kind = rng.randrange(9)
    if kind == 0:
        return good[:rng.randrange(0, 20)]
    if kind == 1:
        b = bytearray(good)
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        return bytes(b)
    if kind == 2:
        return hs.Msg(hs.BINDING_SUCCESS).addr(0x0020, "127.0.0.1", 1).raw()
    if kind == 3:
        return hs.Msg(hs.BINDING_INDICATION).raw()
    if kind == 4:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if kind == 5:
        return hs.Msg().attr(0xC001, b"\0" * rng.randrange(4100, 9000)).raw()  # oversized: dropped
    if kind == 6:
        return hs.Msg().attr(0x7777, b"x" * rng.randrange(0, 40)).raw()  # 420
    if kind == 7:
        return hs.Msg().attr(0x8022, b"abcd", length=0xFFF0).raw()  # 400
    return hs.Msg().raw(length=64)  # length past the datagram


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pinholed")
    ap.add_argument("duration", type=float)
    ap.add_argument("rate", type=float)
    ap.add_argument("--wrapper", default="")
    ap.add_argument("--sample", type=float, default=2.0)
    a = ap.parse_args()

    ph = hs.Pinholed(a.pinholed, wrapper=shlex.split(a.wrapper))
    rng = random.Random(1234)
    clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
    clients += [socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) for _ in range(2)]
    for c in clients:
        c.bind(("127.0.0.1", 0) if c.family == socket.AF_INET else ("::1", 0))
        c.setblocking(False)
    targets = {socket.AF_INET: ("127.0.0.1", ph.port), socket.AF_INET6: ("::1", ph.port)}
    pending = {}  # cid -> client index, for valid requests
    ids = set()  # cookie+ID of every datagram sent (mutations may still be valid requests)
    sent = valid = answered = wrong = 0
    samples = []
    failures = []
    warmup = max(5.0, a.duration * 0.2)
    start = time.time()
    next_sample = start
    next_send = start
    try:
        while True:
            now = time.time()
            if now >= next_sample:
                samples.append((now - start, rss_kb(ph.pid), fd_count(ph.pid)))
                next_sample += a.sample
            if now - start >= a.duration:
                break
            if now >= next_send:
                i = rng.randrange(len(clients))
                c = clients[i]
                if rng.random() < 0.5:
                    m = hs.Msg(classic=rng.random() < 0.1)
                    if rng.random() < 0.5:
                        m.fingerprint()
                    pending[m.cid] = i
                    data = m.raw()
                    valid += 1
                else:
                    data = invalid(rng)
                ids.add(data[4:20])
                try:
                    c.sendto(data, targets[c.family])
                    sent += 1
                except OSError as e:
                    failures.append(f"sendto: {e}")
                next_send += 1.0 / a.rate
            for i, c in enumerate(clients):
                while True:
                    try:
                        data, _ = c.recvfrom(70000)
                    except BlockingIOError:
                        break
                    cid = data[4:20]
                    if pending.pop(cid, None) == i:
                        answered += 1
                    elif cid not in ids or hs.parse(data) is None:
                        wrong += 1  # answers to invalid datagrams: only 400/420s and mutated-but-valid
            time.sleep(min(0.002, max(0.0, next_send - time.time())))
        time.sleep(0.5)
        for i, c in enumerate(clients):
            while True:
                try:
                    data, _ = c.recvfrom(70000)
                except BlockingIOError:
                    break
                if pending.pop(data[4:20], None) == i:
                    answered += 1
        # Measured before the metrics scrape, whose HTTP handling allocates.
        end_rss, end_fds = rss_kb(ph.pid), fd_count(ph.pid)
        counters = ph.wait_received(sent) if ph.has_metrics else {}
        alive = ph.alive()
        rc = ph.stop()
        for line in ph.tool_summary():
            print("soak: valgrind:", line)
    finally:
        ph.cleanup()

    warm = [s for s in samples if s[0] >= warmup] or samples[-1:]
    first, base, last = samples[0], warm[0], (samples[-1][0], end_rss, end_fds)
    growth = last[1] - base[1]
    bound = max(2048, base[1] // 50)
    peak = max(s[1] for s in warm)
    print(f"soak: {a.duration:.0f} s at {a.rate:.0f}/s: sent {sent} ({valid} valid), answered {answered}, "
          f"unexpected replies {wrong}")
    print(f"soak: RSS start {first[1]} kB, after warm-up ({base[0]:.0f} s) {base[1]} kB, end {last[1]} kB, "
          f"peak after warm-up {peak} kB, growth {growth:+d} kB (bound {bound} kB)")
    print(f"soak: fds start {first[2]}, after warm-up {base[2]}, end {last[2]}, max {max(s[2] for s in samples)}")
    if counters:
        total = sum(counters[k] for k in hs.OUTCOMES)
        print("soak: counters " + " ".join(f"{k}={v}" for k, v in counters.items() if v))
        if counters["received"] != sent or total != sent:
            failures.append(f"accounting: sent {sent}, received {counters['received']}, outcomes {total}")
    if not alive:
        failures.append("pinholed died")
    if growth > bound:
        failures.append(f"RSS grew {growth} kB after warm-up (bound {bound} kB)")
    if len({s[2] for s in warm} | {end_fds}) != 1 or end_fds != base[2]:
        failures.append(f"fd count changed: {[s[2] for s in samples]} end {end_fds}")
    if valid - answered > max(1, valid // 1000):
        failures.append(f"{valid - answered} of {valid} valid requests unanswered")
    if wrong:
        failures.append(f"{wrong} replies that match no valid request")
    if rc != 0:
        failures.append(f"pinholed exit code {rc}")
    for f in failures:
        print("FAIL:", f)
    print("soak:", "FAIL" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
