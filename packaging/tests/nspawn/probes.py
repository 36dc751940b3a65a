"""Clients for pinholed inside the container, used by systemd_boot.py once it
has joined the container's network namespace: a STUN Binding exchange
(RFC 8489) on 127.0.0.1 or ::1, and a GET on the metrics port."""
import http.client
import os
import socket
import struct

MAGIC = 0x2112A442
BINDING_REQUEST, BINDING_SUCCESS = 0x0001, 0x0101
SOFTWARE = 0x8022


def binding(txid=None):
    """A Binding request without attributes."""
    return struct.pack("!HHI", BINDING_REQUEST, 0, MAGIC) + (txid or os.urandom(12))


def parse(msg):
    """(type, txid, {attribute type: value})"""
    t, length, _ = struct.unpack("!HHI", msg[:8])
    attrs, i = {}, 20
    while i + 4 <= min(len(msg), 20 + length):
        at, al = struct.unpack("!HH", msg[i:i + 4])
        attrs.setdefault(at, msg[i + 4:i + 4 + al])
        i += 4 + al + (-al % 4)
    return t, msg[8:20], attrs


def stun(host="127.0.0.1", port=3478, timeout=2.0):
    """One Binding request; the parsed answer with its transaction ID, or None."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    req = binding()
    try:
        s.sendto(req, (host, port))
        while True:
            data, _ = s.recvfrom(2048)
            if data[8:20] == req[8:20]:
                return parse(data)
    except socket.timeout:
        return None
    finally:
        s.close()


def software(answer):
    """The SOFTWARE attribute of a parsed answer ("" if absent, None if no answer)."""
    return answer[2].get(SOFTWARE, b"").decode() if answer else None


def http_status(port, path, host="127.0.0.1"):
    c = http.client.HTTPConnection(host, port, timeout=3)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()
