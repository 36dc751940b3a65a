#!/usr/bin/env bash
# `cmake --install BUILD --prefix P` (issue #12 item 7):
#  1. writes nothing outside P: first staged (DESTDIR=S, so a stray absolute
#     path lands in S outside S/P instead of on this machine), then for real
#     with DESTDIR unset; every path in install_manifest.txt is under P;
#  2. the installed binaries run from P with no LD_LIBRARY_PATH
#     (pinhole-probe finds libpinhole.so.0 through RUNPATH $ORIGIN/../lib),
#     also after P is moved elsewhere;
#  3. the config is P/etc/pinhole/pinholed.json and pinholed accepts it;
#  4. no file is installed outside the components (= Debian packages).
# Usage: install_prefix.sh BUILD_DIR
set -euo pipefail
BUILD=$(readlink -f "$1")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
manifest="$BUILD/install_manifest.txt"

# outside ROOT: manifest entries not under ROOT/.
outside() { grep -v "^$1/" "$manifest" || true; }

P="$WORK/stage-prefix"
DESTDIR="$WORK/stage" cmake --install "$BUILD" --prefix "$P" >"$WORK/stage.log" 2>&1 || { cat "$WORK/stage.log"; fail "staged install"; }
stray=$(outside "$P")  # the manifest names paths without DESTDIR
[ -z "$stray" ] || fail "install writes outside the prefix: $stray"
strays=$(cd "$WORK/stage" && find . -type f | grep -v "^.$P/" || true)
[ -z "$strays" ] || fail "files outside the prefix: $strays"
echo "ok: staged install: $(wc -l <"$manifest") files, all under the prefix"

P="$WORK/prefix"
unset DESTDIR
cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "install"; }
stray=$(outside "$P")
[ -z "$stray" ] || fail "install wrote outside $P: $stray"
n=$(wc -l <"$manifest")
[ "$n" -gt 10 ] || fail "manifest lists only $n files"
echo "ok: install with --prefix and no DESTDIR: $n files, all under the prefix"

probe="$P/bin/pinhole-probe"
[ -x "$probe" ] || fail "no $probe"
readelf -d "$probe" | grep -E 'RUNPATH|RPATH' | grep -qF '$ORIGIN/' || fail "pinhole-probe has no \$ORIGIN RUNPATH: $(readelf -d "$probe" | grep -E 'RUNPATH|RPATH')"
env -u LD_LIBRARY_PATH "$probe" --version | grep -q 'pinhole-probe' || fail "installed pinhole-probe --version"
env -u LD_LIBRARY_PATH "$probe" --help >/dev/null || fail "installed pinhole-probe --help"
env -u LD_LIBRARY_PATH "$P/bin/pinhole-bench" --help >/dev/null || fail "installed pinhole-bench --help"
env -u LD_LIBRARY_PATH "$P/sbin/pinholed" --version | grep -q '^pinholed ' || fail "installed pinholed --version"
echo "ok: installed pinhole-probe ($(readelf -d "$probe" | sed -n 's/.*R.*PATH.*\[\(.*\)\]/\1/p')), pinhole-bench, pinholed run"

[ -f "$P/etc/pinhole/pinholed.json" ] || fail "config not in P/etc/pinhole"
"$P/sbin/pinholed" --check-config --config "$P/etc/pinhole/pinholed.json" || fail "installed config rejected"
echo "ok: config installed as P/etc/pinhole/pinholed.json"

# Every install() names its component (= Debian package), or the file
# would be in no .deb.
cmake --install "$BUILD" --prefix "$WORK/unspecified" --component Unspecified >/dev/null
[ ! -d "$WORK/unspecified" ] || fail "installed without a COMPONENT (so in no package): $(find "$WORK/unspecified" -type f)"
echo "ok: every installed file belongs to a component"

mv "$P" "$WORK/moved"
env -u LD_LIBRARY_PATH "$WORK/moved/bin/pinhole-probe" --version >/dev/null || fail "pinhole-probe does not run once the prefix moved"
echo "ok: the prefix is relocatable"
