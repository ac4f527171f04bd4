"""A distributed password-guessing run (thousands of source addresses, each bound to its own
127.x.y.z) must not grow the server's memory or its Prometheus scrape: failed AUTHs are counted
without a per-client label, and nothing keeps state per attacking address without a bound."""

import base64
import re
import socket
import threading
import urllib.request
import unittest

from harness import Server, free_port, main, read_reply, sanitized, plain, scrape

FAILURES_PER_SESSION = 5




def source_address(i):
    """The i-th attacking address: 127.1.0.1 upwards (never the server's 127.0.0.1)."""
    i += 1
    return "127.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256 or 1)


def guess_from(address, port):
    """One session from `address` that fails AUTH until the server hangs up; returns failures."""
    s = socket.socket()
    s.settimeout(20)
    s.bind((address, 0))
    s.connect(("127.0.0.1", port))
    f = s.makefile("rb")

    def reply():
        return read_reply(f)

    try:
        reply()
        s.sendall(b"EHLO guesser.example\r\n")
        reply()
        failures = 0
        for n in range(FAILURES_PER_SESSION):
            s.sendall(("AUTH PLAIN %s\r\n" % plain("nobody%d" % n, "guess")).encode())
            line = reply()
            assert line == "535 5.7.8 Authentication credentials invalid", line
            failures += 1
        assert reply() == "421 4.7.0 Too many authentication failures"
        return failures
    finally:
        f.close()
        s.close()


def attack(port, first, count, threads=8):
    done = []
    errors = []

    def worker(k):
        n = 0
        try:
            for i in range(first + k, first + count, threads):
                n += guess_from(source_address(i), port)
        except Exception as e:  # reported by the test below
            errors.append(repr(e))
        done.append(n)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    if errors:
        raise AssertionError(errors[:3])
    return sum(done)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))




def series(text):
    """The scrape's series (name and labels), without values."""
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


class AuthFailureCardinality(unittest.TestCase):
    def test_many_addresses_leave_memory_and_scrape_flat(self):
        metrics = free_port()
        # The failure budget across sessions (bounded on its own: at most 20,000 addresses and
        # networks, auth_budget_test) would lock these 127.x.y.0/24 networks out after 30
        # failures; off here so that every guess reaches the backend and counts.
        users = ('address_failures = 0\nnetwork_failures = 0\n'
                 '[auth.static-map]\nalice = "$6$salt$notarealhash"\n')
        with Server(mode="submission", allow_plaintext_auth="true", auth_backend="static-map",
                    auth_options=users, tarpit_ms=0, max_auth_failures=FAILURES_PER_SESSION,
                    delivery="false",
                    metrics_lines='[metrics]\nlisten = "127.0.0.1:%d"' % metrics) as srv:
            # Two rounds of 20,000 warm every code path, pool and allocator arena (freed memory is
            # kept for reuse up to malloc's trim threshold; measured: RSS rises in the first two
            # rounds, then stays within 10 KiB over three more), so the third shows any growth.
            warm = attack(srv.port, 0, 4000) + attack(srv.port, 4000, 4000)
            before_text = scrape(metrics)
            before_rss = rss_kib(srv.proc.pid)
            failed = attack(srv.port, 8000, 4000)  # 20,000 more, from 4,000 new addresses
            after_text = scrape(metrics)
            after_rss = rss_kib(srv.proc.pid)
            print("20,000 failed AUTHs from 4,000 addresses: RSS %d -> %d KiB, scrape %d -> %d bytes, "
                  "%d -> %d series" % (before_rss, after_rss, len(before_text), len(after_text),
                                       len(series(before_text)), len(series(after_text))))
            self.assertEqual((warm, failed), (40000, 20000))
            self.assertEqual(series(after_text), series(before_text), "no series per attacking address")
            self.assertLess(len(after_text) - len(before_text), 1024, "the scrape stays the same size")
            self.assertNotRegex(after_text, r"127\.[1-9]\d*\.\d+\.\d+", "no attacker address in the scrape")
            if not sanitized():  # ASan's quarantine holds freed memory: RSS grows by design there
                self.assertLess(after_rss - before_rss, 2048, "RSS stays flat (KiB)")
            total = re.search(r"^mailactor_auth_failures_total (\S+)$", after_text, re.M)
            self.assertIsNotNone(total, "failed AUTHs are counted, unlabelled")
            self.assertEqual(float(total.group(1)), 60000)


if __name__ == "__main__":
    main()
