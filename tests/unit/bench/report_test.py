#!/usr/bin/env python3
"""bench/report.py on fixed input: compare.sh's run records, sweep verdicts
and the Markdown table, byte for byte (ctest unit_bench.report_py)."""
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench"))
import report  # noqa: E402


def bench(target, offered, answered, sent, p99, loss=None):
    """A pinhole-bench --json result (the fields report.py reads)."""
    loss = 100.0 * (sent - answered) / sent if loss is None else loss
    return {"server": "127.0.0.1:3478", "target_rate": target, "sent": sent, "answered": answered,
            "lost": sent - answered, "loss_pct": loss, "offered_rps": offered, "rps": offered * answered / sent,
            "p99_us": p99}


class Record(unittest.TestCase):
    def test_cpu_time_per_answer(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.bench.json")
            with open(path, "w") as f:
                json.dump(bench(1000, 1000.0, 500, 500, 40.0), f)
            r = report.record(path, 25, 100, "pinholed")  # 25 ticks at 100/s = 0.25 s
        self.assertEqual(r["server"], "pinholed")
        self.assertEqual(r["server_cpu_s"], 0.25)
        self.assertEqual(r["cpu_us_per_req"], 500.0)  # 250,000 us / 500 answers
        self.assertEqual(r["answered"], 500)

    def test_missing_json_counts_as_a_failed_run(self):
        r = report.record("/nonexistent/run.bench.json", 10, 100, "coturn")
        self.assertEqual(r["loss_pct"], 100.0)
        self.assertEqual(r["answered"], 0)
        self.assertIsNone(r["cpu_us_per_req"])

    def test_command_line_prints_one_json_object(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "run.bench.json")
            with open(path, "w") as f:
                f.write("{not json")
            out = io.StringIO()
            with redirect_stdout(out):
                self.assertEqual(report.main(["report.py", "record", path, "1", "100", "floor"]), 0)
        self.assertEqual(json.loads(out.getvalue())["server"], "floor")


class Sweep(unittest.TestCase):
    def test_verdicts(self):
        self.assertEqual(report.sweep_verdict(bench(1000, 960.0, 960, 960, 1.0), 1000), "limit")
        self.assertEqual(report.sweep_verdict(bench(1000, 970.0, 960, 970, 1.0), 1000), "lossy")  # 1.03 %
        self.assertEqual(report.sweep_verdict(bench(1000, 1000.0, 995, 1000, 1.0), 1000), "ok")  # 0.5 %

    def test_command_line_prints_progress_and_verdict(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sweep.json")
            r = bench(2000, 2000.0, 1900, 2000, 1.0)
            r["server"] = "coturn"
            with open(path, "w") as f:
                json.dump(r, f)
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                report.main(["report.py", "sweep-step", path, "2000"])
        self.assertEqual(out.getvalue(), "lossy\n")
        self.assertEqual(err.getvalue(),
                         "  sweep coturn     offered      2000/s  answered      1900/s  loss   5.0000 %\n")

    def test_bad_arguments_are_a_usage_error(self):
        with redirect_stderr(io.StringIO()):
            self.assertEqual(report.main(["report.py", "table", "only-one"]), 2)


def write(d, name, r, cpu_us_per_req):
    r = dict(r)
    r["cpu_us_per_req"] = cpu_us_per_req
    with open(os.path.join(d, name + ".json"), "w") as f:
        json.dump(r, f)


EXPECTED_TABLE = """\
Medians of 3 interleaved rounds; CPU range in brackets.

| server | offered req/s | answered req/s | loss % | p99 us | server CPU-us/req | highest rate with < 0.1 % loss |
|---|---:|---:|---:|---:|---:|---:|
| pinholed (1 worker, pinned) | 100,000 | 100,000 | 0.000 | 30 | 2.00 (1.00-4.00) | 300,000 |
| coturn -m 0 (pinned) | 99,000 | 99,000 | 0.500 | 120 | 8.00 (6.00-10.00) | >= 100,000 (generator limit) |
| pinholed --coalesce-us 300 (1 worker, pinned) | 100,000 | 100,000 | 0.000 | 500 | 1.50 | - |
| kernel floor: pinhole-floor, epoll (pinned) | 100,000 | 100,000 | 0.000 | 20 | 1.60 | - |
| ratio coturn / pinholed | | | | 4.0x | 4.0x | |
| pinholed / kernel floor (epoll) | | | | | 1.25x | |
"""


class Table(unittest.TestCase):
    def test_medians_ratios_and_sweep_summary(self):
        with tempfile.TemporaryDirectory() as d:
            full = bench(100000, 100000.0, 1000000, 1000000, 0.0, loss=0.0)
            for i, (p99, cpu) in enumerate(((30.0, 2.0), (25.0, 1.0), (40.0, 4.0)), 1):
                write(d, f"pinholed-100000-r{i}", dict(full, p99_us=p99), cpu)
            for i, (p99, cpu, loss) in enumerate(((120.0, 8.0, 0.5), (100.0, 6.0, 0.4), (130.0, 10.0, 0.7)), 1):
                write(d, f"coturn-100000-r{i}", dict(full, p99_us=p99, loss_pct=loss, offered_rps=99000.0,
                                                     rps=99000.0), cpu)
            # No answer at all: not a round (no CPU figure).
            write(d, "pinholed-coalesce-100000-r1", dict(full, p99_us=500.0), 1.5)
            write(d, "pinholed-coalesce-100000-r2", dict(full, answered=0), None)
            write(d, "floor-100000-r1", dict(full, p99_us=20.0), 1.6)
            # pinholed: clean up to 300k, lossy above. coturn: clean at 100k,
            # then the generator cannot offer 200k.
            write(d, "sweep-pinholed-100000", bench(100000, 100000.0, 500000, 500000, 1.0), 2.0)
            write(d, "sweep-pinholed-300000", bench(300000, 299000.0, 1499000, 1500000, 1.0), 2.0)
            write(d, "sweep-pinholed-400000", bench(400000, 399000.0, 1900000, 2000000, 1.0), 2.0)
            write(d, "sweep-coturn-100000", bench(100000, 100000.0, 500000, 500000, 1.0), 8.0)
            write(d, "sweep-coturn-200000", bench(200000, 150000.0, 750000, 750000, 1.0), 8.0)
            self.assertEqual(report.table(d, 100000, "300"), EXPECTED_TABLE)

    def test_no_results_gives_the_header_only(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(report.table(d, 1000, "0").splitlines()[0],
                             "Medians of 0 interleaved rounds; CPU range in brackets.")
            self.assertEqual(len(report.table(d, 1000, "0").splitlines()), 4)


if __name__ == "__main__":
    unittest.main()
