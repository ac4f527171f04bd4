"""The live view on the metrics listener: /stats.json (docs/stats-json.md) against what the test
sent, who may read it (loopback open; a token or password once configured; non-loopback without
one refused at config), only GET answered; and the page itself in a real headless Chromium: the
topology and charts render, the numbers change between two snapshots, the accepted counter is
what the test sent, no script error; a screenshot is kept as a test artifact."""

import base64
import json
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from harness import BIN, Server, free_port, headless_dom, main, page_dom, get, metrics_lines

ARTIFACTS = os.environ.get("MAILACTOR_ARTIFACTS",
                           os.path.join(os.environ.get("MAILACTOR_BUILD_DIR", tempfile.gettempdir()), "artifacts"))




def send(port, n):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        for _ in range(n):
            s.sendmail("a@b.example", ["x@example.test"], b"Subject: live\r\n\r\nx\r\n")


def stats(port, until=lambda s: True, timeout=15):
    """/stats.json once `until` holds for it (the view is sampled once a second)."""
    deadline = time.time() + timeout
    while True:
        status, body = get(port, "/stats.json")
        assert status == 200, (status, body)
        doc = json.loads(body)
        try:
            done = until(doc)
        except (StopIteration, KeyError):  # sampled before every actor had registered
            done = False
        if done or time.time() > deadline:
            return doc
        time.sleep(0.3)


def baseline(port):
    """Until the view has compared two samples: what is sent after this shows up as growth in
    the series (a first sample taken late, on a loaded machine, would already hold it)."""
    stats(port, lambda d: len(d["series"]["t"]) >= 1)


def actor(doc, name):
    return next(a for a in doc["actors"] if a["name"] == name)




class StatsJson(unittest.TestCase):
    def test_schema_and_figures_match_what_was_sent(self):
        port = free_port()
        with Server(metrics_lines=metrics_lines(port)) as srv:
            baseline(port)
            send(srv.port, 25)
            doc = stats(port, lambda d: d["actors"] and actor(d, "queue_writer")["counters"]["commits"] == 25
                        and sum(d["series"]["accepted_per_s"]) > 0)
            self.assertEqual(doc["version"], 1)
            for key, kind in (("time", float), ("uptime_s", (int, float)), ("pressure", dict), ("sessions", dict),
                              ("actors", list), ("series", dict)):
                self.assertIsInstance(doc[key], kind, key)
            self.assertEqual(set(doc["pressure"]), {"level", "name", "writer_depth", "commit_latency_ms"})
            self.assertEqual(doc["pressure"]["name"], "normal")
            self.assertEqual(set(doc["sessions"]["by_state"]), {"greeting", "command", "auth", "tls", "data"})
            names = {a["name"] for a in doc["actors"]}
            self.assertTrue({"sessions", "broker", "spooler", "queue_writer", "deliverer"} <= names, names)
            for a in doc["actors"]:
                self.assertEqual(set(a), {"name", "instances", "mailbox", "mailbox_high_water", "handled", "busy_us",
                                          "counters", "messages_per_s", "busy_percent"})
            self.assertEqual(actor(doc, "queue_writer")["counters"]["commits"], 25)
            series = doc["series"]
            n = len(series["t"])
            self.assertGreater(n, 0)
            for key in ("accepted_per_s", "delivered_per_s", "commit_p50_ms", "commit_p99_ms", "batch_size", "sessions"):
                self.assertEqual(len(series[key]), n, key)
            self.assertEqual(series["t"], sorted(series["t"]))
            # Every accepted message is in the series once (rates × 1 s intervals add up to 25).
            seconds = [b - a for a, b in zip([series["t"][0] - 1] + series["t"], series["t"])]
            self.assertAlmostEqual(sum(r * s for r, s in zip(series["accepted_per_s"], seconds)), 25, delta=1.5)
            self.assertGreater(max(series["commit_p99_ms"]), 0)

    def test_refusals_by_code_in_the_series(self):
        port = free_port()
        with Server(metrics_lines=metrics_lines(port)) as srv:
            baseline(port)
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                s.ehlo("c.example")
                s.mail("a@b.example")
                for _ in range(3):
                    self.assertEqual(s.rcpt("x@elsewhere.example")[0], 550)
            doc = stats(port, lambda d: "550" in d["series"]["refusals_per_s"])
            self.assertAlmostEqual(sum(doc["series"]["refusals_per_s"]["550"]), 3, delta=0.5)


