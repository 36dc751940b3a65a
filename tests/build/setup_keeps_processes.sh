#!/usr/bin/env bash
# scripts/setup leaves the machine's processes and services alone (issue #11
# item 10): with a process named turnserver running (a copy of sleep started
# here), setup goes through its install path and the process is still alive.
# Setup never calls systemctl to stop or disable anything, and no daemon is
# started by the apt-get call: /usr/sbin/policy-rc.d answers 101 during it.
#
# apt-get, dpkg-query, debconf-set-selections and systemctl are stand-ins on
# PATH (nothing is installed; dpkg-query reports coturn missing so setup takes
# the install path). pkill/killall are the real ones. Each run is in its own
# PID and mount namespace, so a setup that kills by name can only reach the
# processes started here, never another test's turnserver. Run twice: with
# the machine's /usr/sbin (its policy-rc.d, if any, must stay untouched) and
# with an empty /usr/sbin (setup must write one for the call, then remove it).
# Usage: setup_keeps_processes.sh SRC_DIR
set -euo pipefail
SRC=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (PID/mount namespaces)"; exit 77; }
command -v unshare >/dev/null || { echo "SKIP: unshare missing (util-linux)"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/bin"
cat >"$WORK/bin/dpkg-query" <<'EOF'
#!/bin/sh
# Every package installed except coturn.
for a in "$@"; do last=$a; done
[ "$last" = coturn ] && exit 1
exec /usr/bin/dpkg-query "$@"
EOF
cat >"$WORK/bin/apt-get" <<'EOF'
#!/bin/sh
echo "apt-get $*" >>"$LOG"
if [ "$1" = install ] || [ "$2" = install ] || echo "$*" | grep -q ' install '; then
  if [ -x /usr/sbin/policy-rc.d ]; then
    /usr/sbin/policy-rc.d coturn start; echo "policy-rc.d coturn start -> $?" >>"$LOG"
  else
    echo "policy-rc.d absent" >>"$LOG"
  fi
fi
exit 0
EOF
printf '#!/bin/sh\necho "debconf-set-selections" >>"$LOG"; cat >/dev/null\n' >"$WORK/bin/debconf-set-selections"
printf '#!/bin/sh\necho "systemctl $*" >>"$LOG"\n' >"$WORK/bin/systemctl"
chmod +x "$WORK/bin/"*
cp "$(command -v sleep)" "$WORK/turnserver"

# run NAME SBIN_MODE: one setup run in fresh PID + mount namespaces.
run() {
  local name=$1 mode=$2
  export LOG="$WORK/$name.log"
  : >"$LOG"
  unshare --pid --mount --fork --mount-proc env PATH="$WORK/bin:$PATH" LOG="$LOG" bash -c '
    set -euo pipefail
    if [ "$1" = empty-sbin ]; then mount -t tmpfs tmpfs /usr/sbin; fi
    before=$(sha256sum /usr/sbin/policy-rc.d 2>/dev/null || echo none)
    "$2/turnserver" 600 &
    pid=$!
    sleep 0.2
    [ "$(cat /proc/$pid/comm)" = turnserver ] || { echo "FAIL: dummy is not named turnserver"; exit 1; }
    "$3/scripts/setup" >"$LOG.setup" 2>&1 || { cat "$LOG.setup"; echo "FAIL: setup exited $?"; exit 1; }
    cat "$LOG.setup"
    if ! kill -0 "$pid" 2>/dev/null; then echo "FAIL: setup killed the running turnserver (pid $pid)"; exit 1; fi
    after=$(sha256sum /usr/sbin/policy-rc.d 2>/dev/null || echo none)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "before=$before" >>"$LOG"; echo "after=$after" >>"$LOG"
  ' run "$mode" "$WORK" "$SRC"
  cat "$LOG"
  grep -q '^apt-get install .*coturn' "$LOG" || { echo "FAIL: setup did not take its install path"; exit 1; }
  if grep -E '^systemctl .*(stop|disable|kill|mask)' "$LOG"; then echo "FAIL: setup stopped or disabled a service"; exit 1; fi
  grep -q '^policy-rc.d coturn start -> 101$' "$LOG" \
    || { echo "FAIL: during apt-get install no policy-rc.d forbade starting services"; exit 1; }
}

run machine-sbin machine
b=$(sed -n 's/^before=//p' "$WORK/machine-sbin.log"); a=$(sed -n 's/^after=//p' "$WORK/machine-sbin.log")
[ "$a" = "$b" ] || { echo "FAIL: setup changed the machine's policy-rc.d ($b -> $a)"; exit 1; }
echo "ok: turnserver still running after setup; policy-rc.d as before ($b)"

run empty-sbin empty-sbin
grep -qx 'before=none' "$WORK/empty-sbin.log" && grep -qx 'after=none' "$WORK/empty-sbin.log" \
  || { echo "FAIL: setup left a policy-rc.d behind"; exit 1; }
echo "ok: without a policy-rc.d, setup forbade service starts for its apt-get call only"
