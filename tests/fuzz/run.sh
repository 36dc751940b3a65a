#!/usr/bin/env bash
# Runs one libFuzzer target for N minutes (nightly-style; not part of CI).
#   tests/fuzz/run.sh TARGET MINUTES [libFuzzer flags...]
# TARGET: stun_decoder | request_handler | client_validator | config_loader.
# Builds the "fuzz" preset (clang) first. New inputs go to
# build/fuzz/fuzz-work/TARGET/corpus (the seeds in tests/fuzz/corpus/TARGET are
# read, never written), crashes to build/fuzz/fuzz-work/TARGET/artifacts/, the
# log to build/fuzz/fuzz-work/TARGET/log. Runs at low priority (nice), one
# job; the summary line gives executions, exec/s and coverage (cov = edges,
# ft = features). Exit code 1 if libFuzzer found a crash, leak or timeout.
set -euo pipefail
TARGET=${1:?usage: $0 TARGET MINUTES [libFuzzer flags...]}
MINUTES=${2:?usage: $0 TARGET MINUTES [libFuzzer flags...]}
shift 2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SEEDS="$ROOT/tests/fuzz/corpus/$TARGET"
[ -d "$SEEDS" ] || { echo "run.sh: no seed corpus $SEEDS"; exit 2; }
if [ -z "${NO_BUILD:-}" ]; then
  (cd "$ROOT" && cmake --preset fuzz >/dev/null && nice cmake --build --preset fuzz --target "fuzz_$TARGET" >/dev/null)
fi
BIN="$ROOT/build/fuzz/tests/fuzz/fuzz_$TARGET"
WORKDIR="$ROOT/build/fuzz/fuzz-work/$TARGET"
mkdir -p "$WORKDIR/corpus" "$WORKDIR/artifacts"
LOG="$WORKDIR/log"
echo "run.sh: fuzz_$TARGET for $MINUTES min; log $LOG"
set +e
nice -n 10 "$BIN" -max_total_time=$((MINUTES * 60)) -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$WORKDIR/artifacts/" "$@" "$WORKDIR/corpus" "$SEEDS" >"$LOG" 2>&1
rc=$?
set -e
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)" "$LOG" | tail -2 || true
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$LOG" || true
if [ "$rc" -ne 0 ]; then
  echo "run.sh: fuzz_$TARGET FAILED (exit $rc); artifacts:"
  ls -l "$WORKDIR/artifacts/"
  grep -E "invariant failed|ERROR: |SUMMARY" "$LOG" | head -5
  exit 1
fi
echo "run.sh: fuzz_$TARGET clean"
