#!/usr/bin/env bash
# The clang build (CMakePresets.json "clang", which .ci/run builds): every
# library, daemon and tool source is compiled by clang++ with -Werror, and
# the build succeeds.
# Usage: clang_werror.sh SRC_DIR
set -euo pipefail
SRC=$(readlink -f "$1")
cd "$SRC"
command -v clang++ >/dev/null || { echo "FAIL: clang++ missing (scripts/setup installs clang)"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
BUILD="$SRC/build/clang"
cmake --preset clang >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; fail "cmake --preset clang"; }
cmake --build --preset clang >"$BUILD.build.log" 2>&1 || { tail -60 "$BUILD.build.log"; fail "cmake --build --preset clang"; }
grep -q 'CMAKE_CXX_COMPILER_ID:.*Clang\|^CMAKE_CXX_COMPILER:.*clang++' "$BUILD/CMakeCache.txt" || fail "not a clang build"
python3 - "$BUILD/compile_commands.json" "$SRC" <<'PY'
import json, sys, os
cmds, src = json.load(open(sys.argv[1])), sys.argv[2]
dirs = ("protocol/", "daemon/", "client_lib/", "tools/")
seen = {d: 0 for d in dirs}
for c in cmds:
    rel = os.path.relpath(c["file"], src)
    d = next((d for d in dirs if rel.startswith(d)), None)
    if d is None:
        continue
    args = c.get("command", " ".join(c.get("arguments", [])))
    # the compiler is the first word, or the second after a launcher (ccache)
    if not any(os.path.basename(w).startswith("clang") for w in args.split()[:2]):
        sys.exit(f"FAIL: {rel} not compiled by clang: {args[:120]}")
    if "-Werror" not in args.split():
        sys.exit(f"FAIL: {rel} compiled without -Werror")
    seen[d] += 1
missing = [d for d, n in seen.items() if n == 0]
if missing:
    sys.exit(f"FAIL: nothing compiled under {missing}")
print("ok: clang++ -Werror compiled " + ", ".join(f"{n} in {d}" for d, n in seen.items()))
PY
for f in daemon/pinholed tools/probe/pinhole-probe tools/bench/pinhole-bench client_lib/libpinhole.so.0; do
  [ -e "$BUILD/$f" ] || fail "clang build lacks $f"
done
"$BUILD/daemon/pinholed" --version
echo "ok: clang build of pinholed, libpinhole, pinhole-probe and pinhole-bench"
