"""Type=notify protocol without PID 1: our own Unix datagram socket is
NOTIFY_SOCKET and must see READY=1 (after binding), STATUS=, WATCHDOG=1,
RELOADING=1/READY=1 around SIGHUP and STOPPING=1 on SIGTERM."""
import os
import signal
import socket
import time

from opslib import WORK, Daemon, answered, check, free_port

path = os.path.join(WORK, "notify.sock")
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(path)
ns.settimeout(5)
port = free_port()
d = Daemon(["--listen", "127.0.0.1:%d" % port], env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"},
           wait_for=None)


def expect(prefix, within=5.0):
    end = time.time() + within
    seen = []
    while time.time() < end:
        try:
            msg = ns.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(msg)
        if msg.startswith(prefix):
            return msg, seen
    return None, seen


ready, _ = expect("READY=1")
check(ready is not None, "READY=1 received")
check("STATUS=answered 0" in ready, "READY=1 carries STATUS=: %r" % ready)
check(answered(("127.0.0.1", port), 2) == 2, "READY=1 came after the socket was bound: it answers")
wd, seen = expect("WATCHDOG=1", 3)
check(wd is not None, "WATCHDOG=1 pings at half of WATCHDOG_USEC")
check("STATUS=answered 2," in wd, "STATUS= updates with the counters: %r" % wd)
d.signal(signal.SIGHUP)
rel, _ = expect("RELOADING=1")
check(rel is not None, "RELOADING=1 on SIGHUP")
again, _ = expect("READY=1")
check(again is not None, "READY=1 after the reload")
d.signal(signal.SIGTERM)
stop, _ = expect("STOPPING=1")
check(stop is not None, "STOPPING=1 on SIGTERM")
check(d.proc.wait(10) == 0, "clean exit")
