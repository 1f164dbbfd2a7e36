"""Helpers for the crash and fault-injection tests (issue 8): tacmaild as a process that can be
SIGKILLed and restarted, distinct support requests, and the store's view through the CLI
(`cases list --json`, `outbox list --json`, `quarantine list --json`).

Every process started here runs in its own process group and dies with the test process
(PR_SET_PDEATHSIG); Daemon.stop() and stop_all() end them by pid, never by name. Logs go to
files, never pipes, so a chatty daemon cannot block. Every wait polls with a deadline.
"""

import email
import email.policy
import os
import random
import re
import signal
import subprocess

import tacmail_servers as ts
from tacmaild_cli import tacmaild_path, run_tacmaild, describe, wait_until, list_json, mid

# What the tests use as fs.NAME, tacmaild_cli's helpers among them.
__all__ = [
    "soak", "scaled", "Daemon", "stop_all", "make_request", "message_id_of", "marker_of",
    "folder_count", "folder_message_ids", "cases", "outbox", "quarantine",
    "cases_by_message_id", "sink_replies", "random_instants", "make_rng",
    "tacmaild_path", "run_tacmaild", "describe", "wait_until", "mid",
]


def soak():
    """TACMAIL_SOAK=1: the full-size runs of issue 8 (500 mails, 50 kills, ...)."""
    return os.environ.get("TACMAIL_SOAK", "") not in ("", "0")


def scaled(default, soak_value, env=None):
    """An env override (e.g. TACMAIL_KILL_MAILS=300), else the soak or the default count."""
    if env and os.environ.get(env):
        return int(os.environ[env])
    return soak_value if soak() else default


# -- the daemon ---------------------------------------------------------------------------------

_daemons = set()


class Daemon:
    """`tacmaild run --config CFG [--once]` in the background, output appended to `log_path`.

    Several Daemon objects may share one log (restarts): `mark()` and `log(since=...)` read what
    one incarnation wrote."""

    def __init__(self, config, log_path, once=False, log_level=None):
        argv = [tacmaild_path()]
        if log_level:
            argv += ["--log-level", log_level]
        argv += ["run", "--config", config]
        if once:
            argv.append("--once")
        self.log_path = log_path
        self.start_offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        self._out = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=ts._die_with_parent)
        self.pid = self.proc.pid
        _daemons.add(self)

    def running(self):
        return self.proc.poll() is None

    def kill9(self):
        """SIGKILL now and reap; returns the exit status (-9 unless it had exited)."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rc = self.proc.wait()
        self._close()
        return rc

    def wait(self, timeout):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._close()
        return rc

    def stop(self, timeout=30):
        """SIGTERM (a clean drain), then SIGKILL after timeout; returns the exit status."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._close()
        return self.proc.returncode

    def _close(self):
        if not self._out.closed:
            self._out.close()
        _daemons.discard(self)

    def log(self, since=None):
        """What this incarnation wrote (from `since`, a byte offset, if given)."""
        with open(self.log_path, "rb") as f:
            f.seek(self.start_offset if since is None else since)
            return f.read().decode(errors="replace")

    def mark(self):
        return os.path.getsize(self.log_path)

    def wait_for_log(self, pattern, timeout=30, since=None):
        """The first match of regex `pattern` in the log; TimeoutError otherwise."""
        rx = re.compile(pattern)

        def found():
            m = rx.search(self.log(since))
            return m or (None if self.running() else "exited")
        m = wait_until(found, timeout, message=f"log line /{pattern}/")
        if m == "exited":
            raise AssertionError(f"tacmaild exited ({self.proc.returncode}) before logging "
                                 f"/{pattern}/:\n{self.log(since)[-4000:]}")
        return m

    def vm_hwm_kb(self):
        """Peak resident set (VmHWM) in kB, or None once the process is gone."""
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None


def stop_all():
    for d in list(_daemons):
        try:
            d.stop(timeout=10)
        except Exception:  # noqa: BLE001 -- best effort in tearDown
            pass


# -- mail ----------------------------------------------------------------------------------------

