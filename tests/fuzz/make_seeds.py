#!/usr/bin/env python3
"""Writes the synthetic part of the fuzz seed corpora (tests/fuzz/corpus/):
the RFC 5769 test vectors and hand-built messages that reach every branch of
the handler (classic, CHANGE-REQUEST, PADDING, RESPONSE-PORT, unknown
attributes, MESSAGE-INTEGRITY(-SHA256), indications, responses), plus JSON
configs and command lines for config_loader. Captures of real clients come
from capture_seeds.sh. Usage: tests/fuzz/make_seeds.py [CORPUS_DIR]"""
import hashlib
import hmac
import os
import struct
import sys
import zlib

COOKIE = 0x2112A442
TXID = bytes.fromhex("b7e7a701bc34d686fa87dfae")
USER = b"evtj:h6vY"
PASSWORD = b"VOkJxbRl1RmTxUk/WvJxBt"

RFC5769 = {
    "rfc5769-request": """
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff 80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf""",
    "rfc5769-ipv4-response": """
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96""",
    "rfc5769-ipv6-response": """
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c""",
    "rfc5769-long-term-request": """
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66""",
}


class Msg:
    """A STUN message under construction (mirrors message_writer)."""

    def __init__(self, mtype, txid=TXID, classic_id=None):
        self.head = struct.pack("!H", mtype)
        self.cid = classic_id if classic_id is not None else struct.pack("!I", COOKIE) + txid
        self.body = b""

    def raw(self):
        return self.head + struct.pack("!H", len(self.body)) + self.cid + self.body

    def attr(self, atype, value):
        self.body += struct.pack("!HH", atype, len(value)) + value + b"\0" * (-len(value) % 4)
        return self

    def xor_addr(self, atype, ip4, port):
        x = bytes(a ^ b for a, b in zip(ip4, struct.pack("!I", COOKIE)))
        return self.attr(atype, struct.pack("!BBH", 0, 1, port ^ (COOKIE >> 16)) + x)

    def addr(self, atype, ip, port):
        return self.attr(atype, struct.pack("!BBH", 0, 1 if len(ip) == 4 else 2, port) + ip)

    def integrity(self, key=PASSWORD):
        self.body += b"\0" * 24
        prefix = self.raw()[:-24]
        self.body = self.body[:-24]
        return self.attr(0x0008, hmac.new(key, prefix, hashlib.sha1).digest())

    def integrity256(self, key=PASSWORD, n=32):
        self.body += b"\0" * (4 + n)
        prefix = self.raw()[: -(4 + n)]
        self.body = self.body[: -(4 + n)]
        return self.attr(0x001C, hmac.new(key, prefix, hashlib.sha256).digest()[:n])

    def fingerprint(self):
        self.body += b"\0" * 8
        prefix = self.raw()[:-8]
        self.body = self.body[:-8]
        return self.attr(0x8028, struct.pack("!I", (zlib.crc32(prefix) ^ 0x5354554E) & 0xFFFFFFFF))


def datagrams():
    out = {name: bytes.fromhex(text) for name, text in RFC5769.items()}
    out["binding"] = Msg(0x0001).raw()
    out["binding-fingerprint"] = Msg(0x0001).fingerprint().raw()
    out["classic-binding"] = Msg(0x0001, classic_id=bytes(range(16))).raw()
    out["classic-change-ip-port"] = Msg(0x0001, classic_id=bytes(range(16))).attr(0x0003, b"\0\0\0\x06").raw()
    out["change-port"] = Msg(0x0001).attr(0x0003, b"\0\0\0\x02").fingerprint().raw()
    out["change-ip"] = Msg(0x0001).attr(0x0003, b"\0\0\0\x04").raw()
    out["padding"] = Msg(0x0001).attr(0x0026, b"\0" * 500).fingerprint().raw()
    out["response-port"] = Msg(0x0001).attr(0x0027, b"\x13\x88\0\0").raw()
    out["padding-and-response-port"] = Msg(0x0001).attr(0x0026, b"\0" * 8).attr(0x0027, b"\x13\x88\0\0").raw()
    out["unknown-required"] = Msg(0x0001).attr(0x0002, b"\0\x01\0\x50\x7f\0\0\x01").attr(0x7777, b"x").raw()
    out["unknown-optional"] = Msg(0x0001).attr(0xC001, b"abc").fingerprint().raw()
    out["auth-sha1"] = Msg(0x0001).attr(0x0006, USER).integrity().fingerprint().raw()
    out["auth-sha256"] = Msg(0x0001).attr(0x0006, USER).integrity256().fingerprint().raw()
    out["auth-sha256-truncated"] = Msg(0x0001).attr(0x0006, USER).integrity256(n=16).raw()
    out["auth-both"] = Msg(0x0001).attr(0x0006, USER).integrity().integrity256().fingerprint().raw()
    out["auth-wrong-user"] = Msg(0x0001).attr(0x0006, b"mallory").integrity().raw()
    out["ignored-after-integrity"] = Msg(0x0001).attr(0x0006, USER).integrity().attr(0x7777, b"zz").raw()
    out["indication"] = Msg(0x0011).fingerprint().raw()
    out["success-response"] = Msg(0x0101).xor_addr(0x0020, b"\xc0\x00\x02\x01", 40000).fingerprint().raw()
    out["error-response"] = Msg(0x0111).attr(0x0009, b"\0\0\x04\x14Unknown Attribute").attr(0x000A, b"\x77\x77").raw()
    out["other-method"] = Msg(0x0003).raw()
    out["bad-fingerprint"] = Msg(0x0001).fingerprint().raw()[:-1] + b"\0"
    out["truncated-header"] = Msg(0x0001).raw()[:19]
    out["length-past-datagram"] = Msg(0x0001).raw()[:2] + b"\0\x40" + Msg(0x0001).raw()[4:]
    out["attribute-overflow"] = Msg(0x0001).raw()[:2] + b"\0\x04" + Msg(0x0001).raw()[4:] + b"\x80\x22\xff\xff"
    out["not-stun"] = b"\x80" + bytes(19)
    return out


