"""bench/plot_side_by_side.py on a kept side-by-side table: it reads every cell and server of the
throughput table and writes a PNG (Debian's matplotlib, so /usr/bin/python3)."""

import json
import os
import subprocess
import tempfile
import unittest

from harness import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "bench/plot_side_by_side.py")
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


if __name__ == "__main__":
    main()
