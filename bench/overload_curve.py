#!/usr/bin/env python3
"""The overload curve: offered vs. accepted messages/s and the replies by code, while the queue
writer is made slower step by step (slow_commit_ms). Clients send one message per connection and
try again 50 ms after a refusal, as a real MTA's queue would, only much sooner. After each step the
script checks that the spool holds exactly the acknowledged messages and measures how long the
server takes to accept mail again once the load stops (no restart).

    bench/overload_curve.py [--clients 32] [--seconds 5] [--steps 0,100,400,800] [--plot OUT.png]

--plot draws, per step, offered vs accepted vs refusals by code over time (0.25 s bins) and the
distribution of accepted messages' latency (connect to the 250 after the content), with
bench/plot_overload.py (Debian's matplotlib); --json keeps the raw timeline.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import sqlite3
import subprocess
import tempfile
import time

from benchserver import BenchServer

HERE = os.path.dirname(os.path.abspath(__file__))
# Pressure marks low enough that the steps cross them (production defaults: 250/1000/5000 ms).
MARKS = "slow_latency_ms = 100\nshed_latency_ms = 300\nrefuse_latency_ms = 700\n"


async def reply(r):
    while True:
        line = await r.readline()
        if not line:
            return "EOF"
        if line[3:4] != b"-":
            return line.decode(errors="replace").rstrip()


async def one_message(port, n, out):
    started = time.time()
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        greeting = await reply(r)
        if not greeting.startswith("220"):
            return greeting
        for cmd in ("EHLO load.example", "MAIL FROM:<c%d@b.example>" % n):
            w.write(cmd.encode() + b"\r\n")
            answer = await reply(r)
        if not answer.startswith("250"):
            return answer
        for cmd in ("RCPT TO:<x@example.test>", "DATA"):
            w.write(cmd.encode() + b"\r\n")
            await reply(r)
        w.write(b"Subject: load\r\n\r\n" + b"x" * 2000 + b"\r\n.\r\n")
        answer = await reply(r)
        m = re.search(r"queued as ([0-9A-F]+)", answer)
        if m:
            out["acked"].add(m.group(1))
            out["latencies_ms"].append((time.time() - started) * 1000)
        w.write(b"QUIT\r\n")
        return answer
    finally:
        w.close()


async def client(port, n, stop, out):
    while time.time() < stop:
        out["offered"] += 1
        try:
            answer = await one_message(port, n, out)
        except OSError as e:
            answer = "error " + type(e).__name__
        key = answer[:9] if answer[:1] in "2345" else answer
        out["replies"][key] = out["replies"].get(key, 0) + 1
        out["events"].append((round(time.time() - out["t0"], 4), key))
        if not answer.startswith("250"):
            await asyncio.sleep(0.05)


async def load(port, clients, seconds):
    out = {"offered": 0, "acked": set(), "replies": {}, "events": [], "latencies_ms": [], "t0": time.time()}
    stop = time.time() + seconds
    await asyncio.gather(*(client(port, n, stop, out) for n in range(clients)))
    return out


async def accepts_mail(port):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        await reply(r)
        w.write(b"EHLO probe.example\r\nMAIL FROM:<p@b.example>\r\n")
        await reply(r)
        ok = (await reply(r)).startswith("250")
        w.write(b"QUIT\r\n")
        w.close()
        return ok
    except OSError:
        return False


def step(binary, slow_ms, clients, seconds):
    srv = BenchServer(binary, limits="max_sessions_per_ip = 5000",
                      spool="slow_commit_ms = %d\n%s" % (slow_ms, MARKS), prefix="mailactor-overload-")
    with srv:
        deadline = time.time() + 10
        while not asyncio.run(accepts_mail(srv.port)):
            if time.time() > deadline:
                raise RuntimeError("server does not accept mail")
            time.sleep(0.1)
        out = asyncio.run(load(srv.port, clients, seconds))
        t0 = time.time()
        while not asyncio.run(accepts_mail(srv.port)) and time.time() - t0 < 60:
            time.sleep(0.05)
        out["recovery"] = time.time() - t0
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(60)
        db = sqlite3.connect(os.path.join(srv.spool, "queue.db"))
        stored = {row[0] for row in db.execute("select id from messages where state = 'queued'")}
        db.close()
    out["exact"] = stored == out["acked"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--steps", default="0,100,400,800", help="slow_commit_ms values")
    ap.add_argument("--json", help="write every step's timeline and latencies here")
    ap.add_argument("--plot", help="draw them into this PNG (bench/plot_overload.py)")
    a = ap.parse_args()
    kept = []
    print("%d clients, one message per connection, %.0f s per step, marks: %s" % (
        a.clients, a.seconds, MARKS.strip().replace("\n", ", ")))
    print("%-10s %10s %11s  %-46s %8s %9s" % ("slow ms", "offered/s", "accepted/s", "replies", "exact", "recovery"))
    ok = True
    for slow in (int(x) for x in a.steps.split(",")):
        out = step(a.binary, slow, a.clients, a.seconds)
        replies = ", ".join("%s x%d" % (k, v) for k, v in sorted(out["replies"].items(), key=lambda kv: -kv[1]))
        print("%-10d %10.0f %11.0f  %-46s %8s %8.2fs" % (
            slow, out["offered"] / a.seconds, len(out["acked"]) / a.seconds, replies,
            "yes" if out["exact"] else "NO", out["recovery"]))
        ok = ok and out["exact"] and out["recovery"] < 60
        kept.append({"slow_ms": slow, "offered_per_s": out["offered"] / a.seconds,
                     "accepted_per_s": len(out["acked"]) / a.seconds, "replies": out["replies"],
                     "exact": out["exact"], "recovery_s": out["recovery"], "events": out["events"],
                     "latencies_ms": out["latencies_ms"]})
    doc = {"clients": a.clients, "seconds": a.seconds, "marks": MARKS.strip().split("\n"), "steps": kept}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f)
    if a.plot:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(doc, f)
            f.flush()
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "plot_overload.py"), f.name, a.plot], check=True)
        print("plot:", a.plot)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
