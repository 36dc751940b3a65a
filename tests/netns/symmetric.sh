#!/usr/bin/env bash
# Scenario 5: behind a symmetric NAT (MASQUERADE --random-fully) GetMapping
# must not hand out the address the STUN server saw — no other peer could
# reach it — but report that the mapping is destination-dependent. Behind the
# endpoint-independent masquerade the same call returns the router's address.
source "$(dirname "$0")/common.sh"
for variant in symmetric masq; do
  lab_up "$variant"
  start_server
  set +e
  lab_exec a "$AGENT" map --server "$SERVER" --peer "$B_IP:5004" >"$WORK/$variant.log" 2>&1
  rc=$?
  set -e
  echo "$variant: exit $rc: $(cat "$WORK/$variant.log")"
  if [ "$variant" = symmetric ]; then
    [ "$rc" -ne 0 ] || fail "GetMapping returned a mapping behind a symmetric NAT"
    grep -q "^error destination_dependent .*dependent=yes" "$WORK/$variant.log" || fail "not reported as destination-dependent"
  else
    [ "$rc" -eq 0 ] || fail "GetMapping failed behind an endpoint-independent NAT"
    grep -q "^ok external=$ROUTER_WAN:[0-9]* dependent=no" "$WORK/$variant.log" || fail "wrong mapping"
  fi
  lab_down
done
echo "PASS: destination-dependent mapping reported instead of a misleading address"
