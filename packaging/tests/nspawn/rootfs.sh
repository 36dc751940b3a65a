#!/usr/bin/env bash
# A minimal Debian root filesystem that boots systemd under systemd-nspawn,
# cached between runs. Prints the rootfs path on stdout (progress on stderr).
# Usage: rootfs.sh ROOTFS_DIR PACKAGE...
#
# It is reused when every PACKAGE is installed in it and ROOTFS_DIR/.pinhole-suite
# names this machine's release, else rebuilt: in a temp dir beside it, renamed
# into place only when debootstrap succeeded, so an interrupted run is never
# reused.
# The mirror and suite are the machine's own: the first apt source (one-line
# sources.list or deb822 .sources) that serves this release's codename from
# a .../debian archive (not -security). Nothing here needs the network once
# the rootfs is cached.
set -euo pipefail
ROOT=${1%/}
shift
PKGS=("$@")
CACHE=$(dirname "$ROOT")
say() { echo "rootfs: $*" >&2; }

# One builder at a time (another test run may share the cache).
mkdir -p "$CACHE"
exec 9>"$ROOT.lock"
flock 9
. /etc/os-release
SUITE=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
not_installed() {  # the PACKAGEs missing from $ROOT
  local p
  for p in "${PKGS[@]}"; do
    dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
      || echo "$p"
  done
}
if [ -x "$ROOT/usr/lib/systemd/systemd" ] && [ "$(cat "$ROOT/.pinhole-suite" 2>/dev/null)" = "$SUITE" ]; then
  missing=$(not_installed)
  if [ -z "$missing" ]; then
    say "cached $ROOT"
    echo "$ROOT"
    exit 0
  fi
  say "cached rootfs lacks: $(echo $missing); rebuilding"
fi

command -v debootstrap >/dev/null || { say "debootstrap missing (scripts/setup installs it)"; exit 77; }

# The mirror: the machine's own apt source for SUITE (apt_mirror.sh).
. "$(dirname "${BASH_SOURCE[0]}")/../apt_mirror.sh"
MIRROR=$(apt_mirror "$SUITE")
[ -n "$MIRROR" ] || { say "no apt source for '$SUITE' from a .../debian archive in /etc/apt"; exit 1; }

TMP=$(mktemp -d "$ROOT.tmp.XXXXXX")
chmod 755 "$TMP"  # it becomes the container's /: every user must reach /usr
trap 'rm -rf --one-file-system "$TMP"' EXIT
include=$(printf '%s\n' "${PKGS[@]}" | sort -u | paste -sd, -)
say "debootstrap $SUITE from $MIRROR (minbase + $include) into $TMP"
start=$(date +%s)
if ! debootstrap --variant=minbase --include="$include" "$SUITE" "$TMP" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1; then
  tail -n 30 "$ROOT.debootstrap.log" >&2
  say "debootstrap failed (log: $ROOT.debootstrap.log)"
  exit 1
fi
# No downloaded .debs or package lists kept: smaller, and nothing to fetch from.
rm -rf "$TMP"/var/cache/apt/archives/*.deb "$TMP"/var/lib/apt/lists/*
echo "$SUITE" >"$TMP/.pinhole-suite"
if [ -e "$ROOT" ]; then
  mv "$ROOT" "$TMP.old"
  rm -rf --one-file-system "$TMP.old"
fi
mv "$TMP" "$ROOT"
trap - EXIT
say "built $ROOT in $(( $(date +%s) - start )) s"
echo "$ROOT"
