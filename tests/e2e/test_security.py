"""Regression tests for the holes an outside attack suite found (issue 30), against the real
binary: the hop limit (a message with too many Received: fields, a relay loop through ourselves
and between two servers), log injection through AUTH names, DSN success notices that would carry
a stranger's content, AUTH guessing across connections, DNS rebinding on the web listener,
check-config refusing what serve refuses, BINARYMIME relayed over DATA, and a quoted local part
that needs no quotes. Each test fails on the code before the fix."""

import base64
import email
import email.policy
import os
import smtplib
import subprocess
import time
import unittest

from harness import Client, Server, free_port, get, main, metrics_lines, plain, scrape, wait_listening
from test_auth import passwd_file
from test_relay import wait_for
from test_routing import recipients, routing_server, wait_files


def relay_server(hostname, smarthost_port, local_domain, port=None, **settings):
    """A mailactor named `hostname` that keeps `local_domain` and relays every other domain for
    loopback clients to the smarthost on 127.0.0.1:smarthost_port."""
    srv = Server(**settings)
    srv.edit_config('hostname = "mx.example.test"', 'hostname = "%s"' % hostname)
    srv.edit_config('local_domains = ["example.test", "localhost"]', 'local_domains = ["%s"]' % local_domain)
    if port:
        srv.edit_config('listen = "127.0.0.1:0"', 'listen = "127.0.0.1:%d"' % port)
    srv.edit_config("[spool]", """[relay]
enabled = true
trusted_networks = ["127.0.0.0/8"]
smarthost = "[127.0.0.1]:%d"
smarthost_tls = "may"
retry_first = 1
retry_max = 1
connect_timeout_ms = 2000
timeout_ms = 5000

[spool]""" % smarthost_port)
    return srv


def greeted(port):
    """A raw client past the greeting and EHLO."""
    c = Client(port)
    c.reply()
    c.cmd("EHLO client.test")
    return c


def hops(n):
    return "".join("Received: from hop%d by hop%d; Mon, 7 Dec 2026 10:00:00 +0000\r\n" % (i, i + 1)
                   for i in range(n))


class HopLimit(unittest.TestCase):
    def test_too_many_received_fields_get_554_5_4_6_and_nothing_is_stored(self):
        with Server() as srv:
            c = greeted(srv.port)
            c.cmd("MAIL FROM:<a@sender.test>")
            c.cmd("RCPT TO:<bob@example.test>")
            self.assertTrue(c.cmd("DATA").startswith("354"))
            c.send(hops(49) + "Delivered-To: bob@example.test\r\nSubject: loop\r\n\r\nbody\r\n.\r\n")
            self.assertEqual(c.line(),
                             "554 5.4.6 Too many hops (50 Received:/Delivered-To: header fields): mail loop")
            self.assertEqual(srv.stored_count(), 0)
            # One hop fewer (and Received: lines in the body) is mail.
            c.cmd("MAIL FROM:<a@sender.test>")
            c.cmd("RCPT TO:<bob@example.test>")
            c.cmd("DATA")
            c.send(hops(49) + "Subject: ok\r\n\r\n" + hops(10) + ".\r\n")
            self.assertTrue(c.line().startswith("250 2.0.0 Ok: queued as"))
            c.close()
        # The limit is a setting.
        with Server() as srv:
            srv.stop()
            srv.edit_config("[limits]", "[limits]\nmax_hops = 5")
            srv.start()
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                with self.assertRaises(smtplib.SMTPDataError) as e:
                    s.sendmail("a@sender.test", ["bob@example.test"], hops(5) + "\r\nbody\r\n")
                self.assertEqual(e.exception.smtp_code, 554)
            self.assertEqual(srv.stored_count(), 0)

    def test_a_smarthost_that_is_ourselves_bounces_once_5_4_6_and_gets_no_copy(self):
        port = free_port()
        with relay_server("loop.example.test", port, "example.test", port=port) as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                s.sendmail("alice@example.test", ["bob@far.test"], "Subject: self\r\n\r\nround\r\n")
            row = wait_for("the failed recipient", lambda: [r for r in srv.query(
                "select state, last_code, last_enhanced, last_text from recipients where final_rcpt = ?",
                ("bob@far.test",)) if r[0] == "failed"])[0]
            self.assertEqual(row[1:3], (554, "5.4.6"))
            self.assertIn("loops back to myself", row[3])
            bounces = wait_for("the bounce", lambda: srv.delivered())
            self.assertEqual(len(bounces), 1)
            self.assertIn(b"5.4.6", srv.delivered_bytes(bounces[0]))
            # The greeting gave us away: no copy of the message was ever sent to ourselves.
            self.assertEqual(srv.stored_count(), 2)  # the message and its bounce

    def test_a_loop_between_two_servers_stops_at_the_hop_limit_with_at_most_one_bounce(self):
        pa, pb = free_port(), free_port()
        a = relay_server("a.loop.test", pb, "a.test", port=pa)
        b = relay_server("b.loop.test", pa, "b.test", port=pb)
        with a, b:
            with smtplib.SMTP("127.0.0.1", a.port, timeout=10) as s:
                s.sendmail("alice@a.test", ["x@elsewhere.test"], "Subject: ping-pong\r\n\r\nround\r\n")
            bounce = wait_for("the bounce to alice", lambda: a.delivered(), timeout=60)
            text = a.delivered_bytes(bounce[0])
            self.assertIn(b"5.4.6", text)
            stored = (a.stored_count(), b.stored_count())
            self.assertLessEqual(sum(stored), 52)  # every hop once, and one bounce
            time.sleep(3)  # nothing goes on growing
            self.assertEqual((a.stored_count(), b.stored_count()), stored)
            self.assertEqual(len(a.delivered()), 1)
            self.assertEqual(len(b.delivered()), 0)


