# Shared by the netns scenarios: argument handling, the lab, pinholed in the
# public namespace with RFC 5780 on 203.0.113.1 + 203.0.113.2.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: network namespaces need root"; exit 77; }
for t in ip iptables conntrack python3; do
  command -v "$t" >/dev/null || { echo "SKIP: $t missing (scripts/setup installs it)"; exit 77; }
done
PINHOLED=${1:?usage: $0 PINHOLED PROBE AGENT}
PROBE=${2:?}
AGENT=${3:?}
source "$(dirname "$0")/lab.sh"
WORK=$(mktemp -d /tmp/pinhole-netns.XXXXXX)
trap 'lab_down; rm -rf "$WORK"' EXIT
SERVER="$SRV_IP1:3478"

fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}

start_server() {
  lab_exec srv "$PINHOLED" --rfc5780-primary "$SRV_IP1" --rfc5780-alternate "$SRV_IP2" \
    --listen "$SRV_IP1:3478" --workers 1 >"$WORK/pinholed.log" 2>&1 &
  for _ in $(seq 1 100); do grep -q event=started "$WORK/pinholed.log" && return 0; sleep 0.05; done
  fail "pinholed did not start in the public namespace"
}

# json_get FILE KEY.PATH
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1" "$2"; }
