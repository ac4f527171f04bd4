#!/usr/bin/env python3
"""What per-message traces cost the SMTP path: W2 (smtp-source: 50 sessions, a new connection
per 4 KiB message, fsync, delivery off) against one server with [metrics] on, alternately with
trace_messages = 0 (no tracer) and the default 5000 (every session, every group commit traced).
Also the server's RSS after each run: with 10,000 messages the ring is full (5000 kept).

    bench/trace_cost.py [--messages 10000] [--reps 3] [--binary PATH]

Builds nothing: cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DMAILACTOR_TESTS=OFF &&
cmake --build build-release.
"""

import argparse
import os
import statistics

from live_view_cost import HERE, run

SETTINGS = {"off": "trace_messages = 0\n", "5000": "trace_messages = 5000\n"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "build-release", "app", "mailactor"))
    args = ap.parse_args()
    results = {name: [] for name in SETTINGS}
    for rep in range(args.reps):
        for name, extra in SETTINGS.items():  # alternated, so drift in the machine hits both alike
            rate, cpu, _, rss = run(args.binary, args.messages, 0, extra)
            results[name].append((rate, cpu, rss))
            print("rep %d, traces %s: %.0f msgs/s, %.0f us CPU/msg, RSS %d KiB" % (rep, name, rate, cpu, rss),
                  flush=True)
    med = {n: [statistics.median(x[i] for x in v) for i in range(3)] for n, v in results.items()}
    off, on = med["off"], med["5000"]
    print("\nW2, median of %d: traces off %.0f msgs/s, %.0f us/msg, RSS %d KiB; traces on (5000 kept) "
          "%.0f msgs/s, %.0f us/msg, RSS %d KiB; ratio %.3f (throughput), %.3f (CPU); %.2f KiB per kept trace" % (
              args.reps, off[0], off[1], off[2], on[0], on[1], on[2], on[0] / off[0], on[1] / off[1],
              (on[2] - off[2]) / 5000))


if __name__ == "__main__":
    main()
