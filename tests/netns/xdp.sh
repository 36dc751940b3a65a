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
# bad checksums, IP options, fragments, VLAN tags and datagrams to a
# non-local address pass up; ACL, per-source
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

source "$(dirname "$0")/veth_pair.sh"
veth_pair "$S" "$C" "${ID}x" "$PASS_OBJ"
# The server's tx offload off too, so that tshark sees complete checksums on
# the socket path's answers.
ip netns exec "$S" ethtool -K eth0 tx off >/dev/null

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
[ "$v4" -ge 200 ] && [ "$v6" -ge 200 ] || fail "the bare requests were not answered in XDP ($v4/$v6)"
[ "$sock" -gt 0 ] || fail "nothing reached the socket path"
# (Answers to classic RFC 3489 requests are left out: they are the socket
# path's, and tshark's CLASSICSTUN dissector throws on some of them.)
bad=$(tshark -r "$WORK/cap.pcapng" -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -Y '(ip.src == 198.51.100.1 || ipv6.src == 2001:db8:16::1) && !classicstun && (_ws.malformed || udp.checksum.status == 0 || ip.checksum.status == 0 || _ws.expert.severity >= 6291456)' \
  -T fields -e frame.number 2>/dev/null | wc -l)
sent=$(tshark -r "$WORK/cap.pcapng" -Y 'ip.src == 198.51.100.1 || ipv6.src == 2001:db8:16::1' -T fields -e frame.number 2>/dev/null | wc -l)
echo "tshark: $sent packets from the server, $bad malformed or with bad checksums"
[ "$sent" -gt 400 ] || fail "tshark saw only $sent answers"
[ "$bad" -eq 0 ] || fail "tshark: $bad malformed answers"

# 2. What goes up: bad checksum, IP options, fragments, VLAN tag. Raw frames
# from the client; answers (if any) reach a socket bound to the source port.
SMAC=$(ip -n "$S" -br link show eth0 | awk '{print $3}')
edge=$(ip netns exec "$C" /usr/bin/python3 - "$SMAC" 2>&1 <<'EOF'
import os, socket, sys
from scapy.all import Ether, IP, UDP, Raw, Dot1Q, IPOption_NOP, fragment, sendp, conf, get_if_hwaddr
conf.verb = 0
smac, cmac = sys.argv[1], get_if_hwaddr("eth0")
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("198.51.100.2", 40000))
rx.settimeout(0.5)
def answered(frames):
    for f in frames:
        sendp(f, iface="eth0")
    try:
        rx.recv(2048)
        return 1
    except socket.timeout:
        return 0
def req():
    return bytes.fromhex("000100002112a442") + os.urandom(12)
