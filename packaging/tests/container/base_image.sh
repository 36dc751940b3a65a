#!/usr/bin/env bash
# The base images packaging/docker/Dockerfile builds FROM (debian:12 and
# debian:12-slim), made locally: there is no registry to pull from here.
# A minimal Debian root filesystem (debootstrap --variant=minbase of this
# machine's release, from the machine's own Debian mirror) is tarred into
# CACHE_DIR (and a -slim one, made as Debian makes its own) and `podman
# import`ed under the names (localhost/debian:12 and
# localhost/debian:12-slim, which `podman build --pull=never` resolves the
# Dockerfile's short names to). The tarball is rebuilt only when missing (or
# made for another release); the images are re-imported when missing.
# Usage: base_image.sh CACHE_DIR PODMAN...   (PODMAN: the podman command line)
# Exit 77 when debootstrap is missing and nothing is cached.
set -euo pipefail
CACHE=${1%/}
shift
PODMAN=("$@")
say() { echo "base-image: $*" >&2; }
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9
. /etc/os-release
SUITE=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
TAR="$CACHE/$SUITE-minbase.tar"
SLIM="$CACHE/$SUITE-slim.tar"
fresh=""

if [ ! -s "$TAR" ] || [ ! -s "$SLIM" ]; then
  command -v debootstrap >/dev/null || { say "debootstrap missing (scripts/setup installs it)"; exit 77; }
  # The mirror: the machine's own apt source for SUITE (apt_mirror.sh).
  . "$(dirname "${BASH_SOURCE[0]}")/../apt_mirror.sh"
  MIRROR=$(apt_mirror "$SUITE")
  [ -n "$MIRROR" ] || { say "no apt source for '$SUITE' from a .../debian archive in /etc/apt"; exit 1; }
  TMP=$(mktemp -d "$CACHE/rootfs.tmp.XXXXXX")
  trap 'rm -rf --one-file-system "$TMP"' EXIT
  chmod 755 "$TMP"
  say "debootstrap $SUITE from $MIRROR (minbase) into $TMP"
  start=$(date +%s)
  if ! debootstrap --variant=minbase "$SUITE" "$TMP" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
    tail -n 30 "$CACHE/debootstrap.log" >&2
    say "debootstrap failed (log: $CACHE/debootstrap.log)"
    exit 1
  fi
  # As Debian's own images (debuerreotype): no downloaded .debs, package
  # lists or apt caches kept, apt pointed at the same mirror (the build's
  # apt-get update fetches the lists).
  rm -rf "$TMP"/var/cache/apt/archives/*.deb "$TMP"/var/cache/apt/*.bin "$TMP"/var/lib/apt/lists/*
  echo "deb $MIRROR $SUITE main" >"$TMP/etc/apt/sources.list"
  cat >"$TMP/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  tar --numeric-owner --xattrs -C "$TMP" -cf "$TAR.tmp" .
  # -slim, as Debian's: no documentation but the copyright files, no man
  # pages, no locales, and dpkg told to leave them out of later installs.
  cat >"$TMP/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
  find "$TMP/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$TMP/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$TMP"/usr/share/man/* "$TMP"/usr/share/groff/* "$TMP"/usr/share/info/* "$TMP"/usr/share/lintian/*
  find "$TMP/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  tar --numeric-owner --xattrs -C "$TMP" -cf "$SLIM.tmp" .
  mv "$TAR.tmp" "$TAR"
  mv "$SLIM.tmp" "$SLIM"
  fresh=1
  rm -rf --one-file-system "$TMP"
  trap - EXIT
  say "built $TAR and $SLIM in $(( $(date +%s) - start )) s ($(du -m "$TAR" | cut -f1) MB, $(du -m "$SLIM" | cut -f1) MB)"
fi

for pair in "debian:12 $TAR" "debian:12-slim $SLIM"; do
  set -- $pair
  if [ -n "$fresh" ] || ! "${PODMAN[@]}" image exists "localhost/$1"; then
    say "podman import $2 as localhost/$1"
    "${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' "$2" "localhost/$1" >/dev/null 2>&1 \
      || { say "podman import of $2 failed"; exit 1; }
  fi
done
say "cached $TAR, $SLIM; images localhost/debian:12, localhost/debian:12-slim"
