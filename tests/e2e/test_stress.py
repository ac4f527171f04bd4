"""Connection exhaustion: 1,050 idle connections from 21 addresses (50 each, inside the per-address
limit) fill the session table; real clients from other addresses must still be greeted within
15 s and deliver their message, while the attackers reconnect in a loop for ATTACK_SECONDS
(default 60). A client in the middle of DATA is never evicted."""

import os
import resource
import selectors
import socket
import statistics
import threading
import time
import unittest

from harness import Server, main, read_reply

ATTACK_SECONDS = float(os.environ.get("ATTACK_SECONDS", "60"))
ATTACKERS, PER_ATTACKER = 21, 50
GREETING_LIMIT = 15.0


def raise_fd_limit(n=8192):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, n), hard), hard))


def attacker_address(a):
    return "127.2.%d.1" % (a + 1)


def idle_connection(address, port):
    s = socket.socket()
    s.setblocking(False)
    s.bind((address, 0))
    s.connect_ex(("127.0.0.1", port))
    return s


class Attack:
    """Idle connections that say nothing; whichever the server ends is opened again at once."""

    def __init__(self, port):
        self.port = port
        self.sel = selectors.DefaultSelector()
        self.reconnects = 0
        self.evicted = 0
        self.stop = threading.Event()
        for a in range(ATTACKERS):
            for _ in range(PER_ATTACKER):
                self.open(attacker_address(a))

    def open(self, address):
        self.sel.register(idle_connection(address, self.port), selectors.EVENT_READ, address)

    def run(self):
        while not self.stop.is_set():
            for key, _ in self.sel.select(0.2):
                sock, address = key.fileobj, key.data
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if data and not data.startswith(b"421"):
                    continue  # a greeting: stay and say nothing
                self.evicted += data.startswith(b"421")
                self.sel.unregister(sock)
                sock.close()
                self.open(address)
                self.reconnects += 1

    def close(self):
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()


def real_client(port, address, n):
    """Greeting latency (s) and the final reply of one message from `address`."""
    t0 = time.time()
    s = socket.create_connection(("127.0.0.1", port), timeout=GREETING_LIMIT, source_address=(address, 0))
    f = s.makefile("rb")

    def reply():
        return read_reply(f)

    try:
        try:
            greeting = reply()
        except socket.timeout:
            raise AssertionError("no greeting within %.0f s" % GREETING_LIMIT)
        latency = time.time() - t0
        assert greeting.startswith("220 "), greeting
        for cmd in ("EHLO real%d.example" % n, "MAIL FROM:<real%d@b.example>" % n, "RCPT TO:<x@example.test>", "DATA"):
            s.sendall((cmd + "\r\n").encode())
            reply()
        s.sendall(b"Subject: real client\r\n\r\nhello\r\n.\r\nQUIT\r\n")
        return latency, reply()
    finally:
        f.close()
        s.close()


class ConnectionExhaustion(unittest.TestCase):
    def test_real_clients_are_served_while_idle_connections_fill_every_slot(self):
        raise_fd_limit()
        with Server(max_sessions=1000, max_sessions_per_ip=50) as srv:
            attack = Attack(srv.port)
            srv.wait_log(r"max_sessions \(1000\) reached", timeout=30)
            runner = threading.Thread(target=attack.run, daemon=True)
            runner.start()
            # A client already in DATA when the table fills: trickles its content through the attack.
            mid = socket.create_connection(("127.0.0.1", srv.port), timeout=30, source_address=("127.4.0.1", 0))
            # (connected after the attack began: it waited for its slot like any real client)
            mf = mid.makefile("rb")
            self.assertTrue(mf.readline().startswith(b"220 "))
            for cmd in (b"HELO mid.example\r\n", b"MAIL FROM:<mid@b.example>\r\n", b"RCPT TO:<x@example.test>\r\n", b"DATA\r\n"):
                mid.sendall(cmd)
                mf.readline()
            results, errors, n = [], [], 0
            deadline = time.time() + ATTACK_SECONDS
            next_trickle = time.time()
            while time.time() < deadline:
                n += 1
                address = "127.3.%d.%d" % (n // 250, n % 250 + 1)
                try:
                    results.append(real_client(srv.port, address, n))
                except Exception as e:  # reported below with the count
                    errors.append("client %d (%s): %r" % (n, address, e))
                if time.time() >= next_trickle:
                    mid.sendall(b"a line of the slow message\r\n")
                    next_trickle = time.time() + 2
                time.sleep(0.3)
            mid.sendall(b".\r\n")
            mid_reply = mf.readline().decode().rstrip()
            mid.close()
            attack.stop.set()
            runner.join(10)
            attack.close()
            latencies = sorted(r[0] for r in results)
            served = sum(1 for lat, r in results if lat <= GREETING_LIMIT and r.startswith("250 2.0.0"))
            p50 = statistics.median(latencies) if latencies else float("nan")
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
            print("%d real clients in %.0f s: %d served (%.0f%%), greeting p50 %.3f s p99 %.3f s; "
                  "attackers evicted %d times, reconnected %d times; errors %s"
                  % (n, ATTACK_SECONDS, served, 100.0 * served / n, p50, p99, attack.evicted,
                     attack.reconnects, errors[:3]))
            self.assertEqual(errors, [], "\n".join(
                l for l in srv.log_lines if "accepting" in l or "max_sessions" in l or "stress" in l)[-3000:])
            self.assertEqual(served, n, "every real client greeted within 15 s and its message queued")
            self.assertTrue(mid_reply.startswith("250 2.0.0"), "the client in DATA was not evicted: " + mid_reply)
            self.assertGreater(attack.evicted, 0)
            self.assertIn("stress:", srv.log())
            self.assertEqual(len(srv.rows("state <> 'receiving'")), n + 1)


if __name__ == "__main__":
    main()
