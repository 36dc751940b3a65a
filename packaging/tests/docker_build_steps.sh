#!/usr/bin/env bash
# The Dockerfile's build stage (build-steps.sh) on the host, in a temp dir
# (packaging.container_source builds and runs the image itself with podman);
# check the Dockerfile uses it and its runtime contract (non-root USER,
# EXPOSE 3478/udp, HEALTHCHECK with pinhole-probe), then run the staged
# image content the way the container would: pinholed as an unprivileged user
# and the HEALTHCHECK command against it.
# Usage: docker_build_steps.sh SRC_DIR [BUILD_DIR]
# BUILD_DIR: the packager's build to reuse (ctest passes the one of the
# packaging.release_build fixture); default: a fresh one in a temp dir.
set -euo pipefail
SRC=$(readlink -f "$1")
DF="$SRC/packaging/docker/Dockerfile"
WORK=$(mktemp -d /tmp/pinhole-docker.XXXXXX)
BUILD=${2:-$WORK/build}
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$WORK/pinholed.log" ] && cat "$WORK/pinholed.log"; exit 1; }

grep -q '^RUN /src/packaging/docker/build-steps.sh /src /out /build$' "$DF" || fail "Dockerfile does not RUN build-steps.sh"
grep -q '^FROM .* AS build$' "$DF" && [ "$(grep -c '^FROM ' "$DF")" -ge 2 ] || fail "not a multi-stage build"
grep -q '^USER pinhole$' "$DF" || fail "no non-root USER"
grep -q '^EXPOSE 3478/udp$' "$DF" || fail "no EXPOSE 3478/udp"
grep -q 'HEALTHCHECK' "$DF" && grep -q 'CMD \["/usr/bin/pinhole-probe", "--server", "127.0.0.1:3478"' "$DF" \
  || fail "HEALTHCHECK does not run pinhole-probe against the daemon"
grep -q 'git clone\|curl \|wget ' "$DF" && fail "Dockerfile fetches from the internet"
echo "ok: Dockerfile structure"

# The image's COPY sources, exactly as the Dockerfile names them.
"$SRC/packaging/docker/build-steps.sh" "$SRC" "$WORK/out" "$BUILD" >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log"; fail "build-steps.sh"; }
for f in $(sed -n 's|^COPY --from=build /out\([^ ]*\) .*|\1|p' "$DF"); do
  [ -e "$WORK/out$f" ] || fail "build stage did not produce $f"
done
echo "ok: build-steps.sh produced every file the runtime stage copies"

# Run it as the image would (unprivileged user, packaged config, but on a free
# loopback port), then the HEALTHCHECK command.
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LD_LIBRARY_PATH="$WORK/out/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu):$WORK/out/usr/lib"
chmod -R a+rX "$WORK"
RUNAS=()
WHO=$(id -un)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
  WHO=nobody
fi
"${RUNAS[@]}" env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" "$WORK/out/usr/sbin/pinholed" \
  --config "$WORK/out/etc/pinhole/pinholed.json" --listen "127.0.0.1:$PORT" >"$WORK/pinholed.log" 2>&1 &
PID=$!
for _ in $(seq 50); do grep -q event=started "$WORK/pinholed.log" && break; sleep 0.1; done
grep -q event=started "$WORK/pinholed.log" || fail "pinholed did not start"
"$WORK/out/usr/bin/pinhole-probe" --server "127.0.0.1:$PORT" --timeout 2000 || fail "health check failed"
echo "ok: HEALTHCHECK command passes against the staged pinholed (running as $WHO)"
