#!/usr/bin/env bash
# Issue 15, TURN relay as the mapping of last resort, in the NAT lab:
#
#   A 198.18.0.10 ── router (MASQUERADE --random-fully) ──┐ 203.0.113.0/24
#                                       203.0.113.254     ├─ pinholed 203.0.113.1 + .2 (RFC 5780)
#   D 198.19.0.10 ── r2 (MASQUERADE --random-fully) ──────┤
#                                       203.0.113.253     ├─ coturn 203.0.113.3:3478 (long-term credentials)
#                                                         └─ B 203.0.113.20 (a stranger)
#
# Both A and D sit behind symmetric NATs: the mapping is found
# destination-dependent (pinholed's RFC 5780 test) and falls back to coturn.
# A uses GetMapping (library-owned socket: send() wraps, on_datagram gets the
# data unwrapped); D owns its socket (attach_socket with
# relay_attached_sockets: its receive loop hands every datagram to
# handle_datagram, which unwraps relayed data; send() wraps).
#  1. Both get relayed mappings; each permits the other's relayed address
#     (UpdateRemoteAddress) and RTP-sized packets flow both ways through the
#     relay for 10 s at 50 packets/s each way: no loss, no duplicates.
#  2. B, without a permission, sends to A's relayed address meanwhile: nothing
#     of it is delivered. After UpdateRemoteAddress towards B it is.
#  3. A asks for 4 s lifetimes (turn_lifetime; coturn's --max-allocate-lifetime
#     grants 4 s to the Allocate, its Refresh answers say 600 s): A refreshes
#     every 2 s, seen in coturn's log.
#  4. --user-quota 1: A's second GetMapping is allocation_quota_reached.
#  5. ReleaseMapping deletes the allocation: coturn logs the Refresh with
#     lifetime 0 and deletes the session at once (its last Refresh granted
#     600 s: not an expiry).
#  6. A wrong password is wrong_credentials.
# usage: turn_relay.sh PINHOLED PROBE AGENT TURN_AGENT
source "$(dirname "$0")/common.sh"
TURN_AGENT=${4:?usage: $0 PINHOLED PROBE AGENT TURN_AGENT}
command -v turnserver >/dev/null || { echo "SKIP: turnserver missing (scripts/setup installs coturn)"; exit 77; }
export LSAN_OPTIONS="suppressions=$(dirname "$0")/lsan_third_party.supp:print_suppressions=0"

LAB_NS+=(r2 d turn)
R2_WAN=203.0.113.253
R2_LAN=198.19.0.1
D_IP=198.19.0.10
TURN_IP=203.0.113.3
TURN="turn:$TURN_IP:3478"
REALM=lab.pinhole.test
LIFETIME=4
SECONDS_RTP=10
PPS=50


lab_up symmetric
# The second NAT: r2 on the public bridge, D behind it.
ip link add "${LAB_ID}r2w" type veth peer name wan0 netns "$(ns r2)"
ip link set "${LAB_ID}r2w" netns "$(ns router)"
lab_exec router ip link set "${LAB_ID}r2w" master wan up
ip link add "${LAB_ID}r2l" type veth peer name eth0 netns "$(ns d)"
ip link set "${LAB_ID}r2l" netns "$(ns r2)"
lab_exec r2 ip link set lo up
lab_exec r2 ip link set wan0 up
lab_exec r2 ip link set "${LAB_ID}r2l" up
lab_exec r2 ip addr add "$R2_WAN/24" dev wan0
lab_exec r2 ip addr add "$R2_LAN/24" dev "${LAB_ID}r2l"
lab_exec r2 sysctl -qw net.ipv4.ip_forward=1
lab_exec r2 iptables -A INPUT -i wan0 -p udp -j DROP
lab_exec r2 iptables -t nat -A POSTROUTING -s 198.19.0.0/24 -o wan0 -j MASQUERADE --random-fully
lab_exec d ip link set lo up
lab_exec d ip link set eth0 up
lab_exec d ip addr add "$D_IP/24" dev eth0
lab_exec d ip route add default via "$R2_LAN"
lab_link turn wan
lab_exec turn ip addr add "$TURN_IP/24" dev eth0
for _ in $(seq 1 50); do lab_exec d ping -c1 -W1 "$TURN_IP" >/dev/null 2>&1 && break; sleep 0.1; done
lab_exec d ping -c1 -W1 "$TURN_IP" >/dev/null 2>&1 || fail "D cannot reach the TURN server through r2"

