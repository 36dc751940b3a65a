#!/usr/bin/env python3
"""bench/report.py: the results of bench/compare.sh, one step per command.

  report.py record BENCH_JSON TICKS CLK_TCK NAME   one run: pinhole-bench's JSON plus the
                                                   server's CPU time, as JSON on stdout
  report.py sweep-step RESULT_JSON RATE            a progress line on stderr; on stdout
                                                   "limit" (the generator could not offer
                                                   RATE), "lossy" (>= 1 % lost) or "ok"
  report.py table OUT_DIR RATE COALESCE_US         the Markdown table of every result in
                                                   OUT_DIR (medians over the rounds)

Tested by tests/unit/bench/report_test.py (ctest unit_bench.report_py).
"""
import glob
import json
import os
import sys

# What a run that produced no JSON (pinhole-bench failed) counts as.
FAILED_RUN = {"sent": 0, "answered": 0, "lost": 0, "loss_pct": 100.0, "offered_rps": 0, "rps": 0, "p99_us": 0,
              "target_rate": 0}

LABELS = {"pinholed": "pinholed (1 worker, pinned)", "coturn": "coturn -m 0 (pinned)",
          "pinholed-default": "pinholed (default workers, unpinned)",
          "pinholed-coalesce": "pinholed --coalesce-us {c} (1 worker, pinned)",
          "floor": "kernel floor: pinhole-floor, epoll (pinned)",
          "floor-timer": "kernel floor: pinhole-floor --poll-us {c} (pinned)"}
ROWS = ("pinholed", "coturn", "pinholed-default", "pinholed-coalesce", "floor", "floor-timer")


def record(bench_json, ticks, tck, name):
    """One run's result: pinhole-bench's figures, the server's name and CPU
    time (ticks of utime + stime at tck per second) and CPU-us per answer."""
    try:
        with open(bench_json) as f:
            r = json.load(f)
    except (OSError, ValueError):
        r = dict(FAILED_RUN)
    cpu_us = ticks * 1e6 / tck
    r["server"] = name
    r["server_cpu_s"] = cpu_us / 1e6
    r["cpu_us_per_req"] = cpu_us / r["answered"] if r["answered"] else None
    return r


def sweep_verdict(r, rate):
    """'limit' when the generator offered < 97 % of rate, 'lossy' when >= 1 %
    was lost, else 'ok'."""
    if r["offered_rps"] < 0.97 * rate:
        return "limit"
    return "lossy" if r["loss_pct"] >= 1 else "ok"


def sweep_line(r):
    return (f"  sweep {r['server']:<10} offered {r['offered_rps']:>9.0f}/s  answered {r['rps']:>9.0f}/s  "
            f"loss {r['loss_pct']:8.4f} %")


def _load_all(pattern):
    out = []
    for p in sorted(glob.glob(pattern)):
        with open(p) as f:
            out.append(json.load(f))
    return out


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def load(out, name, rate):
    """The median round of `name` at the main rate: each figure is the median
    over the rounds (CPU also with its range); None without a CPU figure."""
    rs = [r for r in _load_all(os.path.join(out, f"{name}-{rate}-r*.json")) if r.get("cpu_us_per_req")]
    if not rs:
        return None
    m = dict(rs[0])
    for k in ("offered_rps", "rps", "loss_pct", "p99_us", "cpu_us_per_req"):
        m[k] = median([r[k] for r in rs])
    m["cpu_min"] = min(r["cpu_us_per_req"] for r in rs)
    m["cpu_max"] = max(r["cpu_us_per_req"] for r in rs)
    m["rounds"] = len(rs)
    return m


def best(out, name):
    """Highest swept rate answered with < 0.1 % loss; '>=' when the next step
    up was out of the generator's reach rather than lost by the server."""
    sweeps = _load_all(os.path.join(out, f"sweep-{name}-*.json"))
    if not sweeps:
        return "-"  # no sweep run (--sweep "")
    offered = [r for r in sweeps if r["offered_rps"] >= 0.97 * r["target_rate"]]
    limited = len(offered) < len(sweeps)
    ok = [r["target_rate"] for r in offered if r["sent"] and r["loss_pct"] < 0.1]
    if not ok:
        return "< sweep start"
    lost_above = any(r["loss_pct"] >= 0.1 and r["target_rate"] > max(ok) for r in sweeps)
    return f"{max(ok):,}" if lost_above or not limited else f">= {max(ok):,} (generator limit)"


def table(out, rate, coalesce):
    """The Markdown table: one row per server measured, then the ratios."""
    rows = [(n, load(out, n, rate)) for n in ROWS]
    lines = [f"Medians of {max((r['rounds'] for _, r in rows if r), default=0)} interleaved rounds; "
             "CPU range in brackets.", "",
             "| server | offered req/s | answered req/s | loss % | p99 us | server CPU-us/req "
             "| highest rate with < 0.1 % loss |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows:
        if r is None:
            continue
        cpu = f"{r['cpu_us_per_req']:.2f}"
        if r["rounds"] > 1:
            cpu += f" ({r['cpu_min']:.2f}-{r['cpu_max']:.2f})"
        top = best(out, name) if name in ("pinholed", "coturn") else "-"
        label = LABELS[name].format(c=coalesce)
        lines.append(f"| {label} | {r['offered_rps']:,.0f} | {r['rps']:,.0f} | {r['loss_pct']:.3f} | "
                     f"{r['p99_us']:.0f} | {cpu} | {top} |")
    # load() keeps only rounds with a CPU figure, so every row here has one.
    p, c = load(out, "pinholed", rate), load(out, "coturn", rate)
    if p and c:
        lines.append(f"| ratio coturn / pinholed | | | | {c['p99_us'] / max(p['p99_us'], 1e-9):.1f}x | "
                     f"{c['cpu_us_per_req'] / p['cpu_us_per_req']:.1f}x | |")
    for mine, floor, label in (("pinholed", "floor", "pinholed / kernel floor (epoll)"),
                               ("pinholed-coalesce", "floor-timer", f"pinholed / kernel floor (timer, {coalesce} us)")):
        a, b = load(out, mine, rate), load(out, floor, rate)
        if a and b:
            lines.append(f"| {label} | | | | | {a['cpu_us_per_req'] / b['cpu_us_per_req']:.2f}x | |")
    return "\n".join(lines) + "\n"


def main(argv):
    usage = "usage: report.py record BENCH_JSON TICKS CLK_TCK NAME | sweep-step RESULT_JSON RATE | " \
            "table OUT_DIR RATE COALESCE_US"
    cmd, args = (argv[1], argv[2:]) if len(argv) > 1 else ("", [])
    if cmd == "record" and len(args) == 4:
        print(json.dumps(record(args[0], int(args[1]), int(args[2]), args[3])))
    elif cmd == "sweep-step" and len(args) == 2:
        with open(args[0]) as f:
            r = json.load(f)
        print(sweep_line(r), file=sys.stderr)
        print(sweep_verdict(r, int(args[1])))
    elif cmd == "table" and len(args) == 3:
        sys.stdout.write(table(args[0], int(args[1]), args[2]))
    else:
        print(usage, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
