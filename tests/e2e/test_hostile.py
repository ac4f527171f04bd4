"""Hostile input, end to end: each case asserts the exact reply and what was stored (nothing,
where the input is refused). Run directly, it also prints the table of inputs and replies."""

import json
import socket
import sys
import threading
import time
import unittest

from harness import Client, Server, main, queue_id

TABLE = []  # (input, reply) for the printed table


def record(what, reply):
    TABLE.append((what, reply))
    return reply


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(max_recipients=100, max_errors=1000, max_message_size=4 * 1024 * 1024).start()

    @classmethod
    def tearDownClass(cls):
        # The server must have survived every hostile input (and then stop cleanly).
        alive = cls.srv.proc.poll() is None
        rc = cls.srv.stop()
        assert alive and rc == 0, "server died (exit %s); log:\n%s" % (rc, cls.srv.log()[-20000:])

    def session(self):
        c = Client(self.srv.port, timeout=30)
        self.assertEqual(c.reply()[0], 220)
        self.assertEqual(c.cmd("EHLO hostile.example")[:3], "250")
        return c

    def stored_ids(self):
        return {r["id"] for r in self.srv.rows()}

    def assertNothingNew(self, before):
        time.sleep(0.2)
        self.assertEqual(self.stored_ids(), before)

    # -- SMTP smuggling: only CRLF.CRLF ends the data; each variant stays content of ONE message.
    def test_smuggling_variants(self):
        variants = [("<LF>.<LF>", "\n.\n"), ("<LF>.<CR><LF>", "\n.\r\n"), ("<CR><LF>.<LF>", "\r\n.\n"),
                    ("<CR>.<CR>", "\r.\r"), ("<CR>.<LF>", "\r.\n"), ("\\r\\r\\n.\\r\\r\\n", "\r\r\n.\r\r\n"),
                    ("<CR><LF>.<CR>", "\r\n.\r"), ("<LF>..<LF>", "\n..\n")]
        for name, seq in variants:
            with self.subTest(name):
                before = self.stored_ids()
                c = self.session()
                c.cmd("MAIL FROM:<a@b.example>")
                c.cmd("RCPT TO:<x@example.test>")
                self.assertEqual(c.cmd("DATA")[:3], "354")
                smuggled = "MAIL FROM:<evil@b.example>\r\nRCPT TO:<victim@example.test>\r\nDATA\r\nforged\r\n"
                c.send("Subject: smuggle\r\n\r\nbefore" + seq + smuggled + ".\r\n")
                reply = record("DATA with " + name + " then commands, then CRLF.CRLF", c.line())
                self.assertRegex(reply, r"^250 2\.0\.0 Ok: queued as ")
                self.assertEqual(c.cmd("NOOP"), "250 2.0.0 Ok", "no second reply: nothing was smuggled")
                new = self.stored_ids() - before
                self.assertEqual(len(new), 1)
                self.assertIn(b"RCPT TO:<victim@example.test>", self.srv.content(new.pop()))
                c.close()

    def test_long_lines(self):
        before = self.stored_ids()
        c = self.session()
        c.send("MAIL FROM:<" + "a" * (1 << 20) + "@b.example>\r\n")
        self.assertEqual(record("1 MiB command line", c.line()), "500 5.5.6 Line too long")
        self.assertEqual(c.cmd("NOOP"), "250 2.0.0 Ok", "the session goes on after the long line")
        c.cmd("MAIL FROM:<a@b.example>")
        c.cmd("RCPT TO:<x@example.test>")
        c.cmd("DATA")
        c.send("Subject: " + "h" * (1 << 20) + "\r\n\r\nbody\r\n.\r\n")
        reply = record("1 MB header line in DATA", c.line())
        self.assertRegex(reply, r"^250 2\.0\.0 ")  # stored as sent, like Postfix (no line limit in 5321 DATA)
        self.assertEqual(len(self.stored_ids() - before), 1)

    def test_nul_and_control_bytes(self):
        before = self.stored_ids()
        c = self.session()
        bad = "500 5.5.2 Error: bad character in command"
        self.assertEqual(record("NUL in MAIL", c.cmd("MAIL FROM:<a\x00b@b.example>")), bad)
        self.assertEqual(record("NUL in a command verb", c.cmd("NO\x00OP")), bad)
        self.assertEqual(record("0x04 in MAIL", c.cmd("MAIL FROM:<a\x04b@b.example>")), bad)
        self.assertEqual(record("0x04 in EHLO", c.cmd("EHLO a\x04b")), bad)
        self.assertEqual(c.cmd("MAIL FROM:<a@b.example>"), "250 2.1.0 Ok")
        c.cmd("RCPT TO:<x@example.test>")
        c.cmd("DATA")
        c.send(b"NUL \x00 and 0x04 \x04 in content\r\n.\r\n")
        # NUL breaks Maildir readers and IMAP servers: refused, nothing stored ([limits] nul_bytes).
        self.assertEqual(record("NUL in DATA content", c.line()), "550 5.6.0 Message contains NUL characters")
        self.assertEqual(self.stored_ids(), before)
        c.cmd("MAIL FROM:<a@b.example>")
        c.cmd("RCPT TO:<x@example.test>")
        c.cmd("DATA")
        c.send(b"0x04 \x04 in content\r\n.\r\n")
        self.assertRegex(record("0x04 in DATA content", c.line()), r"^250 2\.0\.0 ")
        self.assertEqual(len(self.stored_ids() - before), 1)
        before = self.stored_ids()
        self.assertNothingNew(before)

    def test_helo_garbage(self):
        c = self.session()
        for arg in ("<script>", "a..b", "-x.example", "[300.1.1.1]", "x" * 300, ""):
            reply = record("EHLO %r" % (arg[:20] + ("..." if len(arg) > 20 else "")), c.cmd(("EHLO " + arg).rstrip()))
            self.assertEqual(reply[:3], "501", arg)

    def test_utf8(self):
        before = self.stored_ids()
        c = self.session()
        c.send(b"MAIL FROM:<\xff\xfe@b.example>\r\n")
        self.assertEqual(record("invalid UTF-8 in MAIL, no SMTPUTF8", c.line()),
                         "553 5.6.7 Non-ASCII address requires SMTPUTF8")
        c.send(b"MAIL FROM:<\xff\xfe@b.example> SMTPUTF8\r\n")
        self.assertEqual(record("invalid UTF-8 in MAIL with SMTPUTF8", c.line()), "501 5.1.7 Bad sender address syntax")
        self.assertEqual(c.cmd("MAIL FROM:<\u00e9@b.example> SMTPUTF8"), "250 2.1.0 Ok")
        c.send(b"RCPT TO:<\xc3\x28@example.test>\r\n")
        self.assertEqual(record("invalid UTF-8 in RCPT with SMTPUTF8", c.line()), "501 5.1.3 Bad recipient address syntax")
        c.cmd("RSET")
        self.assertEqual(record("valid UTF-8 without SMTPUTF8", c.cmd("MAIL FROM:<\u00e9@b.example>")),
                         "553 5.6.7 Non-ASCII address requires SMTPUTF8")
        self.assertNothingNew(before)

    def test_ten_thousand_recipients(self):
        before = self.stored_ids()
        c = self.session()
        c.cmd("MAIL FROM:<a@b.example>")
        c.send("".join("RCPT TO:<r%d@example.test>\r\n" % i for i in range(10000)))
        replies = [c.line() for _ in range(10000)]
        self.assertEqual(replies[:100], ["250 2.1.5 Ok"] * 100)
        self.assertEqual(set(replies[100:]), {"452 4.5.3 Error: too many recipients"})
        record("10,000 RCPTs pipelined", "100 x 250 2.1.5, then 9900 x " + replies[-1])
        c.cmd("DATA")
        self.assertRegex(c.cmd("x\r\n."), r"^250 ")
        new = self.stored_ids() - before
        self.assertEqual(len(new), 1)
        self.assertEqual(len(json.loads(self.srv.rows("id = '%s'" % new.pop())[0]["rcpt_to"])), 100)

    def test_open_relay_attempts(self):
        before = self.stored_ids()
        c = self.session()
        c.cmd("MAIL FROM:<a@b.example>")
        for rcpt in ("<x@elsewhere.example>", "<x%elsewhere.example@example.test>",
                     "<elsewhere.example!x@example.test>", '<"x@elsewhere.example"@example.test>',
                     "<@example.test:x@elsewhere.example>", "<x@elsewhere.example@example.test>",
                     "<x@[192.0.2.1]>", "<x@EXAMPLE.TEST.elsewhere.example>"):
            reply = record("RCPT TO:" + rcpt + " unauthenticated on mx", c.cmd("RCPT TO:" + rcpt))
            self.assertIn(reply, ("550 5.7.1 Relay access denied", "501 5.1.3 Bad recipient address syntax"), rcpt)
        self.assertEqual(c.cmd("RCPT TO:<x@EXAMPLE.test>"), "250 2.1.5 Ok")
        self.assertEqual(c.cmd("RSET"), "250 2.0.0 Ok")
        self.assertNothingNew(before)

    def test_early_talker(self):
        srv = Server()
        srv.edit_config("[limits]\n", "[limits]\ngreeting_delay_ms = 400\n")
        with srv:
            early = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            early.sendall(b"EHLO early.example\r\nMAIL FROM:<a@b.example>\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = early.recv(4096)
                if not chunk:
                    break
                data += chunk
            reply = record("EHLO + MAIL sent before the greeting (greeting_delay_ms = 400)", data.decode().strip())
            self.assertEqual(reply, "554 5.5.0 Protocol error: talking before the greeting")
            self.assertEqual(early.recv(100), b"", "closed after the 554")
            early.close()
            patient = Client(srv.port)
            t0 = time.time()
            self.assertEqual(patient.reply()[0], 220)
            self.assertGreaterEqual(time.time() - t0, 0.35)
            self.assertEqual(patient.cmd("EHLO patient.example")[:3], "250")
            self.assertEqual(srv.rows(), [])

    # -- A client that pipelines and never reads its replies: once the server cannot send them
    # (the socket buffers are full) it stops reading, so neither side buffers without bound; when
    # the client reads again, every reply arrives, in order.
    def test_client_that_does_not_read_replies(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", self.srv.port))
        sock.settimeout(1.0)
        commands = b"NOOP\r\n" * 10000  # 60 KB in, 140 KB of replies out
        total = 400
        sent = 0
        try:
            for _ in range(total):
                sock.sendall(commands)
                sent += 1
        except socket.timeout:
            pass
        record("400 x 10000 pipelined NOOPs, replies never read", "server stops reading after %d" % sent)
        self.assertLess(sent, total, "the server kept reading although its replies could not be sent")
        rest = total - sent  # a partly sent batch is completed below
        sock.settimeout(30)
        got = bytearray()
        reader_done = []

        def drain():
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                got.extend(chunk)
            reader_done.append(True)

        t = threading.Thread(target=drain, daemon=True)
        t.start()
        # Whatever of the interrupted batch did not go out, then the remaining batches and QUIT.
        sock.sendall(commands * rest)
        sock.sendall(b"QUIT\r\n")
        t.join(60)
        sock.close()
        self.assertTrue(reader_done, "the connection did not close after QUIT")
        lines = bytes(got).split(b"\r\n")
        self.assertEqual(lines[0][:4], b"220 ")
        self.assertEqual(lines[-1], b"")
        self.assertEqual(lines[-2][:4], b"221 ")
        noops = lines[1:-2]
        self.assertTrue(all(line == b"250 2.0.0 Ok" for line in noops), set(noops))
        # The interrupted sendall may have sent part of one batch: whole commands only count.
        self.assertGreaterEqual(len(noops), total * 10000)
        self.assertLess(len(noops), (total + 1) * 10000)


def print_table():
    print("\n| hostile input | reply |\n|---|---|")
    for what, reply in TABLE:
        print("| %s | %s |" % (what.replace("|", "\\|"), reply.replace("|", "\\|")))


if __name__ == "__main__":
    import atexit
    if "--table" in sys.argv:
        sys.argv.remove("--table")
        atexit.register(print_table)
    main()
