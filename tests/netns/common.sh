# Shared by the netns scenarios: argument handling, the lab, pinholed in the
# public namespace with RFC 5780 on 203.0.113.1 + 203.0.113.2.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: network namespaces need root"; exit 77; }
for t in ip iptables conntrack python3; do
  command -v "$t" >/dev/null || { echo "SKIP: $t missing (scripts/setup installs it)"; exit 77; }
done
PINHOLED=${1:?usage: $0 PINHOLED PROBE AGENT}
PROBE=${2:?}
AGENT=${3:?}
source "$(dirname "$0")/lab.sh"
WORK=$(mktemp -d /tmp/pinhole-netns.XXXXXX)
trap 'lab_down; rm -rf "$WORK"' EXIT
SERVER="$SRV_IP1:3478"

fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}

start_server() {
  lab_exec srv "$PINHOLED" --rfc5780-primary "$SRV_IP1" --rfc5780-alternate "$SRV_IP2" \
    --listen "$SRV_IP1:3478" --workers 1 >"$WORK/pinholed.log" 2>&1 &
  for _ in $(seq 1 100); do grep -q event=started "$WORK/pinholed.log" && return 0; sleep 0.05; done
  fail "pinholed did not start in the public namespace"
}

# lab_ipv6: IPv6 on 2001:db8::/32 beside the IPv4 lab, without NAT:
# 2001:db8:1::/64 inside (A at $A6), 2001:db8:2::/64 outside (B at $B6, the
# server at $SRV6), the router forwarding between them and filtering
# nothing yet (the caller adds its firewall); returns once A reaches the server.
A6=2001:db8:1::10
B6=2001:db8:2::20
SRV6=2001:db8:2::1
lab_ipv6() {
  lab_exec router sysctl -qw net.ipv6.conf.all.forwarding=1
  lab_exec router ip -6 addr add 2001:db8:1::1/64 dev lan nodad
  lab_exec router ip -6 addr add 2001:db8:2::fe/64 dev wan nodad
  lab_exec a ip -6 addr add "$A6/64" dev eth0 nodad
  lab_exec a ip -6 route add default via 2001:db8:1::1
  lab_exec b ip -6 addr add "$B6/64" dev eth0 nodad
  lab_exec b ip -6 route add default via 2001:db8:2::fe
  lab_exec srv ip -6 addr add "$SRV6/64" dev eth0 nodad
  lab_exec srv ip -6 route add default via 2001:db8:2::fe
  for _ in $(seq 1 30); do lab_exec a ping -6 -c1 -W1 "$SRV6" >/dev/null 2>&1 && return 0; done
  fail "no IPv6 between A and the server"
}

# json_get FILE KEY.PATH
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1" "$2"; }

# wait_line FILE REGEX [TRIES]: until a line of FILE matches the extended
# REGEX, trying every 0.1 s (default 60 tries); false if none did.
wait_line() {
  for _ in $(seq 1 "${3:-60}"); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# b_send HOST:PORT TEXT and b_send6 [V6]:PORT TEXT: one UDP datagram from B.
b_send() { lab_exec b python3 -c 'import socket,sys; s=socket.socket(2,2); s.bind(("0.0.0.0",0)); h,p=sys.argv[1].rsplit(":",1); s.sendto(sys.argv[2].encode(),(h,int(p)))' "$1" "$2"; }
b_send6() { lab_exec b python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET6,2); s.bind(("::",0)); h,p=sys.argv[1].rsplit(":",1); s.sendto(sys.argv[2].encode(),(h.strip("[]"),int(p)))' "$1" "$2"; }

# unsolicited6_dropped PORT LOG: A listens on [$A6]:PORT for 1.5 s while B
# sends it one datagram; true if it did not arrive (no pinhole, the router's
# firewall drops it). LOG gets "nothing" or "got".
unsolicited6_dropped() {
  local port=$1 log=$2 cpid
  lab_exec a python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET6,2); s.bind((sys.argv[1],int(sys.argv[2]))); s.settimeout(1.5)
try: s.recvfrom(100); print("got")
except OSError: print("nothing")' "$A6" "$port" >"$log" 2>&1 &
  cpid=$!
  sleep 0.3
  b_send6 "[$A6]:$port" "unsolicited"
  wait "$cpid" || true
  [ "$(cat "$log")" = nothing ]
}
