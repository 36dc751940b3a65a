#!/usr/bin/python3
"""Hostile input against the real pinholed binary, over loopback.

Usage: hostile_input.py PATH_TO_PINHOLED [CORPUS_DIR...]

Phase A sends hand-made hostile datagrams, each with a known outcome:
truncated headers, lengths past the datagram, attribute lengths that
overflow, 0-byte and 64 KiB datagrams, classic RFC 3489 and RFC 5389 mixes,
Binding responses and indications, RESPONSE-ADDRESS/RESPONSE-PORT aimed
elsewhere, and (with scapy, raw IPv4) spoofed-looking sources that are not
sockets, including pinholed's own address (a reflection loop). After every
one a valid Binding request from a real socket must be answered with the
right mapping, and nothing else may arrive: pinholed answers nothing it
should not. Each datagram's expected counter is tallied and compared with
pinholed's counters exactly.
Phase B sends every file of the fuzz corpora and seeded random mutations of
valid requests; every reply must echo a transaction ID we sent, parse, and
not exceed the request by more than the handler's bound; the counters must
account for every datagram (received == sum of outcomes).
"""
import collections
import os
import random
import shlex
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_stun as hs  # noqa: E402

try:
    from scapy.all import IP, UDP, Raw, conf, send  # noqa: E402
    from scapy.supersocket import L3RawSocket  # noqa: E402
    conf.L3socket = L3RawSocket  # raw IPv4 socket: works on lo
    HAVE_SCAPY = os.geteuid() == 0  # raw sockets need root
except ImportError:  # pragma: no cover
    HAVE_SCAPY = False

# Largest answer to a request with no PADDING, beyond the request's own size:
# XOR-MAPPED + MAPPED + RESPONSE-ORIGIN + OTHER-ADDRESS (IPv6, 4 x 24) +
# MESSAGE-INTEGRITY-SHA256 (36) + FINGERPRINT (8); no SOFTWARE configured.
MAX_GROWTH = 4 * 24 + 36 + 8
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


class Client:
    """A real UDP socket that sends valid requests and watches for strays."""

    def __init__(self, family, server):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
        self.server = server
        self.addr = self.sock.getsockname()[:2]

    def send(self, data):
        self.sock.sendto(data, self.server)

    def recv_all(self, wait, want=None):
        """Every datagram arriving within `wait` seconds; once `want` have
        come, only 50 ms more for strays."""
        out, end = [], time.time() + wait
        while True:
            self.sock.settimeout(max(0.0, end - time.time()) or 0.001)
            try:
                out.append(self.sock.recvfrom(70000))
            except (socket.timeout, BlockingIOError):
                return out
            if want is not None and len(out) >= want:
                end = min(end, time.time() + 0.05)

    def probe(self, label):
        """A valid request must be answered with our mapping and nothing else."""
        m = hs.Msg().fingerprint()
        self.send(m.raw())
        got = self.recv_all(5.0, want=1)
        while got and not any(d[4:20] == m.cid for d, _ in got):
            more = self.recv_all(5.0, want=1)
            if not more:
                break
            got += more
        ours = [d for d, _ in got if d[4:20] == m.cid]
        strays = [d for d, _ in got if d[4:20] != m.cid]
        check(len(ours) == 1, f"{label}: valid request answered once (got {len(ours)})")
        check(not strays, f"{label}: unexpected datagram(s) {[d[:24].hex() for d in strays]}")
        if ours:
            p = hs.parse(ours[0])
            check(p is not None and p[0] == hs.BINDING_SUCCESS, f"{label}: success response")
            if p and hs.ATTR["XOR-MAPPED-ADDRESS"] in p[2]:
                mapped = hs.decode_address(p[2][hs.ATTR["XOR-MAPPED-ADDRESS"]], p[1])
                check(mapped == self.addr, f"{label}: mapping {mapped} == {self.addr}")


