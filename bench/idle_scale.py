#!/usr/bin/env python3
"""Idle scale: N concurrent idle sessions (greeted, then silent). Prints the server's RSS per idle
session. With max_sessions = N (the default) it also checks that client N+1 waits while the
server is full and is greeted promptly once one slot frees — with stress off (stress_percent = 0),
since under stress a full table makes room by ending idle sessions instead (README, "Limits").

    bench/idle_scale.py [--sessions 10000] [--max-sessions 20000] [--io-threads N] [--binary PATH]
"""

import argparse
import asyncio
import os
import resource
import time

from benchserver import BenchServer
from procstat import memory_mib

HERE = os.path.dirname(os.path.abspath(__file__))


async def open_idle(port, n, batch=500):
    conns = []
    for start in range(0, n, batch):
        opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                        for _ in range(min(batch, n - start))))
        for r, w in opened:
            line = await r.readline()
            if not line.startswith(b"220"):
                raise RuntimeError("no greeting: %r" % line)
            conns.append((r, w))
    return conns


async def scenario(port, n, pid, result, full):
    t0 = time.time()
    conns = await open_idle(port, n)
    result["open_s"] = time.time() - t0
    await asyncio.sleep(2)
    result["rss_mib"] = memory_mib(pid, "VmRSS")
    if not full:
        for _, cw in conns:
            cw.close()
        return
    # Client n+1: connected by the kernel's backlog, but not greeted while the server is full.
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        await asyncio.wait_for(r.readline(), 1.0)
        result["waited"] = False
    except asyncio.TimeoutError:
        result["waited"] = True
    r0, w0 = conns.pop()
    w0.write(b"QUIT\r\n")
    await w0.drain()
    t1 = time.time()
    line = await asyncio.wait_for(r.readline(), 30)
    result["served_after_s"] = time.time() - t1
    result["greeting"] = line.decode().strip()
    w.close()
    for _, cw in conns:
        cw.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--max-sessions", type=int, default=0, help="default: --sessions (the table full)")
    ap.add_argument("--io-threads", type=int, default=0, help="[server] io_threads (0: the server's default)")
    a = ap.parse_args()
    max_sessions = a.max_sessions or a.sessions
    full = max_sessions == a.sessions
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.sessions + 200
    if hard < need:
        raise SystemExit("open files limit %d is below %d" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it
    limits = "max_sessions = %d\nmax_sessions_per_ip = %d\nstress_percent = %d" % (
        max_sessions, a.sessions, 0 if full else 80)
    srv = BenchServer(a.binary, limits=limits, prefix="mailactor-idle-", server="io_threads = %d" % a.io_threads)
    with srv:
        time.sleep(1)
        idle = memory_mib(srv.proc.pid, "VmRSS")
        result = {}
        asyncio.run(scenario(srv.port, a.sessions, srv.proc.pid, result, full))
        peak = memory_mib(srv.proc.pid, "VmHWM")
    per = (result["rss_mib"] - idle) * 1024 / a.sessions
    print("io_threads %s: " % (a.io_threads or "default"), end="")
    print("%d idle sessions (max_sessions %d) opened in %.1f s: RSS %.0f MiB (idle server %.0f MiB, "
          "%.1f KiB per session), peak %.0f MiB"
          % (a.sessions, max_sessions, result["open_s"], result["rss_mib"], idle, per, peak))
    if not full:
        return 0 if result["rss_mib"] <= 200 else 1
    print("client %d: %s while full; greeted %.3f s after a slot freed (%s)" % (
        a.sessions + 1, "waited" if result["waited"] else "was NOT held back", result["served_after_s"],
        result["greeting"][:40]))
    ok = result["waited"] and result["served_after_s"] < 2 and result["rss_mib"] <= 200
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
