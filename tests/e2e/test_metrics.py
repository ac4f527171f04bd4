"""Monitoring: Prometheus /metrics with live values (checked by promtool when installed),
`mailactor stats`, and the per-address connection limit."""

import json
import shutil
import smtplib
import socket
import subprocess
import unittest
import urllib.request

from harness import BIN, Client, Server, main


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read().decode()


def values(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value) if value not in ("Nan", "NaN") else None
    return out


class Metrics(unittest.TestCase):
    def test_metrics_reflect_traffic(self):
        port = free_port()
        with Server(metrics_lines='[metrics]\nlisten = "127.0.0.1:%d"\n' % port) as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
                for i in range(3):
                    s.sendmail("a@b.example", ["x@example.test"], b"Subject: m\r\n\r\nx\r\n")
                with self.assertRaises(smtplib.SMTPRecipientsRefused):
                    s.sendmail("a@b.example", ["x@elsewhere.example"], b"x\r\n")
            srv.wait_delivered(3)
            srv.wait_log("disconnect")
            text = scrape(port)
            v = values(text)
            self.assertEqual(v["mailactor_up"], 1)
            self.assertEqual(v["mailactor_queue_writer_commits_total"], 3)
            self.assertEqual(v["mailactor_smtp_rejections_total{code=\"550\"}"], 1)
            self.assertEqual(v["mailactor_sessions_messages_queued_total"], 3)
            self.assertEqual(v["mailactor_broker_accepted_total"], 1)
            self.assertEqual(v["mailactor_queue_writer_batch_size_sum"], 3)
            self.assertEqual(v["mailactor_queue_writer_batch_size_count"], v["mailactor_queue_writer_batches_total"])
            self.assertEqual(v["mailactor_queue_writer_batch_size_bucket{le=\"+Inf\"}"],
                             v["mailactor_queue_writer_batch_size_count"])
            for actor in ("broker", "spooler", "queue_writer", "deliverer", "auth_front"):
                self.assertIn("mailactor_actor_mailbox_depth{actor=\"%s\"}" % actor, v)
            self.assertIn("# TYPE mailactor_queue_writer_batch_size histogram", text)
            self.assertIn("# TYPE mailactor_actor_mailbox_depth gauge", text)
            if shutil.which("promtool"):
                r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertNotIn("mailactor_", r.stdout + r.stderr, "lint problems in our families")
            # The CLI reads the same endpoint.
            r = subprocess.run([BIN, "stats", "--url", "http://127.0.0.1:%d/metrics" % port, "--once", "--json"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["mailactor_queue_writer_commits_total"], 3)
            r = subprocess.run([BIN, "stats", "--config", srv.config, "--once"], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"messages queued\s+3")

    def test_stats_without_metrics_is_a_clear_error(self):
        srv = Server()
        r = subprocess.run([BIN, "stats", "--config", srv.config, "--once"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("[metrics] listen is not set", r.stderr)

    def test_connection_and_message_rates(self):
        with Server(max_connection_rate_per_ip=3, max_message_rate_per_ip=2) as srv:
            clients = [Client(srv.port) for _ in range(3)]
            for c in clients:
                self.assertEqual(c.reply()[0], 220)
            c = Client(srv.port)
            self.assertEqual(c.line(), "421 4.7.0 Too many connections from your address, slow down")
            a = clients[0]
            a.cmd("EHLO r.example")
            for i in range(2):
                self.assertEqual(a.cmd("MAIL FROM:<a@b.example>"), "250 2.1.0 Ok")
                a.cmd("RCPT TO:<x@example.test>")
                a.cmd("DATA")
                self.assertRegex(a.cmd("x\r\n."), r"^250 ")
            self.assertEqual(a.cmd("MAIL FROM:<a@b.example>"), "450 4.7.1 Too many messages from your address, slow down")
            self.assertEqual(len(srv.rows()), 2)

    def test_per_address_limit(self):
        with Server(max_sessions_per_ip=2) as srv:
            a, b = Client(srv.port), Client(srv.port)
            a.reply(), b.reply()
            c = Client(srv.port)
            self.assertEqual(c.line(), "421 4.7.0 Too many connections from your address")
            self.assertTrue(c.closed())
            a.cmd("QUIT")
            srv.wait_log(r"disconnect")
            d = Client(srv.port)
            self.assertEqual(d.reply()[0], 220)


if __name__ == "__main__":
    main()
