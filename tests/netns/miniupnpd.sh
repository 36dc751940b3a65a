#!/usr/bin/env bash
# Issue 14 against a real gateway: Debian's miniupnpd 2.3.1 (nftables
# backend) in the router of the NAT lab (MASQUERADE --random-fully, a
# symmetric NAT), libpinhole in A.
#
# miniupnpd refuses to forward when its WAN address is private or reserved
# ("Reserved / private IP address ... Port forwarding is impossible"), and
# every address the lab may use is reserved (203.0.113.0/24 is RFC 5737
# TEST-NET-3). Its option ext_perform_stun=yes is the way in: miniupnpd then
# sends four Binding requests with CHANGE-REQUEST (RFC 3489/5780) to
# ext_stun_host and, when all four answers come back from the changed
# addresses with its own address and ports, concludes "unrestricted
# full-cone NAT 1:1" and enables forwarding. The lab's pinholed (RFC 5780 on
# 203.0.113.1 + .2) answers them; the router drops no UDP to itself here
# (the lab's INPUT DROP rule would eat the answers from the alternate
# address).
#  1. pinhole-probe --portmap: UPnP (and PCP, NAT-PMP) answered by
#     miniupnpd, with its external address; the test mappings deleted.
#  2. UPnP-IGD: GetMapping through AddPortMapping, verified by STUN; a
#     datagram B sends from a port A never contacted reaches the mapped
#     socket; the short lease is renewed; ReleaseMapping empties
#     miniupnpd's nft chains.
#  3. PCP and NAT-PMP against miniupnpd the same way; and over IPv6
#     (2001:db8::/32, no NAT) a PCP MAP opens a firewall pinhole in
#     miniupnpd's forward chain: B's datagram to A's own address and port
#     passes, and the rule is gone after the release (while a port without
#     a pinhole stays closed).
#  3b. attach_socket (the application-owned model) gets the UPnP mapping.
#  4. miniupnpd without ext_perform_stun (forwarding refused): no explicit
#     mapping, GetMapping falls back to STUN cleanly (the symmetric NAT is
#     reported as destination-dependent), nothing left in the chains.
# usage: miniupnpd.sh PINHOLED PROBE AGENT PORTMAP_AGENT
source "$(dirname "$0")/common.sh"
PMAGENT=${4:?usage: $0 PINHOLED PROBE AGENT PORTMAP_AGENT}
MINIUPNPD=/usr/sbin/miniupnpd
for t in "$MINIUPNPD" nft; do
  command -v "$t" >/dev/null || { echo "SKIP: $t missing (scripts/setup installs miniupnpd-nftables, nftables)"; exit 77; }
done
MU_PID=


# The tables and chains miniupnpd's nftables backend fills (what Debian's
# /etc/miniupnpd/nft_init.sh would create: that script sources the
# iptables flavour of miniupnpd_functions.sh and finds no $NFT): table inet
# filter, chains miniupnpd (forward), prerouting_miniupnpd and
# postrouting_miniupnpd. The forward policy is a home gateway's: replies and
# LAN traffic pass, WAN-initiated traffic only through miniupnpd's rules.
nft_init() {
  lab_exec router nft -f - <<'NFT'
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan" accept
    jump miniupnpd
  }
  chain miniupnpd {
  }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
}
NFT
}
# Rules miniupnpd added (0 when every mapping is gone).
mu_rules() {
  local n=0 c
  for c in miniupnpd prerouting_miniupnpd postrouting_miniupnpd; do
    n=$((n + $(lab_exec router nft list chain inet filter "$c" | grep -cE 'dnat|accept|snat|masquerade' || true)))
  done
  echo "$n"
}

start_miniupnpd() {  # name stun(yes|no)
  local name=$1 stun=$2
  cat >"$WORK/mu-$name.conf" <<CONF
ext_ifname=wan
listening_ip=lan
http_port=2869
enable_natpmp=yes
enable_upnp=yes
ext_perform_stun=$stun
ext_stun_host=$SRV_IP1
ext_stun_port=3478
secure_mode=yes
system_uptime=no
ext_ifname6=wan
min_lifetime=4
max_lifetime=86400
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
lease_file=$WORK/mu-$name.leases
allow 1024-65535 198.18.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
  [ "$stun" = yes ] || sed -i '/^ext_stun/d' "$WORK/mu-$name.conf"
  # Not through the lab_exec function: $! must be miniupnpd itself (ip netns
  # exec execs it), not a subshell, so that stop_miniupnpd can end it.
  ip netns exec "$(ns router)" "$MINIUPNPD" -f "$WORK/mu-$name.conf" -d >"$WORK/mu-$name.log" 2>&1 &
  MU_PID=$!
  wait_line "$WORK/mu-$name.log" "HTTP listening on port" 100 || fail "miniupnpd $name did not start"
  wait_line "$WORK/mu-$name.log" "Listening for NAT-PMP/PCP" 50 || fail "miniupnpd $name: no NAT-PMP/PCP"
}
stop_miniupnpd() { [ -n "$MU_PID" ] && kill "$MU_PID" 2>/dev/null; wait "$MU_PID" 2>/dev/null || true; MU_PID=; }