def responses():
    """Replies a client may see, for client_validator (flags byte first)."""
    ok = Msg(0x0101).xor_addr(0x0020, b"\xc6\x33\x64\x07", 40000)
    out = {
        "rfc5769-ipv4-auth": b"\x0d" + bytes.fromhex(RFC5769["rfc5769-ipv4-response"]),
        "rfc5769-ipv6-auth-v6": b"\x0f" + bytes.fromhex(RFC5769["rfc5769-ipv6-response"]),
        "success": b"\x0c" + Msg(0x0101).xor_addr(0x0020, b"\xc6\x33\x64\x07", 40000).fingerprint().raw(),
        "success-mapped-only": b"\x0c" + Msg(0x0101).addr(0x0001, b"\xc6\x33\x64\x07", 40000).raw(),
        "success-rfc5780": b"\x0c" + ok.addr(0x0001, b"\xc6\x33\x64\x07", 40000)
        .addr(0x802B, b"\xc0\x00\x02\x01", 3478).addr(0x802C, b"\xc0\x00\x02\x02", 3479).fingerprint().raw(),
        "other-is-primary": b"\x0c" + Msg(0x0101).xor_addr(0x0020, b"\xc6\x33\x64\x07", 40000)
        .addr(0x802C, b"\xc0\x00\x02\x01", 3478).raw(),
        "ipv6-to-ipv4": b"\x0c" + Msg(0x0101).addr(0x0020, bytes(range(16)), 1).raw(),
        "auth-success": b"\x0d" + Msg(0x0101).xor_addr(0x0020, b"\xc6\x33\x64\x07", 1).integrity().fingerprint().raw(),
        "error-300": b"\x0c" + Msg(0x0111).attr(0x0009, b"\0\0\x03\x00Try Alternate")
        .addr(0x8023, b"\xc0\x00\x02\x09", 3478).raw(),
        "error-401": b"\x0d" + Msg(0x0111).attr(0x0009, b"\0\0\x04\x01Unauthenticated").fingerprint().raw(),
        "wrong-source": b"\x08" + Msg(0x0101).xor_addr(0x0020, b"\xc6\x33\x64\x07", 40000).raw(),
        "wrong-txid": b"\x04" + Msg(0x0101).xor_addr(0x0020, b"\xc6\x33\x64\x07", 40000).raw(),
    }
    return out


CONFIGS = {
    "minimal.json": b'{"listen": ["127.0.0.1:3478"]}',
    "full.json": b"""{
  "listen": ["0.0.0.0:3478", "[::]:3478"],
  "rfc5780": {"enabled": true, "primary_ip": "192.0.2.1", "alternate_ip": "192.0.2.2",
              "primary_port": 3478, "alternate_port": 3479,
              "advertised_primary_ip": "198.51.100.1", "advertised_alternate_ip": "198.51.100.2"},
  "software": "pinhole", "log_level": "debug", "workers": 2, "batch": 64,
  "auth": {"required": true, "username": "user", "password": "secret"},
  "rate_limit": {"per_ip_rate": 10.5, "per_ip_burst": 20, "table_size": 1024, "global_rate": 100000},
  "metrics_listen": "127.0.0.1:9641", "allow": ["198.51.100.0/24", "2001:db8::/32", "192.0.2.7"],
  "user": "nobody"
}""",
    "bad-key.json": b'{"lisen": ["127.0.0.1:3478"]}',
    "bad-type.json": b'{"workers": "two"}',
    "bad-listen.json": b'{"listen": ["[::1:3478"]}',
    "bad-prefix.json": b'{"allow": ["10.0.0.1/8"]}',
    "rfc5780-same-ip.json": b'{"rfc5780": {"enabled": true, "primary_ip": "192.0.2.1", "alternate_ip": "192.0.2.1"}}',
    "not-an-object.json": b"[1, 2, 3]",
    "truncated.json": b'{"listen": ["127.0.0.1:3478"',
    "deep.json": b"[" * 200 + b"]" * 200,
    "cli-run": b"--listen\x00127.0.0.1:3478\x00--software\x00x\x00--workers\x001",
    "cli-rfc5780": b"--rfc5780-primary\x00127.0.0.1\x00--rfc5780-alternate\x00127.0.0.2\x00--primary-port\x004000",
    "cli-auth": b"--require-auth\x00--auth-username\x00u\x00--auth-password\x00p\x00--print-config",
    "cli-limits": b"--rate-limit\x005\x00--rate-burst\x0010\x00--global-rate\x001e6\x00--allow\x0010.0.0.0/8",
    "cli-bad": b"--workers\x00-1\x00--batch\x000\x00--bogus",
    "cli-help": b"--help",
    "cli-check": b"--check-config\x00--metrics\x00[::1]:9641\x00--log-level\x00debug",
}


def write(dirname, files):
    os.makedirs(dirname, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(dirname, name), "wb") as f:
            f.write(data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    d = datagrams()
    write(os.path.join(root, "stun_decoder"), d)
    write(os.path.join(root, "request_handler"), d)
    write(os.path.join(root, "client_validator"), responses())
    write(os.path.join(root, "config_loader"), CONFIGS)


if __name__ == "__main__":
    main()
