#!/usr/bin/env bash
# bench/compare.sh: pinholed and coturn (turnserver --stun-only), one after
# the other, under the same pinhole-bench load on loopback; prints a Markdown
# table (offered and answered rate, loss, p99 latency, server CPU-us per
# request, and the coturn/pinholed ratio) plus the highest offered rate each
# server answers with < 0.1 % loss. Two more rows under the same load:
# pinholed with --coalesce-us, and pinhole-floor, the minimal responder that
# shows what the kernel alone costs per request on this machine (epoll, and
# on the same timer as the coalescing row). Not part of CI: it takes a few
# minutes and wants a quiet machine. See README, "Performance", for the method.
#
#   bench/compare.sh [--rate N] [--duration S] [--repeat N] [--sweep "R1 R2 ..."] [--sweep-duration S]
#                    [--coalesce-us US] [--build-dir DIR] [--out DIR] [--no-default-workers]
#   bench/compare.sh --netns [bench/compare_netns.sh's options]   (veth, socket path vs --xdp vs coturn)
#
# Each server is measured --repeat times (default 3) in interleaved rounds;
# the table shows medians, with the range of the CPU figure.
#
# Needs: scripts/setup (coturn, python3, iproute2) and a release build
# (cmake --preset release && cmake --build --preset release; built here if missing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build/release"
RATE=100000
DURATION=10
SWEEP="100000 150000 200000 250000 300000 350000 400000 500000"
SWEEP_DURATION=5
OUT=""
DEFAULT_WORKERS=1
COALESCE=500  # 0 = no coalescing/timer rows
REPEAT=3      # interleaved rounds at RATE; the table shows medians

die() { echo "compare.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --sweep) SWEEP=${2?}; shift 2 ;;
    --sweep-duration) SWEEP_DURATION=${2:?}; shift 2 ;;
    --build-dir) BUILD=$(cd "${2:?}" && pwd); shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --no-default-workers) DEFAULT_WORKERS=0; shift ;;
    --coalesce-us) COALESCE=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --netns) shift; exec "$ROOT/bench/compare_netns.sh" "$@" ;;  # over veth, with pinholed --xdp
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done

[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "--repeat: expected a positive integer, got $REPEAT"
[[ "$COALESCE" =~ ^[0-9]+$ ]] || die "--coalesce-us: expected an integer, got $COALESCE"

PINHOLED="$BUILD/daemon/pinholed"
BENCH="$BUILD/tools/bench/pinhole-bench"
FLOOR="$BUILD/bench/pinhole-floor"
if [ ! -x "$PINHOLED" ] || [ ! -x "$BENCH" ] || [ ! -x "$FLOOR" ]; then
  [ "$BUILD" = "$ROOT/build/release" ] || die "no pinholed/pinhole-bench/pinhole-floor in $BUILD"
  echo "compare.sh: building the release preset first" >&2
  (cd "$ROOT" && cmake --preset release >/dev/null && cmake --build --preset release >/dev/null)
fi
command -v turnserver >/dev/null || die "turnserver not found (scripts/setup installs coturn)"
command -v python3 >/dev/null || die "python3 not found (scripts/setup installs it)"

# CPUs: the generator gets the first, the server the last (the 2-core case:
# one each). Both are pinned so they never share a core.
NCPU=$(nproc)
[ "$NCPU" -ge 2 ] || die "needs at least 2 CPUs (generator and server on separate cores)"
GEN_CPU=0
SRV_CPU=$((NCPU - 1))
TCK=$(getconf CLK_TCK)
# As root, generator and servers run at nice -20 so that other work on a
# shared machine (builds, tests) barely takes their cores; same for both.
PRIO=()
if [ "$(id -u)" -eq 0 ]; then PRIO=(nice -n -20); fi

OUT=${OUT:-$(mktemp -d /tmp/pinhole-compare.XXXXXX)}
mkdir -p "$OUT"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# The results, the sweep's verdicts and the table: bench/report.py.
REPORT=(python3 "$ROOT/bench/report.py")
# A UDP port free on loopback right now (the tests' helper; the pair's first).
free_port() {
  local p _
  read -r p _ < <(python3 "$ROOT/tests/support/free_port_pair.py")
  echo "$p"
}

# utime + stime of the whole process (all threads), in clock ticks. The
# command name (field 2) may hold spaces, so count fields after the last ')'.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# start_server NAME CPU_LIST COMMAND... : runs it, waits until it answers.
start_server() {
  local name=$1 cpus=$2
  shift 2
  if [ "$cpus" = "all" ]; then
    "${PRIO[@]}" "$@" >"$OUT/$name.log" 2>&1 &
  else
    "${PRIO[@]}" taskset -c "$cpus" "$@" >"$OUT/$name.log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 1 50); do
    if "$BENCH" --server "127.0.0.1:$PORT" --rate 200 --duration 0.2 --drain-ms 200 --sockets 4 >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/$name.log" >&2; die "$name exited"; }
    sleep 0.1
  done
  die "$name does not answer on 127.0.0.1:$PORT"
}

stop_server() {
  cleanup
  SERVER_PID=""
}

# measure NAME RATE SECONDS TAG: one pinhole-bench run (pinned to GEN_CPU)
# with the server's CPU time read from /proc before and after; writes TAG.json.
measure() {
  local name=$1 rate=$2 secs=$3 tag=$4 before after
  sleep 1  # let the previous run's stragglers settle
  before=$(cpu_ticks "$SERVER_PID")
  "${PRIO[@]}" taskset -c "$GEN_CPU" "$BENCH" --server "127.0.0.1:$PORT" --rate "$rate" --duration "$secs" --json --busy-poll \
    >"$OUT/$tag.bench.json" || true
  after=$(cpu_ticks "$SERVER_PID")
  "${REPORT[@]}" record "$OUT/$tag.bench.json" "$((after - before))" "$TCK" "$name" >"$OUT/$tag.json"
}

# sweep NAME: offered rates in $SWEEP until loss >= 1 % twice in a row or the
# generator cannot offer the rate any more.
sweep() {
  local name=$1 over=0 rate
  for rate in $SWEEP; do
    measure "$name" "$rate" "$SWEEP_DURATION" "sweep-$name-$rate"
    case $("${REPORT[@]}" sweep-step "$OUT/sweep-$name-$rate.json" "$rate") in
      limit) return 0 ;;  # the generator cannot offer this rate
      lossy) over=$((over + 1)); [ "$over" -lt 2 ] || return 0 ;;
      *) over=0 ;;
    esac
  done
}

