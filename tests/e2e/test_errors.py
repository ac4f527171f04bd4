"""Every bad-input path: the exact reply code, and nothing stored (queue and Maildir)."""

import socket
import time
import unittest

from harness import Client, Server, main


class Errors(unittest.TestCase):
    def session(self, srv, ehlo=True):
        c = Client(srv.port)
        self.assertEqual(c.reply()[0], 220)
        if ehlo:
            self.assertEqual(c.cmd("EHLO c.example").split()[0], "250")
        return c

    def assertNothingStored(self, srv):
        time.sleep(0.3)  # let an (erroneous) commit or delivery happen if it were going to
        self.assertEqual(srv.rows(), [])
        self.assertEqual(srv.delivered(), [])

    def test_command_errors(self):
        with Server() as srv:
            c = self.session(srv)
            cases = [
                ("FOO", "500 5.5.2 Error: command not recognized"),
                ("EXPN list", "502 5.5.1 Error: EXPN not supported"),
                ("STARTTLS", "502 5.5.1 Error: STARTTLS not enabled"),
                ("AUTH PLAIN", "502 5.5.1 Error: AUTH not enabled"),
                ("VRFY root", "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"),
                ("RCPT TO:<x@example.test>", "503 5.5.1 Error: need MAIL command"),
                ("DATA", "503 5.5.1 Error: need MAIL command"),
                ("MAIL FROM:<bad address>", "501 5.1.7 Bad sender address syntax"),
                ("MAIL FROM:<a@b.example> FOO=1", "555 5.5.4 Unsupported parameter FOO"),
                ("MAIL FROM:<a@b.example> SIZE=99999999", "552 5.3.4 Message size exceeds fixed maximum message size"),
                ("MAIL FROM:<\u00fc@b.example>", "553 5.6.7 Non-ASCII address requires SMTPUTF8"),
                ("MAIL FROM:<a@b.example>", "250 2.1.0 Ok"),
                ("MAIL FROM:<a@b.example>", "503 5.5.1 Error: nested MAIL command"),
                ("RCPT TO:<x@elsewhere.example>", "550 5.7.1 Relay access denied"),
                ("RCPT TO:<bad@>", "501 5.1.3 Bad recipient address syntax"),
                ("DATA", "554 5.5.1 Error: no valid recipients"),
                ("NOOP " + "x" * 600, "500 5.5.6 Line too long"),
                ("QUIT", "221 2.0.0 Bye"),
            ]
            for command, expected in cases:
                self.assertEqual(c.cmd(command), expected, command)
            self.assertTrue(c.closed())
            self.assertNothingStored(srv)

    def test_nul_in_command(self):
        with Server() as srv:
            c = self.session(srv)
            c.send(b"NOOP\x00\r\n")
            self.assertEqual(c.line(), "500 5.5.2 Error: bad character in command")

    def test_oversize_data_is_read_to_its_end(self):
        with Server(max_message_size=2048) as srv:
            c = self.session(srv)
            self.assertEqual(c.cmd("MAIL FROM:<a@b.example>"), "250 2.1.0 Ok")
            self.assertEqual(c.cmd("RCPT TO:<x@example.test>"), "250 2.1.5 Ok")
            self.assertEqual(c.cmd("DATA")[:3], "354")
            c.send(b"X" * 5000 + b"\r\nMAIL FROM:<inside@data>\r\n.\r\n")
            self.assertEqual(c.line(), "552 5.3.4 Message size exceeds fixed maximum message size")
            self.assertEqual(c.cmd("NOOP"), "250 2.0.0 Ok")
            self.assertNothingStored(srv)

    def test_oversize_bdat(self):
        with Server(max_message_size=2048) as srv:
            c = self.session(srv)
            c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\n")
            c.line(), c.line()
            c.send(b"BDAT 3000 LAST\r\n" + b"Y" * 3000)
            self.assertEqual(c.line(), "552 5.3.4 Message size exceeds fixed maximum message size")
            self.assertNothingStored(srv)

    def test_bdat_without_transaction_skips_its_octets(self):
        with Server() as srv:
            c = self.session(srv)
            payload = b"MAIL FROM:<e@x.example>\r\n"
            c.send(b"BDAT %d\r\n" % len(payload) + payload + b"NOOP\r\n")
            self.assertEqual(c.line(), "503 5.5.1 Error: need MAIL command")
            self.assertEqual(c.line(), "250 2.0.0 Ok")
            self.assertNothingStored(srv)

    def test_too_many_recipients(self):
        with Server(max_recipients=2) as srv:
            c = self.session(srv)
            c.cmd("MAIL FROM:<a@b.example>")
            self.assertEqual(c.cmd("RCPT TO:<1@example.test>"), "250 2.1.5 Ok")
            self.assertEqual(c.cmd("RCPT TO:<2@example.test>"), "250 2.1.5 Ok")
            self.assertEqual(c.cmd("RCPT TO:<3@example.test>"), "452 4.5.3 Error: too many recipients")
            c.cmd("DATA")
            self.assertRegex(c.cmd("hi\r\n."), r"^250 2\.0\.0 Ok: queued as ")
            self.assertEqual(srv.rows()[0]["rcpt_to"], '["1@example.test","2@example.test"]')

    def test_bare_newline_rejected_when_configured(self):
        with Server(bare_newline="reject") as srv:
            c = self.session(srv)
            c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
            c.line(), c.line(), c.line()
            c.send(b"line one\nline two\r\n.\r\n")
            self.assertEqual(c.line(), "550 5.6.0 Message contains bare CR or LF")
            self.assertNothingStored(srv)

    def test_smuggling_yields_one_message(self):
        with Server() as srv:
            c = self.session(srv)
            c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
            c.line(), c.line(), c.line()
            c.send(b"Subject: legit\r\n\r\nhi\n.\nMAIL FROM:<evil@x.example>\r\nRCPT TO:<v@example.test>\r\n"
                   b"DATA\r\nforged\r\n.\r\nQUIT\r\n")
            self.assertRegex(c.line(), r"^250 2\.0\.0 Ok: queued as ")
            self.assertEqual(c.line(), "221 2.0.0 Bye")
            rows = srv.rows()
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0]["mail_from"], "a@b.example")
            self.assertIn(b"MAIL FROM:<evil@x.example>", srv.content(rows[0]["id"]))

    def test_disconnect_mid_message_stores_nothing(self):
        with Server() as srv:
            c = self.session(srv)
            c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
            c.line(), c.line(), c.line()
            c.send(b"Subject: big\r\n\r\n" + (b"0123456789" * 100 + b"\r\n") * 300)  # ~300 KB, streamed
            time.sleep(0.3)
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()
            srv.wait_log(r"lost 127\.0\.0\.1:\d+ mid-transaction")
            deadline = time.time() + 5
            while srv.rows() and time.time() < deadline:
                time.sleep(0.05)
            self.assertNothingStored(srv)
            self.assertEqual(sum(n for n, in srv.query("select count(*) from message_chunks")), 0)

    def test_command_timeout(self):
        with Server(command_timeout=1) as srv:
            c = self.session(srv)
            t0 = time.time()
            self.assertEqual(c.line(), "421 4.4.2 mx.example.test Error: timeout exceeded")
            self.assertGreaterEqual(time.time() - t0, 0.9)
            self.assertTrue(c.closed())

    def test_trickled_command_times_out(self):
        # Slowloris: 25 bytes at one per 0.3 s take 7.5 s; the 2 s command timeout counts from
        # the command's first byte, not from the latest one.
        with Server(command_timeout=2) as srv:
            c = self.session(srv)
            t0 = time.time()
            with self.assertRaises(OSError):
                for b in b"MAIL FROM:<a@b.example>\r\n":
                    c.send(bytes([b]))
                    time.sleep(0.3)
            self.assertEqual(c.line(), "421 4.4.2 mx.example.test Error: timeout exceeded")
            self.assertLess(time.time() - t0, 4.5)

    def test_data_timeout_stores_nothing(self):
        with Server(data_timeout=1) as srv:
            c = self.session(srv)
            c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
            c.line(), c.line(), c.line()
            c.send(b"Subject: slow\r\n\r\npartial")
            self.assertEqual(c.line(), "421 4.4.2 mx.example.test Error: timeout exceeded")
            self.assertTrue(c.closed())
            self.assertNothingStored(srv)

    def test_too_many_errors(self):
        with Server(max_errors=3) as srv:
            c = self.session(srv)
            c.send("A\r\nB\r\nC\r\nNOOP\r\n")
            for _ in range(3):
                self.assertEqual(c.line(), "500 5.5.2 Error: command not recognized")
            self.assertEqual(c.line(), "421 4.7.0 mx.example.test Error: too many errors")
            self.assertTrue(c.closed())

    def test_max_sessions_pauses_accepting(self):
        with Server(max_sessions=2) as srv:
            a = self.session(srv)
            b = self.session(srv)
            # In a transaction: never made to give up their slot (idle ones would be, see test_stress).
            self.assertEqual(a.cmd("MAIL FROM:<a@b.example>"), "250 2.1.0 Ok")
            self.assertEqual(b.cmd("MAIL FROM:<b@b.example>"), "250 2.1.0 Ok")
            c = Client(srv.port, timeout=3)
            with self.assertRaises(socket.timeout):
                c.reply()  # queued in the backlog: no greeting while two sessions run (3 s: beats pass)
            a.cmd("QUIT")
            c.sock.settimeout(10)
            self.assertEqual(c.reply()[0], 220)
            b.cmd("QUIT")


if __name__ == "__main__":
    main()
