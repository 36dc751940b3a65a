#!/usr/bin/env bash
# The systemd units: systemd-analyze verify (syntax, referenced binaries),
# systemd-analyze security (offline exposure score, must stay <= 2.0), the
# hardening the README promises, and the packaged config with the binary.
# Usage: systemd_units.sh PACKAGING_DIR PINHOLED
set -euo pipefail
PKG=$1
PINHOLED=$(readlink -f "$2")
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze missing (package systemd)"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# verify wants ExecStart= to exist: point it at the built binary.
sed "s|/usr/sbin/pinholed|$PINHOLED|" "$PKG/systemd/pinholed.service" >"$WORK/pinholed.service"
cp "$PKG/systemd/pinholed.socket" "$WORK/"
(cd "$WORK" && systemd-analyze verify --man=no ./pinholed.service ./pinholed.socket) || fail "systemd-analyze verify"
echo "ok: systemd-analyze verify"

out=$(cd "$WORK" && systemd-analyze security --offline=yes ./pinholed.service 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for pinholed.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { printf '%s\n' "$out"; fail "no exposure score"; }
echo "systemd-analyze security --offline=yes: exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score > 2.0"

for d in Type=notify DynamicUser=yes ProtectSystem=strict PrivateTmp=yes \
         "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" SystemCallFilter=@system-service \
         MemoryDenyWriteExecute=yes CapabilityBoundingSet= NoNewPrivileges=yes WatchdogSec= \
         "ExecReload=/bin/sh -c 'kill -HUP \"\$MAINPID\"'"; do
  grep -qxF -- "$d" "$PKG/systemd/pinholed.service" || grep -q -- "^$d" "$PKG/systemd/pinholed.service" \
    || fail "pinholed.service lacks $d"
done
for d in ListenDatagram=0.0.0.0:3478 "ListenDatagram=[::]:3478" BindIPv6Only=ipv6-only; do
  grep -qxF -- "$d" "$PKG/systemd/pinholed.socket" || fail "pinholed.socket lacks $d"
done
echo "ok: hardening and socket directives present"

"$PINHOLED" --check-config --config "$PKG/config/pinholed.json" || fail "packaged config does not pass --check-config"
echo "ok: packaged /etc/pinhole/pinholed.json is valid"
