"""Scale-out: SMTP edges (`serve` with [spool] remote) spooling into spool nodes (`spoold`) over
CAF remote actors with mutual TLS. Two edges and two spool nodes under continuous load, one spool
node killed with SIGKILL mid-run and restarted: every acknowledged message is stored exactly once
across the spool nodes, affected transactions get 451 4.3.0, the edges recover by themselves.
An edge whose certificate is not signed by the node CA gets nowhere."""

import json
import os
import re
import shutil
import signal
import smtplib
import ssl
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from harness import BIN, Server, free_port, main, page_dom

MESSAGE = "From: a@example.org\r\nTo: u@example.test\r\nSubject: cluster\r\nX-Test-Id: {id}\r\n\r\nbody {id}\r\n"


def node_certs(directory, *names):
    subprocess.run([BIN, "tls", "node-certs", "--out", directory, *names], check=True,
                   stdout=subprocess.DEVNULL)


def node_lines(certs, name, listen=None, node_id=None):
    lines = ["[node]", 'ca = "%s/ca.pem"' % certs, 'cert = "%s/%s.pem"' % (certs, name),
             'key = "%s/%s.key"' % (certs, name)]
    if listen:
        lines.append('listen = "%s"' % listen)
    if node_id:
        lines.append("id = %d" % node_id)
    return "\n".join(lines)


def spool_node(certs, name, node_id, port=0, **settings):
    return Server(command="spoold", node_lines=node_lines(certs, name, "127.0.0.1:%d" % port, node_id),
                  **settings)


def edge(certs, name, nodes, timeout_ms=3000, **settings):
    remote = ", ".join('"127.0.0.1:%d"' % n.port for n in nodes)
    return Server(node_lines=node_lines(certs, name),
                  spool_lines="remote = [%s]\nremote_timeout_ms = %d" % (remote, timeout_ms), io_threads=1, queue_files=0,
                  **settings)


def stored_ids(node):
    """X-Test-Id of every committed message on a spool node (a list: duplicates show)."""
    ids = []
    for row in node.rows("state <> 'receiving'"):
        m = re.search(rb"X-Test-Id: (\S+)", node.content(row["id"]))
        ids.append(m.group(1).decode() if m else None)
    return ids