start_server
# coturn: long-term credentials (alice for A, dave for D), one allocation per
# user, 4 s lifetimes for Allocate, relay ports from its own address, a log we read.
lab_exec turn turnserver -n --listening-ip "$TURN_IP" --relay-ip "$TURN_IP" --listening-port 3478 \
  --min-port 49152 --max-port 49400 --lt-cred-mech --realm "$REALM" --user alice:secret --user dave:secret \
  --user-quota 1 --max-allocate-lifetime="$LIFETIME" --no-cli --no-tls --no-dtls --no-tcp --no-tcp-relay \
  --pidfile "$WORK/turnserver.pid" --log-file "$WORK/turnserver.log" --simple-log --no-stdout-log --verbose \
  >"$WORK/turnserver-stdout.log" 2>&1 &
for _ in $(seq 1 100); do grep -q "Total General servers" "$WORK/turnserver.log" 2>/dev/null && break; sleep 0.05; done
grep -q "Total General servers" "$WORK/turnserver.log" 2>/dev/null || fail "coturn did not start"
sleep 0.3

# 6. A wrong password: the clear error, no mapping.
set +e
lab_exec a "$TURN_AGENT" map --stun "$SERVER" --turn "$TURN" --user alice --password wrong --remote "$TURN_IP:0" \
  >"$WORK/a-wrongpw.log" 2>&1
rc=$?
set -e
echo "wrong password: exit $rc: $(cat "$WORK/a-wrongpw.log")"
[ "$rc" -ne 0 ] || fail "a wrong password gave a mapping"
grep -q "^map error wrong_credentials " "$WORK/a-wrongpw.log" || fail "a wrong password is not wrong_credentials"

# 1-5. The call. Each side starts towards the TURN server's IP (port 0: a
# permission only) and learns the other's relayed address from its file.
common=(--stun "$SERVER" --turn "$TURN" --password secret --remote "$TURN_IP:0" --go-file "$WORK/go"
        --seconds "$SECONDS_RTP" --pps "$PPS" --lifetime "$LIFETIME")
lab_exec a "$TURN_AGENT" call "${common[@]}" --user alice --peer-file "$WORK/peer-of-a" --second \
  --late-peer "$B_IP" >"$WORK/a.log" 2>&1 &
APID=$!
lab_exec d "$TURN_AGENT" call "${common[@]}" --user dave --peer-file "$WORK/peer-of-d" --app-owned \
  >"$WORK/d.log" 2>&1 &
DPID=$!
wait_line "$WORK/a.log" "^(relayed|map error)" 100 || fail "A: no GetMapping result"
wait_line "$WORK/d.log" "^(relayed|map error)" 100 || fail "D: no GetMapping result"
grep -q "^relayed " "$WORK/a.log" || fail "A got no relayed mapping"
grep -q "^relayed " "$WORK/d.log" || fail "D got no relayed mapping"
a_ext=$(awk '/^relayed /{print $3}' "$WORK/a.log")
d_ext=$(awk '/^relayed /{print $3}' "$WORK/d.log")
echo "A: $(grep '^relayed ' "$WORK/a.log")"
echo "D: $(grep '^relayed ' "$WORK/d.log")"
[[ "$a_ext" == "$TURN_IP:"* && "$d_ext" == "$TURN_IP:"* ]] || fail "relayed addresses are not coturn's: $a_ext $d_ext"
[ "$a_ext" != "$d_ext" ] || fail "A and D got the same relayed address"
# 4. The quota (coturn answers 486): A's second GetMapping.
wait_line "$WORK/a.log" "^second " 100 || fail "A: no second GetMapping result"
echo "A: $(grep '^second ' "$WORK/a.log")"
grep -q "^second error allocation_quota_reached " "$WORK/a.log" || fail "an exhausted quota is not allocation_quota_reached"
echo "$d_ext" >"$WORK/peer-of-a"
echo "$a_ext" >"$WORK/peer-of-d"
wait_line "$WORK/a.log" "^permitted " 100 || fail "A: no permission for D's relay"
wait_line "$WORK/d.log" "^permitted " 100 || fail "D: no permission for A's relay"
echo go >"$WORK/go"
# 2. B sends to A's relayed address without a permission, during the call.
sleep 2
lab_exec b python3 -c '
import socket, sys, time
s = socket.socket(2, 2); s.bind(("0.0.0.0", 0)); ip, port = sys.argv[1].rsplit(":", 1)
for i in range(20):
    s.sendto(b"STRANGER %d" % i, (ip, int(port))); time.sleep(0.05)' "$a_ext"
