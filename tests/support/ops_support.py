"""Helpers for the operations tests (issue 7): tacmaild as a long-running daemon.

Daemon runs `tacmaild run --config CFG` in its own process group with stdout and stderr going
to files (never pipes, so a chatty daemon cannot block), and stops it with SIGTERM then SIGKILL
even when a test fails. NotifySocket is a fake systemd: an AF_UNIX datagram socket collecting
sd_notify messages on a thread. AuthSmtpSink is tacmail_servers.SmtpSink with SMTP AUTH
required (tls_smtp_sink.py --mode plain --auth-file). make_mail builds a support request in
the DOMAIN.md layout.
Every wait polls a condition with a deadline; nothing here asserts on a fixed sleep.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time

import tacmail_servers as ts
from tacmaild_cli import tacmaild_path, run_tacmaild, describe, wait_until, json_lines, mid

# What the tests use as ops.NAME, tacmaild_cli's helpers among them.
__all__ = [
    "HERE", "SAMPLES", "REPO", "free_port", "Daemon", "stop_all_daemons", "NotifySocket",
    "AuthSmtpSink", "make_mail", "http_get", "parse_prometheus", "metric",
    "tacmaild_path", "run_tacmaild", "describe", "wait_until", "json_lines", "mid",
]

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.normpath(os.path.join(HERE, "..", "data", "samples"))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))


def free_port():
    return ts.free_port()


# -- the daemon --------------------------------------------------------------------------------

_daemons = set()


class Daemon:
    """`tacmaild [--log-level L] run --config CFG` in the background.

    env: extra environment; watchdog_usec: sets WATCHDOG_USEC and WATCHDOG_PID (the latter
    through a `sh -c 'export WATCHDOG_PID=$$; exec ...'` wrapper, since sd_watchdog_enabled
    wants it to equal the daemon's own pid, which is unknown before the fork)."""

    def __init__(self, config, workdir, log_level=None, env=None, watchdog_usec=None,
                 name="tacmaild"):
        self.config = config
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        argv = [tacmaild_path()]
        if log_level:
            argv += ["--log-level", log_level]
        argv += ["run", "--config", config]
        environment = dict(os.environ)
        environment.pop("NOTIFY_SOCKET", None)
        environment.pop("WATCHDOG_USEC", None)
        environment.pop("WATCHDOG_PID", None)
        environment.update(env or {})
        if watchdog_usec is not None:
            environment["WATCHDOG_USEC"] = str(watchdog_usec)
            argv = ["/bin/sh", "-c", 'export WATCHDOG_PID=$$; exec "$@"', "sh", *argv]
        self._out = open(self.stdout_path, "ab")
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, env=environment, start_new_session=True,
                                     preexec_fn=ts._die_with_parent)
        self.pid = self.proc.pid
        _daemons.add(self)

    # -- output --------------------------------------------------------------------------
    @staticmethod
    def _read(path):
        try:
            with open(path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stderr(self):
        return self._read(self.stderr_path)

    def stdout(self):
        return self._read(self.stdout_path)

    def output(self):
        return self.stdout() + self.stderr()

    def wait_for_log(self, pattern, timeout=30, after=0):
        """The first match of regex `pattern` in stderr past offset `after`; raises with the
        log when the daemon exits or the time runs out first."""
        rx = re.compile(pattern)

        def found():
            m = rx.search(self.stderr(), after)
            if m:
                return m
            if self.proc.poll() is not None:
                m = rx.search(self.stderr(), after)
                if m:
                    return m
                raise AssertionError(f"tacmaild exited with {self.proc.returncode} before "
                                     f"logging /{pattern}/:\n{self.describe()}")
            return None

        try:
            return wait_until(found, timeout, message=f"tacmaild log /{pattern}/")
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.describe()}") from None

    def log_size(self):
        return len(self.stderr())

    def describe(self):
        return (f"--- tacmaild stderr (tail) ---\n{self.stderr()[-8000:]}\n"
                f"--- tacmaild stdout (tail) ---\n{self.stdout()[-2000:]}")

    # -- control -------------------------------------------------------------------------
    def running(self):
        return self.proc.poll() is None

    def check_alive(self):
        """Raises AssertionError (with the log) when the daemon has exited; else None."""
        if self.proc.poll() is not None:
            raise AssertionError(f"tacmaild exited with {self.proc.returncode} "
                                 f"(negative: killed by that signal)\n{self.describe()}")

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout):
        """The exit code, or None if still running after timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=20):
        """SIGTERM, wait, then SIGKILL to the group; returns the exit code."""
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait()
        for f in (self._out, self._err):
            if not f.closed:
                f.close()
        _daemons.discard(self)
        return self.proc.returncode


def stop_all_daemons():
    for d in list(_daemons):
        try:
            d.stop(timeout=5)
        except Exception:  # noqa: BLE001 -- best effort in cleanup
            pass


# -- a fake systemd notify socket ------------------------------------------------------------

class NotifySocket:
    """Binds an AF_UNIX SOCK_DGRAM socket at `path` and records every datagram on a thread as
    (monotonic time, text). Close it with close()."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self._lock = threading.Lock()
        self._messages = []
        self._closed = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            with self._lock:
                for line in data.decode(errors="replace").split("\n"):
                    if line:
                        self._messages.append((now, line))

    def messages(self):
        with self._lock:
            return list(self._messages)

    def lines(self):
        return [text for _, text in self.messages()]

    def wait_for(self, predicate, timeout=30, message="notify message"):
        """The first (time, text) matching predicate(text)."""
        def found():
            for t, text in self.messages():
                if predicate(text):
                    return (t, text)
            return None
        return wait_until(found, timeout, message=message)

    def close(self):
        self._closed = True
        self._thread.join(2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


# -- SMTP with AUTH --------------------------------------------------------------------------

class AuthSmtpSink(ts.SmtpSink):
    """The SMTP sink, but AUTH PLAIN/LOGIN is offered over plaintext and required before
    MAIL FROM; only username/password are accepted. Same spool format as SmtpSink."""

    def __init__(self, workdir, username, password, start=True):
        self.username = username
        self.password = password
        super().__init__(workdir, start=start)

    def start(self, timeout=15):
        if self._proc is not None:
            return
        if self.port is None:
            self.port = ts.free_port()
        secret_file = os.path.join(self.workdir, "auth.txt")
        with open(secret_file, "w") as f:
            f.write(f"{self.username}\n{self.password}\n")
        os.chmod(secret_file, 0o600)
        self._proc = ts._Process([ts.PYTHON, os.path.join(HERE, "tls_smtp_sink.py"),
                                  "--host", ts.HOST, "--port", str(self.port),
                                  "--spool", self.spool, "--mode", "plain",
                                  "--auth-file", secret_file],
                                 self.log_path)
        try:
            ts._wait_port(self.port, self._proc.proc, timeout, "tls_smtp_sink")
        except RuntimeError as e:
            self.stop()
            raise RuntimeError(f"{e}\n--- smtp sink log ---\n{self.log_text()}") from None


# -- mail --------------------------------------------------------------------------------------

_counter = [0]


def make_mail(subject, product=None, severity=3, company="Acme Corp", contract="91234567",
              sender="pat.jones@acme-corp.example", contact_phone="+1 415 555 0100",
              description=None, message_id=None, omit=()):
    """A support request with DOMAIN.md's labels; fields named in `omit` are left out.
    Returns (raw bytes, message id without brackets)."""
    _counter[0] += 1
    n = _counter[0]
    message_id = message_id or f"ops-{n}-{time.time_ns()}@acme-corp.example"
    fields = [
        ("company", "Company name", company),
        ("contact_name", "Contact name", "Pat Jones"),
        ("contact_phone", "Contact phone number", contact_phone),
        ("cco_id", "Cisco.com User ID", "pjones-acme"),
        ("contact_email", "Contact email address", sender),
        ("contract", "Contract number", contract),
        ("product", "Product type", product or subject),
        ("severity", "Business effect", f"Severity {severity}"),
        ("description", "Brief problem description",
         description or f"Test request {n}: calls drop after 30 seconds ({message_id})."),
        ("location", "Equipment location", "1 Main Street, Springfield"),
        ("alt_contact_name", "Alternate contact name", "Sam Lee"),
        ("alt_contact_phone", "Alternate contact phone number", "+1 415 555 0101"),
    ]
    body = "Hello TAC,\r\n\r\n" + "".join(
        f"{label}: {value}\r\n" for key, label, value in fields if key not in omit and value)
    body += "\r\nRegards,\r\nPat\r\n"
    raw = ts.request_headers(sender, subject, message_id, display_name="Pat Jones",
                             extra=["Content-Transfer-Encoding: 8bit"]) + body
    return raw.encode(), message_id


# -- HTTP ----------------------------------------------------------------------------------------

def http_get(port, path, timeout=10):
    """(status, body text) of GET http://127.0.0.1:port/path."""
    conn = http.client.HTTPConnection(ts.HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace"), dict(r.getheaders())
    finally:
        conn.close()


def parse_prometheus(text):
    """{(name, frozenset(labels.items())): float} of the text exposition format."""
    out = {}
    line_rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
    label_rx = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_rx.match(line)
        if not m:
            raise ValueError(f"not a Prometheus sample line: {line!r}")
        labels = frozenset(label_rx.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric(samples, name, **labels):
    """The value of one series, or None."""
    return samples.get((name, frozenset(labels.items())))
