"""The metrics endpoint under idle and slow-loris connections (issue #11
item 3): 64 connections that send nothing and 8 that trickle one header byte
every 200 ms, each re-opened as soon as pinholed closes it, are held open for
5 s while a scraper probes /healthz every 100 ms. Every probe must be
answered (the packaged DaemonSet restarts pinholed after 3 failed liveness
probes). Loopback only, bounded: 72 attacking sockets, about 6 s."""
import selectors
import socket
import threading
import time

from opslib import Daemon, check, free_port, http_get, metric

IDLE, SLOW, SECONDS = 64, 8, 5.0

port = free_port()
mport = free_port(socket.SOCK_STREAM, ("127.0.0.1",))
d = Daemon(["--listen", "127.0.0.1:%d" % port, "--metrics", "127.0.0.1:%d" % mport, "--workers", "1"])
check(http_get(mport, "/healthz") == (200, "ok\n"), "/healthz answers before the flood")


class Flood:
    """IDLE silent and SLOW trickling connections, re-opened when closed."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.stop = False
        self.reopened = 0
        self.thread = threading.Thread(target=self._run)

    def _open(self, slow):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", mport))
        self.sel.register(s, selectors.EVENT_READ, {"slow": slow, "sent": 0})

    def _run(self):
        for i in range(IDLE + SLOW):
            self._open(i >= IDLE)
        next_trickle = time.time()
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.05):
                try:
                    data = key.fileobj.recv(4096)
                except OSError:
                    data = b""
                if not data:  # closed by pinholed: come straight back
                    self.sel.unregister(key.fileobj)
                    key.fileobj.close()
                    self._open(key.data["slow"])
                    self.reopened += 1
            if time.time() >= next_trickle:
                next_trickle += 0.2
                request = b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 4000
                for key in list(self.sel.get_map().values()):
                    if key.data["slow"] and key.data["sent"] < len(request):
                        try:
                            key.fileobj.send(request[key.data["sent"]:key.data["sent"] + 1])
                            key.data["sent"] += 1
                        except OSError:
                            pass
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()


flood = Flood()
flood.thread.start()
time.sleep(0.5)  # let the flood fill every slot first
probes, good, failures = 0, 0, []
end = time.time() + SECONDS
while time.time() < end:
    probes += 1
    started = time.time()
    try:
        status, body = http_get(mport, "/healthz")
        if status == 200 and body == "ok\n":
            good += 1
        else:
            failures.append("status %d" % status)
    except (OSError, Exception) as e:  # noqa: B014  (http.client raises several kinds)
        failures.append("%s after %.2fs" % (type(e).__name__, time.time() - started))
    time.sleep(0.1)
flood.stop = True
flood.thread.join()
print("probes %d, answered %d, attacker connections re-opened %d" % (probes, good, flood.reopened))
check(probes >= 20, "probed /healthz %d times during the flood" % probes)
check(good == probes, "every /healthz probe answered during the flood (failures: %s)" % failures[:5], d)
status, body = http_get(mport, "/metrics")
timed_out = metric(body, "pinholed_http_connections_timed_out_total")
check(timed_out is not None and timed_out >= IDLE,
      "silent connections are closed at the first-byte deadline and counted: %s" % timed_out)
check(flood.reopened >= IDLE, "and re-opened by the flood: %d" % flood.reopened)
check(d.stop() == 0, "clean exit")