class Access(unittest.TestCase):
    def secret(self, directory, name, value):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write(value + "\n")
        return path

    def test_loopback_is_open(self):
        port = free_port()
        with Server(metrics_lines=metrics_lines(port)):
            for path in ("/", "/stats.json", "/metrics", "/assets/app.js", "/assets/uPlot.iife.min.js"):
                self.assertEqual(get(port, path)[0], 200, path)
            self.assertEqual(get(port, "/nothing-here")[0], 404)
            # Read-only: nothing but GET is answered.
            self.assertNotEqual(get(port, "/stats.json", method="POST")[0], 200)
            self.assertNotEqual(get(port, "/", method="PUT")[0], 200)

    def test_token_or_password_once_configured(self):
        port = free_port()
        d = tempfile.mkdtemp(prefix="mailactor-web-")
        try:
            extra = 'token_file = "%s"\npassword_file = "%s"\n' % (self.secret(d, "token", "t0k3n"),
                                                                   self.secret(d, "password", "pw"))
            with Server(metrics_lines=metrics_lines(port, extra)):
                for path in ("/", "/stats.json", "/assets/app.js"):
                    status, body = get(port, path)
                    self.assertEqual(status, 401, path)
                    self.assertNotIn("mailactor_", body)
                    self.assertEqual(get(port, path, {"Authorization": "Bearer wrong"})[0], 401)
                    self.assertEqual(get(port, path, {"Authorization": "Bearer t0k3n"})[0], 200)
                    basic = base64.b64encode(b"ops:pw").decode()
                    self.assertEqual(get(port, path, {"Authorization": "Basic " + basic})[0], 200)
                self.assertEqual(get(port, "/metrics")[0], 200)  # protect_metrics is off
            with Server(metrics_lines=metrics_lines(port, extra + "protect_metrics = true\n")) as srv:
                self.assertEqual(get(port, "/metrics")[0], 401)
                self.assertEqual(get(port, "/metrics", {"Authorization": "Bearer t0k3n"})[0], 200)
                # `mailactor stats` sends the config's secret.
                r = subprocess.run([BIN, "stats", "--config", srv.config, "--once"], capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("queue_writer", r.stdout)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_config_mistakes(self):
        d = tempfile.mkdtemp(prefix="mailactor-web-")
        try:
            empty = self.secret(d, "empty", "")
            for lines, message in (
                ('[metrics]\nlisten = "0.0.0.0:9125"\n', 'metrics.listen: "0.0.0.0:9125" is not a loopback address'),
                ('[metrics]\nlisten = "127.0.0.1:9125"\nprotect_metrics = true\n', "protect_metrics: needs token_file"),
                ('[metrics]\nlisten = "127.0.0.1:9125"\ntoken_file = "%s"\n' % empty, "the first line (the secret) is empty"),
                ('[metrics]\nlisten = "127.0.0.1:9125"\ntoken_file = "%s/none"\n' % d, "cannot read"),
            ):
                with self.subTest(lines):
                    r = Server(metrics_lines=lines).check_config()
                    self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                    self.assertIn(message, r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_metrics_port_taken_exits_at_once(self):
        """The listener cannot bind: a clear error and exit 1 (it used to hang, deaf to SIGTERM,
        waiting for the actors it had already spawned)."""
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        srv = Server(metrics_lines=metrics_lines(taken.getsockname()[1]))
        try:
            r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("cannot start: cannot serve metrics on 127.0.0.1:%d" % taken.getsockname()[1], r.stderr)
        finally:
            taken.close()
            shutil.rmtree(srv.dir, ignore_errors=True)


class Browser(unittest.TestCase):
    """The page in Debian's Chromium, headless, on loopback; --dump-dom after the page has run."""

    def chromium(self, url, *args, budget_ms=4000):
        return headless_dom(url, budget_ms, *args)

    def dom(self, url):
        return page_dom(url)

    def test_page_renders_live_figures(self):
        port = free_port()
        with Server(metrics_lines=metrics_lines(port)) as srv:
            send(srv.port, 40)
            stats(port, lambda d: d["actors"] and actor(d, "queue_writer")["counters"]["commits"] == 40)
            url = "http://127.0.0.1:%d/" % port
            first = self.dom(url)
            # A small load keeps running while the second snapshot is taken.
            load = threading.Thread(target=send, args=(srv.port, 60))
            load.start()
            time.sleep(1.5)
            second = self.dom(url)
            load.join()
            for page in (first, second):
                self.assertIn('<ul id="errors"></ul>', page)
                for name in ("broker", "sessions", "spooler", "queue_writer", "deliverer"):
                    self.assertIn('data-actor="%s"' % name, page)
                self.assertIn('data-actor="listener:smtp"', page)
                self.assertIn('data-actor="target:ingest"', page)
                self.assertEqual(page.count('class="uplot'), 5, "five charts")
            accepted = [int(re.search(r'id="accepted-total">([\d,]+)<', p).group(1).replace(",", "")) for p in (first, second)]
            self.assertEqual(accepted[0], 40)  # what the test sent before the first snapshot
            self.assertGreater(accepted[1], accepted[0])
            os.makedirs(ARTIFACTS, exist_ok=True)
            shot = os.path.join(ARTIFACTS, "live-view.png")
            r = self.chromium(url, "--screenshot=" + shot, "--window-size=1400,1200")
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertGreater(os.path.getsize(shot), 20000)
            print("screenshot:", shot)

    def test_page_with_a_password_needs_it(self):
        port = free_port()
        d = tempfile.mkdtemp(prefix="mailactor-web-")
        try:
            password = os.path.join(d, "password")
            with open(password, "w") as f:
                f.write("pw\n")
            with Server(metrics_lines=metrics_lines(port, 'password_file = "%s"\n' % password)):
                self.assertNotIn('id="topology"', self.dom("http://127.0.0.1:%d/" % port))  # 401: nothing
                # With the password (HTTP basic, as a browser asks for it) the page and its
                # /stats.json polls work.
                page = self.dom("http://ops:pw@127.0.0.1:%d/" % port)
                self.assertIn('data-actor="queue_writer"', page)
                self.assertIn('<ul id="errors"></ul>', page)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