eth = lambda: Ether(src=cmac, dst=smac)
ip = lambda **kw: IP(src="198.51.100.2", dst="198.51.100.1", **kw)
udp = lambda **kw: UDP(sport=40000, dport=3478, **kw)
out = {}
out["badsum"] = answered([eth() / ip() / udp(chksum=0x1234) / Raw(req())])
out["options"] = answered([eth() / ip(options=[IPOption_NOP()] * 4) / udp() / Raw(req())])
out["fragment"] = answered(fragment(eth() / ip() / udp() / Raw(req()), fragsize=16))
out["vlan"] = answered([eth() / Dot1Q(vlan=7) / ip() / udp() / Raw(req())])
out["zero_csum"] = answered([eth() / ip() / udp(chksum=0) / Raw(req())])
# To an address that is not the server's (routed through): never answered in XDP.
out["not_local"] = answered([eth() / IP(src="198.51.100.2", dst="198.51.100.77") / udp() / Raw(req())])
print(" ".join(f"{k}={v}" for k, v in out.items()))
EOF
) || fail "edge cases: $edge"
echo "edge cases answered: $edge"
[ "$edge" = "badsum=0 options=1 fragment=1 vlan=0 zero_csum=1 not_local=0" ] || fail "edge cases: $edge"
for r in bad_checksum ip_options fragment vlan; do
  [ "$(metric "pinholed_xdp_passed_total{reason=\"$r\"}")" -ge 1 ] || fail "no packet passed up as $r"
done
stop

# 3. Policy: ACL (the client is outside the allow-list), per-source rate
# limit, drain mode; a reload changes SOFTWARE in the fast path.
start --xdp eth0 --allow 203.0.113.0/24 || fail "pinholed (ACL) did not start"
n=$(ip netns exec "$C" "$DIFF" count 198.51.100.2 198.51.100.1 $PORT 50)
acl=$(metric 'pinholed_xdp_passed_total{reason="acl"}')
echo "ACL: $n of 50 answered, $acl passed up as acl"
[ "$n" -eq 0 ] && [ "$acl" -ge 50 ] || fail "ACL not honoured ($n answered, $acl passed)"
stop
start --xdp eth0 --rate-limit 10 --rate-burst 10 || fail "pinholed (rate limit) did not start"
n=$(ip netns exec "$C" "$DIFF" count 198.51.100.2 198.51.100.1 $PORT 300)
limited=$(metric 'pinholed_xdp_dropped_total{reason="rate_limited"}')
echo "rate limit 10/s burst 10: $n of 300 answered, $limited dropped in XDP"
[ "$n" -ge 5 ] && [ "$n" -le 20 ] && [ "$limited" -ge 250 ] || fail "rate limit not honoured"
stop
cat >"$WORK/conf.json" <<EOF
{"listen": ["0.0.0.0:$PORT", "[::]:$PORT"], "workers": 1, "metrics_listen": "127.0.0.1:9641",
 "drain_grace_ms": 0, "software": "before", "xdp": {"interfaces": ["eth0"], "mode": "native"}}
EOF
ip netns exec "$S" "$PINHOLED" --config "$WORK/conf.json" >"$WORK/log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q 'event=started' "$WORK/log" && break; sleep 0.05; done
grep -q xdp_attached "$WORK/log" || fail "XDP did not attach from the config file"
out=$(diff_run 198.51.100.2 198.51.100.1 $PORT before --bare 20) || fail "config file: $out"
sed -i 's/"before"/"after reload"/' "$WORK/conf.json"
kill -HUP "$PID"
for _ in $(seq 100); do grep -q 'event=reloaded' "$WORK/log" && break; sleep 0.05; done
out=$(diff_run 198.51.100.2 198.51.100.1 $PORT "after reload" --bare 20) || fail "after reload: $out"
echo "reload: SOFTWARE changed in the fast path ($out)"
kill -USR1 "$PID"
for _ in $(seq 100); do grep -q 'event=drain_dropping' "$WORK/log" && break; sleep 0.05; done
n=$(ip netns exec "$C" "$DIFF" count 198.51.100.2 198.51.100.1 $PORT 50)
disabled=$(metric 'pinholed_xdp_passed_total{reason="disabled"}')
echo "drain: $n of 50 answered, $disabled passed up"
[ "$n" -eq 0 ] && [ "$disabled" -ge 50 ] || fail "drain mode not honoured"

# 4. Lifecycle: SIGKILL leaves no program behind (BPF link); the next start attaches.
kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=""
sleep 0.3
ip -n "$S" link show eth0 | grep -q "prog/xdp" && fail "an XDP program stayed after SIGKILL"
start --xdp eth0 || fail "restart after SIGKILL"
grep -q xdp_attached "$WORK/log" || fail "no XDP after the restart"
out=$(diff_run 198.51.100.2 198.51.100.1 $PORT "" --bare 20) || fail "after restart: $out"
stop
ip -n "$S" link show eth0 | grep -q "prog/xdp" && fail "XDP program left after a clean exit"

# 5. Without privileges: one log line, the socket path serves; --xdp-required exits 2.
PORT=13478
chmod 755 "$WORK"
ip netns exec "$S" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  "$PINHOLED" --listen "0.0.0.0:$PORT" --workers 1 --xdp eth0 >"$WORK/log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q 'event=started' "$WORK/log" && break; sleep 0.05; done
[ "$(grep -c xdp_unavailable "$WORK/log")" -eq 1 ] || fail "no single xdp_unavailable line"
out=$(diff_run 198.51.100.2 198.51.100.1 $PORT "" --bare 20) || fail "fallback: $out"
echo "unprivileged: $(grep -o 'event=xdp_unavailable.*' "$WORK/log" | cut -c1-150); socket path: $out"
stop
rc=0
ip netns exec "$S" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  "$PINHOLED" --listen "0.0.0.0:$PORT" --workers 1 --xdp eth0 --xdp-required >"$WORK/log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--xdp-required without privileges exited $rc, not 2"

echo "PASS"
