#!/usr/bin/env python3
"""TLS cost, side by side in one run: sessions/s (connect, EHLO, [STARTTLS, EHLO], one 4 KiB
message, QUIT) over plaintext and over STARTTLS with the same Python clients, and the server's
RSS with 1000 idle TLS sessions.

    bench/tls_bench.py [--binary build-release/app/mailactor] [--sessions 2000] [--procs 4]
"""

import argparse
import multiprocessing
import os
import re
import resource
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from procstat import cpu_seconds, memory_mib

HERE = os.path.dirname(os.path.abspath(__file__))
BODY = b"Subject: bench\r\n\r\n" + b"x" * 4000 + b"\r\n"


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def client(port, n, use_tls, out):
    c = ctx()
    ok = 0
    for _ in range(n):
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        s.ehlo("bench.example")
        if use_tls:
            s.starttls(context=c)
            s.ehlo("bench.example")
        s.sendmail("a@b.example", ["x@example.test"], BODY)
        s.quit()
        ok += 1
    out.put(ok)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    ap.add_argument("--sessions", type=int, default=2000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--idle", type=int, default=1000)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="mailactor-tlsbench-")
    subprocess.run([a.binary, "tls", "selfsigned", "--out", d], check=True, capture_output=True)
    cfg = os.path.join(d, "c.toml")
    with open(cfg, "w") as f:
        f.write('[server]\nlocal_domains = ["example.test"]\nlog_level = "warn"\n[[listener]]\nlisten = "127.0.0.1:0"\n'
                'tls = "starttls"\ntls_cert = "%s/cert.pem"\ntls_key = "%s/key.pem"\n[limits]\nmax_sessions = 5000\nmax_sessions_per_ip = 5000\n'
                '[spool]\ndirectory = "%s/spool"\n[delivery]\nenabled = false\n' % (d, d, d))
    # The port: ask the kernel for a free one, then listen there.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([a.binary, "serve", "--config", cfg, "--listen", "127.0.0.1:%d" % port],
                            stderr=subprocess.DEVNULL)
    time.sleep(1)
    print("| mode | sessions/s (1 msg each) | server CPU us/session | ratio |")
    print("|---|---|---|---|")
    rates, cpu = {}, {}
    for use_tls in (False, True):
        cpu0 = cpu_seconds(proc.pid)
        q = multiprocessing.Queue()
        per = a.sessions // a.procs
        t0 = time.time()
        ps = [multiprocessing.Process(target=client, args=(port, per, use_tls, q)) for _ in range(a.procs)]
        for p in ps:
            p.start()
        total = sum(q.get() for _ in ps)
        for p in ps:
            p.join()
        rates[use_tls] = total / (time.time() - t0)
        cpu[use_tls] = (cpu_seconds(proc.pid) - cpu0) * 1e6 / total
    print("| plaintext | %.0f | %.0f | 1.00 |" % (rates[False], cpu[False]))
    print("| STARTTLS | %.0f | %.0f | %.2f |" % (rates[True], cpu[True], rates[True] / rates[False]))
    # Idle TLS sessions.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    before = memory_mib(proc.pid, "VmRSS")
    held = []
    c = ctx()
    for _ in range(a.idle):
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        s.ehlo()
        s.starttls(context=c)
        s.ehlo()
        held.append(s)
    time.sleep(1)
    after = memory_mib(proc.pid, "VmRSS")
    print("\nRSS: %.1f MiB before, %.1f MiB with %d idle TLS sessions (%.1f KiB per session)" % (
        before, after, a.idle, (after - before) * 1024 / a.idle))
    for s in held:
        s.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
