"""Shared helpers for the operations tests: run the real pinholed binary on
loopback, speak STUN to it, scrape its metrics, generate bounded load.

Every test is `python3 test.py PATH_TO_PINHOLED`; exit 0 = pass, 1 = fail,
77 = skipped (a tool is missing). Traffic only ever goes to 127.0.0.1/::1.
"""
import hashlib
import hmac
import http.client
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

MAGIC = 0x2112A442
PINHOLED = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
WORK = tempfile.mkdtemp(prefix="pinhole-ops.")
_procs = []


def skip(msg):
    print("SKIP:", msg)
    sys.exit(77)


def fail(msg, daemon=None):
    print("FAIL:", msg)
    for d in [daemon] if daemon else _procs:
        if d is not None:
            print("--- pinholed log:\n" + d.log())
    sys.exit(1)


def check(cond, msg, daemon=None):
    if not cond:
        fail(msg, daemon)
    print("ok:", msg)


def free_port(kind=socket.SOCK_DGRAM, hosts=("127.0.0.1", "::1")):
    """A port free for `kind` on every host (random, so parallel tests rarely clash)."""
    while True:
        p = random.randrange(20000, 60000)
        try:
            for h in hosts:
                s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET, kind)
                try:
                    s.bind((h, p))
                finally:
                    s.close()
            return p
        except OSError:
            continue


class Daemon:
    """pinholed (or a wrapper command ending in it) with its log in a file."""

    def __init__(self, args, env=None, prefix=(), wait_for="event=started", check_started=True):
        self.logpath = os.path.join(WORK, "pinholed.%d.log" % len(_procs))
        self.logf = open(self.logpath, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(list(prefix) + [PINHOLED] + list(args), stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=full_env)
        _procs.append(self)
        if wait_for and check_started:
            self.wait_log(wait_for, timeout=15)

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, text, timeout=5.0, count=1):
        end = time.time() + timeout
        while time.time() < end:
            if self.log().count(text) >= count:
                return True
            if self.proc.poll() is not None and self.log().count(text) < count:
                fail("pinholed exited (%s) before logging %r" % (self.proc.returncode, text), self)
            time.sleep(0.02)
        fail("timed out waiting for %r in the log" % text, self)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def sanitizer_clean(d):
    """No AddressSanitizer/UBSan report in the log (a daemon killed by a
    supervisor has no exit code to check)."""
    log = d.log()
    check("AddressSanitizer" not in log and "runtime error:" not in log and "LeakSanitizer" not in log,
          "no sanitizer report in the log", d)


def cleanup():
    for d in _procs:
        if d.proc.poll() is None:
            try:  # a supervisor's pinholed (socket activation test) first
                for c in open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)).read().split():
                    os.kill(int(c), signal.SIGKILL)
            except OSError:
                pass
            d.proc.kill()
            d.proc.wait()


import atexit  # noqa: E402

atexit.register(cleanup)


# ---- STUN ----

def binding(txid=None, attrs=b"", fingerprint=False):
    txid = txid or os.urandom(12)
    body = attrs
    msg = struct.pack("!HHI", 0x0001, len(body) + (8 if fingerprint else 0), MAGIC) + txid + body
    if fingerprint:
        crc = (zlib.crc32(msg) ^ 0x5354554E) & 0xFFFFFFFF
        msg += struct.pack("!HHI", 0x8028, 4, crc)
    return msg


