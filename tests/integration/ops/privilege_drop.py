"""Started as root without systemd, --user drops to that user after binding."""
import os

from opslib import Daemon, answered, check, free_port, skip

if os.geteuid() != 0:
    skip("needs root")
port = free_port()
d = Daemon(["--listen", "127.0.0.1:%d" % port, "--user", "nobody"])
check("event=privileges_dropped user=nobody uid=65534" in d.log(), "log says privileges were dropped")
status = open("/proc/%d/status" % d.proc.pid).read()
uid = [ln.split()[1:] for ln in status.splitlines() if ln.startswith("Uid:")][0]
gid = [ln.split()[1:] for ln in status.splitlines() if ln.startswith("Gid:")][0]
groups = [ln.split()[1:] for ln in status.splitlines() if ln.startswith("Groups:")][0]
check(uid == ["65534"] * 4, "real/effective/saved/fs UID are all nobody: %s" % uid)
check(gid == ["65534"] * 4, "all GIDs are nogroup: %s" % gid)
check(groups in ([], ["65534"]), "no supplementary groups left: %s" % groups)
check("NoNewPrivs:\t1" in status, "no_new_privs set")
check(answered(("127.0.0.1", port), 3) == 3, "still answers after the drop (sockets bound as root)")
check(d.stop() == 0, "clean exit")

bad = Daemon(["--listen", "127.0.0.1:%d" % free_port(), "--user", "no-such-user-pinhole"], wait_for=None)
rc = bad.proc.wait(15)
check(rc != 0 and "event=privilege_drop_failed user=no-such-user-pinhole error=\"no such user\"" in bad.log(),
      "unknown user: non-zero exit and one clear line")
