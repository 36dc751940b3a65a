"""Hostile configurations against the real binary (issue #11): each is one
clear line and exit 2 at startup / --check-config, and a rejected SIGHUP
reload that leaves the running daemon serving with its old config.

 * a file nested 100,000 deep (200 KB) used to overflow the stack (exit 139);
 * a FIFO as the config path used to block the control thread on SIGHUP;
 * 1e400 gave a raw nlohmann exception text; a NUL in the username passed;
 * --workers 64 under `ulimit -n 200` died in std::terminate (SIGABRT);
 * 1024 workers at batch 1024 (about 17 GiB of buffers) passed --check-config.
"""
import json
import os
import resource
import signal
import socket
import subprocess

from opslib import PINHOLED, WORK, Daemon, answered, check, fail, free_port, http_get, metric

DEEP = "[" * 100000 + "]" * 100000


def run_once(args, limits=None, timeout=30):
    """pinholed `args` to completion: (exit code, stdout, stderr)."""
    def preexec():
        if limits:
            resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    try:
        p = subprocess.run([PINHOLED] + args, capture_output=True, timeout=timeout, preexec_fn=preexec)
    except subprocess.TimeoutExpired:
        fail("pinholed %s did not finish within %d s" % (" ".join(args)[:80], timeout))
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def one_error_line(rc, out, err, starts, label):
    lines = err.splitlines()
    check(rc == 2 and out == "" and len(lines) == 1 and lines[0].startswith(starts),
          "%s: exit 2 and one line (rc=%s, stderr=%r)" % (label, rc, err[:300]))
    check("terminate" not in err and "Sanitizer" not in err and "json.exception" not in err,
          "%s: no abort, sanitizer report or raw exception text" % label)


