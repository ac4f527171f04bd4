"""bench/plot_side_by_side.py on a kept side-by-side table: it reads every cell and server of the
throughput table and writes a PNG (Debian's matplotlib, so /usr/bin/python3); bench/plot_overload.py
on an overload timeline: rates per bin by reply, and a PNG."""

import json
import os
import subprocess
import tempfile
import unittest

from harness import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "bench/plot_side_by_side.py")
OVERLOAD = os.path.join(ROOT, "bench/plot_overload.py")
TABLE = os.path.join(ROOT, "bench/results/side_by_side-fsync.md")

READ = """
import importlib.machinery, json, sys
plot = importlib.machinery.SourceFileLoader("plot", sys.argv[1]).load_module()
cells, rows = plot.throughput_table(open(sys.argv[2]).read())
print(json.dumps([cells, rows]))
"""


class BenchPlots(unittest.TestCase):
    def test_throughput_table_is_read(self):
        r = subprocess.run(["/usr/bin/python3", "-c", READ, SCRIPT, TABLE], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        cells, rows = json.loads(r.stdout)
        self.assertEqual(cells, ["W1", "W2", "W3", "W4"])
        self.assertEqual(list(rows), ["smtp-sink", "postfix", "mailactor-fsync"])
        self.assertEqual(rows["smtp-sink"][1], [10221, 1.0])
        self.assertEqual(rows["mailactor-fsync"][1], [5661, 0.55])

    def test_png_is_written(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "bars.png")
            r = subprocess.run(["/usr/bin/python3", SCRIPT, TABLE, out], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertGreater(os.path.getsize(out), 10000)


    def overload_doc(self):
        events = [[0.01 * i, "250 2.0.0" if i % 4 else "451 4.3.2"] for i in range(400)]
        step = {"slow_ms": 0, "offered_per_s": 100, "accepted_per_s": 75, "replies": {}, "exact": True,
                "recovery_s": 0.1, "events": events, "latencies_ms": [5 + i % 50 for i in range(300)]}
        return {"clients": 4, "seconds": 4, "marks": [], "steps": [step, dict(step, slow_ms=400)]}

    def test_overload_rates_by_reply(self):
        code = """
import importlib.machinery, json, sys
plot = importlib.machinery.SourceFileLoader("plot", sys.argv[1]).load_module()
print(json.dumps(plot.rates(json.loads(sys.argv[2]), 4)))
"""
        events = [[0.0, "250 2.0.0"], [0.1, "451 4.3.2"], [0.3, "250 2.0.0"], [3.9, "421 4.3.2"]]
        r = subprocess.run(["/usr/bin/python3", "-c", code, OVERLOAD, json.dumps(events)], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        rates = json.loads(r.stdout)
        self.assertEqual(rates["offered"][0], 8.0)  # two in the first 0.25 s bin: 8/s
        self.assertEqual(rates["accepted"][:2], [4.0, 4.0])
        self.assertEqual(rates["refused 451"][0], 4.0)
        self.assertEqual(rates["refused 421"][15], 4.0)

    def test_overload_png_is_written(self):
        with tempfile.TemporaryDirectory() as d:
            doc, out = os.path.join(d, "overload.json"), os.path.join(d, "overload.png")
            with open(doc, "w") as f:
                json.dump(self.overload_doc(), f)
            r = subprocess.run(["/usr/bin/python3", OVERLOAD, doc, out], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertGreater(os.path.getsize(out), 20000)


if __name__ == "__main__":
    main()
