#!/usr/bin/python3
"""Bars beside the side-by-side table: for each cell, msgs/s of every server in one run (the
throughput table of bench/results/side_by_side-<durability>.md), with the ratio to smtp-sink on
each bar. Debian's matplotlib (python3-matplotlib), so run with /usr/bin/python3.

    bench/plot_side_by_side.py bench/results/side_by_side-fsync.md [OUT.png]

Writes OUT.png (default: the table's name with .png)."""

import re
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def throughput_table(text):
    """(cells, {server: [(msgs/s, ratio) or None per cell]}) from the first table whose header
    has the cells (| server | fsync before 250 | W1: ... |)."""
    lines = [l for l in text.splitlines() if l.startswith("| ")]
    header = next(l for l in lines if l.startswith("| server | fsync"))
    cells = [c.split(":")[0].strip() for c in header.strip("|").split("|")[2:]]
    rows = {}
    for line in lines[lines.index(header) + 1:]:
        parts = [p.strip() for p in line.strip("|").split("|")]
        if len(parts) != len(cells) + 2 or parts[0] == "server":
            break
        values = []
        for p in parts[2:]:
            m = re.match(r"(\d+) \(([\d.]+)\)", p)
            values.append((int(m.group(1)), float(m.group(2))) if m else None)
        rows[parts[0]] = values
    return cells, rows


def plot(cells, rows, title, out):
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=110)
    width = 0.8 / max(len(rows), 1)
    colors = {"smtp-sink": "#9e9e9e", "postfix": "#d62728"}
    for i, (server, values) in enumerate(rows.items()):
        xs = [c + (i - (len(rows) - 1) / 2) * width for c in range(len(cells))]
        ys = [v[0] if v else 0 for v in values]
        bars = ax.bar(xs, ys, width, label=server, color=colors.get(server, "#1f77b4"))
        for bar, v in zip(bars, values):
            if v:
                ax.annotate("%.2f" % v[1], (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(cells)), cells)
    ax.set_ylabel("accepted msgs/s (label: ratio to smtp-sink)")
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)


def main():
    table = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else re.sub(r"\.md$", "", table) + ".png"
    with open(table) as f:
        cells, rows = throughput_table(f.read())
    plot(cells, rows, "smtp-source against each server, one run (%s)" % table.split("/")[-1], out)
    print(out)


if __name__ == "__main__":
    main()
