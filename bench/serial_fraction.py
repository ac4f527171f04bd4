#!/usr/bin/env python3
"""Where mailactor's CPU goes per message, thread by thread, and what that allows on more cores.

Runs the W2 load (smtp-source: 50 sessions, a new connection per 4 KiB message, durability fsync,
delivery off: the receive path) against one server process and reads every thread's CPU time
from /proc/PID/task/*/stat before and after. A sampler reads each thread's wchan every 20 ms to
name what it waits in (ep_poll: CAF's I/O multiplexer; futex: a scheduler worker or a detached
actor idle; jbd2/submit_bio/file_write: the thread that fsyncs, the queue writer). Prints:

  - per thread: CPU us per message, share of the process's CPU, where it usually waits;
  - s, the largest single thread's share (work that thread alone can do: no number of cores
    splits it), and Amdahl's projection 1 / (s + (1 - s) / N) for N = 2, 4, 8, 16;
  - the same for the work no setting splits: I/O threads ([server] io_threads), scheduler
    workers (threads) and queue writers ([spool] queue_files) grow with the cores; CAF's clock
    thread does not, nor does any actor of which there is one (the spooler, the stats actor):
    those run on the workers, so their handler time is read from /stats.json (busy_us) instead.

    bench/serial_fraction.py [--messages 10000] [--binary PATH] [--taskset CPUS] [--io-threads N]
                             [--queue-files N] [--threads N]

--taskset pins the server (e.g. 0 or 0,1) for the 1-core vs 2-core check; smtp-source then runs
wherever the rest is free. Builds nothing: cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
-DMAILACTOR_TESTS=OFF && cmake --build build-release; bench/install-smtp-source.
"""

import argparse
import collections
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import json
import threading
import time
import urllib.request

