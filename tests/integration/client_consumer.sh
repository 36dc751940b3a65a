#!/usr/bin/env bash
# Installs the libpinhole SDK components (libpinhole0 + libpinhole-dev, the
# Debian packages' contents) into a temporary prefix, then builds and runs
# consumers against it: CMake find_package(pinhole) (C++ shared and static,
# C), pkg-config for a dynamic C link, a static C link (pkg-config --static)
# and C++ (-std from the .pc's cxxstd variable), and the C header alone as
# C99 and C++11. Also checks what the SDK must not ship.
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

for c in libpinhole0 libpinhole-dev; do cmake --install "$build" --prefix "$tmp/prefix" --component "$c" >/dev/null; done
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

cmake -S "$src" -B "$tmp/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$tmp/build" >/dev/null
"$tmp/build/consumer" "$dead"
"$tmp/build/consumer_static" "$dead"
"$tmp/build/consumer_c" "$dead"
# The C++20 requirement travels with the imported target (INTERFACE
# cxx_std_20): the consumer project sets no standard of its own.
grep -q '"command": ".*-std=\(gnu\|c\)++2[0a].*consumer\.cpp' "$tmp/build/compile_commands.json" \
  || fail "find_package(pinhole) consumer not compiled as C++20: $(grep -m1 consumer.cpp "$tmp/build/compile_commands.json")"

pcdir=$(dirname "$(find "$prefix" -name pinhole.pc)")
export PKG_CONFIG_PATH="$pcdir"
libdir=$(pkg-config --variable=libdir pinhole)
[ "$(pkg-config --modversion pinhole)" != "" ] || fail "pkg-config has no version"
# shellcheck disable=SC2046
gcc $flags -std=c11 -Wall -Wextra -Werror "$src/consumer.c" $(pkg-config --cflags --libs pinhole) \
  -Wl,-rpath,"$libdir" -o "$tmp/pc_consumer_c"
"$tmp/pc_consumer_c" "$dead"
# shellcheck disable=SC2046
cxxstd=$(pkg-config --variable=cxxstd pinhole)
[ "$cxxstd" = c++20 ] || fail "pinhole.pc cxxstd is '$cxxstd'"
g++ $flags -std="$cxxstd" -Wall -Wextra -Werror "$src/consumer.cpp" $(pkg-config --cflags --libs pinhole) \
  -Wl,-rpath,"$libdir" -o "$tmp/pc_consumer_cxx"
"$tmp/pc_consumer_cxx" "$dead"

# The C header needs neither C11 nor C++20.
printf '#include <pinhole/pinhole.h>\nint main(void) { return pinhole_strerror(PINHOLE_OK) == 0; }\n' >"$tmp/h.c"
# shellcheck disable=SC2046
gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only $(pkg-config --cflags pinhole) "$tmp/h.c" \
  || fail "pinhole.h is not C99"
cp "$tmp/h.c" "$tmp/h.cpp"
# shellcheck disable=SC2046
g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only $(pkg-config --cflags pinhole) "$tmp/h.cpp" \
  || fail "pinhole.h is not valid C++11"

# Static C link with pkg-config --static, where only libpinhole.a is there
# (as with a static-only install): Libs.private must bring the C++ runtime.
cp -a "$prefix" "$tmp/static"
rm -f "$tmp/static/${libdir#"$prefix"/}"/libpinhole.so*
export PKG_CONFIG_PATH="$tmp/static/${pcdir#"$prefix"/}"
echo "client_consumer: pkg-config --static --libs: $(pkg-config --static --libs pinhole)"
# shellcheck disable=SC2046
gcc $flags -std=c99 -Wall -Wextra -Werror "$src/consumer.c" $(pkg-config --static --cflags --libs pinhole) \
  -o "$tmp/pc_consumer_c_static" || fail "static C link via pkg-config --static"
if readelf -d "$tmp/pc_consumer_c_static" | grep -q 'NEEDED.*libpinhole'; then fail "static consumer needs libpinhole.so"; fi
"$tmp/pc_consumer_c_static" "$dead"
echo "client_consumer: all consumers built and ran against the installed SDK"
