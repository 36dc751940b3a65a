"""--metrics: scrape /metrics and /healthz of the real binary after known traffic."""
import socket

from opslib import Daemon, attr, binding, check, error_code, exchange, free_port, http_get, metric

port = free_port()
mport = free_port(socket.SOCK_STREAM, ("127.0.0.1",))
d = Daemon(["--listen", "127.0.0.1:%d" % port, "--listen", "[::1]:%d" % port,
            "--metrics", "127.0.0.1:%d" % mport, "--workers", "2"])
v4, v6 = ("127.0.0.1", port), ("::1", port)
check(sum(exchange(v4, binding()) is not None for _ in range(5)) == 5, "5 IPv4 Binding requests answered")
check(sum(exchange(v6, binding()) is not None for _ in range(3)) == 3, "3 IPv6 Binding requests answered")
for junk in (b"hello", b"\x00" * 19):
    check(exchange(v4, junk + bytes(12), timeout=0.3) is None, "junk dropped, not answered")
r = exchange(v4, binding(attrs=attr(0x7777, b"abcd")))  # unknown comprehension-required
check(r is not None and error_code(r) == 420, "unknown attribute gets a 420")

status, body = http_get(mport, "/metrics")
check(status == 200, "GET /metrics is 200")
L4 = dict(listener="127.0.0.1:%d" % port, family="ipv4")
L6 = dict(listener="[::1]:%d" % port, family="ipv6")
check(metric(body, "pinholed_requests_total", result="answered", **L4) == 5, "answered{ipv4 listener} = 5")
check(metric(body, "pinholed_requests_total", result="answered", **L6) == 3, "answered{ipv6 listener} = 3")
check(metric(body, "pinholed_requests_total", result="answered", family="ipv6") == 3, "answered by family ipv6 = 3")
check(metric(body, "pinholed_requests_total", result="dropped_malformed", **L4) == 2, "dropped_malformed = 2")
check(metric(body, "pinholed_requests_total", result="error_4xx", **L4) == 1, "error_4xx = 1")
check(metric(body, "pinholed_error_responses_total", code="420", **L4) == 1, "error code 420 = 1")
check(metric(body, "pinholed_requests_total", result="dropped_rate_limited") == 0, "dropped_rate_limited = 0")
check(metric(body, "pinholed_received_datagrams_total") == 11, "11 datagrams received in all")
check(metric(body, "pinholed_request_duration_seconds_count") == 11, "latency histogram counted 11 requests")
check(metric(body, "pinholed_request_duration_seconds_bucket", le="+Inf") == 11, "histogram +Inf bucket = count")
check((metric(body, "pinholed_uptime_seconds") or 0) > 0, "uptime > 0")
check(metric(body, "pinholed_build_info") == 1, "build_info present")
check(metric(body, "pinholed_healthy") == 1, "healthy = 1")
check(http_get(mport, "/healthz") == (200, "ok\n"), "/healthz is 200 ok")
check(http_get(mport, "/nope")[0] == 404, "unknown path is 404")
check(d.stop() == 0, "clean exit on SIGTERM")

# Off by default: no metrics listener without --metrics.
d2 = Daemon(["--listen", "127.0.0.1:%d" % free_port()])
check("metrics_listening" not in d2.log(), "no metrics endpoint unless asked for")
d2.stop()
