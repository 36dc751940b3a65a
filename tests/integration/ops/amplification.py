"""Measures response/request byte ratios of the real binary for every kind
of answer, prints the table the README quotes, and enforces the bounds:
default mode adds at most one XOR-MAPPED-ADDRESS (12 bytes IPv4, 24 IPv6),
RFC 5780 mode at most XOR-MAPPED + MAPPED + RESPONSE-ORIGIN + OTHER-ADDRESS
(48 bytes IPv4), an error at most 12 bytes, PADDING never exceeds the request."""
import struct

from opslib import Daemon, attr, binding, check, exchange, free_port, with_integrity

rows = []


def measure(name, server, req, bound, source=None):
    r = exchange(server, req, 2.0, source)
    check(r is not None, "%s answered" % name)
    rows.append((name, len(req), len(r)))
    check(len(r) <= len(req) + bound, "%s: %d -> %d bytes (bound: request + %d)" % (name, len(req), len(r), bound))


p = free_port(hosts=("127.0.0.1", "127.0.0.2", "::1"))
q = free_port(hosts=("127.0.0.1", "127.0.0.2"))
d = Daemon(["--listen", "127.0.0.1:%d" % p, "--listen", "[::1]:%d" % p])
v4, v6 = ("127.0.0.1", p), ("::1", p)
measure("Binding, IPv4", v4, binding(), 12)
measure("Binding + FINGERPRINT, IPv4", v4, binding(fingerprint=True), 12)
measure("Binding, IPv6", v6, binding(), 24)
measure("classic RFC 3489 Binding, IPv4", v4, b"\x00\x01\x00\x00" + bytes(range(16)), 12)
measure("PADDING 1000 bytes, IPv4", v4, binding(attrs=attr(0x0026, bytes(1000))), 0)
measure("400 (CHANGE-REQUEST of 2 bytes)", v4, binding(attrs=attr(0x0003, b"\0\0")), 12)
measure("420 (unknown attribute, empty)", v4, binding(attrs=struct.pack("!HH", 0x7777, 0)), 12)
measure("420 (CHANGE-REQUEST, no alternate)", v4, binding(attrs=attr(0x0003, struct.pack("!I", 6))), 12)
d.stop()

d = Daemon(["--listen", "127.0.0.1:%d" % p, "--auth-username", "alice", "--auth-password", "pw", "--require-auth"])
measure("400 (credentials missing)", v4, binding(), 12)
measure("401 (wrong password)", v4, with_integrity("alice", "nope"), 12)
d.stop()

d = Daemon(["--rfc5780-primary", "127.0.0.1", "--rfc5780-alternate", "127.0.0.2", "--primary-port", str(p),
            "--alternate-port", str(q), "--listen", "127.0.0.1:%d" % p])
measure("RFC 5780 Binding, IPv4", v4, binding(), 48)
measure("RFC 5780 CHANGE-REQUEST (ip+port)", v4, binding(attrs=attr(0x0003, struct.pack("!I", 6))), 48)
measure("RFC 5780 classic RFC 3489 Binding", v4, b"\x00\x01\x00\x00" + bytes(range(16)), 36)
d.stop()

print("\n| request | request bytes | response bytes | ratio |\n| --- | ---: | ---: | ---: |")
for name, a, b in rows:
    print("| %s | %d | %d | %.2f |" % (name, a, b, b / a))