# IPv6 on 2001:db8::/32, no NAT (common.sh's lab_ipv6, called after
# lab_up): the only filter is the forward chain below (miniupnpd opens
# pinholes in it).

lab_up symmetric
lab_exec router iptables -D INPUT -i wan -p udp -j DROP
start_server
lab_ipv6
lab_exec srv "$PINHOLED" --listen "[$SRV6]:3478" --workers 1 >"$WORK/pinholed6.log" 2>&1 &
nft_init

start_miniupnpd stun yes
grep -q "Port forwarding is now enabled" "$WORK/mu-stun.log" || fail "miniupnpd kept forwarding disabled"
echo "miniupnpd: $(grep -m1 'STUN: ext interface' "$WORK/mu-stun.log" | sed 's/^miniupnpd\[[0-9]*\]: //')"

# 1. pinhole-probe --portmap lists UPnP beside PCP and NAT-PMP.
lab_exec a "$PROBE" --server "$SERVER" --portmap >"$WORK/probe.log" 2>&1 || fail "pinhole-probe --portmap failed"
lab_exec a "$PROBE" --server "$SERVER" --portmap --json >"$WORK/probe.json" 2>"$WORK/probe-json.log" ||
  fail "pinhole-probe --portmap --json failed"
grep '^portmap' "$WORK/probe.log"
grep -q "^portmap upnp $ROUTER_LAN:2869 answered external=$ROUTER_WAN:[0-9]* lease=30s" "$WORK/probe.log" ||
  fail "probe: no UPnP mapping from miniupnpd"
python3 - "$WORK/probe.json" "$ROUTER_WAN" <<'PY' || fail "probe --json: no UPnP mapping"
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["portmap"] if x["protocol"] == "upnp"]
assert r and r[0]["mapped"] and r[0]["external"].startswith(sys.argv[2] + ":") and r[0]["lease_s"] == 30, r
PY
for proto in pcp natpmp; do
  if grep -q "^portmap $proto $ROUTER_LAN:5351 answered external=$ROUTER_WAN:" "$WORK/probe.log"; then
    echo "probe: miniupnpd answered $proto"
  else
    echo "probe: miniupnpd gave no $proto mapping: $(grep "^portmap $proto" "$WORK/probe.log")"
  fi
done
sleep 0.5
[ "$(mu_rules)" -eq 0 ] || fail "probe: $(mu_rules) rules left: $(lab_exec router nft list table inet filter)"

# 2 + 3. GetMapping with each protocol miniupnpd serves; B's unsolicited
# datagram; renewal of a 4 s lease; release.
for proto in upnp pcp natpmp; do
  lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --protocols "$proto" --lifetime 4 --seconds 7 \
    --upnp-timeout 1500 \
    >"$WORK/a-$proto.log" 2>&1 &
  apid=$!
  wait_line "$WORK/a-$proto.log" "^(ok|error)" 80 || fail "$proto: no GetMapping result"
  grep -q "^ok .*origin=$proto " "$WORK/a-$proto.log" || fail "$proto: not a $proto mapping: $(cat "$WORK/a-$proto.log")"
  ext=$(sed -n 's/^ok external=\([^ ]*\).*/\1/p' "$WORK/a-$proto.log")
  [ "${ext%:*}" = "$ROUTER_WAN" ] || fail "$proto: external $ext is not the router's"
  echo "$proto via miniupnpd: $(grep '^ok' "$WORK/a-$proto.log")"
  [ "$(mu_rules)" -gt 0 ] || fail "$proto: no rule in miniupnpd's chains"
  b_send "$ext" "INVITE-from-5070-$proto"
  wait_line "$WORK/a-$proto.log" "^datagram $B_IP:[0-9]+ INVITE-from-5070-$proto" 30 ||
    fail "$proto: B's unsolicited datagram did not reach the mapped socket"
  wait "$apid" || fail "$proto: agent failed"
  grep -q "^released ok" "$WORK/a-$proto.log" || fail "$proto: release failed"
  sleep 0.3
  [ "$(mu_rules)" -eq 0 ] || fail "$proto: $(mu_rules) rules left after release: $(lab_exec router nft list table inet filter)"
done
# The application-owned model (attach_socket): the agent's own socket and
# receive loop get the UPnP mapping too; detach_socket deletes it.
lab_exec a "$PMAGENT" --model attach --server "$SERVER" --peer "$B_IP:5004" --protocols upnp --seconds 3 \
  --upnp-timeout 1500 \
  >"$WORK/a-attach.log" 2>&1 &
