#!/usr/bin/env bash
# Issue 14, port mapping in the NAT lab: the router runs a NAT-PMP + PCP test
# gateway (pmp_gateway.py, real iptables DNAT/SNAT rules) behind MASQUERADE
# --random-fully (a symmetric NAT).
#  1. With PCP, then with NAT-PMP: GetMapping succeeds with the gateway's
#     mapping, and a datagram that B sends from a port A never contacted (the
#     KB 826283 INVITE from a non-Contact port) reaches the mapped socket.
#  2. Short leases (4 s) are renewed; ReleaseMapping leaves the gateway's
#     table and its iptables chains empty.
#  3. A gateway restart (state and rules lost, epoch back to 0) is detected
#     and the mapping re-created: B's datagram gets through again.
#  4. Without port mapping (option off, or no gateway) GetMapping still
#     reports destination_dependent_mapping.
#  5. A gateway that lies about its external address is caught by the STUN
#     check: the mapping is STUN's (here: destination-dependent, refused).
#  6. IPv6 without NAT: PCP MAP opens a firewall pinhole (ip6tables) that
#     lets B's unsolicited datagram reach A's own address and port, and is
#     removed on release.
# usage: portmap.sh PINHOLED PROBE AGENT PORTMAP_AGENT
source "$(dirname "$0")/common.sh"
PMAGENT=${4:?usage: $0 PINHOLED PROBE AGENT PORTMAP_AGENT}
GATEWAY="$(dirname "$0")/pmp_gateway.py"
GW_PID=

start_gateway() {  # name extra-args...
  local name=$1; shift
  lab_exec router python3 "$GATEWAY" --listen "$ROUTER_LAN" --external "$ROUTER_WAN" --wan wan \
    --table "$WORK/table.json" "$@" >"$WORK/gw-$name.log" 2>&1 &
  GW_PID=$!
  for _ in $(seq 1 100); do grep -q "^listening" "$WORK/gw-$name.log" && return 0; sleep 0.05; done
  fail "gateway $name did not start"
}
stop_gateway() { [ -n "$GW_PID" ] && kill -9 "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null || true; GW_PID=; }

# B sends one datagram from a fresh port to HOST:PORT.

lab_up symmetric
start_server

# pinhole-probe --portmap: both protocols answer, with the router's address
# and the lease; the test mappings are deleted again.
start_gateway probe
lab_exec a "$PROBE" --server "$SERVER" --portmap >"$WORK/probe.log" 2>&1 || fail "pinhole-probe --portmap failed"
lab_exec a "$PROBE" --server "$SERVER" --portmap --json >"$WORK/probe.json" 2>"$WORK/probe-json.log" ||
  fail "pinhole-probe --portmap --json failed"
cat "$WORK/probe.log"
for proto in pcp natpmp; do
  grep -q "^portmap $proto $ROUTER_LAN:5351 answered external=$ROUTER_WAN:[0-9]* lease=30s" "$WORK/probe.log" ||
    fail "probe: no $proto answer"
  python3 - "$WORK/probe.json" "$proto" "$ROUTER_WAN" <<'PY' || fail "probe --json: no $proto mapping"
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["portmap"] if x["protocol"] == sys.argv[2]]
assert r and r[0]["mapped"] and r[0]["external"].startswith(sys.argv[3] + ":") and r[0]["lease_s"] == 30, r
PY
done
sleep 0.5
[ "$(cat "$WORK/table.json")" = "[]" ] || fail "probe: test mappings left on the gateway: $(cat "$WORK/table.json")"
stop_gateway

for proto in pcp natpmp; do
  start_gateway "$proto" --max-lifetime 4
  lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --protocols "$proto" --lifetime 3600 --seconds 12 \
    >"$WORK/a-$proto.log" 2>&1 &
  apid=$!
  wait_line "$WORK/a-$proto.log" "^(ok|error)" 50 || fail "$proto: no GetMapping result"
  grep -q "^ok .*origin=$proto lease_s=[34] " "$WORK/a-$proto.log" || fail "$proto: not a $proto mapping with the 4 s lease"
  ext=$(sed -n 's/^ok external=\([^ ]*\).*/\1/p' "$WORK/a-$proto.log")
  [ "${ext%:*}" = "$ROUTER_WAN" ] || fail "$proto: external $ext is not the router's"
  echo "$proto: $(grep '^ok' "$WORK/a-$proto.log")"
  b_send "$ext" "INVITE-from-5070-$proto"
  wait_line "$WORK/a-$proto.log" "^datagram $B_IP:[0-9]+ INVITE-from-5070-$proto" 30 ||
    fail "$proto: B's unsolicited datagram did not reach the mapped socket"
  # Leases of 4 s: renewed at half-life, so twice within ~5 s.
  for _ in $(seq 1 80); do [ "$(grep -c "^renewed" "$WORK/gw-$proto.log")" -ge 2 ] && break; sleep 0.1; done
  renewals=$(grep -c "^renewed" "$WORK/gw-$proto.log" || true)
  [ "$renewals" -ge 2 ] || fail "$proto: $renewals lease renewals seen (want >= 2)"
  echo "$proto: $renewals renewals seen by the gateway"
  if [ "$proto" = pcp ]; then
    # Restart: state lost, rules flushed, epoch 0. The next renewal sees the
    # epoch go back and re-creates the mapping.
    stop_gateway
    start_gateway pcp-restarted --max-lifetime 4
    wait_line "$WORK/gw-pcp-restarted.log" "^created" 40 || fail "mapping not re-created after the gateway restart"
    ext2=$(sed -n 's/^created .* ext=\([0-9]*\).*/\1/p' "$WORK/gw-pcp-restarted.log" | head -1)
    b_send "$ROUTER_WAN:$ext2" "after-restart"
    wait_line "$WORK/a-$proto.log" "^datagram $B_IP:[0-9]+ after-restart" 30 || fail "no datagram after the restart"
    echo "pcp: re-created after the gateway restart on port $ext2"
  fi
  wait "$apid" || fail "$proto: agent failed"
  grep -q "^released ok" "$WORK/a-$proto.log" || fail "$proto: release failed"
  [ "$(cat "$WORK/table.json")" = "[]" ] || fail "$proto: gateway table not empty after release: $(cat "$WORK/table.json")"
  rules=$(lab_exec router iptables -t nat -S PH-PMP-PRE | grep -c DNAT || true)
  [ "$rules" -eq 0 ] || fail "$proto: $rules DNAT rules left after release"
  stop_gateway
