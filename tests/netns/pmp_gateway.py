#!/usr/bin/env python3
"""A test gateway: the server side of NAT-PMP (RFC 6886) and PCP MAP (RFC 6887)
on one UDP socket (port 5351), installing real iptables DNAT/SNAT rules in its
own nat chains (PH-PMP-PRE, PH-PMP-POST) so the mapped port is forwarded from
anyone, and outgoing traffic of the mapped socket leaves from the mapped port.

Faithful where the client can see it: the epoch (seconds since this process
started: a restart is a loss of state), granted lifetimes (capped by
--max-lifetime), result codes, nonce checks, deletion by lifetime 0. Hostile
switches for the client's robustness tests: --lie-external, --unbounded,
--garbage-first. --table FILE is rewritten on every change (JSON list).

Usage: pmp_gateway.py --listen 198.18.0.1 --external 203.0.113.254 --wan wan
                      [--no-iptables] [--port 5351] [--max-lifetime S] [--table F]
                      [--no-pcp] [--no-natpmp]
       pmp_gateway.py --listen 2001:db8:1::1 --external pinhole --wan wan --table F
  (IPv6 firewall without NAT: PCP MAP opens an ip6tables FORWARD pinhole
  (chain PH-PMP-FWD6) to the client's own address and port, which the
  answer reports as the external address and port, as a PCP-controlled
  firewall without NAT does; the test sets FORWARD's policy to DROP.)
"""
import argparse, ipaddress, json, os, random, select, signal, socket, struct, subprocess, sys, time

P = argparse.ArgumentParser()
P.add_argument("--listen", required=True)
P.add_argument("--port", type=int, default=5351)
P.add_argument("--external", required=True)
P.add_argument("--wan", default="wan")
P.add_argument("--no-iptables", action="store_true")
P.add_argument("--max-lifetime", type=int, default=7200)
P.add_argument("--table")
P.add_argument("--no-pcp", action="store_true")
P.add_argument("--no-natpmp", action="store_true")
P.add_argument("--lie-external")
P.add_argument("--unbounded", action="store_true")
P.add_argument("--garbage-first", action="store_true")
A = P.parse_args()

START = time.monotonic()
PINHOLE6 = A.external == "pinhole"
EXT = A.lie_external or A.external
mappings = {}  # (proto, internal_ip, internal_port) -> dict(ext_port, expiry, nonce)
log = lambda *a: print(*a, flush=True)


def epoch():
    return int(time.monotonic() - START)


