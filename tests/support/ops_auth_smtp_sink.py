#!/usr/bin/python3
"""smtp_sink.py with SMTP AUTH: AUTH PLAIN and LOGIN offered over plaintext and required
before MAIL FROM; only the username and password on the first two lines of --auth-file pass.
Spools like smtp_sink.py (SPOOL/<seq>.eml + .json). Logs each AUTH outcome (never the
password it was given) to stderr.

Usage: ops_auth_smtp_sink.py --host 127.0.0.1 --port N --spool DIR --auth-file FILE
"""

import argparse
import asyncio
import os
import signal
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtp_sink import SpoolHandler  # noqa: E402


class Authenticator:
    def __init__(self, username, password):
        self.username = username.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.username
              and auth_data.password == self.password)
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data,
                                                                       LoginPassword) else "?"
        print(f"ops_auth_smtp_sink: AUTH {mechanism} as {login}: {'ok' if ok else 'rejected'}",
              file=sys.stderr, flush=True)
        return AuthResult(success=ok, handled=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--spool", required=True)
    ap.add_argument("--auth-file", required=True)
    args = ap.parse_args()
    spool = os.path.abspath(args.spool)
    os.makedirs(spool, exist_ok=True)
    with open(args.auth_file, encoding="utf-8") as f:
        username, password = f.read().split("\n")[:2]
    control = os.path.join(os.path.dirname(spool), "control.json")

    controller = Controller(SpoolHandler(spool, control), hostname=args.host, port=args.port,
                            enable_SMTPUTF8=True, ident="tacmail test auth sink",
                            authenticator=Authenticator(username, password),
                            auth_required=True, auth_require_tls=False)
    controller.start()
    print(f"ops_auth_smtp_sink: listening on {args.host}:{args.port}, spool {spool}", flush=True)

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
