#!/usr/bin/env bash
# coturn's turnutils_stunclient (RFC 5389/5780 client) against pinholed, IPv4
# and IPv6: the reflexive address is the client's own loopback address, and
# RESPONSE-ORIGIN / OTHER-ADDRESS name the real sockets.
source "$(dirname "$0")/lib.sh"
need turnutils_stunclient
start_rfc5780
timeout 30 turnutils_stunclient -p "$PORT" 127.0.0.1 >"$WORK/v4" 2>&1 || fail "turnutils_stunclient IPv4 failed: $(cat "$WORK/v4")"
expect_line "UDP reflexive addr: 127.0.0.1:" "$WORK/v4"
expect_line "Response origin: : 127.0.0.1:$PORT" "$WORK/v4"
expect_line "Other addr: : 127.0.0.2:$ALT_PORT" "$WORK/v4"
# The change-IP-and-port request was answered from the alternate socket.
expect_line "Response origin: : 127.0.0.2:$ALT_PORT" "$WORK/v4"
# Never OTHER-ADDRESS equal to the primary address.
if grep -qF "Other addr: : 127.0.0.1:$PORT" "$WORK/v4"; then fail "OTHER-ADDRESS equals the primary address"; fi

timeout 30 turnutils_stunclient -p "$PORT" ::1 >"$WORK/v6" 2>&1 || fail "turnutils_stunclient IPv6 failed: $(cat "$WORK/v6")"
expect_line "IPv6. UDP reflexive addr: ::1:" "$WORK/v6"
echo "PASS: turnutils_stunclient IPv4 + IPv6"
