"""Shared by the hostile-input test and the soak test: STUN message crafting,
a pinholed launcher on free loopback ports, and its counters (from the
Prometheus endpoint when pinholed has --metrics, else from its final
event=stopped log line)."""
import hashlib
import hmac
import os
import random
import re
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
import zlib

COOKIE = 0x2112A442
BINDING_REQUEST, BINDING_INDICATION, BINDING_SUCCESS, BINDING_ERROR = 0x0001, 0x0011, 0x0101, 0x0111
ATTR = {
    "MAPPED-ADDRESS": 0x0001, "RESPONSE-ADDRESS": 0x0002, "CHANGE-REQUEST": 0x0003, "USERNAME": 0x0006,
    "MESSAGE-INTEGRITY": 0x0008, "ERROR-CODE": 0x0009, "UNKNOWN-ATTRIBUTES": 0x000A,
    "XOR-MAPPED-ADDRESS": 0x0020, "PADDING": 0x0026, "RESPONSE-PORT": 0x0027, "SOFTWARE": 0x8022,
    "FINGERPRINT": 0x8028, "RESPONSE-ORIGIN": 0x802B, "OTHER-ADDRESS": 0x802C,
}
# Outcome names = pinholed counter names (daemon/counters.hpp).
OUTCOMES = ("answered", "error_400", "error_401", "error_420", "error_other", "dropped_malformed",
            "dropped_indication", "dropped_response", "dropped_rate_limited", "dropped_global_limit",
            "dropped_acl", "send_failed")  # send_failed: answered, but the answer could not be sent


class Msg:
    """A STUN message under construction (mirrors stun::message_writer)."""

    def __init__(self, mtype=BINDING_REQUEST, txid=None, classic=False):
        self.type = mtype
        if classic:
            cid = os.urandom(16)
            while cid[:4] == struct.pack("!I", COOKIE):
                cid = os.urandom(16)
            self.cid = cid
        else:
            self.cid = struct.pack("!I", COOKIE) + (txid if txid is not None else os.urandom(12))
        self.body = b""

    @property
    def txid(self):
        return self.cid[4:]

    def raw(self, length=None):
        n = len(self.body) if length is None else length
        return struct.pack("!HH", self.type, n) + self.cid + self.body

    def attr(self, atype, value, length=None):
        n = len(value) if length is None else length
        self.body += struct.pack("!HH", atype, n) + value + b"\0" * (-len(value) % 4)
        return self

    def addr(self, atype, ip, port):
        packed = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        return self.attr(atype, struct.pack("!BBH", 0, 1 if len(packed) == 4 else 2, port) + packed)

    def integrity(self, key):
        self.body += b"\0" * 24
        prefix = self.raw()[:-24]
        self.body = self.body[:-24]
        return self.attr(ATTR["MESSAGE-INTEGRITY"], hmac.new(key, prefix, hashlib.sha1).digest())

    def fingerprint(self, corrupt=False):
        self.body += b"\0" * 8
        prefix = self.raw()[:-8]
        self.body = self.body[:-8]
        crc = (zlib.crc32(prefix) ^ 0x5354554E ^ (1 if corrupt else 0)) & 0xFFFFFFFF
        return self.attr(ATTR["FINGERPRINT"], struct.pack("!I", crc))


def parse(data):
    """(type, cookie+id, {attr type: first value}) or None if not a sane STUN message."""
    if len(data) < 20 or data[0] & 0xC0:
        return None
    mtype, length = struct.unpack("!HH", data[:4])
    if length % 4 or 20 + length != len(data):
        return None
    attrs, pos = {}, 20
    while pos < len(data):
        if len(data) - pos < 4:
            return None
        atype, alen = struct.unpack("!HH", data[pos:pos + 4])
        if pos + 4 + alen + (-alen % 4) > len(data):
            return None
        attrs.setdefault(atype, data[pos + 4:pos + 4 + alen])
        pos += 4 + alen + (-alen % 4)
    return mtype, data[4:20], attrs


