#!/usr/bin/env bash
# Scenario 3: the NAT loses its state and maps the flow to a new port
# (conntrack flushed, masquerade moved to ports 61000-61999). The library
# reports mapping_changed with the new external port within one keep-alive
# interval.
source "$(dirname "$0")/common.sh"
lab_up masq
start_server
KEEPALIVE_MS=3000
agent_start=$(date +%s%N)
lab_exec a "$AGENT" hold --server "$SERVER" --keepalive "$KEEPALIVE_MS" --seconds 12 >"$WORK/agent.log" 2>&1 &
AGENT_PID=$!
for _ in $(seq 1 50); do grep -q "^mapping " "$WORK/agent.log" && break; sleep 0.1; done
grep -q "^mapping " "$WORK/agent.log" || fail "agent got no mapping"
before=$(awk '/^mapping /{print $3}' "$WORK/agent.log")
lab_nat remap   # replaces the rules and flushes conntrack
changed_ms=$(( ($(date +%s%N) - agent_start) / 1000000 ))
wait "$AGENT_PID" || fail "agent failed"
cat "$WORK/agent.log"
line=$(grep "^event mapping_changed" "$WORK/agent.log" | head -1) || fail "no mapping_changed event"
after=${line##* }
echo "before=$before after=$after"
[ "$after" != "$before" ] || fail "the external address did not change"
event_ms=$(echo "$line" | sed 's/.*t_ms=\([0-9]*\).*/\1/')
delay=$((event_ms - changed_ms))
echo "NAT changed at ~${changed_ms} ms, event at ${event_ms} ms: reported after ${delay} ms (keep-alive interval ${KEEPALIVE_MS} ms)"
# One interval plus the keep-alive transaction's own retransmission budget.
[ "$delay" -le $((KEEPALIVE_MS + 1500)) ] || fail "mapping_changed came ${delay} ms after the change"
port=${after##*:}
[ "$port" -ge 61000 ] && [ "$port" -le 61999 ] || fail "new port $port is not from the NAT's new pool"
[[ "$after" == "$ROUTER_WAN:"* ]] || fail "new mapping $after is not on the router"
echo "PASS: mapping_changed reported ($before -> $after)"
