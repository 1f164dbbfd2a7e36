"""Helpers for the IMAP integration tests (issue 5, tests/e2e/test_imap.py).

Built on tacmail_servers (DovecotServer, SmtpSink), without changing it:
  TcpRelay        a loopback TCP relay that records what the client sent, to prove STARTTLS
                  is really used (Dovecot trusts loopback, so it would not insist itself).
  write_imap_config  a tacmaild YAML with any number of mailboxes and any imap keys.
  Daemon          `tacmaild run` in the background, output to files, always stopped.
  kill_dovecot / restart_dovecot  SIGKILL a Dovecot's whole process group (a crash), then
                  start it again on the same port with the same mail.
  make_certificate  a server certificate for another host name, signed by a given CA.
  make_mail, cases, quarantine_list, count_cases (read-only SQLite peek while a daemon runs).
Every wait polls a condition with a deadline; nothing relies on a fixed sleep being enough.
"""

import atexit
import json
import os
import re
import select
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import tacmail_servers as ts
from tacmaild_cli import tacmaild_path, run_tacmaild, describe, wait_until, list_json, mid

# What the tests use as ims.NAME, tacmaild_cli's helpers among them.
__all__ = [
    "HOST", "cases", "quarantine_list", "count_cases", "make_mail", "write_imap_config",
    "mailbox_for", "write_secret", "set_dovecot_passwords", "kill_dovecot", "make_certificate",
    "imap_flags", "maildir_ids", "message_ids", "TcpRelay", "Daemon",
    "tacmaild_path", "run_tacmaild", "describe", "wait_until", "mid",
]

HOST = ts.HOST


# -- tacmaild ------------------------------------------------------------------------------

def cases(config):
    """Every case as a dict (`cases list --json`)."""
    return list_json(config, "cases", "list")


def quarantine_list(config):
    return list_json(config, "quarantine", "list")


def count_cases(db_path):
    """Cases in the store right now, read-only (safe beside a running daemon); 0 if no db."""
    if not os.path.exists(db_path):
        return 0
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM cases").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


_counter = [0]


def make_mail(subject=None, size=None, message_id=None, sender=None):
    """A support request in DOMAIN.md's layout; returns (raw bytes, Message-ID without <>).
    size: pad the description to about this many bytes."""
    _counter[0] += 1
    n = _counter[0]
    message_id = message_id or f"imap-{n}-{time.time_ns()}@acme-corp.example"
    subject = subject or f"BroadWorks calls dropping, request {n}"
    sender = sender or f"pat.jones{n}@acme-corp.example"
    body = ("Hello TAC,\r\n\r\n"
            "Company name: Acme Corp\r\n"
            "Contact name: Pat Jones\r\n"
            "Contact phone number: +1 415 555 0100\r\n"
            f"Contact email address: {sender}\r\n"
            "Contract number: 91234567\r\n"
            "Product type: Cisco BroadWorks\r\n"
            "Business effect: Severity 3\r\n"
            f"Brief problem description: request {n}: calls drop after 30 seconds "
            f"({message_id}).\r\n"
            "Equipment location: 1 Main Street, Springfield\r\n")
    if size:
        line = "Log line: " + "x" * 60 + "\r\n"
        while len(body) < size:
            body += line
    body += "\r\nRegards,\r\nPat\r\n"
    raw = ts.request_headers(sender, subject, message_id, display_name="Pat Jones") + body
    return raw.encode(), message_id


# -- config --------------------------------------------------------------------------------
def _q(s):
    return json.dumps(str(s))


def write_imap_config(path, mailboxes, smtp, db_path, extra=""):
    """A tacmaild YAML. mailboxes: list of dicts with `name` and the imap keys (host, port,
    tls, ca_file, username, password_file, auth, oauth2_token_file, folder, idle, ...);
    strings are quoted, other values written as they are."""
    out = ["# tacmaild config written by tests/support/imap_e2e_support.py", "mailboxes:"]
    for m in mailboxes:
        m = dict(m)
        out.append(f"  - name: {_q(m.pop('name'))}")
        out.append("    imap:")
        for key, value in m.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, str) and not re.fullmatch(r"\d+(ms|s|m|h|k|M|G)?", value):
                value = _q(value)
            out.append(f"      {key}: {value}")
    out += ["smtp:", f"  url: smtp://{smtp.host}:{smtp.port}", "  tls: none",
            '  from: "Technical Support <tac@example.com>"',
            "storage:", f"  sqlite: {_q(db_path)}", extra]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path


def mailbox_for(dovecot, name="tac", user="tac@example.com", secret_dir=None, **keys):
    """The imap keys for `dovecot`, with the user's password written to a 0600 file."""
    secret_dir = secret_dir or dovecot.workdir
    password_file = os.path.join(secret_dir, f"{name}.imap-password")
    write_secret(password_file, dovecot.users[user])
    m = dict(name=name, host=dovecot.host, port=dovecot.port, tls=dovecot.tls,
             ca_file=dovecot.ca_file, username=user, password_file=password_file,
             folder="INBOX", processed_folder="Processed", quarantine_folder="Quarantine",
             idle=False, poll_interval="1s")
    m.update(keys)
    return m


