"""Per-message traces (`mailactor trace`, /trace.json, /trace/ID): a message sent over STARTTLS
with AUTH, a refused recipient and content in several pieces shows every step in order, from the
connection to the delivery; search by sender, recipient and client; older messages (after a
restart, or past the ring's bound) are traced from the queue; a message given up during its
content is found as not queued; traces need the page's secret; off with trace_messages = 0; the
trace page in a real headless Chromium."""

import json
import os
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from harness import BIN, Client, Server, free_port, main, page_dom, queue_id, get



def trace_cli(srv, *args):
    return subprocess.run([BIN, "trace", "--config", srv.config, *args], capture_output=True, text=True,
                          timeout=30)


def wait_trace(srv, qid, step, timeout=15):
    """The message's trace (JSON) once it holds `step` (parts reach the tracer asynchronously)."""
    deadline = time.time() + timeout
    while True:
        r = trace_cli(srv, qid, "--json")
        if r.returncode == 0:
            doc = json.loads(r.stdout)
            if any(e["step"] == step for e in doc["events"]) or time.time() > deadline:
                return doc
        elif time.time() > deadline:
            raise AssertionError("no trace for %s: %s" % (qid, r.stderr))
        time.sleep(0.2)


def send(port, sender="a@b.example", rcpt=("x@example.test",), body="Subject: t\r\n\r\nhello\r\n"):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.example")
        code, text = s.docmd("MAIL FROM:<%s>" % sender)
        assert code == 250, text
        for r in rcpt:
            s.docmd("RCPT TO:<%s>" % r)
        code, text = s.data(body)
        assert code == 250, text
        return queue_id(text.decode())


def metrics(port, extra=""):
    return '[metrics]\nlisten = "127.0.0.1:%d"\n%s' % (port, extra)


