"""Several I/O threads ([server] io_threads): one broker per thread, all accepting from the same
listening socket. The session limits count the connections of every broker exactly (per address,
server-wide with clients left waiting, not refused); load spreads over the brokers and loses
nothing; the stats show them as one broker; drain lets the sessions of every broker finish; an
edge refuses more than one I/O thread."""

import os
import socket
import time
import unittest

from harness import Client, Server, actor_stats, check_edge_config, free_port, main, metrics_lines, send_all

IO_THREADS = 3


class IoThreads(unittest.TestCase):
    def in_transaction(self, port, n, rcpt=False):
        """n clients, each greeted and past MAIL (and RCPT): sessions that a drain lets finish
        and that are never ended to make room."""
        clients = [Client(port) for _ in range(n)]
        for c in clients:
            self.assertEqual(c.reply()[0], 220)
            self.assertEqual(c.cmd("HELO c.example")[:3], "250")
            self.assertEqual(c.cmd("MAIL FROM:<a@b.example>"), "250 2.1.0 Ok")
            if rcpt:
                self.assertEqual(c.cmd("RCPT TO:<x@example.test>")[:3], "250")
        return clients

    def test_per_address_limit_across_brokers(self):
        with Server(io_threads=IO_THREADS, max_sessions_per_ip=2) as srv:
            clients = [Client(srv.port) for _ in range(12)]
            replies = sorted(c.reply()[0] for c in clients)
            self.assertEqual(replies, [220, 220] + [421] * 10)
            for c in clients:
                c.close()
            self.assertEqual(srv.stored_count(), 0)

    def test_full_server_leaves_clients_waiting_then_greets_them(self):
        with Server(io_threads=IO_THREADS, max_sessions=4) as srv:
            held = self.in_transaction(srv.port, 4)
            waiting = [Client(srv.port, timeout=2.5) for _ in range(3)]
            for c in waiting:
                with self.assertRaises(socket.timeout):
                    c.reply()  # no greeting while four sessions run, whichever broker took it
            held[0].cmd("QUIT")
            held[1].cmd("QUIT")
            for c in waiting:
                c.sock.settimeout(0.5)
            greeted = 0
            deadline = time.time() + 5
            while greeted < 2 and time.time() < deadline:
                for c in waiting:
                    try:
                        greeted += c.reply()[0] == 220
                    except socket.timeout:
                        pass
            self.assertEqual(greeted, 2, "two slots freed: two waiting clients greeted, not three")
            for c in held[2:]:
                c.cmd("QUIT")
            self.assertEqual(srv.stored_count(), 0)

    def test_load_spreads_and_loses_nothing(self):
        port = free_port()
        with Server(io_threads=IO_THREADS, metrics_lines=metrics_lines(port)) as srv:
            srv.wait_log(r"ready: .* %d I/O" % IO_THREADS)
            codes = send_all(srv.port, 300, 15)
            self.assertEqual(codes, ["250"] * 300)
            srv.wait_delivered(300, timeout=60)
            self.assertEqual(srv.stored_count(), 300)
            broker = actor_stats(port, "broker", lambda b: b["counters"]["accepted"] == 300)
            self.assertEqual(broker["instances"], IO_THREADS, "one broker per I/O thread, shown as one")
            self.assertEqual(broker["counters"]["accepted"], 300)
            # Each I/O thread is a thread of its own, waiting in epoll when idle (one may be busy
            # with a beat when looked at: samples over a second).
            polling = set()
            deadline = time.time() + 3
            while len(polling) < IO_THREADS and time.time() < deadline:
                for t in os.listdir("/proc/%d/task" % srv.proc.pid):
                    with open("/proc/%d/task/%s/wchan" % (srv.proc.pid, t)) as f:
                        if "epoll" in f.read():
                            polling.add(t)
                time.sleep(0.05)
            self.assertGreaterEqual(len(polling), IO_THREADS)

    def test_drain_lets_every_brokers_sessions_finish(self):
        with Server(io_threads=IO_THREADS, shutdown_grace=20) as srv:
            clients = self.in_transaction(srv.port, 9, rcpt=True)
            srv.proc.send_signal(15)
            srv.wait_log("shutting down")
            for c in clients:
                self.assertEqual(c.cmd("DATA")[:3], "354")
                self.assertEqual(c.cmd("Subject: late\r\n\r\nbody\r\n.")[:3], "250")
                c.cmd("QUIT")
            self.assertEqual(srv.proc.wait(30), 0)
            self.assertEqual(srv.stored_count(), 9)

    def test_an_edge_has_one_io_thread(self):
        r = check_edge_config('[server]\nio_threads = 2\n[spool]\nremote = ["127.0.0.1:7000"]\n')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("server.io_threads: an edge ([spool] remote) has one I/O thread", r.stderr)


if __name__ == "__main__":
    main()
