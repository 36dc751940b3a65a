#!/usr/bin/env bash
# netns.bench_rx: pinhole-bench --xdp-receive (tools/bench/xdp/bench_rx.bpf.c)
# on the veth lab (tests/netns/veth_pair.sh), with real answers and lies.
#   - against pinholed's socket path and pinholed --xdp, IPv4 and IPv6:
#     every request answered, none reaching the generator's sockets (the
#     namespace's UDP InDatagrams stay put), the XDP_PASS program put back on
#     the generator's eth0 afterwards, ARP/ND still working (XDP_PASS);
#   - against a lying server that answers every request three times (a wrong
#     XOR-MAPPED-ADDRESS port, the right answer, the right answer again):
#     answered = invalid = duplicates = sent;
#   - a bad interface name: one line, exit 1.
#
#   bench_rx.sh PINHOLED PINHOLE_BENCH XDP_PASS_OBJECT
set -euo pipefail

PINHOLED=$1
BENCH=$2
PASS_OBJ=$3
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ip ethtool python3; do command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }; done

ID=${LAB_ID:-ph$$}
S=$ID-rs
C=$ID-rc
WORK=$(mktemp -d)
PID=""
fail() { echo "FAIL: $*" >&2; tail -5 "$WORK"/*.log >&2 2>/dev/null || true; exit 1; }
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  for n in "$S" "$C"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$(dirname "$0")/veth_pair.sh"
veth_pair "$S" "$C" "${ID}r" "$PASS_OBJ"

prog_id() { ip -n "$C" -d link show eth0 | grep -o 'prog/xdp id [0-9]*' | grep -o '[0-9]*$' || echo none; }
udp_in() { ip netns exec "$C" awk '/^Udp: [0-9]/ {print $2}' /proc/net/snmp; }
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
wait_port() {  # wait_port PORT: until something listens on UDP PORT in the server namespace
  for _ in $(seq 100); do
    ip netns exec "$S" ss -Hlun "sport = :$1" | grep -q . && return 0
    sleep 0.05
  done
  fail "nothing listens on $1"
}
PASS_ID=$(prog_id)
[ "$PASS_ID" != none ] || fail "the lab's XDP_PASS program is not attached"

# run NAME SERVER [bench args...]: 1 s at 5000/s with --xdp-receive; writes $WORK/NAME.json.
run() {
  local name=$1 server=$2
  shift 2
  local before
  before=$(udp_in)
  ip netns exec "$C" "$BENCH" --server "$server" --rate 5000 --duration 1 --drain-ms 300 --sockets 8 \
    --xdp-receive eth0 --json "$@" >"$WORK/$name.json" || fail "$name: pinhole-bench exited $?"
  UDP_DELTA=$(($(udp_in) - before))
  [ "$(prog_id)" = "$PASS_ID" ] || fail "$name: eth0 runs program $(prog_id) after the run, not $PASS_ID"
}
expect_clean() {  # expect_clean NAME: every request answered in XDP, nothing to the sockets
  local j=$WORK/$1.json sent answered
  sent=$(field "$j" sent)
  answered=$(field "$j" answered)
  [ "$sent" -ge 4900 ] || fail "$1: only $sent sent"
  [ "$answered" -eq "$sent" ] || fail "$1: $answered of $sent answered"
  for f in invalid duplicates unknown; do [ "$(field "$j" $f)" -eq 0 ] || fail "$1: $f $(field "$j" $f)"; done
  [ "$UDP_DELTA" -lt 10 ] || fail "$1: $UDP_DELTA datagrams reached the generator's sockets"
  echo "ok: $1: $answered of $sent answered in XDP (p99 $(field "$j" p99_us) us), $UDP_DELTA to the sockets"
}

# 1. pinholed's socket path, then its XDP fast path; IPv4 and IPv6.
ip netns exec "$S" "$PINHOLED" --listen 0.0.0.0:3478 --listen "[::]:3478" --workers 1 --log-level warning \
  >"$WORK/pinholed.log" 2>&1 &
PID=$!
wait_port 3478
run socket4 198.51.100.1:3478 && expect_clean socket4
run socket6 "[2001:db8:16::1]:3478" && expect_clean socket6
run socket4fp 198.51.100.1:3478 --fingerprint && expect_clean socket4fp
kill "$PID" && wait "$PID" || true
ip netns exec "$S" "$PINHOLED" --listen 0.0.0.0:3478 --listen "[::]:3478" --workers 1 --log-level warning \
  --xdp eth0 --xdp-required >"$WORK/pinholed-xdp.log" 2>&1 &
PID=$!
wait_port 3478
run xdp4 198.51.100.1:3478 && expect_clean xdp4
run xdp6 "[2001:db8:16::1]:3478" && expect_clean xdp6
kill "$PID" && wait "$PID" || true
PID=""

# 2. A liar: per request a wrong XOR-MAPPED-ADDRESS port, then the right answer twice.
ip netns exec "$S" python3 - >"$WORK/liar.log" 2>&1 <<'PY' &
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.1", 3479))
def answer(req, addr, port):
    tid = req[8:20]
    ip = socket.inet_aton(addr[0])
    x = bytes(a ^ b for a, b in zip(ip, bytes.fromhex("2112a442")))
    attr = struct.pack("!HHBBH", 0x0020, 8, 0, 1, port ^ 0x2112) + x
    return struct.pack("!HHI", 0x0101, len(attr), 0x2112A442) + tid + attr
while True:
    req, addr = s.recvfrom(1500)
    if len(req) < 20 or req[0:2] != b"\x00\x01":
        continue
    s.sendto(answer(req, addr, (addr[1] + 1) & 0xFFFF), addr)
    s.sendto(answer(req, addr, addr[1]), addr)
    s.sendto(answer(req, addr, addr[1]), addr)
PY
PID=$!
wait_port 3479
run liar 198.51.100.1:3479
sent=$(field "$WORK/liar.json" sent)
for f in answered invalid duplicates; do
  [ "$(field "$WORK/liar.json" $f)" -eq "$sent" ] || fail "liar: $f $(field "$WORK/liar.json" $f), sent $sent"
done
[ "$UDP_DELTA" -lt 10 ] || fail "liar: $UDP_DELTA datagrams reached the generator's sockets"
echo "ok: liar: $sent sent, each answered once, one invalid and one duplicate each, all in XDP"
kill "$PID" && wait "$PID" 2>/dev/null || true
PID=""

# 3. A bad interface: one line, exit 1, the lab's program untouched.
set +e
ip netns exec "$C" "$BENCH" --server 198.51.100.1:3478 --duration 0.1 --xdp-receive nosuch0 >"$WORK/bad.out" 2>"$WORK/bad.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a bad interface: exit $rc, not 1"
[ "$(wc -l <"$WORK/bad.err")" -eq 1 ] && grep -q "no interface nosuch0" "$WORK/bad.err" ||
  fail "a bad interface: $(cat "$WORK/bad.err")"
[ "$(prog_id)" = "$PASS_ID" ] || fail "a bad interface changed eth0's program"
echo "ok: a bad interface: $(cat "$WORK/bad.err")"
echo "PASS"
