#!/usr/bin/env bash
# Scenario 4: keep-alives hold a mapping past the NAT's UDP timeout. The
# router's conntrack UDP timeout is set to 10 s; one agent keeps its mapping
# alive every 4 s, and the router still holds its entry after 25 s. Control:
# a single Binding request (the probe) whose entry is gone after 15 s.
source "$(dirname "$0")/common.sh"
lab_up masq
lab_exec router sysctl -qw net.netfilter.nf_conntrack_udp_timeout=10
lab_exec router sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=10
start_server

# Control: one request, no keep-alive.
lab_exec a "$PROBE" --server "$SERVER" --local "$A_IP:41000" --json >"$WORK/control.json" 2>&1 || fail "probe failed"
# Held: keep-alive every 4 s for 27 s.
lab_exec a "$AGENT" hold --server "$SERVER" --keepalive 4000 --seconds 27 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
sleep 2
grep -q "^mapping " "$WORK/agent.log" || fail "agent got no mapping"
held_port=$(awk '/^mapping /{split($3,a,":"); print a[2]}' "$WORK/agent.log")
entries() { lab_exec router conntrack -L -p udp --sport "$1" 2>/dev/null | grep -c "dport=3478" || true; }
sleep 14
control_left=$(entries 41000)
echo "after 16 s: control entries=$control_left (timeout 10 s)"
[ "$control_left" -eq 0 ] || fail "the control mapping should have expired"
sleep 11
held_left=$(entries "$held_port")
echo "after 27 s: held mapping $held_port entries=$held_left"
[ "$held_left" -ge 1 ] || fail "keep-alives did not hold the mapping"
wait "$AGENT_PID" || fail "agent failed"
grep -q "event mapping_changed" "$WORK/agent.log" && fail "the mapping must not change while held: $(cat "$WORK/agent.log")"
ka=$(awk '/^keepalives /{print $2}' "$WORK/agent.log")
echo "keep-alives sent: $ka"
[ "$ka" -ge 5 ] || fail "expected >= 5 keep-alives in 27 s at 4 s, got $ka"
echo "PASS: keep-alives hold the mapping past a 10 s NAT timeout"
