#!/usr/bin/python3
"""smtp_sink.py with TLS: a real aiosmtpd server that records, for every accepted message,
whether and how the session was encrypted.

Modes (--mode):
  starttls  STARTTLS offered (--cert/--key) and required before MAIL FROM (require_starttls)
  implicit  TLS from the first byte (Controller ssl_context=...), as on port 465
  plain     no TLS at all: STARTTLS is not offered
--auth-file FILE (username and password on its first two lines) makes AUTH PLAIN/LOGIN
required before MAIL FROM; with starttls it is offered only after STARTTLS (auth_require_tls),
with plain over the cleartext connection (the operations tests' AUTH sink).

Spools like smtp_sink.py: SPOOL/<seq>.eml, then SPOOL/<seq>.json with mail_from, rcpt_tos,
received_at and
  "tls": null or {"version", "cipher", "via": "starttls" | "implicit"},
  "auth": null or {"mechanism", "login", "tls"}   (never the password)
Every MAIL FROM, STARTTLS handshake and AUTH outcome is also logged to stdout as one line
("tls_smtp_sink: MAIL FROM ... tls=...") so a test can prove that nothing reached the
server in cleartext.

Usage: tls_smtp_sink.py --host 127.0.0.1 --port N --spool DIR --mode MODE
                        [--cert PEM --key PEM] [--auth-file FILE]
Runs until SIGTERM or SIGINT.
"""

import argparse
import datetime
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtp_sink import SpoolHandler, _write_atomic, serve_until_signalled  # noqa: E402


def log(text):
    print(f"tls_smtp_sink: {text}", flush=True)


def tls_info(server, session):
    """What the client's connection is encrypted with, or None for cleartext."""
    transport = server.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    cipher = ssl_object.cipher()
    return {
        "version": ssl_object.version(),
        "cipher": cipher[0] if cipher else None,
        # session.ssl is set by aiosmtpd only after a STARTTLS upgrade.
        "via": "starttls" if session.ssl is not None else "implicit",
    }


class TlsSpoolHandler(SpoolHandler):
    """SpoolHandler, recording the session's TLS state and login in the .json."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        log(f"EHLO {hostname} tls={tls_info(server, session) is not None}")
        return responses

    def handle_STARTTLS(self, server, session, envelope):
        # aiosmtpd 1.4 calls this hook without awaiting it: a plain method, not a coroutine.
        log(f"STARTTLS handshake done: {tls_info(server, session)}")
        return True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        log(f"MAIL FROM:<{address}> tls={tls_info(server, session) is not None} "
            f"authenticated={bool(session.authenticated)}")
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = self._fault()
        if fault:
            log(f"rejected message from {envelope.mail_from}: {fault}")
            return fault
        self.seq += 1
        base = os.path.join(self.spool, f"{self.seq:04d}")
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        _write_atomic(base + ".eml", raw)
        tls = tls_info(server, session)
        auth = getattr(session, "tacmail_auth", None)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "tls": tls,
            "auth": auth,
        }
        _write_atomic(base + ".json", json.dumps(meta).encode())
        log(f"accepted {self.seq:04d} from <{envelope.mail_from}> tls={tls} auth={auth}")
        return "250 2.0.0 OK queued as %04d" % self.seq


class Authenticator:
    def __init__(self, username, password):
        self.username = username.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.username
              and auth_data.password == self.password)
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data,
                                                                       LoginPassword) else "?"
        tls = tls_info(server, session) is not None
        log(f"AUTH {mechanism} as {login}: {'ok' if ok else 'rejected'} (tls={tls})")
        if ok:
            session.tacmail_auth = {"mechanism": mechanism, "login": login, "tls": tls}
        return AuthResult(success=ok, handled=False)


def server_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--spool", required=True)
    ap.add_argument("--mode", choices=("starttls", "implicit", "plain"), required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--auth-file")
    args = ap.parse_args()
    spool = os.path.abspath(args.spool)
    os.makedirs(spool, exist_ok=True)
    control = os.path.join(os.path.dirname(spool), "control.json")
    if args.mode != "plain" and not (args.cert and args.key):
        ap.error(f"--mode {args.mode} needs --cert and --key")

    kwargs = dict(hostname=args.host, port=args.port, enable_SMTPUTF8=True,
                  ident="tacmail test TLS sink")
    if args.mode == "starttls":
        kwargs.update(tls_context=server_context(args.cert, args.key), require_starttls=True)
    elif args.mode == "implicit":
        kwargs.update(ssl_context=server_context(args.cert, args.key))
    if args.auth_file:
        with open(args.auth_file, encoding="utf-8") as f:
            username, password = f.read().split("\n")[:2]
        # aiosmtpd 1.4 only counts a STARTTLS upgrade as TLS for auth_require_tls; on an
        # implicit-TLS listener every session is encrypted, and a plain one has no TLS to wait
        # for, so the check is for starttls alone.
        kwargs.update(authenticator=Authenticator(username, password), auth_required=True,
                      auth_require_tls=args.mode == "starttls")

    controller = Controller(TlsSpoolHandler(spool, control), **kwargs)
    controller.start()
    log(f"listening on {args.host}:{args.port} mode {args.mode}"
        f"{' with AUTH' if args.auth_file else ''}, spool {spool}")
    serve_until_signalled(controller)


if __name__ == "__main__":
    main()
