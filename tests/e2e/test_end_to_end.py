"""End to end on real servers (issue 2, point 12).

Dovecot (implicit TLS, a CA made at test time given as ca_file) and an SMTP server on free
loopback ports; the 20 sample mails APPENDed to INBOX; `tacmaild run --once`; then: 20 cases
with distinct 9-digit numbers in the right queues and severities, 20 threaded replies naming
their case numbers and missing fields, every mail moved to Processed; a second `--once` opens
no case and sends no reply. Also `check-config` on a good config and on an unknown key.

Environment: TACMAILD = path of the tacmaild binary (ctest sets it); TACMAIL_KEEP=1 keeps the
work directory (config, database, Dovecot log, spooled replies) for a look afterwards.
"""

import email
import email.policy
import email.utils
import json
import os
import re
import sys
import tempfile
import unittest

import tacmail_servers as ts
from tacmaild_cli import tacmaild_path, run_tacmaild, describe, json_lines, mid  # noqa: F401

SAMPLES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                        "..", "data", "samples"))
RUN_TIMEOUT = 120

# DOMAIN.md's labels, so a reply may name a missing field by label or by JSON key.
LABELS = {
    "company": "Company name", "contact_name": "Contact name",
    "contact_phone": "Contact phone number", "cco_id": "Cisco.com User ID",
    "contact_email": "Contact email address", "contract": "Contract number",
    "smart_account": "Smart Account", "virtual_account": "Virtual Account",
    "product": "Product type", "severity": "Business effect",
    "description": "Brief problem description", "location": "Equipment location",
    "alt_contact_name": "Alternate contact name",
    "alt_contact_phone": "Alternate contact phone number",
}
# Fields every parser must report missing when the sample lacks them (others are optional).
CORE_FIELDS = {"company", "contact_name", "contact_phone", "contract"}


def _severity(value):
    if value is None:
        return None
    return int(str(value).strip().lstrip("Ss"))


def _collapse(s):
    return " ".join(str(s).split())


def _load_samples():
    with open(os.path.join(SAMPLES, "expected.json"), encoding="utf-8") as f:
        expected = json.load(f)["samples"]
    out = []
    for e in expected:
        path = os.path.join(SAMPLES, e["file"])
        with open(path, "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out.append(dict(e, path=path, raw=raw, mid=mid(msg["Message-ID"]),
                        sender=msg["From"].addresses[0].addr_spec.lower(),
                        subject_header=str(msg["Subject"])))
    return out


class EndToEndTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        tacmaild_path()  # fail first and clearly when there is no binary
        cls.samples = _load_samples()
        cls.dir = tempfile.mkdtemp(prefix="tacmail-e2e-")
        with ts.tear_down_on_failure(cls.tearDownClass):
            cls._start()

    @classmethod
    def _start(cls):
        cls.dovecot = ts.DovecotServer(os.path.join(cls.dir, "dovecot"), tls="implicit")
        cls.sink = ts.SmtpSink(os.path.join(cls.dir, "smtp"))
        cls.db = os.path.join(cls.dir, "cases.db")
        cls.cfg = ts.write_config(os.path.join(cls.dir, "tacmaild.yaml"), cls.dovecot, cls.sink,
                                  cls.db)
        for s in cls.samples:
            cls.dovecot.append("INBOX", s["raw"])

        cls.first = run_tacmaild("run", "--config", cls.cfg, "--once", timeout=RUN_TIMEOUT)
        sys.stderr.write(f"\n[first run --once: exit {cls.first.returncode}]\n")
        try:
            cls.sink.wait_for(len(cls.samples), timeout=5)
        except TimeoutError:
            pass  # asserted below, with details
        cls.cases = cls._cases()
        cls.replies = cls.sink.messages()
        cls.inbox = cls.dovecot.messages("INBOX")
        cls.processed = cls.dovecot.messages("Processed")

        cls.second = run_tacmaild("run", "--config", cls.cfg, "--once", timeout=RUN_TIMEOUT)
        sys.stderr.write(f"[second run --once: exit {cls.second.returncode}]\n")
        cls.cases_after = cls._cases()
        cls.replies_after = cls.sink.messages()
        cls.inbox_after = cls.dovecot.messages("INBOX")

    @classmethod
    def tearDownClass(cls):
        for name in ("dovecot", "sink"):
            server = getattr(cls, name, None)
            if server is not None:
                server.stop()
        ts.remove_work_dir(cls.dir)

    @classmethod
    def _cases(cls):
        r = run_tacmaild("cases", "list", "--config", cls.cfg, "--json")
        if r.returncode != 0:
            return {"error": describe(r)}
        return {"cases": json_lines(r.stdout), "stdout": r.stdout}

    def diagnostics(self):
        return (f"{describe(self.first)}\n--- dovecot log (tail) ---\n"
                f"{self.dovecot.log_text()[-4000:]}\n--- smtp sink log ---\n"
                f"{self.sink.log_text()[-2000:]}")

    def case_list(self, which="cases"):
        got = getattr(self, which)
        self.assertNotIn("error", got, got.get("error"))
        return got["cases"]

    def case_of(self, sample):
        hits = [c for c in self.case_list()
                if sample["mid"] in {mid(m) for m in c.get("message_ids", [])}]
        self.assertEqual(len(hits), 1, f"{sample['file']}: Message-ID <{sample['mid']}> is in "
                                       f"{len(hits)} cases, expected exactly 1")
        return hits[0]

    def reply_to(self, sample):
        hits = [(env, msg, raw) for env, msg, raw in self.replies
                if mid(msg["In-Reply-To"]) == sample["mid"]]
        self.assertEqual(len(hits), 1, f"{sample['file']}: {len(hits)} replies with "
                                       f"In-Reply-To <{sample['mid']}>, expected 1")
        return hits[0]

    # -- the first run ---------------------------------------------------------------------
    def test_01_first_run_exits_0(self):
        self.assertEqual(self.first.returncode, 0, self.diagnostics())

    def test_02_twenty_cases_with_distinct_9_digit_numbers(self):
        cases = self.case_list()
        self.assertEqual(len(cases), len(self.samples),
                         f"cases list --json printed:\n{self.cases['stdout']}\n"
                         + self.diagnostics())
        numbers = [c["case_number"] for c in cases]
        for n in numbers:
            self.assertIsInstance(n, str, f"case_number {n!r} must be a JSON string")
            self.assertRegex(n, r"^[0-9]{9}$")
        self.assertEqual(len(set(numbers)), len(numbers), f"duplicate case numbers: {numbers}")

    def test_03_every_sample_in_exactly_one_case_with_its_queue_and_severity(self):
        for s in self.samples:
            with self.subTest(sample=s["file"]):
                case = self.case_of(s)
                # TAC policy: S1/S2 must be phoned in; by mail they go to the urgent queue,
                # flagged phone_required (routing.urgent_queue, default "urgent").
                urgent = s["severity"] in (1, 2)
                self.assertEqual(case["queue"], "urgent" if urgent else s["queue"],
                                 f"{s['file']}: product {s['product']}")
                self.assertEqual("phone_required" in case["flags"], urgent, s["file"])
                self.assertEqual(_severity(case["severity"]), s["severity"], s["file"])
                self.assertIn(s["sender"], str(case.get("sender") or "").lower(), s["file"])

    def test_04_one_threaded_reply_per_sample(self):
        self.assertEqual(len(self.replies), len(self.samples),
                         "replies at the SMTP server\n" + self.diagnostics())
        for s in self.samples:
            with self.subTest(sample=s["file"]):
                number = self.case_of(s)["case_number"]
                env, msg, _ = self.reply_to(s)
                self.assertEqual([r.lower() for r in env["rcpt_tos"]], [s["sender"]])
                self.assertEqual(_collapse(msg["Subject"]),
                                 _collapse(f"[Case {number}] {s['subject_header']}"))
                self.assertIn(f"<{s['mid']}>", str(msg["References"] or ""))
                self.assertIn(f"<{s['mid']}>", str(msg["In-Reply-To"]))
                self.assertEqual(str(msg["Auto-Submitted"] or "").strip().lower(),
                                 "auto-replied")
                self.assertTrue(mid(msg["Message-ID"]), "reply has no Message-ID")
                self.assertNotEqual(mid(msg["Message-ID"]), s["mid"])
                self.assertIsNotNone(msg["Date"], "reply has no Date")
                self.assertIsNotNone(email.utils.parsedate_to_datetime(str(msg["Date"])))
                self.assertIn(number, self.body_of(msg))
                # The phone numbers from config reach exactly the S1/S2 senders.
                self.assertEqual("1-800-553-2447" in self.body_of(msg), s["severity"] in (1, 2),
                                 s["file"])

    def test_05_replies_name_the_missing_fields(self):
        for s in self.samples:
            with self.subTest(sample=s["file"]):
                r = run_tacmaild("parse", s["path"], "--config", self.cfg)
                self.assertEqual(r.returncode, 0, describe(r))
                parsed = json.loads(r.stdout)
                missing = parsed["missing"]
                self.assertTrue(set(s["missing"]) & CORE_FIELDS <= set(missing),
                                f"{s['file']}: parse reports missing={missing}, the sample "
                                f"lacks {s['missing']}")
                if not missing:
                    continue
                _, msg, _ = self.reply_to(s)
                body = self.body_of(msg).lower()
                for field in missing:
                    names = {field.lower(), field.replace("_", " ").lower(),
                             LABELS.get(field, field).lower()}
                    self.assertTrue(any(n in body for n in names),
                                    f"{s['file']}: reply does not name missing field {field} "
                                    f"(any of {sorted(names)}):\n{self.body_of(msg)}")

    def test_06_mail_moved_to_processed(self):
        self.assertEqual(len(self.inbox), 0, "messages left in INBOX\n" + self.diagnostics())
        self.assertEqual(len(self.processed), len(self.samples), self.diagnostics())
        got = {mid(email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"])
               for raw in self.processed}
        self.assertEqual(got, {s["mid"] for s in self.samples})

    # -- the second run --------------------------------------------------------------------
    def test_07_second_run_opens_no_case_and_sends_no_reply(self):
        self.assertEqual(self.second.returncode, 0, describe(self.second))
        before = sorted(c["case_number"] for c in self.case_list())
        after = sorted(c["case_number"] for c in self.case_list("cases_after"))
        self.assertEqual(after, before)
        self.assertEqual(len(self.replies_after), len(self.replies))
        self.assertEqual(len(self.inbox_after), 0)

    # -- check-config ------------------------------------------------------------------------
    def test_08_check_config_accepts_the_test_config(self):
        r = run_tacmaild("check-config", "--config", self.cfg)
        self.assertEqual(r.returncode, 0, describe(r))

    def test_09_check_config_rejects_an_unknown_key_with_file_and_line(self):
        with open(self.cfg, encoding="utf-8") as f:
            lines = f.read().split("\n")
        at = next(i for i, l in enumerate(lines) if l.strip().startswith("folder:")) + 1
        lines.insert(at, "      colour: blue")
        bad = os.path.join(self.dir, "unknown-key.yaml")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        r = run_tacmaild("check-config", "--config", bad)
        self.assertEqual(r.returncode, 2, describe(r))
        self.assertRegex(r.stdout + r.stderr,
                         re.escape(bad) + f":{at + 1}: " + r"[^\s:]*colour[^\s:]*: \S")

    @staticmethod
    def body_of(msg):
        part = msg.get_body(preferencelist=("plain", "html"))
        return (part or msg).get_content()


if __name__ == "__main__":
    unittest.main()
