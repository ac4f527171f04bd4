"""The command line: --help, --version, check-config (strict config errors), queue ls/show/export/purge."""

import json
import os
import subprocess
import tempfile
import unittest

from harness import BIN, Server, main
from harness import run_bin as run

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


class Cli(unittest.TestCase):
    def test_help_and_version(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("serve", "check-config", "send", "queue"):
            self.assertIn(word, r.stdout)
        for sub in ("serve", "send", "queue", "check-config"):
            self.assertEqual(run(sub, "--help").returncode, 0)
        self.assertIn("--listen", run("serve", "--help").stdout)
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"mailactor \d+\.\d+\.\d+ \(API \d+, CAF 0\.17\.6\)")
        self.assertNotEqual(run().returncode, 0)

    def test_shipped_config_is_valid(self):
        r = run("check-config", "--config", os.path.join(REPO, "conf/mailactor.toml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("listener smtp on 127.0.0.1:2525 (mx)", r.stdout)

    def check_bad(self, text, expected):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write(text)
        try:
            r = run("check-config", "--config", f.name)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn(f.name + expected, r.stderr)
            r = run("serve", "--config", f.name)
            self.assertNotEqual(r.returncode, 0)
        finally:
            os.unlink(f.name)

    def test_strict_config_errors_name_file_line_key(self):
        self.check_bad("[server]\nhostname = \"a\"\nbogus = 1\n", ":3: server.bogus: unknown key")
        self.check_bad("[limits]\nmax_recipients = \"ten\"\n", ":2: limits.max_recipients: must be an integer")
        self.check_bad("[limits]\n\nmax_recipients = 0\n", ":3: limits.max_recipients: must be between 1 and 100000")
        self.check_bad("[spool]\ndurability = \"sometimes\"\n", ":2: spool.durability: must be one of \"fsync\", \"none\"")
        self.check_bad("[delivery]\nenabled = \"yes\"\n", ":2: delivery.enabled: must be true or false")
        self.check_bad("[[listener]]\nlisten = \"nowhere\"\n", ":2: listener.listen: bad address")
        self.check_bad("[nonsense]\n", ":1: nonsense: unknown key")
        self.check_bad("[server\n", ":1: ")

    def test_queue_commands(self):
        with Server(keep_content="true") as srv:
            r = subprocess.run([BIN, "send", "--server", "127.0.0.1:%d" % srv.port, "--from", "q@b.example",
                                "--to", "x@example.test", "--file", "-"],
                               input="Subject: queue cli\r\n\r\nhello\r\n", capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            qid = r.stdout.strip()
            srv.wait_delivered(1)
            srv.wait_state(qid, "delivered")
            q = ("queue", "--spool", srv.spool)
            ls = run(*q, "ls")
            self.assertEqual(ls.returncode, 0, ls.stderr)
            self.assertIn(qid, ls.stdout)
            self.assertIn("delivered", ls.stdout)
            js = run(*q, "ls", "--json")
            self.assertEqual(json.loads(js.stdout.splitlines()[0])["id"], qid)
            self.assertEqual(run(*q, "ls", "--state", "queued").stdout, "")
            self.assertEqual(run(*q, "ls", "--state", "bogus").returncode, 2)
            show = run(*q, "show", qid)
            self.assertIn('"mail_from": "q@b.example"', show.stdout)
            self.assertEqual(run(*q, "show", "NOPE").returncode, 1)
            export = subprocess.run([BIN, *q, "export", qid], capture_output=True, timeout=30)
            self.assertEqual(export.stdout, srv.delivered_bytes(qid))
            purge = run(*q, "purge")
            self.assertIn("purged 1 message", purge.stdout)
            self.assertEqual(run(*q, "ls").stdout, "")
        r = run("queue", "--spool", "/nonexistent/spool", "ls")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no queue at /nonexistent/spool/queue.db", r.stderr)


if __name__ == "__main__":
    main()
