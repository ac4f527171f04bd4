"""Outbound delivery: mail that authenticated users submit for other domains leaves over SMTP.
A real DNS server (unbound, on loopback) serves the test domains' MX, A, TXT and null MX records;
the receiving MX is a second mailactor with STARTTLS; all peers listen on one port
([relay] mx_port) at distinct 127.0.0.x addresses. Checked: arrival byte for byte over TLS, the
DKIM signature verified by python3-dkim against the key in DNS, a 5xx peer's refusal bounced to
the local sender naming the remote reply, null MX bounced 5.1.10, a destination down and then up
delivered once, a greylisting peer delivered on retry, the "encrypt" policy sending nothing to a
peer without STARTTLS, a smarthost with STARTTLS and AUTH, SIGKILL while relaying losing nothing,
the credentials file check, trusted_networks relaying for its clients only, an MX reached over
IPv6 only, the "verify" policy (chain and name), and a real Postfix as smarthost."""

import asyncio
import os
import signal
import smtplib
import subprocess
import threading
import time
import unittest

from dns_server import DnsServer
from dovecot import Dovecot
from harness import BIN, Server, free_port, main
from postfix_server import PostfixSmarthost
from test_auth import passwd_file
from test_tls import make_cert, tls_lines

MESSAGE = (b"From: Alice <alice@example.test>\r\nTo: bob@remote.test\r\nSubject: out\r\n"
           b"Message-ID: <%d@example.test>\r\n\r\nhello over there\r\n.. a dotted line\r\n")


class GreylistPeer:
    """A minimal SMTP peer on 127.0.0.3: no STARTTLS, refuses the first RCPT with 451 (as a
    greylisting MX does), then accepts; records every transaction it completed."""

    def __init__(self, port):
        self.port, self.first = port, True
        self.messages, self.commands = [], []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self.session, "127.0.0.3", port), self.loop).result(10)

    async def session(self, reader, writer):
        writer.write(b"220 grey.test ESMTP\r\n")
        data = None
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line.decode().strip()
            self.commands.append(cmd)
            if data is not None:
                if cmd == ".":
                    self.messages.append(b"".join(data))
                    data = None
                    writer.write(b"250 2.0.0 taken\r\n")
                else:
                    data.append(line)
                continue
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                writer.write(b"250-grey.test\r\n250 PIPELINING\r\n")
            elif verb == "RCPT" and self.first:
                self.first = False
                writer.write(b"451 4.7.1 greylisted, come back later\r\n")
            elif verb == "DATA":
                data = []
                writer.write(b"354 go\r\n")
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    def close(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


def mx_server(port, domain, tls_dir=None, extra_routing=""):
    """A second mailactor as the MX of `domain` on 127.0.0.1:port (users: bob)."""
    srv = Server(tls_lines=tls_lines("starttls", tls_dir) if tls_dir else "")
    # Its own name: a next hop that greets with the sender's name is the sender (a mail loop).
    srv.edit_config('hostname = "mx.example.test"', 'hostname = "mx.%s"' % domain)
    srv.edit_config('local_domains = ["example.test", "localhost"]', 'local_domains = ["%s"]' % domain)
    srv.edit_config('listen = "127.0.0.1:0"', 'listen = "127.0.0.1:%d"' % port)
    srv.edit_config("[spool]", '[routing]\nlocal = "mailboxes"\nmailbox_root = "%s/boxes"\nusers = ["bob", "postmaster"]\n%s\n[spool]' % (srv.dir, extra_routing))
    return srv


def mailbox(srv, domain, user="bob"):
    d = os.path.join(srv.dir, "boxes", domain, user, "Maildir", "new")
    return [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))] if os.path.isdir(d) else []


def ingest_messages(srv):
    """Everything in a server's ingest Maildir (where a bounce to its local sender lands)."""
    return [srv.delivered_bytes(f) for f in srv.delivered()]


def wait_for(what, check, timeout=30):
    deadline = time.time() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


class RelayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Server().dir  # a scratch directory
        cls.port = free_port()
        cls.keys = os.path.join(cls.tmp, "dkim")
        os.makedirs(cls.keys)
        txt = subprocess.run([BIN, "dkim", "keygen", "--domain", "example.test", "--selector", "s1",
                              "--dir", cls.keys], capture_output=True, text=True, check=True, timeout=60).stdout
        cls.dns = DnsServer([
            "remote.test. MX 10 mx.remote.test.", "mx.remote.test. A 127.0.0.1",
            "nullmx.test. MX 0 .",
            "later.test. MX 10 mx.later.test.", "mx.later.test. A 127.0.0.5",
            "grey.test. MX 10 mx.grey.test.", "mx.grey.test. A 127.0.0.3",
            "strict.test. MX 10 mx.grey.test.",
            "v6.test. MX 10 mx.v6.test.", "mx.v6.test. AAAA ::1",
            "alias.test. MX 10 mx.alias.test.", "mx.alias.test. A 127.0.0.1",
            txt.strip().replace(" IN TXT ", " TXT "),
        ]).start()
        cls.certs = os.path.join(cls.tmp, "certs")
        make_cert(cls.certs, "mx.remote.test")
        cls.mx = mx_server(cls.port, "remote.test", cls.certs).start()

    @classmethod
    def tearDownClass(cls):
        cls.mx.stop()
        cls.dns.stop()

    def sender(self, relay_extra="", mode="submission", **settings):
        users = os.path.join(self.tmp, "users")
        if not os.path.exists(users):
            passwd_file(users, {"alice": ("wonderland", "sha512-crypt")})
        srv = Server(mode=mode, auth_backend="passwd-file", allow_plaintext_auth="true",
                     auth_options='[auth.passwd-file]\npath = "%s"\n' % users, **settings)
        srv.edit_config("[spool]", """[relay]
enabled = true
dns_server = "%s"
mx_port = %d
retry_first = 1
retry_max = 2
connect_timeout_ms = 2000
timeout_ms = 10000
%s
[dkim]
key_dir = "%s"

[spool]""" % (self.dns.server, self.port, relay_extra, self.keys))
        return srv

    def submit(self, srv, rcpts, n=0, mail_from="alice@example.test"):
        with smtplib.SMTP("127.0.0.1", srv.port, timeout=10) as s:
            s.login("alice", "wonderland")
            s.sendmail(mail_from, rcpts, MESSAGE % n)

    def rows(self, srv, rcpt):
        return srv.query("select state, attempts, last_code, last_enhanced, last_text, last_host "
                         "from recipients where final_rcpt = ?", (rcpt,))

    def test_submitted_mail_arrives_at_the_mx_over_tls_dkim_signed(self):
        before = len(mailbox(self.mx, "remote.test"))
        with self.sender() as a:
            self.submit(a, ["bob@remote.test"], 1)
            got = wait_for("delivery at the MX", lambda: mailbox(self.mx, "remote.test")[before:])
            msg = got[0]
            self.assertTrue(msg.endswith(b"hello over there\r\n.. a dotted line\r\n"), msg[-80:])
            self.assertIn(b"DKIM-Signature:", msg)
            state, attempts, code, enhanced, text, host = wait_for(
                "the delivered mark", lambda: [r for r in self.rows(a, "bob@remote.test") if r[0] == "delivered"])[0]
            self.assertEqual(code, 250)
            self.assertIn("mx.remote.test[127.0.0.1]:%d" % self.port, host)
            self.assertIn("TLSv1.3", text)
            self.assertIn("unverified", text)  # opportunistic: the self-signed cert is not checked
            self.assertTrue(a.wait_log(r"relay session to mx\.remote\.test.*TLSv1\.3"))
        self.assertIn("TLSv1.3", [r[0] for r in self.mx.query("select tls_protocol from messages")])
        # python3-dkim verifies the signature with the public key our DNS server publishes.
        verify = """
import sys, dkim, dns.resolver
r = dns.resolver.Resolver(configure=False); r.nameservers = ["127.0.0.1"]; r.port = %d
def txt(name, timeout=5):
    return b"".join(b"".join(x.strings) for x in r.resolve(name.decode().rstrip("."), "TXT"))
sys.exit(0 if dkim.verify(sys.stdin.buffer.read(), dnsfunc=txt) else 1)
""" % self.dns.port
        v = subprocess.run(["/usr/bin/python3", "-c", verify], input=msg, capture_output=True, timeout=30)
        self.assertEqual(v.returncode, 0, v.stderr)

    def test_a_5xx_from_the_peer_bounces_to_the_local_sender_naming_the_reply(self):
        with self.sender() as a:
            self.submit(a, ["nobody@remote.test"], 2)
            bounce = wait_for("the bounce", lambda: [m for m in ingest_messages(a) if b"delivery-status" in m])
            self.assertIn(b"nobody@remote.test", bounce[0])
            self.assertIn(b"550 5.1.1", bounce[0])
            self.assertIn(b"Remote-MTA: dns; mx.remote.test", bounce[0])
            self.assertEqual(self.rows(a, "nobody@remote.test")[0][:2], ("failed", 1))

    def test_null_mx_bounces_5_1_10_without_connecting(self):
        with self.sender() as a:
            self.submit(a, ["x@nullmx.test"], 3)
            bounce = wait_for("the bounce", lambda: [m for m in ingest_messages(a) if b"5.1.10" in m])
            self.assertIn(b"null MX", bounce[0])
            self.assertEqual(self.rows(a, "x@nullmx.test")[0][2:4], (556, "5.1.10"))

    def test_a_destination_down_then_up_is_delivered_once(self):
        with self.sender() as a:
            self.submit(a, ["bob@later.test"], 4)
            wait_for("a deferral", lambda: [r for r in self.rows(a, "bob@later.test") if r[1] >= 1 and r[0] == "pending"])
            self.assertIn("cannot deliver to later.test", self.rows(a, "bob@later.test")[0][4])
            later = mx_server(self.port, "later.test")
            later.edit_config('listen = "127.0.0.1:%d"' % self.port, 'listen = "127.0.0.5:%d"' % self.port)
            later.READY = dict(later.READY, serve=r"listening on 127\.0\.0\.5:(\d+)")
            with later:
                wait_for("delivery once up", lambda: mailbox(later, "later.test"), timeout=40)
                time.sleep(3)  # a second delivery would come within the retry schedule
                self.assertEqual(len(mailbox(later, "later.test")), 1)
                self.assertEqual(self.rows(a, "bob@later.test")[0][0], "delivered")

    def test_a_greylisting_peer_gets_it_on_retry_and_encrypt_sends_nothing_in_plaintext(self):
        peer = GreylistPeer(self.port)
        try:
            with self.sender(relay_extra='[relay.domain."strict.test"]\ntls = "encrypt"\n') as a:
                self.submit(a, ["carol@strict.test"], 5)
                wait_for("a deferral", lambda: [r for r in self.rows(a, "carol@strict.test") if r[1] >= 1])
                self.assertIn("TLS is required", self.rows(a, "carol@strict.test")[0][4])
                self.assertFalse([c for c in peer.commands if c.upper().startswith("MAIL")])
                self.submit(a, ["dave@grey.test"], 6)
                wait_for("delivery on retry", lambda: peer.messages, timeout=40)
                state, attempts = wait_for("the delivered mark", lambda: [r for r in self.rows(a, "dave@grey.test") if r[0] == "delivered"])[0][:2]
                self.assertEqual(attempts, 2)
                self.assertEqual(len(peer.messages), 1)
                self.assertEqual(self.rows(a, "carol@strict.test")[0][0], "pending")
        finally:
            peer.close()

    def test_smarthost_with_starttls_and_auth(self):
        users = os.path.join(self.tmp, "relayusers")
        passwd_file(users, {"relayer": ("s3cret", "sha512-crypt")})
        smart_port = free_port()
        smart = Server(mode="submission", auth_backend="passwd-file",
                       tls_lines=tls_lines("starttls", self.certs),
                       auth_options='[auth.passwd-file]\npath = "%s"\n' % users)
        smart.edit_config('listen = "127.0.0.1:0"', 'listen = "127.0.0.1:%d"' % smart_port)
        smart.edit_config('hostname = "mx.example.test"', 'hostname = "smarthost.test"')  # not us
        creds = os.path.join(self.tmp, "smarthost.auth")
        with open(creds, "w") as f:
            f.write("relayer:s3cret\n")
        os.chmod(creds, 0o600)
        with smart, self.sender(relay_extra='smarthost = "[127.0.0.1]:%d"\nsmarthost_auth_file = "%s"\n' % (smart_port, creds)) as a:
            self.submit(a, ["zed@anywhere.test"], 7)
            wait_for("the smarthost's queue", lambda: smart.rows("1=1"))
            auth_user, tls = smart.query("select auth_user, tls_protocol from messages")[0]
            self.assertEqual((auth_user, tls), ("relayer", "TLSv1.3"))
            os.chmod(creds, 0o644)
            check = a.check_config()
            self.assertNotEqual(check.returncode, 0)
            self.assertIn("smarthost.auth can be read by others (mode 644)", check.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "Postfix starts as root")
    def test_a_real_postfix_smarthost_with_starttls_and_sasl_through_dovecot(self):
        with Dovecot({"relayer": ""}) as dv, PostfixSmarthost(self.certs, dv.auth_client) as pf:
            creds = os.path.join(self.tmp, "postfix.auth")
            bad = os.path.join(self.tmp, "postfix-bad.auth")
            for path, line in ((creds, "relayer:secret\n"), (bad, "relayer:wrong\n")):
                with open(path, "w") as f:
                    f.write(line)
                os.chmod(path, 0o600)
            smarthost = 'smarthost = "[127.0.0.1]:%d"\nsmarthost_auth_file = "%s"\n'
            with self.sender(relay_extra=smarthost % (pf.port, creds)) as a:
                self.submit(a, ["zoe@far-away.test"], 10)
                held = wait_for("the message held in Postfix's queue", pf.held)
                self.assertIn(b"<10@example.test>", held[0])
                self.assertIn(b"zoe@far-away.test", held[0])
                self.assertRegex(pf.log(), r"TLS connection established from \S+\[127\.0\.0\.1\]: TLSv1\.[23]")
                self.assertIn("sasl_method=PLAIN, sasl_username=relayer", pf.log())
                text = wait_for("the delivered mark", lambda: [
                    r for r in self.rows(a, "zoe@far-away.test") if r[0] == "delivered"])[0][4]
                self.assertIn("TLSv1.3", text)
            with self.sender(relay_extra=smarthost % (pf.port, bad)) as b:
                self.submit(b, ["yan@far-away.test"], 11)
                row = wait_for("a deferral", lambda: [r for r in self.rows(b, "yan@far-away.test") if r[1] >= 1])[0]
                self.assertEqual(row[0], "pending")  # a refused login is the operator's to fix: retried, not bounced
                self.assertIn("535", row[4])
                self.assertEqual(len(pf.held()), 1)

    def test_a_smarthost_in_plaintext_only_when_asked_and_never_with_auth(self):
        peer = GreylistPeer(self.port)
        try:
            with self.sender(relay_extra='smarthost = "[127.0.0.3]:%d"\nsmarthost_tls = "may"\n' % self.port) as a:
                self.submit(a, ["erin@far.test"], 9)
                wait_for("delivery on retry", lambda: peer.messages, timeout=40)
                self.assertIn(b"<9@example.test>", peer.messages[0])
                self.assertIn("plaintext", wait_for("the delivered mark", lambda: [
                    r for r in self.rows(a, "erin@far.test") if r[0] == "delivered"])[0][4])
                creds = os.path.join(self.tmp, "plain.auth")
                with open(creds, "w") as f:
                    f.write("u:p\n")
                os.chmod(creds, 0o600)
                a.edit_config('smarthost_tls = "may"', 'smarthost_tls = "may"\nsmarthost_auth_file = "%s"' % creds)
                check = a.check_config()
                self.assertNotEqual(check.returncode, 0)
                self.assertIn('relay.smarthost_auth_file: needs smarthost_tls "starttls" or "implicit": '
                              'credentials never go in plaintext', check.stderr)
        finally:
            peer.close()

    def test_verify_checks_the_chain_and_the_mx_name(self):
        verify = '[relay.domain."remote.test"]\ntls = "verify"\n[relay.domain."alias.test"]\ntls = "verify"\n'
        with self.sender(relay_extra='tls_ca_file = "%s/cert.pem"\n%s' % (self.certs, verify)) as a:
            self.submit(a, ["bob@remote.test"], 13)
            text = wait_for("the delivered mark", lambda: [
                r for r in self.rows(a, "bob@remote.test") if r[0] == "delivered"])[0][4]
            self.assertRegex(text, r"TLSv1\.3 \S+ verified")
            # The MX of alias.test is the same server: its certificate names mx.remote.test.
            self.submit(a, ["bob@alias.test"], 14)
            row = wait_for("a deferral", lambda: [r for r in self.rows(a, "bob@alias.test") if r[1] >= 1])[0]
            self.assertEqual(row[0], "pending")
            self.assertIn("hostname mismatch", row[4])
        with self.sender(relay_extra=verify) as b:  # the system's CAs do not know the MX's issuer
            self.submit(b, ["bob@remote.test"], 15)
            row = wait_for("a deferral", lambda: [r for r in self.rows(b, "bob@remote.test") if r[1] >= 1])[0]
            self.assertEqual(row[0], "pending")
            self.assertRegex(row[4], r"self.signed certificate")
        got = b"".join(mailbox(self.mx, "remote.test"))
        self.assertNotIn(b"<15@example.test>", got)

    def test_an_idle_outbound_connection_is_closed(self):
        start = len(self.mx.log_lines)
        with self.sender(relay_extra="connection_idle = 1\n") as a:
            self.submit(a, ["bob@remote.test"], 18)
            line = a.wait_log(r"relay session to mx\.remote\.test\S* closed after 1000 ms idle")
            self.assertIn("[127.0.0.1]", line)
            self.mx.wait_log(r"disconnect 127\.0\.0\.1:\d+ messages=1", start=start)

    def test_an_mx_with_an_ipv6_address_only(self):
        v6 = mx_server(self.port, "v6.test")
        v6.edit_config('listen = "127.0.0.1:%d"' % self.port, 'listen = "[::1]:%d"' % self.port)
        v6.READY = dict(v6.READY, serve=r"listening on \[?::1\]?:(\d+)")
        with v6, self.sender() as a:
            self.submit(a, ["bob@v6.test"], 12)
            got = wait_for("delivery over IPv6", lambda: mailbox(v6, "v6.test"))
            self.assertIn(b"<12@example.test>", got[0])
            host = wait_for("the delivered mark", lambda: [
                r for r in self.rows(a, "bob@v6.test") if r[0] == "delivered"])[0][5]
            self.assertIn("mx.v6.test[::1]", host)

    def test_dsn_goes_on_to_a_next_hop_that_offers_it_and_others_get_a_relayed_notice(self):
        dsn = dict(mail_options=["RET=HDRS", "ENVID=env16"],
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;bob@remote.test"])
        peer = GreylistPeer(self.port)  # mx.grey.test: no DSN in its EHLO
        try:
            with self.sender() as a:
                with smtplib.SMTP("127.0.0.1", a.port, timeout=10) as s:
                    s.login("alice", "wonderland")
                    s.sendmail("alice@example.test", ["bob@remote.test"], MESSAGE % 16, **dsn)
                    s.sendmail("alice@example.test", ["dave@grey.test"], MESSAGE % 17,
                               mail_options=["RET=HDRS"], rcpt_options=["NOTIFY=SUCCESS"])
                wait_for("delivery at the MX", lambda: [m for m in mailbox(self.mx, "remote.test") if b"<16@" in m])
                params, notify, orcpt = self.mx.query(
                    "select m.params, r.notify, r.orcpt from messages m join recipients r "
                    "on r.message_id = m.id where m.params like '%ENVID=env16%'")[0]
                self.assertIn("RET=HDRS", params)
                self.assertEqual((notify, orcpt), ("SUCCESS,FAILURE", "rfc822;bob@remote.test"))
                wait_for("delivery on retry", lambda: peer.messages, timeout=40)
                rcpts = [c for c in peer.commands if c.upper().startswith(("RCPT", "MAIL"))]
                self.assertFalse([c for c in rcpts if "NOTIFY" in c or "RET=" in c], rcpts)
                notice = wait_for("the relayed notice", lambda: [
                    m for m in ingest_messages(a) if b"Action: relayed" in m])
                self.assertIn(b"Final-Recipient: rfc822; dave@grey.test", notice[0])
                time.sleep(1)  # a notice of its own for bob@remote.test would have come by now
                self.assertFalse([m for m in ingest_messages(a)
                                  if b"Final-Recipient: rfc822; bob@remote.test" in m])
        finally:
            peer.close()

    def test_trusted_networks_relay_without_auth_and_nobody_else_does(self):
        before = len(mailbox(self.mx, "remote.test"))
        with self.sender(relay_extra='trusted_networks = ["127.0.0.9/32"]\n', mode="mx") as a:
            with smtplib.SMTP("127.0.0.1", a.port, timeout=10, source_address=("127.0.0.9", 0)) as s:
                s.sendmail("app@example.test", ["bob@remote.test"], MESSAGE % 8)
            got = wait_for("delivery at the MX", lambda: mailbox(self.mx, "remote.test")[before:])
            self.assertIn(b"<8@example.test>", got[0])
            self.assertIn(b"DKIM-Signature:", got[0])
            stored = a.stored_count()
            with smtplib.SMTP("127.0.0.1", a.port, timeout=10, source_address=("127.0.0.10", 0)) as s:
                s.ehlo("app.example")
                s.mail("app@example.test")
                self.assertEqual(s.rcpt("bob@remote.test"), (550, b"5.7.1 Relay access denied"))
            self.assertEqual(a.stored_count(), stored)
            a.edit_config('trusted_networks = ["127.0.0.9/32"]', 'trusted_networks = ["127.0.0.9/40"]')
            check = a.check_config()
            self.assertNotEqual(check.returncode, 0)
            self.assertIn('"127.0.0.9/40": the prefix length must be 0 to 32', check.stderr)

    def test_check_config_opens_the_dkim_keys_and_the_dns_server_as_serve_would(self):
        keys = os.path.join(self.tmp, "badkeys")
        os.makedirs(keys, exist_ok=True)
        with open(os.path.join(keys, "example.test.s2.key"), "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        srv = self.sender()
        self.assertEqual(srv.check_config().returncode, 0, srv.check_config().stderr)
        srv.edit_config('key_dir = "%s"' % self.keys, 'key_dir = "%s"' % keys)
        check = srv.check_config()
        self.assertEqual(check.returncode, 1)
        self.assertIn("example.test.s2.key: not an RSA or Ed25519 private key in PEM", check.stderr)
        srv.edit_config('key_dir = "%s"' % keys, 'key_dir = "%s"' % self.keys)
        srv.edit_config('dns_server = "%s"' % self.dns.server, 'dns_server = "dns.example"')
        check = srv.check_config()
        self.assertEqual(check.returncode, 1)
        self.assertIn('DNS server "dns.example": syntax error (expected an IP address or IP@PORT)', check.stderr)
        self.assertEqual(srv.stored_count(), 0)

    def test_sigkill_while_relaying_loses_nothing(self):
        n = 30
        before = len(mailbox(self.mx, "remote.test"))
        a = self.sender()
        a.start()
        for i in range(n):
            self.submit(a, ["bob@remote.test"], 1000 + i)
        time.sleep(0.3)
        a.kill()
        a.start()
        try:
            wait_for("every message at the MX", lambda: len(mailbox(self.mx, "remote.test")) - before >= n, timeout=60)
            got = b"".join(mailbox(self.mx, "remote.test")[before:])
            for i in range(n):
                self.assertIn(b"<%d@example.test>" % (1000 + i), got)
        finally:
            a.stop()


if __name__ == "__main__":
    main()
