#!/usr/bin/env bash
# Classic RFC 3489 client (Debian's stun-client, Vovida "stun") against pinholed
# in RFC 5780 mode on 127.0.0.1/127.0.0.2: all four classic tests succeed and
# loopback is classified as "Open" (no NAT).
source "$(dirname "$0")/lib.sh"
need stun
start_rfc5780
timeout 30 stun "127.0.0.1:$PORT" -v >"$WORK/out" 2>&1 || true
expect_line "test I = 1" "$WORK/out"
expect_line "test II = 1" "$WORK/out"
expect_line "test III = 1" "$WORK/out"
expect_line "is nat  = 0" "$WORK/out"
expect_line "Primary: Open" "$WORK/out"
# The classic client read MAPPED-ADDRESS and CHANGED-ADDRESS from our replies.
expect_line "mapped IP same = 1" "$WORK/out"
echo "PASS: stun (RFC 3489) reports Open against pinholed"
