#!/usr/bin/env bash
# Network changes (issue #14 items 3 and 6): the inside host A has a second
# uplink, eth1 (198.19.0.10), behind a second MASQUERADE router "r2"
# (NAT 2, public 203.0.113.253) on the same public segment as NAT 1
# (203.0.113.254). Keep-alives are 60 s apart, so only the rtnetlink
# monitor can explain an event within seconds.
#   1. The default route moves NAT 1 -> 2 -> 1 -> 2 -> 1 (A keeps its
#      address): each move gives mapping_changed with the new NAT's external
#      address; the delay from the `ip route` to the event is printed.
#   2. A's NAT-1 address goes away (Wi-Fi lost, LTE stays): the mapping is
#      re-bound to 198.19.0.10 and reported (mapping_changed, new internal).
#   3. The last address goes away: mapping_lost.
source "$(dirname "$0")/common.sh"
LAB_NS+=(r2)
R2_WAN=203.0.113.253
R2_LAN=198.19.0.1
A_IP2=198.19.0.10
LIMIT_MS=${NETNS_EVENT_LIMIT_MS:-1500}   # goal 1 s; slack for a loaded CI runner
lab_up masq

# NAT 2: its WAN on the router's public bridge, its LAN to A's eth1.
ip link add "${LAB_ID}r2w" type veth peer name wan netns "$(ns r2)"
ip link set "${LAB_ID}r2w" netns "$(ns router)"
lab_exec router ip link set "${LAB_ID}r2w" master wan up
ip link add "${LAB_ID}r2l" type veth peer name eth1 netns "$(ns a)"
ip link set "${LAB_ID}r2l" netns "$(ns r2)"
lab_exec r2 ip link set lo up
lab_exec r2 ip link set wan up
lab_exec r2 ip link set "${LAB_ID}r2l" up
lab_exec r2 ip addr add "$R2_WAN/24" dev wan
lab_exec r2 ip addr add "$R2_LAN/24" dev "${LAB_ID}r2l"
# A may keep its NAT-1 address while its default route points here.
lab_exec r2 ip route add 198.18.0.0/24 dev "${LAB_ID}r2l"
lab_exec r2 sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0
lab_exec r2 iptables -t nat -A POSTROUTING -o wan -j MASQUERADE
lab_exec r2 iptables -A INPUT -i wan -p udp -j DROP
lab_exec a ip link set eth1 up
lab_exec a ip addr add "$A_IP2/24" dev eth1
lab_exec a sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
for _ in $(seq 1 50); do lab_exec a ping -c1 -W1 "$R2_LAN" >/dev/null 2>&1 && break; sleep 0.1; done
start_server

lab_exec a "$AGENT" hold --server "$SERVER" --keepalive 60000 --seconds 30 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 1 100); do grep -q "^mapping " "$WORK/agent.log" && break; sleep 0.1; done
grep -q "^mapping " "$WORK/agent.log" || fail "agent got no mapping"
[[ "$(awk '/^mapping /{print $3}' "$WORK/agent.log")" == "$ROUTER_WAN:"* ]] || fail "first mapping not on NAT 1"

# wait_event TYPE N: waits up to 5 s for the N-th "event TYPE" line, prints it.
wait_event() {
  local line=""
  for _ in $(seq 1 100); do
    line=$(grep "^event $1 " "$WORK/agent.log" | sed -n "$2p")
    [ -n "$line" ] && break
    sleep 0.05
  done
  echo "$line"
}
field() { echo "$1" | sed "s/.* $2=\([^ ]*\).*/\1/"; }
# change N TYPE CMD...: runs CMD in A, waits for the N-th TYPE event, checks
# the delay; the event line is left in $line, the delay appended to delays.
: >"$WORK/delays"
change() {
  local n=$1 type=$2; shift 2
  local t0 d
  t0=$(date +%s%3N)
  lab_exec a "$@"
  line=$(wait_event "$type" "$n")
  [ -n "$line" ] || fail "no $type event #$n after: $*"
  d=$(( $(field "$line" wall_ms) - t0 ))
  echo "$* -> $line (after ${d} ms)"
  echo "$d" >>"$WORK/delays"
  [ "$d" -le "$LIMIT_MS" ] || fail "$type came ${d} ms after the change (limit ${LIMIT_MS} ms)"
}

# 1. The default route moves between the two NATs; A's address stays.
n=0
for via in "$R2_LAN eth1 $R2_WAN" "$ROUTER_LAN eth0 $ROUTER_WAN" "$R2_LAN eth1 $R2_WAN" "$ROUTER_LAN eth0 $ROUTER_WAN"; do
  set -- $via
  n=$((n + 1))
  change "$n" mapping_changed ip route replace default via "$1" dev "$2"
  [[ "${line##* }" == "$3:"* ]] || fail "move #$n: new external ${line##* } is not on $3"
  [[ "$(field "$line" internal)" == "$A_IP:"* ]] || fail "move #$n: the internal address should stay $A_IP"
done
grep -q "^event network_changed " "$WORK/agent.log" || fail "no network_changed event"

# 2. On NAT 1, NAT 1's address goes away: re-bound behind NAT 2.
n=$((n + 1))
change "$n" mapping_changed sh -c "ip addr del $A_IP/24 dev eth0 && ip route replace default via $R2_LAN dev eth1"
[[ "$(field "$line" internal)" == "$A_IP2:"* ]] || fail "not re-bound to $A_IP2: $line"
[[ "${line##* }" == "$R2_WAN:"* ]] || fail "re-bound mapping ${line##* } is not on NAT 2"

# 3. No address left: the mapping is reported lost, never left silently dead.
change 1 mapping_lost ip addr del "$A_IP2/24" dev eth1

kill "$AGENT_PID" 2>/dev/null || true
wait "$AGENT_PID" 2>/dev/null || true
cat "$WORK/agent.log"
echo "network change -> event delays (ms, $(wc -l <"$WORK/delays") runs, sorted): $(sort -n "$WORK/delays" | tr '\n' ' ')"
echo "PASS: route moves, a vanished address and a lost network are each reported within ${LIMIT_MS} ms"
