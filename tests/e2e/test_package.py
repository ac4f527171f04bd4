"""The Debian package, as an operator gets it: scripts/package builds mailactor_<version>_amd64.deb
from this build tree; lintian finds no error in it; `dpkg -i` installs the binary, the config (a
conffile), the unit, the man pages and the mailactor user; the installed binary checks and serves
the installed config and takes a message; remove keeps the config and the mail, purge removes the
config and never the spool."""

import grp
import gzip
import os
import pwd
import re
import shutil
import signal
import smtplib
import stat
import subprocess
import time
import unittest

from harness import free_port, main, sanitized, wait_listening

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MAILACTOR_BUILD_DIR", os.path.join(ROOT, "build"))
INSTALLED = "/usr/sbin/mailactor"
CONFIG = "/etc/mailactor/mailactor.toml"
SPOOL = "/var/spool/mailactor"
MAIL = "/var/mail/mailactor"
EXPECTED_FILES = ["./usr/sbin/mailactor", "./etc/mailactor/mailactor.toml", "./lib/systemd/system/mailactor.service",
                  "./usr/share/man/man8/mailactor.8.gz", "./usr/share/man/man5/mailactor.toml.5.gz",
                  "./usr/share/doc/mailactor/copyright", "./usr/share/doc/mailactor/changelog.gz"]


def run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


@unittest.skipUnless(os.geteuid() == 0, "installs a package with dpkg: needs root (CI runs as root)")
@unittest.skipIf(sanitized(), "the package is built from the plain build, not a sanitizer build")
class DebianPackage(unittest.TestCase):
    def setUp(self):
        status = run("dpkg-query", "-W", "-f=${Status}", "mailactor").stdout
        self.assertNotIn("installed", status, "mailactor is installed on this machine already: not touching it")
        self.had = {p: os.path.exists(p) for p in (SPOOL, MAIL)}
        try:
            pwd.getpwnam("mailactor")
            self.had_user = True
        except KeyError:
            self.had_user = False

    def tearDown(self):
        run("dpkg", "--purge", "mailactor")
        for path, existed in self.had.items():
            if not existed:
                shutil.rmtree(path, ignore_errors=True)
        if not self.had_user:
            run("deluser", "--system", "mailactor")
            run("delgroup", "--system", "mailactor")

    def build_package(self):
        started = time.time()
        r = run(os.path.join(ROOT, "scripts/package"), BUILD, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        deb = r.stdout.strip().splitlines()[-1]
        self.assertRegex(os.path.basename(deb), r"^mailactor_\d+\.\d+\.\d+_amd64\.deb$")
        print("package: %s, %d KiB, built in %.1f s" % (os.path.basename(deb), os.path.getsize(deb) // 1024,
                                                      time.time() - started))
        return deb

    def check_contents(self, deb):
        info = run("dpkg-deb", "--info", deb).stdout
        depends = re.search(r"^ Depends: (.*)$", info, re.M).group(1)
        print("Depends:", depends)
        for lib in ("libcaf-core", "libspdlog", "libsqlite3", "libssl3", "libcurl4", "libunbound8", "libopendkim11",
                    "adduser"):
            self.assertIn(lib, depends)
        self.assertEqual(run("dpkg-deb", "--info", deb, "conffiles").stdout.split(), [CONFIG])
        listing = run("dpkg-deb", "--contents", deb).stdout
        paths = [line.split()[-1] for line in listing.splitlines()]
        for expected in EXPECTED_FILES:
            self.assertIn(expected, paths)
        self.assertFalse([p for p in paths if p.startswith(("./usr/local", "./usr/include", "./usr/lib/cmake"))], paths)

    def check_lintian(self, deb):
        started = time.time()
        r = run("lintian", "--no-tag-display-limit", deb, timeout=600)
        print("lintian (%.1f s):\n%s" % (time.time() - started, r.stdout.strip() or "(nothing)"))
        errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [])

    def check_installed(self):
        user = pwd.getpwnam("mailactor")
        self.assertEqual(user.pw_shell, "/usr/sbin/nologin")
        for path in (SPOOL, MAIL):
            st = os.stat(path)
            self.assertEqual((st.st_uid, st.st_mode & 0o777), (user.pw_uid, 0o750), path)  # /var/mail is setgid
        st = os.stat(CONFIG)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, grp.getgrnam("mailactor").gr_gid, 0o640))
        for page in ("/usr/share/man/man8/mailactor.8.gz", "/usr/share/man/man5/mailactor.toml.5.gz"):
            self.assertIn(b".TH MAILACTOR", gzip.open(page).read(200), page)
        r = run(INSTALLED, "check-config", "--config", CONFIG)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("/var/spool/mailactor", r.stdout)

    def serve_one_message(self):
        """The installed binary on the installed config (its listener moved to a free loopback
        port: port 25 may be taken on the CI machine), started as root: it drops to mailactor."""
        port = free_port()
        proc = subprocess.Popen([INSTALLED, "serve", "--config", CONFIG, "--listen", "127.0.0.1:%d" % port],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            wait_listening(port, 20, proc)
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
                s.sendmail("op@example.org", ["postmaster@localhost"], "Subject: packaged\r\n\r\nhello\r\n")
            deadline = time.time() + 20
            new = os.path.join(MAIL, "ingest", "new")
            while time.time() < deadline and not (os.path.isdir(new) and os.listdir(new)):
                time.sleep(0.1)
            self.assertEqual(len(os.listdir(new)), 1)
            delivered = os.path.join(new, os.listdir(new)[0])
            self.assertEqual(os.stat(delivered).st_uid, pwd.getpwnam("mailactor").pw_uid)
            with open(delivered, "rb") as f:
                self.assertIn(b"Subject: packaged", f.read())
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("running as user mailactor", err)

    def test_build_install_serve_remove_purge(self):
        deb = self.build_package()
        self.check_contents(deb)
        self.check_lintian(deb)
        started = time.time()
        r = run("dpkg", "-i", deb)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        installed = time.time() - started
        self.check_installed()
        self.serve_one_message()
        print("dpkg -i %.1f s; dpkg -i to first message delivered %.1f s" % (installed, time.time() - started))

        r = run("dpkg", "--remove", "mailactor")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(INSTALLED))
        self.assertTrue(os.path.exists(CONFIG), "remove keeps the config")
        self.assertTrue(os.path.exists(os.path.join(SPOOL, "queue.db")), "remove keeps the queue")
        r = run("dpkg", "--purge", "mailactor")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(CONFIG), "purge removes the config")
        self.assertTrue(os.path.exists(os.path.join(SPOOL, "queue.db")), "purge never removes the spool")
        self.assertTrue(os.listdir(os.path.join(MAIL, "ingest", "new")), "purge never removes mail")


if __name__ == "__main__":
    main()
