"""Short-term credentials end to end through the daemon (RFC 8489 §9.1.3)."""
import hashlib
import hmac
import struct

from opslib import Daemon, binding, check, error_code, exchange, free_port, parse, with_integrity

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
d.stop()
