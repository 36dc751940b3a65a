#!/usr/bin/env bash
# The lab itself behaves as documented, checked with plain UDP tools (python),
# independently of pinhole: MASQUERADE maps inside A to the router's address,
# filters unsolicited inbound traffic, and --random-fully changes the port per
# destination.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for network namespaces"; exit 77; }
command -v iptables >/dev/null || { echo "SKIP: iptables missing (scripts/setup)"; exit 77; }
source "$(dirname "$0")/lab.sh"
trap lab_down EXIT

# udp_echo_server NS IP PORT: replies to each datagram with "ip:port" of the sender.
echo_server() {
  lab_exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, a = s.recvfrom(2048)
    s.sendto(("%s:%d" % a).encode(), a)
' "$2" "$3" &
}
# probe NS LOCALPORT DEST DESTPORT -> prints what the server saw
probe() {
  lab_exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(2)
for dst in sys.argv[2:]:
    h, p = dst.split(":")
    s.sendto(b"x", (h, int(p)))
    try:
        print(s.recvfrom(2048)[0].decode())
    except socket.timeout:
        print("timeout")
' "$2" "${@:3}"
}

fail() { echo "FAIL: $*"; exit 1; }
for variant in masq symmetric; do
  lab_up "$variant"
  echo_server srv "$SRV_IP1" 3478
  echo_server srv "$SRV_IP2" 3478
  sleep 0.5
  out=$(probe a 40000 "$SRV_IP1:3478" "$SRV_IP2:3478")
  echo "$variant: $out" | tr '\n' ' '; echo
  first=$(echo "$out" | sed -n 1p); second=$(echo "$out" | sed -n 2p)
  [[ "$first" == "$ROUTER_WAN:"* ]] || fail "$variant: server saw $first, not the router's address"
  if [ "$variant" = masq ]; then
    [ "$first" = "$ROUTER_WAN:40000" ] || fail "masq should preserve the port: $first"
    [ "$first" = "$second" ] || fail "masq mapping must be endpoint-independent: $first vs $second"
  else
    [ "$first" != "$second" ] || fail "symmetric mapping must differ per destination: $first vs $second"
  fi
  # Unsolicited traffic from the public peer to A's mapping is filtered.
  got=$(lab_exec b python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(b"x", ("'"$ROUTER_WAN"'", 40000))
try: print(s.recvfrom(100)[0].decode())
except socket.timeout: print("filtered")')
  [ "$got" = filtered ] || fail "$variant: inbound from B was not filtered ($got)"
  lab_down
  wait 2>/dev/null || true
done
echo "PASS: lab NAT variants behave as documented"
