"""Several queue files ([spool] queue_files): a queue writer and a deliverer each, transactions
given to them in turn. Load spreads evenly over the files and loses nothing; `mailactor queue`,
the traces and the stats see every file; mail in every file survives kill -9 and a restart that
asks for fewer files (the files that exist stay in use); an edge has no queue files."""

import json
import os
import re
import subprocess
import time
import unittest
import urllib.request

from harness import BIN, Server, actor_stats, check_edge_config, free_port, main, metrics_lines, run_bin, send_all

FILES = 3


def ids_in(srv, path, state=None):
    with srv.db(path) as c:
        where = " where state = '%s'" % state if state else ""
        return [r[0] for r in c.execute("select id from messages%s order by id" % where)]


def wait_all_delivered(srv, n, timeout=60):
    deadline = time.time() + timeout
    while len(srv.rows("state = 'delivered'")) < n and time.time() < deadline:
        time.sleep(0.1)
    return len(srv.rows("state = 'delivered'"))


class QueueFiles(unittest.TestCase):
    def test_load_spreads_over_the_files_and_loses_nothing(self):
        port = free_port()
        with Server(queue_files=FILES, metrics_lines=metrics_lines(port)) as srv:
            srv.wait_log(r"ready: .*\(fsync, 3 queue file\(s\)\)")
            self.assertIn("(durability fsync, 3 queue file(s))", srv.check_config().stdout)
            self.assertEqual(send_all(srv.port, 120, 12), ["250"] * 120)
            srv.wait_delivered(120, timeout=60)
            self.assertEqual(wait_all_delivered(srv, 120), 120)
            files = srv.queue_files()
            self.assertEqual([os.path.basename(f) for f in files], ["queue.db", "queue-1.db", "queue-2.db"])
            per_file = [ids_in(srv, f) for f in files]
            self.assertEqual([len(ids) for ids in per_file], [40, 40, 40], "transactions go round the files")
            self.assertEqual(len(set(sum(per_file, []))), 120, "every id once")

            writer = actor_stats(port, "queue_writer", lambda w: w["counters"]["commits"] == 120)
            self.assertEqual(writer["instances"], FILES, "one writer per file, shown as one")
            self.assertEqual(writer["counters"]["commits"], 120)
            deliverer = actor_stats(port, "deliverer", lambda d: d["counters"]["delivered"] == 120)
            self.assertEqual(deliverer["instances"], FILES)
            self.assertEqual(deliverer["counters"]["delivered"], 120)
            # The files' latency histograms are added up into one.
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
                scraped = r.read().decode()
            for series in ("queue_writer_commit_latency", "deliverer_delivery_latency"):
                self.assertEqual(re.findall(r"^mailactor_%s_seconds_count (\S+)$" % series, scraped, re.M), ["120"])

            # The CLI lists every file's messages in arrival (id) order, and finds any of them.
            q = ("queue", "--spool", srv.spool)
            listed = [line.split()[0] for line in run_bin(*q, "ls").stdout.splitlines()]
            self.assertEqual(listed, sorted(sum(per_file, [])))
            last = per_file[2][-1]
            self.assertIn("state: delivered", run_bin(*q, "show", last).stdout)
            export = subprocess.run([BIN, *q, "export", last], capture_output=True, timeout=30)
            self.assertEqual(export.stdout, srv.delivered_bytes(last))
            # The trace of a message in the third file shows its queue state.
            with urllib.request.urlopen("http://127.0.0.1:%d/trace.json?id=%s" % (port, last), timeout=10) as r:
                self.assertEqual(json.loads(r.read())["queue"]["state"], "delivered")
            self.assertIn("purged 120 messages", run_bin(*q, "purge").stdout)
            self.assertEqual(srv.stored_count(), 0)

    def test_mail_in_every_file_survives_kill_and_fewer_files(self):
        srv = Server(queue_files=FILES, delivery="false")
        with srv:
            self.assertEqual(send_all(srv.port, 9, 3), ["250"] * 9)
            srv.kill()
        self.assertEqual([len(ids_in(srv, f, "queued")) for f in srv.queue_files()], [3, 3, 3])
        srv.write_config(queue_files=1, delivery="true")
        with srv:
            srv.wait_log(r"3 queue files in .* \(queue_files asks for 1\): all of them stay in use")
            srv.wait_log(r"ready: .*3 queue file\(s\)")
            srv.wait_delivered(9)
            self.assertEqual(wait_all_delivered(srv, 9), 9)

    def test_an_edge_has_no_queue_files(self):
        r = check_edge_config('[spool]\nqueue_files = 2\nremote = ["127.0.0.1:7000"]\n')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spool.queue_files: an edge ([spool] remote) has no queue files", r.stderr)


if __name__ == "__main__":
    main()
