"""Overload that recovers by itself: a slow spool sheds new transactions (451 4.3.2), refuses new
connections (421 4.3.2) past the next mark, and service returns without a restart. Every
accepted message is stored, no refused one is."""

import re
import threading
import time
import unittest

from harness import Client, Server, in_threads, queue_id, main


def run_load(srv, clients, seconds):
    """Clients sending one message per connection for `seconds`; returns replies by kind."""
    stop = time.time() + seconds
    out = {"queued": [], "shed": 0, "refused": 0, "other": []}
    lock = threading.Lock()

    def client(n):
        i = 0
        while time.time() < stop:
            i += 1
            try:
                c = Client(srv.port, timeout=30)
                greeting = c.line()
                if greeting.startswith("421 4.3.2"):
                    with lock:
                        out["refused"] += 1
                    c.close()
                    time.sleep(0.05)
                    continue
                c.cmd("EHLO load.example")
                mail = c.cmd("MAIL FROM:<c%d@b.example>" % n)
                if mail == "451 4.3.2 Try again later":
                    with lock:
                        out["shed"] += 1
                    c.cmd("QUIT")
                    c.close()
                    time.sleep(0.05)
                    continue
                c.cmd("RCPT TO:<x@example.test>")
                c.cmd("DATA")
                body = "Subject: load %d-%d" % (n, i)
                reply = c.cmd(body + "\r\n\r\nx\r\n.")
                with lock:
                    if reply.startswith("250"):
                        out["queued"].append((queue_id(reply), body))
                    else:
                        out["other"].append(reply)
                c.cmd("QUIT")
                c.close()
            except Exception as e:  # noqa: BLE001 - reported
                with lock:
                    out["other"].append(repr(e))

    in_threads(client, [(n,) for n in range(clients)])
    return out


class Overload(unittest.TestCase):
    def recovered(self, srv, works, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            c = Client(srv.port)
            ok = works(c)
            c.close()
            if ok:
                return True
            time.sleep(0.2)
        return False

    def check_stored(self, srv, out):
        rows = {r["id"] for r in srv.rows()}
        self.assertEqual(rows, {q for q, _ in out["queued"]}, "stored == acknowledged, exactly")
        for qid, body in out["queued"][::5]:
            self.assertIn(body.encode(), srv.content(qid))

    def test_slow_spool_sheds_then_recovers(self):
        spool = "slow_commit_ms = 400\nslow_latency_ms = 100\nshed_latency_ms = 300\nrefuse_latency_ms = 60000\n"
        with Server(spool_lines=spool, delivery="false") as srv:
            out = run_load(srv, clients=12, seconds=4)
            self.assertEqual(out["other"], [])
            self.assertGreater(out["shed"], 0, "a slow spool must shed new transactions")
            self.assertGreater(len(out["queued"]), 0)
            srv.wait_log(r"spool pressure shed")
            self.check_stored(srv, out)
            # No restart: once the writer is idle again, transactions are accepted.
            self.assertTrue(self.recovered(srv, lambda c: (c.line(), c.cmd("EHLO after.example"),
                                                           c.cmd("MAIL FROM:<a@b.example>"))[2] == "250 2.1.0 Ok"))

    def test_very_slow_spool_refuses_connections_then_recovers(self):
        spool = "slow_commit_ms = 600\nslow_latency_ms = 100\nshed_latency_ms = 200\nrefuse_latency_ms = 500\n"
        with Server(spool_lines=spool, delivery="false") as srv:
            out = run_load(srv, clients=12, seconds=5)
            self.assertEqual(out["other"], [])
            self.assertGreater(out["refused"], 0, "past the refuse mark new connections get 421 4.3.2")
            srv.wait_log(r"spool pressure refuse")
            self.check_stored(srv, out)
            self.assertTrue(self.recovered(srv, lambda c: c.reply()[0] == 220))


if __name__ == "__main__":
    main()
