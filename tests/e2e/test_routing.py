"""Routing at RCPT time with [routing] local = "mailboxes": users from a static list and a
passwd-file, an aliases file (fan-out, +detail, catch-all), each recipient delivered into its own
Maildir (ROOT/DOMAIN/LOCAL/Maildir), unknown users refused with 550 5.1.1 and nothing stored,
SIGHUP reloading the aliases, the postmaster check at start, `mailactor route`, and a queue
written by the previous release (schema version 1) delivered after the upgrade."""

import email
import email.policy
import os
import signal
import smtplib
import sqlite3
import subprocess
import time
import unittest

from harness import BIN, Server, main

DATA = os.path.abspath(os.path.join(os.path.dirname(__file__), "../data"))
MESSAGE = b"Subject: routed\r\nFrom: s@sender.test\r\n\r\nhello mailboxes\r\n"


def routing_server(aliases="postmaster: alice\nteam: alice, bob, carol\n", **settings):
    srv = Server(**settings)
    with open(os.path.join(srv.dir, "aliases"), "w") as f:
        f.write(aliases)
    with open(os.path.join(srv.dir, "users.passwd"), "w") as f:
        f.write("carol:{PLAIN}x\ndave@example.test:{PLAIN}y\n")
    srv.mailboxes = os.path.join(srv.dir, "boxes")
    srv.write_config(routing_lines='''[routing]
local = "mailboxes"
mailbox_root = "%s"
aliases = "%s"
users = ["alice", "bob"]
passwd_file = "%s"
''' % (srv.mailboxes, os.path.join(srv.dir, "aliases"), os.path.join(srv.dir, "users.passwd")))
    return srv


def mailbox_files(srv, mailbox):
    local, domain = mailbox.split("@")
    new = os.path.join(srv.mailboxes, domain, local, "Maildir", "new")
    return sorted(os.listdir(new)) if os.path.isdir(new) else []


def wait_files(srv, mailbox, n, timeout=20):
    deadline = time.time() + timeout
    while len(mailbox_files(srv, mailbox)) < n:
        if time.time() > deadline:
            raise AssertionError("%s has %s, not %d files" % (mailbox, mailbox_files(srv, mailbox), n))
        time.sleep(0.05)
    return mailbox_files(srv, mailbox)


def recipients(srv, qid):
    return srv.query("select orig_rcpt, final_rcpt, route, target, state from recipients "
                     "where message_id = ? order by idx", (qid,))


def send(srv, rcpts, expect_refused=()):
    with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
        s.ehlo("client.test")
        s.mail("s@sender.test")
        accepted = []
        for r in rcpts:
            code, text = s.rcpt(r)
            if r in expect_refused:
                yield (r, code, text)
            else:
                assert code == 250, (r, code, text)
                accepted.append(r)
        if accepted:
            code, text = s.data(MESSAGE)
            assert code == 250, (code, text)
            yield ("queued", code, text.decode().split()[-1])


