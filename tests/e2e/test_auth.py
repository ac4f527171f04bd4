"""AUTH end to end: smtplib.login, swaks --auth, passwd-file, static-map, a real Dovecot, the
submission policy, failure limits, allow-all's loopback guard, and a backend swap under load."""

import base64
import json
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import threading
import time
import unittest

from harness import BIN, Client, Server, main, plain


def hash_of(password, scheme="yescrypt"):
    r = subprocess.run([BIN, "passwd", "--scheme", scheme], input=password + "\n", capture_output=True,
                       text=True, timeout=30, check=True)
    return r.stdout.strip()


def passwd_file(path, users):
    with open(path + ".new", "w") as f:
        for user, (password, scheme) in users.items():
            f.write("%s:%s\n" % (user, hash_of(password, scheme)))
    os.replace(path + ".new", path)




class Auth(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mailactor-auth-")
        self.users = os.path.join(self.tmp, "users")
        passwd_file(self.users, {"alice": ("wonderland", "yescrypt"), "bob": ("builder", "sha512-crypt"),
                                 "carol": ("sesame", "bcrypt")})

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, **kw):
        settings = dict(auth_backend="passwd-file", allow_plaintext_auth="true",
                        auth_options='[auth.passwd-file]\npath = "%s"\n' % self.users)
        settings.update(kw)
        return Server(**settings)

    def test_smtplib_login_each_hash_and_mechanism(self):
        with self.server(mode="submission") as srv:
            for user, pw in (("alice", "wonderland"), ("bob", "builder"), ("carol", "sesame")):
                for mech in ("PLAIN", "LOGIN"):
                    with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
                        s.ehlo("c.example")
                        self.assertIn("PLAIN LOGIN", s.esmtp_features["auth"])
                        s.user, s.password = user, pw
                        code, _ = s.auth(mech, getattr(s, "auth_" + mech.lower()))
                        self.assertEqual(code, 235, (user, mech))
            self.assertIn("result=ok", srv.log())
            self.assertNotIn("wonderland", srv.log(), "a password reached the log")

    def test_submission_requires_auth_then_relays(self):
        with self.server(mode="submission") as srv:
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO c.example")
            self.assertEqual(c.cmd("MAIL FROM:<alice@example.org>"), "530 5.7.0 Authentication required")
            self.assertEqual(c.cmd("AUTH PLAIN " + plain("alice", "nope")), "535 5.7.8 Authentication credentials invalid")
            self.assertEqual(c.cmd("AUTH PLAIN " + plain("alice", "wonderland")), "235 2.7.0 Authentication successful")
            self.assertEqual(c.cmd("MAIL FROM:<alice@example.org>"), "250 2.1.0 Ok")
            self.assertEqual(c.cmd("RCPT TO:<anyone@elsewhere.example>"), "250 2.1.5 Ok")
            c.cmd("DATA")
            self.assertRegex(c.cmd("Subject: sub\r\n\r\nbody\r\n."), r"^250 2\.0\.0 Ok: queued as ")
            qid = srv.wait_delivered(1)[0]
            stored = srv.delivered_bytes(qid)
            self.assertIn(b"with ESMTPA", stored)
            with open(os.path.join(srv.maildir, "envelope", qid + ".json")) as f:
                self.assertEqual(json.load(f)["auth_user"], "alice")
            self.assertEqual(srv.rows()[0]["auth_user"], "alice")

    def test_swaks_auth(self):
        with self.server(mode="submission") as srv:
            for mech in ("PLAIN", "LOGIN"):
                r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % srv.port, "--auth", mech,
                                    "--auth-user", "bob", "--auth-password", "builder", "--from", "bob@example.org",
                                    "--to", "x@elsewhere.example"], capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 0, r.stdout)
                self.assertIn("235 2.7.0 Authentication successful", r.stdout)
            r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % srv.port, "--auth", "PLAIN",
                                "--auth-user", "bob", "--auth-password", "wrong", "--to", "x@elsewhere.example"],
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("535 5.7.8", r.stdout)

    def test_no_plaintext_auth_without_tls(self):
        with self.server(allow_plaintext_auth="false") as srv:
            c = Client(srv.port)
            c.reply()
            c.send("EHLO c.example\r\n")
            code, lines = c.reply()
            self.assertFalse(any("AUTH" in l for l in lines), lines)
            self.assertEqual(c.cmd("AUTH PLAIN " + plain("alice", "wonderland")),
                             "538 5.7.11 Encryption required for requested authentication mechanism")

    def test_mx_listener_auth_is_optional(self):
        with self.server(mode="mx") as srv:
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO c.example")
            self.assertEqual(c.cmd("MAIL FROM:<x@example.org>"), "250 2.1.0 Ok")
            self.assertEqual(c.cmd("RCPT TO:<x@elsewhere.example>"), "550 5.7.1 Relay access denied")

    def test_failure_limit_and_tarpit(self):
        with self.server(mode="submission", max_auth_failures=3, tarpit_ms=200) as srv:
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO c.example")
            t0 = time.time()
            for _ in range(2):
                self.assertEqual(c.cmd("AUTH PLAIN " + plain("alice", "x")), "535 5.7.8 Authentication credentials invalid")
            self.assertGreaterEqual(time.time() - t0, 0.55, "tarpit: 200 ms, then 400 ms")
            c.send("AUTH PLAIN " + plain("alice", "x") + "\r\n")
            self.assertEqual(c.line(), "535 5.7.8 Authentication credentials invalid")
            self.assertEqual(c.line(), "421 4.7.0 Too many authentication failures")
            self.assertTrue(c.closed())

    def test_sender_login_match(self):
        with self.server(mode="submission", sender_login_match="true") as srv:
            c = Client(srv.port)
            c.reply()
            c.cmd("EHLO c.example")
            c.cmd("AUTH PLAIN " + plain("alice", "wonderland"))
            self.assertEqual(c.cmd("MAIL FROM:<bob@example.org>"),
                             "553 5.7.1 Sender address rejected: not owned by user alice")
            self.assertEqual(c.cmd("MAIL FROM:<alice@example.org>"), "250 2.1.0 Ok")

    def test_static_map_example_backend(self):
        h = hash_of("s3cret")
        with Server(auth_backend="static-map", allow_plaintext_auth="true", mode="submission",
                    auth_options='[auth.static-map]\ndora = "%s"\n' % h) as srv:
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
                s.ehlo()
                self.assertEqual(s.login("dora", "s3cret")[0], 235)

    def test_allow_all_refuses_a_public_listener(self):
        srv = Server(auth_backend="allow-all", allow_plaintext_auth="true")
        srv.write_config()
        with open(srv.config) as f:
            text = f.read().replace('listen = "127.0.0.1:0"', 'listen = "0.0.0.0:0"')
        with open(srv.config, "w") as f:
            f.write(text)
        r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("auth.allow-all.force: allow-all accepts any password", r.stderr)
        with Server(auth_backend="allow-all", allow_plaintext_auth="true", mode="submission") as ok:
            ok.wait_log("allow-all accepts ANY credentials")
            with smtplib.SMTP("127.0.0.1", ok.port, timeout=30) as s:
                s.ehlo()
                self.assertEqual(s.login("anyone", "anything")[0], 235)

    def test_missing_passwd_file_is_a_startup_error(self):
        srv = Server(auth_backend="passwd-file", auth_options='[auth.passwd-file]\npath = "/nonexistent/users"\n')
        r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read passwd-file /nonexistent/users", r.stderr)

    def test_dovecot_backend(self):
        d = os.path.join(self.tmp, "dovecot")
        os.chmod(self.tmp, 0o755)  # Dovecot's auth process runs as the dovecot user
        os.makedirs(os.path.join(d, "run"))
        os.makedirs(os.path.join(d, "state"))
        sock = os.path.join(d, "auth-client")
        with open(os.path.join(d, "users"), "w") as f:
            f.write("erin:{CRYPT}%s\n" % hash_of("opensesame", "sha512-crypt"))
        conf = os.path.join(d, "dovecot.conf")
        with open(conf, "w") as f:
            f.write("""base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = mailactor-test-{pid}
protocols =
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/home/%u
}}
service auth {{
  unix_listener auth-client {{
    path = {sock}
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
""".format(d=d, sock=sock, pid=os.getpid()))
        dv = subprocess.Popen(["dovecot", "-F", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
        try:
            deadline = time.time() + 15
            while not os.path.exists(sock) and time.time() < deadline:
                time.sleep(0.05)
            self.assertTrue(os.path.exists(sock), "dovecot did not start")
            with Server(auth_backend="dovecot", allow_plaintext_auth="true", mode="submission",
                        auth_options='[auth.dovecot]\nsocket = "%s"\n' % sock) as srv:
                with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
                    s.ehlo()
                    try:
                        self.assertEqual(s.login("erin", "opensesame")[0], 235)
                    except smtplib.SMTPException:
                        with open(os.path.join(d, "dovecot.log")) as f:
                            raise AssertionError(srv.log() + "\n--- dovecot:\n" + f.read())
                # One wrong password (Dovecot's own penalty delays further tries from this IP).
                c = Client(srv.port)
                c.reply()
                c.cmd("EHLO c.example")
                self.assertEqual(c.cmd("AUTH PLAIN " + plain("erin", "wrong")),
                                 "535 5.7.8 Authentication credentials invalid")
                srv.wait_log(r"mechanism=PLAIN user=erin result=ok")
                # Dovecot going away is a temporary failure (454), never a 535. Its auth process
                # outlives the master for a while: end the whole process group.
                os.killpg(dv.pid, signal.SIGKILL)
                dv.wait(15)
                c = Client(srv.port)
                c.reply()
                c.cmd("EHLO c.example")
                self.assertEqual(c.cmd("AUTH PLAIN " + plain("erin", "opensesame")),
                                 "454 4.7.0 Temporary authentication failure")
        finally:
            if dv.poll() is None:
                os.killpg(dv.pid, signal.SIGKILL)
                dv.wait()

    def test_swap_under_load_drops_nothing(self):
        users_b = os.path.join(self.tmp, "users-b")
        passwd_file(users_b, {"alice": ("wonderland", "sha512-crypt"), "frank": ("new", "yescrypt")})
        with self.server(mode="submission") as srv:
            stop = threading.Event()
            results = {"ok": 0, "failed": []}
            lock = threading.Lock()

            def client(n):
                while not stop.is_set():
                    try:
                        with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
                            s.ehlo("load%d.example" % n)
                            s.login("alice", "wonderland")
                            s.sendmail("alice@example.org", ["x@elsewhere.example"], b"Subject: load\r\n\r\nx\r\n")
                        with lock:
                            results["ok"] += 1
                    except Exception as e:  # noqa: BLE001 - every failure is reported
                        with lock:
                            results["failed"].append(repr(e))

            threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
            for t in threads:
                t.start()
            time.sleep(1.0)
            for i in range(4):  # swap back and forth while the load runs
                srv.write_config(auth_options='[auth.passwd-file]\npath = "%s"\n' % (users_b if i % 2 == 0 else self.users))
                srv.proc.send_signal(signal.SIGHUP)
                time.sleep(0.7)
            srv.write_config(auth_options='[auth.passwd-file]\npath = "%s"\n' % users_b)
            srv.proc.send_signal(signal.SIGHUP)
            time.sleep(0.7)
            stop.set()
            for t in threads:
                t.join(60)
            self.assertEqual(results["failed"], [])
            self.assertGreater(results["ok"], 20)
            self.assertEqual(srv.log().count("replaced by passwd-file"), 5)
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:  # only in users-b
                s.ehlo()
                self.assertEqual(s.login("frank", "new")[0], 235)
            print("\nswap under load: %d sessions, 0 failed, 5 swaps" % results["ok"])


if __name__ == "__main__":
    main()
