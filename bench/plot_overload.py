#!/usr/bin/python3
"""The overload curve as a picture: for each step of bench/overload_curve.py (the queue writer
made slower), offered, accepted and refused messages per second over time (0.25 s bins, refusals
by reply code), and below, the distribution of accepted messages' latency per step. Debian's
matplotlib (python3-matplotlib), so run with /usr/bin/python3.

    bench/plot_overload.py OVERLOAD.json OUT.png      (overload_curve.py --json writes the JSON)
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

BIN_S = 0.25


def rates(events, seconds):
    """{series: [per-second rate per bin]}: offered (every attempt), accepted (250) and each
    refusal code."""
    bins = int(seconds / BIN_S) + 1
    out = {"offered": [0.0] * bins, "accepted": [0.0] * bins}
    for t, key in events:
        i = min(int(t / BIN_S), bins - 1)
        out["offered"][i] += 1 / BIN_S
        name = "accepted" if key.startswith("250") else "refused " + key.split()[0]
        out.setdefault(name, [0.0] * bins)[i] += 1 / BIN_S
    return out


def percentile(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def plot(doc, out):
    steps = doc["steps"]
    fig = plt.figure(figsize=(4.2 * max(len(steps), 1), 7.5), dpi=100)
    grid = fig.add_gridspec(2, len(steps), height_ratios=[3, 2])
    first = None
    for col, step in enumerate(steps):
        ax = fig.add_subplot(grid[0, col], sharey=first)
        first = first or ax
        series = rates(step["events"], doc["seconds"])
        x = [i * BIN_S for i in range(len(series["offered"]))]
        ax.plot(x, series["offered"], color="#8a94a6", lw=1.5, label="offered")
        ax.plot(x, series["accepted"], color="#2e7d32", lw=2, label="accepted (250)")
        for name in sorted(k for k in series if k.startswith("refused")):
            ax.plot(x, series[name], lw=1.2, ls="--", label=name)
        ax.set_title("slow commit %d ms: %.0f/%.0f accepted/offered per s" % (
            step["slow_ms"], step["accepted_per_s"], step["offered_per_s"]), fontsize=9)
        ax.set_xlabel("seconds")
        if col == 0:
            ax.set_ylabel("messages/s")
        ax.legend(fontsize=7, loc="upper right")
        ax.grid(alpha=0.3)
    ax = fig.add_subplot(grid[1, :])
    for step in steps:
        lat = sorted(step["latencies_ms"])
        if not lat:
            continue
        ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))],
                label="slow commit %d ms: p50 %.0f ms, p99 %.0f ms" % (
                    step["slow_ms"], percentile(lat, 0.5), percentile(lat, 0.99)))
    ax.set_xscale("log")
    ax.set_xlabel("latency of an accepted message, connect to 250 after the content (ms, log)")
    ax.set_ylabel("fraction of messages")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left")
    fig.suptitle("Overload: %d clients, one message per connection, retry 50 ms after a refusal" % doc["clients"],
                 fontsize=11)
    fig.tight_layout()
    fig.savefig(out)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        plot(json.load(f), sys.argv[2])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
