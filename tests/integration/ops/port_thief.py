"""Helper of port_ownership.py, run as another user (setpriv to nobody): the
attacker. Tries to bind HOST:PORT with SO_REUSEADDR (and SO_REUSEPORT, which
the kernel only honours between sockets of one uid) and, if that works,
answers every Binding request it receives with a forged XOR-MAPPED-ADDRESS
(192.0.2.66:6666) for SECONDS. Prints "ready" once it knows, then one JSON
line {"bound": bool, "errno": int, "stolen": int}."""
import json
import socket
import struct
import sys
import time

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind((host, port))
except OSError as e:
    print("ready", flush=True)
    print(json.dumps({"bound": False, "errno": e.errno, "stolen": 0}), flush=True)
    sys.exit(0)
print("ready", flush=True)
stolen, end = 0, time.time() + seconds
s.settimeout(0.1)
while time.time() < end:
    try:
        req, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if len(req) < 20:
        continue
    stolen += 1
    forged = struct.pack("!HHHH", 0x0020, 8, 0x0001, 6666 ^ 0x2112) + bytes(a ^ b for a, b in zip(
        bytes([192, 0, 2, 66]), struct.pack("!I", 0x2112A442)))
    s.sendto(struct.pack("!HH", 0x0101, len(forged)) + req[4:20] + forged, peer)
print(json.dumps({"bound": True, "errno": 0, "stolen": stolen}), flush=True)
