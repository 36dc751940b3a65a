#!/usr/bin/env bash
# Compares the ABI of the built libpinhole.so with the committed baseline
# (libabigail: abidw + abidiff; Debian's abigail-tools, installed by
# scripts/setup). Only types reachable from the public headers count
# (--headers-dir).
#   abi_check.sh LIB BASELINE HEADERS_DIR            check
#   PINHOLE_ABI_UPDATE=1 abi_check.sh LIB BASELINE HEADERS_DIR   rewrite the baseline
#   abi_check.sh --selftest                          the verdicts on two tiny libraries
# abidiff's exit status is a bit field: 1 error, 2 usage error, 4 the ABI
# changed, 8 an incompatible change (a symbol removed). Bit 4 covers both a
# harmless added function and a harmful change of a public struct's layout,
# so the check runs abidiff twice: the full comparison, and one with
# --no-added-syms. Fails: bits 1, 2 or 8 in either, or bit 4 in the run that
# ignores additions (a struct, enum or signature changed). Passes with the
# report printed: additions only (bit 4 in the full run alone); the baseline
# should then be updated on purpose.
set -euo pipefail
for t in abidw abidiff; do
  command -v "$t" >/dev/null || { echo "abi_check: FAIL: $t missing (scripts/setup installs abigail-tools)"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verdict FULL_RC NO_ADDED_RC: 0 = pass, 1 = fail; prints why.
verdict() {
  local full=$1 changed=$2
  if (( (full | changed) & 3 )); then echo "abi_check: FAIL: abidiff could not compare (status $full/$changed)"; return 1; fi
  if (( (full | changed) & 8 )); then echo "abi_check: FAIL: incompatible ABI change: a symbol went away"; return 1; fi
  if (( changed & 4 )); then echo "abi_check: FAIL: a public type or signature changed"; return 1; fi
  if (( full & 4 )); then
    echo "abi_check: additions only (compatible): update the baseline on purpose (client_lib/abi/README.md)"
    return 0
  fi
  echo "abi_check: ABI identical to the baseline"
}
# compare OLD NEW: runs both abidiffs, prints the full report, returns verdict.
compare() {
  local full changed supp=()
  [ -n "${SUPPRESSIONS:-}" ] && supp=(--suppressions "$SUPPRESSIONS")
  set +e
  abidiff "${supp[@]}" "$1" "$2"; full=$?
  abidiff "${supp[@]}" --no-added-syms "$1" "$2" >/dev/null 2>&1; changed=$?
  set -e
  verdict "$full" "$changed"
}

if [ "${1:-}" = "--selftest" ]; then
  cc=${CC:-cc}
  mkdir "$tmp/h"
  printf 'struct s { int a; };\nint f(struct s*);\nint g(void);\n' >"$tmp/h/v1.h"
  printf '#include "v1.h"\nint f(struct s* p) { return p->a; }\nint g(void) { return 1; }\n' >"$tmp/v1.c"
  # v2: struct grew a field in front (incompatible) ...
  printf 'struct s { long z; int a; };\nint f(struct s*);\nint g(void);\n' >"$tmp/h/v2.h"
  printf '#include "v2.h"\nint f(struct s* p) { return p->a; }\nint g(void) { return 1; }\n' >"$tmp/v2.c"
  # ... v3: only a new function (compatible).
  printf 'struct s { int a; };\nint f(struct s*);\nint g(void);\nint h(void);\n' >"$tmp/h/v3.h"
  printf '#include "v3.h"\nint f(struct s* p) { return p->a; }\nint g(void) { return 1; }\nint h(void) { return 2; }\n' >"$tmp/v3.c"
  for v in v1 v2 v3; do
    "$cc" -g -shared -fPIC -I "$tmp/h" -o "$tmp/$v.so" "$tmp/$v.c"
    abidw --headers-dir "$tmp/h" --no-corpus-path --out-file "$tmp/$v.abi" "$tmp/$v.so"
  done
  compare "$tmp/v1.abi" "$tmp/v1.abi" >/dev/null || { echo "selftest: FAIL: identical libraries rejected"; exit 1; }
  if compare "$tmp/v1.abi" "$tmp/v2.abi" >/dev/null; then echo "selftest: FAIL: a changed struct was accepted"; exit 1; fi
  if compare "$tmp/v3.abi" "$tmp/v1.abi" >/dev/null; then echo "selftest: FAIL: a removed function was accepted"; exit 1; fi
  compare "$tmp/v1.abi" "$tmp/v3.abi" | grep -q "additions only" || { echo "selftest: FAIL: an added function was not passed as an addition"; exit 1; }
  echo "selftest: PASS (identical: pass, struct changed: fail, function removed: fail, function added: pass)"
  exit 0
fi

lib=${1:?usage: abi_check.sh LIB BASELINE HEADERS_DIR}
baseline=${2:?}
headers=${3:?}
# Fields appended to the size-prefixed structs are compatible by design.
SUPPRESSIONS="$(dirname "$baseline")/suppressions.abignore"
[ -f "$SUPPRESSIONS" ] || SUPPRESSIONS=""
abidw --headers-dir "$headers" --drop-private-types --no-corpus-path --no-comp-dir-path --no-show-locs \
  --type-id-style hash --out-file "$tmp/current.abi" "$lib"
if [ "${PINHOLE_ABI_UPDATE:-0}" = 1 ]; then
  mkdir -p "$(dirname "$baseline")"
  cp "$tmp/current.abi" "$baseline"
  echo "abi_check: baseline $baseline rewritten from $lib ($(grep -c '<elf-symbol ' "$baseline") symbols)"
  exit 0
fi
[ -f "$baseline" ] || { echo "abi_check: FAIL: no baseline $baseline (see client_lib/abi/README.md)"; exit 1; }
echo "abi_check: $(grep -c '<elf-symbol ' "$baseline") symbols in the baseline, $(grep -c '<elf-symbol ' "$tmp/current.abi") in $lib"
compare "$baseline" "$tmp/current.abi"
