"""Privileges: started as root, `serve` binds a port below 1024, opens the spool, then runs as
[server] user; the systemd unit in conf/ passes systemd-analyze."""

import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import tempfile
import unittest

from harness import Server, main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_privileged_port():
    for port in range(600, 1000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise unittest.SkipTest("no free port below 1024")


def ids(pid):
    with open("/proc/%d/status" % pid) as f:
        lines = {k: v.split() for k, _, v in (l.partition(":") for l in f)}
    return [int(x) for x in lines["Uid"]], [int(x) for x in lines["Gid"]], lines["Groups"]


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class DropPrivileges(unittest.TestCase):
    def test_binds_low_port_then_runs_as_user(self):
        nobody = pwd.getpwnam("nobody")
        port = free_privileged_port()
        srv = Server(tls_lines="", log_level="info")
        os.chmod(srv.dir, 0o755)  # the user must pass through it to reach the Maildir
        srv.edit_config('[server]\n', '[server]\nuser = "nobody"\n')
        srv.edit_config('listen = "127.0.0.1:0"', 'listen = "127.0.0.1:%d"' % port)
        with srv:
            self.assertEqual(srv.port, port)
            srv.wait_log(r"running as user nobody")
            uids, gids, groups = ids(srv.proc.pid)
            self.assertEqual(uids, [nobody.pw_uid] * 4)
            self.assertEqual(gids, [nobody.pw_gid] * 4)
            self.assertEqual(groups, [str(nobody.pw_gid)])
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                s.sendmail("a@b.example", ["x@example.test"], b"Subject: dropped\r\n\r\nx\r\n")
            path = os.path.join(srv.maildir, "new", srv.wait_delivered(1)[0])
            self.assertEqual(os.stat(path).st_uid, nobody.pw_uid)
            for f in srv.queue_files():
                self.assertEqual(os.stat(f).st_uid, nobody.pw_uid, f)
            self.assertEqual(len(srv.rows()), 1)

    def test_unknown_user_stops_the_start(self):
        srv = Server()
        srv.edit_config('[server]\n', '[server]\nuser = "no-such-user-x"\n')
        from harness import BIN
        r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn('[server] user: no user "no-such-user-x"', r.stderr)
        shutil.rmtree(srv.dir, ignore_errors=True)


class SystemdUnit(unittest.TestCase):
    def test_unit_verifies(self):
        from harness import BIN
        d = tempfile.mkdtemp(prefix="mailactor-unit-")
        try:
            with open(os.path.join(ROOT, "conf/mailactor.service")) as f:
                unit = f.read().replace("/usr/local/bin/mailactor", os.path.abspath(BIN))
            path = os.path.join(d, "mailactor.service")
            with open(path, "w") as f:
                f.write(unit)
            r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)
            problems = [l for l in (r.stdout + r.stderr).splitlines() if "mailactor.service" in l]
            self.assertEqual(problems, [], r.stdout + r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
