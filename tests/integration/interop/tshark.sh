#!/usr/bin/env bash
# Captures pinholed's answers to real clients (RFC 5389, RFC 5780 change
# requests, padding, classic RFC 3489, and error responses) and has
# Wireshark's dissector check them: every packet must decode as STUN with no
# malformed-packet or warning/error expert info.
source "$(dirname "$0")/lib.sh"
need tshark
need turnutils_stunclient
[ "$(id -u)" -eq 0 ] || skip "capturing on lo needs root"
start_rfc5780
tshark -q -i lo -f "udp and (port $PORT or port $ALT_PORT)" -w "$WORK/cap.pcapng" >"$WORK/tshark.log" 2>&1 &
TSHARK_PID=$!
for _ in $(seq 1 100); do grep -q "Capturing on" "$WORK/tshark.log" && break; sleep 0.1; done
sleep 0.5
timeout 20 turnutils_stunclient -p "$PORT" 127.0.0.1 >/dev/null 2>&1 || true
timeout 20 turnutils_natdiscovery -m -P -p "$PORT" 127.0.0.1 >/dev/null 2>&1 || true
command -v stun >/dev/null && timeout 20 stun "127.0.0.1:$PORT" >/dev/null 2>&1 || true
# An unknown comprehension-required attribute (0x0055) -> 420 with UNKNOWN-ATTRIBUTES,
# and a malformed attribute -> 400.
python3 - "$PORT" <<'PY'
import os, socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
def req(body):
    return struct.pack("!HHI", 1, len(body), 0x2112A442) + os.urandom(12) + body
for body in (struct.pack("!HHI", 0x0055, 4, 1), struct.pack("!HH", 0x8022, 0x100) + b"ABCD"):
    s.sendto(req(body), ("127.0.0.1", port))
    s.recvfrom(2048)
PY
sleep 1
kill -INT "$TSHARK_PID"; wait "$TSHARK_PID" 2>/dev/null || true
DECODE=(-r "$WORK/cap.pcapng" -d "udp.port==$PORT,stun" -d "udp.port==$ALT_PORT,stun")
FROM_US="(udp.srcport == $PORT or udp.srcport == $ALT_PORT)"
count() { tshark "${DECODE[@]}" -Y "$1" 2>/dev/null | wc -l; }
requests=$(count "(stun or classicstun) and not $FROM_US")
responses=$(count "(stun or classicstun) and $FROM_US")
classic=$(count "classicstun and $FROM_US")
errors=$(count "stun.att.error.class and $FROM_US")
# Only pinholed's own packets are judged: the crafted requests are meant to be odd.
bad=$(count "$FROM_US and (_ws.malformed or _ws.expert.severity >= 6291456 or not (stun or classicstun))")
echo "requests: $requests, pinholed responses: $responses (classic: $classic, errors: $errors), malformed/warnings: $bad"
[ "$responses" -ge 10 ] || fail "too few pinholed responses captured ($responses)"
[ "$responses" -eq "$requests" ] || fail "every request must get exactly one response ($requests requests, $responses responses)"
[ "$classic" -ge 4 ] || fail "the classic RFC 3489 responses were not captured ($classic)"
[ "$errors" -eq 2 ] || fail "expected the 420 and the 400 error responses ($errors)"
if [ "$bad" -ne 0 ]; then
  tshark "${DECODE[@]}" -Y "$FROM_US and (_ws.malformed or _ws.expert.severity >= 6291456)" -V 2>/dev/null | head -80
  fail "Wireshark flagged $bad of pinholed's packets"
fi
# Spot-check the decoded fields of one RFC 5780 response.
tshark "${DECODE[@]}" -Y "stun.att.type == 0x802c" -V 2>/dev/null >"$WORK/v"
expect_line "OTHER-ADDRESS" "$WORK/v"
expect_line "RESPONSE-ORIGIN" "$WORK/v"
expect_line "XOR-MAPPED-ADDRESS" "$WORK/v"
echo "PASS: tshark decodes every pinholed response cleanly"
