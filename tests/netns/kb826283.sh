#!/usr/bin/env bash
# Scenario 2, KB 826283: A is behind the NAT (masquerade: port-restricted
# filtering), B is public and uses SIPp as its SIP stack. A uses libpinhole:
# StartListen for SIP (its external address goes into Contact), GetMapping for
# RTP, and UpdateRemoteAddress towards B's advertised address.
#  1. B sends its INVITE from a port other than its Contact port (the KB
#     failure): the NAT drops it, the call fails.
#  2. B behaves as if behind a NAT and sends from its advertised port: the
#     INVITE reaches A, A answers with its external mappings, RTP flows both
#     ways through the NAT (SIPp echoes A's RTP), BYE completes.
source "$(dirname "$0")/common.sh"
command -v sipp >/dev/null || { echo "SKIP: sipp missing (scripts/setup installs sip-tester)"; exit 77; }
lab_up masq
start_server
CONTACT_PORT=5060

run_call() {  # name sipp_source_port
  local name=$1 src=$2
  lab_exec a "$AGENT" answer --server "$SERVER" --peer "$B_IP:$CONTACT_PORT" --seconds 12 >"$WORK/a-$name.log" 2>&1 &
  local apid=$!
  for _ in $(seq 1 100); do grep -q "^punched" "$WORK/a-$name.log" && break; sleep 0.1; done
  grep -q "^punched" "$WORK/a-$name.log" || fail "$name: A did not set up its mappings"
  local contact
  contact=$(awk '/^contact /{print $3}' "$WORK/a-$name.log")
  echo "$name: A advertises Contact $contact; B sends from port $src"
  set +e
  (cd "$WORK" && lab_exec b timeout 30 sipp -sn uac -i "$B_IP" -p "$src" -mp 6000 -rtp_echo -m 1 -d 2000 \
      -timeout 8s -recv_timeout 4000 -nostdin -trace_err -error_file "$WORK/sipp-$name.err" "$contact" \
      >"$WORK/sipp-$name.log" 2>&1)
  SIPP_RC=$?
  wait "$apid"
  AGENT_RC=$?
  set -e
  echo "$name: sipp exit $SIPP_RC, A exit $AGENT_RC; A: $(grep -E '^(invite|rtp_|result)' "$WORK/a-$name.log" | tr '\n' ' ')"
}

run_call wrong-port 5070
[ "$SIPP_RC" -ne 0 ] || fail "the INVITE from a non-Contact port must not get through the NAT"
grep -q "result invite=no" "$WORK/a-wrong-port.log" || fail "A must not have seen the INVITE"

run_call advertised-port "$CONTACT_PORT"
[ "$SIPP_RC" -eq 0 ] || fail "SIPp's call failed (exit $SIPP_RC): $(tail -5 "$WORK/sipp-advertised-port.log")"
[ "$AGENT_RC" -eq 0 ] || fail "A did not complete INVITE + RTP both ways"
grep -q "result invite=yes bye=yes" "$WORK/a-advertised-port.log" || fail "A missed INVITE or BYE"
received=$(awk '/^rtp_received /{print $2}' "$WORK/a-advertised-port.log")
[ "$received" -ge 15 ] || fail "only $received of 20 RTP packets came back through the NAT"
echo "PASS: KB 826283 reproduced (wrong source port dropped) and fixed (call + RTP $received/20 echoed)"
