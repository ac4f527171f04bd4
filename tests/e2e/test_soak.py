"""Soak: mixed traffic for SOAK_SECONDS (120 in CI; 1800 for the long local run) — normal mail,
pipelined batches, AUTH successes and failures, STARTTLS, slowloris clients trickling a byte a
second, clients vanishing mid-DATA, oversize messages, garbage bytes and NULs. Checks: the
server never dies, RSS stays flat after warm-up, open fds return to their idle count, and the
queue holds exactly the acknowledged messages. Prints the RSS curve.

    SOAK_SECONDS=1800 MAILACTOR_BIN=build-release/app/mailactor python3 tests/e2e/test_soak.py
"""

import os
import random
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import BIN, Server, main, queue_id, read_reply

SECONDS = float(os.environ.get("SOAK_SECONDS", "120"))


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Traffic:
    def __init__(self, port):
        self.port = port
        self.stop = time.time() + SECONDS
        self.lock = threading.Lock()
        self.acked = set()
        self.counts = {}
        self.errors = []

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def raw(self, timeout=15):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return s, s.makefile("rb")

    reply = staticmethod(read_reply)

    def open_data(self, helo):
        """A connection that has sent DATA and got its 354."""
        s, f = self.raw()
        self.reply(f)
        for cmd in (b"EHLO " + helo, b"MAIL FROM:<o@b.example>", b"RCPT TO:<x@example.test>", b"DATA"):
            s.sendall(cmd + b"\r\n")
            self.reply(f)
        return s, f

    # -- the kinds of clients -------------------------------------------------------------------
    def normal(self):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.ehlo("normal.example")
            r = s.sendmail("a@b.example", ["x@example.test"], b"Subject: soak\r\n\r\n" + os.urandom(2000).hex().encode())
            self.assertion(r == {}, "normal send refused")
            self.count("normal")

    def pipelined(self):
        s, f = self.raw()
        try:
            self.reply(f)
            s.sendall(b"EHLO pipe.example\r\n")
            self.reply(f)
            batch = b""
            for i in range(3):
                batch += (b"MAIL FROM:<p@b.example>\r\nRCPT TO:<x@example.test>\r\nDATA\r\n")
                s.sendall(batch)
                batch = b""
                for _ in range(3):
                    self.reply(f)
                s.sendall(b"Subject: pipelined\r\n\r\nbody\r\n.\r\n")
                r = self.reply(f)
                self.assertion(r.startswith("250"), "pipelined: " + r)
                with self.lock:
                    self.acked.add(queue_id(r))
            s.sendall(b"QUIT\r\n")
            self.count("pipelined x3")
        finally:
            f.close()
            s.close()

    def auth(self):
        good = random.random() < 0.7
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.ehlo("auth.example")
            try:
                s.login("soak", "right" if good else "wrong")
                self.assertion(good, "a wrong password was accepted")
                self.count("auth ok")
            except smtplib.SMTPAuthenticationError:
                self.assertion(not good, "the right password was refused")
                self.count("auth failed")

    def starttls(self):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.starttls(context=tls_context())
            s.ehlo("tls.example")
            r = s.sendmail("a@b.example", ["x@example.test"], b"Subject: tls\r\n\r\nover tls\r\n")
            self.assertion(r == {}, "tls send refused")
            self.count("starttls")

    def slowloris(self):
        s, f = self.raw(timeout=60)
        try:
            self.reply(f)
            for c in b"EHLO slow.example\r\n":
                if time.time() > self.stop:
                    break
                s.sendall(bytes([c]))
                time.sleep(1)
            self.count("slowloris")
        except OSError:
            self.count("slowloris cut by the server")
        finally:
            f.close()
            s.close()

    def vanish(self):
        s, f = self.open_data(b"gone.example")
        try:
            s.sendall(b"Subject: never finished\r\n\r\n" + b"partial\r\n" * random.randint(1, 5000))
            self.count("vanished mid-DATA")
        finally:
            f.close()
            s.close()

    def oversize(self):
        s, f = self.open_data(b"big.example")
        try:
            s.sendall(b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 400 + b".\r\n")
            r = self.reply(f)
            self.assertion(r.startswith("552 5.3.4"), "oversize: " + r)
            self.count("oversize 552")
        finally:
            f.close()
            s.close()

    def garbage(self):
        s, f = self.raw()
        try:
            self.reply(f)
            s.sendall(os.urandom(random.randint(1, 3000)) + b"\x00\r\n\x00QUIT\r\n")
            self.count("garbage")
        except OSError:
            pass
        finally:
            f.close()
            s.close()

    def assertion(self, ok, what):
        if not ok:
            with self.lock:
                self.errors.append(what)

    def worker(self, kinds):
        while time.time() < self.stop:
            kind = random.choice(kinds)
            try:
                kind()
            except (OSError, smtplib.SMTPException) as e:
                with self.lock:
                    self.errors.append("%s: %r" % (kind.__name__, e))


