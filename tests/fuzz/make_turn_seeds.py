#!/usr/bin/env python3
"""Writes the seed corpus of the turn_client fuzz target
(tests/fuzz/corpus/turn_client/): TURN responses (Allocate success/401/438/
437/486, Refresh, CreatePermission, ChannelBind), hostile variants (wrong
relayed family, no LIFETIME, LIFETIME 0 and 0xffffffff, bad and missing
MESSAGE-INTEGRITY), Data indications and ChannelData with honest and
overlong lengths. Each file is one flags byte (see turn_client_fuzz.cpp) and
a datagram, named by its SHA-1. Usage: tests/fuzz/make_turn_seeds.py [DIR]"""
import hashlib
import hmac
import os
import struct
import sys

COOKIE = 0x2112A442
TXID = bytes(range(0xB0, 0xBC))
KEY = hashlib.md5(b"user:r:pass").digest()


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def xaddr(t, ip4=None, ip6=None, port=50000):
    xport = port ^ (COOKIE >> 16)
    if ip4 is not None:
        x = bytes(a ^ b for a, b in zip(bytes(ip4), struct.pack("!I", COOKIE)))
        return attr(t, struct.pack("!BBH", 0, 1, xport) + x)
    x = bytes(a ^ b for a, b in zip(bytes(ip6), struct.pack("!I", COOKIE) + TXID))
    return attr(t, struct.pack("!BBH", 0, 2, xport) + x)


def msg(mtype, attrs, integrity=False, bad_mi=False):
    body = b"".join(attrs)
    if integrity:
        hdr = struct.pack("!HHI", mtype, len(body) + 24, COOKIE) + TXID
        mac = hmac.new(KEY, hdr + body, hashlib.sha1).digest()
        if bad_mi:
            mac = bytes([mac[0] ^ 1]) + mac[1:]
        body += attr(0x0008, mac)
    return struct.pack("!HHI", mtype, len(body), COOKIE) + TXID + body


def err(mtype, code, extra=()):
    v = struct.pack("!HBB", 0, code // 100, code % 100) + b"x"
    return msg(mtype, [attr(0x0009, v), *extra])


RELAY4 = xaddr(0x0016, ip4=[192, 0, 2, 9])
RELAY6 = xaddr(0x0016, ip6=[0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [9])
MAPPED = xaddr(0x0020, ip4=[198, 51, 100, 7])
LIFE = attr(0x000D, struct.pack("!I", 600))
PEER = xaddr(0x0012, ip4=[198, 51, 100, 20], port=40000)
FROM = 16 | 32  # from the server, our transaction
SEEDS = [
    (FROM | 8, msg(0x0103, [RELAY4, MAPPED, LIFE], integrity=True)),
    (FROM | 8 | 4, msg(0x0103, [RELAY6, MAPPED, LIFE], integrity=True)),
    (FROM | 8, msg(0x0103, [RELAY6, MAPPED, LIFE], integrity=True)),  # wrong family
    (FROM | 8, msg(0x0103, [RELAY4, MAPPED], integrity=True)),  # no LIFETIME
    (FROM | 8, msg(0x0103, [RELAY4, attr(0x000D, b"\0\0\0\0")], integrity=True)),
    (FROM | 8, msg(0x0103, [RELAY4, attr(0x000D, b"\xff\xff\xff\xff")], integrity=True)),
    (FROM | 8, msg(0x0103, [RELAY4, LIFE], integrity=True, bad_mi=True)),
    (FROM | 8, msg(0x0103, [RELAY4, LIFE])),  # integrity missing
    (FROM, msg(0x0103, [RELAY4, LIFE])),
    (FROM, err(0x0113, 401, [attr(0x0014, b"r"), attr(0x0015, b"n")])),
    (FROM | 8, err(0x0113, 438, [attr(0x0014, b"r"), attr(0x0015, b"n2")])),
    (FROM | 8, err(0x0113, 437)),
    (FROM | 8, err(0x0113, 486)),
    (FROM | 8 | 1, msg(0x0104, [LIFE], integrity=True)),
    (FROM | 8 | 2, msg(0x0108, [], integrity=True)),
    (FROM | 8 | 3, msg(0x0109, [], integrity=True)),
    (16, msg(0x0103, [RELAY4, LIFE])),  # another transaction
    (FROM | 8, msg(0x0103, [RELAY4, LIFE], integrity=True)[:-4]),  # truncated
    (0, msg(0x0017, [PEER, attr(0x0013, b"\x80\x00rtp")])),
    (0, msg(0x0017, [PEER])),  # Data indication without DATA
    (0, bytes.fromhex("40000004") + b"\x80abc"),
    (0, bytes.fromhex("40010005") + b"\x80abcd\0\0\0"),
    (0, bytes.fromhex("4000ffff") + b"\x80abc"),  # length past the datagram
    (0, bytes.fromhex("50000000")),
    # From the server: the unwrapping gate (relay_directory::unwrap; the
    # target binds 0x4000 to 198.51.100.20:5004, requests 0x4001, permits
    # 198.51.100.20).
    (16, msg(0x0017, [PEER, attr(0x0013, b"\x80\x00rtp")])),  # permitted IP
    (16, msg(0x0017, [xaddr(0x0012, ip4=[198, 51, 100, 66], port=40000), attr(0x0013, b"\x80")])),  # no permission
    (16, bytes.fromhex("40000004") + b"\x80abc"),
    (16, bytes.fromhex("40010005") + b"\x80abcd\0\0\0"),  # requested channel
    (16, bytes.fromhex("40020004") + b"\x80abc"),  # unbound channel
    (16, bytes.fromhex("4000ffff") + b"\x80abc"),  # length past the datagram
    (16, bytes.fromhex("400000")),  # shorter than the header
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "turn_client")
    os.makedirs(out, exist_ok=True)
    for flags, data in SEEDS:
        blob = bytes([flags]) + data
        with open(os.path.join(out, hashlib.sha1(blob).hexdigest()), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