def write_file(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


# ---- --check-config and startup ----

deep_path = os.path.join(WORK, "deep.json")
write_file(deep_path, DEEP)
rc, out, err = run_once(["--check-config", "--config", deep_path])
one_error_line(rc, out, err, "pinholed: %s: invalid JSON: nested deeper than 32 levels" % deep_path,
               "--check-config on a file nested 100,000 deep")
rc, out, err = run_once(["--config", deep_path, "--listen", "127.0.0.1:0"])
one_error_line(rc, out, err, "pinholed: %s: invalid JSON" % deep_path, "starting with that file")

big_path = os.path.join(WORK, "big.json")
write_file(big_path, '{"rate_limit": {"global_rate": 1e400}}')
rc, out, err = run_once(["--check-config", "--config", big_path])
one_error_line(rc, out, err, "pinholed: %s: invalid JSON: number 1e400 is out of range" % big_path, "1e400")

nul_path = os.path.join(WORK, "nul.json")
write_file(nul_path, '{"auth": {"username": "alice\\u0000admin", "password": "pw"}}')
rc, out, err = run_once(["--check-config", "--config", nul_path])
one_error_line(rc, out, err, "pinholed: %s: auth: username must not contain control characters" % nul_path,
               "NUL in the username")

fifo_path = os.path.join(WORK, "fifo.json")
os.mkfifo(fifo_path)  # nobody ever writes to it
rc, out, err = run_once(["--check-config", "--config", fifo_path], timeout=15)
one_error_line(rc, out, err, "pinholed: %s: cannot read: not a regular file" % fifo_path, "a FIFO as --config")

rc, out, err = run_once(["--check-config", "--workers", "1024", "--batch", "1024"])
one_error_line(rc, out, err, "pinholed: config: resources: 1024 workers x 2 listeners x batch 1024: ",
               "1024 workers at batch 1024")
check("GiB preallocated" in err and "the limit is 4.0 GiB" in err, "the line states the need and the cap")
rc, out, err = run_once(["--check-config", "--workers", "2", "--listen", "127.0.0.1:0"])
check(rc == 0 and out.startswith("pinholed: configuration OK (2 workers x 1 listener x batch 32: ")
      and "file descriptors)" in out, "--check-config states what a good config needs: " + out.strip())

# Too few descriptors and a hard limit that forbids more: one line, exit 2.
rc, out, err = run_once(["--workers", "64", "--listen", "127.0.0.1:0"], limits=(200, 200))
one_error_line(rc, out, err, "pinholed: resources: 64 workers x 1 listener", "--workers 64 under ulimit -n 200")
check("RLIMIT_NOFILE) is 200" in err, "the line names the limit")
# A low soft limit under a high hard one is raised, and pinholed starts.
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
if hard == resource.RLIM_INFINITY or hard >= 1024:
    d = Daemon(["--workers", "64", "--listen", "127.0.0.1:0"], prefix=[
        "python3", "-c", "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (200, %d)); "
        "os.execv(sys.argv[1], sys.argv[1:])" % (1024 if hard == resource.RLIM_INFINITY else hard)])
    limits = open("/proc/%d/limits" % d.proc.pid).read()
    soft = int([ln.split()[3] for ln in limits.splitlines() if ln.startswith("Max open files")][0])
    check(soft > 200, "soft RLIMIT_NOFILE raised from 200 to %d" % soft)
    check("event=resources workers=64" in d.log(), "startup logs what the config needs")
    check(d.stop() == 0, "clean exit")

# ---- SIGHUP with hostile files: rejected, the daemon keeps its old config ----

port = free_port()
mport = free_port(socket.SOCK_STREAM, ("127.0.0.1",))
cfg_path = os.path.join(WORK, "pinholed.json")
base = {"listen": ["127.0.0.1:%d" % port], "workers": 2, "metrics_listen": "127.0.0.1:%d" % mport,
        "rate_limit": {"per_ip_rate": 1000, "table_size": 2048}}
write_file(cfg_path, json.dumps(base))
d = Daemon(["--config", cfg_path])
srv = ("127.0.0.1", port)
check(answered(srv, 3) == 3, "daemon answers with the good config")

rejected = 0


def hup_rejected(label, expect):
    global rejected
    d.signal(signal.SIGHUP)
    rejected += 1
    d.wait_log("event=reload_rejected", timeout=15, count=rejected)
    line = [ln for ln in d.log().splitlines() if "event=reload_rejected" in ln][-1]
    check(expect in line and "\\n" not in line, "%s: reload rejected with one clear line: %s" % (label, line[:200]))
    check(d.proc.poll() is None, "%s: daemon still running" % label)
    check(answered(srv, 3) == 3, "%s: still answering on the old listener" % label)
    _, body = http_get(mport, "/metrics")
    check(metric(body, "pinholed_rate_limiter_slots") == 2048, "%s: old config still in force" % label)


write_file(cfg_path, DEEP)
hup_rejected("100,000-deep file", "pinholed.json: invalid JSON: nested deeper than 32 levels")
write_file(cfg_path, '{"workers": 2, "batch": 1e400}')
hup_rejected("1e400", "pinholed.json: invalid JSON: number 1e400 is out of range")
write_file(cfg_path, json.dumps(dict(base, auth={"username": "a\u0000b", "password": "pw"})))
hup_rejected("NUL in the username", "pinholed.json: auth: username must not contain control characters")

fifo = cfg_path + ".fifo"
os.mkfifo(fifo)
os.rename(fifo, cfg_path)  # the config path is now a FIFO nobody writes to
hup_rejected("a FIFO as the config file", "pinholed.json: cannot read: not a regular file")

# The control thread is free: a good file reloads at once.
os.unlink(cfg_path)
write_file(cfg_path, json.dumps(dict(base, rate_limit={"per_ip_rate": 1000, "table_size": 4096})))
d.signal(signal.SIGHUP)
d.wait_log("event=reloaded", timeout=15)
_, body = http_get(mport, "/metrics")
check(metric(body, "pinholed_rate_limiter_slots") == 4096, "a good file after them reloads")
check(metric(body, "pinholed_config_reloads_total", result="rejected") == rejected,
      "metrics count %d rejected reloads" % rejected)
check(d.stop() == 0, "clean exit")