def make_request(i, run="run", size=0):
    """A distinct support request: its own sender (the per-recipient reply limit must not
    suppress replies), subject, text and Message-ID. size pads the body to about that many
    bytes with a unique marker in the middle (`marker_of(i, run)`)."""
    mid = message_id_of(i, run)
    products = ["Cisco BroadWorks", "Webex Calling", "Catalyst 9300", "ASA 5516-X", "ISE"]
    pad = ""
    if size:
        line = "x" * 70 + "\r\n"
        half = max(0, size // 2 // len(line))
        pad = line * half + marker_of(i, run) + "\r\n" + line * half
    head = ts.request_headers(f"customer{i}@{run}-{i % 17}.example.net",
                              f"{run} request {i}: device {i * 7919 % 100003} keeps rebooting",
                              mid, display_name=f"Customer {i}",
                              date=f"Mon, 23 Nov 2026 10:{i % 60:02d}:00 +0000")
    body = (f"Company name: Acme {i} Corp\r\n"
            f"Contact name: Pat Customer {i}\r\n"
            f"Contact phone number: +1 555 {i % 1000:03d} {i % 10000:04d}\r\n"
            f"Contract number: 9{i:07d}\r\n"
            f"Product type: {products[i % len(products)]}\r\n"
            f"Business effect: S3\r\n"
            f"Brief problem description: {run} unit {i} reboots every {i % 50 + 2} minutes "
            f"after the upgrade (ticket {run}-{i}).\r\n"
            f"Equipment location: Rack {i}\r\n"
            f"\r\n{pad}"
            f"Thanks,\r\nPat {i}\r\n")
    return (head + body).encode()


def message_id_of(i, run="run"):
    return f"{run}-{i}@customer.example.net"


def marker_of(i, run="run"):
    return f"MARKER-{run}-{i}-MIDDLE-OF-THE-LITERAL"


def folder_count(dovecot, folder, user="tac@example.com"):
    """Messages in folder (STATUS MESSAGES); raises when STATUS fails."""
    return dovecot.status(folder, user)["MESSAGES"]


def folder_message_ids(dovecot, folder, user="tac@example.com"):
    """Message-ID header (without <>) of every message in folder, in UID order."""
    conn = dovecot.connect(user)
    out = []
    try:
        typ, _ = conn.select(dovecot._quote(folder), readonly=True)
        if typ != "OK":
            return []
        typ, data = conn.uid("FETCH", "1:*",
                             "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        if typ != "OK":
            return []
        for item in data:
            if isinstance(item, tuple):
                msg = email.message_from_bytes(item[1], policy=email.policy.compat32)
                out.append(mid(msg.get("Message-ID")))
        return out
    finally:
        conn.logout()


# -- the store through the CLI --------------------------------------------------------------------

# The CLI's read commands open the store read-only: they read while the daemon writes (WAL),
# without retries, so a "database is locked" fails the test that met it.
def cases(cfg):
    return list_json(cfg, "cases", "list")


def outbox(cfg):
    return list_json(cfg, "outbox", "list")


def quarantine(cfg):
    return list_json(cfg, "quarantine", "list")


def cases_by_message_id(case_list):
    """{Message-ID: [case numbers]} over every case's message_ids."""
    out = {}
    for c in case_list:
        for m in c.get("message_ids") or []:
            out.setdefault(mid(m), []).append(c["case_number"])
    return out


def sink_replies(sink):
    """[(reply Message-ID, In-Reply-To, rcpt_tos, message)] for what the SMTP sink accepted."""
    out = []
    for env, msg, _raw in sink.messages():
        out.append((mid(msg["Message-ID"]), mid(msg["In-Reply-To"]), env["rcpt_tos"], msg))
    return out


def random_instants(rng, n, low, high):
    return [rng.uniform(low, high) for _ in range(n)]


def make_rng():
    """A seeded Random; the seed is printed so a failing run can be replayed (TACMAIL_SEED)."""
    seed = int(os.environ.get("TACMAIL_SEED") or random.SystemRandom().randrange(1 << 30))
    return seed, random.Random(seed)