class Trace(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mailactor-trace-")
        subprocess.run([BIN, "tls", "selfsigned", "--out", self.tmp, "--hostname", "mx.example.test"], check=True,
                       capture_output=True, timeout=60)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_every_step_in_order(self):
        port = free_port()
        tls = 'tls = "starttls"\ntls_cert = "%s/cert.pem"\ntls_key = "%s/key.pem"\n' % (self.tmp, self.tmp)
        with Server(metrics_lines=metrics(port), tls_lines=tls, auth_backend="allow-all") as srv:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
                s.ehlo("client.example")
                s.starttls(context=ctx)
                s.ehlo("client.example")
                s.login("alice", "secret")
                s.docmd("MAIL FROM:<alice@b.example>")
                self.assertEqual(s.docmd("RCPT TO:<x@example.test>")[0], 250)
                self.assertEqual(s.docmd("RCPT TO:<x%y@example.test>")[0], 550)
                code, text = s.data("Subject: traced\r\n\r\n" + "0123456789abcde\r\n" * 10000)
                self.assertEqual(code, 250)
                qid = queue_id(text.decode())
            srv.wait_state(qid, "delivered")
            doc = wait_trace(srv, qid, "delivery")
            steps = [e["step"] for e in doc["events"]]
            # The 250 to the client and the deliverer's dispatch both follow the group commit,
            # in either order.
            rank = {step: i for i, step in enumerate(["connect", "tls", "helo", "auth", "mail", "rcpt", "data",
                                                      "piece", "commit", "group commit", "queued", "delivery"])}
            rank["dispatch"] = rank["queued"]
            self.assertEqual(steps, sorted(steps, key=rank.get), steps)
            self.assertEqual(set(steps), set(rank), steps)
            self.assertGreaterEqual(steps.count("piece"), 2, "the content went in several pieces")
            self.assertTrue(all(e["source"] == "recent" for e in doc["events"]))
            times = [e["at_us"] for e in doc["events"]]
            self.assertEqual(times, sorted(times))
            detail = {e["step"]: e["detail"] for e in doc["events"]}
            self.assertRegex(detail["tls"], r"^TLSv1\.[23] ")
            self.assertEqual(detail["auth"], "as alice")
            self.assertIn("<alice@b.example> accepted, queue id " + qid, detail["mail"])
            rcpts = [e["detail"] for e in doc["events"] if e["step"] == "rcpt"]
            self.assertEqual(rcpts, ["<x@example.test> accepted: ingest",
                                     "<x%y@example.test> refused: 550 5.7.1 " + rcpts[1].split(" 5.7.1 ")[1]])
            self.assertRegex(detail["group commit"], r"durable in a batch of 1 message\(s\), \d+ bytes")
            self.assertRegex(detail["queued"], r"^250 queued as %s, \d+ bytes stored$" % qid)
            self.assertRegex(detail["delivery"], r"^<x@example.test> via ingest: 250 2\.0\.0 .* -> delivered \(attempt 1")
            self.assertEqual(doc["from"], "alice@b.example")
            self.assertEqual(doc["rcpt"], ["x@example.test"])
            self.assertEqual(doc["queue"]["state"], "delivered")
            self.assertEqual(doc["queue"]["recipients"][0]["state"], "delivered")
            # The CLI's timeline and the endpoint say the same.
            text = trace_cli(srv, qid).stdout
            self.assertIn("Message %s from <alice@b.example> to <x@example.test>" % qid, text)
            self.assertRegex(text, r"group commit\s+durable in a batch")
            self.assertIn("Queue: delivered", text)
            status, body = get(port, "/trace.json?id=" + qid)
            self.assertEqual(status, 200)
            self.assertEqual([e["step"] for e in json.loads(body)["events"]], steps)

    def test_search_and_unknown_ids(self):
        port = free_port()
        with Server(metrics_lines=metrics(port)) as srv:
            first = send(srv.port, sender="carol@b.example", rcpt=("dave@example.test",))
            second = send(srv.port, sender="erin@b.example", rcpt=("frank@example.test",))
            wait_trace(srv, second, "queued")
            found = lambda text: [m["id"] for m in json.loads(trace_cli(srv, "--search", text, "--json").stdout)["messages"]]
            self.assertEqual(found("carol@"), [first])
            self.assertEqual(found("FRANK@example.test"), [second])
            self.assertEqual(found("127.0.0.1"), [second, first])  # newest first
            self.assertEqual(found("nobody@"), [])
            listing = trace_cli(srv, "--search", "b.example").stdout
            self.assertRegex(listing, r"(?m)^%s .*<carol@b.example> -> dave@example.test" % first)
            r = trace_cli(srv, "0123456789ABCDEF0000000")
            self.assertEqual(r.returncode, 1)
            self.assertIn("no message 0123456789ABCDEF0000000", r.stderr)
            self.assertEqual(get(port, "/trace.json?id=../queue.db")[0], 404)
            self.assertEqual(get(port, "/trace.json")[0], 400)
            self.assertEqual(trace_cli(srv, first, "--search", "x").returncode, 2)

    def test_older_messages_from_the_queue(self):
        port = free_port()
        with Server(metrics_lines=metrics(port, "trace_messages = 3\n")) as srv:
            ids = []
            for _ in range(5):
                # One at a time, each whole in the ring before the next: a part arriving after its
                # message was forgotten makes a new entry, so on a loaded host parallel parts
                # would forget more than the two this counts.
                ids.append(send(srv.port))
                srv.wait_state(ids[-1], "delivered")
                wait_trace(srv, ids[-1], "delivery")
            old = json.loads(trace_cli(srv, ids[0], "--json").stdout)
            self.assertFalse(old["recent"], "past the bound of 3: from the queue")
            self.assertEqual([e["step"] for e in old["events"]], ["queued", "delivery"])
            self.assertTrue(all(e["source"] == "queue" for e in old["events"]))
            self.assertIn("attempt 1, now delivered", old["events"][1]["detail"])
            self.assertTrue(json.loads(trace_cli(srv, ids[-1], "--json").stdout)["recent"])
            deadline = time.time() + 10  # /stats.json is sampled once a second
            while True:
                actors = json.loads(get(port, "/stats.json")[1])["actors"]
                tracer = next((a for a in actors if a["name"] == "tracer"), {"counters": {}})
                if tracer["counters"].get("forgotten_messages") == 2 or time.time() > deadline:
                    break
                time.sleep(0.3)
            self.assertEqual(tracer["counters"]["traced_messages"], 3)
            self.assertEqual(tracer["counters"]["forgotten_messages"], 2)
            srv.stop()
            srv.start()
            after = trace_cli(srv, ids[-1])
            self.assertEqual(after.returncode, 0, after.stderr)
            self.assertIn("(not in the recent traces: the steps the queue keeps)", after.stdout)
            self.assertIn("Queue: delivered", after.stdout)

    def test_many_recipients_keep_the_outcome(self):
        port = free_port()
        with Server(metrics_lines=metrics(port)) as srv:
            qid = send(srv.port, rcpt=["r%d@example.test" % i for i in range(60)])
            srv.wait_state(qid, "delivered")
            doc = wait_trace(srv, qid, "delivery")
            steps = [e["step"] for e in doc["events"]]
            self.assertIn("queued", steps, "the outcome is kept past the bound on steps")
            self.assertGreater(doc["events_dropped"], 0)
            self.assertLessEqual(len(steps), 64)
            self.assertEqual(len(doc["rcpt"]), 60)

    def test_given_up_during_the_content(self):
        port = free_port()
        with Server(metrics_lines=metrics(port)) as srv:
            c = Client(srv.port)
            self.assertRegex(c.open_data("c.example", "lost@b.example", "x@example.test"), r"^354 ")
            c.send("Subject: half\r\n\r\npart of it\r\n")
            c.close()
            # An envelope without content (RSET) is not traced.
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO c.example")
            c.cmd("MAIL FROM:<verify@b.example>")
            c.cmd("RCPT TO:<x@example.test>")
            c.cmd("RSET")
            c.cmd("QUIT")
            srv.wait_log(r"lost 127\.0\.0\.1:\d+ mid-transaction")
            deadline = time.time() + 10
            while True:
                found = json.loads(trace_cli(srv, "--search", "lost@", "--json").stdout)["messages"]
                if found or time.time() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(len(found), 1)
            self.assertEqual(found[0]["last_step"], "not queued")
            self.assertIn("nothing stored", found[0]["last_detail"])
            self.assertEqual(json.loads(trace_cli(srv, "--search", "verify@", "--json").stdout)["messages"], [])
            self.assertEqual(srv.stored_count(), 0)

    def test_traces_need_the_pages_secret(self):
        port = free_port()
        password = os.path.join(self.tmp, "password")
        with open(password, "w") as f:
            f.write("pw\n")
        with Server(metrics_lines=metrics(port, 'password_file = "%s"\n' % password)) as srv:
            qid = send(srv.port)
            self.assertEqual(get(port, "/trace.json?id=" + qid)[0], 401)
            self.assertEqual(get(port, "/trace/" + qid)[0], 401)
            self.assertEqual(get(port, "/trace.json?q=")[0], 401)
            # The CLI sends the config's password.
            self.assertEqual(wait_trace(srv, qid, "queued")["id"], qid)

    def test_off(self):
        port = free_port()
        with Server(metrics_lines=metrics(port, "trace_messages = 0\n")) as srv:
            qid = send(srv.port)
            srv.wait_state(qid, "delivered")
            doc = json.loads(trace_cli(srv, qid, "--json").stdout)
            self.assertFalse(doc["recent"])
            self.assertEqual(doc["queue"]["state"], "delivered")
            deadline = time.time() + 10  # /stats.json is sampled once a second
            while True:
                names = [a["name"] for a in json.loads(get(port, "/stats.json")[1])["actors"]]
                if "queue_writer" in names or time.time() > deadline:
                    break
                time.sleep(0.3)
            self.assertNotIn("tracer", names)


class TracePage(unittest.TestCase):
    """/trace/ID and /trace/?q= in Debian's Chromium, headless."""

    def dom(self, url):
        return page_dom(url, 3000)

    def test_page_shows_the_steps_and_the_search(self):
        port = free_port()
        with Server(metrics_lines=metrics(port)) as srv:
            qid = send(srv.port, sender="page@b.example")
            srv.wait_delivered(1)
            wait_trace(srv, qid, "delivery")
            page = self.dom("http://127.0.0.1:%d/trace/%s" % (port, qid))
            self.assertIn("Message " + qid, page)
            for step in ("connect", "helo", "mail", "rcpt", "data", "commit", "group commit", "queued",
                         "dispatch", "delivery"):
                self.assertIn('data-step="%s"' % step, page)
            self.assertIn('<ul id="errors"></ul>', page)
            listing = self.dom("http://127.0.0.1:%d/trace/?q=page%%40b.example" % port)
            self.assertIn('href="/trace/%s"' % qid, listing)
            missing = self.dom("http://127.0.0.1:%d/trace/0123456789ABCDEF0000000" % port)
            self.assertIn("No message 0123456789ABCDEF0000000", missing)


if __name__ == "__main__":
    main()
