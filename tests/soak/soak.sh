#!/usr/bin/env bash
# Soak: mixed valid and invalid traffic at a bounded rate against pinholed on
# loopback, sampling its RSS and open fds (see soak.py for the pass criteria).
#   tests/soak/soak.sh DURATION_SECONDS RATE [PATH_TO_PINHOLED]
#   tests/soak/soak.sh 600 500                     # the 10-minute soak (not in CI)
#   VALGRIND=1 tests/soak/soak.sh 60 100 build-valgrind/daemon/pinholed
# VALGRIND=1 runs pinholed under valgrind --leak-check=full --error-exitcode=1
# (use a build without sanitizers: cmake -DPINHOLE_SANITIZE=OFF); the run then
# also fails on any valgrind error or leak.
set -euo pipefail
DURATION=${1:?usage: $0 DURATION_SECONDS RATE [PATH_TO_PINHOLED]}
RATE=${2:?usage: $0 DURATION_SECONDS RATE [PATH_TO_PINHOLED]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PINHOLED=${3:-$ROOT/build/debug/daemon/pinholed}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
WRAPPER=""
if [ -n "${VALGRIND:-}" ]; then
  command -v valgrind >/dev/null || { echo "soak: valgrind not installed"; exit 77; }
  WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 --track-fds=no"
fi
exec "$PY" "$ROOT/tests/soak/soak.py" "$PINHOLED" "$DURATION" "$RATE" --wrapper "$WRAPPER"