def phase_a(ph, tally):
    """Hostile datagrams with known outcomes; returns the datagram count."""
    server4 = ("127.0.0.1", ph.port)
    c4 = Client(socket.AF_INET, server4)
    c6 = Client(socket.AF_INET6, ("::1", ph.port))
    decoy = Client(socket.AF_INET, server4)  # must only ever get the RESPONSE-PORT answer
    sent = 0

    def hostile(label, data, outcome, client=c4, reply=None):
        """Sends `data`; `reply` = expected response class/code from pinholed, None = silence."""
        nonlocal sent
        client.send(data)
        sent += 1
        tally[outcome] += 1
        got = client.recv_all(0.15) if reply is None else client.recv_all(5.0, want=1)
        if reply is None:
            check(not got, f"{label}: no answer (got {len(got)})")
        else:
            check(len(got) == 1, f"{label}: one answer (got {len(got)})")
            if got:
                p = hs.parse(got[0][0])
                check(p is not None and p[1] == data[4:20], f"{label}: answer echoes the ID")
                check(len(got[0][0]) <= len(data) + MAX_GROWTH, f"{label}: no amplification")
                if p and reply == "success":
                    check(p[0] == hs.BINDING_SUCCESS, f"{label}: success")
                elif p:
                    code = hs.error_code(p[2].get(hs.ATTR["ERROR-CODE"], b"\0\0\0\0"))
                    check(p[0] == hs.BINDING_ERROR and code == reply, f"{label}: error {reply} (got {code})")
        client.probe(label)
        sent += 1
        tally["answered"] += 1

    good = hs.Msg().raw()
    hostile("0-byte datagram", b"", "dropped_malformed")
    for n in range(1, 20):
        hostile(f"truncated header {n}", good[:n], "dropped_malformed")
    hostile("top bits set (not STUN)", b"\x80" + good[1:], "dropped_malformed")
    hostile("length not a multiple of 4", hs.Msg().attr(0xC001, b"xy").raw(length=6)[:26], "dropped_malformed")
    hostile("length past the datagram", hs.Msg().raw(length=64), "dropped_malformed")
    hostile("trailing bytes after the message", hs.Msg().raw() + b"\0\0\0\0", "dropped_malformed")
    hostile("bad FINGERPRINT", hs.Msg().fingerprint(corrupt=True).raw(), "dropped_malformed")
    hostile("attribute length 0xFFFF", hs.Msg().attr(0x8022, b"abcd", length=0xFFFF).raw(), "error_400",
            reply=400)
    hostile("attribute overflow by padding", hs.Msg().attr(0x8022, b"abcd", length=5).raw(), "error_400",
            reply=400)
    hostile("attribute overflow in an indication", hs.Msg(hs.BINDING_INDICATION).attr(0x8022, b"ab", length=99).raw(),
            "dropped_malformed")
    hostile("FINGERPRINT not last", hs.Msg().fingerprint().attr(0x8022, b"late").raw(), "error_400", reply=400)
    hostile("MESSAGE-INTEGRITY of 10 bytes", hs.Msg().attr(0x0008, b"0123456789").raw(), "error_400", reply=400)
    hostile("classic RFC 3489 request", hs.Msg(classic=True).raw(), "answered", reply="success")
    hostile("classic request with FINGERPRINT", hs.Msg(classic=True).fingerprint().raw(), "answered",
            reply="success")
    hostile("classic request over IPv6", hs.Msg(classic=True).raw(), "answered", client=c6, reply="success")
    hostile("RFC 5389 request with XOR-MAPPED-ADDRESS", hs.Msg().addr(0x0020, "10.0.0.1", 9).raw(), "answered",
            reply="success")
    hostile("RESPONSE-ADDRESS aimed at the decoy",
            hs.Msg().addr(hs.ATTR["RESPONSE-ADDRESS"], "127.0.0.1", decoy.addr[1]).raw(), "error_420", reply=420)
    hostile("CHANGE-REQUEST without an alternate address", hs.Msg().attr(0x0003, b"\0\0\0\x06").raw(),
            "error_420", reply=420)
    hostile("CHANGE-REQUEST asking nothing", hs.Msg().attr(0x0003, b"\0\0\0\0").raw(), "answered", reply="success")
    hostile("unknown comprehension-required attribute", hs.Msg().attr(0x7777, b"x").raw(), "error_420", reply=420)
    hostile("unknown optional attribute", hs.Msg().attr(0xC001, b"x").fingerprint().raw(), "answered",
            reply="success")
    hostile("PADDING with RESPONSE-PORT", hs.Msg().attr(0x0026, b"\0" * 8).attr(0x0027, b"\x13\x88\0\0").raw(),
            "error_400", reply=400)
    hostile("another method (Allocate)", hs.Msg(0x0003).raw(), "error_400", reply=400)
    hostile("Binding success response", hs.Msg(hs.BINDING_SUCCESS).addr(0x0001, "127.0.0.1", 1).raw(),
            "dropped_response")
    hostile("Binding error response", hs.Msg(hs.BINDING_ERROR).attr(0x0009, b"\0\0\x04\x00Bad").raw(),
            "dropped_response")
    hostile("classic Binding response", hs.Msg(hs.BINDING_SUCCESS, classic=True).raw(), "dropped_response")
    hostile("Binding indication", hs.Msg(hs.BINDING_INDICATION).fingerprint().raw(), "dropped_indication")
    hostile("Send indication", hs.Msg(0x0016).raw(), "dropped_indication")
    hostile("64 KiB garbage (65507 bytes)", bytes(random.Random(1).getrandbits(8) for _ in range(65507)),
            "dropped_malformed")
    big = hs.Msg().attr(0xC001, b"\0" * (65504 - 24))
    hostile("64 KiB valid-looking request", big.raw(), "dropped_malformed")
    hostile("64 KiB request with PADDING", hs.Msg().attr(0x0026, b"\0" * (65504 - 24)).raw(), "dropped_malformed")
    hostile("64 KiB over IPv6 (65527 bytes)", b"\0\1" + bytes(65525), "dropped_malformed", client=c6)

    # RESPONSE-PORT: the answer goes to the decoy's port on the sender's IP, not to the sender.
    m = hs.Msg().attr(0x0027, struct.pack("!HH", decoy.addr[1], 0))
    c4.send(m.raw())
    sent += 1
    tally["answered"] += 1
    got = decoy.recv_all(5.0, want=1)
    check(len(got) == 1 and got[0][0][4:20] == m.cid, "RESPONSE-PORT answer reaches the decoy")
    check(not c4.recv_all(0.1), "RESPONSE-PORT: nothing back to the sender")
    check(not decoy.recv_all(0.1), "decoy got nothing else (RESPONSE-ADDRESS ignored)")
    c4.probe("after RESPONSE-PORT")
    sent += 1
    tally["answered"] += 1

    # RESPONSE-PORT 0 names no port: a 400 goes back to the sender. In the
    # same receive batch as valid requests it must not cost them their answers.
    burst = [hs.Msg().attr(0x0027, b"\0\0\0\0").raw()] + [hs.Msg().raw() for _ in range(3)]
    for d in burst:
        c4.send(d)
    sent += len(burst)
    tally["answered"] += 3
    tally["error_400"] += 1
    got = c4.recv_all(5.0, want=4)
    check(sorted(d[4:20] for d, _ in got) == sorted(d[4:20] for d in burst),
          f"RESPONSE-PORT 0 in a batch: 3 answers and a 400, all to the sender (got {len(got)})")
    check(any(d[4:20] == burst[0][4:20] and d[0:2] == b"\x01\x11" for d, _ in got),
          "RESPONSE-PORT 0: the answer is a Binding error response")
    c4.probe("after RESPONSE-PORT 0")
    sent += 1
    tally["answered"] += 1

    if HAVE_SCAPY:
        sent += spoofed(ph, tally)
        c4.probe("after spoofed sources")
        c6.probe("after spoofed sources (IPv6)")
        sent += 2
        tally["answered"] += 2
    else:
        print("NOTE: no python3-scapy or not root: spoofed-source cases skipped")
    return sent


