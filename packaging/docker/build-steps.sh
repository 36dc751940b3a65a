#!/usr/bin/env bash
# The build stage of packaging/docker/Dockerfile, as a script so CI can run
# exactly the same steps without a Docker engine:
#   build-steps.sh SRC_DIR DESTDIR [BUILD_DIR]
# Installs the build dependencies (apt, via scripts/setup --minimal), builds
# a release pinholed + pinhole-probe from SRC_DIR (no network beyond apt, no
# clone) with the packager's build (packaging/release-build.sh), and installs
# them with the units, config and man pages under DESTDIR.
set -euo pipefail
SRC=$(readlink -f "$1")
DEST=$2
BUILD=${3:-$(mktemp -d /tmp/pinhole-docker-build.XXXXXX)}

"$SRC/scripts/setup" --minimal
"$SRC/packaging/release-build.sh" "$SRC" "$BUILD"
DESTDIR="$DEST" cmake --install "$BUILD" --strip
"$DEST/usr/sbin/pinholed" --version
