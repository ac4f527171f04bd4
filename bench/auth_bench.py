#!/usr/bin/env python3
"""AUTH throughput against the passwd-file backend with 1 checking thread and with one per core,
in one run: AUTH PLAIN logins per second (connect, EHLO, AUTH, QUIT over a raw socket), server
CPU per login. crypt(3) is slow on purpose, so this is the server's CPU-bound path: what more
threads buy shows here.

    bench/auth_bench.py [--binary build-release/app/mailactor] [--scheme yescrypt]
                        [--clients 8] [--seconds 8] [--workers 1,0]
"""

import argparse
import base64
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from procstat import cpu_seconds

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = """
[server]
hostname = "bench.example.test"
local_domains = ["example.test"]
log_level = "warn"
[[listener]]
listen = "127.0.0.1:{port}"
mode = "submission"
allow_plaintext_auth = true
[auth]
backend = "passwd-file"
tarpit_ms = 0
[auth.passwd-file]
path = "{dir}/users.passwd"
workers = {workers}
[limits]
max_sessions_per_ip = 1000
max_connection_rate_per_ip = 0
[spool]
directory = "{dir}/spool"
[delivery]
enabled = false
maildir = "{dir}/mail"
"""


def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return line


def login(port, token):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        f = s.makefile("rb")
        reply(f)
        s.sendall(b"EHLO bench.example\r\n")
        reply(f)
        s.sendall(b"AUTH PLAIN " + token + b"\r\n")
        ok = reply(f).startswith(b"235")
        s.sendall(b"QUIT\r\n")
        reply(f)
        return ok


def client(port, token, seconds, out):
    end = time.time() + seconds
    n = bad = 0
    while time.time() < end:
        if login(port, token):
            n += 1
        else:
            bad += 1
    out.put((n, bad))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(binary, workers, scheme, clients, seconds):
    d = tempfile.mkdtemp(prefix="mailactor-auth-bench-")
    h = subprocess.run([binary, "passwd", "--scheme", scheme], input="secret\n", capture_output=True,
                       text=True, check=True).stdout.strip()
    with open(os.path.join(d, "users.passwd"), "w") as f:
        f.write("user:%s\n" % h)
    port = free_port()
    cfg = os.path.join(d, "bench.toml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(dir=d, port=port, workers=workers))
    proc = subprocess.Popen([binary, "serve", "--config", cfg], stderr=subprocess.DEVNULL)
    token = base64.b64encode(b"\0user\0secret")
    deadline = time.time() + 15
    while True:
        try:
            if login(port, token):
                break
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit("server did not come up")
        time.sleep(0.1)
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(port, token, seconds, out)) for _ in range(clients)]
    cpu0 = cpu_seconds(proc.pid)
    t0 = time.time()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    wall = time.time() - t0
    cpu = cpu_seconds(proc.pid) - cpu0
    for p in procs:
        p.join()
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    shutil.rmtree(d, ignore_errors=True)
    ok = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    return ok / wall, cpu * 1e6 / max(ok, 1), bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    ap.add_argument("--scheme", default="yescrypt", help="yescrypt (mailactor passwd's default), sha512-crypt, bcrypt")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--workers", default="1,0", help="passwd-file workers per run (0 = one per core)")
    a = ap.parse_args()
    print("AUTH PLAIN, %s hash, %d clients, %.0f s per run, %d cores" % (a.scheme, a.clients, a.seconds,
                                                                          os.cpu_count()))
    print("| workers | logins/s | ratio | server CPU us/login | failed |")
    print("|---|---|---|---|---|")
    base = None
    for w in a.workers.split(","):
        rate, cpu, bad = run(a.binary, int(w), a.scheme, a.clients, a.seconds)
        base = base or rate
        print("| %s | %.0f | %.2f | %.0f | %d |" % (w if w != "0" else "0 (%d)" % os.cpu_count(), rate,
                                                    rate / base, cpu, bad), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
