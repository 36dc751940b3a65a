#!/usr/bin/env bash
# The build stage of packaging/docker/Dockerfile, as a script so CI can run
# exactly the same steps without a Docker engine:
#   build-steps.sh SRC_DIR DESTDIR [BUILD_DIR]
# Installs the build dependencies (apt, via scripts/setup --minimal), builds
# a release pinholed + pinhole-probe from SRC_DIR (no network beyond apt, no
# clone), and installs them with the units, config and man pages under DESTDIR.
set -euo pipefail
SRC=$(readlink -f "$1")
DEST=$2
BUILD=${3:-$(mktemp -d /tmp/pinhole-docker-build.XXXXXX)}

"$SRC/scripts/setup" --minimal
# Warnings are errors in the CI (debug) build; an image build must not fail on
# GCC 12's -O2-only false positives (-Wrestrict in std::string, GCC PR 105651).
cmake -S "$SRC" -B "$BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DPINHOLE_WERROR=OFF \
  -DPINHOLE_BUILD_TESTS=OFF -DPINHOLE_BUILD_BENCH=OFF -DPINHOLE_SANITIZE=OFF
cmake --build "$BUILD" -j"$(nproc)"
DESTDIR="$DEST" cmake --install "$BUILD" --strip
"$DEST/usr/sbin/pinholed" --version