class Soak(unittest.TestCase):
    def test_mixed_traffic(self):
        tmp = tempfile.mkdtemp(prefix="mailactor-soak-")
        try:
            subprocess.run([BIN, "tls", "selfsigned", "--out", tmp, "--hostname", "mx.example.test"], check=True,
                           capture_output=True, timeout=30)
            with open(os.path.join(tmp, "users"), "w") as f:
                f.write("soak:{PLAIN}right\n")
            tls = 'tls = "starttls"\ntls_cert = "%s/cert.pem"\ntls_key = "%s/key.pem"\n' % (tmp, tmp)
            with Server(tls_lines=tls, auth_backend="passwd-file", allow_plaintext_auth="true",
                        # Every client is 127.0.0.1, wrong passwords among them: the failure
                        # budget across sessions would lock the right ones out too (by design).
                        auth_options='address_failures = 0\nnetwork_failures = 0\n'
                                     '[auth.passwd-file]\npath = "%s/users"\n' % tmp, tarpit_ms=0,
                        max_auth_failures=3, max_message_size=256 * 1024, command_timeout=8, data_timeout=8,
                        delivery="false") as srv:
                self.run_soak(srv)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def run_soak(self, srv):
        pid = srv.proc.pid
        time.sleep(0.5)
        idle_fds = fds(pid)
        t = Traffic(srv.port)
        busy = [t.normal, t.normal, t.pipelined, t.auth, t.starttls, t.vanish, t.oversize, t.garbage]
        threads = [threading.Thread(target=t.worker, args=(busy,)) for _ in range(6)]
        threads += [threading.Thread(target=t.worker, args=([t.slowloris],)) for _ in range(4)]
        for th in threads:
            th.start()
        curve = []
        t0 = time.time()
        while any(th.is_alive() for th in threads):
            self.assertIsNone(srv.proc.poll(), "the server died")
            curve.append((time.time() - t0, rss_mib(pid), fds(pid)))
            time.sleep(min(5, max(1, SECONDS / 40)))
        for th in threads:
            th.join()
        # Idle again: sessions closed, fds back to where they were.
        deadline = time.time() + 20
        while time.time() < deadline and fds(pid) > idle_fds:
            time.sleep(0.2)
        end_fds = fds(pid)
        print("\nsoak %.0f s: %s" % (SECONDS, ", ".join("%s %d" % kv for kv in sorted(t.counts.items()))))
        print("RSS MiB over time (s:MiB:fds): " + " ".join("%.0f:%.1f:%d" % c for c in curve))
        print("fds: idle %d, after the soak %d; errors: %d" % (idle_fds, end_fds, len(t.errors)))
        self.assertEqual(t.errors, [], "client-side surprises")
        self.assertEqual(end_fds, idle_fds, "fd leak")
        # Flat: the second half's peak is no more than 10% (or 8 MiB) above the first half's.
        half = [r for s, r, _ in curve if s >= SECONDS / 2]
        first = [r for s, r, _ in curve if s < SECONDS / 2]
        if half and first:
            self.assertLessEqual(max(half), max(max(first) * 1.10, max(first) + 8), "RSS keeps growing")
        stored = {r["id"] for r in srv.rows("state = 'queued'")}
        self.assertTrue(t.acked <= stored, "acknowledged pipelined messages are stored")
        self.assertEqual(srv.rows("state = 'receiving'"), [], "no half-received message left")


if __name__ == "__main__":
    main()
