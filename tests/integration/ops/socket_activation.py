"""Socket activation with systemd-socket-activate (no PID 1 needed):
pinholed serves the sockets it is given instead of binding, a dual-stack
[::]:P socket answers IPv4 clients with an IPv4 XOR-MAPPED-ADDRESS, and a
restart under load loses no request, because the socket (and its queue)
outlives the process, as it does under a systemd .socket unit."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from opslib import WORK, Daemon, Load, binding, check, exchange, free_port, sanitizer_clean, skip, xor_mapped



def exchange_from(s, server):
    """One Binding request on socket s: (response, its source) or (None, None)."""
    req = binding()
    s.settimeout(2)
    s.sendto(req, server)
    try:
        while True:
            data, src = s.recvfrom(2048)
            if data[8:20] == req[8:20]:
                return data, src
    except socket.timeout:
        return None, None


if not shutil.which("systemd-socket-activate"):
    skip("systemd-socket-activate not installed (Debian package systemd)")

# 1. Both families handed over; pinholed binds nothing itself.
port = free_port()
cfg = os.path.join(WORK, "sa.json")
with open(cfg, "w") as f:
    f.write('{"listen": ["127.0.0.1:1"], "workers": 2}')  # ignored: systemd's sockets win
d = Daemon(["--config", cfg], prefix=["systemd-socket-activate", "--datagram",
                                       "-l", "127.0.0.1:%d" % port, "-l", "[::1]:%d" % port], wait_for=None)
time.sleep(0.3)  # socket-activate binds, then waits for the first datagram before it execs pinholed
check(exchange(("127.0.0.1", port), binding(), timeout=10) is not None, "first datagram activates pinholed and is answered")
d.wait_log("event=started")
check(d.log().count("socket=systemd") == 2, "both inherited sockets served (log says socket=systemd)")
check(exchange(("::1", port), binding(), timeout=2) is not None, "IPv6 inherited socket answers")
with open(cfg, "w") as f:
    f.write('{"listen": ["127.0.0.1:2"], "workers": 2, "software": "reloaded"}')
d.signal(signal.SIGHUP)
d.wait_log("event=reloaded")
check("event=reload_listeners_ignored" in d.log(), "reload: listener changes ignored under socket activation (logged)")
r = exchange(("127.0.0.1", port), binding(), timeout=2)
check(r is not None and b"reloaded" in r, "reload: the rest of the config applies (SOFTWARE), same sockets")
check(d.stop() == 0, "clean exit")

# 1b. A dual-stack socket: "-l [::]:P" with net.ipv6.bindv6only=0 (the
# default) takes IPv4 too; the kernel reports IPv4 clients as ::ffff:a.b.c.d.
# Their XOR-MAPPED-ADDRESS must be IPv4 (family 0x01), not ::ffff:a.b.c.d.
bench = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 and os.path.isfile(sys.argv[2]) else None
if open("/proc/sys/net/ipv6/bindv6only").read().strip() != "0":
    print("note: net.ipv6.bindv6only=1, systemd-socket-activate's [::] socket is IPv6-only: dual-stack part not run")
else:
    port = free_port()
    d = Daemon(["--workers", "2"], prefix=["systemd-socket-activate", "--datagram", "-l", "[::]:%d" % port],
               wait_for=None)
    time.sleep(0.3)
    check(exchange(("::1", port), binding(), timeout=10) is not None, "dual-stack socket activated")
    d.wait_log("event=started")
    for host, fam in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((host, 0))
        me = s.getsockname()
        got = [(xor_mapped(r), src) for r, src in [exchange_from(s, (host, port)) for _ in range(10)] if r]
        s.close()
        want = (1 if fam == socket.AF_INET else 2, me[0], me[1])
        print("RESULT dual-stack [::]:%d, %s client: %d/10 answered, XOR-MAPPED-ADDRESS %s from %s" % (
            port, host, len(got), got[0][0] if got else None, got[0][1] if got else None))
        check(len(got) == 10 and all(m == want for m, _src in got),
              "%s client: XOR-MAPPED-ADDRESS is family %d with its own address (10/10)" % (host, want[0]), d)
        check(all(src[0] == host and src[1] == port for _m, src in got), "%s client: answers come from %s:%d" % (
            host, host, port), d)
    if bench:
        out = subprocess.run([bench, "--server", "127.0.0.1:%d" % port, "--rate", "200", "--duration", "1",
                              "--json"], stdout=subprocess.PIPE, text=True, timeout=60).stdout
        report = json.loads(out)
        print("RESULT pinhole-bench IPv4 against the dual-stack socket: sent %d, answered %d, invalid %d" % (
            report["sent"], report["answered"], report["invalid"]))
        check(report["answered"] == report["sent"] and report["invalid"] == 0,
              "pinhole-bench: every IPv4 answer valid on the dual-stack socket", d)
    check(d.stop() == 0, "clean exit")
    sanitizer_clean(d)

# 2. Restart under load. A two-line supervisor plays systemd's part: it holds
# the activated socket (fd 3) and starts pinholed again when it exits.
sup = os.path.join(WORK, "supervisor.sh")
with open(sup, "w") as f:
    f.write('#!/bin/sh\nfor run in 1 2; do sh -c \'LISTEN_PID=$$ exec "$@"\' sh "$@"; done\n')
os.chmod(sup, 0o755)
port = free_port()
rate, duration = int(os.environ.get("PINHOLE_SA_RATE", "2000")), 5
d = Daemon(["--workers", "2"], prefix=["systemd-socket-activate", "--datagram", "-l", "127.0.0.1:%d" % port, sup],
           wait_for=None)
time.sleep(0.3)
check(exchange(("127.0.0.1", port), binding(), timeout=10) is not None, "activated")
d.wait_log("event=started")
# The load: pinhole-bench (argv[2]) when built, else the Python generator.
if bench:
    load = subprocess.Popen([bench, "--server", "127.0.0.1:%d" % port, "--rate", str(rate), "--duration",
                             str(duration), "--drain-ms", "2000", "--json"], stdout=subprocess.PIPE, text=True)
else:
    load = Load(("127.0.0.1", port), rate=rate, duration=duration).start()
time.sleep(1.5)
children = open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)).read().split()
check(len(children) == 1, "supervisor runs one pinholed (pid %s)" % children)
t0 = time.time()
os.kill(int(children[0]), signal.SIGTERM)
d.wait_log("event=started", count=2, timeout=15)
gap = time.time() - t0
if bench:
    report = json.loads(load.communicate(timeout=60)[0])
    sent, ok = report["sent"], report["answered"]
    check(report["invalid"] == 0, "every answer valid (pinhole-bench checks XOR-MAPPED-ADDRESS)")
else:
    sent, ok = load.wait()
print("RESULT socket-activated restart under load (%s): rate %d/s for %ds, sent %d, answered %d, lost %d, "
      "restart gap %.0f ms" % ("pinhole-bench" if bench else "python load", rate, duration, sent, ok, sent - ok,
                                gap * 1000))
check(sent == rate * duration, "all %d requests sent" % sent)
check(sent - ok == 0, "no request lost across the restart")
# Stop the second pinholed first (the supervisor's loop then ends on its own);
# signalling the shell first could orphan it.
for c in open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)).read().split():
    os.kill(int(c), signal.SIGTERM)
check(d.proc.wait(15) == 0, "second pinholed stopped cleanly, supervisor done")
sanitizer_clean(d)