def send(port, test_id, timeout=20):
    """One message on a fresh connection: ('ok', qid) or (code, text) of the refusal, or ('cut', ...)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as s:
            s.ehlo("client.example")
            code, text = s.mail("a@example.org")
            if code != 250:
                return (code, text.decode())
            s.rcpt("u@example.test")
            code, text = s.data(MESSAGE.format(id=test_id))
            if code == 250:
                return ("ok", text.decode().split()[-1])
            return (code, text.decode())
    except smtplib.SMTPResponseException as e:
        return (e.smtp_code, e.smtp_error.decode())
    except (OSError, smtplib.SMTPException) as e:
        return ("cut", str(e))


def first_read(port, certs, name):
    """TLS to a spool node, with the node certificate `name` or none: 'data' or 'refused'."""
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    ctx.check_hostname = False
    if name:
        ctx.load_cert_chain(os.path.join(certs, name + ".pem"), os.path.join(certs, name + ".key"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw) as tls:
                return "data" if tls.recv(1) else "refused"
    except (ssl.SSLError, ConnectionError):
        return "refused"


def open_to_data(port, test_id):
    """A session holding a ticket, in DATA with part of the content sent."""
    s = smtplib.SMTP("127.0.0.1", port, timeout=20)
    s.ehlo("client.example")
    s.mail("a@example.org")
    s.rcpt("u@example.test")
    s.putcmd("data")
    assert s.getreply()[0] == 354
    s.send(("Subject: held\r\nX-Test-Id: %s\r\n\r\npart one\r\n" % test_id).encode())
    return s


def finish(s):
    s.send(b".\r\n")
    code, text = s.getreply()
    s.close()
    return code, text.decode()


# A spool node exits within this many seconds of SIGTERM (a supervisor waits on it; it once
# hung after its last log line).
SPOOLD_EXIT_SECONDS = 5


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mailactor-cluster-")
        self.certs = os.path.join(self.dir, "certs")
        node_certs(self.certs, "spool1", "spool2", "edge1", "edge2")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.proc and s.proc.poll() is None:
                s.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def started(self, server):
        self.servers.append(server)
        return server.start()

    def stop_cleanly(self, *servers):
        """SIGTERM each in turn: a clean exit, and a spool node's within SPOOLD_EXIT_SECONDS."""
        for s in servers:
            t0 = time.time()
            limit = SPOOLD_EXIT_SECONDS if s.command == "spoold" else 40
            try:
                rc = s.stop(timeout=limit)
            except subprocess.TimeoutExpired:
                self.fail("%s did not exit within %d s of SIGTERM; log:\n%s" % (s.command, limit, s.log()))
            self.assertEqual(rc, 0, s.log())
            if s.command == "spoold":
                # The bounded end (end_actor_system) is reported, not hidden: see the README.
                bounded = any("did not finish shutting down" in l for l in s.log_lines)
                print("spoold exited %.2f s after SIGTERM%s" % (
                    time.time() - t0, " (bounded end: CAF kept the stopped writer)" if bounded else ""))

    def test_two_edges_two_spool_nodes_survive_a_killed_spool_node(self):
        a = self.started(spool_node(self.certs, "spool1", 1, delivery="false"))
        b = self.started(spool_node(self.certs, "spool2", 2, delivery="false"))
        b_port = b.port
        e1 = self.started(edge(self.certs, "edge1", [a, b], metrics_lines="[metrics]\nlisten = \"127.0.0.1:%d\"" % free_port()))
        e2 = self.started(edge(self.certs, "edge2", [a, b]))
        # An edge without load for two held transactions: round-robin puts one on each node.
        e3 = self.started(edge(self.certs, "edge2", [a, b]))
        for e in (e1, e2, e3):
            e.wait_log(r"spool node 127\.0\.0\.1:%d linked" % a.port)
            e.wait_log(r"spool node 127\.0\.0\.1:%d linked" % b.port)

        results, lock, stop = [], threading.Lock(), threading.Event()
        counter = iter(range(1_000_000))

        def client(k):
            while not stop.is_set():
                with lock:
                    n = next(counter)
                port = (e1 if (n + k) % 2 == 0 else e2).port
                r = send(port, "m%d" % n)
                with lock:
                    results.append(("m%d" % n, r))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.5)
            held = [open_to_data(e3.port, "held0"), open_to_data(e3.port, "held1")]
            b.kill()
            t_kill = time.time()
            held_replies = [finish(s) for s in held]
            held_seconds = time.time() - t_kill
            time.sleep(2)
            stored_on_b_before = len(stored_ids(b))
            b.write_config()  # same port: the edges reconnect to it
            b.edit_config('listen = "127.0.0.1:0"\nid', 'listen = "127.0.0.1:%d"\nid' % b_port)
            b.start()
            for e in (e1, e2):
                e.wait_log(r"spool node 127\.0\.0\.1:%d takes transactions again" % b_port, timeout=20)
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join(60)

        # The held pair: the one on the killed node got 451 4.3.0 at once, the other 250.
        codes = sorted(code for code, _ in held_replies)
        self.assertEqual(codes, [250, 451], held_replies)
        self.assertIn("4.3.0", [t for c, t in held_replies if c == 451][0])
        self.assertLess(held_seconds, 2.0, "451 came only with the request timeout")

        acked = [tid for tid, r in results if r[0] == "ok"]
        acked += ["held%d" % i for i, (code, _) in enumerate(held_replies) if code == 250]
        refused = [(tid, r) for tid, r in results if r[0] != "ok"]
        self.assertGreater(len(acked), 100, results[-5:])
        # Acceptable refusals: the spool node was lost (4.3.0), or the one left shed load while it
        # took everything (4.3.2; seen under the sanitizers' slowness).
        for tid, r in refused:
            self.assertEqual(r[0], 451, (tid, r))
            self.assertRegex(r[1], r"^4\.3\.[02] ", (tid, r))

        stored_a, stored_b = stored_ids(a), stored_ids(b)
        everything = stored_a + stored_b
        print("\n%d acknowledged, %d refused (451), stored: node 1 %d, node 2 %d (%d of them "
              "after its restart), committed without 250: %d" % (
                  len(acked), len(refused), len(stored_a), len(stored_b),
                  len(stored_b) - stored_on_b_before, len(set(everything) - set(acked))))
        for tid in acked:
            self.assertEqual(everything.count(tid), 1, "%s stored %d times" % (tid, everything.count(tid)))
        self.assertEqual(len(everything), len(set(everything)), "a message stored twice")
        # Committed but not acknowledged (the node died between commit and reply) is allowed;
        # a refused message must not be stored.
        for tid, r in refused:
            if r[0] == 451 and "4.3.0" in r[1]:
                continue
            self.assertNotIn(tid, everything)
        self.assertGreater(len(stored_b), stored_on_b_before, "no message reached the restarted node")
        self.assertEqual(b.rows("state = 'receiving'"), [])

        # One scrape of the edge shows the path: link state and the nodes' commit latency.
        metrics = urllib.request.urlopen("http://%s/metrics" % e1.settings["metrics_lines"].split('"')[1],
                                         timeout=10).read().decode()
        self.assertIn('mailactor_remote_spool_up{node="127.0.0.1:%d"} 1' % a.port, metrics)
        self.assertIn('mailactor_remote_spool_up{node="127.0.0.1:%d"} 1' % b_port, metrics)
        self.assertRegex(metrics, r'mailactor_remote_spool_link_losses_total\{node="127\.0\.0\.1:%d"\} 1' % b_port)
        self.assertRegex(metrics, r'mailactor_remote_spool_commit_latency_seconds_count\{node="127\.0\.0\.1:%d"\} [1-9]' % a.port)
        # The dashboard's spool-node panels plot series an edge really has.
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
        with open(os.path.join(root, "conf/grafana/mailactor-dashboard.json")) as f:
            dashboard = json.load(f)
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                for name in re.findall(r"mailactor_remote_spool_[a-z0-9_]+", target["expr"]):
                    self.assertRegex(metrics, r"(?m)^%s[{ ]" % name, panel["title"])
        # The edge's live page draws one box per spool node, both up.
        page = page_dom("http://%s/" % e1.settings["metrics_lines"].split('"')[1])
        for port in (a.port, b_port):
            self.assertRegex(page, r'<g class="box" [^>]*data-actor="node:127\.0\.0\.1:%d"' % port)
            self.assertIn("spool node 127.0.0.1:%d" % port, page)

        self.stop_cleanly(e1, e2, e3, a, b)

    def test_edge_with_a_certificate_from_another_ca_is_refused(self):
        node = self.started(spool_node(self.certs, "spool1", 1))
        rogue_certs = os.path.join(self.dir, "rogue")
        node_certs(rogue_certs, "edge1")
        rogue = self.started(edge(rogue_certs, "edge1", [node]))
        rogue.wait_log(r"spool node 127\.0\.0\.1:%d unreachable" % node.port)
        self.assertEqual(send(rogue.port, "rogue")[:1], (451,))
        code, text = send(rogue.port, "rogue2")
        self.assertEqual((code, text[:5]), (451, "4.3.0"))
        self.assertEqual(node.stored_count(), 0)
        # Nor does a TLS client without any certificate, while one with a node certificate gets
        # the node's first protocol bytes (in TLS 1.3 the client's side of the handshake ends
        # before the node checks, so a refusal shows on the first read).
        self.assertEqual(first_read(node.port, self.certs, None), "refused")
        self.assertEqual(first_read(node.port, self.certs, "edge2"), "data")
        # The right certificate works against the same node.
        good = self.started(edge(self.certs, "edge1", [node]))
        good.wait_log(r"spool node 127\.0\.0\.1:%d linked" % node.port)
        self.assertEqual(send(good.port, "good")[0], "ok")
        self.assertEqual(stored_ids(node), ["good"])
        self.stop_cleanly(good, rogue, node)

    def test_edge_without_a_reachable_spool_node_says_451_and_recovers(self):
        port = free_port()
        e = self.started(edge(self.certs, "edge1", [type("N", (), {"port": port})()]))
        self.assertEqual(send(e.port, "early")[:2], (451, "4.3.0 Queue temporarily unavailable, try again later"))
        node = self.started(spool_node(self.certs, "spool1", 1, port=port))
        e.wait_log(r"spool node 127\.0\.0\.1:%d linked" % port, timeout=20)
        self.assertEqual(send(e.port, "late")[0], "ok")
        self.assertEqual(stored_ids(node), ["late"])
        node.wait_delivered(1)
        self.stop_cleanly(e, node)

    def test_a_hung_spool_node_times_out_with_451_and_is_skipped(self):
        a = self.started(spool_node(self.certs, "spool1", 1))
        b = self.started(spool_node(self.certs, "spool2", 2))
        e = self.started(edge(self.certs, "edge1", [a, b], timeout_ms=1000))
        e.wait_log(r"spool node 127\.0\.0\.1:%d linked" % a.port)
        e.wait_log(r"spool node 127\.0\.0\.1:%d linked" % b.port)
        b.proc.send_signal(signal.SIGSTOP)  # alive, linked, answers nothing
        try:
            results = [send(e.port, "h%d" % i) for i in range(6)]
            # MAIL on the hung node times out after 1 s and goes to the other node; later
            # transactions skip the hung one while it stays suspect.
            self.assertTrue(all(r[0] == "ok" for r in results), results)
            self.assertIn("did not answer MAIL", e.log())
        finally:
            b.proc.send_signal(signal.SIGCONT)
        # Once it answers again it gets its share again.
        time.sleep(1.2)
        self.assertTrue(all(send(e.port, "after%d" % i)[0] == "ok" for i in range(4)))
        self.assertTrue(any(t.startswith("after") for t in stored_ids(b)), stored_ids(b))
        # A transaction already on the hung node when it stops answering gets 451 4.3.0.
        held = [open_to_data(e.port, "x0"), open_to_data(e.port, "x1")]
        b.proc.send_signal(signal.SIGSTOP)
        t0 = time.time()
        try:
            replies = [finish(s)[0] for s in held]
            waited = time.time() - t0
        finally:
            b.proc.send_signal(signal.SIGCONT)
        self.assertEqual(sorted(replies), [250, 451])
        self.assertLess(waited, 5)
        time.sleep(0.5)
        everything = stored_ids(a) + stored_ids(b)
        acked = "x%d" % replies.index(250)
        self.assertEqual(everything.count(acked), 1, everything)
        # The timed-out commit may still be made durable when the node wakes up: like a client
        # that times out after the dot (RFC 1047), the sender retries and may deliver twice.
        self.assertLessEqual(everything.count("x%d" % replies.index(451)), 1, everything)
        self.stop_cleanly(e, a, b)

    def test_an_overloaded_spool_node_makes_the_edge_refuse_connections(self):
        node = self.started(spool_node(self.certs, "spool1", 1, spool_lines=(
            "slow_commit_ms = 700\nslow_latency_ms = 100\nshed_latency_ms = 200\nrefuse_latency_ms = 400")))
        e = self.started(edge(self.certs, "edge1", [node]))
        e.wait_log(r"spool node 127\.0\.0\.1:%d linked" % node.port)
        self.assertEqual(send(e.port, "slow")[0], "ok")  # its commit takes 700 ms: refuse level
        e.wait_log(r"spool nodes: the least loaded one is at pressure refuse", timeout=10)
        # The level reaches the broker as a message, and CAF hands it a new connection directly:
        # a connection accepted in between still gets its 220. Within a moment, 421.
        deadline = time.time() + 2
        while True:
            with socket.create_connection(("127.0.0.1", e.port), timeout=10) as c:
                greeting = c.makefile("rb").readline()
            if greeting.startswith(b"421") or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(greeting, b"421 4.3.2 Service temporarily unavailable, try again later\r\n")
        # The node probes its writer, finds it idle, lowers its level; the edge follows.
        e.wait_log(r"spool nodes: pressure back to normal", timeout=15)
        self.assertEqual(send(e.port, "after")[0], "ok")
        self.assertEqual(sorted(stored_ids(node)), ["after", "slow"])
        self.stop_cleanly(e, node)

    def test_spool_node_drops_what_a_killed_edge_left_half_sent(self):
        node = self.started(spool_node(self.certs, "spool1", 1, spool_lines="abandon_after = 1"))
        e = self.started(edge(self.certs, "edge1", [node]))
        e.wait_log(r"spool node 127\.0\.0\.1:%d linked" % node.port)
        s = open_to_data(e.port, "half")
        s.send(b"x" * 300_000)  # several chunks: content reaches the spool node before the dot
        deadline = time.time() + 10
        while not node.rows("state = 'receiving'") and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(len(node.rows("state = 'receiving'")), 1)
        e.kill()  # no abort will ever come
        s.close()
        node.wait_log(r"dropping \S+: no content for 1 s and no commit", timeout=10)
        deadline = time.time() + 5  # the drop is committed with the writer's next batch
        while node.rows() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(node.rows(), [])
        self.stop_cleanly(node)

    def test_shipped_cluster_examples_are_valid(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
        for name in ("spool1.toml", "edge1.toml"):
            out = subprocess.run([BIN, "check-config", "--config", os.path.join(root, "conf/cluster", name)],
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("node link: mutual TLS", out.stdout)

    def test_spoold_refuses_a_config_without_what_a_spool_node_needs(self):
        s = Server(command="spoold")
        out = subprocess.run([BIN, "spoold", "--config", s.config], capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 2)
        self.assertIn("node.listen", out.stderr)
        s.write_config(node_lines='[node]\nlisten = "127.0.0.1:0"\nca = "x"\ncert = "y"\nkey = "z"')
        out = subprocess.run([BIN, "spoold", "--config", s.config], capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 2)
        self.assertIn("node.id", out.stderr)


if __name__ == "__main__":
    main()
