#!/usr/bin/env bash
# bench/compare_netns.sh (also `bench/compare.sh --netns ...`): the same
# pinhole-bench load over a veth pair between two network namespaces against
# pinholed's socket path, pinholed --xdp (native XDP on the server's veth)
# and coturn (turnserver --stun-only). For each run: the machine's total CPU
# time per answered request from /proc/stat (all CPUs: user, nice, system,
# irq, softirq, steal; the generator included), the generator's own share
# (its rusage), loss and p99. Runs are interleaved (socket, xdp, coturn,
# socket, ...) and the table shows medians. Not part of CI; needs root.
#
#   bench/compare_netns.sh [--rate N] [--duration S] [--repeat N] [--high-rate N] [--receive xdp|socket]
#                          [--build-dir DIR] [--out DIR]
#
# --high-rate (default 250000): one more run of pinholed --xdp per round at
# that offered rate, for loss and p99 under load, from two generators side by
# side (half the rate each, each in its own namespace on its own veth to the
# server, one CPU each): one generator's CPU, which also runs the veth
# delivery and the server's XDP program for what it sends, tops out below
# it.
#
# --receive (default xdp): how the generator takes the answers. xdp:
# pinhole-bench --xdp-receive eth0, which checks, time-stamps and drops them
# in XDP on its own veth, so the table counts the server and the generator's
# sending but not the generator's socket receive path (skb, UDP, recvmmsg:
# 2.2-2.8 us a request on the README's machine), the same for every server.
# socket: through its sockets, as on loopback.
#
# The generator's veth runs an XDP_PASS program (XDP_TX on veth only reaches
# a peer that runs XDP) and has tx checksum offload off (the XDP program
# checks UDP checksums, as the kernel does; veth otherwise leaves them
# partial). Both apply to every server alike.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build/release"
RATE=100000
HIGH=250000
DURATION=10
REPEAT=3
RECEIVE=xdp
OUT=""
die() { echo "compare_netns.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE=${2:?}; shift 2 ;;
    --high-rate) HIGH=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --receive) RECEIVE=${2:?}; shift 2 ;;
    --build-dir) BUILD=$(cd "${2:?}" && pwd); shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
case "$RECEIVE" in xdp) RX=(--xdp-receive eth0) ;; socket) RX=() ;; *) die "--receive: xdp or socket, got $RECEIVE" ;; esac
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, XDP)"
PINHOLED="$BUILD/daemon/pinholed"
BENCH="$BUILD/tools/bench/pinhole-bench"
PASS_OBJ="$BUILD/daemon/xdp_pass.bpf.o"
for f in "$PINHOLED" "$BENCH" "$PASS_OBJ"; do [ -e "$f" ] || die "missing $f (cmake --build --preset release)"; done
command -v turnserver >/dev/null || die "turnserver not found (scripts/setup installs coturn)"
OUT=${OUT:-$(mktemp -d /tmp/compare-netns.XXXXXX)}
mkdir -p "$OUT"

ID=${LAB_ID:-pb$$}
S=$ID-srv
G=$ID-gen
G2=$ID-gen2
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
teardown() {
  cleanup
  ip netns del "$S" 2>/dev/null || true
  ip netns del "$G" 2>/dev/null || true
  ip netns del "$G2" 2>/dev/null || true
}
trap teardown EXIT
source "$ROOT/tests/netns/veth_pair.sh"
veth_pair "$S" "$G" "${ID}v" "$PASS_OBJ"
veth_client "$S" "$G2" "${ID}w" "$PASS_OBJ" eth1 203.0.113 2001:db8:17

start() {  # start NAME COMMAND...: in the server namespace, waits for its port
  local name=$1
  shift
  ip netns exec "$S" "$@" >"$OUT/$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    ip netns exec "$G" "$BENCH" --server 198.51.100.1:3478 --rate 200 --duration 0.2 --drain-ms 200 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$name did not answer"
}

