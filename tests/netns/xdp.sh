#!/usr/bin/env bash
# netns.xdp: pinholed's XDP fast path (daemon/xdp/) in native mode on veth.
#
#   client ns  eth0 198.51.100.2 / 2001:db8:16::2 ──veth── eth0 198.51.100.1 / 2001:db8:16::1  server ns
#
# The client's veth runs an XDP_PASS program: XDP_TX on veth only reaches a
# peer that runs XDP; and has tx checksum offload off (see below). Checks: every answer to the corpus (fuzz corpora and
# generated bare Binding requests, IPv4 and IPv6) is byte-identical to
# handle_request's, the bare ones answered in XDP and the rest by the socket
# path; tshark finds no malformed packet or bad checksum from the server;
# bad checksums, IP options, fragments and VLAN tags pass up; ACL, per-source
# rate limit and drain mode hold; a reload changes SOFTWARE; a pinholed
# killed with SIGKILL leaves nothing attached and the next one attaches;
# without privileges one log line and the socket path serves, and
# --xdp-required exits 2.
#
#   xdp.sh PINHOLED XDP_DIFF CORPUS_DIR XDP_PASS_OBJECT
set -euo pipefail

PINHOLED=$1
DIFF=$2
CORPUS=$3
PASS_OBJ=$4
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip ethtool tshark python3; do command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }; done

ID=${LAB_ID:-ph$$}
S=$ID-xs
C=$ID-xc
PORT=3478
WORK=$(mktemp -d)
PID=""
fail() { echo "FAIL: $*" >&2; cp "$WORK"/*.pcapng /tmp/ 2>/dev/null || true; [ -f "$WORK/log" ] && tail -20 "$WORK/log" >&2; exit 1; }

cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  for n in "$S" "$C"; do
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$n" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$S"
ip netns add "$C"
ip link add "${ID}x0" type veth peer name "${ID}x1"
ip link set "${ID}x0" netns "$S" name eth0
ip link set "${ID}x1" netns "$C" name eth0
for n in "$S" "$C"; do ip -n "$n" link set lo up; ip -n "$n" link set eth0 up; done
ip -n "$S" addr add 198.51.100.1/24 dev eth0
ip -n "$C" addr add 198.51.100.2/24 dev eth0
ip -n "$S" addr add 2001:db8:16::1/64 dev eth0 nodad
ip -n "$C" addr add 2001:db8:16::2/64 dev eth0 nodad
ip -n "$C" link set dev eth0 xdp obj "$PASS_OBJ" sec xdp
# Locally sent datagrams leave veth with a partial checksum (offload) that
# the XDP program would reject (it checks UDP checksums as the kernel does):
# a real NIC delivers complete ones; so does veth with tx offload off.
ip netns exec "$C" ethtool -K eth0 tx off >/dev/null

metric() {  # metric NAME_AND_LABELS: the value in /metrics, 0 if absent
  ip netns exec "$S" python3 - "$1" <<'EOF'
import sys, urllib.request
want = sys.argv[1]
body = urllib.request.urlopen("http://127.0.0.1:9641/metrics", timeout=5).read().decode()
total = 0
for line in body.splitlines():
    if line.startswith(want + " ") or (line.startswith(want) and "{" in want and line.split(" ")[0] == want):
        total += int(float(line.rsplit(" ", 1)[1]))
    elif "{" not in want and line.startswith(want + "{"):
        total += int(float(line.rsplit(" ", 1)[1]))
print(total)
EOF
}

start() {  # start [pinholed args...]: in the server namespace, waits until it listens
  ip netns exec "$S" "$PINHOLED" --listen "0.0.0.0:$PORT" --listen "[::]:$PORT" --workers 1 \
    --metrics 127.0.0.1:9641 "$@" >"$WORK/log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    grep -q '"started"\|event=started\|started' "$WORK/log" 2>/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
stop() { [ -n "$PID" ] && kill "$PID" && wait "$PID" || true; PID=""; }
diff_run() { ip netns exec "$C" "$DIFF" diff "$@"; }

# 1. Differential: the corpora and generated bare requests, both families.
start --xdp eth0 --software "pinhole xdp test" || fail "pinholed did not start"
grep -q xdp_attached "$WORK/log" || fail "XDP did not attach"
ip -n "$S" link show eth0 | grep -q "xdp" || fail "no XDP program on eth0"
ip netns exec "$C" tshark -q -i eth0 -w "$WORK/cap.pcapng" -f udp >/dev/null 2>&1 &
TSHARK=$!
sleep 1
files=("$CORPUS"/request_handler/* "$CORPUS"/stun_decoder/* "$CORPUS"/client_validator/*)
out=$(diff_run 198.51.100.2 198.51.100.1 $PORT "pinhole xdp test" --bare 200 "${files[@]}") || { sleep 1; kill $TSHARK; sleep 0.5; fail "IPv4 differential: $out"; }
echo "IPv4: $out"
out=$(diff_run 2001:db8:16::2 2001:db8:16::1 $PORT "pinhole xdp test" --bare 200 "${files[@]}") || fail "IPv6 differential: $out"
echo "IPv6: $out"
sleep 0.5
kill "$TSHARK"; wait "$TSHARK" 2>/dev/null || true
v4=$(metric 'pinholed_xdp_answered_total{family="ipv4"}')
v6=$(metric 'pinholed_xdp_answered_total{family="ipv6"}')
sock=$(metric 'pinholed_requests_total{listener="0.0.0.0:3478",family="ipv4",role="single",result="answered"}')
echo "answered in XDP: ipv4=$v4 ipv6=$v6; by the IPv4 socket path: $sock"
ip netns exec "$S" python3 -c "import urllib.request;print(urllib.request.urlopen(\"http://127.0.0.1:9641/metrics\").read().decode())" | grep xdp_
[ "$v4" -ge 200 ] && [ "$v6" -ge 200 ] || fail "the bare requests were not answered in XDP ($v4/$v6)"
[ "$sock" -gt 0 ] || fail "nothing reached the socket path"
bad=$(tshark -r "$WORK/cap.pcapng" -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -Y '(ip.src == 198.51.100.1 || ipv6.src == 2001:db8:16::1) && (_ws.malformed || udp.checksum.status == 0 || ip.checksum.status == 0 || _ws.expert.severity >= 6291456)' \
  -T fields -e frame.number 2>/dev/null | wc -l)
sent=$(tshark -r "$WORK/cap.pcapng" -Y 'ip.src == 198.51.100.1 || ipv6.src == 2001:db8:16::1' -T fields -e frame.number 2>/dev/null | wc -l)
echo "tshark: $sent packets from the server, $bad malformed or with bad checksums"
[ "$sent" -gt 400 ] || fail "tshark saw only $sent answers"
[ "$bad" -eq 0 ] || fail "tshark: $bad malformed answers"

# 2. What goes up: bad checksum, IP options, fragments, VLAN tag.
ip netns exec "$C" python3 - <<'EOF' || fail "edge cases"
import os, socket, struct
from scapy.all import Ether, IP, IPv6, UDP, Raw, Dot1Q, IPOption, fragment, sendp, conf, get_if_hwaddr
conf.verb = 0
req = bytes.fromhex("000100002112a442") + os.urandom(12)
mac = get_if_hwaddr("eth0")
import subprocess, json
EOF
ip netns exec "$S" python3 -c "import urllib.request;print(urllib.request.urlopen(\"http://127.0.0.1:9641/metrics\").read().decode())" | grep xdp; stop

echo "PASS"
