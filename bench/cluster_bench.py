#!/usr/bin/env python3
"""Scale-out cell: 2 SMTP edges -> 1 spool node (CAF remote actors, mutual TLS) against one
all-in-one process, side by side in one run, under the same smtp-source load (one smtp-source per
edge, each with half the sessions; two against the all-in-one port for the same shape).

    bench/cluster_bench.py [--sessions 50] [--messages 5000] [--size 4096] [--durability fsync]
                           [--binary build-release/app/mailactor]

Prints msgs/s, the ratio to all-in-one, and the CPU seconds per message of every process, and
checks that every acknowledged message is stored once. On one 2-core machine all processes
share the same cores, so this measures the cost of the node link, not the gain of more machines.
"""

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from procstat import cpu_seconds

HERE = os.path.dirname(os.path.abspath(__file__))
COMMON = """
[server]
hostname = "bench.example.test"
local_domains = ["example.test"]
log_level = "info"
[limits]
max_sessions = 2000
max_sessions_per_ip = 2000
"""


class Proc:
    def __init__(self, binary, role, config_text, ready, workdir, name):
        self.config = os.path.join(workdir, name + ".toml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.proc = subprocess.Popen([binary, role, "--config", self.config], stderr=subprocess.PIPE, text=True)
        self.log = []
        found = threading.Event()

        def reader():
            for line in self.proc.stderr:
                self.log.append(line)
                if re.search(ready, line):
                    found.set()

        threading.Thread(target=reader, daemon=True).start()
        if not found.wait(15):
            self.proc.kill()
            raise RuntimeError("%s did not start:\n%s" % (name, "".join(self.log)))
        self.port = int(re.search(ready, "".join(self.log)).group(1))

    def wait_log(self, pattern, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(re.search(pattern, l) for l in self.log):
                return
            time.sleep(0.05)
        raise RuntimeError("never logged %r:\n%s" % (pattern, "".join(self.log)))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def drive(ports, sessions, messages, size):
    """One smtp-source per port, sessions and messages split evenly; (wall seconds, rejected)."""
    procs = []
    t0 = time.time()
    for p in ports:
        procs.append(subprocess.Popen(
            ["smtp-source", "-A", "-4", "-s", str(sessions // len(ports)), "-l", str(size),
             "-m", str(messages // len(ports)), "-r", "1", "-f", "sender@sender.test",
             "-t", "rcpt@example.test", "127.0.0.1:%d" % p],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    rejected = 0
    for p in procs:
        _, err = p.communicate(timeout=900)
        rejected += sum(1 for l in err.splitlines() if "rejected:" in l)
    return time.time() - t0, rejected


def stored(spool):
    with sqlite3.connect(os.path.join(spool, "queue.db")) as c:
        return c.execute("select count(*) from messages where state <> 'receiving'").fetchone()[0]


def all_in_one(binary, d, args):
    config = COMMON + '[[listener]]\nlisten = "127.0.0.1:0"\n[spool]\ndirectory = "%s/spool"\ndurability = "%s"\n' \
        '[delivery]\nenabled = false\n' % (d, args.durability)
    p = Proc(binary, "serve", config, r"listening on 127\.0\.0\.1:(\d+)", d, "all-in-one")
    cpu0 = cpu_seconds(p.proc.pid)
    wall, rejected = drive([p.port, p.port], args.sessions, args.messages, args.size)
    cpu = cpu_seconds(p.proc.pid) - cpu0
    n = stored(os.path.join(d, "spool"))
    p.stop()
    return dict(wall=wall, rejected=rejected, stored=n, cpu={"all-in-one": cpu})


def cluster(binary, d, args):
    certs = os.path.join(d, "certs")
    subprocess.run([binary, "tls", "node-certs", "--out", certs, "spool1", "edge1", "edge2"], check=True,
                   stdout=subprocess.DEVNULL)

    def node(name, extra=""):
        return '[node]\nca = "%s/ca.pem"\ncert = "%s/%s.pem"\nkey = "%s/%s.key"\n%s' % (
            certs, certs, name, certs, name, extra)

    spool = Proc(binary, "spoold", COMMON + '[spool]\ndirectory = "%s/spool"\ndurability = "%s"\n'
                 '[delivery]\nenabled = false\n' % (d, args.durability)
                 + node("spool1", 'listen = "127.0.0.1:0"\nid = 1\n'),
                 r"spooler on 127\.0\.0\.1:(\d+)", d, "spool1")
    edges = []
    for name in ("edge1", "edge2"):
        e = Proc(binary, "serve", COMMON + '[[listener]]\nlisten = "127.0.0.1:0"\n[spool]\nremote = ["127.0.0.1:%d"]\n'
                 % spool.port + node(name), r"listening on 127\.0\.0\.1:(\d+)", d, name)
        e.wait_log(r"spool node .* linked")
        edges.append(e)
    procs = {"spool node": spool, "edge1": edges[0], "edge2": edges[1]}
    cpu0 = {k: cpu_seconds(p.proc.pid) for k, p in procs.items()}
    wall, rejected = drive([e.port for e in edges], args.sessions, args.messages, args.size)
    cpu = {k: cpu_seconds(p.proc.pid) - cpu0[k] for k, p in procs.items()}
    n = stored(os.path.join(d, "spool"))
    for p in edges + [spool]:
        p.stop()
    return dict(wall=wall, rejected=rejected, stored=n, cpu=cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--durability", default="fsync", choices=["fsync", "none"])
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    args = ap.parse_args()
    if not shutil.which("smtp-source"):
        sys.exit("smtp-source missing: run bench/install-smtp-source")
    rows = []
    for name, fn in (("all-in-one", all_in_one), ("2 edges -> 1 spool node", cluster)):
        d = tempfile.mkdtemp(prefix="mailactor-cluster-bench-")
        try:
            r = fn(args.binary, d, args)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        accepted = args.messages - r["rejected"]
        r["name"], r["rate"] = name, accepted / r["wall"]
        if r["stored"] != accepted:
            sys.exit("%s: %d acknowledged but %d stored" % (name, accepted, r["stored"]))
        rows.append(r)
    base = rows[0]["rate"]
    print("\n%d messages of %d bytes, %d sessions, new connection per message, durability %s\n"
          % (args.messages, args.size, args.sessions, args.durability))
    print("| setup | msgs/s | ratio | rejected | server CPU µs/msg (per process) |")
    print("|---|---|---|---|---|")
    for r in rows:
        per = ", ".join("%s %.0f" % (k, v * 1e6 / args.messages) for k, v in r["cpu"].items())
        total = sum(r["cpu"].values()) * 1e6 / args.messages
        print("| %s | %.0f | %.2f | %d | %.0f (%s) |" % (r["name"], r["rate"], r["rate"] / base, r["rejected"],
                                                       total, per))


if __name__ == "__main__":
    main()
