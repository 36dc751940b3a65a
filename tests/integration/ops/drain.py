"""Drain mode of the real binary (issue #11 item 11): SIGUSR1 turns /healthz
to 503 at once, Binding requests are still answered during the grace
(drain_grace_ms / --drain-grace), dropped and counted after it; SIGUSR2 or a
reload (SIGHUP) ends the drain. The grace is reloadable."""
import json
import os
import signal
import socket
import time

from opslib import WORK, Daemon, answered, check, free_port, http_get, metric

port = free_port()
mport = free_port(socket.SOCK_STREAM, ("127.0.0.1",))
cfg_path = os.path.join(WORK, "drain.json")
GRACE_MS = 3000  # room for the probes below on a loaded 2-core machine


def write(cfg):
    with open(cfg_path + ".tmp", "w") as f:
        json.dump(cfg, f)
    os.rename(cfg_path + ".tmp", cfg_path)


def scrape():
    return http_get(mport, "/metrics")[1]


def healthz_turns(status, within=1.0):
    end = time.time() + within
    while time.time() < end:
        if http_get(mport, "/healthz")[0] == status:
            return True
        time.sleep(0.01)
    return False


base = {"listen": ["127.0.0.1:%d" % port], "workers": 2, "metrics_listen": "127.0.0.1:%d" % mport}
write(dict(base, drain_grace_ms=GRACE_MS))
d = Daemon(["--config", cfg_path])
S = ("127.0.0.1", port)
check(http_get(mport, "/healthz") == (200, "ok\n"), "/healthz 200 before the drain")
check(metric(scrape(), "pinholed_draining") == 0, "pinholed_draining 0 before the drain")

t0 = time.time()
d.signal(signal.SIGUSR1)
check(healthz_turns(503, within=0.5), "SIGUSR1: /healthz is 503 within 0.5 s")
check(http_get(mport, "/healthz") == (503, "draining\n"), "/healthz says draining")
check(http_get(mport, "/livez") == (200, "ok\n"), "/livez (liveness) stays 200 while draining")
d.wait_log("event=drain_started")
check("grace_ms=%d" % GRACE_MS in d.log(), "drain_started logs the grace")
check(metric(scrape(), "pinholed_draining") == 1, "pinholed_draining 1")
got = answered(S, 5)
check(time.time() - t0 < GRACE_MS / 1000.0, "still inside the grace after the probes")
check(got == 5, "Binding answered during the grace (%d of 5)" % got)

d.wait_log("event=drain_dropping", timeout=GRACE_MS / 1000.0 + 3)
check(time.time() - t0 >= GRACE_MS / 1000.0 - 0.05, "dropping starts only after the grace")
check(answered(S, 4, timeout=0.3) == 0, "Binding not answered after the grace")
body = scrape()
check(metric(body, "pinholed_requests_total", result="dropped_draining") == 4, "4 datagrams counted dropped_draining")
check(metric(body, "pinholed_draining") == 1, "pinholed_draining still 1")
check(http_get(mport, "/healthz")[0] == 503, "/healthz still 503")

d.signal(signal.SIGUSR2)
d.wait_log("event=drain_ended")
check(answered(S, 3) == 3, "SIGUSR2: Binding answered again")
check(http_get(mport, "/healthz") == (200, "ok\n"), "SIGUSR2: /healthz 200 again")
check(metric(scrape(), "pinholed_draining") == 0, "pinholed_draining 0 again")

# A reload ends a drain too, and changes the grace: 0 = drop at once.
d.signal(signal.SIGUSR1)
d.wait_log("event=drain_started", count=2)
write(dict(base, drain_grace_ms=0))
d.signal(signal.SIGHUP)
d.wait_log("event=reloaded")
d.wait_log("event=drain_ended", count=2)
check("reason=reload" in d.log(), "the reload ended the drain")
check(http_get(mport, "/healthz")[0] == 200 and answered(S, 2) == 2, "after the reload: 200 and answered")
d.signal(signal.SIGUSR1)
d.wait_log("event=drain_dropping", count=2, timeout=2)
check(answered(S, 2, timeout=0.3) == 0, "reloaded grace 0: dropped at once")
check(metric(scrape(), "pinholed_requests_total", result="dropped_draining") == 6, "6 dropped_draining in all")
d.signal(signal.SIGUSR1)  # a second SIGUSR1 while draining changes nothing
d.signal(signal.SIGUSR2)
d.wait_log("event=drain_ended", count=3)
check(answered(S, 2) == 2, "answered after the second drain")
check(d.stop() == 0, "clean exit")
