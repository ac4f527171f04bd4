"""Real clients against the real binary: Python smtplib, swaks, curl, mailactor send; byte-exact
storage in the queue and the Maildir; envelope JSON; pipelining; concurrency."""

import email.message
import json
import os
import smtplib
import subprocess
import tempfile
import threading
import unittest

from harness import BIN, Client, Server, queue_id, received_header_len, main

BODY = (b"From: <a@b.example>\r\nTo: <x@example.test>\r\nSubject: exact bytes\r\n\r\n"
        b"line one\r\n.leading dot (stuffed on the wire)\r\n\ttab\r\n\xc3\xa9 8-bit\r\n")


class Clients(unittest.TestCase):
    def check_stored(self, srv, qid, body, mail_from, rcpts):
        stored = srv.content(qid)
        self.assertTrue(stored.startswith(b"Received: from "), stored[:100])
        hdr = received_header_len(stored)
        self.assertEqual(stored[hdr:], body)
        self.assertIn(("id " + qid).encode(), stored[:hdr])
        delivered = srv.wait_delivered(1) and srv.delivered_bytes(qid)
        self.assertEqual(delivered, stored)
        with open(os.path.join(srv.maildir, "envelope", qid + ".json")) as f:
            env = json.load(f)
        self.assertEqual(env["id"], qid)
        self.assertEqual(env["mail_from"], mail_from)
        self.assertEqual(env["rcpt_to"], rcpts)
        self.assertEqual(env["client"]["address"], "127.0.0.1")
        self.assertEqual(env["listener"], "smtp")
        self.assertEqual(env["size"], len(stored))
        self.assertIsNone(env["tls"])
        self.assertRegex(env["received_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        row = srv.wait_state(qid, "delivered")
        self.assertEqual(json.loads(row["rcpt_to"]), rcpts)
        self.assertEqual(row["size"], len(stored))

    def test_smtplib_sendmail_byte_exact(self):
        with Server() as srv:
            s = smtplib.SMTP("127.0.0.1", srv.port, timeout=10)
            code, _ = s.ehlo("client.example")
            self.assertEqual(code, 250)
            self.assertTrue(s.has_extn("pipelining") and s.has_extn("chunking") and s.has_extn("smtputf8"))
            s.mail("a@b.example", ["BODY=8BITMIME"])
            s.rcpt("x@example.test")
            s.rcpt("y@EXAMPLE.test")
            code, msg = s.data(BODY)
            self.assertEqual(code, 250)
            qid = queue_id(msg.decode())
            s.quit()
            self.check_stored(srv, qid, BODY, "a@b.example", ["x@example.test", "y@EXAMPLE.test"])
            row = srv.rows()[0]
            self.assertEqual(row["helo"], "client.example")
            self.assertEqual(row["protocol"], "ESMTP")
            self.assertIn("BODY=8BITMIME", row["params"])

    def test_smtplib_send_message(self):
        with Server() as srv:
            m = email.message.EmailMessage()
            m["From"] = "a@b.example"
            m["To"] = "x@example.test"
            m["Subject"] = "send_message"
            m.set_content("hello\n.\nnot the end\n")
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                self.assertEqual(s.send_message(m), {})
            srv.wait_delivered(1)
            stored = srv.delivered_bytes(srv.delivered()[0])
            self.assertIn(b"\r\n.\r\nnot the end\r\n", stored)

    def test_pipelining_in_one_write(self):
        with Server() as srv:
            c = Client(srv.port)
            self.assertEqual(c.reply()[0], 220)
            c.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\n"
                   "RCPT TO:<z@elsewhere.example>\r\nDATA\r\n")
            self.assertEqual(c.reply()[0], 250)
            self.assertEqual(c.line(), "250 2.1.0 Ok")
            self.assertEqual(c.line(), "250 2.1.5 Ok")
            self.assertEqual(c.line(), "550 5.7.1 Relay access denied")
            self.assertTrue(c.line().startswith("354 "))
            c.send("Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<b@b.example>\r\nRCPT TO:<y@example.test>\r\n"
                   "BDAT 6 LAST\r\nchunk!QUIT\r\n")
            first = queue_id(c.line())
            self.assertEqual(c.line(), "250 2.1.0 Ok")
            self.assertEqual(c.line(), "250 2.1.5 Ok")
            second = queue_id(c.line())
            self.assertEqual(c.line(), "221 2.0.0 Bye")
            self.assertTrue(c.closed())
            srv.wait_delivered(2)
            self.assertTrue(srv.content(first).endswith(b"\r\n\r\nbody\r\n"))
            self.assertTrue(srv.content(second).endswith(b"\r\nchunk!"))
            self.assertEqual(json.loads(srv.rows("id = '%s'" % first)[0]["rcpt_to"]), ["x@example.test"])

    def test_swaks(self):
        with Server() as srv:
            for extra in ([], ["--pipeline"]):
                r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % srv.port, "--from", "s@b.example",
                                    "--to", "x@example.test", "--helo", "swaks.example",
                                    "--header", "Subject: via swaks", "--body", "swaks body\n", *extra],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertRegex(r.stdout, r"<-  250 2\.0\.0 Ok: queued as [0-9A-F]+")
            srv.wait_delivered(2)
            for qid in srv.delivered():
                self.assertIn(b"Subject: via swaks", srv.delivered_bytes(qid))
                self.assertIn(b"swaks body", srv.delivered_bytes(qid))

    def test_swaks_relay_denied(self):
        with Server() as srv:
            r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % srv.port, "--from", "s@b.example",
                                "--to", "victim@elsewhere.example"], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("550 5.7.1 Relay access denied", r.stdout)
            self.assertEqual(srv.stored_count(), 0)

    def test_curl(self):
        with Server() as srv, tempfile.NamedTemporaryFile("wb", suffix=".eml") as f:
            f.write(b"Subject: via curl\r\n\r\ncurl body\r\n")
            f.flush()
            r = subprocess.run(["curl", "-sS", "smtp://127.0.0.1:%d/curl.example" % srv.port,
                                "--mail-from", "c@b.example", "--mail-rcpt", "x@example.test",
                                "--mail-rcpt", "y@example.test", "--upload-file", f.name],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            srv.wait_delivered(1)
            qid = srv.delivered()[0]
            self.check_stored(srv, qid, b"Subject: via curl\r\n\r\ncurl body\r\n", "c@b.example",
                              ["x@example.test", "y@example.test"])

    def test_mailactor_send(self):
        with Server() as srv:
            r = subprocess.run([BIN, "send", "--server", "127.0.0.1:%d" % srv.port, "--from", "m@b.example",
                                "--to", "x@example.test", "--subject", "from mailactor send"],
                               input=b"body line\n.\n", capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            qid = r.stdout.decode().strip()
            self.assertRegex(qid, r"^[0-9A-F]{21,}$")
            srv.wait_delivered(1)
            stored = srv.delivered_bytes(qid)
            self.assertIn(b"Subject: from mailactor send\r\n", stored)
            self.assertTrue(stored.endswith(b"\r\n\r\nbody line\r\n.\r\n"), stored[-40:])
            # Refused: non-zero exit, nothing stored.
            r = subprocess.run([BIN, "send", "--server", "127.0.0.1:%d" % srv.port, "--from", "m@b.example",
                                "--to", "x@elsewhere.example"], input=b"x\n", capture_output=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"550 5.7.1", r.stderr)
            self.assertEqual(srv.stored_count(), 1)

    def test_concurrent_clients(self):
        clients, per_client = 100, 10
        with Server() as srv:
            ids, errors = [], []
            lock = threading.Lock()

            def run(n):
                try:
                    with smtplib.SMTP("127.0.0.1", srv.port, timeout=60) as s:
                        s.ehlo("c%d.example" % n)
                        for i in range(per_client):
                            body = b"Subject: c%d m%d\r\n\r\nclient %d message %d\r\n" % (n, i, n, i)
                            self.assertEqual(s.mail("c%d@b.example" % n)[0], 250)
                            self.assertEqual(s.rcpt("x@example.test")[0], 250)
                            code, msg = s.data(body)
                            with lock:
                                ids.append((queue_id(msg.decode()), body))
                except Exception as e:  # noqa: BLE001 - reported below
                    with lock:
                        errors.append(repr(e))

            threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            self.assertEqual(errors, [])
            self.assertEqual(len(ids), clients * per_client)
            self.assertEqual(len({q for q, _ in ids}), clients * per_client)
            self.assertEqual(len(srv.rows()), clients * per_client)
            srv.wait_delivered(clients * per_client, timeout=120)
            for qid, body in ids[::37]:
                self.assertTrue(srv.delivered_bytes(qid).endswith(body))


if __name__ == "__main__":
    main()
