"""The container test's client, run from outside the container (in the
client network namespace, `ip netns exec`):
  client.py stun HOST PORT        a Binding request (RFC 8489); prints the
                                  XOR-MAPPED-ADDRESS and the socket's own
                                  address; exit 0 only if they are the same
  client.py silent HOST PORT      exit 0 only if 3 Bindings get no answer
  client.py http HOST PORT PATH   prints the HTTP status and body"""
import http.client
import os
import socket
import struct
import sys

MAGIC = 0x2112A442


def binding(s, server, timeout=1.0):
    """The answer to one Binding request on s, or None."""
    txid = os.urandom(12)
    s.settimeout(timeout)
    s.sendto(struct.pack("!HHI", 0x0001, 0, MAGIC) + txid, server)
    try:
        while True:
            data = s.recv(2048)
            if len(data) >= 20 and data[8:20] == txid:
                return data
    except socket.timeout:
        return None


def xor_mapped(resp):
    """XOR-MAPPED-ADDRESS (RFC 8489 §14.2) of an IPv4 answer as (ip, port)."""
    length, i = struct.unpack("!H", resp[2:4])[0], 20
    while i + 4 <= 20 + length:
        t, n = struct.unpack("!HH", resp[i:i + 4])
        v = resp[i + 4:i + 4 + n]
        if t == 0x0020 and v[1] == 1:
            port = struct.unpack("!H", v[2:4])[0] ^ (MAGIC >> 16)
            ip = struct.unpack("!I", v[4:8])[0] ^ MAGIC
            return socket.inet_ntoa(struct.pack("!I", ip)), port
        i += 4 + n + (4 - n % 4) % 4
    return None


cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((host, port))
if cmd == "stun":
    me = s.getsockname()
    r = next((r for r in (binding(s, (host, port)) for _ in range(3)) if r is not None), None)
    if r is None:
        print("no answer from %s:%d" % (host, port))
        sys.exit(1)
    m = xor_mapped(r)
    print("mapped=%s:%d own=%s:%d" % (m + me if m else ("none", 0) + me))
    sys.exit(0 if m == me else 1)
elif cmd == "silent":
    n = sum(1 for _ in range(3) if binding(s, (host, port)) is not None)
    print("%d of 3 answered" % n)
    sys.exit(0 if n == 0 else 1)
elif cmd == "http":
    try:
        c = http.client.HTTPConnection(host, port, timeout=5)
        c.request("GET", sys.argv[4])
        r = c.getresponse()
        print(r.status)
        print(r.read().decode(), end="")
    except OSError as e:
        print("error: %s" % e)
        sys.exit(1)
    sys.exit(0)
sys.exit(2)
