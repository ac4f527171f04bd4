"""Starts the real mailactor binary on a loopback port with a temporary spool and Maildir, and
gives the tests what they need to look at: the queue (sqlite3), the Maildir and the log."""

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

BIN = os.environ.get("MAILACTOR_BIN", os.path.join(os.path.dirname(__file__), "../../build/app/mailactor"))

BASE_CONFIG = """
[server]
hostname = "mx.example.test"
local_domains = ["example.test", "localhost"]
threads = 2
io_threads = {io_threads}
log_level = "{log_level}"

[[listener]]
name = "smtp"
listen = "127.0.0.1:0"
mode = "{mode}"
allow_plaintext_auth = {allow_plaintext_auth}
sender_login_match = {sender_login_match}
{tls_lines}

[auth]
backend = "{auth_backend}"
tarpit_ms = {tarpit_ms}
max_failures = {max_auth_failures}
timeout = {auth_timeout}
{auth_options}

[limits]
max_message_size = {max_message_size}
max_recipients = {max_recipients}
max_sessions = {max_sessions}
max_sessions_per_ip = {max_sessions_per_ip}
max_connection_rate_per_ip = {max_connection_rate_per_ip}
max_message_rate_per_ip = {max_message_rate_per_ip}
max_errors = {max_errors}
command_timeout = {command_timeout}
data_timeout = {data_timeout}
shutdown_grace = {shutdown_grace}
bare_newline = "{bare_newline}"

{metrics_lines}
{routing_lines}
[spool]
directory = "{spool}"
durability = "{durability}"
queue_files = {queue_files}
{spool_lines}

[delivery]
enabled = {delivery}
maildir = "{maildir}"
keep_content = {keep_content}
{delivery_lines}
{node_lines}
"""

# Two I/O threads and two queue files unless the environment says otherwise: every test then also
# checks that the session limits, stats, drain and reload hold across the brokers of several I/O
# threads, and that storing, delivery, bounces, crash recovery and the CLI hold across the writers
# and deliverers of several queue files (its second message goes to the second file).
DEFAULTS = dict(io_threads=int(os.environ.get("MAILACTOR_TEST_IO_THREADS", "2")),
                queue_files=int(os.environ.get("MAILACTOR_TEST_QUEUE_FILES", "2")), tls_lines="", metrics_lines="", spool_lines="", node_lines="", routing_lines="", delivery_lines="", max_sessions_per_ip=1000, max_connection_rate_per_ip=0, max_message_rate_per_ip=0, mode="mx", allow_plaintext_auth="false", sender_login_match="false", auth_backend="none",
                tarpit_ms=0, max_auth_failures=3, auth_timeout=5, auth_options="", max_message_size=1048576, max_recipients=100, max_sessions=1000, max_errors=20,
                command_timeout=300, data_timeout=180, shutdown_grace=10, bare_newline="normalize",
                durability="fsync", log_level="info", delivery="true", keep_content="true")


def sanitized():
    """True when BIN was built with ASan or TSan: their allocators keep freed memory in quarantine,
    so RSS then says nothing about the server's own memory."""
    out = subprocess.run(["ldd", BIN], capture_output=True, text=True).stdout
    return "libasan" in out or "libtsan" in out


