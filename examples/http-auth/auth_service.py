#!/usr/bin/env python3
"""An authentication service for mailactor's `http` backend, in Python's standard library only:
users and their PBKDF2-SHA256 password hashes in a JSON file.

    auth_service.py hash                      reads a password on stdin, prints its hash
    auth_service.py serve --users users.json [--listen 127.0.0.1:8080]

users.json: {"dana": "pbkdf2_sha256$200000$<salt hex>$<hash hex>", ...}; re-read when it changes.
mailactor's side:

    [auth]
    backend = "http"
    [auth.http]
    url = "http://127.0.0.1:8080/auth"

The protocol (actors/auth/http_answer.hpp in mailactor's repository): mailactor POSTs
{"user", "password", "authzid", "mechanism", "client", "listener", "tls"} as JSON; 200 (with an
optional {"user": canonical name}) accepts, 401 refuses, anything else means "try again later".
"""

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ITERATIONS = 200_000


def hash_password(password):
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return "pbkdf2_sha256$%d$%s$%s" % (ITERATIONS, salt.hex(), digest.hex())


def verify(password, stored):
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2_sha256":
        return False
    got = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(got.hex(), digest)


class Users:
    """The users file, read again whenever its modification time changes."""

    def __init__(self, path):
        self.path, self.mtime, self.users = path, None, {}
        self.lock = threading.Lock()

    def hash_of(self, name):
        with self.lock:
            mtime = os.stat(self.path).st_mtime_ns
            if mtime != self.mtime:
                with open(self.path) as f:
                    self.users = json.load(f)
                self.mtime = mtime
            return self.users.get(name)


def handler_for(users):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: mailactor reuses its connections

        def answer(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length", "0"))
                request = json.loads(self.rfile.read(min(length, 65536)))
                user, password = request["user"], request["password"]
            except (ValueError, KeyError, TypeError):
                return self.answer(400)
            stored = users.hash_of(user)
            if stored and verify(password, stored) and request.get("authzid") in ("", user):
                return self.answer(200, json.dumps({"user": user}).encode())
            return self.answer(401)

        def log_message(self, fmt, *args):  # one line per check, never the password
            sys.stderr.write("auth_service: %s\n" % (fmt % args))

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("hash", help="print a hash of the password on stdin")
    serve = sub.add_parser("serve", help="answer mailactor's checks")
    serve.add_argument("--users", required=True, help="JSON file: user -> hash")
    serve.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT (port 0: any)")
    args = parser.parse_args()
    if args.command == "hash":
        print(hash_password(sys.stdin.readline().rstrip("\n")))
        return
    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), handler_for(Users(args.users)))
    print("auth_service: listening on %s:%d" % server.server_address[:2], file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
