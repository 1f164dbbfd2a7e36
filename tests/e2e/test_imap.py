"""IMAP client integration tests (issue 5) against a Dovecot started by each test.

Each test has its own Dovecot (and SMTP sink) on free loopback ports and runs
`tacmaild run --once` unless it says otherwise:
  1 STARTTLS really used (a recording relay sees STARTTLS, then only TLS records)
  2 a wrong CA and a certificate for another host name are refused, nothing lost
  3 XOAUTH2 against Dovecot, the token rotated through the file, a bad token fails loudly once
  4 IDLE pickup in daemon mode, with APPEND->reply latency over 20 mails (p50/p99)
  5 Dovecot SIGKILLed and restarted mid-batch: 200 mails, 200 cases, exactly once
  6 the folder deleted and recreated (new UIDVALIDITY): no duplicate case
  7 no MOVE: COPY + \\Deleted + UID EXPUNGE; another client's \\Deleted mail is kept
  8 two mailboxes at once; one failing does not stop the other
  9 a message over limits.max_message_size is quarantined and the rest go on

Environment: TACMAILD = the tacmaild binary; TACMAIL_KEEP=1 keeps the work directories.
Figures (latencies, counts at the kill) are printed to stderr in [brackets].
"""

import collections
import imaplib
import os
import re
import socket
import ssl
import statistics
import sys
import tempfile
import time
import unittest
from datetime import datetime

import imap_e2e_support as ims
import tacmail_servers as ts

RUN_TIMEOUT = 240


def note(text):
    sys.stderr.write(f"\n[{text}]\n")
    sys.stderr.flush()


class ImapTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        ims.tacmaild_path()
        self.dir = tempfile.mkdtemp(prefix="tacmail-imap-")
        self.addCleanup(ts.remove_work_dir, self.dir, self.id())
        self._servers = []

    # -- servers and config ----------------------------------------------------------------
    def dovecot(self, name="dovecot", cls=ts.DovecotServer, **kw):
        d = cls(os.path.join(self.dir, name), **kw)
        self.addCleanup(d.stop)
        self._servers.append(d)
        return d

    def sink(self):
        s = ts.SmtpSink(os.path.join(self.dir, "smtp"))
        self.addCleanup(s.stop)
        self.smtp = s
        return s

    def config(self, mailboxes, extra="", name="tacmaild.yaml"):
        self.db = os.path.join(self.dir, "cases.db")
        self.cfg = ims.write_imap_config(os.path.join(self.dir, name), mailboxes, self.smtp,
                                         self.db, extra)
        return self.cfg

    def once(self, cfg=None):
        r = ims.run_tacmaild("run", "--config", cfg or self.cfg, "--once", timeout=RUN_TIMEOUT)
        self.last_run = r
        return r

    def daemon(self, name="tacmaild"):
        d = ims.Daemon(self.cfg, self.dir, name=name)
        self.addCleanup(d.kill)
        return d

    def diag(self, result=None, daemon=None):
        text = ""
        if result is not None:
            text += ims.describe(result)
        if daemon is not None:
            text += f"\n--- tacmaild stderr (tail) ---\n{daemon.stderr()[-8000:]}"
        for d in self._servers:
            text += f"\n--- {os.path.basename(d.workdir)} log (tail) ---\n{d.log_text()[-3000:]}"
        return text

    def case_ids(self):
        """{Message-ID: [distinct case numbers]} over every case. (A recognised copy of a mail
        is recorded in its case as a duplicate, so one case may list an id twice.)"""
        out = {}
        for c in ims.cases(self.cfg):
            for m in dict.fromkeys(ims.mid(m) for m in c.get("message_ids", [])):
                out.setdefault(m, []).append(c["case_number"])
        return out

    def assert_cased_once(self, ids, result=None, daemon=None):
        found = self.case_ids()
        for m in ids:
            self.assertEqual(len(found.get(m, [])), 1,
                             f"<{m}> is in cases {found.get(m)}, expected exactly one\n"
                             + self.diag(result, daemon))


