"""RFC 5780 mode binds what it says: the four role sockets PP, PA, AP, AA
and nothing else (no 0.0.0.0:3478 / [::]:3478 plain listeners that would
answer every other local address without the RFC 5780 attributes and open
IPv6 unasked), unless --listen adds addresses explicitly. Checked at the
socket level: the UDP sockets the process holds (/proc/PID/fd matched
against /proc/net/udp and udp6)."""
import os
import socket

from opslib import Daemon, binding, check, exchange, free_port, parse, sanitizer_clean


def udp_sockets(pid):
    """The local "ip:port" of every UDP socket process `pid` holds, with counts."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = {}
    for table, fam in (("/proc/net/udp", socket.AF_INET), ("/proc/net/udp6", socket.AF_INET6)):
        for line in open(table).read().splitlines()[1:]:
            f = line.split()
            if f[9] not in inodes:
                continue
            hexip, hexport = f[1].split(":")
            raw = bytes.fromhex(hexip)
            # /proc prints the address as 32-bit words in host (little-endian) order.
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            ip = socket.inet_ntop(fam, raw)
            key = ("[%s]:%d" if fam == socket.AF_INET6 else "%s:%d") % (ip, int(hexport, 16))
            found[key] = found.get(key, 0) + 1
    return found


p, a = free_port(hosts=("127.0.0.1", "127.0.0.2")), free_port(hosts=("127.0.0.1", "127.0.0.2"))
quad = {"127.0.0.1:%d" % p, "127.0.0.1:%d" % a, "127.0.0.2:%d" % p, "127.0.0.2:%d" % a}
d = Daemon(["--rfc5780-primary", "127.0.0.1", "--rfc5780-alternate", "127.0.0.2", "--primary-port", str(p),
            "--alternate-port", str(a), "--workers", "2"])
held = udp_sockets(d.proc.pid)
print("RESULT RFC 5780 mode, no --listen: UDP sockets held %s" % sorted(held.items()))
check(set(held) == quad, "only the four role sockets are bound (no default listeners)", d)
check(all(n == 2 for n in held.values()), "one socket per role per worker", d)
check(d.log().count("event=listening") == 4, "four listeners logged", d)
r = exchange(("127.0.0.1", p), binding())
check(r is not None and 0x802C in parse(r)[2], "PP answers with OTHER-ADDRESS", d)
check(d.stop() == 0, "clean exit")
sanitizer_clean(d)

# An explicit --listen is bound as well, as a plain listener.
extra = free_port(hosts=("127.0.0.3",))
d = Daemon(["--rfc5780-primary", "127.0.0.1", "--rfc5780-alternate", "127.0.0.2", "--primary-port", str(p),
            "--alternate-port", str(a), "--workers", "1", "--listen", "127.0.0.3:%d" % extra])
held = udp_sockets(d.proc.pid)
print("RESULT RFC 5780 mode with --listen 127.0.0.3:%d: %s" % (extra, sorted(held)))
check(set(held) == quad | {"127.0.0.3:%d" % extra}, "the quad plus exactly the explicit listener", d)
r = exchange(("127.0.0.3", extra), binding())
check(r is not None and 0x802C not in parse(r)[2], "the plain listener answers without OTHER-ADDRESS", d)
check(d.stop() == 0, "clean exit")
sanitizer_clean(d)
