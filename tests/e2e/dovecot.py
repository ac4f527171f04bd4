"""A private Dovecot (Debian's dovecot-core and dovecot-lmtpd) for the tests: LMTP on a loopback
port and a unix socket, a passwd-file userdb (every password "secret"), an auth-client socket
(SASL for a Postfix), the quota plugin, Maildirs under its own
directory; started with `dovecot -F` and stopped by killing its process group. As in
../shared/ROUTING.md §3, delivery runs as nobody, so the mail folder is world-writable."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

from harness import free_port

CONFIG = """base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = mailactor-lmtp-{pid}-{port}
protocols = lmtp
ssl = no
postmaster_address = postmaster@example.test
mail_location = maildir:{d}/mail/%d/%n/Maildir
mail_plugins = quota
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
  default_fields = uid=nobody gid=nogroup home={d}/mail/%d/%n
}}
plugin {{
  quota = maildir:User quota
  quota_rule = *:storage=1G
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
  unix_listener auth-client {{
    mode = 0666
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port}
  }}
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """users: {"alice@example.test": "" or extra fields such as "userdb_quota_rule=*:storage=1K"}."""

    def __init__(self, users):
        # Short: unix socket paths must stay under ~100 characters.
        self.dir = tempfile.mkdtemp(prefix="dv-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        for sub in ("run", "state"):
            os.makedirs(os.path.join(self.dir, sub))
        os.makedirs(os.path.join(self.dir, "mail"))
        os.chmod(os.path.join(self.dir, "mail"), 0o1777)
        self.users = os.path.join(self.dir, "users")
        with open(self.users, "w") as f:
            for user, extra in users.items():
                f.write("%s:{PLAIN}secret::::::%s\n" % (user, extra))
        self.port = free_port()
        self.config = os.path.join(self.dir, "dovecot.conf")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(d=self.dir, pid=os.getpid(), port=self.port))
        self.socket = os.path.join(self.dir, "run", "lmtp")
        self.userdb = os.path.join(self.dir, "run", "auth-userdb")
        self.auth_client = os.path.join(self.dir, "run", "auth-client")  # SASL for Postfix
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.config], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 15
        while not os.path.exists(self.socket):
            if time.time() > deadline or self.proc.poll() is not None:
                raise AssertionError("dovecot did not start:\n" + self.log())
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its children outlive the master otherwise
            self.proc.wait(15)
        # A killed master leaves its sockets: the next start must not see them as ready.
        for name in os.listdir(os.path.join(self.dir, "run")):
            path = os.path.join(self.dir, "run", name)
            if not os.path.isdir(path):
                os.unlink(path)

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()
        except OSError:
            return "(no log)"

    def doveadm(self, *args):
        r = subprocess.run(["doveadm", "-c", self.config, *args], capture_output=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError("doveadm %s: %s\n%s" % (args, r.stderr.decode(), self.log()))
        return r.stdout

    def messages(self, user):
        """Every message in the user's INBOX, read through Dovecot."""
        uids = self.doveadm("search", "-u", user, "mailbox", "INBOX", "all").split()
        out = []
        for uid in uids[1::2]:  # "<guid> <uid>" pairs
            out.append(self.doveadm("fetch", "-u", user, "text", "mailbox", "INBOX", "uid",
                                    uid.decode()))
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is None:
            shutil.rmtree(self.dir, ignore_errors=True)
