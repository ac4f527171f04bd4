"""The commented config (conf/mailactor.toml), from which mailactor.toml(5) is generated, against
the loader: every key the loader reads is documented there, and every key documented in a table
the file has is one the loader reads. A key added to the loader without a comment, or a comment
left for a key that is gone, fails here."""

import importlib.machinery
import os
import subprocess
import tempfile
import tomllib
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
        documented |= {"listener." + k for k in documented if k.startswith("limits.") and "listener." + k in read}
        # "[relay.domain."D"]: its own smarthost (same keys) or TLS policy".
        per_domain = "relay.domain."
        documented |= {k for k in read if k.startswith(per_domain) and "relay." + k[len(per_domain):] in documented}
        self.assertEqual(sorted(read - documented), [], "read by the loader but not in conf/mailactor.toml")
        tables = {k.rsplit(".", 1)[0] for k in read}
        stale = [k for k in documented if k.rsplit(".", 1)[0] in tables and k not in read]
        self.assertEqual(sorted(stale), [], "documented in conf/mailactor.toml but not read by the loader")

    def test_reference_values_are_the_defaults(self):
        """Every value conf/mailactor.toml sets is the loader's default (check-config --defaults,
        made from the key tables), except the ones it sets on purpose, named here."""
        on_purpose = {
            "server.local_domains": "example.test, which the README's examples send to",
            "metrics.listen": "the live page is on in the reference, off by default",
        }
        r = subprocess.run([BIN, "check-config", "--defaults"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        defaults = {}
        for line in r.stdout.splitlines():
            if line.startswith("#"):
                continue
            key, rest = line.split(" = ", 1)
            defaults[key] = tomllib.loads("v = " + rest.split("  # ", 1)[0])["v"]
        self.assertEqual(defaults["limits.max_hops"], 50)
        with open(CONF, "rb") as f:
            conf = tomllib.load(f)
        differ = []
        for section, table in conf.items():
            for t in table if isinstance(table, list) else [table]:
                for key, value in t.items():
                    name = "%s.%s" % (section, key)
                    if isinstance(value, dict) or name in on_purpose or name not in defaults:
                        continue
                    if value != defaults[name]:
                        differ.append("%s = %r, default %r" % (name, value, defaults[name]))
        self.assertEqual(differ, [])
        for name in on_purpose:
            self.assertIn(name, defaults)

    def test_config_shows_what_differs_and_where(self):
        """`mailactor config` as `postconf -n`: the reference file differs from the defaults only
        in what its own comments say; a file's changes are listed with their lines; KEY shows
        value, default and help; an unknown key fails."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.toml")
            with open(path, "w") as f:
                f.write('[server]\nlocal_domains = ["example.test"]\n\n[spool]\nmax_batch = 64\n'
                        'durability = "fsync"\n')
            r = subprocess.run([BIN, "config", "--config", path], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.splitlines(),
                             ['server.local_domains = ["example.test"]  # %s:2' % path,
                              "spool.max_batch = 64  # %s:5" % path])
            r = subprocess.run([BIN, "config", "--config", path, "spool.durability", "limits.max_errors"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = r.stdout.splitlines()
            self.assertEqual(lines[0], 'spool.durability = "fsync"  # %s:6' % path)
            self.assertEqual(lines[1], '  default: "fsync"')
            self.assertEqual(lines[3], "limits.max_errors = 20  # default")
            r = subprocess.run([BIN, "config", "--config", path, "spool.no_such_key"], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual((r.returncode, r.stdout), (1, ""))
            self.assertIn("no key spool.no_such_key", r.stderr)

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
