"""PROXY protocol behind a real HAProxy (send-proxy-v2 and send-proxy) on loopback: the client
HAProxy names is the session's peer for per-address limits, Received: and the envelope; a
connection from an untrusted address, a malformed or truncated header or none in time is closed
without a greeting, logged, and nothing is stored."""

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import ssl
import time
import unittest
import urllib.request

from harness import BIN, Client, Server, free_port, main, queue_id, received_header_len, wait_listening

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
SMTP_SOURCE = "/usr/sbin/smtp-source"
V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
OPEN = []  # every Conn's socket, closed after each test


def proxy_lines(trusted='["127.0.0.1"]', timeout=5):
    return ('proxy_protocol = true\nproxy_trusted_networks = %s\nproxy_header_timeout = %d\n'
            % (trusted, timeout))


def v2_header(client, client_port, server="127.0.0.1", server_port=25):
    addresses = socket.inet_aton(client) + socket.inet_aton(server) + struct.pack("!HH", client_port, server_port)
    return V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", len(addresses)) + addresses


class Conn(Client):
    """A raw client from a chosen loopback address, closed after each test."""

    def __init__(self, port, source="127.0.0.1", timeout=10):
        super().__init__(port, timeout, source)
        OPEN.append(self.sock)

    def closed_silently(self):
        """The server closed the connection without writing a byte."""
        data = self.buf + self.sock.recv(4096)
        return data == b""

    def send_message(self, rcpt="x@example.test"):
        for command in ("EHLO client.example", "MAIL FROM:<a@b.example>", "RCPT TO:<%s>" % rcpt, "DATA"):
            self.cmd(command)
        return self.cmd("Subject: through the balancer\r\n\r\nhello\r\n.")


