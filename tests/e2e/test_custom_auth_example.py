"""The out-of-tree example, as a team with its own user database would use it: install mailactor
into a private prefix (each public header there compiles on its own), build examples/custom-auth
against that prefix alone (find_package), run it, log in over AUTH PLAIN as a user of its SQLite table, and swap to the built-in passwd-file
backend and back with SIGHUP."""

import os
import shutil
import signal
import smtplib
import sqlite3
import tempfile
import time
import unittest

from examples import build_example, install, run
from harness import Server, main


def login(port, user, password):
    """The reply code to AUTH PLAIN as `user`."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.example")
        s.user, s.password = user, password
        try:
            return s.auth("PLAIN", s.auth_plain)[0]
        except smtplib.SMTPAuthenticationError as e:
            return e.smtp_code


class CustomAuthExample(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mailactor-example-")
        self.prefix = os.path.join(self.tmp, "prefix")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def each_header_compiles_alone(self):
        """Every public header includes what it uses: a file with only that #include compiles,
        warning-free, against the prefix."""
        include = os.path.join(self.prefix, "include")
        for name in sorted(os.listdir(os.path.join(include, "mailactor"))):
            source = os.path.join(self.tmp, "alone.cpp")
            with open(source, "w") as f:
                f.write("#include <mailactor/%s>\n" % name)
            run(["c++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I", include, source])

    def test_install_build_against_the_prefix_and_log_in(self):
        started = time.monotonic()
        installed = install(self.prefix)
        for expected in ("include/mailactor/auth.hpp", "include/mailactor/delivery_target.hpp",
                         "include/mailactor/main.hpp",
                         "include/mailactor/password.hpp", "include/mailactor/version.hpp",
                         "lib/libmailactor.a", "lib/cmake/mailactor/mailactorConfig.cmake",
                         "lib/cmake/mailactor/mailactorConfigVersion.cmake",
                         "lib/cmake/mailactor/FindCAF.cmake", "sbin/mailactor"):
            self.assertIn(expected, installed)
        self.assertEqual([p for p in installed if p.startswith("include/") and not p.startswith("include/mailactor/")],
                         [], "only the public headers")
        installed_at = time.monotonic()
        self.each_header_compiles_alone()
        installed_at_checked = time.monotonic()  # the check is not part of a user's path

        binary = build_example("custom-auth", self.prefix, os.path.join(self.tmp, "build"),
                               "mailactor-custom-auth")
        built_at = time.monotonic()

        def hash_of(password):
            return run([binary, "passwd"], input=password + "\n").stdout.strip()

        users_db = os.path.join(self.tmp, "users.db")
        with sqlite3.connect(users_db) as db:
            db.execute("CREATE TABLE users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, "
                       "active INTEGER NOT NULL DEFAULT 1)")
            db.execute("INSERT INTO users VALUES ('dana', ?, 1), ('old', ?, 0)",
                       (hash_of("from-sqlite"), hash_of("retired")))
        passwd = os.path.join(self.tmp, "passwd")
        with open(passwd, "w") as f:
            f.write("alice:%s\n" % hash_of("from-passwd-file"))
        sqlite_auth = '[auth.sqlite-users]\ndatabase = "%s"\n' % users_db
        passwd_auth = '[auth.passwd-file]\npath = "%s"\n' % passwd

        aliases = os.path.join(self.tmp, "aliases")
        with open(aliases, "w") as f:
            f.write("postmaster: dana\n")
        boxes = os.path.join(self.tmp, "boxes")
        routing = ('[routing]\nlocal = "mailboxes"\nmailbox_root = "%s"\naliases = "%s"\n'
                   'sources = ["sqlite-users"]\n[routing.sqlite-users]\ndatabase = "%s"\n' % (boxes, aliases, users_db))
        srv = Server(binary=binary, mode="submission", allow_plaintext_auth="true",
                     auth_backend="sqlite-users", auth_options=sqlite_auth, routing_lines=routing)
        self.assertEqual(srv.check_config().returncode, 0, srv.check_config().stderr)
        with srv:
            self.assertEqual(login(srv.port, "dana", "from-sqlite"), 235)
            first_login = time.monotonic()

            # The same table as a user source: RCPT TO knows the active users' mailboxes.
            with smtplib.SMTP("127.0.0.1", srv.port, timeout=30) as s:
                s.ehlo("client.example")
                s.login("dana", "from-sqlite")
                s.mail("dana@example.test")
                self.assertEqual(s.rcpt("nobody@example.test"), (550, b"5.1.1 <nobody@example.test>: User unknown"))
                self.assertEqual(s.rcpt("old@example.test")[0], 550, "inactive in the table")
                self.assertEqual(s.rcpt("DANA+news@localhost")[0], 250)
                self.assertEqual(s.data(b"Subject: via the table\r\n\r\nhello\r\n")[0], 250)
            new = os.path.join(boxes, "localhost", "dana", "Maildir", "new")
            deadline = time.time() + 10
            while not (os.path.isdir(new) and os.listdir(new)) and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(len(os.listdir(new)), 1)
            self.assertEqual(login(srv.port, "dana", "wrong"), 535)
            self.assertEqual(login(srv.port, "old", "retired"), 535, "inactive in the table")
            self.assertEqual(login(srv.port, "alice", "from-passwd-file"), 535)

            for backend, options, ok, refused in (
                    ("passwd-file", passwd_auth, ("alice", "from-passwd-file"), ("dana", "from-sqlite")),
                    ("sqlite-users", sqlite_auth, ("dana", "from-sqlite"), ("alice", "from-passwd-file"))):
                mark = len(srv.log_lines)
                srv.write_config(auth_backend=backend, auth_options=options)
                srv.proc.send_signal(signal.SIGHUP)
                srv.wait_log("auth: backend .* replaced by " + backend, start=mark)
                self.assertEqual(login(srv.port, *ok), 235, backend)
                self.assertEqual(login(srv.port, *refused), 535, backend)

            # The database gone: 454 (try later), not 535 (wrong password).
            os.chmod(users_db, 0)
            if os.access(users_db, os.R_OK):  # root reads it anyway: take it away instead
                os.rename(users_db, users_db + ".away")
            mark = len(srv.log_lines)
            srv.proc.send_signal(signal.SIGHUP)
            srv.wait_log("SIGHUP: keeping the current auth backend: sqlite-users: .*users.db", start=mark)
            self.assertEqual(login(srv.port, "dana", "from-sqlite"), 235, "the running backend stays")
        print("\ncmake --install: %.1f s; example cmake + build: %.1f s; start to first login: %.1f s; "
              "total from install to first login: %.1f s" % (
                  installed_at - started, built_at - installed_at_checked, first_login - built_at,
                  first_login - started - (installed_at_checked - installed_at)))


if __name__ == "__main__":
    main()
