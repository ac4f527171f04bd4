"""TLS end to end: STARTTLS and implicit TLS with Python ssl/smtplib, swaks and openssl s_client;
the plaintext-injection defence, old protocols refused, certificate reload on SIGHUP, and 2000
short TLS sessions without a failure."""

import json
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import BIN, Client, Server, main


def client_context(**kw):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # self-signed: clients that do not verify must still work
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def make_cert(directory, host="mx.example.test"):
    subprocess.run([BIN, "tls", "selfsigned", "--out", directory, "--hostname", host], check=True,
                   capture_output=True, timeout=30)


def tls_lines(mode, certdir, extra=""):
    return 'tls = "%s"\ntls_cert = "%s/cert.pem"\ntls_key = "%s/key.pem"\n%s' % (mode, certdir, certdir, extra)


def peer_serial(port, implicit=False):
    ctx = client_context()
    if implicit:
        s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=30)
    else:
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.starttls(context=ctx)
    der = s.sock.getpeercert(binary_form=True)
    s.quit()
    return der


class Tls(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mailactor-tls-")
        self.certs = os.path.join(self.tmp, "a")
        make_cert(self.certs)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def starttls_server(self, extra="", **kw):
        return Server(tls_lines=tls_lines("starttls", self.certs, extra), **kw)

    def test_smtplib_starttls_stores_tls_facts(self):
        with self.starttls_server() as srv:
            s = smtplib.SMTP("127.0.0.1", srv.port, timeout=30)
            s.ehlo("c.example")
            self.assertTrue(s.has_extn("starttls"))
            self.assertEqual(s.starttls(context=client_context())[0], 220)
            s.ehlo("c.example")
            self.assertFalse(s.has_extn("starttls"), "STARTTLS must not be offered twice")
            s.sendmail("a@b.example", ["x@example.test"], b"Subject: tls\r\n\r\nsecret\r\n")
            s.quit()
            qid = srv.wait_delivered(1)[0]
            stored = srv.delivered_bytes(qid)
            self.assertRegex(stored, rb"with ESMTPS\r\n\t\(using TLSv1\.3 with cipher TLS_[A-Z0-9_]+\)")
            with open(os.path.join(srv.maildir, "envelope", qid + ".json")) as f:
                env = json.load(f)
            self.assertEqual(env["tls"]["protocol"], "TLSv1.3")
            self.assertTrue(env["tls"]["cipher"].startswith("TLS_"))
            self.assertEqual(env["protocol"], "ESMTPS")
            row = srv.rows()[0]
            self.assertEqual(row["tls_protocol"], "TLSv1.3")

    def test_implicit_tls(self):
        with Server(tls_lines=tls_lines("implicit", self.certs)) as srv:
            with smtplib.SMTP_SSL("127.0.0.1", srv.port, context=client_context(), timeout=30) as s:
                code, _ = s.ehlo("c.example")
                self.assertEqual(code, 250)
                self.assertFalse(s.has_extn("starttls"))
                s.sendmail("a@b.example", ["x@example.test"], b"Subject: implicit\r\n\r\nx\r\n")
            self.assertIn(b"with ESMTPS", srv.delivered_bytes(srv.wait_delivered(1)[0]))
            # Plaintext on an implicit-TLS port is a failed handshake, not a session.
            c = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            c.sendall(b"EHLO plain.example\r\n")
            data = c.recv(100)
            self.assertTrue(data == b"" or data[:1] == b"\x15", "a TLS alert or a close, never an SMTP reply: %r" % data)
            srv.wait_log(r"handshake failed")

    def test_auth_only_after_tls(self):
        users = os.path.join(self.tmp, "users")
        pw = subprocess.run([BIN, "passwd"], input="pw\n", capture_output=True, text=True, check=True).stdout.strip()
        with open(users, "w") as f:
            f.write("alice:%s\n" % pw)
        with self.starttls_server(auth_backend="passwd-file", mode="submission",
                                  auth_options='[auth.passwd-file]\npath = "%s"\n' % users) as srv:
            s = smtplib.SMTP("127.0.0.1", srv.port, timeout=30)
            s.ehlo()
            self.assertFalse(s.has_extn("auth"))
            self.assertEqual(s.docmd("AUTH", "PLAIN AGFsaWNlAHB3")[0], 538)
            s.starttls(context=client_context())
            s.ehlo()
            self.assertIn("PLAIN", s.esmtp_features["auth"])
            self.assertEqual(s.login("alice", "pw")[0], 235)
            s.sendmail("alice@example.org", ["x@elsewhere.example"], b"Subject: a\r\n\r\nx\r\n")
            s.quit()
            self.assertIn(b"with ESMTPSA", srv.delivered_bytes(srv.wait_delivered(1)[0]))

    def test_require_tls(self):
        with self.starttls_server(extra="require_tls = true\n") as srv:
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO c.example")
            self.assertEqual(c.cmd("MAIL FROM:<a@b.example>"), "530 5.7.0 Must issue a STARTTLS command first")

    def test_plaintext_after_starttls_is_discarded(self):
        with self.starttls_server() as srv:
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO c.example")
            c.send("STARTTLS\r\nRSET\r\nMAIL FROM:<injected@x.example>\r\n")  # one packet
            self.assertEqual(c.line(), "220 2.0.0 Ready to start TLS")
            self.assertEqual(c.buf, b"", "nothing may follow the 220 in plaintext")
            tls = client_context().wrap_socket(c.sock)
            tls.sendall(b"NOOP\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                data += tls.recv(4096)
            self.assertEqual(data, b"250 2.0.0 Ok\r\n", "the injected RSET/MAIL were executed")
            tls.sendall(b"MAIL FROM:<a@b.example>\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                data += tls.recv(4096)
            self.assertEqual(data, b"503 5.5.1 Error: send HELO/EHLO first\r\n", "state resets to before EHLO")

    def test_swaks(self):
        with self.starttls_server() as srv:
            r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % srv.port, "--tls", "--from", "s@b.example",
                                "--to", "x@example.test"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("TLS started", r.stdout)
        with Server(tls_lines=tls_lines("implicit", self.certs)) as srv:
            r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % srv.port, "--tlsc", "--from", "s@b.example",
                                "--to", "x@example.test"], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"250 2\.0\.0 Ok: queued as")

    def test_openssl_s_client(self):
        script = "EHLO s.example\nMAIL FROM:<a@b.example>\nRCPT TO:<x@example.test>\nDATA\nSubject: s_client\n\nhi\n.\nQUIT\n"
        with self.starttls_server() as srv:
            r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-crlf", "-quiet", "-connect",
                                "127.0.0.1:%d" % srv.port], input=script, capture_output=True, text=True, timeout=60)
            self.assertRegex(r.stdout, r"250 2\.0\.0 Ok: queued as")
        with Server(tls_lines=tls_lines("implicit", self.certs)) as srv:
            r = subprocess.run(["openssl", "s_client", "-crlf", "-quiet", "-connect", "127.0.0.1:%d" % srv.port],
                               input=script, capture_output=True, text=True, timeout=60)
            self.assertRegex(r.stdout, r"220 mx\.example\.test ESMTP")
            self.assertRegex(r.stdout, r"250 2\.0\.0 Ok: queued as")

    def test_old_protocols_refused(self):
        with Server(tls_lines=tls_lines("implicit", self.certs)) as srv:
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                ctx = client_context(minimum_version=version, maximum_version=version)
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                with self.assertRaises((ssl.SSLError, ConnectionError)):
                    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw:
                        with ctx.wrap_socket(raw) as t:
                            t.recv(100)
            srv.wait_log(r"handshake failed: .*unsupported protocol")

    def test_certificates_reload_on_sighup(self):
        with self.starttls_server() as srv:
            first = peer_serial(srv.port)
            keep = smtplib.SMTP("127.0.0.1", srv.port, timeout=30)
            keep.starttls(context=client_context())
            keep.ehlo()
            b = os.path.join(self.tmp, "b")
            make_cert(b, "new.example.test")
            for name in ("cert.pem", "key.pem"):
                shutil.copy(os.path.join(b, name), os.path.join(self.certs, name + ".new"))
                os.replace(os.path.join(self.certs, name + ".new"), os.path.join(self.certs, name))
            srv.proc.send_signal(signal.SIGHUP)
            srv.wait_log("listener smtp uses certificate")
            second = peer_serial(srv.port)
            self.assertNotEqual(first, second, "new handshakes must use the new certificate")
            self.assertEqual(keep.noop()[0], 250, "an established TLS session survives the reload")
            keep.quit()
            # A broken pair on SIGHUP keeps the current one.
            with open(os.path.join(self.certs, "key.pem"), "w") as f:
                f.write("broken")
            srv.proc.send_signal(signal.SIGHUP)
            srv.wait_log("keeps its certificate")
            self.assertEqual(peer_serial(srv.port), second)

    def test_missing_certificate_is_a_startup_error(self):
        srv = Server(tls_lines=tls_lines("starttls", os.path.join(self.tmp, "nowhere")))
        r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot use certificate %s/nowhere/cert.pem" % self.tmp, r.stderr)

    def test_churn_2000_short_tls_sessions(self):
        total, workers = 2000, 16
        with self.starttls_server() as srv:
            failures = []
            done = [0]
            lock = threading.Lock()

            def worker(n):
                ctx = client_context()
                for i in range(total // workers):
                    try:
                        s = smtplib.SMTP("127.0.0.1", srv.port, timeout=30)
                        s.ehlo("w%d-%d.example" % (n, i))
                        s.starttls(context=ctx)
                        code, msg = s.ehlo("w%d-%d.example" % (n, i))
                        if code != 250 or not msg.startswith(b"mx.example.test"):
                            raise AssertionError((code, msg))
                        if s.noop()[0] != 250:
                            raise AssertionError("noop")
                        s.quit()
                        with lock:
                            done[0] += 1
                    except Exception as e:  # noqa: BLE001 - every failure is reported
                        with lock:
                            failures.append(repr(e))

            t0 = time.time()
            threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            elapsed = time.time() - t0
            self.assertEqual(failures, [])
            self.assertEqual(done[0], total)
            self.assertNotRegex(srv.log(), r"handshake failed|connection failed")
            print("\n%d TLS sessions in %.1f s (%.0f/s), 0 failures" % (total, elapsed, total / elapsed))


if __name__ == "__main__":
    main()
