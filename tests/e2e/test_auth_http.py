"""The `http` auth backend end to end: a real Python service (examples/http-auth/auth_service.py)
decides the logins; a service that fails, hangs or is gone gives 454 4.7.0 and never 535; hung
checks hold no scheduler thread; a plain-http URL off loopback is refused at start."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BIN, Client, Server, main, plain


SERVICE = os.path.join(os.path.dirname(__file__), "../../examples/http-auth/auth_service.py")


def http_auth(url, timeout_ms=1000):
    return dict(mode="submission", allow_plaintext_auth="true", auth_backend="http",
                auth_options='[auth.http]\nurl = "%s"\ntimeout_ms = %d\nworkers = 2\n' % (url, timeout_ms))


class Misbehaving:
    """A service in the test process that answers every check with `status` after `delay` s, and
    records what it was sent."""

    def __init__(self, status=500, delay=0.0):
        self.status, self.delay, self.requests = status, delay, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                outer.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                time.sleep(outer.delay)
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/auth" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def auth_reply(port, user, password):
    c = Client(port, timeout=15)
    c.reply()
    c.cmd("EHLO c.example")
    reply = c.cmd("AUTH PLAIN " + plain(user, password))
    c.close()
    return reply


class HttpAuth(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mailactor-http-auth-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_service(self, users):
        path = os.path.join(self.tmp, "users.json")
        hashed = {}
        for user, password in users.items():
            hashed[user] = subprocess.run([sys.executable, SERVICE, "hash"], input=password + "\n",
                                          capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        with open(path, "w") as f:
            json.dump(hashed, f)
        proc = subprocess.Popen([sys.executable, SERVICE, "serve", "--users", path, "--listen", "127.0.0.1:0"],
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (proc.kill(), proc.wait(10)))
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", proc.stderr.readline()).group(1))
        return proc, "http://127.0.0.1:%d/auth" % port

    def test_the_python_service_decides(self):
        proc, url = self.start_service({"dana": "from-the-service"})
        with Server(**http_auth(url)) as srv:
            self.assertEqual(auth_reply(srv.port, "dana", "from-the-service"), "235 2.7.0 Authentication successful")
            self.assertEqual(auth_reply(srv.port, "dana", "wrong"), "535 5.7.8 Authentication credentials invalid")
            self.assertEqual(auth_reply(srv.port, "nobody", "x"), "535 5.7.8 Authentication credentials invalid")
            proc.kill()
            proc.wait(10)
            self.assertEqual(auth_reply(srv.port, "dana", "from-the-service"),
                             "454 4.7.0 Temporary authentication failure", "service gone")
            self.assertNotIn("from-the-service", srv.log(), "a password reached the log")
            self.assertIn("auth: http service " + url, srv.log())

    def test_errors_and_timeouts_are_temporary(self):
        bad = Misbehaving(status=500)
        self.addCleanup(bad.close)
        with Server(**http_auth(bad.url)) as srv:
            self.assertEqual(auth_reply(srv.port, "dana", "pw"), "454 4.7.0 Temporary authentication failure")
            request = bad.requests[-1]
            self.assertEqual((request["user"], request["password"], request["mechanism"], request["client"],
                              request["listener"], request["tls"]), ("dana", "pw", "PLAIN", "127.0.0.1", "smtp", False))
            bad.delay = 3.0  # beyond timeout_ms = 1000
            t0 = time.monotonic()
            self.assertEqual(auth_reply(srv.port, "dana", "pw"), "454 4.7.0 Temporary authentication failure")
            self.assertLess(time.monotonic() - t0, 2.5, "timeout_ms bounds the wait")
            srv.wait_log(r"Timeout was reached")  # the log is read on another thread: wait for it

    def test_hung_checks_hold_no_scheduler_thread(self):
        hung = Misbehaving(status=200, delay=1.5)
        self.addCleanup(hung.close)
        # Both workers and then some wait on the service; the server has two scheduler threads.
        with Server(**http_auth(hung.url, timeout_ms=5000)) as srv:
            results = []
            threads = [threading.Thread(target=lambda: results.append(auth_reply(srv.port, "u", "p")))
                       for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(0.3)
            t0 = time.monotonic()
            c = Client(srv.port)
            c.reply()
            self.assertTrue(c.cmd("EHLO other.example").startswith("250"))
            self.assertEqual(c.cmd("MAIL FROM:<a@example.org>"), "530 5.7.0 Authentication required")
            elapsed = time.monotonic() - t0
            c.close()
            for t in threads:
                t.join(30)
            self.assertLess(elapsed, 0.5, "another session waited for the hung checks")
            self.assertEqual(results, ["235 2.7.0 Authentication successful"] * 4)

    def test_plain_http_off_loopback_is_refused(self):
        srv = Server(**http_auth("http://192.0.2.1:8080/auth"))
        self.addCleanup(shutil.rmtree, srv.dir, True)
        r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"mailactor\.toml:\d+: auth\.http\.url: plain http would send passwords across "
                                   r"the network to 192\.0\.2\.1: use https, a loopback address or unix_socket")
        srv = Server(**http_auth("ftp://127.0.0.1/auth"))
        r = subprocess.run([BIN, "serve", "--config", srv.config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("auth.http.url: must be http:// or https://", r.stderr)
        self.addCleanup(shutil.rmtree, srv.dir, True)


if __name__ == "__main__":
    main()