LOAD=$(cut -d' ' -f1 /proc/loadavg)
CPU_MODEL=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
COTURN_VERSION=$(turnserver --version 2>/dev/null | head -1 || echo "?")
{
  echo "machine: $CPU_MODEL, $NCPU CPUs, $(uname -sr), $(date -u +%FT%TZ), load average $LOAD"
  echo "generator: pinhole-bench --busy-poll on CPU $GEN_CPU; servers on CPU $SRV_CPU (taskset)${PRIO:+, both at nice -20}"
  echo "load: $RATE req/s for $DURATION s from 64 source ports; sweep $SWEEP_DURATION s per rate"
} | tee "$OUT/machine.txt" >&2
if awk -v l="$LOAD" 'BEGIN { exit !(l > 0.5) }'; then
  echo "compare.sh: warning: load average $LOAD; other processes will distort the numbers" >&2
fi

# The servers' command lines; @PORT@ becomes the port of each run.
PINHOLED_1W=("$PINHOLED" --listen "127.0.0.1:@PORT@" --workers 1 --log-level warning)
COTURN=(turnserver -n --stun-only --no-cli --no-tls --no-dtls -m 0 --listening-ip 127.0.0.1
  --listening-port "@PORT@" --log-file stdout --simple-log)

# launch NAME CPU_LIST COMMAND... : start_server on a fresh port.
launch() {
  local name=$1 cpus=$2
  shift 2
  PORT=$(free_port)
  local cmd=("$@")
  start_server "$name" "$cpus" "${cmd[@]//@PORT@/$PORT}"
}

# row NAME CPU_LIST COMMAND... : one measurement of a server at $RATE
# (round $ROUND), started on a fresh port and stopped afterwards.
row() {
  launch "$@"
  echo "round $ROUND: $1 on CPU $2, port $PORT" >&2
  measure "$1" "$RATE" "$DURATION" "$1-$RATE-r$ROUND"
  stop_server
}

# Rounds interleave the servers, so slow drift on the machine (other
# tenants of a VM) spreads over all of them instead of biasing one.
for ROUND in $(seq 1 "$REPEAT"); do
  row pinholed "$SRV_CPU" "${PINHOLED_1W[@]}"
  row coturn "$SRV_CPU" "${COTURN[@]}"
  # The kernel's floor on this machine: pinhole-floor does only the system
  # calls (epoll_wait, recvmmsg, sendmmsg) and writes a 32-byte answer.
  row floor "$SRV_CPU" "$FLOOR" --listen "127.0.0.1:@PORT@"
  if [ "$COALESCE" -gt 0 ]; then
    row pinholed-coalesce "$SRV_CPU" "${PINHOLED_1W[@]}" --coalesce-us "$COALESCE"
    row floor-timer "$SRV_CPU" "$FLOOR" --listen "127.0.0.1:@PORT@" --poll-us "$COALESCE"
  fi
  if [ "$DEFAULT_WORKERS" = 1 ]; then
    row pinholed-default all "$PINHOLED" --listen "127.0.0.1:@PORT@" --log-level warning
  fi
done

# The rate sweeps, once: pinholed (one worker) and coturn.
if [ -n "$SWEEP" ]; then
  launch pinholed "$SRV_CPU" "${PINHOLED_1W[@]}"
  sweep pinholed
  stop_server
  launch coturn "$SRV_CPU" "${COTURN[@]}"
  sweep coturn
  stop_server
fi

"${REPORT[@]}" table "$OUT" "$RATE" "$COALESCE" | tee "$OUT/table.md"
echo "raw results: $OUT" >&2
