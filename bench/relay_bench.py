#!/usr/bin/env python3
"""Relaying side by side: mailactor and Postfix each take mail for a remote domain from
smtp-source (50 sessions, a new connection per 4 KiB message, from a trusted network) and relay
it to a smarthost, Postfix's smtp-sink; both commit each message durably before they say 250.

    sudo bench/relay_bench.py [--messages 5000] [--sessions 50] [--size 4096]
                              [--servers mailactor,postfix] [--binary PATH]

Per server: accepted msgs/s (smtp-source's run), relayed msgs/s (first connection to the last
message at the sink), the sink's connections per 1000 messages (connection reuse), and the
server's CPU per message (its process tree, reaped children included, from the first connection
to the last relayed message). Both use 20 connections per destination at most (Postfix's
default_destination_concurrency_limit, mailactor's connections_per_destination). Run as root
(Postfix and smtp-sink need it); loopback only. Build first:
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DMAILACTOR_TESTS=OFF && cmake --build
build-release; bench/install-smtp-source.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")
DOMAIN = "remote.test"

MAILACTOR_CONFIG = """
[server]
hostname = "bench.example.test"
local_domains = ["example.test"]
log_level = "warn"
[[listener]]
listen = "127.0.0.1:{port}"
[limits]
max_sessions = 2000
max_sessions_per_ip = 2000
max_messages_per_session = 0
[spool]
directory = "{dir}/spool"
durability = "fsync"
[delivery]
maildir = "{dir}/mail"
[relay]
enabled = true
trusted_networks = ["127.0.0.0/8"]
smarthost = "[127.0.0.1]:{sink}"
smarthost_tls = "may"
connections_per_destination = 20
[metrics]
listen = ""
"""

POSTFIX_MAIN_CF = """
compatibility_level = 3.6
queue_directory = {dir}/spool
data_directory = {dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
myhostname = bench.example.test
mydomain = example.test
mydestination = example.test
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
biff = no
smtpd_peername_lookup = no
disable_dns_lookups = yes
relayhost = [127.0.0.1]:{sink}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
in_flow_delay = 0
default_process_limit = 600
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
"""

POSTFIX_MASTER_CF = """
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu_s(root):
    """CPU seconds of root and its descendants, reaped children included (as ../shared/bench)."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name, "rb") as f:
                    rest = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            # rest[0] state, rest[1] ppid, rest[11:15] utime stime cutime cstime
            table[int(name)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    kids = {}
    for pid, (ppid, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        if p in table:
            total += table[p][1]
            todo.extend(kids.get(p, []))
    return total / CLK_TCK


def wait_port(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"220"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing answered on port %d" % port)


class Sink:
    """smtp-sink with running counters (-c): sessions and messages seen so far."""

    def __init__(self, port):
        self.sessions = self.messages = 0
        self.proc = subprocess.Popen(["smtp-sink", "-u", "nobody", "-c", "127.0.0.1:%d" % port, "1024"],
                                     stdout=subprocess.PIPE)
        threading.Thread(target=self.read, daemon=True).start()
        wait_port(port)

    def read(self):
        line = b""
        while True:
            c = self.proc.stdout.read(1)
            if not c:
                return
            if c in b"\r\n":
                fields = dict(f.split(b"=") for f in line.split() if b"=" in f)
                if b"mesg" in fields:
                    self.sessions, self.messages = int(fields[b"sess"]), int(fields[b"mesg"])
                line = b""
            else:
                line += c

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def start_mailactor(binary, d, port, sink):
    cfg = os.path.join(d, "relay.toml")
    with open(cfg, "w") as f:
        f.write(MAILACTOR_CONFIG.format(dir=d, port=port, sink=sink))
    proc = subprocess.Popen([binary, "serve", "--config", cfg])
    return proc, proc.pid


def start_postfix(d, port, sink):
    etc = os.path.join(d, "etc")
    for sub in ("etc", "spool", "data"):
        os.makedirs(os.path.join(d, sub))
    shutil.chown(os.path.join(d, "data"), "postfix")
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write(POSTFIX_MAIN_CF.format(dir=d, sink=sink))
    with open(os.path.join(etc, "master.cf"), "w") as f:
        f.write(POSTFIX_MASTER_CF.format(port=port))
    subprocess.run(["postfix", "-c", etc, "check"], check=True)
    proc = subprocess.Popen(["postfix", "-c", etc, "start-fg"])
    return proc, proc.pid


def run(server, args):
    d = tempfile.mkdtemp(prefix="mailactor-relay-bench-")
    os.chmod(d, 0o755)  # Postfix's daemons run as user postfix
    port, sink_port = free_port(), free_port()
    sink = Sink(sink_port)
    if server == "mailactor":
        proc, root = start_mailactor(args.binary, d, port, sink_port)
    else:
        proc, root = start_postfix(d, port, sink_port)
    try:
        wait_port(port)
        time.sleep(1)  # the greeting probe's session ends; counters start from a quiet server
        sessions0, cpu0, t0 = sink.sessions, tree_cpu_s(root), time.time()
        subprocess.run(["smtp-source", "-s", str(args.sessions), "-m", str(args.messages),
                        "-l", str(args.size), "-f", "sender@example.test", "-t", "rcpt@" + DOMAIN,
                        "127.0.0.1:%d" % port], check=True, timeout=args.timeout)
        accepted = time.time() - t0
        deadline = time.time() + args.timeout
        while sink.messages < args.messages and time.time() < deadline:
            time.sleep(0.01)
        relayed = time.time() - t0
        cpu = tree_cpu_s(root) - cpu0
        complete = sink.messages >= args.messages
        stop(server, proc, d)
        time.sleep(0.5)  # the sink counts a session when it ends: connections kept open end now
        connections = sink.sessions - sessions0
        return {
            "server": server, "accepted_per_s": args.messages / accepted,
            "relayed_per_s": args.messages / relayed if complete else 0.0,
            "relayed": sink.messages, "connections_per_1000": 1000.0 * connections / args.messages,
            "cpu_us_per_msg": cpu / args.messages * 1e6,
        }
    finally:
        stop(server, proc, d)
        sink.stop()
        shutil.rmtree(d, ignore_errors=True)


def stop(server, proc, d):
    if proc.poll() is not None:
        return
    if server == "postfix":
        subprocess.run(["postfix", "-c", os.path.join(d, "etc"), "stop"], capture_output=True)
    else:
        proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--messages", type=int, default=5000)
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--servers", default="mailactor,postfix")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--binary", default=os.path.join(HERE, "../build-release/app/mailactor"))
    args = p.parse_args()
    results = [run(s, args) for s in args.servers.split(",")]
    print("| server | accepted msgs/s | relayed msgs/s | sink connections / 1000 msgs | CPU µs/msg |")
    print("|---|---|---|---|---|")
    for r in results:
        print("| %s | %.0f | %.0f%s | %.0f | %.0f |" % (
            r["server"], r["accepted_per_s"], r["relayed_per_s"],
            "" if r["relayed"] >= args.messages else " (only %d relayed)" % r["relayed"],
            r["connections_per_1000"], r["cpu_us_per_msg"]))
    if len(results) == 2 and all(r["relayed_per_s"] and r["cpu_us_per_msg"] for r in results):
        a, b = results
        print("\n%s / %s: accepted %.2fx, relayed %.2fx, CPU per message %.2fx" % (
            a["server"], b["server"], a["accepted_per_s"] / b["accepted_per_s"],
            a["relayed_per_s"] / b["relayed_per_s"], a["cpu_us_per_msg"] / b["cpu_us_per_msg"]))
    return 0 if all(r["relayed"] >= args.messages for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
