"""A private Postfix (Debian's postfix) for the tests, as a smarthost: smtpd on a loopback port
with STARTTLS (AUTH only after it) and SASL through a Dovecot auth socket; it relays for
authenticated clients only and holds every message it accepts in its queue (nothing leaves);
its log in its own file. Started with `postfix start-fg` (needs root), stopped with
`postfix stop`."""

import os
import shutil
import subprocess
import tempfile
import time

from harness import free_port

MAIN_CF = """compatibility_level = 3.6
queue_directory = {d}/spool
data_directory = {d}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
myhostname = smarthost.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# Loopback is not trusted: relaying needs SASL.
mynetworks = 192.0.2.1/32
smtpd_peername_lookup = no
disable_dns_lookups = yes
smtpd_tls_security_level = may
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {auth_socket}
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_client_access static:HOLD
"""

MASTER_CF = """127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
postlog   unix-dgram n  -       n       -       1       postlogd
"""


class PostfixSmarthost:
    def __init__(self, certdir, auth_socket):
        self.dir = tempfile.mkdtemp(prefix="pf-", dir="/tmp")
        os.chmod(self.dir, 0o755)  # its daemons run as user postfix
        self.etc = os.path.join(self.dir, "etc")
        for sub in ("etc", "spool", "data"):
            os.makedirs(os.path.join(self.dir, sub))
        shutil.chown(os.path.join(self.dir, "data"), "postfix")
        self.port = free_port()
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(d=self.dir, cert=os.path.join(certdir, "cert.pem"),
                                   key=os.path.join(certdir, "key.pem"), auth_socket=auth_socket))
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port))
        self.proc = None

    def start(self):
        subprocess.run(["postfix", "-c", self.etc, "check"], check=True, capture_output=True, timeout=60)
        self.proc = subprocess.Popen(["postfix", "-c", self.etc, "start-fg"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while "daemon started" not in self.log():
            if time.time() > deadline or self.proc.poll() is not None:
                raise AssertionError("postfix did not start:\n" + self.log())
            time.sleep(0.1)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            subprocess.run(["postfix", "-c", self.etc, "stop"], capture_output=True, timeout=60)
            self.proc.wait(30)

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog")) as f:
                return f.read()
        except OSError:
            return ""

    def held(self):
        """The messages held in its queue, each as its queue file's bytes."""
        hold = os.path.join(self.dir, "spool", "hold")
        out = []
        for name in sorted(os.listdir(hold)) if os.path.isdir(hold) else []:
            with open(os.path.join(hold, name), "rb") as f:
                out.append(f.read())
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is None:
            shutil.rmtree(self.dir, ignore_errors=True)
