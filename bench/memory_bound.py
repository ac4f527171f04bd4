#!/usr/bin/env python3
"""Bounded memory under overload: N concurrent sessions each stream an M MiB message while the
queue writer is artificially slow (slow_commit_ms). Prints the server's peak RSS next to the
bound it should stay under: fixed + sessions x per-session buffers.

    bench/memory_bound.py [--sessions 500] [--mib 10] [--slow-commit-ms 50]
"""

import argparse
import asyncio
import os
import signal
import sqlite3
import threading
import time

from benchserver import BenchServer
from procstat import memory_mib

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = b"x" * 1022 + b"\r\n"
BLOCK = LINE * 64  # 64 KiB


async def session(port, mib, results):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)

        async def reply():
            while True:
                line = await r.readline()
                if line[3:4] != b"-":
                    return line

        await reply()
        for cmd in (b"EHLO mem.example\r\n", b"MAIL FROM:<a@b.example>\r\n", b"RCPT TO:<x@example.test>\r\n",
                    b"DATA\r\n"):
            w.write(cmd)
            await w.drain()
            await reply()
        for _ in range(mib * 16):
            w.write(BLOCK)
            await w.drain()
        w.write(b".\r\n")
        await w.drain()
        line = await reply()
        w.write(b"QUIT\r\n")
        await w.drain()
        w.close()
        results.append(line[:3])
    except Exception as e:  # noqa: BLE001 - counted
        results.append(repr(e)[:40].encode())


async def load(port, sessions, mib):
    results = []
    await asyncio.gather(*(session(port, mib, results) for _ in range(sessions)))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--mib", type=int, default=10)
    ap.add_argument("--slow-commit-ms", type=int, default=50)
    a = ap.parse_args()
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    srv = BenchServer(a.binary, limits="max_sessions = 5000\nmax_sessions_per_ip = 5000\nmax_message_size = %d"
                      % ((a.mib + 1) << 20), spool='durability = "none"\nslow_commit_ms = %d' % a.slow_commit_ms,
                      prefix="mailactor-mem-")
    with srv:
        pid = srv.proc.pid
        time.sleep(1)
        base = memory_mib(pid, "VmRSS")
        samples = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                samples.append((time.time(), memory_mib(pid, "VmRSS")))
                time.sleep(0.25)

        threading.Thread(target=sample, daemon=True).start()
        t0 = time.time()
        results = asyncio.run(load(srv.port, a.sessions, a.mib))
        elapsed = time.time() - t0
        stop.set()
        peak = memory_mib(pid, "VmHWM")
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(120)
        stored = sqlite3.connect(os.path.join(srv.spool, "queue.db")).execute(
            "select count(*), coalesce(sum(size), 0) from messages where state = 'queued'").fetchone()
    codes = {}
    for r in results:
        codes[r] = codes.get(r, 0) + 1
    # Per session at most: a held chunk and one in flight at the broker, CAF's read buffer, the
    # engine's input, the session's content buffer and one append in flight: 6 x 64 KiB.
    bound = base + a.sessions * 6 * 64 / 1024
    print("%d sessions x %d MiB, slow_commit_ms=%d: %.1f s, replies %s, stored %d (%.0f MiB)" % (
        a.sessions, a.mib, a.slow_commit_ms, elapsed, {k.decode(): v for k, v in codes.items()}, stored[0],
        stored[1] / 2 ** 20))
    print("RSS: %.0f MiB idle, peak %.0f MiB; bound %.0f MiB (idle + sessions x 384 KiB)" % (base, peak, bound))
    print("RSS curve (s, MiB): " + " ".join("%.0f:%.0f" % (t - t0, m) for t, m in samples[:: max(1, len(samples) // 20)]))
    return 0 if peak <= bound else 1


if __name__ == "__main__":
    raise SystemExit(main())
