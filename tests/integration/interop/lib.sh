# Shared by the interop scripts: start pinholed on free ports, stop it on exit.
# Usage: source lib.sh; start_pinholed [extra flags...]; then $PORT/$ALT_PORT.
set -euo pipefail

PINHOLED=${1:?usage: $0 PATH_TO_PINHOLED}
WORK=$(mktemp -d /tmp/pinhole-interop.XXXXXX)
PINHOLED_PID=""

cleanup() {
  if [ -n "$PINHOLED_PID" ] && kill -0 "$PINHOLED_PID" 2>/dev/null; then
    kill -TERM "$PINHOLED_PID" 2>/dev/null || true
    wait "$PINHOLED_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() {
  echo "FAIL: $*"
  [ -f "$WORK/pinholed.log" ] && { echo "--- pinholed log:"; cat "$WORK/pinholed.log"; }
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (scripts/setup installs it)"; }

# Two UDP ports that are free on 127.0.0.1 and 127.0.0.2 (and ::1).
pick_ports() {
  read -r PORT ALT_PORT < <(python3 "$(dirname "${BASH_SOURCE[0]}")/../../support/free_port_pair.py")
}

# start_pinholed FLAGS... : runs pinholed in the background and waits for it
# to log "started".
start_pinholed() {
  "$PINHOLED" "$@" >"$WORK/pinholed.log" 2>&1 &
  PINHOLED_PID=$!
  for _ in $(seq 1 100); do
    grep -q "event=started" "$WORK/pinholed.log" 2>/dev/null && return 0
    kill -0 "$PINHOLED_PID" 2>/dev/null || fail "pinholed exited early"
    sleep 0.05
  done
  fail "pinholed did not start"
}

start_rfc5780() {
  pick_ports
  start_pinholed --rfc5780-primary 127.0.0.1 --rfc5780-alternate 127.0.0.2 \
    --primary-port "$PORT" --alternate-port "$ALT_PORT" --listen "[::1]:$PORT" "$@"
}

# expect_line TEXT FILE : FILE must contain TEXT (fixed string).
expect_line() { grep -qF -- "$1" "$2" || { echo "--- output:"; cat "$2"; fail "expected: $1"; }; }