class Routing(unittest.TestCase):
    def test_alias_fans_out_to_three_mailboxes_and_unknown_is_refused(self):
        with routing_server() as srv:
            out = list(send(srv, ["team@example.test", "Alice+lists@Example.Test",
                                  "dave@example.test", "nobody@example.test"],
                            expect_refused=["nobody@example.test"]))
            refused, queued = out[0], out[1]
            self.assertEqual(refused[1], 550)
            self.assertEqual(refused[2], b"5.1.1 <nobody@example.test>: User unknown")
            qid = queued[2]
            for box in ("alice@example.test", "bob@example.test", "carol@example.test",
                        "dave@example.test"):
                files = wait_files(srv, box, 1)
                self.assertEqual(len(files), 1, box)  # alice: once, though named twice
                with open(os.path.join(srv.mailboxes, box.split("@")[1], box.split("@")[0],
                                       "Maildir", "new", files[0]), "rb") as f:
                    got = f.read()
                trace = b"Return-Path: <s@sender.test>\r\nDelivered-To: %s\r\n" % box.encode()
                self.assertEqual(got, trace + srv.content(qid), box)  # byte-exact
                self.assertTrue(got.endswith(MESSAGE))
            srv.wait_state(qid, "delivered")
            rows = recipients(srv, qid)
            self.assertEqual([r[1] for r in rows], ["alice@example.test", "bob@example.test",
                                                    "carol@example.test", "dave@example.test"])
            self.assertEqual({r[0] for r in rows[:3]}, {"team@example.test"})
            self.assertEqual({r[2] for r in rows}, {"maildir"})
            self.assertEqual({r[4] for r in rows}, {"delivered"})
            self.assertEqual(srv.delivered(), [])  # nothing in the ingest Maildir

    def test_only_unknown_recipients_store_nothing(self):
        with routing_server() as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                s.ehlo("client.test")
                s.mail("s@sender.test")
                self.assertEqual(s.rcpt("ghost@example.test"),
                                 (550, b"5.1.1 <ghost@example.test>: User unknown"))
                self.assertEqual(s.rcpt("eve@elsewhere.test"), (550, b"5.7.1 Relay access denied"))
                code, _ = s.docmd("DATA")
                self.assertEqual(code, 554)
            self.assertEqual(srv.stored_count(), 0)
            self.assertFalse(os.path.exists(os.path.join(srv.mailboxes, "example.test", "ghost")))

    def test_alias_loop_and_catch_all(self):
        aliases = "postmaster: alice\nloop1: loop2\nloop2: loop1\n*@localhost: bob\n"
        with routing_server(aliases=aliases) as srv:
            out = list(send(srv, ["loop1@example.test", "whoever@localhost"],
                            expect_refused=["loop1@example.test"]))
            self.assertEqual(out[0][1:], (550, b"5.4.6 <loop1@example.test>: Alias loop"))
            wait_files(srv, "bob@localhost", 1)

    def test_sighup_reloads_aliases_and_keeps_them_on_error(self):
        with routing_server() as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:  # open across the reload
                s.ehlo("client.test")
                s.mail("s@sender.test")
                self.assertEqual(s.rcpt("sales@example.test")[0], 550)
                with open(os.path.join(srv.dir, "aliases"), "a") as f:
                    f.write("sales: bob\n")
                mark = len(srv.log_lines)
                srv.proc.send_signal(signal.SIGHUP)
                srv.wait_log(r"routing reloaded", start=mark)
                self.assertEqual(s.rcpt("sales@example.test")[0], 250)
                self.assertEqual(s.data(MESSAGE)[0], 250)
            wait_files(srv, "bob@example.test", 1)
            with open(os.path.join(srv.dir, "aliases"), "a") as f:
                f.write("broken line without colon\n")
            mark = len(srv.log_lines)
            srv.proc.send_signal(signal.SIGHUP)
            line = srv.wait_log(r"keeping the current routing", start=mark)
            self.assertIn("aliases:4: expected", line)
            list(send(srv, ["sales@example.test"]))
            wait_files(srv, "bob@example.test", 2)

    def test_missing_postmaster_refuses_to_start(self):
        srv = routing_server(aliases="team: alice\n")
        r = srv.check_config()
        self.assertEqual(r.returncode, 1)
        self.assertIn("postmaster@example.test does not resolve", r.stderr)
        p = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True,
                           timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("postmaster@example.test does not resolve", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(srv.spool, "queue.db")))

    def test_plug_in_user_source_mistakes_are_config_errors(self):
        srv = routing_server()
        srv.edit_config('passwd_file = ', 'sources = ["my-ldap"]\npasswd_file = ')
        r = srv.check_config()
        self.assertEqual(r.returncode, 1)
        self.assertIn('mailactor.toml: [routing]: sources: no user source "my-ldap" is registered '
                      '(registered: none)', r.stderr)
        srv.edit_config('[spool]', '[routing.typo]\nurl = "x"\n\n[spool]')
        r = srv.check_config()
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"mailactor\.toml:\d+: routing\.typo: options for a user source that "
                                   r"sources does not list")
        self.assertFalse(os.path.exists(os.path.join(srv.spool, "queue.db")))

    def test_remote_alias_target_refused_at_start(self):
        srv = routing_server(aliases="postmaster: alice\nfwd: someone@gmail.test\n")
        r = srv.check_config()
        self.assertEqual(r.returncode, 1)
        self.assertIn("(line 2) forwards to someone@gmail.test", r.stderr)

    def test_route_command(self):
        srv = routing_server()
        r = subprocess.run([BIN, "route", "--config", srv.config, "team@example.test",
                            "carol+x@EXAMPLE.test"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("team@example.test: accepted\n  -> alice@example.test (maildir "
                      "alice@example.test)", r.stdout)
        self.assertIn("team@example.test: alias (aliases line 2) -> alice bob carol", r.stdout)
        self.assertIn("carol+x@EXAMPLE.test: accepted\n  -> carol@example.test", r.stdout)
        r = subprocess.run([BIN, "route", "--config", srv.config, "ghost@example.test"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("ghost@example.test: unknown user", r.stdout)


def send_from(srv, sender, rcpts):
    with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
        s.ehlo("client.test")
        s.mail(sender)
        for r in rcpts:
            assert s.rcpt(r)[0] == 250, r
        code, text = s.data(MESSAGE)
        assert code == 250, (code, text)
        return text.decode().split()[-1]


def break_mailbox(srv, mailbox):
    """A file where the mailbox's folder should be: every delivery to it fails temporarily."""
    local, domain = mailbox.split("@")
    os.makedirs(os.path.join(srv.mailboxes, domain), exist_ok=True)
    with open(os.path.join(srv.mailboxes, domain, local), "w") as f:
        f.write("in the way")


class Bounces(unittest.TestCase):
    def server(self):
        return routing_server(delivery_lines="retry_first = 1\nretry_max = 1\nqueue_lifetime = 3\n")

    def test_expired_recipient_bounces_to_a_local_sender(self):
        with self.server() as srv:
            break_mailbox(srv, "bob@example.test")
            qid = send_from(srv, "alice@example.test", ["bob@example.test", "carol@example.test"])
            files = wait_files(srv, "alice@example.test", 1, timeout=30)
            self.assertEqual(files, ["%sB0.0" % qid])
            with open(os.path.join(srv.mailboxes, "example.test", "alice", "Maildir", "new",
                                   files[0]), "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw.split(b"\r\n", 2)[2], policy=email.policy.default)
            self.assertEqual(msg["From"], "Mail Delivery System <MAILER-DAEMON@mx.example.test>")
            self.assertEqual(msg["Auto-Submitted"], "auto-replied")
            self.assertEqual(msg.get_content_type(), "multipart/report")
            self.assertEqual(msg.get_param("report-type"), "delivery-status")
            human, status, original = msg.get_payload()
            self.assertIn("<bob@example.test>: delivery time expired", human.get_content())
            per_message, per_rcpt = status.get_payload()
            self.assertEqual(per_message["Reporting-MTA"], "dns; mx.example.test")
            self.assertEqual(per_rcpt["Final-Recipient"], "rfc822; bob@example.test")
            self.assertEqual(per_rcpt["Original-Recipient"], "rfc822; bob@example.test")
            self.assertEqual(per_rcpt["Action"], "failed")
            self.assertEqual(per_rcpt["Status"], "4.4.7")
            self.assertIn("451", per_rcpt["Diagnostic-Code"])
            self.assertEqual(original.get_content_type(), "message/rfc822")
            self.assertEqual(original.get_payload()[0]["Subject"], "routed")
            # Its envelope: the null sender; carol got the message itself.
            self.assertEqual(srv.query("select mail_from from messages where id = ?", (qid + "B0",)), [("",)])
            wait_files(srv, "carol@example.test", 1)
            srv.wait_log(r"bounce %sB0 for %s \(1 recipients\) to <alice@example.test>" % (qid, qid))

    def test_no_bounce_for_null_sender_or_unknown_local_sender(self):
        with self.server() as srv:
            break_mailbox(srv, "bob@example.test")
            q1 = send_from(srv, "", ["bob@example.test"])
            q2 = send_from(srv, "ghost@example.test", ["bob@example.test"])
            srv.wait_log(r"no bounce for %s \(1 recipients\): the sender is <>" % q1, timeout=30)
            srv.wait_log(r"no bounce for %s .*the sender <ghost@example.test> is refused: unknown user" % q2,
                         timeout=30)
            srv.wait_state(q2, "delivered")  # done: every recipient final
            self.assertEqual(srv.query("select id from messages where id in (?, ?)", (q1 + "B0", q2 + "B0")), [])
            self.assertEqual(srv.stored_count(), 2)
            self.assertEqual(srv.query("select state from recipients where message_id = ?", (q2,)), [("expired",)])


class DsnExtension(unittest.TestCase):
    def test_notify_orcpt_ret_envid(self):
        """RFC 3461: NOTIFY=SUCCESS gets a success notice (with the ORCPT, the ENVID, headers only
        for RET=HDRS); NOTIFY=NEVER gets no bounce even when the recipient expires."""
        srv = routing_server(delivery_lines="retry_first = 1\nretry_max = 1\nqueue_lifetime = 3\n")
        with srv:
            break_mailbox(srv, "carol@example.test")
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                s.ehlo("client.test")
                self.assertTrue(s.has_extn("dsn"))
                self.assertEqual(s.mail("alice@example.test", ["RET=HDRS", "ENVID=QQ+2B314"])[0], 250)
                self.assertEqual(s.rcpt("bob@example.test", ["NOTIFY=SUCCESS",
                                                             "ORCPT=rfc822;bob+2Bx@example.test"])[0], 250)
                self.assertEqual(s.rcpt("carol@example.test", ["NOTIFY=NEVER"])[0], 250)
                code, text = s.data(MESSAGE)
                self.assertEqual(code, 250)
                qid = text.decode().split()[-1]
            srv.wait_state(qid, "delivered", timeout=30)
            self.assertEqual([r[4] for r in recipients(srv, qid)], ["delivered", "expired"])
            files = wait_files(srv, "alice@example.test", 1)
            self.assertEqual(files, ["%sS0.0" % qid])  # the success notice, and no bounce
            with open(os.path.join(srv.mailboxes, "example.test", "alice", "Maildir", "new",
                                   files[0]), "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw.split(b"\r\n", 2)[2], policy=email.policy.default)
            self.assertEqual(msg["Subject"], "Successful Mail Delivery Report")
            human, status, original = msg.get_payload()
            per_message, per_rcpt = status.get_payload()
            self.assertEqual(per_message["Original-Envelope-Id"], "QQ+314")
            self.assertEqual(per_rcpt["Final-Recipient"], "rfc822; bob@example.test")
            self.assertEqual(per_rcpt["Original-Recipient"], "rfc822;bob+x@example.test")
            self.assertEqual(per_rcpt["Action"], "delivered")
            self.assertEqual(per_rcpt["Status"], "2.0.0")
            self.assertEqual(original.get_content_type(), "text/rfc822-headers")
            self.assertNotIn(b"hello mailboxes", raw)
            self.assertEqual(srv.query("select id from messages where id = ?", (qid + "B1",)), [])


class QueueCommands(unittest.TestCase):
    def queue(self, srv, *args):
        return subprocess.run([BIN, "queue", "--config", srv.config, *args], capture_output=True,
                              text=True, timeout=30)

    def test_show_hold_release_retry_and_bounce(self):
        srv = routing_server(delivery_lines="retry_first = 3600\nretry_max = 3600\n")
        with srv:
            break_mailbox(srv, "bob@example.test")
            qid = send_from(srv, "alice@example.test", ["team@example.test"])
            deadline = time.time() + 15
            while "pending" not in [r[4] for r in recipients(srv, qid)] or \
                    len(wait_files(srv, "carol@example.test", 1)) < 1:
                self.assertLess(time.time(), deadline)
                time.sleep(0.05)
            while "attempts=1" not in self.queue(srv, "show", qid).stdout:
                self.assertLess(time.time(), deadline)
                time.sleep(0.05)
            shown = self.queue(srv, "show", qid).stdout
            self.assertIn("bob@example.test", shown)
            self.assertRegex(shown, r"bob@example.test +maildir +pending +attempts=1 next=")
            self.assertIn("last reply: 451 4.3.0", shown)
            self.assertRegex(self.queue(srv, "ls").stdout, qid + r" .*-> 2 delivered, 1 pending")
            r = self.queue(srv, "hold", qid)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("1 recipient of %s now held" % qid, r.stdout)
            self.assertEqual(self.queue(srv, "hold", qid).returncode, 1)  # nothing pending now
            self.assertEqual(self.queue(srv, "release", qid).returncode, 0)
            os.unlink(os.path.join(srv.mailboxes, "example.test", "bob"))  # the disk is fixed
            self.assertEqual(self.queue(srv, "retry", qid).returncode, 0)
            wait_files(srv, "bob@example.test", 1, timeout=15)  # picked up by the due scan
            srv.wait_state(qid, "delivered")
            # Given up by the operator: fails now and bounces to alice.
            break_mailbox(srv, "dave@example.test")
            q2 = send_from(srv, "alice@example.test", ["dave@example.test"])
            while "attempts=1" not in self.queue(srv, "show", q2).stdout:
                self.assertLess(time.time(), deadline + 15)
                time.sleep(0.05)
            self.assertEqual(self.queue(srv, "bounce", q2).returncode, 0)
            wait_files(srv, "alice@example.test", 2, timeout=15)  # team's message, the bounce
            with open(os.path.join(srv.mailboxes, "example.test", "alice", "Maildir", "new",
                                   q2 + "B0.0"), "rb") as f:
                self.assertIn(b"given up by the operator", f.read())
            srv.wait_state(q2, "delivered")
            self.assertEqual(recipients(srv, q2)[0][4], "failed")


class Upgrade(unittest.TestCase):
    def test_queue_of_schema_version_1_is_delivered_after_the_upgrade(self):
        srv = Server()
        os.makedirs(srv.spool)
        with open(os.path.join(DATA, "queue_v1.sql")) as f:
            sql = f.read()
        with sqlite3.connect(os.path.join(srv.spool, "queue.db")) as c:
            c.executescript(sql)
        with srv:
            qid = "1A2216381A4000001684A"
            srv.wait_delivered(1)
            self.assertEqual(srv.delivered(), [qid])
            self.assertEqual(srv.delivered_bytes(qid), srv.content(qid))
            srv.wait_state(qid, "delivered")
            rows = recipients(srv, qid)
            self.assertEqual(rows, [("x@example.test", "x@example.test", "ingest", "", "delivered"),
                                    ("y@example.test", "y@example.test", "ingest", "", "delivered")])
            self.assertEqual(set(srv.query("pragma user_version")), {(3,)})


if __name__ == "__main__":
    main()