def spoofed(ph, tally):
    """Datagrams from 127.0.0.x addresses/ports that are not sockets."""
    n = 0

    def fire(src, sport, data):
        nonlocal n
        send(IP(src=src, dst="127.0.0.1") / UDP(sport=sport, dport=ph.port) / Raw(load=data), verbose=0)
        n += 1

    rng = random.Random(7)
    for i in range(20):
        fire(f"127.0.0.{3 + i}", rng.randrange(1024, 65535), hs.Msg().fingerprint().raw())
        tally["answered"] += 1  # answered into the void
    for i in range(10):
        fire(f"127.0.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}", rng.randrange(1024, 65535),
             hs.Msg(hs.BINDING_SUCCESS).addr(0x0001, "127.0.0.1", ph.port).raw())
        tally["dropped_response"] += 1
    for i in range(10):
        fire(f"127.0.0.{100 + i}", rng.randrange(1024, 65535), hs.Msg().raw()[:rng.randrange(0, 20)])
        tally["dropped_malformed"] += 1
    # Source port 0: the answer cannot be sent; counted once, as send_failed.
    fire("127.0.0.23", 0, hs.Msg().raw())
    tally["send_failed"] += 1
    # Reflection loop: a request "from" pinholed itself. It answers once; the
    # answer reaches pinholed as a response and is dropped; nothing more.
    fire("127.0.0.1", ph.port, hs.Msg().raw())
    tally["answered"] += 1
    tally["dropped_response"] += 1
    n += 1  # the response pinholed sends to itself is one more datagram received
    return n


