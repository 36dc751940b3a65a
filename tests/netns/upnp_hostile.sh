#!/usr/bin/env bash
# Issue 14, hostile UPnP IGDs (hostile_igd.py in the router, behind
# MASQUERADE --random-fully): libminiupnpc parses their SSDP/HTTP/SOAP, and
# whatever they claim, libpinhole never hands out a UPnP mapping from them
# and never crashes (the agent is an ASan/UBSan build and must exit
# normally): an external address that does not parse, 0.0.0.0, 64 KiB
# fields, answers that are not XML, a mapping entry naming another host
# (never deleted by us: it is not ours) or disabled, and an IGD that lies
# about its external address (caught by the STUN check: its mapping is
# deleted). Every case ends in STUN's answer: destination-dependent.
# usage: upnp_hostile.sh PINHOLED PROBE AGENT PORTMAP_AGENT
source "$(dirname "$0")/common.sh"
PMAGENT=${4:?usage: $0 PINHOLED PROBE AGENT PORTMAP_AGENT}
IGD="$(dirname "$0")/hostile_igd.py"

lab_up symmetric
start_server
sleep 1  # the lab's links settle (a network change would start the probe round again)
for mode in bad-ip zero-ip huge garbage other-client disabled liar; do
  ip netns exec "$(ns router)" python3 "$IGD" --listen "$ROUTER_LAN" --mode "$mode" >"$WORK/igd-$mode.log" 2>&1 &
  igd=$!
  for _ in $(seq 1 50); do grep -q "^listening" "$WORK/igd-$mode.log" && break; sleep 0.1; done
  set +e
  lab_exec a "$PMAGENT" --server "$SERVER" --peer "$B_IP:5004" --protocols upnp --seconds 0 --upnp-timeout 1500 \
    --call-timeout 4000 \
    >"$WORK/a-$mode.log" 2>&1
  rc=$?
  set -e
  kill "$igd" 2>/dev/null || true
  wait "$igd" 2>/dev/null || true
  grep -q "^m-search" "$WORK/igd-$mode.log" || fail "$mode: the client never searched"
  [ "$rc" -le 1 ] || fail "$mode: the agent crashed (exit $rc): $(cat "$WORK/a-$mode.log")"
  grep -q "origin=upnp" "$WORK/a-$mode.log" && fail "$mode: a UPnP mapping was handed out: $(cat "$WORK/a-$mode.log")"
  grep -q "203.0.113.77\|999.1.1.1" "$WORK/a-$mode.log" && fail "$mode: the IGD's address was handed out"
  grep -q "^error the NAT maps this port differently" "$WORK/a-$mode.log" ||
    fail "$mode: not STUN's answer: $(cat "$WORK/a-$mode.log")"
  actions=$(sed -n 's/^soap //p' "$WORK/igd-$mode.log" | sort | uniq -c | awk '{printf "%s x%s, ", $2, $1}')
  echo "$mode: $(head -1 "$WORK/a-$mode.log" | cut -c1-60)... IGD saw: ${actions%, }"
  case "$mode" in
    other-client | disabled)
      grep -q "^soap AddPortMapping" "$WORK/igd-$mode.log" || fail "$mode: no AddPortMapping asked"
      grep -q "^soap DeletePortMapping" "$WORK/igd-$mode.log" && fail "$mode: deleted a mapping that is not ours" ;;
    liar)
      grep -q "^soap DeletePortMapping" "$WORK/igd-$mode.log" || fail "liar: its mapping was not deleted after the STUN check" ;;
  esac
done
echo "PASS: hostile IGDs never gave a UPnP mapping nor crashed the client"