def decode_address(value, cid=None):
    """(ip, port) of a (XOR-)MAPPED-ADDRESS value; cid given = XOR form."""
    fam, port = value[1], struct.unpack("!H", value[2:4])[0]
    raw = value[4:]
    if cid is not None:
        port ^= COOKIE >> 16
        raw = bytes(a ^ b for a, b in zip(raw, cid))
    return socket.inet_ntop(socket.AF_INET if fam == 1 else socket.AF_INET6, raw), port


def error_code(value):
    return (value[2] & 7) * 100 + value[3]


def free_ports(n=1, ips=("127.0.0.1", "127.0.0.2", "::1")):
    """A port p with p..p+n-1 free for UDP on every IP (and TCP on 127.0.0.1 for metrics)."""
    while True:
        p = random.randrange(20000, 60000 - n)
        ok = True
        for q in range(p, p + n):
            for ip in ips:
                s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    s.bind((ip, q))
                except OSError:
                    ok = False
                finally:
                    s.close()
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                t.bind(("127.0.0.1", q))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok:
            return p


class Pinholed:
    """pinholed on 127.0.0.1:port and [::1]:port, one worker, metrics when supported."""

    def __init__(self, binary, extra=(), wrapper=()):
        self.port = free_ports(2)
        self.metrics_port = self.port + 1
        help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        self.has_metrics = "--metrics" in help_text
        args = list(wrapper) + [binary, "--listen", f"127.0.0.1:{self.port}", "--listen", f"[::1]:{self.port}",
                                "--workers", "1", "--log-level", "info"] + list(extra)
        if self.has_metrics:
            args += ["--metrics", f"127.0.0.1:{self.metrics_port}"]
        self.log = tempfile.NamedTemporaryFile(prefix="pinholed-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.stopped_line = None
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("pinholed exited early:\n" + self.log_text())
            if "event=started" in self.log_text():
                return
            time.sleep(0.05)
        raise RuntimeError("pinholed did not start:\n" + self.log_text())

    @property
    def pid(self):
        return self.proc.pid

    def log_text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def counters(self):
        """Totals over both listeners: {counter name: value} (metrics only)."""
        body = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        out = {name: 0 for name in OUTCOMES + ("received", "send_failures")}
        for line in body.splitlines():
            m = re.match(r'pinholed_requests_total\{.*result="(\w+)"\} (\d+)', line)
            if m and m.group(1) in out:
                out[m.group(1)] += int(m.group(2))
            m = re.match(r'pinholed_error_responses_total\{.*code="(\w+)"\} (\d+)', line)
            if m:
                out["error_" + m.group(1)] += int(m.group(2))
            m = re.match(r"pinholed_received_datagrams_total\{.*\} (\d+)", line)
            if m:
                out["received"] += int(m.group(1))
            m = re.match(r"pinholed_send_failures_total\{.*\} (\d+)", line)
            if m:
                out["send_failures"] += int(m.group(1))
        return out

    def wait_received(self, n, timeout=10.0):
        """Waits until pinholed has counted n datagrams; returns the counters."""
        deadline = time.time() + timeout
        c = self.counters()
        # Settled too: a worker counts an answer once sendmmsg returns.
        while (c["received"] < n or sum(c[k] for k in OUTCOMES) < c["received"]) and time.time() < deadline:
            time.sleep(0.02)
            c = self.counters()
        return c

    def stop(self):
        """SIGTERM, wait, and return the exit code; keeps the event=stopped line."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for line in self.log_text().splitlines():
            if "event=stopped" in line:
                self.stopped_line = line
        return self.proc.returncode

    def stopped_counters(self):
        """Counters from the event=stopped log line (whatever it lists)."""
        if not self.stopped_line:
            return {}
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)(?:\s|$)", self.stopped_line)}

    def tool_summary(self):
        """valgrind's error and leak summary lines, if pinholed ran under it."""
        pat = re.compile(r"==\d+== +(ERROR SUMMARY|in use at exit|total heap usage|definitely|indirectly|possibly|"
                         r"still reachable|All heap blocks)")
        return [line.split("== ", 1)[-1].strip() for line in self.log_text().splitlines() if pat.search(line)]

    def cleanup(self):
        self.stop()
        self.log.close()
        os.unlink(self.log.name)
