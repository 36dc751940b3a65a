"""SIGHUP reload of the real binary: listeners added and removed, the
unchanged listener loses nothing under load, limits and log level change,
a bad config is rejected with one clear line and the old one stays."""
import json
import os
import signal
import socket
import time

from opslib import WORK, Daemon, Load, answered, check, exchange, binding, free_port, http_get, metric

a, b = free_port(), free_port()
mport = free_port(socket.SOCK_STREAM, ("127.0.0.1",))
cfg_path = os.path.join(WORK, "pinholed.json")


def write(cfg):
    with open(cfg_path + ".tmp", "w") as f:
        f.write(cfg if isinstance(cfg, str) else json.dumps(cfg))
    os.rename(cfg_path + ".tmp", cfg_path)  # atomic, as a config manager would


base = {"listen": ["127.0.0.1:%d" % a], "workers": 2, "metrics_listen": "127.0.0.1:%d" % mport}
write(base)
d = Daemon(["--config", cfg_path])
A, B = ("127.0.0.1", a), ("[::1]".strip("[]"), b)
check(answered(A, 3) == 3, "listener A answers")
check(exchange(B, binding(), 0.3) is None, "listener B not there yet")

load = Load(A, rate=400, duration=6).start()  # A is never changed below

reloads = 0
write(dict(base, listen=["127.0.0.1:%d" % a, "[::1]:%d" % b]))
d.signal(signal.SIGHUP)
reloads += 1
d.wait_log("event=reloaded", count=reloads)
check("event=listener_added addr=[::1]:%d" % b in d.log(), "log names the added listener")
check(answered(B, 3) == 3, "after reload: new listener B answers")

# B removed; a per-source limit the steady 400/s load stays under, small table.
write(dict(base, rate_limit={"per_ip_rate": 1000, "per_ip_burst": 200, "table_size": 1024}, log_level="debug"))
d.signal(signal.SIGHUP)
reloads += 1
d.wait_log("event=reloaded", count=reloads)
check("event=listener_removed addr=[::1]:%d" % b in d.log(), "log names the removed listener")
check(exchange(B, binding(), 0.3) is None, "after reload: removed listener B is gone")
probe = ("127.0.0.1", a)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 0))  # a source the load does not use
s.settimeout(0.5)
t_first = time.monotonic()
for _ in range(400):
    s.sendto(binding(), probe)
got, t_last = 0, t_first
try:
    while True:
        s.recv(2048)
        got, t_last = got + 1, time.monotonic()
except socket.timeout:
    pass
# A token bucket of burst 200 refilled at 1000/s admits at most
# 200 + 1000 * (the time the 400 requests took to be answered): on a loaded
# machine sending them back to back takes tens of milliseconds.
most = 200 + int(1000 * (t_last - t_first)) + 5
check(195 <= got <= most, "new rate limit (burst 200) in force after reload: %d of 400 answered (at most %d)" % (got, most))
check(got < 400, "the limit dropped some of the 400")
_, body = http_get(mport, "/metrics")
check(metric(body, "pinholed_rate_limiter_slots") == 1024, "limiter table as configured")

write("{ this is not json")
d.signal(signal.SIGHUP)
d.wait_log("event=reload_rejected")
line = [ln for ln in d.log().splitlines() if "event=reload_rejected" in ln][0]
check("invalid JSON" in line and "pinholed.json" in line, "bad config rejected with one clear line: " + line)
write(dict(base, listen=["127.0.0.1:%d" % a, "192.0.2.1:%d" % b]))  # cannot bind
d.signal(signal.SIGHUP)
d.wait_log("event=reload_rejected", count=2)
check("cannot bind 192.0.2.1" in d.log(), "unbindable listener rejects the whole reload")
_, body = http_get(mport, "/metrics")
check(metric(body, "pinholed_rate_limiter_slots") == 1024, "old config (rate limit) still in force after the rejected reloads")
check(metric(body, "pinholed_listeners") == 1, "old listener set still in force")

sent, ok = load.wait()
print("load on the unchanged listener during 4 reloads: sent %d, answered %d, lost %d" % (sent, ok, sent - ok))
if sent != ok:  # say where they went: rate limiter, malformed, or never seen
    _, body = http_get(mport, "/metrics")
    print("\n".join(ln for ln in body.splitlines() if ln.startswith("pinholed_requests_total")))
check(sent == ok, "no request to the unchanged listener was lost across the reloads")
_, body = http_get(mport, "/metrics")
check(metric(body, "pinholed_config_reloads_total", result="ok") == 2, "metrics count 2 good reloads")
check(metric(body, "pinholed_config_reloads_total", result="rejected") == 2, "metrics count 2 rejected reloads")
check(d.stop() == 0, "clean exit")
