"""The commented config (conf/mailactor.toml), from which mailactor.toml(5) is generated, against
the loader: every key the loader reads is documented there, and every key documented in a table
the file has is one the loader reads. A key added to the loader without a comment, or a comment
left for a key that is gone, fails here."""

import importlib.machinery
import os
import subprocess
import tempfile
import unittest

from harness import BIN, main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "conf/mailactor.toml")
make_man = importlib.machinery.SourceFileLoader("make_man", os.path.join(ROOT, "scripts/make-man")).load_module()


def table_name(header):
    """"[[listener]]" -> "listener"; "[relay.domain."x.example"]" -> "relay.domain"."""
    return header.strip("[]").split('."')[0]


class ConfigReference(unittest.TestCase):
    def test_documented_keys_are_the_loaders(self):
        r = subprocess.run([BIN, "check-config", "--keys", "--config", CONF], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        read = set(r.stdout.split())
        self.assertIn("server.hostname", read)
        self.assertIn("listener.proxy_protocol", read)
        with open(CONF) as f:
            entries = make_man.config_entries(f.read())
        documented = {"%s.%s" % (table_name(section), key) for section, key, _, _ in entries if key}
        # The loader also looks up the tables themselves ("server", "relay.domain").
        read -= {table_name(section) for section, _, _, _ in entries if section}
        # "[listener.limits]: any key of [limits]" (the file says so once, for all of them).
        documented |= {"listener." + k for k in documented if k.startswith("limits.")}
        self.assertEqual(sorted(read - documented), [], "read by the loader but not in conf/mailactor.toml")
        tables = {k.rsplit(".", 1)[0] for k in read}
        stale = [k for k in documented if k.rsplit(".", 1)[0] in tables and k not in read]
        self.assertEqual(sorted(stale), [], "documented in conf/mailactor.toml but not read by the loader")

    def test_man_page_has_every_key(self):
        with open(CONF) as f:
            entries = make_man.config_entries(f.read())
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "mailactor.toml.5")
            make_man.write_mailactor_toml_5(CONF, out)
            with open(out) as f:
                page = f.read()
        for section, key, _, _ in entries:
            if key:
                self.assertIn("\\fB%s\\fR = " % make_man.roff(key), page)


if __name__ == "__main__":
    main()
