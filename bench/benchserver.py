"""Starting mailactor for a benchmark: a scratch folder, a free loopback port, a config with the
given [limits]/[spool] lines (local domain example.test, delivery off unless asked), and the
process. Use as a context manager; the folder is removed afterwards."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARY = os.path.join(HERE, "../build-release/app/mailactor")


class BenchServer:
    def __init__(self, binary=DEFAULT_BINARY, limits="", spool="", delivery=False, prefix="mailactor-bench-",
                 server=""):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.config = os.path.join(self.dir, "mailactor.toml")
        with open(self.config, "w") as f:
            f.write('[server]\nlocal_domains = ["example.test"]\nlog_level = "warn"\n%s\n'
                    '[[listener]]\nlisten = "127.0.0.1:%d"\n[limits]\n%s\n'
                    '[spool]\ndirectory = "%s/spool"\n%s\n[delivery]\nenabled = %s\nmaildir = "%s/mail"\n'
                    % (server, self.port, limits, self.dir, spool, "true" if delivery else "false", self.dir))
        self.binary = binary
        self.proc = None

    @property
    def spool(self):
        return os.path.join(self.dir, "spool")

    def __enter__(self):
        self.proc = subprocess.Popen([self.binary, "serve", "--config", self.config], stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mailactor did not start")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
