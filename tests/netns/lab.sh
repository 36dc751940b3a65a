# A NAT lab in network namespaces, sourced by the netns tests.
#
#   inside A 198.18.0.10 ─┐                         ┌─ pinholed 203.0.113.1 + .2 (RFC 5780)
#   inside C 198.18.0.11 ─┤ lan ── router ── wan ───┤
#                           198.18.0.1   203.0.113.254 └─ peer B 203.0.113.20 (public, no NAT)
#
# The router namespace holds both bridges and does the NAT. Only addresses
# from 198.18.0.0/15 and 203.0.113.0/24 are used; nothing leaves the lab.
#
# Usage: source lab.sh; lab_up VARIANT; lab_exec a|c|b|srv|router CMD...; lab_down
# VARIANTS
#   masq       iptables MASQUERADE: endpoint-independent mapping with port
#              preservation, address-and-port-dependent filtering
#   symmetric  MASQUERADE --random-fully: a new random port per destination
#              (address-and-port-dependent mapping)
#   fullcone   MASQUERADE plus DNAT of the mapped ports 40000-40999 back to A:
#              endpoint-independent mapping and filtering for those ports
set -euo pipefail

LAB_ID=${LAB_ID:-ph$$}
LAB_NS=(router a c b srv)
ROUTER_WAN=203.0.113.254
ROUTER_LAN=198.18.0.1
A_IP=198.18.0.10
C_IP=198.18.0.11
B_IP=203.0.113.20
SRV_IP1=203.0.113.1
SRV_IP2=203.0.113.2

ns() { echo "${LAB_ID}-$1"; }
lab_exec() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

lab_down() {
  local n pids
  for n in "${LAB_NS[@]}"; do
    # Processes started with `ip netns exec` outlive their parent shell: end
    # everything that still runs inside the lab before removing it.
    pids=$(ip netns pids "$(ns "$n")" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$(ns "$n")" 2>/dev/null || true
  done
}

# veth pair from namespace $1 (interface eth0) to the router's bridge $2.
lab_link() {
  local host=$1 bridge=$2 peer="${LAB_ID}${1}"
  ip link add "$peer" type veth peer name eth0 netns "$(ns "$host")"
  ip link set "$peer" netns "$(ns router)"
  lab_exec router ip link set "$peer" master "$bridge" up
  lab_exec "$host" ip link set eth0 up
  lab_exec "$host" ip link set lo up
}

lab_nat() {
  local variant=$1
  lab_exec router iptables -t nat -F
  case "$variant" in
    masq)
      lab_exec router iptables -t nat -A POSTROUTING -s 198.18.0.0/24 -o wan -j MASQUERADE ;;
    symmetric)
      lab_exec router iptables -t nat -A POSTROUTING -s 198.18.0.0/24 -o wan -j MASQUERADE --random-fully ;;
    fullcone)
      lab_exec router iptables -t nat -A POSTROUTING -s 198.18.0.0/24 -o wan -j MASQUERADE
      lab_exec router iptables -t nat -A PREROUTING -i wan -d "$ROUTER_WAN" -p udp --dport 40000:40999 \
        -j DNAT --to-destination "$A_IP" ;;
    remap)  # a NAT that moved its port pool: forces new external ports
      lab_exec router iptables -t nat -A POSTROUTING -s 198.18.0.0/24 -o wan -p udp -j MASQUERADE --to-ports 61000-61999 ;;
    *) echo "lab: unknown NAT variant $variant" >&2; return 2 ;;
  esac
  lab_exec router conntrack -F >/dev/null 2>&1 || true
}

lab_up() {
  local variant=${1:-masq}
  lab_down
  for n in "${LAB_NS[@]}"; do ip netns add "$(ns "$n")"; done
  lab_exec router ip link set lo up
  lab_exec router ip link add wan type bridge
  lab_exec router ip link add lan type bridge
  lab_exec router ip addr add "$ROUTER_WAN/24" dev wan
  lab_exec router ip addr add "$ROUTER_LAN/24" dev lan
  lab_exec router ip link set wan up
  lab_exec router ip link set lan up
  lab_exec router sysctl -qw net.ipv4.ip_forward=1
  # Unsolicited inbound traffic to the router itself is answered with
  # nothing (no ICMP), like a home gateway.
  lab_exec router iptables -A INPUT -i wan -p udp -j DROP
  lab_link a lan
  lab_link c lan
  lab_link b wan
  lab_link srv wan
  lab_exec a ip addr add "$A_IP/24" dev eth0
  lab_exec c ip addr add "$C_IP/24" dev eth0
  lab_exec a ip route add default via "$ROUTER_LAN"
  lab_exec c ip route add default via "$ROUTER_LAN"
  lab_exec b ip addr add "$B_IP/24" dev eth0
  lab_exec srv ip addr add "$SRV_IP1/24" dev eth0
  lab_exec srv ip addr add "$SRV_IP2/24" dev eth0
  lab_nat "$variant"
  # Wait until DAD/links settle: the router can reach everyone.
  for ip in "$A_IP" "$C_IP" "$B_IP" "$SRV_IP1"; do
    for _ in $(seq 1 50); do lab_exec router ping -c1 -W1 "$ip" >/dev/null 2>&1 && break; sleep 0.1; done
  done
}