apid=$!
wait_line "$WORK/a-attach.log" "^(ok|error)" 80 || fail "attach: no result"
grep -q "^ok .*origin=upnp " "$WORK/a-attach.log" || fail "attach: not a UPnP mapping: $(cat "$WORK/a-attach.log")"
ext=$(sed -n 's/^ok external=\([^ ]*\).*/\1/p' "$WORK/a-attach.log")
b_send "$ext" "to-the-app"
wait_line "$WORK/a-attach.log" "^datagram $B_IP:[0-9]+ to-the-app" 30 || fail "attach: B's datagram did not reach the app's socket"
wait "$apid" || fail "attach: agent failed"
grep -q "^released ok" "$WORK/a-attach.log" || fail "attach: detach failed"
sleep 0.3
[ "$(mu_rules)" -eq 0 ] || fail "attach: $(mu_rules) rules left after detach"
echo "attach (application-owned) via miniupnpd: $(grep '^ok' "$WORK/a-attach.log")"

# IPv6: PCP MAP opens a firewall pinhole (RFC 6887 §11: no NAT, the
# external address is the internal one) in miniupnpd's forward chain.
lab_exec a "$PMAGENT" --server "[$SRV6]:3478" --peer "[$B6]:5004" --protocols pcp --lifetime 60 --seconds 3 \
  >"$WORK/a-pcp6.log" 2>&1 &
apid=$!
wait_line "$WORK/a-pcp6.log" "^(ok|error)" 80 || fail "pcp6: no GetMapping result"
grep -q "^ok external=\[$A6\]:[0-9]* .*origin=pcp " "$WORK/a-pcp6.log" || fail "pcp6: not a PCP pinhole: $(cat "$WORK/a-pcp6.log")"
ext6=$(sed -n 's/^ok external=\([^ ]*\).*/\1/p' "$WORK/a-pcp6.log")
echo "pcp IPv6 pinhole via miniupnpd: $(grep '^ok' "$WORK/a-pcp6.log")"
[ "$(mu_rules)" -gt 0 ] || fail "pcp6: no pinhole rule in miniupnpd's chain"
b_send6 "$ext6" "INVITE-v6"
wait_line "$WORK/a-pcp6.log" "^datagram \[$B6\]:[0-9]+ INVITE-v6" 30 ||
  fail "pcp6: B's unsolicited datagram did not pass the pinhole"
wait "$apid" || fail "pcp6: agent failed"
grep -q "^released ok" "$WORK/a-pcp6.log" || fail "pcp6: release failed"
sleep 0.3
[ "$(mu_rules)" -eq 0 ] || fail "pcp6: $(mu_rules) rules left after release: $(lab_exec router nft list table inet filter)"
# Without the pinhole the forward chain drops B's datagrams.
unsolicited6_dropped 40999 "$WORK/a-closed6.log" || fail "the forward chain let an unsolicited IPv6 datagram through"

# The 4 s UPnP lease was renewed (AddPortMapping again for the same port).
adds=$(grep -c "AddPortMapping: ext port" "$WORK/mu-stun.log" || true)
[ "$adds" -ge 3 ] || fail "UPnP: $adds AddPortMapping calls (want the test mapping, the mapping and >= 1 renewal)"
echo "upnp: $adds AddPortMapping calls seen by miniupnpd (probe, mapping, renewals)"
stop_miniupnpd

# 4. Forwarding refused (no STUN): the reserved WAN address is refused by
# miniupnpd, the client falls back to STUN.
start_miniupnpd nostun no
grep -q "Port forwarding is impossible" "$WORK/mu-nostun.log" || fail "miniupnpd did not refuse its reserved address"
# What each protocol answers now (recorded; the agent's result is asserted).
lab_exec a "$PROBE" --server "$SERVER" --portmap >"$WORK/probe-refused.log" 2>&1 || true
grep '^portmap' "$WORK/probe-refused.log" | sed 's/^/refused: /'
grep -q "^portmap upnp .* answered external=" "$WORK/probe-refused.log" && fail "refused: a UPnP mapping was reported"
set +e
lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --protocols upnp,pcp,natpmp --seconds 0 \
  --upnp-timeout 1500 \
  >"$WORK/a-refused.log" 2>&1
set -e
echo "refused: $(head -1 "$WORK/a-refused.log")"
grep -q "^error the NAT maps this port differently" "$WORK/a-refused.log" ||
  fail "forwarding refused: not STUN's destination-dependent answer: $(cat "$WORK/a-refused.log")"
[ "$(mu_rules)" -eq 0 ] || fail "refused: rules left"
stop_miniupnpd
echo "PASS: libpinhole against miniupnpd 2.3.1 (UPnP-IGD, PCP, NAT-PMP over IPv4; PCP IPv6 pinhole; refusal falls back to STUN)"
