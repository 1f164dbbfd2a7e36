"""Helpers for the reply tests (issue 6): one Dovecot + SMTP sink + config + store per setup.

ReplyEnv owns a work directory with a Dovecot (implicit TLS), an SmtpSink (started or not: an
unstarted sink has a fixed free port and nothing listens there, which is "the SMTP server is
down"), a case store and a tacmaild YAML whose smtp section takes extra keys (envelope_from,
authserv_id, templates_dir, ...). It runs `tacmaild run --once`, reads `cases list/show` and
`outbox list` as JSON, and starts the daemon through ops_support.Daemon. request() builds a
support mail with full control over its header lines (for the RFC 3834 and injection tests).
Every process started here is stopped by close(), and by tacmail_servers' exit hooks.
"""

import base64
import email
import email.policy
import email.utils
import json
import os
import re
import sys
import tempfile
import time

import ops_support as ops
import tacmail_servers as ts
from tacmaild_cli import json_lines, mid

HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACTS = os.path.normpath(os.path.join(HERE, "..", "data", "routing", "contracts.yaml"))

# The catalog's canonical product names (config/examples/products.yaml, the built-in catalog).
PRODUCTS = [
    "Cisco BroadWorks", "BroadCloud", "BroadSoft PaaS", "Contact Center (CC-One)", "HIPCOM",
    "UC-One Collaborate", "UC-One SaaS", "Webex for BroadWorks", "BroadSoft ProServices",
    "Cisco Webex Experience Management", "Webex Calling Dedicated Instance",
]

# The header set of a reply (issue 6, "Content"), lower-case.
REPLY_HEADERS = {
    "from", "to", "subject", "date", "message-id", "in-reply-to", "references",
    "auto-submitted", "mime-version", "content-type", "content-transfer-encoding",
}

OWN_ADDRESS = "tac@example.com"  # ts.write_config's smtp.from


def encoded_word(text):
    """RFC 2047 B-encoding of text (any bytes, CR and LF included) as one word."""
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


_serial = [0]


def unique():
    _serial[0] += 1
    return f"{_serial[0]}-{time.time_ns()}"


def request(subject, sender="pat.jones@acme-corp.example", display="Pat Jones",
            product="Cisco BroadWorks", severity=3, headers=(), message_id=None,
            message_id_header=None, body_extra="", company="Acme Corp", contract="91234567",
            contact_name="Pat Jones"):
    """A complete support request (every DOMAIN.md field, entitled contract) as raw bytes.

    subject, display (the From display name) and headers (extra (name, value) pairs) are
    written verbatim, so injection tests can fold them or put encoded words in them;
    message_id_header, a whole Message-ID value starting with "<", replaces the one made of
    message_id. Returns (raw bytes, message id without brackets)."""
    n = unique()
    message_id = message_id or f"req-{n}@acme-corp.example"
    fields = [
        ("Company name", company),
        ("Contact name", contact_name),
        ("Contact phone number", "+1 415 555 0100"),
        ("Cisco.com User ID", "pjones-acme"),
        ("Contact email address", sender),
        ("Contract number", contract),
        ("Product type", product),
        ("Business effect", f"Severity {severity}"),
        ("Brief problem description", f"Calls drop after 30 seconds (request {n})."),
        ("Equipment location", "1 Main Street, Springfield"),
        ("Alternate contact name", "Sam Lee"),
        ("Alternate contact phone number", "+1 415 555 0101"),
    ]
    body = "Hello TAC,\r\n\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
    body += body_extra + f"\r\nRegards,\r\nPat ({n})\r\n"
    head = ts.request_headers(sender, subject, message_id_header or message_id,
                              display_name=display,
                              extra=["Content-Transfer-Encoding: 8bit",
                                     *(f"{name}: {value}" for name, value in headers)])
    return (head + body).encode("utf-8"), message_id


