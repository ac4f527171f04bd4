"""Delivery to a real Dovecot over LMTP ([routing] mailbox = "lmtp"): recipients validated at
RCPT against Dovecot's own users file (550 5.1.1 for an unknown user), messages delivered over
LMTP (TCP and unix socket) and read back through Dovecot (doveadm) byte for byte, a user over
quota failing alone (552 5.2.2 for that recipient only) while the others of the same message are
delivered, and Dovecot stopped: the recipients stay queued, are retried, and are delivered once
it is back — once each."""

import email
import email.policy
import os
import smtplib
import time
import unittest

from dovecot import Dovecot
from harness import Server, main

USERS = {"alice@example.test": "", "bob@example.test": "", "postmaster@example.test": "",
         "carol@example.test": "userdb_quota_rule=*:storage=1K"}


def lmtp_server(dv, address, userdb=False, **settings):
    srv = Server(**settings)
    with open(os.path.join(srv.dir, "aliases"), "w") as f:
        f.write("team@example.test: alice, bob, carol\npostmaster@localhost: postmaster@example.test\n")
    srv.write_config(routing_lines='''[routing]
local = "mailboxes"
mailbox = "lmtp"
lmtp = "%s"
aliases = "%s"
%s
''' % (address, os.path.join(srv.dir, "aliases"),
       'dovecot_userdb = "%s"\nlookup_timeout_ms = 2000' % dv.userdb if userdb else 'passwd_file = "%s"' % dv.users),
        delivery_lines="retry_first = 1\nretry_max = 2\nworkers = 2\n")
    return srv


def send(srv, rcpts, body=b"hello over LMTP\r\n"):
    with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
        s.ehlo("client.test")
        s.mail("s@sender.test")
        for r in rcpts:
            code, text = s.rcpt(r)
            assert code == 250, (r, code, text)
        code, text = s.data(b"Subject: lmtp\r\nFrom: s@sender.test\r\n\r\n" + body)
        assert code == 250, (code, text)
        return text.decode().split()[-1]


def recipients(srv, qid):
    return srv.query("select final_rcpt, route, state, last_code, last_enhanced, attempts "
                     "from recipients where message_id = ? order by idx", (qid,))


def wait_final(srv, qid, timeout=30):
    deadline = time.time() + timeout
    while True:
        rows = recipients(srv, qid)
        if rows and all(r[2] not in ("pending", "inflight") for r in rows):
            return rows
        if time.time() > deadline:
            raise AssertionError("not final: %s\n%s" % (rows, srv.log()))
        time.sleep(0.1)


def fetched(dv, user):
    """The user's messages as Dovecot returns them (doveadm's "text:" field header removed)."""
    return [m.split(b"\n", 1)[1] if m.startswith(b"text:") else m for m in dv.messages(user)]


