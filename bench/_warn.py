#!/usr/bin/env python3
"""mailactor under Postfix's smtp-source: msgs/s, server CPU per message, peak RSS, the queue
writer's messages per sync, and a check that every accepted message was stored.

    bench/smtp_source.py [--sessions 50] [--messages 5000] [--size 4096] [--persist]
                         [--durability fsync,none] [--delivery off,on] [--binary PATH]

Builds nothing itself: run `cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release && cmake
--build build-release` first (the default --binary), and bench/install-smtp-source.
"""

import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

from procstat import cpu_seconds, memory_mib

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = """
[server]
hostname = "bench.example.test"
local_domains = ["example.test"]
log_level = "warn"
[[listener]]
listen = "127.0.0.1:0"
[limits]
max_sessions = 2000
max_sessions_per_ip = 2000
[spool]
directory = "{dir}/spool"
durability = "{durability}"
[delivery]
enabled = {delivery}
maildir = "{dir}/mail"
"""


def run(binary, durability, delivery, sessions, messages, size, persist):
    d = tempfile.mkdtemp(prefix="mailactor-bench-")
    cfg = os.path.join(d, "bench.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(dir=d, durability=durability, delivery="true" if delivery else "false"))
    proc = subprocess.Popen([binary, "serve", "--config", cfg], stderr=subprocess.PIPE, text=True)
    log = []
    port_ready = threading.Event()

    def reader():
        for line in proc.stderr:
            log.append(line)
            if "listening on" in line:
                port_ready.set()

    threading.Thread(target=reader, daemon=True).start()
    port_ready.wait(15)
    port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", "".join(log)).group(1))
    cmd = ["smtp-source", "-A", "-4", "-s", str(sessions), "-l", str(size), "-m", str(messages), "-r", "1",
           "-f", "sender@sender.test", "-t", "rcpt@example.test"]
    if persist:
        cmd.append("-d")
    cmd.append("127.0.0.1:%d" % port)
    cpu0 = cpu_seconds(proc.pid)
    t0 = time.time()
    src = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.time() - t0
    cpu = cpu_seconds(proc.pid) - cpu0
    rss = memory_mib(proc.pid)
    rejected = sum(1 for l in src.stderr.splitlines() if "rejected:" in l)
    delivered_rate = None
    if delivery:
        # How long delivery takes to catch up after the last 250.
        new = os.path.join(d, "mail", "new")
        deadline = time.time() + 300
        while time.time() < deadline and len(os.listdir(new)) < messages - rejected:
            time.sleep(0.05)
        delivered_rate = len(os.listdir(new)) / (time.time() - t0)
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    text = "".join(log)
    m = re.search(r"queue writer: (\d+) commits in (\d+) group commits, ([\d.]+) messages per sync", text)
    per_sync = float(m.group(3)) if m else float("nan")
    stored = sqlite3.connect(os.path.join(d, "spool", "queue.db")).execute(
        "select count(*) from messages where state in ('queued','delivered')").fetchone()[0]
    shutil.rmtree(d, ignore_errors=True)
    accepted = messages - rejected
    return dict(durability=durability, delivery="on" if delivery else "off", msgs_per_s=accepted / wall,
                cpu_us_per_msg=cpu * 1e6 / max(accepted, 1), rss=rss, per_sync=per_sync, accepted=accepted,
                stored=stored, rejected=rejected, delivered_rate=delivered_rate, rc=src.returncode)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--persist", action="store_true", help="smtp-source -d: reuse connections")
    ap.add_argument("--durability", default="fsync,none")
    ap.add_argument("--delivery", default="off,on")
    a = ap.parse_args()
    print("smtp-source -s %d -m %d -l %d%s, mailactor %s" % (a.sessions, a.messages, a.size,
                                                            " -d" if a.persist else "", a.binary))
    print("| durability | delivery | msgs/s | server CPU us/msg | peak RSS MiB | msgs per sync | stored/accepted | delivered msgs/s |")
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    for durability in a.durability.split(","):
        for delivery in a.delivery.split(","):
            r = run(a.binary, durability, delivery == "on", a.sessions, a.messages, a.size, a.persist)
            ok = ok and r["stored"] == r["accepted"] and r["rc"] == 0
            print("| %s | %s | %.0f | %.0f | %.1f | %.1f | %d/%d | %s |" % (
                r["durability"], r["delivery"], r["msgs_per_s"], r["cpu_us_per_msg"], r["rss"], r["per_sync"],
                r["stored"], r["accepted"], "%.0f" % r["delivered_rate"] if r["delivered_rate"] else "-"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