def free_port():
    """A loopback port nobody listens on now (for configs that need one up front)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One mailactor process. Use as a context manager; stop() checks a clean exit."""

    # What the log says once the process serves: SMTP for `serve`, the published spooler for
    # `spoold`; its group is the bound port.
    READY = {"serve": r"listening on 127\.0\.0\.1:(\d+)", "spoold": r"spooler on 127\.0\.0\.1:(\d+)"}

    def __init__(self, workdir=None, command="serve", binary=None, **settings):
        self.command = command
        self.binary = binary or BIN  # another build of mailactor (e.g. with a plug-in)
        self.own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="mailactor-e2e-")
        self.spool = os.path.join(self.dir, "spool")
        self.maildir = os.path.join(self.dir, "mail")
        self.settings = dict(DEFAULTS)
        self.settings.update(settings)
        self.config = os.path.join(self.dir, "mailactor.toml")
        self.write_config()
        self.proc = None
        self.port = None
        self.log_lines = []
        self._log_cond = threading.Condition()

    def edit_config(self, old, new):
        """Replaces the first `old` in the written config with `new` (for keys the template lacks)."""
        with open(self.config) as f:
            text = f.read()
        assert old in text, old
        with open(self.config, "w") as f:
            f.write(text.replace(old, new, 1))

    def write_config(self, **changes):
        self.settings.update(changes)
        with open(self.config + ".new", "w") as f:
            f.write(BASE_CONFIG.format(spool=self.spool, maildir=self.maildir, **self.settings))
        os.replace(self.config + ".new", self.config)

    def check_config(self):
        """`mailactor check-config` on this server's config: the finished process."""
        return subprocess.run([self.binary, "check-config", "--config", self.config], capture_output=True,
                              text=True, timeout=30)

    def start(self, extra_args=()):
        self.log_lines = []
        self.proc = subprocess.Popen([self.binary, self.command, "--config", self.config, *extra_args],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read_log, daemon=True).start()
        ready = self.READY[self.command]
        try:
            line = self.wait_log(ready, timeout=15)
        except AssertionError:
            self.proc.kill()  # a test that fails here must not leave a server behind
            self.proc.wait(10)
            raise
        self.port = int(re.search(ready, line).group(1))
        return self

    def _read_log(self):
        for line in self.proc.stderr:
            with self._log_cond:
                self.log_lines.append(line.rstrip("\n"))
                self._log_cond.notify_all()

    def wait_log(self, pattern, timeout=10, start=0):
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        with self._log_cond:
            while True:
                for line in self.log_lines[start:]:
                    if rx.search(line):
                        return line
                if time.time() > deadline or self.proc.poll() is not None:
                    raise AssertionError("log never matched %r (exit %s); log:\n%s" % (
                        pattern, self.proc.poll(), "\n".join(self.log_lines)))
                self._log_cond.wait(0.2)

    def log(self):
        with self._log_cond:
            return "\n".join(self.log_lines)

    def stop(self, timeout=40):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            rc = self.stop()
            if exc[0] is None and rc != 0:
                raise AssertionError("server exited with %s; log:\n%s" % (rc, self.log()))

    # -- looking at what was stored -------------------------------------------------------------

    def queue_files(self):
        """The queue files present: queue.db, then queue-1.db, queue-2.db... ([spool] queue_files)."""
        names = os.listdir(self.spool) if os.path.isdir(self.spool) else []
        files = [n for n in names if re.fullmatch(r"queue(-[1-9][0-9]*)?\.db", n)]
        return [os.path.join(self.spool, n) for n in sorted(files, key=lambda n: (len(n), n))]

    def db(self, path=None):
        """A connection to a queue file (queue.db unless `path`); closed on leaving a `with` block
        (sqlite3's own context manager only commits, and an open file keeps e.g. a test's tmpfs
        from unmounting)."""
        return contextlib.closing(sqlite3.connect(path or os.path.join(self.spool, "queue.db"), timeout=10))

    def query(self, sql, args=()):
        """The rows `sql` gives in every queue file, one file's after the other's."""
        out = []
        for path in self.queue_files():
            with self.db(path) as c:
                out += c.execute(sql, args).fetchall()
        return out

    def rows(self, where="1=1"):
        """The messages of every queue file, by id."""
        out = []
        for path in self.queue_files():
            with self.db(path) as c:
                c.row_factory = sqlite3.Row
                out += [dict(r) for r in c.execute("select * from messages where %s" % where)]
        return sorted(out, key=lambda r: r["id"])

    def content(self, qid):
        for path in self.queue_files():
            with self.db(path) as c:
                chunks = [bytes(r[0]) for r in c.execute(
                    "select data from message_chunks where message_id = ? order by seq", (qid,))]
            if chunks:
                return b"".join(chunks)
        return b""

    def delivered(self):
        new = os.path.join(self.maildir, "new")
        return sorted(os.listdir(new)) if os.path.isdir(new) else []

    def delivered_bytes(self, qid):
        with open(os.path.join(self.maildir, "new", qid), "rb") as f:
            return f.read()

    def wait_delivered(self, n, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.delivered()) >= n:
                return self.delivered()
            time.sleep(0.05)
        raise AssertionError("%d of %d delivered" % (len(self.delivered()), n))

    def wait_state(self, qid, state, timeout=10):
        deadline = time.time() + timeout
        while True:
            rows = self.rows("id = '%s'" % qid)
            if rows and rows[0]["state"] == state:
                return rows[0]
            if time.time() > deadline:
                raise AssertionError("%s is %s, not %s" % (qid, rows and rows[0]["state"], state))
            time.sleep(0.05)

    def stored_count(self):
        return len(self.rows())


