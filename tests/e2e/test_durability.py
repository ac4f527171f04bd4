"""Nothing lost after 250: SIGKILL right after the reply, kill mid-message, graceful shutdown,
a full disk, an unusable spool."""

import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import BIN, Client, Server, queue_id, received_header_len, main


def send_one(port, body):
    c = Client(port)
    c.reply()
    c.cmd("EHLO k.example")
    c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
    c.line(), c.line(), c.line()
    c.send(body + b".\r\n")
    return c, c.line()


class Durability(unittest.TestCase):
    def test_sigkill_right_after_250_loses_nothing(self):
        workdir = tempfile.mkdtemp(prefix="mailactor-kill-")
        try:
            sent = {}
            for i in range(50):
                srv = Server(workdir, delivery="false").start()
                body = b"Subject: kill %d\r\n\r\n" % i + b"payload %d\r\n" % i * (1 + i * 20)
                c, reply = send_one(srv.port, body)
                srv.kill()  # the instant the 250 arrived
                self.assertTrue(reply.startswith("250 2.0.0 Ok: queued as "), reply)
                sent[queue_id(reply)] = body
                c.close()
            srv = Server(workdir, delivery="true").start()
            try:
                srv.wait_delivered(50)
                self.assertEqual(set(srv.delivered()), set(sent))
                for qid, body in sent.items():
                    stored = srv.delivered_bytes(qid)
                    self.assertEqual(stored[received_header_len(stored):], body, qid)
                for row in srv.rows():
                    srv.wait_state(row["id"], "delivered")
            finally:
                self.assertEqual(srv.stop(), 0)
            self.assertEqual(os.listdir(os.path.join(srv.maildir, "tmp")), [])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def test_sigkill_mid_message_leaves_nothing(self):
        workdir = tempfile.mkdtemp(prefix="mailactor-kill-")
        try:
            srv = Server(workdir, delivery="false").start()
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO k.example")
            c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
            c.line(), c.line(), c.line()
            c.send(b"Subject: half\r\n\r\n" + b"x" * 1000 + b"\r\n" * 400)  # streamed in appends
            time.sleep(0.5)
            srv.kill()
            srv = Server(workdir, delivery="true").start()
            srv.wait_log("removed 1 incomplete message|mailactor ready")
            time.sleep(0.3)
            self.assertEqual(srv.rows(), [])
            self.assertEqual(srv.delivered(), [])
            self.assertEqual(srv.stop(), 0)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def test_graceful_shutdown_finishes_the_transaction(self):
        srv = Server(shutdown_grace=10).start()
        c = Client(srv.port)
        c.reply()
        c.cmd("EHLO g.example")
        idle = Client(srv.port)
        idle.reply()
        c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
        c.line(), c.line(), c.line()
        c.send(b"Subject: during shutdown\r\n\r\nfirst half\r\n")
        srv.proc.send_signal(signal.SIGTERM)
        srv.wait_log("shutting down")
        self.assertEqual(idle.line(), "421 4.3.2 mx.example.test Service shutting down")
        c.send(b"second half\r\n.\r\n")
        self.assertRegex(c.line(), r"^250 2\.0\.0 Ok: queued as ")
        self.assertEqual(c.line(), "421 4.3.2 mx.example.test Service shutting down")
        self.assertEqual(srv.proc.wait(30), 0)
        self.assertEqual(len(srv.rows()), 1)
        with self.assertRaises(OSError):
            Client(srv.port, timeout=2)

    def test_grace_period_ends_open_transactions(self):
        srv = Server(shutdown_grace=1).start()
        c = Client(srv.port)
        c.reply()
        c.cmd("EHLO g.example")
        c.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
        c.line(), c.line(), c.line()
        c.send(b"Subject: never finished\r\n\r\n")
        srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(c.line(), "421 4.3.2 mx.example.test Service shutting down")
        self.assertEqual(srv.proc.wait(30), 0)
        self.assertEqual(srv.rows(), [])

    def assertStartupError(self, path_of, rc=None):
        """A file where the server wants a directory: it must not start, and must say where."""
        d = tempfile.mkdtemp(prefix="mailactor-bad-")
        try:
            srv = Server(d)
            path = path_of(srv)
            with open(path, "w") as f:
                f.write("a file, not a directory")
            r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
            if rc is None:
                self.assertNotEqual(r.returncode, 0)
            else:
                self.assertEqual(r.returncode, rc)
            self.assertIn("cannot start", r.stderr)
            self.assertIn(path, r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_unusable_spool_is_a_startup_error(self):
        self.assertStartupError(lambda srv: srv.spool)

    def test_unusable_maildir_is_a_startup_error(self):
        self.assertStartupError(lambda srv: srv.maildir, rc=1)

    def test_locked_queue_gives_451_and_recovers(self):
        with Server(delivery="false") as srv:
            c, reply = send_one(srv.port, b"Subject: first\r\n\r\nx\r\n")  # creates the queue
            self.assertTrue(reply.startswith("250"), reply)
            c.close()
            # Another process holds the write lock of every queue file.
            lockers = [sqlite3.connect(f, timeout=1, isolation_level=None) for f in srv.queue_files()]
            for locker in lockers:
                locker.execute("BEGIN EXCLUSIVE")
            try:
                c, reply = send_one(srv.port, b"Subject: locked\r\n\r\nx\r\n")
                self.assertEqual(reply, "451 4.3.0 Local error in processing")
                self.assertEqual(c.cmd("NOOP"), "250 2.0.0 Ok", "the session goes on")
                c.close()
            finally:
                for locker in lockers:
                    locker.execute("ROLLBACK")
                    locker.close()
            c, reply = send_one(srv.port, b"Subject: after\r\n\r\nx\r\n")
            self.assertTrue(reply.startswith("250 2.0.0 Ok: queued as "), reply)
            subjects = [srv.content(r["id"]) for r in srv.rows()]
            self.assertEqual(len(subjects), 2)
            self.assertFalse(any(b"Subject: locked" in s for s in subjects), "nothing half-stored")

    def test_taken_port_is_a_startup_error(self):
        with Server() as srv:
            r = subprocess.run([BIN, "serve", "--config", srv.config, "--listen", "127.0.0.1:%d" % srv.port,
                                "--spool", os.path.join(srv.dir, "other")],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen on 127.0.0.1:%d" % srv.port, r.stderr)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("mount"), "needs root to mount a tiny tmpfs")
    def test_full_disk_gives_452_and_recovers(self):
        d = tempfile.mkdtemp(prefix="mailactor-full-")
        mnt = os.path.join(d, "spool")
        os.mkdir(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt]).returncode != 0:
            shutil.rmtree(d, ignore_errors=True)
            self.skipTest("mount not permitted here")
        srv = None
        try:
            srv = Server(d, delivery="false").start()
            filler = os.path.join(mnt, "filler")
            with open(filler, "wb") as f:
                f.write(b"\0" * (1024 * 1024))
            body = b"Subject: fill\r\n\r\n" + (b"z" * 998 + b"\r\n") * 100  # 100 KB
            codes = []
            for _ in range(40):
                c, reply = send_one(srv.port, body)
                codes.append(reply[:9])
                c.close()
                if not reply.startswith("250"):
                    break
            self.assertIn(codes[-1], ("452 4.3.1", "451 4.3.0"), codes)
            # Still serving; nothing half-stored.
            c = Client(srv.port)
            c.reply()
            self.assertEqual(c.cmd("NOOP"), "250 2.0.0 Ok")
            accepted = sum(1 for x in codes if x.startswith("250"))
            self.assertEqual(len(srv.rows("state = 'queued'")), accepted)
            os.unlink(filler)  # space returns
            c2, reply = send_one(srv.port, body)
            self.assertTrue(reply.startswith("250 2.0.0 Ok: queued as "), reply)
            # Nothing half-stored: part of the refused message may have reached the disk before
            # it filled up (an earlier batch); it is removed with the first batch that commits
            # once there is space (while the disk is full even a delete may not commit).
            self.assertEqual(srv.rows("state = 'receiving'"), [])
            self.assertEqual(len(srv.rows("state = 'queued'")), accepted + 1)
            self.assertEqual(srv.stop(), 0)
        finally:
            if srv and srv.proc.poll() is None:
                srv.kill()  # a failed assertion must not leave the server running
            subprocess.run(["umount", mnt])
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