# =============================================================================================
class StartTlsTest(ImapTest):
    """1. tls: starttls on the plain port, through a relay that records the client's bytes."""

    def test_starttls_is_used_before_any_credential(self):
        d = self.dovecot(tls="starttls")
        self.sink()
        relay = ims.TcpRelay(d.port)
        self.addCleanup(relay.stop)
        raw, mid = ims.make_mail()
        d.append("INBOX", raw)
        self.config([ims.mailbox_for(d, port=relay.port, tls="starttls")])

        r = self.once()
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assert_cased_once([mid], r)
        self.smtp.wait_for(1, timeout=30)
        self.assertEqual(len(d.messages("INBOX")), 0, self.diag(r))
        self.assertEqual(ims.message_ids(d.messages("Processed")), [mid])

        self.assertEqual(len(relay.client_bytes), 1, "tacmaild made one connection")
        sent = bytes(relay.client_bytes[0])
        start = sent.find(b"STARTTLS\r\n")
        self.assertGreaterEqual(start, 0, f"no STARTTLS sent; client bytes: {sent[:300]!r}")
        before = sent[:start]
        for word in (b"LOGIN", b"AUTHENTICATE", b"secret"):
            self.assertNotIn(word, before, f"{word!r} sent before STARTTLS: {before!r}")
        after = sent[start + len(b"STARTTLS\r\n"):]
        # The next client bytes are a TLS handshake record (ClientHello), never IMAP text.
        self.assertEqual(after[:1], b"\x16", f"after STARTTLS: {after[:40]!r}")
        self.assertIn(after[1:3], (b"\x03\x01", b"\x03\x03"), f"after STARTTLS: {after[:40]!r}")
        for word in (b"LOGIN", b"AUTHENTICATE", b"SELECT", b"UID ", b"LOGOUT", b"secret",
                     b"AHRhY0BleGFtcGxlLmNvbQBzZWNyZXQ="):  # base64 of \0tac@example.com\0secret
            self.assertNotIn(word, after, f"plaintext {word!r} after STARTTLS")
        self.assertIn(b"OK Begin TLS", bytes(relay.server_bytes[0]))
        note(f"starttls: {len(before)} cleartext bytes before STARTTLS: {before!r}")


# =============================================================================================
class _NoHostCheckDovecot(ts.DovecotServer):
    """The test's own IMAP helpers skip the host-name check (the CA is still verified):
    this server's certificate deliberately names another host."""

    def ssl_context(self, ca_file=None):
        ctx = super().ssl_context(ca_file)
        ctx.check_hostname = False
        return ctx