def bounce(original_to, original_mid, sender="MAILER-DAEMON@relay.example.net",
           display="Mail Delivery System", extra_headers=()):
    """A multipart/report delivery status notification (no Auto-Submitted header)."""
    n = unique()
    boundary = f"report-{n}"
    message_id = f"dsn-{n}@relay.example.net"
    lines = [
        f"From: {display} <{sender}>",
        f"To: {original_to}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {email.utils.formatdate(localtime=False)}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
    ] + [f"{k}: {v}" for k, v in extra_headers]
    body = (f"--{boundary}\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            "This is the mail system. Your message could not be delivered.\r\n"
            "Product type: Cisco BroadWorks\r\nBusiness effect: Severity 3\r\n\r\n"
            f"--{boundary}\r\n"
            "Content-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; relay.example.net\r\n\r\n"
            f"Final-Recipient: rfc822; {original_to}\r\n"
            "Action: failed\r\nStatus: 5.1.1\r\n\r\n"
            f"--{boundary}\r\n"
            "Content-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: <{original_mid}>\r\nSubject: whatever\r\n\r\n"
            f"--{boundary}--\r\n")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode(), message_id


class ReplyEnv:
    """Dovecot + SMTP sink + tacmaild config and store in one work directory."""

    def __init__(self, name, smtp_extra=(), sink_running=True, templates=None,
                 contracts=True, top_extra="", from_header=None):
        self.dir = tempfile.mkdtemp(prefix=f"tacmail-replies-{name}-")
        self.daemon = None
        self.locked = 0
        with ts.tear_down_on_failure(self.close):
            self.dovecot = ts.DovecotServer(os.path.join(self.dir, "dovecot"), tls="implicit")
            self.sink = ts.SmtpSink(os.path.join(self.dir, "smtp"), start=False)
            self.sink.port = ts.free_port()
            if sink_running:
                self.sink.start()
            self.db = os.path.join(self.dir, "cases.db")
            smtp_lines = list(smtp_extra)
            if templates is not None:
                tdir = os.path.join(self.dir, "templates")
                os.makedirs(tdir, exist_ok=True)
                for tname, text in templates.items():
                    with open(os.path.join(tdir, tname + ".txt"), "w", encoding="utf-8") as f:
                        f.write(text)
                smtp_lines.append(f"templates_dir: {json.dumps(tdir)}")
                self.templates_dir = tdir
            extra = top_extra
            if contracts:
                extra = f"routing:\n  contracts_file: {json.dumps(CONTRACTS)}\n" + extra
            self.cfg = write_config(os.path.join(self.dir, "tacmaild.yaml"), self.dovecot,
                                    self.sink, self.db, smtp_lines, extra, from_header)

    def close(self):
        if self.locked:
            sys.stderr.write(f"[{os.path.basename(self.dir)}: a read-only tacmaild command "
                             f"failed with 'database is locked' {self.locked} time(s)]\n")
        if self.daemon is not None:
            self.daemon.stop()
            self.daemon = None
        for name in ("dovecot", "sink"):
            server = getattr(self, name, None)
            if server is not None:
                server.stop()
        ts.remove_work_dir(self.dir)

    # -- mail in ---------------------------------------------------------------------------
    def append(self, raw):
        self.dovecot.append("INBOX", raw)

    # -- tacmaild ----------------------------------------------------------------------------
    def run_once(self, timeout=180):
        r = ops.run_tacmaild("run", "--config", self.cfg, "--once", timeout=timeout)
        self.last_run = r
        return r

    def start_daemon(self):
        self.daemon = ops.Daemon(self.cfg, self.dir)
        return self.daemon

    def cli(self, *args):
        """A read-only subcommand. Retried while it fails with "database is locked": opening
        the store runs the schema script in a write transaction, which before e80d1e0 was
        deferred and could fail at once while the daemon wrote (SQLITE_BUSY_SNAPSHOT; see
        OutboxListWhileWritingTest). Counted in self.locked and reported by close()."""
        for _ in range(20):
            r = ops.run_tacmaild(*args, "--config", self.cfg)
            if r.returncode == 0 or "database is locked" not in r.stderr:
                return r
            self.locked += 1
            time.sleep(0.1)
        return r

    def cases(self):
        r = self.cli("cases", "list", "--json")
        if r.returncode != 0:
            raise AssertionError(ops.describe(r))
        return json_lines(r.stdout)

    def case_show(self, number):
        """(CompletedProcess of the text form, dict of the --json form or None)."""
        text = self.cli("cases", "show", number)
        js = self.cli("cases", "show", number, "--json")
        return text, (json.loads(js.stdout) if js.returncode == 0 else None)

    def case_with(self, message_id):
        hits = [c for c in self.cases() if message_id in {mid(m) for m in c["message_ids"]}]
        return hits[0] if len(hits) == 1 else None

    def outbox(self):
        r = self.cli("outbox", "list", "--json")
        if r.returncode != 0:
            raise AssertionError(ops.describe(r))
        return json_lines(r.stdout)

    def outbox_text(self):
        return self.cli("outbox", "list").stdout

    # -- replies out ---------------------------------------------------------------------------
    def replies(self):
        return self.sink.messages()

    def replies_to(self, message_id):
        """Delivered replies whose In-Reply-To names message_id."""
        return [(env, msg, raw) for env, msg, raw in self.sink.messages()
                if message_id in {mid(x) for x in str(msg["In-Reply-To"] or "").split()}]

    def diagnostics(self):
        out = ""
        r = getattr(self, "last_run", None)
        if r is not None:
            out += ops.describe(r) + "\n"
        if self.daemon is not None:
            out += self.daemon.describe() + "\n"
        try:
            out += "--- outbox list ---\n" + self.outbox_text()
        except Exception as e:  # noqa: BLE001 -- diagnostics only
            out += f"(outbox list failed: {e})\n"
        out += "--- smtp sink log (tail) ---\n" + self.sink.log_text()[-3000:]
        return out


