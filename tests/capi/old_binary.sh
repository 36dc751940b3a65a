#!/usr/bin/env bash
# Builds tests/capi/old_binary.c against libpinhole 0.1's header and runs it
# against the built libpinhole.so.0 and a live pinholed on loopback.
#   old_binary.sh CC PINHOLED LIBPINHOLE SANITIZE_FLAGS
set -euo pipefail
cc=$1 pinholed=$2 lib=$3 flags=${4:-}
here=$(dirname "$0")
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -pedantic -Werror $flags -I "$here/v0.1" -o "$tmp/old_binary" "$here/old_binary.c" \
  "$lib" -Wl,-rpath,"$(dirname "$lib")"
read -r port _ < <(python3 "$here/../support/free_port_pair.py")
"$pinholed" --listen "127.0.0.1:$port" --workers 1 --log-level warning >"$tmp/pinholed.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  python3 - "$port" <<'PY' && break
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.1)
s.sendto(bytes.fromhex("000100002112a442") + bytes(12), ("127.0.0.1", int(sys.argv[1])))
try: s.recvfrom(1500)
except OSError: sys.exit(1)
PY
  sleep 0.05
done
"$tmp/old_binary" "127.0.0.1:$port"
