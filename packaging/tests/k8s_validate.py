"""Validates packaging/k8s: every manifest against the Kubernetes OpenAPI
schemas (offline, kubernetes-models from npm), the fleet properties the
README promises, and the ConfigMap's pinholed.json with the real binary.
Usage: k8s_validate.py K8S_DIR PINHOLED WORKDIR"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

k8s_dir, pinholed, work = (os.path.abspath(a) for a in sys.argv[1:4])
files = sorted(glob.glob(os.path.join(k8s_dir, "*.yaml")))
docs = {}
for f in files:
    for d in yaml.safe_load_all(open(f)):
        if d:
            docs[(d["kind"], d["metadata"]["name"])] = d
failed = False


def check(cond, msg):
    global failed
    print(("ok: " if cond else "FAIL: ") + msg)
    failed = failed or not cond


def pod(kind):
    return docs[(kind, "pinholed")]["spec"]["template"]


for kind in ("DaemonSet", "Deployment"):
    t = pod(kind)
    c = t["spec"]["containers"][0]
    ann = t["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "9641",
          "%s: Prometheus scrape annotations" % kind)
    check(c["readinessProbe"]["httpGet"]["path"] == "/healthz", "%s: readiness via /healthz" % kind)
    check(c["livenessProbe"]["httpGet"]["path"] == "/livez", "%s: liveness via /livez (not failed by drain mode)" % kind)
    check(any(p["containerPort"] == 3478 and p["protocol"] == "UDP" for p in c["ports"]), "%s: UDP 3478" % kind)
    check(c["securityContext"].get("runAsNonRoot") is True and c["securityContext"]["capabilities"]["drop"] == ["ALL"],
          "%s: non-root, no capabilities" % kind)
    # hostNetwork: the pod IP is the node's, so metrics bind to it alone;
    # a pod network namespace of its own has nothing but the pod IP and loopback.
    want = "$(POD_IP):9641" if t["spec"].get("hostNetwork") else "0.0.0.0:9641"
    check("--metrics" in c["args"] and want in c["args"], "%s: metrics bound to the pod IP only (%s)" % (kind, want))
check(pod("DaemonSet")["spec"].get("hostNetwork") is True, "DaemonSet uses hostNetwork (true source addresses)")
svc = docs[("Service", "pinholed")]["spec"]
check(svc.get("externalTrafficPolicy") == "Local" and svc["ports"][0]["protocol"] == "UDP",
      "Service: UDP with externalTrafficPolicy: Local")

cfg = docs[("ConfigMap", "pinholed-config")]["data"]["pinholed.json"]
json.loads(cfg)
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tmp:
    tmp.write(cfg)
r = subprocess.run([pinholed, "--check-config", "--config", tmp.name], capture_output=True, text=True)
os.unlink(tmp.name)
check(r.returncode == 0, "ConfigMap pinholed.json passes pinholed --check-config " + (r.stdout + r.stderr).strip())

# Schema validation with node + kubernetes-models (package-lock pinned).
src = os.path.join(k8s_dir, "validate")
if not shutil.which("node") or not shutil.which("npm"):
    print("SKIP: schema validation needs node and npm (scripts/setup installs them)")
    sys.exit(1 if failed else 77)
dst = os.path.join(work, "k8s-validate")
os.makedirs(dst, exist_ok=True)
for name in ("package.json", "package-lock.json", "validate.mjs"):
    shutil.copy(os.path.join(src, name), dst)
if not os.path.isdir(os.path.join(dst, "node_modules")):
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=dst)
    check(r.returncode == 0, "npm ci of the validator")
r = subprocess.run(["node", "validate.mjs"] + files, cwd=dst, capture_output=True, text=True)
print(r.stdout + r.stderr, end="")
check(r.returncode == 0, "all manifests valid against the Kubernetes schemas")
# The validator must catch errors, not pass everything.
bad = os.path.join(dst, "bad.yaml")
with open(bad, "w") as f:
    f.write(open(os.path.join(k8s_dir, "service.yaml")).read().replace("port: 3478", 'port: "three"'))
r = subprocess.run(["node", "validate.mjs", bad], cwd=dst, capture_output=True, text=True)
check(r.returncode == 1 and "must be integer" in r.stdout, "a broken manifest is rejected: " + r.stdout.strip())
sys.exit(1 if failed else 0)