class CertificateTest(ImapTest):
    """2. A wrong CA and a certificate for another host name are refused; nothing is lost."""

    def check_refused(self, d, mid, pattern):
        log_before = len(d.log_text())
        r = self.once()
        during = d.log_text()[log_before:]
        self.assertNotEqual(r.returncode, 0, self.diag(r))
        self.assertRegex(r.stderr, pattern, self.diag(r))
        self.assertEqual(ims.cases(self.cfg), [], self.diag(r))
        self.assertEqual(ims.message_ids(d.messages("INBOX")), [mid], self.diag(r))
        self.assertEqual(self.smtp.count(), 0)
        self.assertNotIn("Login: user=", during, "tacmaild may not have logged in")
        self.assertIn("SSL_accept() failed", during, "the client aborted the handshake")
        return r

    def test_wrong_ca_is_refused(self):
        d = self.dovecot()
        self.sink()
        other_ca, _, _ = ts.make_certificates(os.path.join(self.dir, "other-ca"))
        raw, mid = ims.make_mail()
        d.append("INBOX", raw)
        self.config([ims.mailbox_for(d, ca_file=other_ca)])
        r = self.check_refused(d, mid, r"(?i)certificate verify failed")
        note("wrong CA: " + next((l for l in r.stderr.splitlines() if "certificate" in l), "")[:300])

    def test_certificate_for_another_host_is_refused(self):
        d = self.dovecot(cls=_NoHostCheckDovecot, start=False)
        cert, key = ims.make_certificate(os.path.join(d.workdir, "tls"), d.ca_file,
                                         os.path.join(d.workdir, "tls", "ca.key"), "other",
                                         "DNS:mail.other.example")
        d.extra_conf = f"ssl_cert = <{cert}\nssl_key = <{key}\n"
        d.start()
        # Control: the chain itself is good; only the name does not match 127.0.0.1.
        ctx = ssl.create_default_context(cafile=d.ca_file)
        with socket.create_connection((d.host, d.port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="mail.other.example") as tls:
                self.assertIn("mail.other.example", str(tls.getpeercert()["subjectAltName"]))
        with self.assertRaises(ssl.SSLCertVerificationError):
            with socket.create_connection((d.host, d.port), timeout=10) as s:
                ctx.wrap_socket(s, server_hostname=d.host).close()

        self.sink()
        raw, mid = ims.make_mail()
        d.append("INBOX", raw)
        self.config([ims.mailbox_for(d)])  # host 127.0.0.1, the right CA
        r = self.check_refused(d, mid, r"(?i)certificate verify failed|host ?name|mismatch")
        note("host-name mismatch: " +
             next((l for l in r.stderr.splitlines() if "TLS" in l), "")[:300])


# =============================================================================================
class XOAuth2Test(ImapTest):
    """3. XOAUTH2 with the token verified by Dovecot's passdb: Dovecot 2.3's oauth2 mechanisms
    hand the bearer token to the passdb as the password when no oauth2 passdb is configured
    (checked with imaplib: AUTHENTICATE XOAUTH2 with the correct string logs in)."""

    TOKEN1, TOKEN2, BAD = "token-one-7f3a", "token-two-c91e", "token-expired-0000"

    def setup_xoauth2(self):
        d = self.dovecot(users={"tac@example.com": self.TOKEN1},
                         extra_conf="auth_mechanisms = plain login xoauth2\n")
        self.sink()
        self.token_file = os.path.join(self.dir, "imap-token")
        ims.write_secret(self.token_file, self.TOKEN1)
        self.config([ims.mailbox_for(d, auth="xoauth2", password_file=None,
                                     oauth2_token_file=self.token_file)])
        check = ims.run_tacmaild("check-config", "--config", self.cfg)
        self.assertEqual(check.returncode, 0, ims.describe(check))
        return d

    # Regression: "\x01auth" once read as the hex escape "\x01a", and no XOAUTH2 login worked.
    def test_xoauth2_login_and_token_rotation(self):
        d = self.setup_xoauth2()
        raw1, mid1 = ims.make_mail()
        d.append("INBOX", raw1)
        r = self.once()
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assert_cased_once([mid1], r)
        self.assertEqual(d.log_text().count("method=XOAUTH2"), 1, self.diag(r))

        # Rotate: the server accepts only the new token; tacmaild reads the file again.
        ims.set_dovecot_passwords(d, {"tac@example.com": self.TOKEN2})
        ims.write_secret(self.token_file, self.TOKEN2)
        raw2, mid2 = ims.make_mail()
        # Dovecot notices the rewritten passwd file by its mtime on a later lookup: the
        # harness's own login may need a moment.
        deadline = time.monotonic() + 20
        while True:
            try:
                d.append("INBOX", raw2)
                break
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        r = self.once()
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assert_cased_once([mid1, mid2], r)
        self.assertEqual(d.log_text().count("Login: user=<tac@example.com>, method=XOAUTH2"), 2,
                         self.diag(r))
        self.assertEqual(len(d.messages("INBOX")), 0)
        self.assertEqual(self.smtp.count(), 2)

    def test_xoauth2_wrong_token_fails_loudly_once(self):
        d = self.setup_xoauth2()
        ims.write_secret(self.token_file, self.BAD)
        raw, mid = ims.make_mail()
        d.append("INBOX", raw)
        r = self.once()
        self.assertNotEqual(r.returncode, 0, self.diag(r))
        failures = re.findall(r"(?im)^.*authentication failed for.*$", r.stderr)
        self.assertEqual(len(failures), 1, self.diag(r))
        self.assertEqual(len(re.findall(r"method=XOAUTH2", d.log_text())), 3,
                         "three attempts (run --once gives up after 3)")
        self.assertNotIn(self.BAD, r.stderr, "the token must not be logged")
        # From disk: after three failed logins Dovecot delays logins from 127.0.0.1.
        self.assertEqual(ims.maildir_ids(d, "INBOX"), [mid])
        self.assertEqual(ims.cases(self.cfg), [])
        note(f"xoauth2 bad token logged: {failures[0].strip()[:300]}")


# =============================================================================================
def _received_at(envelope):
    return datetime.fromisoformat(envelope["received_at"]).timestamp()


def _percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


class IdleTest(ImapTest):
    """4. Daemon mode with IDLE: a mail APPENDed while tacmaild idles is answered within a few
    seconds; latency APPEND->reply accepted by the SMTP server over 20 mails."""

    MAILS = 20

    @staticmethod
    def _quiet_logout(conn):
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass

    def measure(self, d, daemon, relay=None):
        warm, warm_mid = ims.make_mail()
        d.append("INBOX", warm)
        self.smtp.wait_for(1, timeout=60)
        ims.wait_until(lambda: len(d.messages("Processed")) == 1, timeout=30,
                       message="warm-up mail moved")
        time.sleep(1.0)  # let the daemon re-enter IDLE; not needed for correctness
        conn = d.connect()
        self.addCleanup(self._quiet_logout, conn)
        latencies, exists_to_reply = [], []
        for i in range(self.MAILS):
            raw, mid = ims.make_mail()
            typ, data = conn.append("INBOX", None, None, raw)
            appended = time.time()
            self.assertEqual(typ, "OK", data)
            msgs = self.smtp.wait_for(i + 2, timeout=30)
            envelope, msg, _ = msgs[-1]
            self.assertIn(mid, str(msg["In-Reply-To"]))
            latencies.append(_received_at(envelope) - appended)
            if relay is not None:
                # The server's EXISTS for this mail: the first chunk with EXISTS after APPEND.
                exists = [t for (_, t, b) in list(relay.server_chunks)
                          if t >= appended and b" EXISTS" in b]
                if exists:
                    exists_to_reply.append(_received_at(envelope) - exists[0])
            time.sleep(0.3)  # the daemon is back in IDLE before the next mail
        self.assertTrue(daemon.alive(), self.diag(daemon=daemon))
        return latencies, exists_to_reply

    def test_idle_pickup_latency(self):
        d = self.dovecot()
        self.sink()
        # A 60 s poll interval: only IDLE can explain a pickup within seconds.
        self.config([ims.mailbox_for(d, idle=True, poll_interval="60s")])
        daemon = self.daemon()
        latencies, _ = self.measure(d, daemon)
        p50, p99 = statistics.median(latencies), _percentile(latencies, 99)
        note(f"IDLE APPEND->reply over {len(latencies)} mails: p50 {p50 * 1000:.0f} ms, "
             f"p99 {p99 * 1000:.0f} ms, min {min(latencies) * 1000:.0f} ms, "
             f"max {max(latencies) * 1000:.0f} ms")
        self.assertLess(p99, 5.0, f"{latencies}\n{self.diag(daemon=daemon)}")
        self.assertEqual(len(self.case_ids()), self.MAILS + 1)
        self.assertEqual(daemon.terminate(), 0, self.diag(daemon=daemon))

    def test_idle_exists_to_reply(self):
        """Cleartext through a recording relay, so the server's EXISTS can be timestamped:
        the part of the latency that is tacmaild's own (EXISTS -> reply accepted)."""
        d = self.dovecot(tls="none")
        self.sink()
        relay = ims.TcpRelay(d.port)
        self.addCleanup(relay.stop)
        self.config([ims.mailbox_for(d, port=relay.port, tls="none", idle=True,
                                     poll_interval="60s")])
        daemon = self.daemon()
        latencies, own = self.measure(d, daemon, relay)
        self.assertEqual(len(own), self.MAILS, "an EXISTS was seen for every mail")
        note(f"cleartext IDLE over {len(latencies)} mails: APPEND->reply p50 "
             f"{statistics.median(latencies) * 1000:.0f} ms p99 "
             f"{_percentile(latencies, 99) * 1000:.0f} ms; EXISTS->reply p50 "
             f"{statistics.median(own) * 1000:.1f} ms p99 {_percentile(own, 99) * 1000:.1f} ms")
        self.assertLess(_percentile(own, 99), 2.0, f"{own}")
        self.assertEqual(daemon.terminate(), 0, self.diag(daemon=daemon))


# =============================================================================================
class DovecotCrashTest(ImapTest):
    """5. Dovecot SIGKILLed after ~50 of 200 cases and restarted 2 s later: every mail cased
    and answered exactly once, none lost, each exactly once in Processed. A kill inside
    Dovecot's own MOVE (its copy into Processed made, its expunge from INBOX not) leaves the
    mail in both folders; tacmaild recognises it as already cased, finds the copy in Processed
    by Message-ID and size, and only removes it from INBOX."""

    TOTAL = 200

    def test_kill_and_restart_mid_batch(self):
        """fetch_batch 100: the kill lands while the fetched batch is being committed."""
        self.kill_and_restart(fetch_batch=100)

    def test_kill_and_restart_small_batches(self):
        """fetch_batch 7: the kill lands among FETCH / MOVE round trips."""
        self.kill_and_restart(fetch_batch=7)

    def kill_and_restart(self, fetch_batch):
        d = self.dovecot()
        self.sink()
        mails = [ims.make_mail() for _ in range(self.TOTAL)]
        d.append_many("INBOX", [raw for raw, _ in mails])
        self.config([ims.mailbox_for(d, idle=True, poll_interval="2s", fetch_batch=fetch_batch,
                                     command_timeout="20s", reconnect_max="4s")])
        daemon = self.daemon()
        ims.wait_until(lambda: ims.count_cases(self.db) >= 50 or not daemon.alive(),
                       timeout=120, interval=0.005, message="50 cases")
        self.assertTrue(daemon.alive(), self.diag(daemon=daemon))
        ims.kill_dovecot(d)
        at_kill = ims.count_cases(self.db)
        time.sleep(2)
        after_down = ims.count_cases(self.db)
        d.start()
        note(f"fetch_batch {fetch_batch}: dovecot killed at {at_kill} cases "
             f"({after_down} after 2 s down)")
        try:
            ims.wait_until(lambda: ims.count_cases(self.db) >= self.TOTAL, timeout=180,
                           message=f"{self.TOTAL} cases")
            ims.wait_until(lambda: len(d.messages("INBOX")) == 0, timeout=60,
                           message="INBOX drained")
            self.smtp.wait_for(self.TOTAL, timeout=120)
        except TimeoutError as e:
            self.fail(f"{e}; {ims.count_cases(self.db)} cases\n{self.diag(daemon=daemon)}")
        time.sleep(1)  # anything extra (a duplicate case or reply) would show up now
        self.assert_cased_once([m for _, m in mails], daemon=daemon)
        self.assertEqual(len(ims.cases(self.cfg)), self.TOTAL)
        copies = collections.Counter(ims.message_ids(d.messages("Processed")))
        self.assertEqual(set(copies), {m for _, m in mails}, "every mail in Processed")
        twice = sorted(m for m, n in copies.items() if n > 1)
        self.assertEqual(twice, [], "mails in Processed more than once")
        self.assertEqual(d.messages("INBOX"), [])
        replies = self.smtp.messages()
        self.assertEqual(len(replies), self.TOTAL)
        answered = sorted(ims.mid(str(msg["In-Reply-To"])) for _, msg, _ in replies)
        self.assertEqual(answered, sorted(m for _, m in mails))
        log = daemon.stderr()
        self.assertEqual(daemon.terminate(), 0, self.diag(daemon=daemon))
        reconnects = log.count("reconnecting in")
        note(f"crash test: {reconnects} reconnect(s) logged; "
             f"{log.count('already recorded')} message(s) recognised after the restart; "
             f"{log.count('(an interrupted move had copied it)')} found already in Processed")


# =============================================================================================
class UidValidityTest(ImapTest):
    """6. Folder deleted and recreated (new UIDVALIDITY) with the same mails: no duplicate."""

    def test_recreated_folder_gives_no_duplicate(self):
        d = self.dovecot()
        self.sink()
        mails = [ims.make_mail() for _ in range(5)]
        d.append_many("Support", [raw for raw, _ in mails])
        self.config([ims.mailbox_for(d, folder="Support")])
        before = d.status("Support")["UIDVALIDITY"]
        r = self.once()
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assert_cased_once([m for _, m in mails], r)
        self.smtp.wait_for(5)
        raws = d.messages("Processed")
        self.assertEqual(len(raws), 5)

        conn = d.connect()
        try:
            self.assertEqual(conn.delete('"Support"')[0], "OK")
            self.assertEqual(conn.create('"Support"')[0], "OK")
        finally:
            conn.logout()
        new, new_mid = ims.make_mail()
        d.append_many("Support", raws + [new])
        after = d.status("Support")["UIDVALIDITY"]
        self.assertNotEqual(before, after, "Dovecot gave the recreated folder a new UIDVALIDITY")

        r = self.once()
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assertRegex(r.stderr, r"UIDVALIDITY changed", self.diag(r))
        all_ids = [m for _, m in mails] + [new_mid]
        self.assert_cased_once(all_ids, r)
        self.assertEqual(len(ims.cases(self.cfg)), 6, self.diag(r))
        self.assertEqual(d.messages("Support"), [])
        processed = ims.message_ids(d.messages("Processed"))
        self.assertEqual(len(processed), 11)
        self.assertEqual(set(processed), set(all_ids))
        time.sleep(0.5)
        self.assertEqual(self.smtp.count(), 6, "no second reply for a recognised mail")
        note(f"UIDVALIDITY {before} -> {after}: 6 cases, 6 replies")


# =============================================================================================
NO_MOVE_CAPS = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE AUTH=PLAIN UIDPLUS"


class NoMoveTest(ImapTest):
    """7. A server without MOVE: COPY + \\Deleted + UID EXPUNGE of tacmaild's own UIDs only.
    Cleartext (tls: none) through a relay, so the commands themselves can be checked."""

    def test_copy_store_expunge_fallback(self):
        d = self.dovecot(tls="none", extra_conf=f"imap_capability = {NO_MOVE_CAPS}\n")
        self.sink()
        conn = d.connect()
        try:
            self.assertNotIn("MOVE", conn.capabilities)
            self.assertIn("UIDPLUS", conn.capabilities)
        finally:
            conn.logout()
        relay = ims.TcpRelay(d.port)
        self.addCleanup(relay.stop)
        deleted_raw, deleted_mid = ims.make_mail(subject="flagged by another client")
        d.append("INBOX", deleted_raw, flags="(\\Deleted)")
        mails = [ims.make_mail() for _ in range(3)]
        d.append_many("INBOX", [raw for raw, _ in mails])
        self.config([ims.mailbox_for(d, port=relay.port, tls="none")])

        r = self.once()
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assert_cased_once([m for _, m in mails], r)
        self.assertEqual(len(ims.cases(self.cfg)), 3)
        self.assertNotIn(deleted_mid, self.case_ids(), "an UNDELETED search skips it")
        self.assertEqual(sorted(ims.message_ids(d.messages("Processed"))),
                         sorted(m for _, m in mails))
        inbox = ims.imap_flags(d, "INBOX")
        self.assertEqual(list(inbox), [deleted_mid], "only the other client's mail is left")
        self.assertIn("\\Deleted", inbox[deleted_mid])

        sent = b"".join(bytes(b) for b in relay.client_bytes).decode(errors="replace")
        commands = [l.split(" ", 1)[1] for l in sent.split("\r\n") if " " in l]
        self.assertTrue(any(c.startswith("UID COPY ") for c in commands), sent)
        self.assertTrue(any(c.startswith("UID STORE ") and "\\Deleted" in c for c in commands))
        self.assertTrue(any(c.startswith("UID EXPUNGE ") for c in commands), sent)
        self.assertFalse(any("MOVE" in c for c in commands), sent)
        self.assertFalse(any(c.strip() == "EXPUNGE" for c in commands), "bare EXPUNGE sent")

        r2 = self.once()
        self.assertEqual(r2.returncode, 0, self.diag(r2))
        self.assertEqual(len(ims.cases(self.cfg)), 3, "a second --once opens no case")
        self.assertEqual(list(ims.imap_flags(d, "INBOX")), [deleted_mid])
        self.assertEqual(self.smtp.count(), 3)
        note("no MOVE: " + "; ".join(c for c in commands if c.startswith("UID ")
                                     and "SEARCH" not in c and "FETCH" not in c)[:400])


# =============================================================================================
class TwoMailboxesTest(ImapTest):
    """8. Two mailboxes (two Dovecot users) at once; one failing does not stop the other."""

    def test_two_mailboxes_one_failing(self):
        users = {"alpha@example.com": "alpha-pw", "beta@example.com": "beta-pw"}
        d = self.dovecot(users=users)
        self.sink()
        a = [ims.make_mail() for _ in range(3)]
        b = [ims.make_mail() for _ in range(3)]
        d.append_many("INBOX", [raw for raw, _ in a], user="alpha@example.com")
        d.append_many("INBOX", [raw for raw, _ in b], user="beta@example.com")
        alpha = ims.mailbox_for(d, name="alpha", user="alpha@example.com")
        beta = ims.mailbox_for(d, name="beta", user="beta@example.com")
        self.config([alpha, beta])

        r = self.once()
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assert_cased_once([m for _, m in a + b], r)
        for user in users:
            self.assertEqual(d.messages("INBOX", user=user), [])
            self.assertEqual(len(d.messages("Processed", user=user)), 3)

        ims.write_secret(beta["password_file"], "wrong-password")
        a2 = [ims.make_mail() for _ in range(2)]
        b2 = [ims.make_mail() for _ in range(2)]
        d.append_many("INBOX", [raw for raw, _ in a2], user="alpha@example.com")
        d.append_many("INBOX", [raw for raw, _ in b2], user="beta@example.com")
        r = self.once()
        self.assertNotEqual(r.returncode, 0, self.diag(r))
        self.assertRegex(r.stderr, r"\[beta\] authentication failed", self.diag(r))
        self.assertNotRegex(r.stderr, r"\[alpha\] authentication failed")
        self.assert_cased_once([m for _, m in a2], r)
        self.assertEqual(len(ims.cases(self.cfg)), 8)
        # From disk: after failed logins Dovecot delays logins from 127.0.0.1 for a while.
        self.assertEqual(ims.maildir_ids(d, "INBOX", user="alpha@example.com"), [])
        self.assertEqual(len(ims.maildir_ids(d, "Processed", user="alpha@example.com")), 5)
        self.assertEqual(sorted(ims.maildir_ids(d, "INBOX", user="beta@example.com")),
                         sorted(m for _, m in b2))
        self.assertEqual(self.smtp.count(), 8)


# =============================================================================================
class SizeLimitTest(ImapTest):
    """9. A mail over limits.max_message_size is quarantined; the mails behind it go on."""

    # Regression: an oversize literal used to fail the whole connection, so one big mail
    # blocked every mail behind it. The fetch now stops at the limit and the mail is quarantined.
    def test_oversized_mail_is_quarantined(self):
        d = self.dovecot()
        self.sink()
        small1, mid1 = ims.make_mail()
        big, big_mid = ims.make_mail(subject="huge log attached", size=200 * 1024)
        small2, mid2 = ims.make_mail()
        d.append_many("INBOX", [small1, big, small2])
        self.config([ims.mailbox_for(d)], extra="limits:\n  max_message_size: 64k\n")
        r = self.once()
        self.assert_cased_once([mid1, mid2], r)
        self.assertEqual(r.returncode, 0, self.diag(r))
        self.assertEqual(ims.message_ids(d.messages("Quarantine")), [big_mid], self.diag(r))
        self.assertEqual(d.messages("INBOX"), [])
        q = ims.quarantine_list(self.cfg)
        self.assertEqual(len(q), 1, q)
        self.assertTrue(q[0].get("reason"), q)

