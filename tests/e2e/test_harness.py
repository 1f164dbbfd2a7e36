"""Self-test of tests/support/tacmail_servers.py: the real servers the end-to-end tests use.

Needs no tacmaild: Dovecot over implicit TLS stores and returns mail, rejects a client that
trusts another CA, and the SMTP sink spools what it accepts and obeys its fault control file.
"""

import imaplib
import os
import shutil
import smtplib
import ssl
import tempfile
import unittest
from email.message import EmailMessage

import tacmail_servers as ts


def _mail(n):
    return (f"From: Customer {n} <c{n}@customer{n}.example>\r\n"
            f"To: tac@example.com\r\n"
            f"Subject: Cisco BroadWorks {n}\r\n"
            f"Message-ID: <harness-{n}@customer{n}.example>\r\n"
            f"Date: Mon, 12 Jan 2026 09:0{n}:00 +0000\r\n"
            f"\r\n"
            f"Company name: Customer {n}\r\n").encode()


class DovecotHarnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tacmail-harness-")
        cls.dovecot = ts.DovecotServer(os.path.join(cls.dir, "dovecot"), tls="implicit")

    @classmethod
    def tearDownClass(cls):
        cls.dovecot.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_append_and_read_back(self):
        self.dovecot.append("INBOX", _mail(1))
        self.dovecot.append("INBOX", _mail(2))
        got = self.dovecot.messages("INBOX")
        self.assertEqual(len(got), 2, self.dovecot.log_text())
        self.assertIn(b"<harness-1@customer1.example>", got[0])
        self.assertIn(b"<harness-2@customer2.example>", got[1])
        self.assertEqual(got[0].replace(b"\r\n", b"\n"), _mail(1).replace(b"\r\n", b"\n"))

    def test_append_creates_folder_and_missing_folder_is_empty(self):
        self.assertEqual(self.dovecot.messages("NoSuchFolder"), [])
        self.dovecot.append("Archive/2026", _mail(3))
        self.assertIn("Archive/2026", self.dovecot.folders())
        self.assertEqual(len(self.dovecot.messages("Archive/2026")), 1)

    def test_wrong_ca_fails_tls(self):
        other = os.path.join(self.dir, "other-ca")
        other_ca, _, _ = ts.make_certificates(other)
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.dovecot.connect(ca_file=other_ca, login=False)
        # and the right CA with a host name check passes for "localhost" too
        ctx = ssl.create_default_context(cafile=self.dovecot.ca_file)
        conn = imaplib.IMAP4_SSL("localhost", self.dovecot.port, ssl_context=ctx, timeout=10)
        conn.logout()

    def test_plaintext_to_implicit_tls_port_fails(self):
        with self.assertRaises((imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError, EOFError)):
            conn = imaplib.IMAP4(self.dovecot.host, self.dovecot.port, timeout=5)
            conn.login("tac@example.com", "secret")

    def test_restart_keeps_port_and_mail(self):
        self.dovecot.append("Kept", _mail(4))
        port = self.dovecot.port
        self.dovecot.restart()
        self.assertEqual(self.dovecot.port, port)
        self.assertEqual(len(self.dovecot.messages("Kept")), 1)

    def test_write_config(self):
        sink = ts.SmtpSink(os.path.join(self.dir, "cfg-sink"), start=False)
        sink.port = 2525
        cfg = ts.write_config(os.path.join(self.dir, "tacmaild.yaml"), self.dovecot, sink,
                              os.path.join(self.dir, "cases.db"))
        with open(cfg) as f:
            text = f.read()
        self.assertIn(f"port: {self.dovecot.port}", text)
        self.assertIn("tls: implicit", text)
        self.assertIn(f'ca_file: "{self.dovecot.ca_file}"', text)
        self.assertIn("url: smtp://127.0.0.1:2525", text)
        self.assertNotIn("secret", text)
        pw = text.split('password_file: "')[1].split('"')[0]
        with open(pw) as f:
            self.assertEqual(f.read().strip(), "secret")


class DovecotStarttlsTest(unittest.TestCase):
    def test_starttls_required(self):
        with tempfile.TemporaryDirectory(prefix="tacmail-harness-") as d, \
                ts.DovecotServer(os.path.join(d, "dv"), tls="starttls") as dv:
            dv.append("INBOX", _mail(5))
            self.assertEqual(len(dv.messages("INBOX")), 1)
            conn = imaplib.IMAP4(dv.host, dv.port, timeout=10)
            try:
                self.assertIn("STARTTLS", conn.capabilities)
                # Dovecot 2.3 counts loopback as secured, so ssl = required cannot refuse a
                # plaintext LOGIN here: a client's STARTTLS use must be checked client-side.
                conn.starttls(dv.ssl_context())
                conn.login("tac@example.com", "secret")
            finally:
                conn.logout()


class SmtpSinkTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tacmail-sink-")
        self.sink = ts.SmtpSink(self.dir)

    def tearDown(self):
        self.sink.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _send(self, n):
        msg = EmailMessage()
        msg["From"] = "Technical Support <tac@example.com>"
        msg["To"] = f"c{n}@customer{n}.example"
        msg["Subject"] = f"[Case 68646330{n}] Cisco BroadWorks"
        msg["Message-ID"] = f"<reply-{n}@example.com>"
        msg.set_content(f"Your case number is 68646330{n}.\n")
        with smtplib.SMTP(self.sink.host, self.sink.port, timeout=10) as s:
            s.send_message(msg, from_addr="tac@example.com",
                           to_addrs=[f"c{n}@customer{n}.example"])
        return msg

    def test_accepts_and_spools(self):
        self._send(1)
        self._send(2)
        got = self.sink.wait_for(2, timeout=10)
        self.assertEqual(len(got), 2)
        envelope, msg, raw = got[0]
        self.assertEqual(envelope["mail_from"], "tac@example.com")
        self.assertEqual(envelope["rcpt_tos"], ["c1@customer1.example"])
        self.assertIn("received_at", envelope)
        self.assertEqual(msg["Subject"], "[Case 686463301] Cisco BroadWorks")
        self.assertIn("686463301", msg.get_body(("plain",)).get_content())
        self.assertIn(b"<reply-1@example.com>", raw)
        self.assertEqual(got[1][0]["rcpt_tos"], ["c2@customer2.example"])

    def test_reject_next_451(self):
        self.sink.set_control(reject_next=2, code=451)
        for n in (1, 2):
            with self.assertRaises(smtplib.SMTPDataError) as cm:
                self._send(n)
            self.assertEqual(cm.exception.smtp_code, 451)
        self._send(3)  # the third is accepted again
        got = self.sink.wait_for(1, timeout=10)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0][0]["rcpt_tos"], ["c3@customer3.example"])
        self.assertIn("rejected", self.sink.log_text())

    def test_reject_permanent_550(self):
        self.sink.set_control(reject_next=1, code=550, message="5.7.1 no thanks")
        with self.assertRaises(smtplib.SMTPDataError) as cm:
            self._send(1)
        self.assertEqual(cm.exception.smtp_code, 550)
        self.assertEqual(self.sink.count(), 0)

    def test_wait_for_times_out(self):
        with self.assertRaises(TimeoutError):
            self.sink.wait_for(1, timeout=0.3)


if __name__ == "__main__":
    unittest.main()
