#!/usr/bin/env python3
"""One pinhole-bench run for bench/compare_netns.sh: the machine's busy CPU
time from /proc/stat (all CPUs, every process and interrupt) across the run,
and the generator's own CPU time (its rusage), per answered request. On a
machine that also runs other work the /proc/stat total counts that work too;
so also "attributed": generator + server process (/proc/PID/stat) + the
machine's irq and softirq time (where veth and XDP run).

    netns_measure.py NAME RATE SERVER_PID COMMAND... [--- COMMAND...]   (prints one JSON object)

Several commands (separated by ---) are generators run side by side, each
one pinhole-bench --json (e.g. each in its own namespace through ip netns
exec, which execs it): their counts are added; p99 is the highest of their
p99s (an upper bound of the p99 of all answers together).
"""
import json
import os
import resource
import subprocess
import sys


def stat_ticks():
    # user nice system idle iowait irq softirq steal: busy = all but idle and iowait
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7], v[5] + v[6]


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime stime
    except (OSError, IndexError, ValueError):
        return 0


def parse(out):
    try:
        return json.loads(out)
    except ValueError:
        return {"sent": 0, "answered": 0, "loss_pct": 100.0, "offered_rps": 0, "rps": 0, "p99_us": 0}


def merge(results):
    if len(results) == 1:
        return results[0]
    r = {"generators": results}
    for k in ("sent", "answered", "lost", "invalid", "duplicates", "unknown", "send_errors", "offered_rps", "rps"):
        r[k] = sum(x.get(k, 0) for x in results)
    r["loss_pct"] = 100.0 * (r["sent"] - r["answered"]) / r["sent"] if r["sent"] else 100.0
    for k in ("p50_us", "p99_us", "p999_us", "max_us"):
        r[k] = max(x.get(k, 0) for x in results)
    return r


def main():
    name, rate, pid, args = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    cmds = [[]]
    for a in args:
        if a == "---":
            cmds.append([])
        else:
            cmds[-1].append(a)
    tck = os.sysconf("SC_CLK_TCK")
    before, irq0 = stat_ticks()
    srv0 = proc_ticks(pid)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, text=True) for c in cmds]
    outs = [p.communicate()[0] for p in procs]
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    after, irq1 = stat_ticks()
    srv1 = proc_ticks(pid)
    r = merge([parse(o) for o in outs])
    answered = r.get("answered") or 0
    total_us = (after - before) * 1e6 / tck
    gen_us = ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) * 1e6
    r["server"] = name
    r["target_rate"] = rate
    r["total_us_per_req"] = total_us / answered if answered else float("nan")
    r["gen_us_per_req"] = gen_us / answered if answered else float("nan")
    per = lambda ticks: ticks * 1e6 / tck / answered if answered else float("nan")
    r["server_us_per_req"] = per(srv1 - srv0)
    r["irq_us_per_req"] = per(irq1 - irq0)
    r["attributed_us_per_req"] = r["gen_us_per_req"] + r["server_us_per_req"] + r["irq_us_per_req"]
    print(json.dumps(r))


if __name__ == "__main__":
    main()
