#!/usr/bin/env bash
# Builds the .deb with CPack from a build directory and inspects it.
# Usage: deb.sh BUILD_DIR
set -euo pipefail
BUILD=$1
command -v cpack >/dev/null && command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null \
  || { echo "SKIP: cpack/dpkg-deb/dpkg-shlibdeps missing (scripts/setup installs dpkg-dev)"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK" >"$WORK/cpack.log" 2>&1 || { cat "$WORK/cpack.log"; fail cpack; }
deb=$(ls "$WORK"/*.deb)
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"
dpkg-deb -c "$deb" | awk '{print $NF}' >"$WORK/contents"
for f in ./usr/sbin/pinholed ./usr/lib/systemd/system/pinholed.service ./usr/lib/systemd/system/pinholed.socket \
         ./etc/pinhole/pinholed.json ./usr/share/man/man8/pinholed.8 ./usr/share/man/man1/pinhole-probe.1; do
  grep -qxF "$f" "$WORK/contents" || { cat "$WORK/contents"; fail "missing $f"; }
done
if grep -q pinhole-probe "$BUILD/CMakeCache.txt" 2>/dev/null || [ -e "$BUILD/tools/probe/pinhole-probe" ]; then
  grep -qxF ./usr/bin/pinhole-probe "$WORK/contents" || fail "missing ./usr/bin/pinhole-probe"
fi
echo "ok: binaries, units, config and man pages in the package"

dpkg-deb -I "$deb" >"$WORK/info"
grep -q '^ Package: pinhole$' "$WORK/info" || fail "package name"
grep -q '^ Maintainer: ' "$WORK/info" || fail "maintainer"
depends=$(sed -n 's/^ Depends: //p' "$WORK/info")
echo "Depends: $depends"
for lib in libc6 libboost-program-options libsystemd0 libstdc++6; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib (dpkg-shlibdeps)"
done
dpkg-deb -e "$deb" "$WORK/control"
grep -qxF /etc/pinhole/pinholed.json "$WORK/control/conffiles" || fail "config is not a conffile"
echo "ok: control (Depends via shlibdeps, conffiles, maintainer scripts)"

dpkg-deb -x "$deb" "$WORK/root"
"$WORK/root/usr/sbin/pinholed" --version | grep -q '^pinholed ' || fail "packaged pinholed does not run"
man -l "$WORK/root/usr/share/man/man8/pinholed.8" >/dev/null 2>&1 || command -v man >/dev/null || true
echo "ok: packaged pinholed runs"
