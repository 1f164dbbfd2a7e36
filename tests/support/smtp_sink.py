#!/usr/bin/python3
"""A real SMTP server for tests: accepts every message and spools it to disk.

Each accepted message becomes SPOOL/<seq>.eml (the bytes as received) and SPOOL/<seq>.json
({mail_from, rcpt_tos, received_at}); the .json is written last, so its presence means the
message is complete. Fault modes come from a JSON control file read at every DATA:
    {"reject_next": 2, "code": 451, "message": "try again later"}
answers CODE to DATA for the next N messages (the file is rewritten with N decremented).

Usage: smtp_sink.py --host 127.0.0.1 --port N --spool DIR [--control FILE]
(default control file: DIR/../control.json). Runs until SIGTERM or SIGINT.
"""

import argparse
import asyncio
import datetime
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


def _write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class SpoolHandler:
    def __init__(self, spool, control):
        self.spool = spool
        self.control = control
        existing = [int(n.split(".")[0]) for n in os.listdir(spool) if n.endswith(".json")]
        self.seq = max(existing, default=0)

    def _fault(self):
        """The SMTP reply to give instead of accepting, or None."""
        try:
            with open(self.control, "r", encoding="utf-8") as f:
                ctl = json.load(f)
        except (OSError, ValueError):
            return None
        remaining = int(ctl.get("reject_next", 0))
        if remaining <= 0:
            return None
        ctl["reject_next"] = remaining - 1
        _write_atomic(self.control, json.dumps(ctl).encode())
        code = int(ctl.get("code", 451))
        text = ctl.get("message") or ("4.3.0 temporary failure (test fault)" if code < 500
                                      else "5.7.1 rejected (test fault)")
        return f"{code} {text}"

    async def handle_DATA(self, server, session, envelope):
        fault = self._fault()
        if fault:
            print(f"smtp_sink: rejected message from {envelope.mail_from}: {fault}",
                  file=sys.stderr, flush=True)
            return fault
        self.seq += 1
        base = os.path.join(self.spool, f"{self.seq:04d}")
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        _write_atomic(base + ".eml", raw)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        }
        _write_atomic(base + ".json", json.dumps(meta).encode())
        return "250 2.0.0 OK queued as %04d" % self.seq


def serve_until_signalled(controller):
    """Lets a started aiosmtpd controller serve until SIGTERM or SIGINT, then stops it."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--spool", required=True)
    ap.add_argument("--control")
    args = ap.parse_args()
    spool = os.path.abspath(args.spool)
    os.makedirs(spool, exist_ok=True)
    control = args.control or os.path.join(os.path.dirname(spool), "control.json")

    controller = Controller(SpoolHandler(spool, control), hostname=args.host, port=args.port,
                            enable_SMTPUTF8=True, ident="tacmail test sink")
    controller.start()
    print(f"smtp_sink: listening on {args.host}:{args.port}, spool {spool}", flush=True)
    serve_until_signalled(controller)


if __name__ == "__main__":
    main()
