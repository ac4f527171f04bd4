"""A real DNS server for the tests: Debian's unbound, started privately on a loopback port,
authoritative for the zone "test." from the records the test gives (MX, A, AAAA, TXT, null MX);
every other name under test. is NXDOMAIN, and nothing is asked of the outside world."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

UNBOUND = "/usr/sbin/unbound"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STARTS = 5  # unbound binds UDP and TCP: a port free for UDP may be another connection's TCP port


class DnsServer:
    """Use as a context manager; `server` is what [relay] dns_server takes ("127.0.0.1@PORT")."""

    def __init__(self, records):
        self.records = list(records)  # e.g. 'remote.test. MX 10 mx.remote.test.'
        self.dir = tempfile.mkdtemp(prefix="mailactor-dns-")
        self.port = self.server = None
        self.proc = None

    def config(self):
        data = "\n".join("  local-data: '%s'" % r for r in self.records)  # TXT strings keep their quotes
        return """server:
  interface: 127.0.0.1
  port: %d
  do-ip6: no
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "%s"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 1
  module-config: "iterator"
  access-control: 127.0.0.0/8 allow
  local-zone: "test." static
%s
remote-control:
  control-enable: no
""" % (self.port, self.dir, data)

    def start(self):
        for attempt in range(STARTS):
            self.port = free_udp_port()
            self.server = "127.0.0.1@%d" % self.port
            if self._start_on_port():
                return self
        raise AssertionError("unbound found no free port in %d tries: %s" % (STARTS, self._log()))

    def _start_on_port(self):
        """True once it answers; False when the port was taken (then another is tried)."""
        path = os.path.join(self.dir, "unbound.conf")
        with open(path, "w") as f:
            f.write(self.config())
        subprocess.run(["/usr/sbin/unbound-checkconf", path], check=True, capture_output=True, timeout=30)
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", path], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "unbound.log"), "w"))
        deadline = time.time() + 10
        while not self._answers():
            if self.proc.poll() is not None and "Address already in use" in self._log():
                self.proc = None
                return False
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("unbound did not start: " + self._log())
            time.sleep(0.05)
        return True

    def _log(self):
        with open(os.path.join(self.dir, "unbound.log")) as f:
            return f.read()

    def _answers(self):
        """A query for test. SOA gets an answer (the server is up)."""
        q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04test\x00\x00\x06\x00\x01"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(q, ("127.0.0.1", self.port))
                return s.recv(512)[:2] == b"\x12\x34"
            except OSError:
                return False

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
