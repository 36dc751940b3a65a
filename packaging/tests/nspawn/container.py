"""A Debian root filesystem booted with systemd as PID 1 under systemd-nspawn,
for the packaging.systemd_boot test.

The container is started with --register=no --keep-unit (no machined, no
host systemd needed), --volatile=overlay (the cached rootfs stays read-only;
every write goes to a tmpfs that disappears with the container) and
--private-network (its own network namespace with only lo: no link to
anything). The test process joins that network namespace (join_network), so
its STUN probes and pinhole-bench reach pinholed on 127.0.0.1 inside;
commands run inside with nsenter into every namespace of the container's
PID 1. stop() halts the container through the nspawn process we started
(SIGTERM: nspawn asks systemd to power off) and SIGKILLs the container's
PID 1 and nspawn if that does not finish in time.
"""
import ctypes
import json
import os
import signal
import subprocess
import time

CLONE_NEWNET = 0x40000000
INSIDE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"}


def _children(pid):
    out = []
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _nspid(pid):
    """The PIDs of `pid` from its own namespace outwards (last = innermost)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(x) for x in line.split()[1:]]
    except OSError:
        pass
    return []


class Container:
    def __init__(self, rootfs, name, binds=(), log_path=None):
        self.rootfs, self.name, self.log_path = rootfs, name, log_path
        cmd = ["systemd-nspawn", "--boot", "--register=no", "--keep-unit", "--private-network",
               "--volatile=overlay", "--directory", rootfs, "--machine", name, "--console=pipe"]
        cmd += ["--bind-ro=%s:%s" % (src, dst) for src, dst in binds]
        # If this test is killed (ctest timeout), nspawn gets SIGTERM and halts the container.
        cmd = ["setpriv", "--pdeathsig", "TERM", "--"] + cmd
        self.log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        self.nspawn = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.init = None

    def console(self):
        if not self.log_path:
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def find_init(self, timeout=30):
        """The host PID of the container's PID 1 (a descendant of our nspawn)."""
        end = time.time() + timeout
        while time.time() < end:
            if self.nspawn.poll() is not None:
                raise RuntimeError("systemd-nspawn exited (%s):\n%s" % (self.nspawn.returncode, self.console()))
            todo = [self.nspawn.pid]
            while todo:
                pid = todo.pop()
                ns = _nspid(pid)
                if len(ns) >= 2 and ns[-1] == 1:
                    self.init = pid
                    return pid
                todo += _children(pid)
            time.sleep(0.05)
        raise RuntimeError("no container PID 1 after %d s:\n%s" % (timeout, self.console()))

    def run(self, *cmd, input=None, check=True, timeout=60):
        """Runs `cmd` inside the container (all its namespaces, its root)."""
        full = ["nsenter", "--target", str(self.init), "--all", "--root", "--wd", "--"] + list(cmd)
        r = subprocess.run(full, input=input, capture_output=True, text=True, env=INSIDE_ENV, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("inside the container, %s exited %d:\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                                           r.stderr))
        return r

    def wait_booted(self, timeout=90):
        """systemctl is-system-running --wait: 'running' (or 'degraded', with the failed units).
        'offline' until PID 1 listens on its private bus socket: asked again then."""
        end = time.time() + timeout
        while True:
            r = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=timeout)
            state = r.stdout.strip()
            if state not in ("offline", "") or time.time() > end:
                break
            time.sleep(0.2)
        failed = self.run("systemctl", "--failed", "--no-legend", "--plain", check=False).stdout.strip()
        return state, failed

    def write(self, path, text):
        """Writes a file inside the container atomically (temp file + rename)."""
        self.run("sh", "-c", 'cat >"$1.tmp" && mv "$1.tmp" "$1"', "sh", path, input=text)

    def show(self, unit, prop):
        return self.run("systemctl", "show", "--value", "-p", prop, unit).stdout.strip()

    def journal(self, *args):
        """journalctl -o json entries (dicts), oldest first."""
        out = self.run("journalctl", "--no-pager", "-o", "json", *args).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def join_network(self):
        """Moves the calling thread (and what it starts later) into the container's network namespace."""
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        fd = os.open("/proc/%d/ns/net" % self.init, os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns(CLONE_NEWNET)")
        finally:
            os.close(fd)

    def stop(self, timeout=30):
        """Halts the container via the nspawn we started; SIGKILL if it takes too long. Returns nspawn's status."""
        if self.nspawn.poll() is None:
            self.nspawn.send_signal(signal.SIGTERM)
            try:
                self.nspawn.wait(timeout)
            except subprocess.TimeoutExpired:
                if self.init and _nspid(self.init)[-1:] == [1]:
                    os.kill(self.init, signal.SIGKILL)  # ends every process of the container's PID namespace
                self.nspawn.kill()
                self.nspawn.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()
        return self.nspawn.returncode
