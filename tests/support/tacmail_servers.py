"""Real mail servers on loopback for tacmail's end-to-end tests and demo.

DovecotServer runs a throwaway Dovecot (IMAP, implicit TLS / STARTTLS / plaintext) with its own
CA and certificate, config, logs and maildirs inside one work directory; SmtpSink runs
smtp_sink.py (aiosmtpd) and reads back what it accepted; write_config writes a tacmaild YAML
pointing at both. Every process started here is stopped at interpreter exit, and its process
group dies with the test process (PR_SET_PDEATHSIG), so a failing test leaves no orphans.

Shared by every e2e suite as well: request_headers (the header block of a support request),
tear_down_on_failure (undo a setUpClass / setUpModule that raised) and remove_work_dir (a
test's work directory, kept when TACMAIL_KEEP is set).
"""

import atexit
import contextlib
import ctypes
import email
import email.policy
import email.utils
import imaplib
import json
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = "127.0.0.1"
DOVECOT = shutil.which("dovecot", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") \
    or "/usr/sbin/dovecot"
# The Debian interpreter: python3-aiosmtpd is installed for it only.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

_live = set()  # every _Process still running, stopped at exit


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM when the test process dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _wait_port(port, proc, timeout, describe):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{describe} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{describe} did not listen on {HOST}:{port} within {timeout}s")


class _Process:
    """A child in its own process group; stop() = SIGTERM, then SIGKILL to the group."""

    def __init__(self, argv, out_path, cwd=None):
        self.out = open(out_path, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, cwd=cwd,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        _live.add(self)

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # The leader is not reaped yet, so the group id is still ours: kill the
                # master and its children (dovecot's imap, auth, ...) together.
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                self.proc.wait()
        # Children of a cleanly stopped master (dovecot's imap processes) can keep serving an
        # open session for ~30 s: a stopped server must stop serving at once.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.out.close()
        _live.discard(self)


@atexit.register
def _stop_all():
    for p in list(_live):
        try:
            p.stop(timeout=5)
        except Exception:  # noqa: BLE001 -- best effort at exit
            pass


def _run(argv, cwd):
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{r.stdout.decode(errors='replace')}")


def make_certificates(directory, name="server"):
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost.

    Returns (ca_file, cert_file, key_file)."""
    os.makedirs(directory, exist_ok=True)
    ca_key, ca = "ca.key", "ca.pem"
    key, csr, cert, ext = f"{name}.key", f"{name}.csr", f"{name}.pem", f"{name}.ext"
    days = "7"
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key,
          "-out", ca, "-days", days, "-subj", "/CN=tacmail test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], directory)
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
          "-subj", "/CN=localhost"], directory)
    with open(os.path.join(directory, ext), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n")
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
          "-CAcreateserial", "-out", cert, "-days", days, "-extfile", ext], directory)
    for p in (ca_key, key):
        os.chmod(os.path.join(directory, p), 0o600)
    return tuple(os.path.join(directory, p) for p in (ca, cert, key))


class DovecotServer:
    """A Dovecot IMAP server confined to `workdir`.

    tls: "implicit" (imaps listener), "starttls" (imap listener, ssl = required) or "none".
    users: {login: password}; every user's mail is a maildir under workdir/mail/<login>.
    extra_conf: text appended to dovecot.conf (e.g. "mail_debug = yes").
    """

    def __init__(self, workdir, tls="implicit", users=None, extra_conf="", start=True):
        if tls not in ("implicit", "starttls", "none"):
            raise ValueError(f"tls must be implicit, starttls or none, not {tls!r}")
        self.workdir = os.path.abspath(workdir)
        self.tls = tls
        self.users = dict(users or {"tac@example.com": "secret"})
        self.extra_conf = extra_conf
        self.host = HOST
        self.port = None
        self._proc = None
        os.makedirs(self.workdir, exist_ok=True)
        self.ca_file, self.cert_file, self.key_file = make_certificates(
            os.path.join(self.workdir, "tls"))
        self.log_path = os.path.join(self.workdir, "dovecot.log")
        self.conf_path = os.path.join(self.workdir, "dovecot.conf")
        self._prepare()
        if start:
            self.start()

    # -- configuration -------------------------------------------------------------------
    def _prepare(self):
        w = self.workdir
        self.mail_dir = os.path.join(w, "mail")
        os.makedirs(self.mail_dir, exist_ok=True)
        os.makedirs(os.path.join(w, "state"), exist_ok=True)
        passwd = os.path.join(w, "passwd")
        with open(passwd, "w") as f:
            for user, password in self.users.items():
                f.write(f"{user}:{{PLAIN}}{password}\n")
        os.chmod(passwd, 0o644)  # read by the auth service (user dovecot); test secrets only

        me = pwd.getpwuid(os.getuid())
        if os.getuid() == 0:
            # Dovecot refuses uid 0 for mail access: mail belongs to nobody, so the work
            # directory must be traversable by it.
            try:
                mail_uid, mail_gid = pwd.getpwnam("nobody")[2:4]
            except KeyError:
                mail_uid, mail_gid = 65534, 65534
            os.chmod(w, 0o711)
            os.chown(self.mail_dir, mail_uid, mail_gid)
            self._check_traversable(w)
            service_users = ""  # the packaged dovecot / dovenull users
        else:
            mail_uid, mail_gid = os.getuid(), os.getgid()
            # Unprivileged: every service runs as us, without chroot.
            service_users = (f"default_login_user = {me.pw_name}\n"
                             f"default_internal_user = {me.pw_name}\n"
                             f"default_internal_group = {grp.getgrgid(os.getgid()).gr_name}\n"
                             "service anvil {\n  chroot =\n}\n")
        self._conf_static = f"""\
# Generated by tests/support/tacmail_servers.py: a throwaway Dovecot for tests.
instance_name = tacmail-test-{os.path.basename(w)}
base_dir = {w}/run
state_dir = {w}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = imap
listen = {HOST}
ssl = @SSL@
ssl_cert = <{self.cert_file}
ssl_key = <{self.key_file}
disable_plaintext_auth = @DISABLE_PLAINTEXT_AUTH@
auth_mechanisms = plain login
first_valid_uid = {min(mail_uid, 100)}
last_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{self.mail_dir}/%u
{service_users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={self.mail_dir}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  {"" if os.getuid() == 0 else "chroot ="}
  inet_listener imap {{
    port = @IMAP_PORT@
  }}
  inet_listener imaps {{
    port = @IMAPS_PORT@
    ssl = yes
  }}
}}
"""

    @staticmethod
    def _check_traversable(path):
        """Dovecot's mail user must reach path: give o+x to our own temp directories on the
        way (mkdtemp makes them 0700), refuse anything else."""
        tmp = os.path.realpath(tempfile.gettempdir())
        p = os.path.dirname(os.path.realpath(path))
        while p and p != "/":
            st = os.stat(p)
            if not st.st_mode & 0o001:
                if p.startswith(tmp + "/") and st.st_uid == os.getuid():
                    os.chmod(p, (st.st_mode & 0o7777) | 0o001)
                else:
                    raise RuntimeError(
                        f"{p} is not traversable by others; Dovecot's mail user (nobody) "
                        f"cannot reach {path}. Use a work directory under {tmp}.")
            p = os.path.dirname(p)

    def _write_conf(self):
        imap_port, imaps_port = (0, self.port) if self.tls == "implicit" else (self.port, 0)
        text = (self._conf_static
                .replace("@SSL@", {"implicit": "yes", "starttls": "required",
                                   "none": "no"}[self.tls])
                .replace("@DISABLE_PLAINTEXT_AUTH@", "no" if self.tls == "none" else "yes")
                .replace("@IMAP_PORT@", str(imap_port))
                .replace("@IMAPS_PORT@", str(imaps_port)))
        with open(self.conf_path, "w") as f:
            f.write(text + self.extra_conf + "\n")

    # -- process -----------------------------------------------------------------------
    def start(self, timeout=15):
        if self._proc is not None:
            return
        attempts = 3 if self.port is None else 1
        for attempt in range(attempts):
            if attempts > 1:
                self.port = free_port()
            self._write_conf()
            self._proc = _Process([DOVECOT, "-F", "-c", self.conf_path],
                                  os.path.join(self.workdir, "dovecot.stdout"), cwd=self.workdir)
            try:
                _wait_port(self.port, self._proc.proc, timeout, "dovecot")
                return
            except RuntimeError as e:
                self._proc.stop()
                self._proc = None
                if attempt + 1 == attempts or "in use" not in self.log_text():
                    raise RuntimeError(f"{e}\n--- dovecot log ---\n{self.log_text()}") from None

    def stop(self):
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def restart(self):
        """Stop and start again on the same port with the same mail."""
        self.stop()
        self.start()

    def running(self):
        return self._proc is not None and self._proc.proc.poll() is None

    def log_text(self):
        """Dovecot's log and anything it printed before the log was open."""
        text = ""
        for p in (os.path.join(self.workdir, "dovecot.stdout"), self.log_path):
            if os.path.exists(p):
                with open(p, "r", errors="replace") as f:
                    text += f.read()
        return text

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- IMAP client helpers ---------------------------------------------------------
    def ssl_context(self, ca_file=None):
        return ssl.create_default_context(cafile=ca_file or self.ca_file)

    def connect(self, user="tac@example.com", ca_file=None, login=True):
        """An imaplib connection, TLS verified against ca_file (default: our CA)."""
        if self.tls == "implicit":
            conn = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=self.ssl_context(ca_file),
                                     timeout=15)
        else:
            conn = imaplib.IMAP4(self.host, self.port, timeout=15)
            if self.tls == "starttls":
                conn.starttls(self.ssl_context(ca_file))
        if login:
            conn.login(user, self.users[user])
        return conn

    @staticmethod
    def _quote(folder):
        return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def append(self, folder, raw, user="tac@example.com", flags=None):
        """APPEND raw bytes to folder, creating it if missing; returns the new UID or None."""
        if isinstance(raw, str):
            raw = raw.encode()
        conn = self.connect(user)
        try:
            data = self._append_all(conn, folder, [raw], user, flags)
            text = data[0].decode() if data and data[0] else ""
            if "APPENDUID" in text:
                return int(text.split("APPENDUID", 1)[1].split("]")[0].split()[1])
            return None
        finally:
            conn.logout()

    def append_many(self, folder, raws, user="tac@example.com", flags=None):
        """APPEND every raw message over one connection, creating folder if missing."""
        conn = self.connect(user)
        try:
            self._append_all(conn, folder, raws, user, flags)
        finally:
            conn.logout()

    def _append_all(self, conn, folder, raws, user, flags):
        """Over conn: CREATE folder if missing (not INBOX), then APPEND each raw in turn,
        raising on the first refused one; returns the last APPEND's response data."""
        if folder.upper() != "INBOX" and folder not in self.folders(user, conn=conn):
            conn.create(self._quote(folder))
        data = None
        for raw in raws:
            typ, data = conn.append(self._quote(folder), flags, None, raw)
            if typ != "OK":
                raise RuntimeError(f"APPEND to {folder} failed: {data}")
        return data

    def status(self, folder, user="tac@example.com"):
        """{"MESSAGES": n, "UIDVALIDITY": v, "UIDNEXT": u} of folder; raises when the server
        cannot say (a count that silently reads 0 would pass every "nothing left" check)."""
        conn = self.connect(user)
        try:
            typ, data = conn.status(self._quote(folder), "(MESSAGES UIDVALIDITY UIDNEXT)")
            if typ != "OK":
                raise RuntimeError(f"STATUS {folder} failed: {data}")
            text = data[0].decode()
            return {k: int(v) for k, v in re.findall(r"([A-Z]+) (\d+)", text.split("(", 1)[1])}
        finally:
            conn.logout()

    def messages(self, folder, user="tac@example.com"):
        """Raw bytes of every message in folder, in UID order; [] if the folder is missing."""
        conn = self.connect(user)
        try:
            typ, _ = conn.select(self._quote(folder), readonly=True)
            if typ != "OK":
                return []
            typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
            if typ != "OK":
                raise RuntimeError(f"FETCH in {folder} failed: {data}")
            return [item[1] for item in data if isinstance(item, tuple)]
        except imaplib.IMAP4.error:
            return []
        finally:
            conn.logout()

    def folders(self, user="tac@example.com", conn=None):
        """Names of the user's folders."""
        own = conn is None
        conn = conn or self.connect(user)
        try:
            typ, data = conn.list()
            names = []
            for line in data or []:
                if not line:
                    continue
                line = line.decode() if isinstance(line, bytes) else str(line)
                # (\Flags) "/" name  -- name may be quoted
                name = line.split(") ", 1)[1].split(" ", 1)[1]
                if name.startswith('"') and name.endswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                names.append(name)
            return names
        finally:
            if own:
                conn.logout()


