"""The delivery plug point as a developer uses it: examples/webhook-target built against an
installed mailactor, its route picked by `[routing.routes]`, posting each message to a real HTTP
service on loopback (Python's http.server, started here). The service's answer is the
recipient's fate: 2xx delivered, 410 a bounce, 503 or no answer in time tried again."""

import email
import email.policy
import http.server
import json
import os
import shutil
import smtplib
import tempfile
import threading
import time
import unittest

from examples import build_example, install
from harness import Server, main


def form_parts(content_type, body):
    """multipart/form-data by part name: (headers, exact bytes)."""
    boundary = email.message_from_string("Content-Type: %s\n\n" % content_type).get_param("boundary")
    parts = {}
    for chunk in body.split(b"--" + boundary.encode())[1:-1]:
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        headers = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.HTTP)
        parts[headers.get_param("name", header="content-disposition")] = (headers, data[:-2])
    return parts


class Endpoint(http.server.ThreadingHTTPServer):
    """Records each POST (headers, envelope, message) and answers by the first recipient's local
    part: gone → 410, busy → 503, slow → too late, anything else → 200."""

    daemon_threads = True

    def __init__(self):
        self.posts = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        parts = form_parts(self.headers["Content-Type"], body)
        envelope = json.loads(parts["envelope"][1])
        post = dict(path=self.path, queue_id=self.headers["X-Mailactor-Queue-Id"],
                    authorization=self.headers["Authorization"], envelope=envelope,
                    message=parts["message"][1], message_type=parts["message"][0].get_content_type())
        with self.server.lock:
            self.server.posts.append(post)
        local = envelope["rcpt_to"][0].split("@")[0]
        if local == "slow":
            time.sleep(2)
        status = {"gone": 410, "busy": 503}.get(local, 200)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class WebhookTarget(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mailactor-webhook-")
        prefix = os.path.join(cls.tmp, "prefix")
        install(prefix)
        cls.binary = build_example("webhook-target", prefix, os.path.join(cls.tmp, "build"), "mailactor-webhook")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.endpoint = Endpoint()
        threading.Thread(target=self.endpoint.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/mail" % self.endpoint.server_address[1]

    def tearDown(self):
        self.endpoint.shutdown()
        self.endpoint.server_close()

    def server(self, webhook_lines="", routes='"hooks.example.test" = "webhook"\n"alerts@example.test" = "webhook"\n'):
        return Server(binary=self.binary,
                      delivery_lines='[delivery.webhook]\nurl = "%s"\ntimeout_ms = 1000\nworkers = 2\n%s'
                      % (self.url, webhook_lines),
                      routing_lines="[routing.routes]\n" + routes)

    def posts_for(self, address, n=1, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.endpoint.lock:
                found = [p for p in self.endpoint.posts if address in p["envelope"]["rcpt_to"]]
            if len(found) >= n:
                return found
            time.sleep(0.05)
        self.fail("%d post(s) for %s, wanted %d" % (len(found), address, n))

    def recipient(self, srv, address, state, timeout=20):
        """(state, last code, last text) once `address` is in `state` after an attempt."""
        deadline = time.time() + timeout
        while True:
            rows = srv.query("select state, last_code, last_text from recipients where final_rcpt = ?", (address,))
            if rows and rows[0][0] == state and rows[0][1] is not None:
                return rows[0]
            if time.time() > deadline:
                self.fail("%s: %s, not %s" % (address, rows, state))
            time.sleep(0.05)

    def test_a_domain_and_an_address_are_posted_as_envelope_and_message(self):
        srv = self.server('authorization = "Bearer s3cret"\n')
        self.assertEqual(srv.check_config().returncode, 0, srv.check_config().stderr)
        with srv, smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
            s.ehlo("client.example")
            s.mail("sender@example.test")
            self.assertEqual(s.rcpt("Ok@Hooks.Example.Test")[0], 250)
            self.assertEqual(s.rcpt("alerts@example.test")[0], 250)
            self.assertEqual(s.rcpt("someone@example.test")[0], 250)  # not routed: the ingest Maildir
            code, reply = s.data(b"Subject: to the hook\r\n\r\nbody line\r\n")
            self.assertEqual(code, 250)
            qid = reply.decode().rsplit(" ", 1)[-1]
            post = self.posts_for("ok@hooks.example.test")[0]
            self.assertEqual(sorted(post["envelope"]["rcpt_to"]), ["alerts@example.test", "ok@hooks.example.test"])
            self.assertEqual(post["envelope"]["mail_from"], "sender@example.test")
            self.assertEqual(post["envelope"]["helo"], "client.example")
            self.assertEqual(post["queue_id"], qid)
            self.assertEqual(post["authorization"], "Bearer s3cret")
            self.assertEqual(post["path"], "/mail")
            self.assertEqual(post["message_type"], "message/rfc822")
            self.assertTrue(post["message"].startswith(b"Received: from client.example"), post["message"][:80])
            self.assertTrue(post["message"].endswith(b"Subject: to the hook\r\n\r\nbody line\r\n"))
            self.assertEqual(post["message"], srv.content(qid))
            self.assertEqual(self.recipient(srv, "ok@hooks.example.test", "delivered")[1], 250)
            self.recipient(srv, "alerts@example.test", "delivered")
            srv.wait_delivered(1)  # the unrouted recipient, as before
            self.assertEqual(len(self.endpoint.posts), 1, "one POST for both routed recipients")
            srv.wait_log(r"^.*%s: to=<ok@hooks\.example\.test>, orig_to=<Ok@Hooks\.Example\.Test>, "
                         r"route=webhook, delay=\d+, attempts=1, dsn=2\.0\.0, status=sent \(250 2\.0\.0 HTTP 200 from "
                         % qid)

    def test_410_bounces_503_and_no_answer_are_tried_again(self):
        with self.server() as srv, smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
            for rcpt in ("gone@hooks.example.test", "busy@hooks.example.test", "slow@hooks.example.test"):
                s.sendmail("sender@example.test", [rcpt], b"Subject: %s\r\n\r\nx\r\n" % rcpt.encode())
            state, code, text = self.recipient(srv, "gone@hooks.example.test", "failed")
            self.assertEqual((code, text), (550, "HTTP 410 from " + self.url))
            srv.wait_log(r": to=<gone@hooks\.example\.test>, route=webhook, .*status=bounced \(550 5\.0\.0 HTTP 410")
            bounce = srv.wait_delivered(1)  # the bounce, to the (local) sender
            with open(os.path.join(srv.maildir, "new", bounce[0]), "rb") as f:
                self.assertIn(b"HTTP 410 from " + self.url.encode(), f.read())
            self.posts_for("busy@hooks.example.test")
            self.assertEqual(self.recipient(srv, "busy@hooks.example.test", "pending")[1:],
                             (451, "HTTP 503 from " + self.url))
            srv.wait_log(r": to=<busy@hooks\.example\.test>, route=webhook, .*status=deferred \(451 4\.0\.0 HTTP 503")
            self.posts_for("slow@hooks.example.test")
            text = self.recipient(srv, "slow@hooks.example.test", "pending", timeout=10)[2]
            self.assertIn("timed out", text)

    def test_a_route_to_no_target_and_a_bad_option_are_refused_at_start(self):
        srv = self.server(routes='"hooks.example.test" = "webhok"\n')
        r = srv.check_config()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('routing.routes.hooks.example.test: no delivery target "webhok"', r.stderr)
        srv = self.server(webhook_lines='retries = 3\n')
        r = srv.check_config()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("delivery.webhook.retries: unknown key", r.stderr)
        srv = Server(binary=self.binary, delivery_lines='[delivery.webhook]\nurl = "ftp://x"\n',
                     routing_lines='[routing.routes]\n"hooks.example.test" = "webhook"\n')
        r = srv.check_config()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("delivery.webhook.url: must start with http:// or https://", r.stderr)
        self.assertEqual(srv.stored_count(), 0)


if __name__ == "__main__":
    main()