def ipt(*args):
    if A.no_iptables:
        return
    subprocess.run(["iptables", "-t", "nat", *args], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ip6t(*args):
    if A.no_iptables:
        return
    subprocess.run(["ip6tables", "-t", "filter", *args], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def ipt_init():
    if PINHOLE6:
        ip6t("-N", "PH-PMP-FWD6")
        ip6t("-F", "PH-PMP-FWD6")
        ip6t("-D", "FORWARD", "-j", "PH-PMP-FWD6")
        ip6t("-I", "FORWARD", "1", "-j", "PH-PMP-FWD6")
        return
    for chain, parent in (("PH-PMP-PRE", "PREROUTING"), ("PH-PMP-POST", "POSTROUTING")):
        ipt("-N", chain)
        ipt("-F", chain)  # a (re)start has no state: RFC 6887 §8.5's case
        ipt("-D", parent, "-j", chain)
        ipt("-I", parent, "1", "-j", chain)


def rules(op, proto, ip, port, ext_port):
    p = "udp" if proto == 17 else "tcp"
    if PINHOLE6:  # no NAT: let the WAN reach the client's own address and port
        ip6t(op, "PH-PMP-FWD6", "-i", A.wan, "-d", ip, "-p", p, "--dport", str(port), "-j", "ACCEPT")
        return
    ipt(op, "PH-PMP-PRE", "-i", A.wan, "-d", A.external, "-p", p, "--dport", str(ext_port),
        "-j", "DNAT", "--to-destination", f"{ip}:{port}")
    ipt(op, "PH-PMP-POST", "-o", A.wan, "-s", ip, "-p", p, "--sport", str(port),
        "-j", "SNAT", "--to-source", f"{A.external}:{ext_port}")


def dump():
    if A.table:
        rows = [dict(proto=k[0], internal=f"{k[1]}:{k[2]}", external_port=v["ext_port"],
                     expires_in=round(v["expiry"] - time.monotonic(), 1)) for k, v in mappings.items()]
        tmp = A.table + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rows, f)
        os.replace(tmp, A.table)


def remove(key):
    m = mappings.pop(key)
    rules("-D", key[0], key[1], key[2], m["ext_port"])
    log(f"deleted {key[1]}:{key[2]} ext={m['ext_port']}")


def expire():
    now = time.monotonic()
    gone = [k for k, v in mappings.items() if v["expiry"] <= now]
    for k in gone:
        remove(k)
    if gone:
        dump()


def allocate(key, suggested):
    if PINHOLE6:
        return key[2]  # a pinhole: the external port is the internal one
    taken = {v["ext_port"] for k, v in mappings.items() if k != key and k[0] == key[0]}
    for p in (suggested, key[2]):
        if p and p not in taken:
            return p
    while True:
        p = random.randint(20000, 60000)
        if p not in taken:
            return p


def upsert(key, suggested, lifetime, nonce=None):
    """Create or renew; returns (result, lifetime, ext_port). lifetime 0 deletes."""
    old = mappings.get(key)
    if old is not None and nonce is not None and old["nonce"] != nonce:
        return 2, 0, 0  # PCP NOT_AUTHORIZED: another client's nonce (RFC 6887 §11.3)
    if lifetime == 0:
        if old is not None:
            remove(key)
            dump()
        return 0, 0, 0
    granted = 0xFFFFFFFF if A.unbounded else min(lifetime, A.max_lifetime)
    if old is None:
        ext_port = allocate(key, suggested)
        rules("-A", key[0], key[1], key[2], ext_port)
        old = mappings[key] = dict(ext_port=ext_port, nonce=nonce)
        log(f"created {key[1]}:{key[2]} ext={ext_port} lifetime={granted}")
    else:
        log(f"renewed {key[1]}:{key[2]} ext={old['ext_port']} lifetime={granted}")
    old["expiry"] = time.monotonic() + min(granted, A.max_lifetime)
    dump()
    return 0, granted, old["ext_port"]


def natpmp(data, src):
    # RFC 6886 §3.5: a response carries the request's opcode plus 128.
    if len(data) < 2:
        return None
    ver, op = data[0], data[1]
    if ver != 0:
        return struct.pack("!BBHI", 0, 128 + op, 1, epoch())  # Unsupported Version
    if op == 0:
        if PINHOLE6:
            return struct.pack("!BBHI", 0, 128, 3, epoch())  # Network Failure: NAT-PMP is IPv4 only
        return struct.pack("!BBHI4s", 0, 128, 0, epoch(), socket.inet_aton(EXT))
    if op in (1, 2):
        if len(data) < 12:
            return None
        _, _, _, iport, sport, life = struct.unpack("!BBHHHI", data[:12])
        res, granted, eport = upsert((17 if op == 1 else 6, src[0], iport), sport, life)
        return struct.pack("!BBHIHHI", 0, 128 + op, res, epoch(), iport, eport, granted)
    return struct.pack("!BBHI", 0, 128 + op, 5, epoch())  # Unsupported opcode


def pcp_header(op, result, lifetime):
    return struct.pack("!BBBBII12x", 2, 0x80 | op, 0, result, lifetime, epoch())


def pcp(data, src):
    # RFC 6887 §8.1 server checks, in the RFC's order.
    if len(data) < 2 or data[1] & 0x80:
        return None  # responses are never answered
    op = data[1] & 0x7F
    if len(data) < 24 or len(data) > 1100 or len(data) % 4:
        return pcp_header(op, 3, 1800)  # MALFORMED_REQUEST
    life = struct.unpack("!I", data[4:8])[0]
    client = ipaddress.ip_address(data[8:24])
    client = client.ipv4_mapped or client
    if str(client) != src[0]:
        return pcp_header(op, 12, 1800)  # ADDRESS_MISMATCH
    if op == 0:
        return pcp_header(0, 0, 0)  # ANNOUNCE
    if op != 1:
        return pcp_header(op, 4, 1800)  # UNSUPP_OPCODE
    if len(data) < 60:
        return pcp_header(op, 3, 1800)
    nonce, proto = data[24:36], data[36]
    iport, sport = struct.unpack("!HH", data[40:44])
    if proto not in (6, 17):
        return pcp_header(op, 9, 1800) + data[24:60]  # UNSUPP_PROTOCOL
    res, granted, eport = upsert((proto, src[0], iport), sport, life, nonce)
    ext = ipaddress.ip_address(src[0] if PINHOLE6 else EXT)
    ext16 = (b"\0" * 10 + b"\xff\xff" + ext.packed) if ext.version == 4 else ext.packed
    body = nonce + bytes([proto, 0, 0, 0]) + struct.pack("!HH", iport, eport) + ext16
    return pcp_header(1, res, granted if res == 0 else 30) + body


def main():
    ipt_init()
    fam = socket.AF_INET6 if ":" in A.listen else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((A.listen, A.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    dump()
    log(f"listening {A.listen}:{A.port} external={EXT}")
    garbage = A.garbage_first
    while True:
        r, _, _ = select.select([s], [], [], 0.2)
        expire()
        if not r:
            continue
        data, src = s.recvfrom(2048)
        if garbage:  # one malformed answer of each kind before the real one
            for g in (b"\x00", b"\x02\x81\x00\x00" + b"\xff" * 7, b"\x00\x81\x00\x00\x00\x00\x00\x01\x00"):
                s.sendto(g, src)
        if data and data[0] == 0 and not A.no_natpmp:
            out = natpmp(data, src)
        elif data and data[0] == 2 and not A.no_pcp:
            out = pcp(data, src)
        elif data and data[0] not in (0, 2) and not A.no_pcp:
            out = pcp_header(data[1] & 0x7F if len(data) > 1 else 0, 1, 1800)  # UNSUPP_VERSION
        else:
            out = None
        if out:
            s.sendto(out, src)


if __name__ == "__main__":
    main()
