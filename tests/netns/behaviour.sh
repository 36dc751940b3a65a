#!/usr/bin/env bash
# Scenario 1 and 5: pinhole-probe inside the NAT reports the router's outside
# address and the mapping/filtering behaviour of each NAT variant, judged
# against what the variant is (lab.sh), not against itself; the public peer
# reports no NAT.
source "$(dirname "$0")/common.sh"

check() {  # variant expected_mapping expected_filtering
  local variant=$1 want_map=$2 want_filter=$3
  lab_up "$variant"
  start_server
  # fullcone DNATs 40000-40999 back to A, so the probe binds a port there.
  lab_exec a "$PROBE" --server "$SERVER" --behavior --json --timeout 1500 --local "$A_IP:40123" \
    >"$WORK/$variant.json" 2>"$WORK/$variant.log" || fail "$variant: probe failed ($(cat "$WORK/$variant.log"))"
  local mapped map filter behind
  mapped=$(json_get "$WORK/$variant.json" mapped)
  map=$(json_get "$WORK/$variant.json" nat.mapping)
  filter=$(json_get "$WORK/$variant.json" nat.filtering)
  behind=$(json_get "$WORK/$variant.json" behind_nat)
  echo "$variant: mapped=$mapped mapping=$map filtering=$filter behind_nat=$behind classic=$(json_get "$WORK/$variant.json" nat.classic)"
  [[ "$mapped" == "$ROUTER_WAN:"* ]] || fail "$variant: mapped $mapped is not the router's outside address"
  [ "$behind" = true ] || fail "$variant: behind_nat should be true"
  [ "$map" = "$want_map" ] || fail "$variant: mapping $map, expected $want_map"
  [ "$filter" = "$want_filter" ] || fail "$variant: filtering $filter, expected $want_filter"
  lab_down
}

check masq endpoint-independent address-and-port-dependent
check symmetric address-and-port-dependent address-and-port-dependent
check fullcone endpoint-independent endpoint-independent

# The public peer B is not behind a NAT.
lab_up masq
start_server
lab_exec b "$PROBE" --server "$SERVER" --behavior --json --timeout 1500 >"$WORK/b.json" 2>"$WORK/b.log" \
  || fail "probe on B failed"
echo "public peer: mapped=$(json_get "$WORK/b.json" mapped) behind_nat=$(json_get "$WORK/b.json" behind_nat) classic=$(json_get "$WORK/b.json" nat.classic)"
[ "$(json_get "$WORK/b.json" behind_nat)" = false ] || fail "B must report no NAT"
[ "$(json_get "$WORK/b.json" mapped)" = "$B_IP:$(json_get "$WORK/b.json" local | sed 's/.*://')" ] || fail "B's mapping must equal its local address"
echo "PASS: behaviour of every NAT variant classified correctly"
