#!/usr/bin/env python3
"""What open live pages cost the SMTP path: W2 (smtp-source: 50 sessions, a new connection per
4 KiB message, fsync, delivery off) against one server with [metrics] on, alternately with no
viewer and with --pages viewers that each fetch what an open page fetches (/stats.json once a
second; the page itself once at the start). A poller stands in for a browser tab so the 2-core
machine measures the server's cost, not Chromium's rendering (the server cannot tell them apart).

    bench/live_view_cost.py [--messages 10000] [--reps 3] [--pages 5] [--binary PATH]

Prints each run and the median msgs/s and server CPU us/msg per setting, and their ratio.
Builds nothing: cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DMAILACTOR_TESTS=OFF &&
cmake --build build-release.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request

from smtp_source import CONFIG

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def viewer(port, stop, fetched):
    urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10).read()
    while not stop.wait(1.0):
        urllib.request.urlopen("http://127.0.0.1:%d/stats.json" % port, timeout=10).read()
        fetched.append(1)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def run(binary, messages, pages, metrics_extra=""):
    """(msgs/s, server CPU us/msg, /stats.json fetches, server RSS KiB after the run)."""
    d = tempfile.mkdtemp(prefix="mailactor-live-cost-")
    metrics = free_port()
    cfg = os.path.join(d, "bench.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(dir=d, durability="fsync", delivery="false"))
        f.write('[metrics]\nlisten = "127.0.0.1:%d"\n%s' % (metrics, metrics_extra))
    proc = subprocess.Popen([binary, "serve", "--config", cfg], stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "listening on" not in line:
            line = proc.stderr.readline()
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        time.sleep(1.5)  # the first samples
        stop, fetched = threading.Event(), []
        threads = [threading.Thread(target=viewer, args=(metrics, stop, fetched)) for _ in range(pages)]
        for t in threads:
            t.start()
        cpu0, t0 = process_cpu(proc.pid), time.time()
        src = subprocess.run(["smtp-source", "-A", "-4", "-s", "50", "-l", "4096", "-m", str(messages), "-r", "1",
                              "-f", "sender@sender.test", "-t", "rcpt@example.test", "127.0.0.1:%d" % port],
                             capture_output=True, text=True, timeout=600)
        elapsed, cpu = time.time() - t0, process_cpu(proc.pid) - cpu0
        stop.set()
        for t in threads:
            t.join()
        if src.returncode != 0:
            raise RuntimeError(src.stderr)
        return messages / elapsed, cpu / messages * 1e6, len(fetched), rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "build-release", "app", "mailactor"))
    args = ap.parse_args()
    results = {0: [], args.pages: []}
    for rep in range(args.reps):
        for pages in (0, args.pages):  # alternated, so drift in the machine hits both alike
            rate, cpu, fetched, _ = run(args.binary, args.messages, pages)
            results[pages].append((rate, cpu))
            print("rep %d, %d pages: %.0f msgs/s, %.0f us CPU/msg (%d /stats.json fetches)" % (
                rep, pages, rate, cpu, fetched), flush=True)
    med = {p: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for p, v in results.items()}
    print("\nW2, median of %d: no page %.0f msgs/s, %.0f us/msg; %d pages %.0f msgs/s, %.0f us/msg; "
          "ratio %.3f (throughput), %.3f (CPU)" % (
              args.reps, med[0][0], med[0][1], args.pages, med[args.pages][0], med[args.pages][1],
              med[args.pages][0] / med[0][0], med[args.pages][1] / med[0][1]))


if __name__ == "__main__":
    main()
