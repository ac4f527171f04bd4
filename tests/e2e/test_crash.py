"""Crash durability under load: several clients send continuously while the server is SIGKILLed
at random moments and restarted (KILLS times, 20 by default). Afterwards every message that got
a 250 is in the queue exactly once and byte-exact and is delivered to the Maildir; a message that
did not get a 250 is stored only if its final "." was sent before the connection died (the
commit can win the race with the kill); nothing else is; no partial file is visible in new/.
Duplicate deliveries (at-least-once after a crash) are counted and printed, never silent."""

import os
import random
import re
import socket
import tempfile
import threading
import time
import unittest

from harness import Server, main, queue_id, read_reply as reply

KILLS = int(os.environ.get("KILLS", "20"))
CLIENTS = 6


class Load:
    """Clients that send one message per connection to whatever port the server has now."""

    def __init__(self, rcpt=b"x@example.test"):
        self.rcpt = rcpt
        self.port = None
        self.stop = False
        self.lock = threading.Lock()
        self.acked = {}      # token -> (queue id, body)
        self.dot_sent = {}   # token -> body: "." sent, no reply (connection died)
        self.unsent = set()  # tokens whose "." was never sent
        self.counter = 0

    def token(self):
        with self.lock:
            self.counter += 1
            return "T%06d" % self.counter

    def one(self, port):
        t = self.token()
        body = ("Subject: crash %s\r\n\r\n" % t + ("%s line of content\r\n" % t) * random.randint(1, 200)).encode()
        dot = False
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            f = s.makefile("rb")
            try:
                reply(f)
                for cmd in (b"EHLO crash.example", b"MAIL FROM:<a@b.example>", b"RCPT TO:<" + self.rcpt + b">",
                            b"DATA"):
                    s.sendall(cmd + b"\r\n")
                    reply(f)
                s.sendall(body + b".\r\n")
                dot = True
                answer = reply(f)
                with self.lock:
                    if answer.startswith("250"):
                        self.acked[t] = (queue_id(answer), body)
                    else:
                        self.unsent.add(t)  # refused: must not be stored
                s.sendall(b"QUIT\r\n")
            finally:
                f.close()
                s.close()
        except OSError:
            with self.lock:
                if dot:
                    self.dot_sent[t] = body
                else:
                    self.unsent.add(t)

    def run(self):
        while not self.stop:
            port = self.port
            if port is None:
                time.sleep(0.01)
                continue
            self.one(port)


MAILBOXES = ("alice", "bob", "carol")


