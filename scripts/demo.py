"""Driver of scripts/demo: real servers on loopback, the sample mails, one tacmaild pass.

Uses tests/support/tacmail_servers.py for Dovecot and the SMTP sink, and tests/data/samples for
the mails; prints what a newcomer wants to see, then stops the servers and removes the temp dir.
"""

import argparse
import email
import email.policy
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import tacmail_servers as ts  # noqa: E402

SAMPLES = os.path.join(ROOT, "tests", "data", "samples")
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(text):
    print(f"\n{BOLD}== {text}{RESET}", flush=True)


def indent(text, prefix="   "):
    return textwrap.indent(text.rstrip("\n"), prefix)


def tacmaild(binary, *args, timeout=120):
    return subprocess.run([binary, *args], capture_output=True, text=True, errors="replace",
                          timeout=timeout)


def show_reply(envelope, msg):
    print(f"   {DIM}envelope: MAIL FROM:<{envelope['mail_from'].strip('<>')}> "
          f"RCPT TO:<{'>, <'.join(envelope['rcpt_tos'])}>{RESET}")
    for h in ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
              "Auto-Submitted"):
        if msg[h] is not None:
            print(f"   {h}: {msg[h]}")
    part = msg.get_body(preferencelist=("plain", "html"))
    print()
    print(indent((part or msg).get_content()))


def main():
    ap = argparse.ArgumentParser(description="tacmail demo: sample mails through tacmaild")
    ap.add_argument("--tacmaild", required=True)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (config, database, logs) and print its path")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="tacmail-demo-")
    dovecot = sink = None
    try:
        step("Starting a local IMAP server and SMTP server (loopback only)")
        dovecot = ts.DovecotServer(os.path.join(work, "dovecot"), tls="implicit")
        sink = ts.SmtpSink(os.path.join(work, "smtp"))
        cfg = ts.write_config(os.path.join(work, "tacmaild.yaml"), dovecot, sink,
                              os.path.join(work, "cases.db"))
        case_log = os.path.join(work, "cases.jsonl")
        with open(cfg, "a") as f:  # the reviewers' JSON-lines case log
            f.write(f"logging:\n  case_log: {case_log}\n")
        print(f"   Dovecot IMAP   imaps://127.0.0.1:{dovecot.port}  (TLS, test CA "
              f"{os.path.relpath(dovecot.ca_file, work)}), mailbox tac@example.com")
        print(f"   SMTP server    smtp://127.0.0.1:{sink.port}  (keeps every reply it receives)")
        print(f"   tacmaild config {cfg}")

        samples = sorted(glob.glob(os.path.join(SAMPLES, "*.eml")))
        step(f"Delivering {len(samples)} sample customer mails to the support mailbox (INBOX)")
        for path in samples:
            with open(path, "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            dovecot.append("INBOX", raw)
            print(f"   {msg['From'].addresses[0].addr_spec:42} {DIM}Subject:{RESET} "
                  f"{' '.join(str(msg['Subject']).split())}")

        step(f"Running: tacmaild run --config {os.path.basename(cfg)} --once")
        started = time.monotonic()
        r = tacmaild(args.tacmaild, "run", "--config", cfg, "--once")
        took = time.monotonic() - started
        log = (r.stderr + r.stdout).strip()
        if log:
            print(indent(log))
        print(f"   {DIM}exit {r.returncode} after {took:.1f}s{RESET}")
        if r.returncode != 0:
            print(f"\ndemo: tacmaild failed; Dovecot log tail:\n{indent(dovecot.log_text()[-3000:])}",
                  file=sys.stderr)
            return 1

        step("Cases opened: tacmaild cases list")
        r = tacmaild(args.tacmaild, "cases", "list", "--config", cfg)
        print(indent(r.stdout or r.stderr))

        try:
            sink.wait_for(1, timeout=5)
        except TimeoutError:
            pass
        replies = sink.messages()
        step(f"The SMTP server received {len(replies)} replies; the first one, as the customer "
             f"sees it")
        if replies:
            show_reply(replies[0][0], replies[0][1])

        step("A queue reviewer's question, answered from the case log: "
             "which S1/S2 came in by mail?")
        print(f"   {DIM}jq -c 'select(.event==\"case_opened\" and (.flags|index(\"phone_required\")))"
              f" | {{case_number, severity, company, queue}}' cases.jsonl{RESET}")
        with open(case_log) as f:
            for line in f:
                e = json.loads(line)
                if e["event"] == "case_opened" and "phone_required" in e["flags"]:
                    print("   " + json.dumps({k: e[k] for k in
                                              ("case_number", "severity", "company", "queue")}))

        left, done = len(dovecot.messages("INBOX")), len(dovecot.messages("Processed"))
        step(f"Mailbox afterwards: {left} in INBOX, {done} moved to Processed")
        print("   A second run would open no case and send no reply: every mail is already cased.")
        print(f"   Look closer: tacmaild cases show <number> --config <config>; "
              f"tacmaild parse {os.path.relpath(samples[0], os.getcwd())}")
        return 0
    finally:
        for server in (sink, dovecot):
            if server is not None:
                server.stop()
        if args.keep:
            print(f"\n(kept {work}: tacmaild.yaml, cases.db, cases.jsonl, dovecot/dovecot.log, "
                  f"smtp/spool/)")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