def write_secret(path, secret):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(secret + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


# -- Dovecot -------------------------------------------------------------------------------
def set_dovecot_passwords(dovecot, users):
    """Rewrite the passwd-file passdb (Dovecot re-reads it when it changes)."""
    dovecot.users.update(users)
    passwd = os.path.join(dovecot.workdir, "passwd")
    tmp = passwd + ".tmp"
    with open(tmp, "w") as f:
        for user, password in dovecot.users.items():
            f.write(f"{user}:{{PLAIN}}{password}\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, passwd)
    # passwd-file notices a change by mtime (1 s resolution on some file systems).
    now = time.time() + 2
    os.utime(passwd, (now, now))


def kill_dovecot(dovecot):
    """SIGKILL the master and every child (imap, auth, ...) at once: a crash, not a shutdown."""
    p = dovecot._proc
    if p is None:
        return
    try:
        os.killpg(p.proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.proc.wait()
    p.out.close()
    ts._live.discard(p)
    dovecot._proc = None


def make_certificate(directory, ca_file, ca_key, name, san):
    """A server certificate for `san` (e.g. "DNS:mail.other.example") signed by the given CA;
    returns (cert_file, key_file)."""
    os.makedirs(directory, exist_ok=True)
    key, csr, cert, ext = (os.path.join(directory, f"{name}.{x}")
                           for x in ("key", "csr", "pem", "ext"))
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    ts._run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
             "-subj", f"/CN={san.split(':', 1)[1]}"], directory)
    ts._run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_file, "-CAkey", ca_key,
             "-CAcreateserial", "-out", cert, "-days", "7", "-extfile", ext], directory)
    os.chmod(key, 0o644)  # read by Dovecot's login process; a throwaway test key
    return cert, key


def imap_flags(dovecot, folder, user="tac@example.com"):
    """{Message-ID: set of flags} for every message in folder."""
    conn = dovecot.connect(user)
    try:
        typ, _ = conn.select(dovecot._quote(folder), readonly=True)
        if typ != "OK":
            return {}
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        out = {}
        for item in data or []:
            if not isinstance(item, tuple):
                continue
            meta = item[0].decode(errors="replace")
            flags = set(re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split())
            m = re.search(rb"<([^>]+)>", item[1])
            out[m.group(1).decode() if m else "?"] = flags
        return out
    finally:
        conn.logout()


def maildir_ids(dovecot, folder="INBOX", user="tac@example.com"):
    """Message-IDs of the messages in folder, read from the Maildir on disk: no IMAP login,
    so usable right after failed logins (Dovecot then delays logins from the address)."""
    root = os.path.join(dovecot.mail_dir, user)
    path = root if folder.upper() == "INBOX" else os.path.join(root, "." + folder)
    raws = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                with open(os.path.join(d, name), "rb") as f:
                    raws.append(f.read())
    return message_ids(raws)


def message_ids(raws):
    out = []
    for raw in raws:
        m = re.search(rb"(?im)^Message-ID:\s*<([^>]+)>", raw)
        out.append(m.group(1).decode() if m else None)
    return out


# -- a recording TCP relay -----------------------------------------------------------------
class TcpRelay:
    """Listens on a free loopback port and relays every connection to HOST:target_port,
    keeping what each client sent (`client_bytes[i]`) and what the server answered."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.client_bytes = []
        self.server_bytes = []
        self.server_chunks = []  # [(connection index, time.time() of arrival, bytes)]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)
        _relays.add(self)

    def _accept(self):
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection((HOST, self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            with self._lock:
                index = len(self.client_bytes)
                self.client_bytes.append(bytearray())
                self.server_bytes.append(bytearray())
            t = threading.Thread(target=self._pipe, args=(client, server, index), daemon=True)
            t.start()
            self._threads.append(t)

    def _pipe(self, client, server, index):
        socks = [client, server]
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select(socks, [], [], 0.2)
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    with self._lock:
                        (self.client_bytes if s is client else self.server_bytes)[index] += data
                        if s is server:
                            self.server_chunks.append((index, time.time(), data))
                    (server if s is client else client).sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def stop(self):
        self._stop.set()
        try:
            self.listener.close()
        except OSError:
            pass
        for t in self._threads:
            t.join(timeout=2)
        _relays.discard(self)


_relays = set()


# -- the daemon ----------------------------------------------------------------------------
class Daemon:
    """`tacmaild run --config CFG` in its own process group, output to files."""

    def __init__(self, config, workdir, name="tacmaild", log_level=None):
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        argv = [tacmaild_path()]
        if log_level:
            argv += ["--log-level", log_level]
        argv += ["run", "--config", config]
        env = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            env.pop(k, None)
        self._out = open(self.stdout_path, "ab")
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, env=env, start_new_session=True,
                                     preexec_fn=ts._die_with_parent)
        _daemons.add(self)

    def stderr(self):
        try:
            with open(self.stderr_path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def terminate(self, timeout=60):
        """SIGTERM and wait; returns the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self._close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self._close()

    def _close(self):
        for f in (self._out, self._err):
            if not f.closed:
                f.close()
        _daemons.discard(self)


_daemons = set()


@atexit.register
def _cleanup():
    for d in list(_daemons):
        try:
            d.kill()
        except Exception:  # noqa: BLE001 -- best effort at exit
            pass
    for r in list(_relays):
        try:
            r.stop()
        except Exception:  # noqa: BLE001
            pass
