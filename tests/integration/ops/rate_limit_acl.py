"""Per-source rate limit (burst, then drops counted), global cap, and the ACL, through the binary."""
import socket
import time

from opslib import Daemon, answered, binding, check, exchange, free_port, http_get, metric

port = free_port(hosts=("127.0.0.1", "127.0.0.2", "::1"))
mport = free_port(socket.SOCK_STREAM, ("127.0.0.1",))
d = Daemon(["--listen", "0.0.0.0:%d" % port, "--metrics", "127.0.0.1:%d" % mport,
            "--rate-limit", "1", "--rate-burst", "4", "--workers", "2"])
srv = ("127.0.0.1", port)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)


def burst(n):
    """Sends n requests back to back from `s`; returns how many were answered."""
    for r in [binding() for _ in range(n)]:
        s.sendto(r, srv)
    got = 0
    try:
        while True:
            s.recv(2048)
            got += 1
    except socket.timeout:
        pass
    return got


got = burst(20)
check(got == 4, "burst of 4 from one source answered, the other 16 dropped (got %d)" % got)
_, body = http_get(mport, "/metrics")
check(metric(body, "pinholed_requests_total", result="dropped_rate_limited") == 16, "16 counted as dropped_rate_limited")
# Another source (127.0.0.2) has its own bucket; port does not matter for the same source.
check(answered(("127.0.0.2", port), 4, 0.5, source="127.0.0.2") == 4, "a second source IP gets its own burst")
check(exchange(srv, binding(), 0.3) is None, "a new port of the limited source is still limited")
time.sleep(2.2)
got = burst(5)  # ~3 s after the burst at 1/s: about 3 have refilled; never more than the burst of 4
check(2 <= got <= 4, "after refilling at 1/s, 2-4 more pass, not all 5 (got %d)" % got)
d.stop()

# Global cap: 10/s with a burst of 32 shared by everyone.
d = Daemon(["--listen", "127.0.0.1:%d" % port, "--global-rate", "10"])
got = burst(60)
check(32 <= got <= 40, "global cap: about the 32-request burst answered out of 60 (got %d)" % got)
d.stop()

# ACL: only 127.0.0.2/32 and 2001:db8::/32 may ask.
d = Daemon(["--listen", "0.0.0.0:%d" % port, "--listen", "[::1]:%d" % port, "--metrics", "127.0.0.1:%d" % mport,
            "--allow", "127.0.0.2/32", "--allow", "2001:db8::/32"])
check(exchange(("127.0.0.1", port), binding(), 0.3, source="127.0.0.1") is None, "127.0.0.1 not in the ACL: dropped")
check(exchange(("::1", port), binding(), 0.3) is None, "::1 not in the ACL: dropped")
check(exchange(("127.0.0.2", port), binding(), 1.0, source="127.0.0.2") is not None, "127.0.0.2 in the ACL: answered")
_, body = http_get(mport, "/metrics")
check(metric(body, "pinholed_requests_total", result="dropped_acl") == 2, "2 counted as dropped_acl")
d.stop()
