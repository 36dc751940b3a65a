#!/usr/bin/env bash
# The container image built and run by a real OCI engine (podman 4.3 with
# runc; no Docker engine here), as a container user would run it.
#   container.sh SRC_DIR MODE RELEASE_BUILD CACHE_DIR
# MODE debs:   builds packaging/docker/Dockerfile.debs from the CPack .debs of
#              RELEASE_BUILD (the packaging.release_build fixture) and runs
#              every check below;
# MODE source: builds packaging/docker/Dockerfile (the whole project built
#              again inside the image) and runs the same checks but the
#              Kubernetes part.
# The base images (debian:12, debian:12-slim) come from base_image.sh,
# cached in CACHE_DIR (outside the source tree). The container runs in a
# network namespace of this test's own (198.51.100.1; the client is
# 198.51.100.2 in a second one, over a veth pair): non-root, read-only root
# filesystem, no capabilities, `--network host` inside that namespace
# (podman run there). Everything this test creates (images,
# containers, namespaces) is removed by name or ID at the end.
set -euo pipefail
SRC=$(readlink -f "$1")
MODE=$2
RELEASE=$3
CACHE=$4
HERE="$SRC/packaging/tests"
for t in podman runc ip; do
  command -v "$t" >/dev/null || { echo "SKIP: $t missing (scripts/setup installs podman, runc, iproute2)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
# crun refuses this machine's hybrid cgroup layout; the default ulimits are refused.
P=(podman --runtime runc --cgroup-manager=cgroupfs)
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
# The way a container user runs it: as the image's user, read-only, no capabilities.
HARD=(--read-only --cap-drop all --security-opt no-new-privileges "${LIMITS[@]}")
ID=ctr$$
TAG=localhost/pinhole-test/pinholed:$ID
SRVNS=pinhole-$ID-srv
CLINS=pinhole-$ID-cli
SRVIP=198.51.100.1
CLIIP=198.51.100.2
WORK=$(mktemp -d /tmp/pinhole-container.XXXXXX)
CONTAINERS=()
IMAGES=()
cleanup() {
  set +e
  for c in "${CONTAINERS[@]}"; do "${P[@]}" rm -f -t 0 "$c" >/dev/null 2>&1; done
  for i in "${IMAGES[@]}"; do "${P[@]}" rmi -f "$i" >/dev/null 2>&1; done
  ip netns del "$SRVNS" 2>/dev/null
  ip netns del "$CLINS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
say() { echo "$*"; }
fail() { echo "FAIL: $*"; for c in "${CONTAINERS[@]}"; do echo "--- podman logs $c:"; "${P[@]}" logs "$c" 2>&1 | tail -20; done; exit 1; }
ok() { echo "ok: $*"; }
cli() { ip netns exec "$CLINS" python3 "$HERE/container/client.py" "$@"; }
VER=$(sed -n 's/^project(pinhole VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")

# ---- the image --------------------------------------------------------------
bash "$HERE/container/base_image.sh" "$CACHE" "${P[@]}" || exit $?
BUILD=("${P[@]}" build --format docker --pull=never --network host --build-arg "PINHOLE_VERSION=$VER" -t "$TAG")
start=$(date +%s)
if [ "$MODE" = debs ]; then
  DF="$SRC/packaging/docker/Dockerfile.debs"
  mkdir "$WORK/debs"
  cpack -G DEB --config "$RELEASE/CPackConfig.cmake" -B "$WORK/debs" >"$WORK/cpack.log" 2>&1 \
    || { cat "$WORK/cpack.log"; fail "cpack in $RELEASE"; }
  rm -rf "$WORK/debs/_CPack_Packages"
  IMAGES+=("$TAG")
  say "\$ podman ${BUILD[*]:4} -f ${DF#$SRC/} $WORK/debs"
  "${BUILD[@]}" -f "$DF" "$WORK/debs" >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; fail "podman build"; }
else
  DF="$SRC/packaging/docker/Dockerfile"
  IMAGES+=("$TAG")
  # --layers=false: no 1.3 GB build-stage image left behind per run.
  say "\$ podman ${BUILD[*]:4} --layers=false -f ${DF#$SRC/} ."
  "${BUILD[@]}" --layers=false --ignorefile "$SRC/packaging/docker/Dockerfile.dockerignore" -f "$DF" "$SRC" >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log"; fail "podman build"; }
fi
ok "podman build -f ${DF#$SRC/} in $(( $(date +%s) - start )) s"
# The other Dockerfile's runtime contract is this one's.
contract() { grep -E '^(ARG PINHOLE_VERSION|LABEL|      org\.|USER|EXPOSE|HEALTHCHECK|  CMD|ENTRYPOINT|CMD)' "$1"; }
diff <(contract "$SRC/packaging/docker/Dockerfile") <(contract "$SRC/packaging/docker/Dockerfile.debs") \
  || fail "Dockerfile and Dockerfile.debs differ in labels, user, HEALTHCHECK or entry point"
ok "Dockerfile and Dockerfile.debs: same labels, user, EXPOSE, HEALTHCHECK, entry point"

label() { "${P[@]}" image inspect --format "{{index .Labels \"org.opencontainers.image.$1\"}}" "$TAG"; }
[ "$(label version)" = "$VER" ] || fail "label version is '$(label version)', not $VER"
[ "$(label source)" = "https://pinhole.dev/" ] || fail "label source is '$(label source)'"
[ "$(label licenses)" = NOASSERTION ] || fail "label licenses is '$(label licenses)'"
ok "OCI labels: version=$(label version) source=$(label source) licenses=$(label licenses)"
[ "$("${P[@]}" image inspect --format '{{.User}}' "$TAG")" = pinhole ] || fail "image user is not pinhole"
hc=$("${P[@]}" image inspect --format '{{.HealthCheck.Test}}' "$TAG")
case "$hc" in *pinhole-probe*127.0.0.1:3478*) ;; *) fail "no HEALTHCHECK in the image ('$hc'; built without --format docker?)";; esac
ok "image user pinhole; HEALTHCHECK $hc"
size=$("${P[@]}" image inspect --format '{{.Size}}' "$TAG")
say "image size: $(( size / 1000000 )) MB ($size bytes); layers:"
"${P[@]}" history --format '  {{.Size}}	{{.CreatedBy}}' "$TAG" | cut -c1-150
# Nothing of the SDK, the toolchain or the build tree in the runtime image.
left=$("${P[@]}" run --rm "${LIMITS[@]}" --network none --entrypoint /bin/sh "$TAG" -c '
  for f in /src /out /build /usr/include/pinhole /usr/lib/*/libpinhole.a /usr/lib/*/libpinhole.so \
           /usr/lib/*/cmake/pinhole /usr/lib/*/pkgconfig/pinhole.pc /usr/bin/cmake /usr/bin/ninja \
           /usr/bin/c++ /usr/bin/g++ /usr/bin/gcc /usr/bin/cc /usr/bin/ld /usr/include/boost; do
    [ -e "$f" ] && echo "$f"
  done; ls /usr/lib/*/libpinhole.so.0 >/dev/null || echo "no libpinhole.so.0"; true')
[ -z "$left" ] || fail "the runtime image has: $left"
ok "no SDK (headers, libpinhole.a, CMake/pkg-config files), compiler or build tree in the image"

# ---- the lab network ---------------------------------------------------------
ip netns add "$SRVNS"
ip netns add "$CLINS"
ip link add "$ID-s" type veth peer name "$ID-c"
ip link set "$ID-s" netns "$SRVNS"
ip link set "$ID-c" netns "$CLINS"
ip -n "$SRVNS" addr add "$SRVIP/24" dev "$ID-s"
ip -n "$CLINS" addr add "$CLIIP/24" dev "$ID-c"
for ns in "$SRVNS" "$CLINS"; do ip -n "$ns" link set lo up; done
ip -n "$SRVNS" link set "$ID-s" up
ip -n "$CLINS" link set "$ID-c" up
# Host networking inside that namespace: podman runs in it (nsenter --net;
# `ip netns exec` would remount /sys and hide the cgroups), so the README's
# `--network host` is what runs here, and no address outside the lab exists.
PN=(nsenter "--net=/run/netns/$SRVNS" "${P[@]}")
NET=(--network host)

wait_log() {  # CONTAINER TEXT [COUNT]: wait up to 10 s for COUNT lines with TEXT
  local n=${3:-1}
  for _ in $(seq 100); do
    [ "$("${P[@]}" logs "$1" 2>&1 | grep -c -- "$2")" -ge "$n" ] && return 0
    sleep 0.1
  done
  fail "no '$2' in the log of $1"
}
# podman healthcheck run: exit 0 (and no output) when healthy, 1 and
# "unhealthy" otherwise; the container's health status as podman inspect says.
# With --network host the check runs in the caller's network namespace: PN.
health() { "${PN[@]}" healthcheck run "$1" 2>&1; }
status() { "${P[@]}" inspect --format '{{.State.Health.Status}}' "$1"; }

# ---- the image as it comes: its own config, metrics off ------------------------
say "\$ podman run -d --name pinholed ${NET[*]} ${HARD[*]} $TAG"
A=$("${PN[@]}" run -d --name "pinhole-$ID-a" "${NET[@]}" "${HARD[@]}" "$TAG")
CONTAINERS+=("$A")
wait_log "$A" event=started
pid=$("${P[@]}" inspect --format '{{.State.Pid}}' "$A")
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
caps=$(awk '/^Cap(Eff|Prm|Bnd):/ {printf "%s ", $2}' "/proc/$pid/status")
[ "$uids" = "10001 10001 10001 10001" ] || fail "pinholed runs with UIDs $uids, not 10001"
[ "$caps" = "0000000000000000 0000000000000000 0000000000000000 " ] || fail "pinholed has capabilities $caps"
# Even root in the container (owner of /, no capabilities needed) cannot write.
out=$("${PN[@]}" exec --user 0 "$A" /bin/sh -c ': >/x' 2>&1) && fail "the root filesystem is writable"
case "$out" in *"Read-only file system"*) ;; *) fail "writing / failed, but not read-only: $out";; esac
ok "pinholed runs as uid 10001 (pinhole), no capabilities (CapEff/CapPrm/CapBnd 0), read-only root filesystem"
out=$(cli stun "$SRVIP" 3478) || fail "STUN from $CLIIP: $out"
ok "STUN Binding from outside the container: $out (the client's true address)"
"${P[@]}" logs "$A" 2>/dev/null | grep -q . && fail "pinholed wrote to stdout: $("${P[@]}" logs "$A" 2>/dev/null | head -3)"
bad=$("${P[@]}" logs "$A" 2>&1 >/dev/null | grep -Ev '^ts=[^ ]+ level=[a-z]+ event=[a-z0-9_]+( [a-z0-9_]+=("[^"]*"|[^ "]*))*$' || true)
[ -z "$bad" ] || fail "log lines not in logfmt: $bad"
ok "logs on stderr in logfmt: $("${P[@]}" logs "$A" 2>&1 | grep event=started)"
tcp=$(ip netns exec "$SRVNS" ss -Hltn)
[ -z "$tcp" ] || fail "something listens on TCP by default: $tcp"
ok "metrics off by default (no TCP listener in the container's namespace)"

say "\$ podman healthcheck run pinholed"
out=$(health "$A") || fail "podman healthcheck run: $out"
[ "$(status "$A")" = healthy ] || fail "health status '$(status "$A")' after a passing podman healthcheck run"
ok "podman healthcheck run: exit 0, status $(status "$A")"
say "\$ podman kill -s STOP pinholed; podman healthcheck run pinholed"
"${P[@]}" kill -s STOP "$A" >/dev/null
out=$(health "$A") && fail "healthcheck passes with pinholed stopped: $out"
case "$out" in *unhealthy*) ;; *) fail "podman healthcheck run with pinholed stopped says '$out'";; esac
ok "pinholed stopped (SIGSTOP): podman healthcheck run: exit 1, '$out'"
say "\$ podman kill -s CONT pinholed; podman healthcheck run pinholed"
"${P[@]}" kill -s CONT "$A" >/dev/null
out=$(health "$A") || fail "healthcheck after SIGCONT: $out"
[ "$(status "$A")" = healthy ] || fail "health status '$(status "$A")' after SIGCONT"
ok "pinholed continued (SIGCONT): healthy again"

say "\$ podman stop pinholed"
start=$(date +%s)
"${P[@]}" stop -t 10 "$A" >/dev/null
took=$(( $(date +%s) - start ))
code=$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$A")
last=$("${P[@]}" logs "$A" 2>&1 | tail -n 1)
[ "$code" = 0 ] || fail "podman stop: exit code $code (137: killed after the timeout)"
case "$last" in *event=stopped*) ;; *) fail "last log line is not event=stopped: $last";; esac
[ "$took" -lt 10 ] || fail "podman stop took ${took} s (SIGKILL after the timeout?)"
ok "podman stop: SIGTERM, exit 0 in ${took} s, last line: $last"

# ---- a mounted config, flags after the image name, metrics published, SIGHUP ----
mkdir "$WORK/etc"
cat >"$WORK/etc/pinholed.json" <<'JSON'
{
  "listen": ["0.0.0.0:3478"],
  "log_level": "info",
  "allow": []
}
JSON
chmod -R a+rX "$WORK"
RUN_B=("${NET[@]}" "${HARD[@]}" -v "$WORK/etc:/etc/pinhole:ro" "$TAG"
       --config /etc/pinhole/pinholed.json --metrics "$SRVIP:9641")
say "\$ podman run -d --name pinholed ${NET[*]} ${HARD[*]} -v $WORK/etc:/etc/pinhole:ro $TAG --config /etc/pinhole/pinholed.json --metrics $SRVIP:9641"
B=$("${PN[@]}" run -d --name "pinhole-$ID-b" "${RUN_B[@]}")
CONTAINERS+=("$B")
wait_log "$B" event=started
wait_log "$B" "event=metrics_listening addr=$SRVIP:9641"
out=$(cli stun "$SRVIP" 3478) || fail "STUN with the mounted config: $out"
ok "mounted config and flags after the image name: STUN $out"
m=$(cli http "$SRVIP" 9641 /metrics) || fail "GET /metrics: $m"
echo "$m" | grep -q '^pinholed_uptime_seconds' || fail "no metrics: $(echo "$m" | head -3)"
h=$(cli http "$SRVIP" 9641 /healthz | sed -n 1p)
l=$(cli http "$SRVIP" 9641 /livez | sed -n 1p)
[ "$h" = 200 ] && [ "$l" = 200 ] || fail "/healthz $h, /livez $l"
ok "--metrics $SRVIP:9641: /metrics, /healthz $h, /livez $l from the client"
# The reload: only the other lab range may ask; the client is turned away.
say "\$ sed -i 's|\"allow\": \[\]|\"allow\": [\"203.0.113.0/24\"]|' $WORK/etc/pinholed.json; podman kill -s HUP pinholed"
sed -i 's|"allow": \[\]|"allow": ["203.0.113.0/24"]|' "$WORK/etc/pinholed.json"
"${P[@]}" kill -s HUP "$B" >/dev/null
wait_log "$B" event=reloaded
out=$(cli silent "$SRVIP" 3478) || fail "after the reload the client still gets answers: $out"
m=$(cli http "$SRVIP" 9641 /metrics)
echo "$m" | grep -q '^pinholed_config_reloads_total{result="ok"} 1$' || fail "no ok reload counted: $(echo "$m" | grep reloads)"
ok "podman kill -s HUP reloads the mounted config: allow 203.0.113.0/24 only, the client from $CLIIP gets $out"
"${P[@]}" stop -t 10 "$B" >/dev/null
[ "$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$B")" = 0 ] || fail "second container exit code"

if [ "$MODE" = debs ]; then
  . "$HERE/container/kube_play.sh"
fi
ok "all container checks passed"