def phase_b(ph, corpora):
    """Corpus files and random mutations; returns the datagram count."""
    c4 = Client(socket.AF_INET, ("127.0.0.1", ph.port))
    datagrams = []
    for d in corpora:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                with open(os.path.join(root, f), "rb") as fh:
                    datagrams.append(fh.read())
    rng = random.Random(42)
    for _ in range(1000):
        base = bytearray(rng.choice([hs.Msg().raw(), hs.Msg().fingerprint().raw(), hs.Msg(classic=True).raw(),
                                     hs.Msg().attr(0x0003, b"\0\0\0\x02").attr(0xC001, b"abc").fingerprint().raw()]))
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(3)
            if op == 0 and base:
                base[rng.randrange(len(base))] ^= 1 << rng.randrange(8)
            elif op == 1:
                del base[rng.randrange(len(base) + 1):]
            else:
                base += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        datagrams.append(bytes(base))
    sizes = {}
    replies = []
    before = ph.counters()["received"]
    for i in range(0, len(datagrams), 50):
        chunk = datagrams[i:i + 50]
        for d in chunk:
            if len(d) >= 20:
                sizes[d[4:20]] = max(sizes.get(d[4:20], 0), len(d))
            c4.send(d)
        ph.wait_received(before + i + len(chunk))
        replies += c4.recv_all(0.02)
    ph.wait_received(before + len(datagrams))
    replies += c4.recv_all(0.3)
    for data, _ in replies:
        p = hs.parse(data)
        check(p is not None and p[0] in (hs.BINDING_SUCCESS, hs.BINDING_ERROR), f"corpus reply parses: {data[:20].hex()}")
        check(data[4:20] in sizes, f"corpus reply echoes an ID we sent: {data[4:20].hex()}")
        check(len(data) <= sizes.get(data[4:20], 0) + MAX_GROWTH, "corpus reply within the amplification bound")
    print(f"phase B: {len(datagrams)} datagrams, {len(replies)} replies")
    c4.probe("after the corpus")
    return len(datagrams) + 1


def main():
    binary = sys.argv[1]
    corpora = sys.argv[2:]
    # PINHOLE_WRAPPER="valgrind --error-exitcode=1 ..." runs pinholed under a tool.
    ph = hs.Pinholed(binary, wrapper=shlex.split(os.environ.get("PINHOLE_WRAPPER", "")))
    try:
        tally = collections.Counter()
        sent = phase_a(ph, tally)
        if ph.has_metrics:
            c = ph.wait_received(sent)
            print(f"phase A: {sent} datagrams; pinholed: " + " ".join(f"{k}={v}" for k, v in c.items() if v))
            check(c["received"] == sent, f"received {c['received']} == sent {sent}")
            for k in hs.OUTCOMES:
                check(c[k] == tally[k], f"counter {k}: {c[k]} == expected {tally[k]}")
            check(c["send_failures"] == c["send_failed"], "send_failures_total == requests_total{result=send_failed}")
            sent += phase_b(ph, corpora)
            c = ph.wait_received(sent)
            total = sum(c[k] for k in hs.OUTCOMES)
            print("final: " + " ".join(f"{k}={v}" for k, v in c.items() if v))
            check(c["received"] == sent, f"received {c['received']} == sent {sent}")
            check(total == c["received"], f"every datagram accounted for: {total} == {c['received']}")
        else:
            print("NOTE: pinholed has no --metrics; checking the event=stopped log line")
        check(ph.alive(), "pinholed still running")
        rc = ph.stop()
        check(rc == 0, f"pinholed exit code {rc}")
        for line in ph.tool_summary():
            print("valgrind:", line)
        stopped = ph.stopped_counters()
        check(stopped.get("received") == sent, f"stopped line received={stopped.get('received')} == {sent}")
        if "answered" in stopped and ph.has_metrics:
            check(stopped["answered"] == c["answered"], "stopped line agrees with the metrics")
        if failures:
            print(ph.log_text()[-4000:])
    finally:
        ph.cleanup()
    print(f"{'FAIL' if failures else 'PASS'}: hostile input, {sent} datagrams, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
