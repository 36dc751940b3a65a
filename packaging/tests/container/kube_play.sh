# Sourced by container.sh (MODE debs): the Kubernetes Deployment and its
# ConfigMap (packaging/k8s) played by `podman kube play` (podman 4.3 plays
# Pods, Deployments and ConfigMaps; not DaemonSets, Services or Namespaces),
# in the test's server network namespace: podman runs there (nsenter --net,
# not `ip netns exec`, which remounts /sys and hides the cgroups), and its
# pod network is a bridge with a lab subnet inside that namespace only.
# The manifests are played as they are but for two fields of the copy:
#   image:    this test's image instead of pinhole/pinholed:<version>;
#   replicas: 1, as podman plays every replica on this one host and publishes
#             each containerPort on it (the second replica finds 3478 taken).
K8S="$SRC/packaging/k8s"
KNET=pinhole-$ID
KSUB=198.18.77
# Private podman settings for kube play, which has no --ulimit or --runtime
# flags: the same runtime, cgroup manager and ulimits as the podman runs above.
cat >"$WORK/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
KP=(env CONTAINERS_CONF="$WORK/containers.conf" nsenter "--net=/run/netns/$SRVNS" podman)
sed -e "s|image: pinhole/pinholed:[0-9.]*|image: $TAG|" -e 's|replicas: [0-9]*|replicas: 1|' \
  "$K8S/deployment.yaml" >"$WORK/deployment.yaml"
diff "$K8S/deployment.yaml" "$WORK/deployment.yaml" | grep '^>' | sed 's/^/played copy: /' || true
cp "$K8S/configmap.yaml" "$WORK/configmap.yaml"
kcleanup() {
  set +e
  "${KP[@]}" kube down "$WORK/deployment.yaml" >/dev/null 2>&1
  "${P[@]}" network rm -f "$KNET" >/dev/null 2>&1
}
trap 'kcleanup; cleanup' EXIT
say "\$ podman network create --subnet $KSUB.0/24 $KNET"
"${P[@]}" network create --subnet "$KSUB.0/24" "$KNET" >/dev/null
ip -n "$CLINS" route add "$KSUB.0/24" via "$SRVIP"
# podman builds its pod infra image (localhost/podman-pause) at the first
# kube play; one this test made is removed with its own image.
pause_images() { "${P[@]}" images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/podman-pause:' || true; }
PAUSE_BEFORE=$(pause_images)
KC=pinholed-pod-0-pinholed  # podman's name: <deployment>-pod-<n>-<container>
play() {
  say "\$ podman kube play ${*:+$* }--network $KNET --configmap packaging/k8s/configmap.yaml packaging/k8s/deployment.yaml"
  "${KP[@]}" kube play --network "$KNET" --configmap "$WORK/configmap.yaml" "$@" "$WORK/deployment.yaml" \
    >"$WORK/play.log" 2>&1 || { grep -v 'systemd connection' "$WORK/play.log"; fail "podman kube play"; }
  CONTAINERS+=("$KC")
  wait_log "$KC" event=started
  KIP=$("${P[@]}" inspect --format "{{(index .NetworkSettings.Networks \"$KNET\").IPAddress}}" "$KC")
}
play
[ -n "$PAUSE_BEFORE" ] || IMAGES+=($(pause_images))
[ "$("${P[@]}" pod ps --filter name=pinholed-pod --format '{{.Name}} {{.Status}}')" = "pinholed-pod-0 Running" ] \
  || fail "pods: $("${P[@]}" pod ps)"
pid=$("${P[@]}" inspect --format '{{.State.Pid}}' "$KC")
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
caps=$(awk '/^Cap(Eff|Bnd):/ {printf "%s ", $2}' "/proc/$pid/status")
[ "$uids" = "10001 10001 10001 10001" ] && [ "$caps" = "0000000000000000 0000000000000000 " ] \
  && [ "$("${P[@]}" inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$KC")" = true ] \
  || fail "securityContext not applied: uids $uids, caps $caps"
ok "Deployment played: pod pinholed-pod-0 running at $KIP; securityContext applied (uid 10001, no capabilities, read-only)"
out=$(cli stun "$KIP" 3478) || fail "STUN to the pod: $out"
ok "STUN Binding to the pod IP $KIP:3478: $out"
out=$(cli stun "$SRVIP" 3478) || fail "STUN through the published port: $out"
ok "STUN Binding to the node's $SRVIP:3478 (podman's port mapping, no SNAT): $out"
# The probes as the kubelet runs them (HTTP GET from outside the pod to the
# pod IP and the named port metrics=9641; 200-399 passes). podman 4.3 turns
# an httpGet probe into `curl` inside the container (not in this image) and
# does not resolve named ports, so it is not podman that runs them here.
probe() { cli http "$KIP" 9641 "$1" | sed -n 1p; }
[ "$(probe /healthz)" = 200 ] && [ "$(probe /livez)" = 200 ] || fail "probes: /healthz $(probe /healthz), /livez $(probe /livez)"
say "\$ podman kill -s USR1 $KC   # drain"
"${P[@]}" kill -s USR1 "$KC" >/dev/null
wait_log "$KC" event=drain_started
[ "$(probe /healthz)" = 503 ] && [ "$(probe /livez)" = 200 ] \
  || fail "drained: /healthz $(probe /healthz), /livez $(probe /livez)"
say "\$ podman kill -s USR2 $KC   # drain ends"
"${P[@]}" kill -s USR2 "$KC" >/dev/null
wait_log "$KC" event=drain_ended
for _ in $(seq 50); do [ "$(probe /healthz)" = 200 ] && break; sleep 0.1; done
[ "$(probe /healthz)" = 200 ] || fail "not ready again after SIGUSR2"
ok "readiness GET /healthz 200 and liveness GET /livez 200 on $KIP:9641; drained (SIGUSR1): readiness 503, liveness 200; SIGUSR2: ready again"
m=$(cli http "$KIP" 9641 /metrics)
echo "$m" | grep -q '^pinholed_uptime_seconds' || fail "no /metrics on the pod IP"
ok "/metrics on the pod IP (what the Prometheus annotations scrape)"

# A ConfigMap change, applied by playing again with --replace.
say "\$ sed -i 's|\"allow\": \[\]|\"allow\": [\"203.0.113.0/24\"]|' packaging/k8s/configmap.yaml"
sed -i 's|"allow": \[\]|"allow": ["203.0.113.0/24"]|' "$WORK/configmap.yaml"
grep -q '"allow": \["203.0.113.0/24"\]' "$WORK/configmap.yaml" || fail "could not edit the ConfigMap copy"
old=$("${P[@]}" inspect --format '{{.Id}}' "$KC")
play --replace
[ "$("${P[@]}" inspect --format '{{.Id}}' "$KC")" != "$old" ] || fail "--replace kept the old container"
out=$(cli silent "$KIP" 3478) || fail "the changed ConfigMap did not take effect: $out"
"${P[@]}" exec "$KC" cat /etc/pinhole/pinholed.json | grep -q '203.0.113.0/24' || fail "the pod does not see the new ConfigMap"
ok "ConfigMap change (allow 203.0.113.0/24 only) applied with podman kube play --replace: the client from $CLIIP gets $out"
say "\$ podman kube down packaging/k8s/deployment.yaml"
"${KP[@]}" kube down "$WORK/deployment.yaml" >/dev/null 2>&1 || fail "podman kube down"
ok "podman kube down"
