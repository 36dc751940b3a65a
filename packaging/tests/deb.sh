#!/usr/bin/env bash
# Builds the .deb packages with CPack from a release build (the
# packaging.release_build fixture) and inspects them as Debian would:
# the split (pinholed, libpinhole0, libpinhole-dev, pinhole-tools), file
# names, control fields, Depends (dpkg-shlibdeps), what a libpinhole0 user
# pulls in, the ldconfig trigger, conffile, no RPATH, and lintian.
# Usage: deb.sh BUILD_DIR SRC_DIR
set -euo pipefail
BUILD=$1
SRC=$(readlink -f "$2")
for t in cpack dpkg-deb dpkg-shlibdeps readelf lintian; do
  command -v "$t" >/dev/null || { echo "SKIP: $t missing (scripts/setup installs dpkg-dev, binutils, lintian)"; exit 77; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK" >"$WORK/cpack.log" 2>&1 || { cat "$WORK/cpack.log"; fail cpack; }
VER=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
ARCH=$(dpkg --print-architecture)
declare -A DEB
for p in pinholed libpinhole0 libpinhole-dev pinhole-tools; do
  DEB[$p]="$WORK/${p}_${VER}_${ARCH}.deb"
  [ -f "${DEB[$p]}" ] || { ls "$WORK"; fail "no ${p}_${VER}_${ARCH}.deb"; }
  echo "built $(basename "${DEB[$p]}") ($(stat -c %s "${DEB[$p]}") bytes)"
  # "-rw-r--r-- root/root 123 2026-12-01 12:00 ./usr/x" or "... ./usr/l -> target"
  dpkg-deb -c "${DEB[$p]}" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' >"$WORK/$p.files"
  dpkg-deb -x "${DEB[$p]}" "$WORK/root"
  dpkg-deb -e "${DEB[$p]}" "$WORK/control-$p"
done
[ "$(ls "$WORK"/*.deb | wc -l)" = 4 ] || fail "expected exactly 4 packages: $(ls "$WORK"/*.deb)"

# has PKG REGEX...: every regex matches some file of PKG.
has() {
  local p=$1; shift
  for re in "$@"; do grep -qE "^$re\$" "$WORK/$p.files" || { cat "$WORK/$p.files"; fail "$p lacks $re"; }; done
}
# only PKG REGEX: every file of PKG matches REGEX.
only() {
  if grep -vE "^($2)\$" "$WORK/$1.files"; then fail "$1 ships the files above, which belong elsewhere"; fi
}
doc='/usr/share/doc/PKG/(copyright|changelog\.gz)|/usr/share/lintian/overrides/PKG'
has pinholed /usr/sbin/pinholed /usr/lib/systemd/system/pinholed.service /usr/lib/systemd/system/pinholed.socket \
  /etc/pinhole/pinholed.json /usr/share/man/man8/pinholed.8.gz /usr/share/doc/pinholed/copyright /usr/share/doc/pinholed/changelog.gz
only pinholed "/usr/sbin/pinholed|/usr/lib/systemd/system/pinholed\.(service|socket)|/etc/pinhole/pinholed\.json|/usr/share/man/man8/pinholed\.8\.gz|${doc//PKG/pinholed}"
has libpinhole0 "/usr/lib/(.*/)?libpinhole\.so\.0" "/usr/lib/(.*/)?libpinhole\.so\.0\.[0-9.]+"
only libpinhole0 "/usr/lib/(.*/)?libpinhole\.so\.0(\.[0-9.]+)?|${doc//PKG/libpinhole0}"
has libpinhole-dev /usr/include/pinhole/pinhole.h /usr/include/pinhole/port_manager.hpp "/usr/lib/(.*/)?libpinhole\.so" \
  "/usr/lib/(.*/)?libpinhole\.a" "/usr/lib/(.*/)?pkgconfig/pinhole\.pc" "/usr/lib/(.*/)?cmake/pinhole/pinholeConfig\.cmake" \
  /usr/share/doc/pinhole/examples/echo_example.c
only libpinhole-dev "/usr/include/pinhole/.*|/usr/lib/(.*/)?(libpinhole\.so|libpinhole\.a|pkgconfig/pinhole\.pc|cmake/pinhole/.*)|/usr/share/doc/pinhole/examples/.*|${doc//PKG/libpinhole-dev}"
has pinhole-tools /usr/bin/pinhole-probe /usr/bin/pinhole-bench /usr/share/man/man1/pinhole-probe.1.gz /usr/share/man/man1/pinhole-bench.1.gz
only pinhole-tools "/usr/bin/pinhole-(probe|bench)|/usr/share/man/man1/pinhole-(probe|bench)\.1\.gz|${doc//PKG/pinhole-tools}"
echo "ok: the split (daemon / shared library / SDK / tools), file names <package>_${VER}_${ARCH}.deb"

field() { dpkg-deb -f "${DEB[$1]}" "$2"; }
for p in "${!DEB[@]}"; do
  [ "$(field "$p" Package)" = "$p" ] || fail "$p: Package field"
  m=$(field "$p" Maintainer); h=$(field "$p" Homepage)
  [[ "$m" =~ ^[^\<]+\ \<[^@\>]+@[^@\>]+\>$ ]] || fail "$p: Maintainer '$m'"
  [[ "$h" =~ ^https:// ]] || fail "$p: Homepage '$h'"
  if [[ "$m$h" == *example.* || "$m$h" == *.invalid* ]]; then fail "$p: placeholder Maintainer/Homepage: $m $h"; fi
done
synopses=$(for p in "${!DEB[@]}"; do field "$p" Description | head -1; done | sort -u | wc -l)
[ "$synopses" = 4 ] || fail "the packages share a synopsis: $(for p in "${!DEB[@]}"; do field "$p" Description | head -1; done)"
echo "ok: Maintainer $(field pinholed Maintainer), Homepage $(field pinholed Homepage)"

dep_pinholed=$(field pinholed Depends)
echo "pinholed Depends: $dep_pinholed"
for lib in libc6 libboost-program-options libsystemd0 libstdc++6; do
  [[ "$dep_pinholed" == *"$lib"* ]] || fail "pinholed Depends lacks $lib (dpkg-shlibdeps)"
done
# What a softphone linking libpinhole0 pulls in: neither Boost.Program_options
# nor libsystemd (the daemon's), not by Depends and not by DT_NEEDED.
dep_lib=$(field libpinhole0 Depends)
echo "libpinhole0 Depends: $dep_lib"
[[ "$dep_lib" == *libc6* && "$dep_lib" == *libstdc++6* ]] || fail "libpinhole0 Depends lacks libc6/libstdc++6"
if [[ "$dep_lib" == *boost* || "$dep_lib" == *systemd* || "$dep_lib" == *pinholed* ]]; then fail "libpinhole0 depends on $dep_lib"; fi
so=$(find "$WORK/root/usr/lib" -name 'libpinhole.so.0.*' -type f)
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "libpinhole.so NEEDED: $needed"
[[ "$needed" == *libc.so.6* ]] || fail "NEEDED lacks libc.so.6"
if [[ "$needed" == *boost* || "$needed" == *systemd* ]]; then fail "libpinhole.so needs $needed"; fi
readelf -d "$so" | grep -q 'SONAME.*\[libpinhole.so.0\]' || fail "SONAME is not libpinhole.so.0"
[[ "$(field libpinhole-dev Depends)" == *"libpinhole0 (= $VER)"* ]] || fail "libpinhole-dev Depends: $(field libpinhole-dev Depends)"
[[ "$(field pinhole-tools Depends)" == *"libpinhole0 (= $VER)"* ]] || fail "pinhole-tools Depends: $(field pinhole-tools Depends)"
echo "ok: Depends (libpinhole0 needs only libc6, libgcc-s1, libstdc++6 and libminiupnpc17)"

grep -qxF 'activate-noawait ldconfig' "$WORK/control-libpinhole0/triggers" || fail "libpinhole0 has no ldconfig trigger"
grep -q "^libpinhole 0 libpinhole0" "$WORK/control-libpinhole0/shlibs" || fail "libpinhole0 has no shlibs"
if grep -v '^#' "$WORK"/control-*/{preinst,postinst,prerm,postrm} 2>/dev/null | grep -w ldconfig; then
  fail "a maintainer script calls ldconfig (the trigger does)"
fi
for s in preinst postinst prerm postrm; do
  [ ! -e "$WORK/control-libpinhole0/$s" ] || fail "libpinhole0 has a $s (a library package needs none)"
done
grep -qxF /etc/pinhole/pinholed.json "$WORK/control-pinholed/conffiles" || fail "config is not a conffile"
for s in postinst prerm postrm; do [ -x "$WORK/control-pinholed/$s" ] || fail "pinholed has no $s"; done
echo "ok: ldconfig trigger, shlibs, conffile, maintainer scripts"

while read -r f; do
  if file -b "$f" | grep -q ELF && readelf -d "$f" | grep -Eq '\((RPATH|RUNPATH)\)'; then
    fail "${f#"$WORK/root"} has an RPATH: $(readelf -d "$f" | grep -E 'RPATH|RUNPATH')"
  fi
done < <(find "$WORK/root" -type f)
echo "ok: no RPATH/RUNPATH in any packaged binary"

libdir=$(dirname "$so")
"$WORK/root/usr/sbin/pinholed" --version | grep -q '^pinholed ' || fail "packaged pinholed does not run"
LD_LIBRARY_PATH="$libdir" "$WORK/root/usr/bin/pinhole-probe" --version >/dev/null || fail "packaged pinhole-probe does not run"
"$WORK/root/usr/bin/pinhole-bench" --help >/dev/null || fail "packaged pinhole-bench does not run"
echo "ok: packaged pinholed, pinhole-probe and pinhole-bench run"

# Lintian: no error, no warning that is not overridden; every override
# carries a comment saying why, and none is unused.
for p in "${!DEB[@]}"; do
  o="$SRC/packaging/debian/$p.lintian-overrides"
  [ -f "$o" ] || continue
  awk -v f="$o" '/^#/ { c = 1; next } /^[[:space:]]*$/ { c = 0; next }
    { if (!c) { print f ": override without a comment: " $0; bad = 1 } }
    END { exit bad }' "$o" || fail "uncommented lintian override"
done
status=0
lintian --info --display-level '>=info' --show-overrides --fail-on error,warning "${DEB[@]}" >"$WORK/lintian.log" 2>&1 || status=$?
cat "$WORK/lintian.log"
[ "$status" = 0 ] || fail "lintian reports errors or warnings (exit $status)"
if grep -E '^[EW]: ' "$WORK/lintian.log"; then fail "lintian errors/warnings above"; fi
if grep -E 'unused-override|mismatched-override' "$WORK/lintian.log"; then fail "stale lintian override"; fi
echo "ok: lintian $(lintian --version | awk '{print $2}'): no errors, no unjustified warnings ($(grep -c '^O: ' "$WORK/lintian.log" || true) overridden)"
