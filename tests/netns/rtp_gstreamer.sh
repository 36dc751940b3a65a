#!/usr/bin/env bash
# Scenario: a real RTP stack (GStreamer) owns the socket, libpinhole maps it
# (application-owned model) behind the MASQUERADE NAT, to a public peer.
#
#   A (198.18.0.10, behind the NAT): pinhole-example-gst-rtp; udpsrc and
#     udpsink share one GSocket; a pad probe hands STUN to
#     pinhole_handle_datagram; a toy INVITE carries the external address.
#   B (203.0.113.20, public): the same program in --peer mode: plain
#     GStreamer, sends RTP to whatever the last INVITE said.
#
# 1. 10 s of two-way PCMU RTP (50 packets/s each way) while keep-alives
#    (every 2 s) go out of the stack's socket and their responses come back
#    through the stack's receive path.
# 2. The NAT loses its state and maps the flow to a new port: a rule that
#    MASQUERADEs A's RTP port to 61000, then conntrack -F. The next
#    keep-alive sees the new port: mapping_changed; A re-INVITEs, B follows,
#    RTP flows both ways again.
#   rtp_gstreamer.sh PINHOLED PROBE AGENT GST_EXAMPLE
source "$(dirname "$0")/common.sh"
GST=${4:?usage: $0 PINHOLED PROBE AGENT GST_EXAMPLE}
# GLib/GStreamer keep process-lifetime allocations; libpinhole's are checked.
export LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan_third_party.supp:print_suppressions=0"
export GST_REGISTRY="$WORK/gst-registry.bin"  # no state outside the test
KEEPALIVE_MS=2000
NEW_PORT=61000

lab_up masq
start_server
lab_exec b "$GST" --peer --local "$B_IP:5004" --signal-port 5060 --seconds 24 >"$WORK/peer.log" 2>&1 &
PEER_PID=$!
for _ in $(seq 1 100); do grep -q "^peer ready" "$WORK/peer.log" && break; sleep 0.1; done
grep -q "^peer ready" "$WORK/peer.log" || fail "the peer did not start"
lab_exec a "$GST" --server "$SERVER" --local "$A_IP" --remote "$B_IP:5004" --signal "$B_IP:5060" \
  --keepalive-ms "$KEEPALIVE_MS" --seconds 22 >"$WORK/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 100); do grep -q "^mapping " "$WORK/app.log" && break; sleep 0.1; done
grep -q "^mapping " "$WORK/app.log" || fail "no mapping for the stack's socket"
mapping=$(grep "^mapping " "$WORK/app.log")
internal=$(echo "$mapping" | awk '{print $2}')
before=$(echo "$mapping" | awk '{print $4}')
internal_port=${internal##*:}
echo "$mapping"
[[ "$before" == "$ROUTER_WAN:"* ]] || fail "external address $before is not the router's"

sleep 10  # phase 1: two-way RTP with keep-alives
progress() { grep "^progress" "$1" | tail -1; }
num() { echo "$1" | sed "s/.*$2=\([0-9]*\).*/\1/"; }
p_app=$(progress "$WORK/app.log")
p_peer=$(progress "$WORK/peer.log")
echo "after 10 s: A $p_app"
echo "after 10 s: B $p_peer"

# Phase 2: the NAT re-maps A's RTP port, and forgets every flow.
lab_exec router iptables -t nat -I POSTROUTING 1 -s "$A_IP" -p udp --sport "$internal_port" -o wan \
  -j MASQUERADE --to-ports "$NEW_PORT"
flush_ms=$(date +%s%3N)
lab_exec router conntrack -F >/dev/null 2>&1
wait "$APP_PID" || fail "the application failed"
wait "$PEER_PID" || fail "the peer failed"
echo "--- A"; grep -v "^progress" "$WORK/app.log"
echo "--- B"; grep -v "^progress" "$WORK/peer.log"

final_app=$(grep "^rtp sent=" "$WORK/app.log")
final_peer=$(grep "^rtp sent=" "$WORK/peer.log")
a_sent1=$(num "$p_app" rtp_sent); a_recv1=$(num "$p_app" rtp_received); stun1=$(num "$p_app" stun_handed_in)
b_sent1=$(num "$p_peer" rtp_sent); b_recv1=$(num "$p_peer" rtp_received)
echo "phase 1 (10 s): A sent $a_sent1 received $a_recv1; B sent $b_sent1 received $b_recv1; STUN responses handed in $stun1"
# 50 packets/s each way; allow for start-up.
[ "$a_sent1" -ge 450 ] || fail "A sent only $a_sent1 RTP packets in 10 s"
[ "$b_sent1" -ge 450 ] || fail "B sent only $b_sent1 RTP packets in 10 s"
[ "$b_recv1" -ge $((a_sent1 - 60)) ] || fail "B received $b_recv1 of $a_sent1"
[ "$a_recv1" -ge $((b_sent1 - 60)) ] || fail "A received $a_recv1 of $b_sent1"
# The attach's response plus one per keep-alive (10 s / 2 s).
[ "$stun1" -ge 5 ] || fail "only $stun1 STUN responses handed in through the stack in 10 s"
[ "$(num "$final_app" leaked_to_pipeline)" -eq 0 ] || fail "STUN reached the RTP depayloader"
[ "$(num "$final_app" stun_not_ours)" -eq 0 ] || fail "the library refused STUN it should own"

line=$(grep "^event mapping_changed" "$WORK/app.log" | head -1) || fail "no mapping_changed after the NAT re-mapped"
after=$(echo "$line" | awk '{print $5}')
event_ms=$(num "$line" t_ms)
delay=$((event_ms - flush_ms))
echo "mapping_changed $before -> $after, ${delay} ms after conntrack -F (keep-alive every ${KEEPALIVE_MS} ms)"
[ "$after" = "$ROUTER_WAN:$NEW_PORT" ] || fail "new external $after, expected $ROUTER_WAN:$NEW_PORT"
[ "$delay" -le $((KEEPALIVE_MS + 1500)) ] || fail "mapping_changed came ${delay} ms after the flush"
grep -q "^invite sent $ROUTER_WAN:$NEW_PORT" "$WORK/app.log" || fail "A did not re-INVITE with the new address"
grep -q "^invite received $ROUTER_WAN:$NEW_PORT (#2)" "$WORK/peer.log" || fail "B did not get the re-INVITE"
since=$(num "$final_app" received_since_last_invite)
echo "after the re-INVITE A received $since RTP packets from B"
[ "$since" -ge 100 ] || fail "RTP from B did not resume after the re-INVITE ($since packets)"
echo "totals: A $final_app"
echo "totals: B $final_peer"
grep -q "^detach success" "$WORK/app.log" || fail "detach failed"
echo "PASS: GStreamer owns the socket; keep-alives answered through its receive path; mapping_changed ${delay} ms after the flush; RTP resumed after the re-INVITE"
