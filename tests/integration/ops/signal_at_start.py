"""A SIGTERM that arrives while pinholed is starting (its sockets bound, a
supervisor may already stop it) stops it cleanly with exit 0. The handlers
used to be installed only after event=started and READY=1, so the default
action killed it (exit -15); seen as "clean exit" failures of ops tests
that stop pinholed right after it started.

Deterministic: pinholed's stderr is a full pipe, so its first log line
(event=listening) blocks it in write(2); the signal is sent then."""
import fcntl
import os
import signal
import subprocess
import time

from opslib import PINHOLED, check, free_port, skip

F_SETPIPE_SZ = 1031
r, w = os.pipe()
size = fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
os.write(w, b"#" * size)  # full: the next write blocks
p = subprocess.Popen([PINHOLED, "--listen", "127.0.0.1:%d" % free_port(hosts=("127.0.0.1",)), "--workers", "2"],
                     stderr=w)
os.close(w)
blocked = False
for _ in range(1000):
    try:
        with open("/proc/%d/syscall" % p.pid) as f:
            blocked = f.read().split()[0] == "1"  # write(2) on x86-64
    except (OSError, IndexError):
        pass
    if blocked or p.poll() is not None:
        break
    time.sleep(0.01)
if not blocked:
    p.kill()
    skip("could not see pinholed blocked in write(2) (/proc/PID/syscall: x86-64 and ptrace access needed)")
p.send_signal(signal.SIGTERM)
log = b""
while True:  # drain the pipe so pinholed can go on
    chunk = os.read(r, 65536)
    if not chunk:
        break
    log += chunk
rc = p.wait(15)
text = log.lstrip(b"#").decode("utf-8", "replace")
print("RESULT SIGTERM while pinholed was blocked writing its first log line: exit %s" % rc)
print(text)
check(rc == 0, "pinholed stopped cleanly (exit 0)")
check("event=stopping signal=SIGTERM" in text, "it logged the SIGTERM it handled")