done

# Without port mapping: the symmetric NAT is reported as before.
start_gateway off
set +e
lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --protocols none --seconds 0 >"$WORK/a-off.log" 2>&1
lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --gateway 198.18.0.99 --seconds 0 >"$WORK/a-nogw.log" 2>&1
set -e
stop_gateway
grep -q "^error the NAT maps this port differently" "$WORK/a-off.log" ||
  fail "port mapping off: not reported as destination-dependent"
grep -q "^error the NAT maps this port differently" "$WORK/a-nogw.log" || fail "no gateway: not reported as destination-dependent"
echo "off: $(cat "$WORK/a-off.log")"
echo "no gateway: $(cat "$WORK/a-nogw.log")"

# A gateway that lies about its external address.
start_gateway liar --lie-external 203.0.113.77
set +e
lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --seconds 0 >"$WORK/a-liar.log" 2>&1
set -e
# Caught by the STUN check: the lease is deleted and the mapping is STUN's
# (refused as destination-dependent, or, when the check ran while the
# deleted lease's SNAT rule still held, STUN's own view): never .77.
grep -q "203.0.113.77" "$WORK/a-liar.log" && fail "a lying gateway's address was handed out: $(cat "$WORK/a-liar.log")"
grep -qE "^error the NAT maps this port differently|^ok .*origin=stun" "$WORK/a-liar.log" || fail "liar: $(cat "$WORK/a-liar.log")"
sleep 1
[ "$(cat "$WORK/table.json")" = "[]" ] || fail "the lying gateway's mapping was not deleted"
echo "liar: $(cat "$WORK/a-liar.log")"
stop_gateway

# Malformed answers before every real one (short, truncated, wrong version):
# dropped, the real answer used.
start_gateway garbage --garbage-first
lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --seconds 0 >"$WORK/a-garbage.log" 2>&1 ||
  fail "malformed answers broke GetMapping"
grep -q "^ok .*origin=pcp" "$WORK/a-garbage.log" || fail "no PCP mapping past the malformed answers"
echo "garbage: $(head -1 "$WORK/a-garbage.log")"
stop_gateway
# IPv6 without NAT (2001:db8::/32): the router is a firewall (FORWARD
# policy DROP, replies and LAN traffic allowed), the test gateway opens PCP
# pinholes in it (ip6tables chain PH-PMP-FWD6). B reaches the mapped socket
# at A's own address; after the release the pinhole is gone.
lab_ipv6
lab_exec router ip6tables -P FORWARD DROP
lab_exec router ip6tables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
lab_exec router ip6tables -A FORWARD -i lan -j ACCEPT
lab_exec srv "$PINHOLED" --listen "[$SRV6]:3478" --workers 1 >"$WORK/pinholed6.log" 2>&1 &
start_gateway pcp6 --listen 2001:db8:1::1 --external pinhole
lab_exec a "$PMAGENT" --server "[$SRV6]:3478" --peer "[$B6]:5004" --protocols pcp --lifetime 3600 --seconds 3 \
  >"$WORK/a-pcp6.log" 2>&1 &
apid=$!
wait_line "$WORK/a-pcp6.log" "^(ok|error)" 50 || fail "pcp6: no GetMapping result"
grep -q "^ok external=\[$A6\]:[0-9]* .*origin=pcp " "$WORK/a-pcp6.log" || fail "pcp6: not a PCP pinhole: $(cat "$WORK/a-pcp6.log")"
ext6=$(sed -n 's/^ok external=\([^ ]*\).*/\1/p' "$WORK/a-pcp6.log")
rules6=$(lab_exec router ip6tables -S PH-PMP-FWD6 | grep -c ACCEPT || true)
[ "$rules6" -eq 1 ] || fail "pcp6: $rules6 pinhole rules (want 1)"
b_send6 "$ext6" "INVITE-v6"
wait_line "$WORK/a-pcp6.log" "^datagram \[$B6\]:[0-9]+ INVITE-v6" 30 || fail "pcp6: B's datagram did not pass the pinhole"
wait "$apid" || fail "pcp6: agent failed"
grep -q "^released ok" "$WORK/a-pcp6.log" || fail "pcp6: release failed"
sleep 0.5
[ "$(cat "$WORK/table.json")" = "[]" ] || fail "pcp6: gateway table not empty after release: $(cat "$WORK/table.json")"
rules6=$(lab_exec router ip6tables -S PH-PMP-FWD6 | grep -c ACCEPT || true)
[ "$rules6" -eq 0 ] || fail "pcp6: $rules6 pinhole rules left after release"
echo "pcp6: $(grep '^ok' "$WORK/a-pcp6.log")"
# Without a pinhole the firewall drops B's datagrams (what the pinhole opened).
unsolicited6_dropped 40998 "$WORK/a-closed6.log" || fail "pcp6: the firewall let an unsolicited datagram through"
stop_gateway
echo "PASS: port mapping behind a symmetric NAT (PCP, NAT-PMP), renewal, release, restart, liar; PCP IPv6 pinhole"