class Crash(unittest.TestCase):
    def crash_repeatedly(self, load, kills, workdir=None, **settings):
        workdir = workdir or tempfile.mkdtemp(prefix="mailactor-crash-")
        threads = [threading.Thread(target=load.run, daemon=True) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        rng = random.Random(int(os.environ.get("SEED", time.time())))
        for k in range(kills):
            srv = Server(workdir, delivery="true", **settings).start()
            load.port = srv.port
            time.sleep(rng.uniform(0.05, 0.6))
            srv.kill()
            load.port = None
        load.stop = True
        for t in threads:
            t.join(30)
        return Server(workdir, delivery="true", log_level="info", **settings).start()

    def test_random_sigkills_under_load(self):
        load = Load()
        srv = self.crash_repeatedly(load, KILLS)
        try:
            self.check(srv, load)
        finally:
            srv.stop()

    def test_random_sigkills_with_delivery_to_mailboxes(self):
        """The same, each message to an alias of three users: every (message, recipient) lands
        in its user's Maildir exactly once (a redelivery after a crash finds the earlier file by
        its name), complete, and every recipient row ends delivered."""
        workdir = tempfile.mkdtemp(prefix="mailactor-crash-boxes-")
        with open(os.path.join(workdir, "aliases"), "w") as f:
            f.write("postmaster: alice\nteam: %s\n" % ", ".join(MAILBOXES))
        boxes = os.path.join(workdir, "boxes")
        routing = '[routing]\nlocal = "mailboxes"\nmailbox_root = "%s"\naliases = "%s"\nusers = [%s]\n' % (
            boxes, os.path.join(workdir, "aliases"), ", ".join('"%s"' % b for b in MAILBOXES))
        load = Load(rcpt=b"team@example.test")
        srv = self.crash_repeatedly(load, max(1, KILLS // 2), workdir, routing_lines=routing)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and srv.rows("state = 'queued'"):
                time.sleep(0.1)
            self.assertEqual(srv.rows("state != 'delivered'"), [], "all delivered")
            states = srv.query("select state, count(*) from recipients group by state")
            self.assertEqual({s for s, _ in states}, {"delivered"}, states)
            self.assertGreater(len(load.acked), 1, "the load did send mail")
            tmp_left = 0
            for box in MAILBOXES:
                maildir = os.path.join(boxes, "example.test", box, "Maildir")
                tmp_left += len(os.listdir(os.path.join(maildir, "tmp")))
                tokens = {}
                for name in os.listdir(os.path.join(maildir, "new")):
                    with open(os.path.join(maildir, "new", name), "rb") as f:
                        data = f.read()
                    m = re.search(rb"Subject: crash (T\d+)", data)
                    self.assertIsNotNone(m, "partial file %s/%s" % (box, name))
                    t = m.group(1).decode()
                    body = load.acked[t][1] if t in load.acked else load.dot_sent.get(t)
                    self.assertIsNotNone(body, name)
                    self.assertTrue(data.endswith(body), "complete file %s/%s" % (box, name))
                    tokens[t] = tokens.get(t, 0) + 1
                for t in load.acked:
                    self.assertEqual(tokens.get(t), 1, "%s in %s exactly once" % (t, box))
                self.assertEqual([t for t, n in tokens.items() if n > 1], [], "no duplicate in " + box)
            print("\n%d kills, 3 mailboxes: %d acknowledged, each delivered once per mailbox; "
                  "%d files left in tmp/" % (max(1, KILLS // 2), len(load.acked), tmp_left))
        finally:
            srv.stop()

    def check(self, srv, load):
        self.assertGreater(len(load.acked), KILLS, "the load did send mail")
        # Everything queued is delivered after the last start (recovery scan).
        deadline = time.time() + 60
        while time.time() < deadline and srv.rows("state = 'queued'"):
            time.sleep(0.1)
        rows = srv.rows()
        self.assertEqual(srv.rows("state != 'delivered'"), [], "all delivered")
        by_token = {}
        for r in rows:
            content = srv.content(r["id"])
            m = re.search(rb"Subject: crash (T\d+)", content)
            self.assertIsNotNone(m, r["id"])
            by_token.setdefault(m.group(1).decode(), []).append((r["id"], content))
        # Acknowledged: exactly once, byte-exact.
        for t, (qid, body) in load.acked.items():
            self.assertEqual(len(by_token.get(t, [])), 1, "%s stored exactly once" % t)
            stored_id, content = by_token[t][0]
            self.assertEqual(stored_id, qid)
            self.assertTrue(content.endswith(body), "%s byte-exact" % t)
        # Not acknowledged: stored only when its "." went out before the crash.
        committed_unacked = 0
        for t, found in by_token.items():
            if t in load.acked:
                continue
            self.assertIn(t, load.dot_sent, "%s stored although its data was never completed" % t)
            self.assertEqual(len(found), 1)
            self.assertTrue(found[0][1].endswith(load.dot_sent[t]))
            committed_unacked += 1
        for t in load.unsent:
            self.assertNotIn(t, by_token, "%s refused or never completed, yet stored" % t)
        # Maildir: every delivered file is complete; duplicates are counted.
        new = os.path.join(srv.maildir, "new")
        files = os.listdir(new)
        leftovers = len(os.listdir(os.path.join(srv.maildir, "tmp")))  # invisible to readers
        seen = {}
        for name in files:
            with open(os.path.join(new, name), "rb") as f:
                data = f.read()
            m = re.search(rb"Subject: crash (T\d+)", data)
            self.assertIsNotNone(m, "partial file in new/: " + name)
            t = m.group(1).decode()
            body = load.acked[t][1] if t in load.acked else load.dot_sent.get(t)
            self.assertIsNotNone(body, name)
            self.assertTrue(data.endswith(body), "complete file " + name)
            seen[t] = seen.get(t, 0) + 1
        for t in load.acked:
            self.assertIn(t, seen, "%s delivered" % t)
        duplicates = sum(n - 1 for n in seen.values())
        print("\n%d kills: %d acknowledged, %d committed without a 250 (dot sent, then the kill), "
              "%d refused or cut before the dot and not stored; %d delivered, %d duplicate deliveries, "
              "%d files left in tmp/" % (KILLS, len(load.acked), committed_unacked, len(load.unsent),
                                         len(files), duplicates, leftovers))


if __name__ == "__main__":
    main()