class LogInjection(unittest.TestCase):
    def test_an_auth_name_with_line_breaks_and_escapes_cannot_forge_log_lines(self):
        users = os.path.join(Server().dir, "users")
        passwd_file(users, {"alice": ("wonderland", "sha512-crypt")})
        with Server(auth_backend="passwd-file", allow_plaintext_auth="true",
                    auth_options='[auth.passwd-file]\npath = "%s"\n' % users) as srv:
            evil = "x\r\n2026-12-07T00:00:00.000 info FORGED\x1b[2J\x7f\xff"
            token = base64.b64encode(b"\0" + evil.encode("latin-1") + b"\0pw").decode()
            c = greeted(srv.port)
            self.assertEqual(c.cmd("AUTH PLAIN " + token), "535 5.7.8 Authentication credentials invalid")
            self.assertEqual(c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6")
            self.assertEqual(c.cmd(base64.b64encode(b"y\nFORGED2\x00z").decode()), "334 UGFzc3dvcmQ6")
            c.cmd(base64.b64encode(b"pw").decode())
            c.close()
            line = srv.wait_log(r"auth .*user=x", timeout=10)
            self.assertIn("user=x\\x0d\\x0a2026-12-07T00:00:00.000 info FORGED\\x1b[2J\\x7f\\xff", line)
            srv.wait_log(r"user=y\\x0aFORGED2\\x00z", timeout=10)
            for l in srv.log_lines:
                self.assertFalse(l.startswith("FORGED") or l.startswith("2026-12-07T00:00:00.000 info"), l)
                self.assertNotIn("\x1b", l)
                self.assertNotIn("\x00", l)


class SuccessNotices(unittest.TestCase):
    def test_a_success_notice_to_an_unauthenticated_sender_has_headers_only_whatever_ret_says(self):
        with routing_server() as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                s.ehlo("client.test")
                # Anyone may write any address in MAIL FROM: alice here is the forged "victim".
                self.assertEqual(s.mail("alice@example.test", ["RET=FULL"])[0], 250)
                self.assertEqual(s.rcpt("bob@example.test", ["NOTIFY=SUCCESS"])[0], 250)
                code, text = s.data(b"Subject: spam\r\n\r\nSECRET-BODY-CONTENT\r\n")
                self.assertEqual(code, 250)
                qid = text.decode().split()[-1]
            files = wait_files(srv, "alice@example.test", 1)
            with open(os.path.join(srv.mailboxes, "example.test", "alice", "Maildir", "new", files[0]), "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw.split(b"\r\n", 2)[2], policy=email.policy.default)
            self.assertEqual(msg["Subject"], "Successful Mail Delivery Report")
            self.assertEqual(msg.get_payload()[2].get_content_type(), "text/rfc822-headers")
            self.assertNotIn(b"SECRET-BODY-CONTENT", raw)
            self.assertEqual([r[4] for r in recipients(srv, qid)], ["delivered"])


class AuthBudget(unittest.TestCase):
    def test_failures_spread_over_sessions_lock_the_address_out_and_show_in_metrics(self):
        users = os.path.join(Server().dir, "users")
        passwd_file(users, {"alice": ("wonderland", "sha512-crypt")})
        mport = free_port()
        with Server(auth_backend="passwd-file", allow_plaintext_auth="true", max_auth_failures=3,
                    auth_options='[auth.passwd-file]\npath = "%s"\n' % users,
                    metrics_lines=metrics_lines(mport)) as srv:
            srv.stop()
            srv.edit_config("[auth]", "[auth]\naddress_failures = 3\nlockout = 60")
            srv.start()
            for _ in range(3):  # one failure per session: the per-session limit never trips
                c = greeted(srv.port)
                self.assertEqual(c.cmd("AUTH PLAIN " + plain("alice", "guess")),
                                 "535 5.7.8 Authentication credentials invalid")
                c.close()
            c = greeted(srv.port)
            # Locked out: even the right password is not tried.
            self.assertEqual(c.cmd("AUTH PLAIN " + plain("alice", "wonderland")),
                             "454 4.7.0 Temporary authentication failure")
            c.close()
            srv.wait_log(r"too many failed attempts from 127\.0\.0\.1", timeout=10)

            def locked_out():
                return [l for l in scrape(mport).splitlines()
                        if l.startswith("mailactor_auth_front_locked_out_total ") and float(l.split()[1]) >= 1]
            wait_for("the lockout metric", locked_out, timeout=20)


class WebHost(unittest.TestCase):
    def test_the_web_listener_answers_only_its_own_names(self):
        mport = free_port()
        with Server(metrics_lines=metrics_lines(mport)):
            wait_listening(mport)
            for path in ("/stats.json", "/metrics", "/", "/trace.json?q=x"):
                status, _ = get(mport, path, {"Host": "rebind.evil.example:%d" % mport})
                self.assertEqual(status, 403, path)
            for host in ("127.0.0.1:%d" % mport, "localhost:%d" % mport, "mx.example.test"):
                self.assertEqual(get(mport, "/stats.json", {"Host": host})[0], 200, host)


class CheckConfig(unittest.TestCase):
    def test_check_config_refuses_what_serve_refuses(self):
        srv = Server(auth_backend="allow-all")
        srv.edit_config('listen = "127.0.0.1:0"', 'listen = "0.0.0.0:%d"' % free_port())
        check = srv.check_config()
        self.assertEqual(check.returncode, 1, check.stdout)
        self.assertIn("allow-all accepts any password: refusing to serve it on 0.0.0.0", check.stderr)
        serve = subprocess.run([srv.binary, "serve", "--config", srv.config], capture_output=True,
                               text=True, timeout=30)
        self.assertNotEqual(serve.returncode, 0)
        self.assertIn("allow-all accepts any password", serve.stderr)


class BinaryMime(unittest.TestCase):
    def test_binarymime_is_bounced_5_6_3_rather_than_rewritten_over_data(self):
        peer = Server()  # a next hop that takes anything
        with peer:
            with relay_server("sender.example.test", peer.port, "example.test") as srv:
                c = greeted(srv.port)
                self.assertEqual(c.cmd("MAIL FROM:<alice@example.test> BODY=BINARYMIME")[:3], "250")
                self.assertEqual(c.cmd("RCPT TO:<bob@far.test>")[:3], "250")
                body = b"Subject: bin\r\n\r\n\x00\x01\nbinary\r\r"
                c.send("BDAT %d LAST\r\n" % len(body))
                c.sock.sendall(body)
                self.assertTrue(c.line().startswith("250 2.0.0 Ok: queued as"))
                c.close()
                row = wait_for("the failed recipient", lambda: [r for r in srv.query(
                    "select state, last_code, last_enhanced from recipients where final_rcpt = ?",
                    ("bob@far.test",)) if r[0] == "failed"])[0]
                self.assertEqual(row, ("failed", 554, "5.6.3"))
                self.assertEqual(peer.stored_count(), 0)


class QuotedLocalPart(unittest.TestCase):
    def test_a_quoted_local_part_that_needs_no_quotes_is_the_same_mailbox(self):
        with routing_server() as srv:
            c = greeted(srv.port)
            c.cmd("MAIL FROM:<s@sender.test>")
            self.assertEqual(c.cmd('RCPT TO:<"bob"@example.test>')[:3], "250")
            self.assertEqual(c.cmd('RCPT TO:<"no body"@example.test>')[:3], "550")
            c.close()


if __name__ == "__main__":
    main()