# measure NAME RATE TAG [GENERATORS]: one run (from 1 or 2 generators,
# RATE in all); writes TAG.json.
measure() {
  local name=$1 rate=$2 tag=$3 gens=${4:-1}
  local cmd=(ip netns exec "$G" "$BENCH" --server 198.51.100.1:3478 --rate $((rate / gens)) --duration "$DURATION"
    "${RX[@]}" --json)
  if [ "$gens" -eq 2 ]; then
    cmd+=(--- ip netns exec "$G2" "$BENCH" --server 203.0.113.1:3478 --rate $((rate / gens)) --duration "$DURATION"
      "${RX[@]}" --json)
  fi
  sleep 1
  python3 "$ROOT/bench/netns_measure.py" "$name" "$rate" "$SERVER_PID" "${cmd[@]}" >"$OUT/$tag.json"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"  {r['server']:<16} {r['offered_rps']:>8.0f}/s  total {r['total_us_per_req']:.2f} us/req (generator {r['gen_us_per_req']:.2f}, attributed {r['attributed_us_per_req']:.2f})  loss {r['loss_pct']:.4f} %  p99 {r['p99_us']:.0f} us\", file=sys.stderr)" "$OUT/$tag.json"
}

PINHOLED_CMD=("$PINHOLED" --listen 0.0.0.0:3478 --workers 1 --log-level warning)
COTURN_CMD=(turnserver -n --stun-only --no-cli --no-tls --no-dtls -m 0 --listening-ip 198.51.100.1
  --listening-port 3478 --log-file stdout --simple-log)
{
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs, $(uname -sr), $(date -u +%FT%TZ), load average $(cut -d' ' -f1 /proc/loadavg)"
  echo "load: pinhole-bench $RATE req/s for $DURATION s over veth (netns $G -> $S), $REPEAT interleaved rounds, answers received by $RECEIVE"
} | tee "$OUT/machine.txt" >&2
for round in $(seq "$REPEAT"); do
  echo "round $round" >&2
  start socket "${PINHOLED_CMD[@]}"
  measure "pinholed" "$RATE" "socket-r$round"
  cleanup
  start xdp "${PINHOLED_CMD[@]}" --xdp eth0 --xdp eth1 --xdp-required
  measure "pinholed --xdp" "$RATE" "xdp-r$round"
  measure "pinholed --xdp" "$HIGH" "xdphigh-r$round" 2
  cleanup
  start coturn "${COTURN_CMD[@]}"
  measure "coturn" "$RATE" "coturn-r$round"
  cleanup
done
python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = [("pinholed (socket path)", "socket"), ("pinholed --xdp", "xdp"), ("coturn --stun-only", "coturn"),
        ("pinholed --xdp, high rate, 2 generators", "xdphigh")]
runs = {k: [json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, f"{k}-r*.json")))] for _, k in rows}
med = lambda k, f: statistics.median(r[f] for r in runs[k]) if runs[k] else float("nan")
base = med("socket", "total_us_per_req")
abase = med("socket", "attributed_us_per_req")
print("| server | offered req/s | answered req/s | loss % | p99 us | total CPU us/req (all CPUs) | generator us/req | vs socket path | attributed us/req (gen + server + irq/softirq) | vs socket path |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for label, k in rows:
    if not runs[k]:
        continue
    t = med(k, "total_us_per_req")
    lo = min(r["total_us_per_req"] for r in runs[k]); hi = max(r["total_us_per_req"] for r in runs[k])
    print(f"| {label} | {med(k, 'offered_rps'):.0f} | {med(k, 'rps'):.0f} | {med(k, 'loss_pct'):.4f} | {med(k, 'p99_us'):.0f} "
          f"| {t:.2f} ({lo:.2f}-{hi:.2f}) | {med(k, 'gen_us_per_req'):.2f} | {t / base:.2f}x "
          f"| {med(k, 'attributed_us_per_req'):.2f} | {med(k, 'attributed_us_per_req') / abase:.2f}x |")
PY
echo "results in $OUT" >&2
