"""Monitoring: Prometheus /metrics with live values (checked by promtool),
`mailactor stats`, and the per-address connection limit."""

import json
import os
import re
import smtplib
import socket
import subprocess
import time
import unittest
import urllib.request

from harness import BIN, Client, Server, free_port, get, main, scrape

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def with_metrics(port):
    return '[metrics]\nlisten = "127.0.0.1:%d"\n' % port


def send_plain(port, n):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        for i in range(n):
            s.sendmail("a@b.example", ["x@example.test"], b"Subject: m\r\n\r\nx\r\n")




def values(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value) if value not in ("Nan", "NaN") else None
    return out


def catalogue():
    r = subprocess.run([BIN, "stats", "--catalogue", "--json"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def declares(entries, actor, key):
    """Whether a catalogue line of `actor` declares `key` (exactly, or with its label in "{}")."""
    for e in entries:
        if e["actor"] != actor:
            continue
        prefix, brace, suffix = e["key"].partition("{}")
        if e["key"] == key or (brace and len(key) > len(prefix) + len(suffix)
                               and key.startswith(prefix) and key.endswith(suffix)):
            return True
    return False


class Metrics(unittest.TestCase):
    def check_catalogue(self, port, text):
        """What a running server reports is what actors/observe/metric_catalogue.hpp declares, and
        docs/metrics.md is the catalogue's."""
        entries = catalogue()
        doc = subprocess.run([BIN, "stats", "--catalogue"], capture_output=True, text=True, timeout=30).stdout
        with open(os.path.join(ROOT, "docs/metrics.md")) as f:
            self.assertEqual(f.read(), doc, "docs/metrics.md: run `mailactor stats --catalogue > docs/metrics.md`")
        status, body = get(port, "/stats.json")
        self.assertEqual(status, 200)
        actors = json.loads(body)["actors"]
        undeclared = ["%s: %s" % (a["name"], k) for a in actors for k in a["counters"]
                      if not declares(entries, a["name"], k)]
        self.assertEqual(undeclared, [], "reported but not in the catalogue")
        scraped = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
        declared = {e["family"] for e in entries}
        self.assertEqual(sorted(scraped - declared), [], "scraped but not in the catalogue")
        # Every family of the actors this server runs is scraped, but those that need what this
        # test does not set up.
        needs_more = {
            "mailactor_tls_protocol_total": "a TLS handshake",
            "mailactor_auth_front_backend_latency_seconds": "an auth backend",
            "mailactor_session_slowest_seconds": "a live session when the sessions are asked",
        }
        running = {a["name"] for a in actors} | {"*"}
        missing = sorted({e["family"] for e in entries if e["actor"] in running} - scraped - set(needs_more))
        self.assertEqual(missing, [], "declared but not scraped")

    def test_metrics_reflect_traffic(self):
        port = free_port()
        with Server(metrics_lines=with_metrics(port)) as srv:
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
            r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn("mailactor_", r.stdout + r.stderr, "lint problems in our families")
            self.check_catalogue(port, text)
            # The CLI reads the same endpoint.
            r = subprocess.run([BIN, "stats", "--url", "http://127.0.0.1:%d/metrics" % port, "--once", "--json"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(json.loads(r.stdout)["mailactor_queue_writer_commits_total"], 3)
            r = subprocess.run([BIN, "stats", "--config", srv.config, "--once"], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"messages queued\s+3")

    def test_scrapes_do_not_ask_every_session(self):
        port = free_port()
        with Server(metrics_lines=with_metrics(port)) as srv:
            idle = [Client(srv.port) for _ in range(20)]
            for c in idle:
                c.reply()
            for _ in range(5):
                v = values(scrape(port))
                self.assertEqual(v["mailactor_sessions_active"], 20)
                self.assertEqual(v['mailactor_sessions_in_state{state="greeting"}'], 20)
                self.assertEqual(len([k for k in v if k.startswith("mailactor_session_slowest_seconds{")]), 5)
            # Five scrapes within 10 s: the sessions were asked once (20 requests), not five times.
            self.assertEqual(v["mailactor_sessions_asked_for_stats_total"], 20)
            for c in idle:
                c.close()

    def test_sessions_by_state_slowest_and_latency(self):
        port = free_port()
        with Server(metrics_lines=with_metrics(port)) as srv:
            send_plain(srv.port, 4)
            greeting = Client(srv.port)
            greeting.reply()
            command = Client(srv.port)
            command.reply()
            command.cmd("EHLO c.example")
            data = Client(srv.port)
            self.assertRegex(data.open_data("d.example", "a@b.example", "x@example.test"), r"^354 ")
            data.send("Subject: half\r\n")
            data_port = data.sock.getsockname()[1]
            time.sleep(1.2)
            v = values(scrape(port))
            for state, n in (("greeting", 1), ("command", 1), ("data", 1), ("auth", 0), ("tls", 0)):
                self.assertEqual(v['mailactor_sessions_in_state{state="%s"}' % state], n, state)
            self.assertEqual(v["mailactor_sessions_active"], 3)
            self.assertEqual(v['mailactor_actor_instances{actor="session"}'], 3)
            slowest = {k: val for k, val in v.items() if k.startswith("mailactor_session_slowest_seconds{")}
            self.assertEqual(len(slowest), 3)
            ranks = sorted((int(k.split('rank="')[1].split('"')[0]), val) for k, val in slowest.items())
            self.assertEqual([r for r, _ in ranks], [1, 2, 3])
            self.assertEqual([val for _, val in ranks], sorted((val for _, val in ranks), reverse=True))
            self.assertTrue(any('client="127.0.0.1:%d"' % data_port in k and 'state="data"' in k and val >= 1.0
                                for k, val in slowest.items()), slowest)
            # Handler time and latency histograms, for every kind of actor.
            for actor in ("session", "broker", "spooler", "queue_writer", "deliverer"):
                self.assertGreater(v['mailactor_actor_messages_handled_total{actor="%s"}' % actor], 0, actor)
                self.assertIn('mailactor_actor_busy_seconds_total{actor="%s"}' % actor, v)
            self.assertEqual(v["mailactor_queue_writer_commit_latency_seconds_count"], 4)
            srv.wait_delivered(4)
            self.assertEqual(values(scrape(port))["mailactor_deliverer_delivery_latency_seconds_count"], 4)
            r = subprocess.run([BIN, "stats", "--config", srv.config, "--once"], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"greeting 1\s+command 1\s+auth 0\s+tls 0\s+data 1")
            # The half-sent message's session is at least 1.2 s old by now; how much older depends
            # on the machine's load (under the sanitizers, on a busy CI host, seen at 2.x s).
            age = re.search(r"[123]\s+127\.0\.0\.1:%d\s+smtp\s+data\s+(\d+\.\d) s" % data_port, r.stdout)
            self.assertIsNotNone(age, r.stdout)
            self.assertGreaterEqual(float(age.group(1)), 1.2)
            self.assertRegex(r.stdout, r"queue_writer_commit_latency_seconds\s+[0-9.]+\s+[0-9.]+")
            self.assertRegex(r.stdout, r"session\s+3\s+\d+")
            # Every series the shipped Grafana dashboard plots exists (those that need AUTH or TLS
            # traffic aside).
            text = scrape(port)
            dashboard = json.load(open(os.path.join(ROOT, "conf/grafana/mailactor-dashboard.json")))
            needs_traffic = ("auth_front", "tls_", "rejections", "shed", "remote_spool")  # edges: test_cluster
            for panel in dashboard["panels"]:
                for target in panel["targets"]:
                    for name in re.findall(r"mailactor_[a-z0-9_]+", target["expr"]):
                        if not any(t in name for t in needs_traffic):
                            self.assertRegex(text, r"(?m)^%s[{ ]" % name, panel["title"])
            for c in (greeting, command, data):
                c.sock.close()

    def test_limits_per_listener(self):
        second = '[listener.limits]\nmax_sessions_per_ip = 1\nmax_message_size = 2048\n\n' \
                 '[[listener]]\nname = "other"\nlisten = "127.0.0.1:0"\n[listener.limits]\nmax_sessions = 2\n'
        port = free_port()
        with Server(tls_lines=second, metrics_lines=with_metrics(port)) as srv:
            other = int(srv.wait_log(r"listening on 127\.0\.0\.1:(\d+) \(other").split(":")[-1].split(" ")[0])
            a = Client(srv.port)
            self.assertEqual(a.reply()[0], 220)
            b = Client(srv.port)
            self.assertEqual(b.line(), "421 4.7.0 Too many connections from your address")
            c, d = Client(other), Client(other)
            self.assertEqual(c.reply()[0], 220)
            self.assertEqual(d.reply()[0], 220)
            big = "x" * 3000
            for client, expect in ((a, "552 5.3.4"), (c, "250 ")):
                client.cmd("EHLO e.example")
                client.cmd("MAIL FROM:<a@b.example>")
                client.cmd("RCPT TO:<x@example.test>")
                client.cmd("DATA")
                self.assertTrue(client.cmd(big + "\r\n.").startswith(expect))
            self.assertEqual(len(srv.rows()), 1)
            v = values(scrape(port))
            self.assertEqual(v['mailactor_listener_refused_total{listener="smtp"}'], 1)
            self.assertEqual(v['mailactor_listener_refused_total{listener="other"}'], 0)
            self.assertEqual(v['mailactor_listener_sessions{listener="other"}'], 2)
            # "other" is full (2): a third client waits in the backlog until a slot frees.
            e = Client(other, timeout=1)
            with self.assertRaises(socket.timeout):
                e.line()
            self.assertEqual(Client(srv.port).reply()[0], 421)  # "smtp" (per address 1) still answers
            c.cmd("QUIT")
            e.sock.settimeout(10)
            self.assertEqual(e.reply()[0], 220)

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
            # The session logs its disconnect before its broker hears of the closed socket and
            # gives the address's slot back: a client right after it may still be one too many.
            deadline = time.time() + 5
            while True:
                d = Client(srv.port)
                first = d.reply()[0]
                if first == 220 or time.time() > deadline:
                    break
                d.close()
                time.sleep(0.05)
            self.assertEqual(first, 220)


if __name__ == "__main__":
    main()