class SmtpSink:
    """smtp_sink.py on a free loopback port, spooling to workdir/spool."""

    def __init__(self, workdir, start=True):
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.spool = os.path.join(self.workdir, "spool")
        self.control_file = os.path.join(self.workdir, "control.json")
        self.log_path = os.path.join(self.workdir, "smtp_sink.log")
        self.host = HOST
        self.port = None
        self._proc = None
        if start:
            self.start()

    def start(self, timeout=15):
        if self._proc is not None:
            return
        if self.port is None:
            self.port = free_port()
        self._proc = _Process([PYTHON, os.path.join(HERE, "smtp_sink.py"), "--host", HOST,
                               "--port", str(self.port), "--spool", self.spool,
                               "--control", self.control_file], self.log_path)
        try:
            _wait_port(self.port, self._proc.proc, timeout, "smtp_sink")
        except RuntimeError as e:
            self.stop()
            raise RuntimeError(f"{e}\n--- smtp_sink log ---\n{self.log_text()}") from None

    def stop(self):
        if self._proc is not None:
            self._proc.stop()
            self._proc = None

    def log_text(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def set_control(self, **control):
        """Fault mode, e.g. set_control(reject_next=2, code=451); no arguments clears it."""
        with open(self.control_file + ".tmp", "w") as f:
            json.dump(control, f)
        os.replace(self.control_file + ".tmp", self.control_file)

    def count(self):
        if not os.path.isdir(self.spool):
            return 0
        return sum(1 for n in os.listdir(self.spool) if n.endswith(".json"))

    def messages(self):
        """[(envelope dict, email.message.EmailMessage, raw bytes)] in arrival order."""
        out = []
        if not os.path.isdir(self.spool):
            return out
        for name in sorted(n for n in os.listdir(self.spool) if n.endswith(".json")):
            base = os.path.join(self.spool, name[:-5])
            with open(base + ".json") as f:
                envelope = json.load(f)
            with open(base + ".eml", "rb") as f:
                raw = f.read()
            out.append((envelope, email.message_from_bytes(raw, policy=email.policy.default),
                        raw))
        return out

    def wait_for(self, count, timeout=30):
        """messages() once at least `count` arrived; raises TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while self.count() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"smtp sink has {self.count()} messages, expected {count} "
                                   f"within {timeout}s")
            time.sleep(0.05)
        return self.messages()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# -- shared by the test suites ----------------------------------------------------------------

def request_headers(sender, subject, message_id, display_name=None, date=None, extra=()):
    """The header block of a support request to tac@example.com: From, To, Subject, Date,
    Message-ID, MIME-Version, Content-Type (text/plain, UTF-8), then the `extra` header lines
    (without line ends) in order. Returns a str with CRLF line ends, ending in the blank line
    that separates it from the body.

    From is "display_name <sender>", or the bare sender without a display name. date: the
    Date value, default now (RFC 5322, UTC). message_id: without angle brackets; a value that
    starts with "<" is written as it is (for malformed or injected Message-IDs). Every value
    is written verbatim, so a test can put folding or injection attempts into one."""
    if not message_id.startswith("<"):
        message_id = f"<{message_id}>"
    lines = [
        f"From: {display_name} <{sender}>" if display_name else f"From: {sender}",
        "To: tac@example.com",
        f"Subject: {subject}",
        f"Date: {date or email.utils.formatdate(localtime=False)}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        *extra,
    ]
    return "\r\n".join(lines) + "\r\n\r\n"


@contextlib.contextmanager
def tear_down_on_failure(tear_down):
    """Runs tear_down() and re-raises when the body raises anything (KeyboardInterrupt too).

    For a setUpClass or setUpModule, whose tearDownClass / tearDownModule unittest calls only
    after it succeeded, and for constructors that start servers: the servers and work
    directory of a setup that failed half-way would otherwise outlive the test."""
    try:
        yield
    except BaseException:
        tear_down()
        raise


def remove_work_dir(path, owner=None):
    """Removes a test's work directory; when TACMAIL_KEEP is set, keeps it and says where on
    stderr instead. owner (e.g. a test id) is named in that message."""
    if os.environ.get("TACMAIL_KEEP"):
        of = f" of {owner}" if owner else ""
        sys.stderr.write(f"\n[TACMAIL_KEEP: work directory{of} kept at {path}]\n")
        sys.stderr.flush()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _yaml_str(s):
    return json.dumps(str(s))  # a JSON string is a valid YAML double-quoted scalar


def write_config(path, dovecot, smtp, db_path, mailbox_name="tac", folder="INBOX",
                 poll_interval="1s", idle=False, user="tac@example.com",
                 processed_folder="Processed", quarantine_folder="Quarantine", extra=""):
    """Write a tacmaild YAML (CONTRACT.md) for these servers; returns path.

    The IMAP password goes to a file next to the config (password_file), mode 0600."""
    path = os.path.abspath(path)
    password_file = os.path.join(os.path.dirname(path), f"{mailbox_name}.imap-password")
    with open(password_file, "w") as f:
        f.write(dovecot.users[user] + "\n")
    os.chmod(password_file, 0o600)
    text = f"""\
# tacmaild config written by tests/support/tacmail_servers.py
mailboxes:
  - name: {_yaml_str(mailbox_name)}
    imap:
      host: {dovecot.host}
      port: {dovecot.port}
      tls: {dovecot.tls}
      ca_file: {_yaml_str(dovecot.ca_file)}
      username: {_yaml_str(user)}
      password_file: {_yaml_str(password_file)}
      folder: {_yaml_str(folder)}
      processed_folder: {_yaml_str(processed_folder)}
      quarantine_folder: {_yaml_str(quarantine_folder)}
      idle: {"true" if idle else "false"}
      poll_interval: {poll_interval}
smtp:
  url: smtp://{smtp.host}:{smtp.port}
  tls: none
  from: "Technical Support <tac@example.com>"
storage:
  sqlite: {_yaml_str(db_path)}
{extra}"""
    with open(path, "w") as f:
        f.write(text)
    return path


TacmailConfig = write_config  # the name the brief also allows
