"""Short-term credentials end to end through the daemon (RFC 8489 §9.1.3)."""
import hashlib
import hmac
import os
import struct

from opslib import Daemon, attr, binding, check, error_code, exchange, free_port, parse, with_integrity

port = free_port()
d = Daemon(["--listen", "127.0.0.1:%d" % port, "--auth-username", "alice", "--auth-password", "s3cret",
            "--require-auth"])
srv = ("127.0.0.1", port)
r = exchange(srv, binding())
check(r is not None and error_code(r) == 400, "no USERNAME/MESSAGE-INTEGRITY: 400")
r = exchange(srv, with_integrity("alice", "wrong"))
check(r is not None and error_code(r) == 401, "wrong password: 401")
r = exchange(srv, with_integrity("mallory", "s3cret"))
check(r is not None and error_code(r) == 401, "unknown user: 401")
r = exchange(srv, with_integrity("alice", "s3cret"))
check(r is not None and parse(r)[0] == 0x0101, "right credentials: Binding success")
# The success response is signed with the same key.
i = r.find(struct.pack("!HH", 0x0008, 20))
check(i > 0, "response carries MESSAGE-INTEGRITY")
head = r[:2] + struct.pack("!H", i + 24 - 20) + r[4:20]
mac = hmac.new(b"s3cret", head + r[20:i], hashlib.sha1).digest()
check(mac == r[i + 4:i + 24], "response MESSAGE-INTEGRITY verifies with the shared key")

# RFC 8489 §6.3: authentication before the check for unknown comprehension-
# required attributes: a stranger's unknown attribute gets 400, not 420.
r = exchange(srv, binding(attrs=attr(0x7777, b"x")))
check(r is not None and error_code(r) == 400, "unauthenticated request with an unknown attribute: 400, not 420")
# Authenticated, the same request gets 420, signed with the key (§9.1.3).
txid = os.urandom(12)
body = attr(0x7777, b"x") + attr(0x0006, b"alice")
head = struct.pack("!HHI", 0x0001, len(body) + 24, 0x2112A442) + txid
req = head + body + struct.pack("!HH", 0x0008, 20) + hmac.new(b"s3cret", head + body, hashlib.sha1).digest()
r = exchange(srv, req)
check(r is not None and error_code(r) == 420, "authenticated request with an unknown attribute: 420")
i = r.find(struct.pack("!HH", 0x0008, 20)) if r else -1
check(i > 0, "the 420 carries MESSAGE-INTEGRITY")
head = r[:2] + struct.pack("!H", i + 24 - 20) + r[4:20]
check(hmac.new(b"s3cret", head + r[20:i], hashlib.sha1).digest() == r[i + 4:i + 24], "and it verifies with the key")
d.stop()