class Lmtp(unittest.TestCase):
    def test_rcpt_validated_through_dovecot_userdb(self):
        dv = Dovecot(USERS)
        with dv, lmtp_server(dv, "unix:" + dv.socket, userdb=True) as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                s.ehlo("client.test")
                s.mail("s@sender.test")
                self.assertEqual(s.rcpt("nobody@example.test"),
                                 (550, b"5.1.1 <nobody@example.test>: User unknown"))
                self.assertEqual(s.rcpt("Bob@Example.Test")[0], 250)  # case-insensitive
                self.assertEqual(s.rcpt("team@example.test")[0], 250)  # an alias of users
                self.assertEqual(s.data(b"Subject: userdb\r\n\r\nhi\r\n")[0], 250)
                dv.stop()  # no answer from the userdb: a temporary failure, never 550
                s.rset()
                s.mail("s@sender.test")
                self.assertEqual(s.rcpt("alice@example.test"),
                                 (451, b"4.3.0 <alice@example.test>: Temporary lookup failure"))
            self.assertEqual(srv.stored_count(), 1)

    def test_delivered_through_dovecot_and_quota_fails_one_recipient_only(self):
        with Dovecot(USERS) as dv, lmtp_server(dv, "127.0.0.1:%d" % dv.port) as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
                s.ehlo("client.test")
                s.mail("s@sender.test")
                self.assertEqual(s.rcpt("nobody@example.test"),
                                 (550, b"5.1.1 <nobody@example.test>: User unknown"))
            big = b"".join(b"line %05d of a message larger than carol's quota\r\n" % i
                           for i in range(100))
            qid = send(srv, ["team@example.test"], body=big)
            rows = wait_final(srv, qid)
            self.assertEqual([r[:2] for r in rows], [("alice@example.test", "lmtp"),
                                                     ("bob@example.test", "lmtp"),
                                                     ("carol@example.test", "lmtp")])
            self.assertEqual(rows[0][2:4], ("delivered", 250))
            self.assertEqual(rows[1][2:4], ("delivered", 250))
            self.assertEqual(rows[2][2:5], ("failed", 552, "5.2.2"), dv.log())
            stored = srv.content(qid)
            for user in ("alice@example.test", "bob@example.test"):
                msgs = fetched(dv, user)
                self.assertEqual(len(msgs), 1, user)
                # Dovecot adds its Return-Path, Delivered-To and Received headers in front; the
                # rest is what the queue holds, byte for byte (doveadm prints LF line ends).
                self.assertTrue(msgs[0].endswith(stored.replace(b"\r\n", b"\n")), user)
            self.assertEqual(fetched(dv, "carol@example.test"), [])
            self.check_bounce(srv, qid)

    def check_bounce(self, srv, qid):
        """carol's failure bounces to the remote sender: held in the queue as "relay" (no
        outbound delivery yet), every RFC 3464 field in place."""
        bid = qid + "B2"
        deadline = time.time() + 10
        while not srv.rows("id = '%s'" % bid):
            self.assertLess(time.time(), deadline, srv.log())
            time.sleep(0.05)
        row = srv.wait_state(bid, "queued")
        self.assertEqual(row["mail_from"], "")
        self.assertEqual(srv.query("select final_rcpt, route, state from recipients where message_id = ?", (bid,)),
                         [("s@sender.test", "relay", "pending")])
        msg = email.message_from_bytes(srv.content(bid), policy=email.policy.default)
        self.assertEqual(msg["To"].addresses[0].addr_spec, "s@sender.test")
        self.assertEqual(msg["Subject"], "Undelivered Mail Returned to Sender")
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        self.assertIsNotNone(msg["Date"])
        self.assertEqual(msg.get_content_type(), "multipart/report")
        human, status, original = msg.get_payload()
        self.assertEqual(human.get_content_type(), "text/plain")
        self.assertIn("<carol@example.test> (expanded from <team@example.test>): 552 5.2.2",
                      human.get_content())
        self.assertEqual(status.get_content_type(), "message/delivery-status")
        per_message, per_rcpt = status.get_payload()
        self.assertEqual(per_message["Reporting-MTA"], "dns; mx.example.test")
        self.assertEqual(per_message["X-Mailactor-Queue-ID"], qid)
        self.assertIsNotNone(per_message["Arrival-Date"])
        self.assertEqual(per_rcpt["Final-Recipient"], "rfc822; carol@example.test")
        self.assertEqual(per_rcpt["Original-Recipient"], "rfc822; team@example.test")
        self.assertEqual(per_rcpt["Action"], "failed")
        self.assertEqual(per_rcpt["Status"], "5.2.2")
        self.assertTrue(per_rcpt["Remote-MTA"].startswith("dns; 127.0.0.1:"))
        self.assertRegex(per_rcpt["Diagnostic-Code"], r"^smtp; 552 5\.2\.2 ")
        self.assertEqual(original.get_content_type(), "message/rfc822")
        inner = original.get_payload()[0]
        self.assertEqual(inner["Subject"], "lmtp")
        self.assertTrue(inner["Received"].startswith("from client.test"))

    def test_unix_socket_and_dovecot_down_then_back(self):
        dv = Dovecot(USERS)
        with dv, lmtp_server(dv, "unix:" + dv.socket) as srv:
            qid = send(srv, ["alice@example.test"])
            wait_final(srv, qid)
            self.assertEqual(len(fetched(dv, "alice@example.test")), 1)
            dv.stop()
            qid2 = send(srv, ["alice@example.test", "bob@example.test"])
            deadline = time.time() + 20
            while not all(r[5] >= 2 for r in recipients(srv, qid2)):  # retried while down
                self.assertLess(time.time(), deadline, recipients(srv, qid2))
                time.sleep(0.1)
            rows = recipients(srv, qid2)
            self.assertEqual({r[2] for r in rows}, {"pending"})
            self.assertEqual({r[4] for r in rows}, {"4.4.1"})
            dv.start()
            rows = wait_final(srv, qid2)
            self.assertEqual({r[2] for r in rows}, {"delivered"}, rows)
            self.assertEqual(len(fetched(dv, "alice@example.test")), 2)  # nothing twice
            self.assertEqual(len(fetched(dv, "bob@example.test")), 1)
            srv.wait_log(r"LMTP delivery of %s to unix:.* failed" % qid2)


if __name__ == "__main__":
    main()
