#!/usr/bin/env bash
# Installs the libpinhole SDK component into a temporary prefix, then builds
# and runs consumers against it: CMake find_package(pinhole) (shared, static,
# C) and pkg-config (C and C++). Also checks what the SDK must not ship.
#   client_consumer.sh <build-dir> <consumer-source-dir> <sanitize ON/OFF>
set -euo pipefail
build=$1
src=$2
sanitize=${3:-OFF}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "client_consumer: FAIL: $*" >&2; exit 1; }

flags=""
case "$sanitize" in ON|on|1|TRUE|true) flags="-fsanitize=address,undefined" ;; esac

cmake --install "$build" --prefix "$tmp/prefix" --component sdk >/dev/null
prefix="$tmp/prefix"
[ -f "$prefix/include/pinhole/port_manager.hpp" ] || fail "public header not installed"
[ -f "$prefix/include/pinhole/pinhole.h" ] || fail "C header not installed"
if find "$prefix" -path '*stun*' | grep -q .; then fail "codec files installed: $(find "$prefix" -path '*stun*')"; fi
config=$(find "$prefix" -name pinholeConfig.cmake)
[ -n "$config" ] || fail "pinholeConfig.cmake not installed"
if grep -rq pinhole_protocol "$(dirname "$config")"; then fail "export set references pinhole_protocol"; fi
lib=$(find "$prefix" -name 'libpinhole.so.0.*' | head -1)
[ -n "$lib" ] || fail "versioned shared library missing"
[ -f "$(dirname "$lib")/libpinhole.a" ] || fail "static library missing"
readelf -d "$lib" | grep -q 'SONAME.*\[libpinhole.so.0\]' || fail "SONAME is not libpinhole.so.0"
if nm -D --defined-only "$lib" | c++filt | grep -E 'pinhole::(stun|client)::|boost::' ; then
  fail "internal symbols exported"
fi
echo "client_consumer: install tree ok ($(nm -D --defined-only "$lib" | grep -c ' T ') exported functions)"

# Nobody listens on port 9 of 127.0.0.1: ICMP port unreachable.
dead=127.0.0.1:9

cmake -S "$src" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$tmp/build" >/dev/null
"$tmp/build/consumer" "$dead"
"$tmp/build/consumer_static" "$dead"
"$tmp/build/consumer_c" "$dead"

pcdir=$(dirname "$(find "$prefix" -name pinhole.pc)")
export PKG_CONFIG_PATH="$pcdir"
libdir=$(pkg-config --variable=libdir pinhole)
[ "$(pkg-config --modversion pinhole)" != "" ] || fail "pkg-config has no version"
# shellcheck disable=SC2046
gcc $flags -std=c11 -Wall -Wextra -Werror "$src/consumer.c" $(pkg-config --cflags --libs pinhole) \
  -Wl,-rpath,"$libdir" -o "$tmp/pc_consumer_c"
"$tmp/pc_consumer_c" "$dead"
# shellcheck disable=SC2046
g++ $flags -std=c++20 -Wall -Wextra -Werror "$src/consumer.cpp" $(pkg-config --cflags --libs pinhole) \
  -Wl,-rpath,"$libdir" -o "$tmp/pc_consumer_cxx"
"$tmp/pc_consumer_cxx" "$dead"
echo "client_consumer: all consumers built and ran against the installed SDK"