class Client:
    """A raw SMTP client for exact bytes: pipelining, broken input, smuggling."""

    def __init__(self, port, timeout=10, source=None):
        """`source`: a loopback address (127.x.y.z) to connect from, for per-address tests."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """One complete (possibly multi-line) reply: (code, [lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed; got %r" % self.buf)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] == b" ":
                return int(line[:3]), lines

    def line(self):
        code, lines = self.reply()
        return lines[-1]

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def open_data(self, helo, sender, rcpt):
        """Greeting, EHLO, MAIL, RCPT and DATA: returns the reply to DATA (354 when all went well)."""
        self.reply()
        self.cmd("EHLO " + helo)
        self.cmd("MAIL FROM:<%s>" % sender)
        self.cmd("RCPT TO:<%s>" % rcpt)
        return self.cmd("DATA")

    def closed(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.sock.close()


def headless_dom(url, budget_ms=4000, *args):
    """Debian's Chromium, headless, on `url`: the finished process of --dump-dom (stdout: the DOM
    after the page's scripts ran for `budget_ms` of virtual time; stderr: its console)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="mailactor-chromium-")
    try:
        cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--user-data-dir=" + profile, "--virtual-time-budget=%d" % budget_ms,
               "--enable-logging=stderr", "--v=0", *(args or ("--dump-dom",)), url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def page_dom(url, budget_ms=4000):
    """The DOM of a page of ours after its scripts ran in headless Chromium; AssertionError when
    Chromium failed or the page's console shows a script error."""
    r = headless_dom(url, budget_ms)
    if r.returncode != 0:
        raise AssertionError("chromium exited %d: %s" % (r.returncode, r.stderr[-2000:]))
    if re.search(r"Uncaught|CONSOLE.*[Ee]rror", r.stderr):
        raise AssertionError("script error on %s: %s" % (url, r.stderr[-2000:]))
    return r.stdout


def wait_listening(port, timeout=20, proc=None):
    """Until something accepts on the loopback port; fails if `proc` (its server) exits first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError("exited with %s before listening on %d" % (proc.returncode, port))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nothing listens on %d after %s s" % (port, timeout))


def read_reply(f):
    """The last line of one (possibly multi-line) reply from a socket's binary file object."""
    while True:
        line = f.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return line.decode(errors="replace").rstrip()


def in_threads(target, args_list, timeout=120):
    """Runs target(*args) for each args of args_list on a thread of its own (concurrent clients)
    and waits for all of them, each at most `timeout` seconds."""
    threads = [threading.Thread(target=target, args=args) for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def run_bin(*args, **kw):
    """`mailactor ARGS...` to its end: the finished process, its output as text."""
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, **kw)


EDGE_NODE = '[node]\nca = "ca.pem"\ncert = "c.pem"\nkey = "k.pem"\n'


def check_edge_config(spool_and_server):
    """`mailactor check-config` on an edge's config ([spool] remote) with these lines besides:
    the finished process."""
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "edge.toml")
        with open(cfg, "w") as f:
            f.write(spool_and_server + EDGE_NODE)
        return run_bin("check-config", "--config", cfg)


def send_all(port, messages, sessions):
    """`messages` messages over `sessions` concurrent clients, a new connection for each; the
    reply codes to the end of DATA (or a client's socket error) in the order they came."""
    codes = []
    lock = threading.Lock()

    def client(n):
        for _ in range(n):
            try:
                c = Client(port)
                c.reply()
                c.cmd("HELO c.example")
                c.cmd("MAIL FROM:<a@b.example>")
                c.cmd("RCPT TO:<x@example.test>")
                c.cmd("DATA")
                code = c.cmd("Subject: spread\r\n\r\nbody\r\n.")[:3]
                c.cmd("QUIT")
                c.close()
            except OSError as e:  # a timeout shows in the codes compared
                code = repr(e)
            with lock:
                codes.append(code)

    in_threads(client, [(messages // sessions,)] * sessions)
    return codes


def metrics_lines(port, extra=""):
    return '[metrics]\nlisten = "127.0.0.1:%d"\n%s' % (port, extra)


def get(port, path, headers=None, method="GET"):
    """(status, body) of one request to the metrics listener on `port`."""
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def scrape(port):
    """The Prometheus text of /metrics."""
    status, text = get(port, "/metrics")
    assert status == 200, (status, text)
    return text


def plain(user, password):
    """An AUTH PLAIN initial response."""
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def actor_stats(port, name, until, timeout=15):
    """The actor `name` in /stats.json on the metrics port, once until(it) holds (or at the
    timeout: the caller's assertions then say what is wrong)."""
    deadline = time.time() + timeout
    while True:
        with urllib.request.urlopen("http://127.0.0.1:%d/stats.json" % port, timeout=10) as r:
            doc = json.loads(r.read())
        actor = next((a for a in doc["actors"] if a["name"] == name), None)
        if (actor and until(actor)) or time.time() > deadline:
            return actor
        time.sleep(0.3)


def queue_id(reply_line):
    m = re.search(r"queued as ([0-9A-F]+)", reply_line)
    assert m, reply_line
    return m.group(1)


def received_header_len(stored):
    """Length of our Received: header (it ends at the first line not starting with a tab)."""
    lines = stored.split(b"\r\n")
    n = len(lines[0]) + 2
    for l in lines[1:]:
        if not l.startswith(b"\t"):
            break
        n += len(l) + 2
    return n


def main():
    import warnings
    warnings.simplefilter("ignore", ResourceWarning)
    unittest.main(verbosity=2)