from smtp_source import CONFIG

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    """{tid: (comm, cpu seconds)} for every thread of pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                text = f.read()
        except FileNotFoundError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        out[int(tid)] = (comm, (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return out


def sample_wchans(pid, stop, counts):
    while not stop.is_set():
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/wchan" % (pid, tid)) as f:
                    wchan = f.read().strip()
                counts[int(tid)][wchan if wchan not in ("", "0") else "running"] += 1
            except (FileNotFoundError, ProcessLookupError):
                pass
        time.sleep(0.02)


def waits(wchans):
    """Where a thread was found in the samples, the two most frequent kernel wait points with
    their share ("running" = on a CPU or runnable)."""
    total = sum(wchans.values()) or 1
    top = sorted(((n, w) for w, n in wchans.items()), reverse=True)[:2]
    return ", ".join("%s %.0f%%" % (w, 100.0 * n / total) for n, w in top)


def role(comm, wchans):
    """What a thread is: its wait points and CAF's thread names tell (CAF names scheduler workers
    and multiplexers alike; only a multiplexer waits in epoll)."""
    if any("epoll" in w for w in wchans):
        return "I/O thread"
    if comm == "caf.actor":
        return "queue writer"
    if comm == "caf.clock":
        return "clock"
    return "scheduler worker"


def amdahl(s, n):
    return 1.0 / (s + (1.0 - s) / n)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def actor_busy(port):
    """{actor name: (instances, busy seconds)} from /stats.json."""
    with urllib.request.urlopen("http://127.0.0.1:%d/stats.json" % port, timeout=10) as r:
        doc = json.loads(r.read())
    return {a["name"]: (a["instances"], a["busy_us"] / 1e6) for a in doc["actors"]}


def run(binary, messages, taskset, io_threads, queue_files, threads):
    d = tempfile.mkdtemp(prefix="mailactor-serial-")
    cfg = os.path.join(d, "bench.toml")
    metrics_port = free_port()
    with open(cfg, "w") as f:
        config = CONFIG.format(dir=d, durability="fsync", delivery="false")
        # Only what is asked for: a build from before a setting refuses the key.
        server = "".join("%s = %d\n" % (k, v) for k, v in (("io_threads", io_threads), ("threads", threads)) if v)
        config = config.replace("[server]\n", "[server]\n" + server, 1)
        if queue_files:
            config = config.replace("[spool]\n", "[spool]\nqueue_files = %d\n" % queue_files, 1)
        f.write(config + '[metrics]\nlisten = "127.0.0.1:%d"\n' % metrics_port)
    cmd = [binary, "serve", "--config", cfg]
    if taskset:
        cmd = ["taskset", "-c", taskset] + cmd
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "listening on" not in line:
            line = proc.stderr.readline()
            if not line:
                raise SystemExit("server did not start")
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        time.sleep(1.5)  # the first stats sample
        busy_before = actor_busy(metrics_port)
        before = thread_cpu(proc.pid)
        counts = collections.defaultdict(collections.Counter)
        stop = threading.Event()
        sampler = threading.Thread(target=sample_wchans, args=(proc.pid, stop, counts), daemon=True)
        sampler.start()
        t0 = time.time()
        src = subprocess.run(["smtp-source", "-A", "-4", "-s", "50", "-l", "4096", "-m", str(messages),
                              "-r", "1", "-f", "sender@sender.test", "-t", "rcpt@example.test",
                              "127.0.0.1:%d" % port], capture_output=True, text=True, timeout=900)
        wall = time.time() - t0
        after = thread_cpu(proc.pid)
        time.sleep(1.5)
        busy = {name: (n, b - busy_before.get(name, (n, 0.0))[1]) for name, (n, b) in actor_busy(metrics_port).items()}
        stop.set()
        sampler.join()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        shutil.rmtree(d, ignore_errors=True)
    accepted = messages - sum(1 for l in src.stderr.splitlines() if "rejected:" in l)
    rows = []
    for tid, (comm, cpu) in after.items():
        used = cpu - before.get(tid, (comm, 0.0))[1]
        if used > 0:
            rows.append((used, tid, comm, waits(counts[tid]), role(comm, counts[tid])))
    rows.sort(reverse=True)
    return rows, busy, accepted, wall, src.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    ap.add_argument("--messages", type=int, default=10000)
    ap.add_argument("--taskset", default="", help="CPUs for the server, e.g. 0 or 0,1")
    ap.add_argument("--io-threads", type=int, default=0, help="[server] io_threads (0: the server's default)")
    ap.add_argument("--queue-files", type=int, default=0, help="[spool] queue_files (0: the server's default)")
    ap.add_argument("--threads", type=int, default=0, help="[server] threads, the scheduler workers (0: the server's default)")
    a = ap.parse_args()
    rows, busy, accepted, wall, rc = run(a.binary, a.messages, a.taskset, a.io_threads, a.queue_files, a.threads)
    total = sum(r[0] for r in rows)
    print("W2: smtp-source -s 50 -l 4096 -m %d, fsync, delivery off, io_threads %s, queue_files %s, threads %s%s: "
          "%.0f msgs/s, %.0f us CPU per message" % (
              a.messages, a.io_threads or "default", a.queue_files or "default", a.threads or "default",
              ", server on CPUs " + a.taskset if a.taskset else "", accepted / wall, total * 1e6 / accepted))
    print("\n| thread | role | where the samples found it | CPU us/msg | share |")
    print("|---|---|---|---|---|")
    for used, tid, comm, what, kind in rows:
        if used / total < 0.005:
            continue
        print("| %s/%d | %s | %s | %.0f | %.1f %% |" % (comm, tid, kind, what, used * 1e6 / accepted, 100 * used / total))
    s = rows[0][0] / total
    print("\nserial fraction s = %.3f (the busiest thread's share, at this io_threads/threads)" % s)
    print("Amdahl: " + ", ".join("N=%d: %.2fx" % (n, amdahl(s, n)) for n in (2, 4, 8, 16)))
    # I/O threads, scheduler workers and queue writers are split by io_threads, threads and
    # queue_files; the clock thread is one whatever the settings, and so is each actor that
    # exists once (its handlers run one at a time, on whichever worker).
    # The actors that share the workers (the others have threads of their own, above). Handler
    # time is wall time: for these, which never block, about their CPU time.
    split_by_settings = ("broker", "queue_writer", "deliverer")
    print("\n| actor on the workers | instances | handler us/msg | share of the CPU |")
    print("|---|---|---|---|")
    for name, (n, b) in sorted(busy.items(), key=lambda kv: -kv[1][1]):
        if name not in split_by_settings and b / total >= 0.005:
            print("| %s | %d | %.0f | %.1f %% |" % (name, n, b * 1e6 / accepted, 100 * b / total))
    fixed = [(r[0], "clock thread") for r in rows if r[4] == "clock"]
    fixed += [(b, "actor " + name) for name, (n, b) in busy.items() if name not in split_by_settings + ("sessions",)]
    fixed.sort(reverse=True)
    s_fixed = fixed[0][0] / total if fixed else 0.0
    io = sum(r[0] for r in rows if r[4] == "I/O thread") / total
    writers = sum(r[0] for r in rows if r[4] == "queue writer") / total
    print("I/O threads together: %.3f of the work, queue writers together: %.3f; the largest share no "
          "setting splits (%s): s = %.3f" % (io, writers, fixed[0][1] if fixed else "none", s_fixed))
    print("Amdahl with io_threads and threads grown with the cores: " +
          ", ".join("N=%d: %.2fx" % (n, amdahl(s_fixed, n)) for n in (2, 4, 8, 16)))
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