class HAProxy:
    """HAProxy in the foreground on loopback: one frontend per send-proxy option; with a
    certificate, the "tls" frontend terminates TLS and sends the SSL TLVs (send-proxy-v2-ssl)."""

    def __init__(self, backend_port, modes=("send-proxy-v2", "send-proxy"), tls_pem=None):
        self.dir = tempfile.mkdtemp(prefix="mailactor-haproxy-")
        self.ports = {mode: free_port() for mode in modes}
        lines = ["global", "  maxconn 2000", "defaults", "  mode tcp", "  timeout connect 5s",
                 "  timeout client 60s", "  timeout server 60s"]
        for i, (mode, port) in enumerate(self.ports.items()):
            lines += ["frontend f%d" % i, "  bind 127.0.0.1:%d" % port, "  default_backend b%d" % i,
                      "backend b%d" % i, "  server mailactor 127.0.0.1:%d %s" % (backend_port, mode)]
        if tls_pem:
            self.ports["tls"] = free_port()
            lines += ["frontend ftls", "  bind 127.0.0.1:%d ssl crt %s" % (self.ports["tls"], tls_pem),
                      "  default_backend btls", "backend btls",
                      "  server mailactor 127.0.0.1:%d send-proxy-v2 proxy-v2-options ssl,ssl-cipher"
                      % backend_port]
        self.config = os.path.join(self.dir, "haproxy.cfg")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        check = subprocess.run([HAPROXY, "-c", "-f", self.config], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.config], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for port in self.ports.values():
            wait_listening(port, 10, self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class ProxyProtocol(unittest.TestCase):
    def tearDown(self):
        while OPEN:
            OPEN.pop().close()

    def envelope(self, srv, qid):
        srv.wait_state(qid, "delivered")
        with open(os.path.join(srv.maildir, "envelope", qid + ".json")) as f:
            return json.load(f)

    def test_clients_through_haproxy_are_seen_by_their_own_address(self):
        with Server(tls_lines=proxy_lines(), max_sessions_per_ip=1) as srv, HAProxy(srv.port) as lb:
            for mode, source in (("send-proxy-v2", "127.0.0.5"), ("send-proxy", "127.0.0.6")):
                with self.subTest(mode=mode):
                    start = len(srv.log_lines)
                    a = Conn(lb.ports[mode], source)
                    self.assertEqual(a.line()[:4], "220 ")
                    srv.wait_log(r"proxied %s:\d+ via 127\.0\.0\.1 \(PROXY v%d\)" % (source, 2 if mode.endswith("v2") else 1),
                                 start=start)
                    # The per-address limit (1) counts the client's address, not the balancer's.
                    second = Conn(lb.ports[mode], source)
                    self.assertEqual(second.line(), "421 4.7.0 Too many connections from your address")
                    other = Conn(lb.ports[mode], source[:-1] + "9")
                    self.assertEqual(other.line()[:4], "220 ")
                    reply = a.send_message()
                    self.assertRegex(reply, r"^250 ")
                    qid = queue_id(reply)
                    stored = srv.content(qid)
                    received = stored[:received_header_len(stored)].decode()
                    self.assertIn("[%s]" % source, received)
                    self.assertNotIn("127.0.0.1", received)
                    self.assertEqual(self.envelope(srv, qid)["client"]["address"], source)
                    for c in (a, other):
                        c.cmd("QUIT")
                    srv.wait_log(r"disconnect %s" % source.replace(".", r"\."), start=start)

    def test_tls_at_the_balancer_is_recorded(self):
        """HAProxy terminates TLS and says so in the v2 SSL TLV: the log records the client's TLS."""
        with Server(tls_lines=proxy_lines()) as srv:
            subprocess.run([BIN, "tls", "selfsigned", "--out", srv.dir], check=True, capture_output=True)
            pem = os.path.join(srv.dir, "haproxy.pem")
            with open(pem, "w") as out:
                for name in ("cert.pem", "key.pem"):
                    with open(os.path.join(srv.dir, name)) as f:
                        out.write(f.read())
            with HAProxy(srv.port, (), tls_pem=pem) as lb:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                raw = socket.create_connection(("127.0.0.1", lb.ports["tls"]), timeout=10)
                OPEN.append(raw)
                with context.wrap_socket(raw) as tls:
                    self.assertTrue(tls.recv(512).startswith(b"220 "))
                    line = srv.wait_log(r"proxied 127\.0\.0\.1:\d+ via 127\.0\.0\.1 \(PROXY v2, client TLS .*\)")
                    self.assertIn(tls.version(), line)
                    self.assertIn(tls.cipher()[0], line)

    def test_refusals_are_counted_in_metrics(self):
        port = free_port()
        with Server(tls_lines=proxy_lines(trusted='["127.0.0.2"]'),
                    metrics_lines='[metrics]\nlisten = "127.0.0.1:%d"\n' % port) as srv:
            for _ in range(3):
                self.assertTrue(Conn(srv.port).closed_silently())
            pending = Conn(srv.port, "127.0.0.2")
            pending.send(b"PROXY TCP4 ")
            deadline = time.time() + 10
            while time.time() < deadline:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
                    text = r.read().decode()
                if re.search(r"(?m)^mailactor_broker_awaiting_proxy_header 1$", text):
                    break
                time.sleep(0.2)
            self.assertRegex(text, r"(?m)^mailactor_broker_refused_proxy_total 3$")
            self.assertRegex(text, r"(?m)^mailactor_broker_awaiting_proxy_header 1$")
            self.assertRegex(text, r'(?m)^mailactor_listener_refused_total\{listener="smtp"\} 3$')

    def test_smtp_source_through_haproxy_loses_nothing(self):
        count = 10000  # W2: 50 sessions, a new connection per 4 KiB message
        with Server(tls_lines=proxy_lines(), delivery="false") as srv, HAProxy(srv.port, ("send-proxy-v2",)) as lb:
            cmd = [SMTP_SOURCE, "-4", "-s", "50", "-l", "4096", "-m", str(count), "-r", "1", "-f", "bench@b.example",
                   "-t", "x@example.test", "127.0.0.1:%d" % lb.ports["send-proxy-v2"]]
            started = time.time()
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            elapsed = time.time() - started
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(srv.stored_count(), count)
            self.assertNotIn("bad PROXY header", srv.log())
            print("smtp-source through haproxy (send-proxy-v2): %d messages in %.2f s (%.0f msgs/s)"
                  % (count, elapsed, count / elapsed))

    def test_untrusted_source_is_closed_without_greeting(self):
        with Server(tls_lines=proxy_lines(trusted='["127.0.0.2/32"]')) as srv:
            c = Conn(srv.port, "127.0.0.1")
            c.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nEHLO x\r\n")
            self.assertTrue(c.closed_silently())
            srv.wait_log(r"refused 127\.0\.0\.1 on smtp: not a trusted PROXY-protocol source")
            # From the trusted address the same header works.
            t = Conn(srv.port, "127.0.0.2")
            t.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n")
            self.assertEqual(t.line()[:4], "220 ")
            self.assertEqual(srv.stored_count(), 0)

    def test_bad_headers_are_closed_without_greeting(self):
        cases = {
            "no header": (b"EHLO client.example\r\n", r"bad PROXY header"),
            "malformed v1": (b"PROXY TCP4 192.0.2.999 127.0.0.1 40000 25\r\n", r"bad PROXY header"),
            "bad v2 version": (V2_SIGNATURE + bytes([0x31, 0x11, 0, 12]) + bytes(12), r"bad PROXY header"),
            "truncated then closed": (v2_header("192.0.2.7", 40000)[:20], r"ended before a complete PROXY header \(20 bytes\)"),
        }
        with Server(tls_lines=proxy_lines()) as srv:
            for name, (data, logged) in cases.items():
                with self.subTest(name):
                    start = len(srv.log_lines)
                    c = Conn(srv.port)
                    c.send(data)
                    if name.startswith("truncated"):
                        c.sock.shutdown(socket.SHUT_WR)
                    self.assertTrue(c.closed_silently())
                    srv.wait_log(logged, start=start)
            self.assertEqual(srv.stored_count(), 0)

    def test_awaiting_a_header_holds_a_listener_session(self):
        limits = "[listener.limits]\nmax_sessions = 1\n"
        with Server(tls_lines=proxy_lines() + limits) as srv:
            first = Conn(srv.port)
            first.send(b"PROXY TCP4 192.0.2.1 ")  # half a header: it holds the listener's one slot
            srv.wait_log(r"listener smtp: max_sessions \(1\) reached")
            second = Conn(srv.port, timeout=1)
            second.send(b"PROXY TCP4 192.0.2.2 127.0.0.1 40000 25\r\n")
            with self.assertRaises(socket.timeout):
                second.line()  # waits in the backlog: not accepted
            first.send(b"127.0.0.1 40000 25\r\n")
            self.assertEqual(first.line()[:4], "220 ")
            first.cmd("QUIT")
            second.sock.settimeout(10)
            self.assertEqual(second.line()[:4], "220 ")  # the slot freed: accepted, header read

    def test_no_header_in_time_is_closed(self):
        with Server(tls_lines=proxy_lines(timeout=1)) as srv:
            c = Conn(srv.port)
            c.send(b"PROXY TCP4 192.0.2.7")  # a start, never finished
            started = time.time()
            self.assertTrue(c.closed_silently())
            self.assertLess(time.time() - started, 3.5)
            srv.wait_log(r"no PROXY header within 1s \(20 bytes\)")

    def test_header_in_single_bytes_and_data_behind_it(self):
        with Server(tls_lines=proxy_lines()) as srv:
            c = Conn(srv.port)
            for b in v2_header("192.0.2.44", 41000):
                c.send(bytes([b]))
                time.sleep(0.002)
            self.assertEqual(c.line()[:4], "220 ")
            self.assertRegex(c.send_message(), r"^250 ")
            # The header and the client's first command in one segment: the command is not lost.
            d = Conn(srv.port)
            d.send(b"PROXY TCP6 2001:db8::7 ::1 40001 25\r\nEHLO early.example\r\n")
            self.assertEqual(d.line()[:4], "220 ")
            self.assertEqual(d.line()[:4], "250 ")
            qid = queue_id(d.send_message())
            self.assertEqual(self.envelope(srv, qid)["client"]["address"], "2001:db8::7")

    def test_config_mistakes_name_the_key(self):
        for lines, message in (
            ("proxy_protocol = true\n", "proxy_protocol: needs proxy_trusted_networks"),
            ('proxy_trusted_networks = ["10.0.0.0/8"]\n', "proxy_trusted_networks: needs proxy_protocol = true"),
            ('proxy_protocol = true\nproxy_trusted_networks = ["10.0.0.0/33"]\n', "listener.proxy_trusted_networks"),
        ):
            with self.subTest(lines):
                r = Server(tls_lines=lines).check_config()
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn(message, r.stderr)


if __name__ == "__main__":
    main()
