#!/usr/bin/env bash
# Captures real STUN clients talking to pinholed on loopback and stores every
# UDP payload as a seed: requests for stun_decoder and request_handler,
# pinholed's responses for stun_decoder and client_validator (with the
# validator's flags byte in front: "our server, our transaction ID").
# Clients: coturn's turnutils_stunclient (IPv4, IPv6) and
# turnutils_natdiscovery -m -f -P, and Debian's classic RFC 3489 `stun`.
# Usage: tests/fuzz/capture_seeds.sh PATH_TO_PINHOLED [CORPUS_DIR]
set -euo pipefail
PINHOLED=${1:?usage: $0 PATH_TO_PINHOLED [CORPUS_DIR]}
CORPUS=${2:-$(cd "$(dirname "$0")" && pwd)/corpus}
for tool in tshark turnutils_stunclient turnutils_natdiscovery stun python3; do
  command -v "$tool" >/dev/null || { echo "capture_seeds: $tool missing (scripts/setup)"; exit 1; }
done
WORK=$(mktemp -d /tmp/pinhole-capture.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# Two ports free on 127.0.0.1, 127.0.0.2 and ::1 (as the interop tests pick them).
read -r PORT ALT < <(python3 "$(cd "$(dirname "$0")" && pwd)/../support/free_port_pair.py")
tshark -q -i lo -w "$WORK/cap.pcapng" -f "udp port $PORT or udp port $ALT" >"$WORK/tshark.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "Capturing on" "$WORK/tshark.log" && break; sleep 0.1; done
sleep 0.5
"$PINHOLED" --rfc5780-primary 127.0.0.1 --rfc5780-alternate 127.0.0.2 --primary-port "$PORT" \
  --alternate-port "$ALT" --listen "[::1]:$PORT" --workers 1 >"$WORK/pinholed.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "event=started" "$WORK/pinholed.log" && break; sleep 0.05; done
grep -q "event=started" "$WORK/pinholed.log" || { cat "$WORK/pinholed.log"; exit 1; }
timeout 30 turnutils_stunclient -p "$PORT" 127.0.0.1 >/dev/null 2>&1 || true
timeout 30 turnutils_stunclient -p "$PORT" ::1 >/dev/null 2>&1 || true
timeout 60 turnutils_natdiscovery -m -f -P -p "$PORT" 127.0.0.1 >/dev/null 2>&1 || true
timeout 30 stun "127.0.0.1:$PORT" -v >/dev/null 2>&1 || true
sleep 1
kill -INT "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true

tshark -r "$WORK/cap.pcapng" -T fields -E separator=' ' -e udp.srcport -e ip.version -e ipv6.src -e udp.payload \
  >"$WORK/payloads.txt" 2>/dev/null
mkdir -p "$CORPUS/stun_decoder" "$CORPUS/request_handler" "$CORPUS/client_validator"
python3 - "$WORK/payloads.txt" "$CORPUS" "$PORT" "$ALT" <<'PY'
import hashlib, os, sys
lines, corpus, ports = sys.argv[1], sys.argv[2], {sys.argv[3], sys.argv[4]}
seen = set()
counts = {"request": 0, "response": 0}
for line in open(lines):
    parts = line.split()
    if len(parts) < 2 or not parts[-1] or any(c not in "0123456789abcdef:" for c in parts[-1]):
        continue
    src, payload = parts[0], bytes.fromhex(parts[-1].replace(":", ""))
    v6 = len(parts) == 4
    kind = "response" if src in ports else "request"
    digest = hashlib.sha1(payload).hexdigest()[:12]
    if digest in seen:
        continue
    seen.add(digest)
    counts[kind] += 1
    name = f"capture-{kind}-{digest}"
    dirs = ["stun_decoder"] + (["request_handler"] if kind == "request" else [])
    for d in dirs:
        with open(os.path.join(corpus, d, name), "wb") as f:
            f.write(payload)
    if kind == "response":
        with open(os.path.join(corpus, "client_validator", name), "wb") as f:
            f.write(bytes([0x0e if v6 else 0x0c]) + payload)
print(f"capture_seeds: {counts['request']} distinct requests, {counts['response']} distinct responses")
PY