def attr(t, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", t, len(value)) + value + b"\0" * pad


def with_integrity(username, password, txid=None):
    """A Binding request with USERNAME and MESSAGE-INTEGRITY (RFC 8489 §14.5)."""
    txid = txid or os.urandom(12)
    body = attr(0x0006, username.encode())
    # Length covers MESSAGE-INTEGRITY (24 bytes) when the HMAC is computed.
    head = struct.pack("!HHI", 0x0001, len(body) + 24, MAGIC) + txid
    mac = hmac.new(password.encode(), head + body, hashlib.sha1).digest()
    return head + body + struct.pack("!HH", 0x0008, 20) + mac


def parse(resp):
    """(type, txid, {attr_type: value})"""
    t, length, _cookie = struct.unpack("!HHI", resp[:8])
    attrs, i = {}, 20
    while i + 4 <= 20 + length:
        at, al = struct.unpack("!HH", resp[i:i + 4])
        attrs.setdefault(at, resp[i + 4:i + 4 + al])
        i += 4 + al + (4 - al % 4) % 4
    return t, resp[8:20], attrs


def error_code(resp):
    _t, _id, attrs = parse(resp)
    v = attrs.get(0x0009)
    return None if v is None else (v[2] & 7) * 100 + v[3]


def exchange(server, req, timeout=1.0, source=None):
    fam = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if source:
        s.bind((source, 0))
    try:
        return exchange_on(s, server, req, timeout)
    finally:
        s.close()


def xor_mapped(resp):
    """XOR-MAPPED-ADDRESS of a response as (family, ip, port): family 1 = IPv4,
    2 = IPv6 (RFC 8489 §14.2); None if absent."""
    _t, txid, attrs = parse(resp)
    v = attrs.get(0x0020)
    if v is None or len(v) < 8:
        return None
    fam, port = v[1], struct.unpack("!H", v[2:4])[0] ^ (MAGIC >> 16)
    key = struct.pack("!I", MAGIC) + txid
    raw = bytes(a ^ b for a, b in zip(v[4:], key))
    ip = socket.inet_ntop(socket.AF_INET if fam == 1 else socket.AF_INET6, raw)
    return fam, ip, port


def true_answers(server, n=1, timeout=1.0):
    """How many of n Binding requests got an answer whose XOR-MAPPED-ADDRESS is
    really the client's own address (right family, IP and port)."""
    fam = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    good = 0
    for _ in range(n):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((server[0], 0))
        me = s.getsockname()
        r = exchange_on(s, server, binding(), timeout)
        s.close()
        good += 1 if r is not None and xor_mapped(r) == (1 if fam == socket.AF_INET else 2, me[0], me[1]) else 0
    return good


def exchange_on(s, server, req, timeout=1.0):
    """exchange() on a socket of the caller's."""
    s.settimeout(timeout)
    try:
        s.sendto(req, server)
        while True:
            data, _ = s.recvfrom(65536)
            if data[8:20] == req[8:20]:
                return data
    except socket.timeout:
        return None


def answered(server, n=1, timeout=1.0, source=None):
    return sum(1 for _ in range(n) if exchange(server, binding(), timeout, source) is not None)


# ---- metrics ----

def http_get(port, path, host="127.0.0.1"):
    c = http.client.HTTPConnection(host, port, timeout=5)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def metric(body, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    total, found = 0.0, False
    for line in body.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        key, value = line.rsplit(" ", 1)
        if key != name and not key.startswith(name + "{"):
            continue
        lab = {}
        if "{" in key:
            for part in key[key.index("{") + 1:-1].split('",'):
                k, v = part.split("=", 1)
                lab[k] = v.strip('"')
        if all(lab.get(k) == v for k, v in labels.items()):
            total += float(value)
            found = True
    return total if found else None


# ---- bounded load with loss accounting ----

class Load:
    """Sends Binding requests at `rate`/s to `server` from one socket and
    counts which were answered (by transaction ID). Stops by itself after
    `duration` seconds; never more than rate*duration requests."""

    def __init__(self, server, rate, duration):
        self.server, self.rate, self.duration = server, rate, duration
        fam = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        try:  # past rmem_max when root: the answers to a queue drained at once must fit
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.settimeout(0.2)
        self.sent, self.answered, self.done = set(), set(), False
        self.t_send = threading.Thread(target=self._send)
        self.t_recv = threading.Thread(target=self._recv)

    def start(self):
        self.t_recv.start()
        self.t_send.start()
        return self

    def _send(self):
        start, i = time.time(), 0
        total = int(self.rate * self.duration)
        while i < total:
            due = start + i / self.rate
            now = time.time()
            if due > now:
                time.sleep(due - now)
            elif now - due > max(0.05, 2.0 / self.rate):
                # Behind schedule (this thread was not scheduled for a while
                # on a loaded machine): skip the missed slots instead of
                # sending the backlog back to back. A catch-up burst of a
                # 0.5 s stall is 200 requests from one source, which a
                # per-source limiter under test rightly drops; the load
                # must stay the steady rate the test states.
                i = int((now - start) * self.rate)
                continue
            txid = struct.pack("!IQ", 0x70696E68, i)
            try:
                self.sock.sendto(binding(txid), self.server)
                self.sent.add(txid)
            except OSError:
                pass
            i += 1
        self.done = True

    def _recv(self):
        quiet_since = None
        while True:
            try:
                data, _ = self.sock.recvfrom(2048)
                if len(data) >= 20:
                    self.answered.add(data[8:20])
                quiet_since = None
            except socket.timeout:
                if self.done:
                    quiet_since = quiet_since or time.time()
                    if time.time() - quiet_since > 1.5:
                        return

    def wait(self):
        self.t_send.join()
        self.t_recv.join()
        self.sock.close()
        return len(self.sent), len(self.answered & self.sent)