wait_line "$WORK/a.log" "^rtp " $(((SECONDS_RTP + 10) * 10)) || fail "A: the call did not finish"
wait_line "$WORK/d.log" "^rtp " 50 || fail "D: the call did not finish"
echo "A: $(grep '^rtp ' "$WORK/a.log")"
echo "D: $(grep '^rtp ' "$WORK/d.log")"
total=$((SECONDS_RTP * PPS))
num() { sed -n "s/^rtp .*$2=\([0-9]*\).*/\1/p" "$1"; }
for side in a d; do
  [ "$(num "$WORK/$side.log" sent)" -eq "$total" ] || fail "$side: sent $(num "$WORK/$side.log" sent) of $total"
  got=$(num "$WORK/$side.log" received)
  # ~0 loss on a quiet veth lab: at most 1 % (5 of 500) tolerated.
  [ "$got" -ge $((total * 99 / 100)) ] || fail "$side: received $got of $total through the relay"
  [ "$(num "$WORK/$side.log" dup)" -eq 0 ] || fail "$side: duplicates"
  [ "$(num "$WORK/$side.log" send_errors)" -eq 0 ] || fail "$side: send() failed"
done
[ "$(num "$WORK/d.log" other)" -eq 0 ] || fail "D got datagrams not from A's relay: $(grep '^other from' "$WORK/d.log")"
[ "$(num "$WORK/a.log" other)" -eq 0 ] || fail "A got datagrams from a peer without a permission"
grep -q "^other from" "$WORK/a.log" && fail "A got: $(grep '^other from' "$WORK/a.log")"
# The stranger's packets reached coturn's relay port and were dropped there:
# after a permission for B's IP (UpdateRemoteAddress) they are delivered.
wait_line "$WORK/a.log" "^permitted_extra $B_IP" 50 || fail "A: no permission for B"
lab_exec b python3 -c '
import socket, sys, time
s = socket.socket(2, 2); s.bind(("0.0.0.0", 0)); ip, port = sys.argv[1].rsplit(":", 1)
for i in range(10):
    s.sendto(b"LATE %d" % i, (ip, int(port))); time.sleep(0.1)' "$a_ext"
wait_line "$WORK/a.log" "^late " 60 || fail "A: no late result"
echo "A: $(grep '^late ' "$WORK/a.log")"
grep -q "^late received=[1-9]" "$WORK/a.log" || fail "B's datagrams were not delivered after its permission"

# 3. Refreshes of A's allocation (4 s asked for: one every 2 s) during the call.
# "refreshed" lines only (the "new" line of the allocation carries a lifetime too).
refreshes=$(grep -c "refreshed, realm=<$REALM>, username=<alice>, lifetime=[1-9]" "$WORK/turnserver.log" || true)
echo "coturn saw $refreshes Refreshes of A's allocation"
[ "$refreshes" -ge 4 ] || fail "only $refreshes Refreshes of A's allocation in coturn's log (want >= 4 in ~12 s)"

# 5. ReleaseMapping: Refresh LIFETIME 0 and the session closed at once.
wait "$APID" || fail "A failed: $(tail -3 "$WORK/a.log")"
wait "$DPID" || fail "D failed: $(tail -3 "$WORK/d.log")"
grep -q "^released .*relayed_now=no" "$WORK/a.log" || fail "A: ReleaseMapping left the mapping relayed"
wait_line "$WORK/turnserver.log" "refreshed, realm=<$REALM>, username=<alice>, lifetime=0" 20 ||
  fail "coturn saw no deallocation (Refresh lifetime 0) of A's allocation"
# coturn stamps each line with its uptime in seconds: the allocation is
# deleted within 2 s of that Refresh (its timer runs every second), where
# the last Refresh had granted 600 s.
wait_line "$WORK/turnserver.log" "delete: realm=<$REALM>, username=<alice>" 20 ||
  fail "coturn did not delete A's allocation after ReleaseMapping"
t_release=$(grep "refreshed, realm=<$REALM>, username=<alice>, lifetime=0" "$WORK/turnserver.log" | head -1 | cut -d: -f1)
t_delete=$(grep "delete: realm=<$REALM>, username=<alice>" "$WORK/turnserver.log" | head -1 | cut -d: -f1)
echo "coturn: A's Refresh lifetime=0 at ${t_release} s, allocation deleted at ${t_delete} s (uptime)"
[ $((t_delete - t_release)) -le 2 ] || fail "A's allocation was deleted $((t_delete - t_release)) s after the release: expired, not released"
grep -q "delete: realm=<$REALM>, username=<dave>" "$WORK/turnserver.log" || fail "coturn did not delete D's allocation"
# The quota has room again: a new relayed mapping for alice at once.
lab_exec a "$TURN_AGENT" map --stun "$SERVER" --turn "$TURN" --user alice --password secret --remote "$TURN_IP:0" \
  >"$WORK/a-again.log" 2>&1 || fail "no relayed mapping after the release: $(cat "$WORK/a-again.log")"
echo "after release: $(cat "$WORK/a-again.log")"
grep -q "^ok relayed=yes external=$TURN_IP:" "$WORK/a-again.log" || fail "not relayed after the release"
echo "PASS: relayed mappings behind two symmetric NATs: RTP $total/$total each way sent, refreshed, quota and password errors, release frees the allocation"