def write_config(path, dovecot, sink, db, smtp_lines=(), extra="", from_header=None):
    """tacmail_servers.write_config with more keys in the smtp section (and another
    smtp.from when from_header is given)."""
    ts.write_config(path, dovecot, sink, db, extra=extra)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    anchor = '  from: "Technical Support <tac@example.com>"\n'
    if anchor not in text:
        raise RuntimeError(f"cannot find the smtp.from line in {path}")
    replacement = f"  from: {json.dumps(from_header, ensure_ascii=False)}\n" if from_header \
        else anchor
    text = text.replace(anchor, replacement + "".join(f"  {l}\n" for l in smtp_lines))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def header_names(raw):
    """The header field names of a raw message in order (continuation lines folded in)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue
        names.append(line.split(b":", 1)[0].decode("ascii", "replace").lower())
    return names


def raw_header(raw, name):
    """The raw value of header `name` (first occurrence, folding kept as written), or ""."""
    out = None
    for line in header_block(raw).decode("ascii", "replace").split("\r\n"):
        if out is None and line.lower().startswith(name.lower() + ":"):
            out = line[len(name) + 1:].strip()
        elif out is not None and line[:1] in (" ", "\t"):
            out += line
        elif out is not None:
            break
    return out or ""


def header_block(raw):
    return raw.split(b"\r\n\r\n", 1)[0]


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def body_text(msg):
    part = msg.get_body(preferencelist=("plain", "html"))
    return (part or msg).get_content()


def wait_until(predicate, timeout, message, interval=0.2):
    return ops.wait_until(predicate, timeout=timeout, interval=interval, message=message)


def bare_line_breaks(raw):
    """Offsets of a CR not followed by LF or an LF not preceded by CR."""
    return [m.start() for m in re.finditer(rb"\r(?!\n)|(?<!\r)\n", raw)]
