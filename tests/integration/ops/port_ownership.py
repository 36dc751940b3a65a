"""Port ownership: nobody else may bind pinholed's UDP addresses.

1. A process of another user (setpriv to nobody, port_thief.py) cannot bind
   pinholed's address, with SO_REUSEADDR and SO_REUSEPORT, on its own
   sockets (IPv4 and IPv6) nor on a socket systemd handed over (systemd sets
   SO_REUSEADDR; pinholed clears it): every request is answered by pinholed
   with the client's real address. With SO_REUSEADDR on pinholed's sockets
   the thief received and forged the answers.
2. A second pinholed of the same user on a served address refuses to start
   (one line, exit 2) instead of silently splitting the traffic; with
   --share-port it joins, and serves alone once the first one stops (an
   upgrade without downtime).
Needs root (to become nobody)."""
import json
import os
import shutil
import subprocess
import sys
import time

from opslib import Daemon, binding, check, exchange, free_port, sanitizer_clean, skip, true_answers

if os.geteuid() != 0:
    skip("needs root to run the thief as another user (setpriv)")
if not shutil.which("setpriv"):
    skip("setpriv not installed (Debian package util-linux)")
THIEF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "port_thief.py")


def steal(host, port, n=40):
    """The thief (as nobody) binds host:port if it can while we send n
    requests to it; returns (thief report, requests answered truly)."""
    t = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, THIEF,
                          host, str(port), "3"], stdout=subprocess.PIPE, text=True)
    if t.stdout.readline().strip() != "ready":
        t.kill()
        check(False, "thief started")
    good = true_answers((host, port), n, timeout=0.5)
    t.wait(20)
    report = json.loads(t.stdout.read().strip().splitlines()[-1])
    return report, good


# 1a. pinholed's own sockets, both families, two workers.
port = free_port()
d = Daemon(["--listen", "127.0.0.1:%d" % port, "--listen", "[::1]:%d" % port, "--workers", "2"])
for host in ("127.0.0.1", "::1"):
    report, good = steal(host, port)
    print("RESULT thief on pinholed's %s:%d: bound=%s stolen=%d, true answers %d/40" % (
        host, port, report["bound"], report["stolen"], good))
    check(not report["bound"] and report["errno"] == 98, "another user cannot bind %s:%d (EADDRINUSE)" % (host, port))
    check(good == 40, "all 40 requests answered by pinholed with the true address (%s)" % host)

# 2. A second pinholed of the same user: refused, one line, exit 2.
second = Daemon(["--listen", "127.0.0.1:%d" % port, "--workers", "2"], wait_for=None)
try:
    rc = second.proc.wait(15)
except subprocess.TimeoutExpired:
    rc = None
# Informational start-up lines (level=info event=resources) may come first;
# the refusal itself is one error line.
lines = [l for l in second.log().splitlines() if l.strip() and "level=info" not in l]
print("second pinholed: exit %s, output %r" % (rc, lines))
check(rc == 2, "a second pinholed on a served address exits 2", second)
check(len(lines) == 1 and "already in use" in lines[0] and "--share-port" in lines[0],
      "with one line that names the problem and --share-port", second)
check(true_answers(("127.0.0.1", port), 20, timeout=0.5) == 20, "the first one still answers everything")

# 2b. --share-port: the new one joins; once the old one stops it serves alone.
third = Daemon(["--listen", "127.0.0.1:%d" % port, "--workers", "2", "--share-port"])
check(true_answers(("127.0.0.1", port), 20, timeout=0.5) == 20, "while both serve the port, everything is answered")
check(d.stop() == 0, "the first pinholed stops cleanly")
check(true_answers(("127.0.0.1", port), 20, timeout=0.5) == 20, "after the hand-over the new one answers everything")
report, good = steal("127.0.0.1", port)
check(not report["bound"], "the shared port is still closed to other users")
check(third.stop() == 0, "the second pinholed stops cleanly")
sanitizer_clean(third)

# 1b. A socket handed over by systemd-socket-activate (bound with SO_REUSEADDR).
if not shutil.which("systemd-socket-activate"):
    skip("systemd-socket-activate not installed (Debian package systemd); parts 1a and 2 passed")
port = free_port(hosts=("127.0.0.1",))
sa = Daemon(["--workers", "2"], prefix=["systemd-socket-activate", "--datagram", "-l", "127.0.0.1:%d" % port],
            wait_for=None)
time.sleep(0.3)
check(exchange(("127.0.0.1", port), binding(), timeout=10) is not None, "socket-activated pinholed answers")
sa.wait_log("event=started")
report, good = steal("127.0.0.1", port)
print("RESULT thief on the socket-activated 127.0.0.1:%d: bound=%s stolen=%d, true answers %d/40" % (
    port, report["bound"], report["stolen"], good))
check(not report["bound"] and report["errno"] == 98, "another user cannot bind the inherited socket's address")
check(good == 40, "all 40 requests answered by pinholed with the true address (socket-activated)")
check(sa.stop() == 0, "socket-activated pinholed stops cleanly")
sanitizer_clean(sa)
sanitizer_clean(d)
