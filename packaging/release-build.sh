#!/usr/bin/env bash
# The packager's build: a plain CMake release build of the daemon, library and
# tools, with Debian's hardening flags (dpkg-buildflags) and nothing else:
# no -DPINHOLE_WERROR (warnings are errors only in the presets and CI) and
# no compiler-specific workaround. The .deb packages (cpack in BUILD_DIR)
# and the Docker image (docker/build-steps.sh) are built from it.
#   release-build.sh SRC_DIR BUILD_DIR
set -euo pipefail
SRC=$(readlink -f "$1")
BUILD=$2
# hardening=+all: Debian's defaults plus bindnow (full RELRO).
flags() { if command -v dpkg-buildflags >/dev/null; then DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1"; fi; }
CFLAGS="$(flags CFLAGS) $(flags CPPFLAGS)" CXXFLAGS="$(flags CXXFLAGS) $(flags CPPFLAGS)" LDFLAGS="$(flags LDFLAGS)" \
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DPINHOLE_BUILD_TESTS=OFF -DPINHOLE_BUILD_BENCH=OFF
cmake --build "$BUILD" -j"$(nproc)"
