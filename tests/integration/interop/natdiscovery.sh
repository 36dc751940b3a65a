#!/usr/bin/env bash
# coturn's turnutils_natdiscovery runs the RFC 5780 mapping, filtering and
# hairpinning tests (and mapping with 1500-byte PADDING) against pinholed.
# On loopback there is no NAT, so the correct answers are endpoint-independent
# mapping and filtering, and a received hairpin.
source "$(dirname "$0")/lib.sh"
need turnutils_natdiscovery
start_rfc5780
timeout 60 turnutils_natdiscovery -m -f -p "$PORT" 127.0.0.1 >"$WORK/mf" 2>&1 || fail "natdiscovery failed: $(cat "$WORK/mf")"
expect_line "NAT with Endpoint Independent Mapping!" "$WORK/mf"
expect_line "NAT with Endpoint Independent Filtering!" "$WORK/mf"
expect_line "No ALG: Mapped == XOR-Mapped" "$WORK/mf"
timeout 60 turnutils_natdiscovery -H -p "$PORT" 127.0.0.1 >"$WORK/h" 2>&1 || fail "hairpin test failed: $(cat "$WORK/h")"
expect_line "successful hairpinning" "$WORK/h"
timeout 60 turnutils_natdiscovery -m -P -p "$PORT" 127.0.0.1 >"$WORK/p" 2>&1 || fail "padding test failed: $(cat "$WORK/p")"
expect_line "NAT with Endpoint Independent Mapping!" "$WORK/p"
echo "PASS: turnutils_natdiscovery mapping, filtering, hairpinning, padding"
