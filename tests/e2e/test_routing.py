"""Routing end to end on real servers (issue 4): follow-ups, strangers, S1 by mail, missing
fields completed by a reply, expired contracts, duplicate submissions.

One Dovecot (implicit TLS) and one SMTP sink serve every scenario; each scenario APPENDs its
own mails (own senders, subjects and texts, so scenarios do not meet each other), runs
`tacmaild run --once`, and reads `cases list --json`, `cases show N --json` and the sink.
The contracts catalog is tests/data/routing/contracts.yaml.

Environment: TACMAILD = path of the tacmaild binary (ctest sets it); TACMAIL_KEEP=1 keeps the
work directory.
"""

import email.message
import email.policy
import email.utils
import json
import os
import shutil
import tempfile
import time
import unittest

import tacmail_servers as ts
from tacmaild_cli import tacmaild_path, run_tacmaild, describe, list_json
from tacmaild_cli import mid as _mid

DATA = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "..", "data", "routing"))
RUN_TIMEOUT = 120
PHONE_NUMBERS = ["US/Canada: 1-800-553-2447", "UK: +44 20 8824 8444"]


def request_body(company="Acme Corp", contact="Jane Doe", phone="+1 555 0100",
                 email_address="jane.doe@acme.example.com", contract="91234567",
                 product="Cisco BroadWorks", severity="S3 (moderate impact)",
                 description="Call forwarding on no answer times out after 8 seconds.",
                 location="1 Main Street, Springfield"):
    """A request in DOMAIN.md's field template; a None field is left out."""
    fields = [("Company name", company), ("Contact name", contact),
              ("Contact phone number", phone), ("Cisco.com User ID", "jdoe-acme"),
              ("Contact email address", email_address), ("Contract number", contract),
              ("Product type", product), ("Business effect", severity),
              ("Brief problem description", description), ("Equipment location", location)]
    lines = ["Hello TAC team,", "", "please open a case for the problem below.", ""]
    lines += [f"{label}: {value}" for label, value in fields if value is not None]
    lines += ["", "Best regards", contact or "", ""]
    return "\n".join(lines)


def make_mail(sender, subject, body, message_id=None, in_reply_to=None, references=None,
              name=None):
    """(raw bytes, Message-ID without brackets) of a plain-text mail to the support address."""
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr((name, sender)) if name else sender
    msg["To"] = "tac@example.com"
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    mid = message_id or email.utils.make_msgid(domain=sender.split("@", 1)[1])
    msg["Message-ID"] = mid if mid.startswith("<") else f"<{mid}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{_mid(in_reply_to)}>"
        msg["References"] = " ".join(f"<{_mid(r)}>" for r in (references or [in_reply_to]))
    msg.set_content(body)
    return msg.as_bytes(), _mid(mid)


def body_of(msg):
    part = msg.get_body(preferencelist=("plain", "html"))
    return (part or msg).get_content()


class RoutingEndToEndTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        tacmaild_path()  # fail first and clearly when there is no binary
        cls.dir = tempfile.mkdtemp(prefix="tacmail-routing-")
        with ts.tear_down_on_failure(cls.tearDownClass):
            cls.dovecot = ts.DovecotServer(os.path.join(cls.dir, "dovecot"), tls="implicit")
            cls.sink = ts.SmtpSink(os.path.join(cls.dir, "smtp"))
            cls.db = os.path.join(cls.dir, "cases.db")
            contracts = os.path.join(cls.dir, "contracts.yaml")
            shutil.copyfile(os.path.join(DATA, "contracts.yaml"), contracts)
            phones = ", ".join(json.dumps(p) for p in PHONE_NUMBERS)
            extra = (f"routing:\n"
                     f"  contracts_file: {json.dumps(contracts)}\n"
                     f"  phone_numbers: [{phones}]\n")
            cls.cfg = ts.write_config(os.path.join(cls.dir, "tacmaild.yaml"), cls.dovecot,
                                      cls.sink, cls.db, extra=extra)
            check = run_tacmaild("check-config", "--config", cls.cfg)
            if check.returncode != 0:
                raise RuntimeError("the test config is invalid:\n" + describe(check))

    @classmethod
    def tearDownClass(cls):
        for name in ("dovecot", "sink"):
            server = getattr(cls, name, None)
            if server is not None:
                server.stop()
        ts.remove_work_dir(cls.dir)

    # -- helpers -----------------------------------------------------------------------------
    def deliver(self, *raws):
        """APPEND the mails to INBOX and run `tacmaild run --once`; asserts exit 0."""
        for raw in raws:
            self.dovecot.append("INBOX", raw)
        result = run_tacmaild("run", "--config", self.cfg, "--once", timeout=RUN_TIMEOUT)
        self.last_run = result
        self.assertEqual(result.returncode, 0, self.diagnostics(result))
        self.assertEqual(self.dovecot.messages("INBOX"), [],
                         "mail left in INBOX\n" + self.diagnostics(result))
        return result

    def diagnostics(self, result=None):
        result = result or getattr(self, "last_run", None)
        text = describe(result) if result is not None else ""
        return (f"{text}\n--- dovecot log (tail) ---\n{self.dovecot.log_text()[-3000:]}\n"
                f"--- smtp sink log (tail) ---\n{self.sink.log_text()[-2000:]}")

    def cases(self):
        return list_json(self.cfg, "cases", "list")

    def cases_with(self, mid):
        return [c for c in self.cases() if mid in {_mid(m) for m in c.get("message_ids", [])}]

    def case_of(self, mid):
        hits = self.cases_with(mid)
        self.assertEqual(len(hits), 1, f"Message-ID <{mid}> is in {len(hits)} cases, expected "
                                       f"1\n{self.diagnostics()}")
        return hits[0]

    def show(self, number):
        r = run_tacmaild("cases", "show", number, "--config", self.cfg, "--json")
        self.assertEqual(r.returncode, 0, describe(r))
        return json.loads(r.stdout)

    def replies_to(self, mid, wait=10.0):
        """The sink's messages answering mid; waits up to `wait` seconds for the first."""
        deadline = time.monotonic() + wait
        while True:
            hits = [msg for _, msg, _ in self.sink.messages()
                    if _mid(msg["In-Reply-To"]) == mid]
            if hits or time.monotonic() > deadline:
                return hits
            time.sleep(0.1)

    def reply_to(self, mid):
        hits = self.replies_to(mid)
        self.assertEqual(len(hits), 1, f"{len(hits)} replies to <{mid}>, expected 1\n"
                                       + self.diagnostics())
        return hits[0]

    def open_case(self, sender, subject, body, name=None):
        """Mails a new request; returns (case dict, Message-ID, our reply)."""
        raw, mid = make_mail(sender, subject, body, name=name)
        self.deliver(raw)
        case = self.case_of(mid)
        reply = self.reply_to(mid)
        self.assertIn(case["case_number"], body_of(reply))
        return case, mid, reply

    def message_roles(self, shown):
        return {_mid(m["message_id"]): m["role"] for m in shown["messages"]}

    # -- scenarios ---------------------------------------------------------------------------
    def test_1_customer_reply_is_attached_to_its_case(self):
        sender = "jane.doe@acme.example.com"
        body = request_body(description="Scenario 1: CFNA times out on the AS cluster.")
        case, mid, reply = self.open_case(sender, "Cisco BroadWorks", body, name="Jane Doe")
        number = case["case_number"]
        self.assertEqual(case["status"], "New", case)
        count = len(self.cases())

        answer, answer_mid = make_mail(
            sender, f"Re: [Case {number}] Cisco BroadWorks",
            "Hello,\n\nthe tech-support files are uploaded; the problem is still there.\n\n"
            "Jane\n", in_reply_to=_mid(reply["Message-ID"]), name="Jane Doe")
        self.deliver(answer)

        self.assertEqual(len(self.cases()), count, "the reply opened a new case")
        self.assertEqual(self.cases_with(answer_mid), [self.case_of(answer_mid)])
        self.assertEqual(self.case_of(answer_mid)["case_number"], number)
        shown = self.show(number)
        self.assertEqual(shown["status"], "Customer Updated", shown)
        roles = self.message_roles(shown)
        self.assertEqual(roles.get(mid), "opened", roles)
        self.assertEqual(roles.get(answer_mid), "follow_up", roles)

    def test_1b_reply_threaded_only_by_in_reply_to(self):
        # No [Case N] in the subject: the In-Reply-To naming our reply alone threads it.
        sender = "raj.patel@acme.example.com"
        body = request_body(contact="Raj Patel", email_address=sender,
                            description="Scenario 1b: presence updates are delayed.")
        case, mid, reply = self.open_case(sender, "Cisco BroadWorks", body)
        number = case["case_number"]
        count = len(self.cases())
        answer, answer_mid = make_mail(sender, "Re: Cisco BroadWorks",
                                       "Still happening this morning.\n",
                                       in_reply_to=_mid(reply["Message-ID"]))
        self.deliver(answer)
        self.assertEqual(len(self.cases()), count, "the reply opened a new case")
        roles = self.message_roles(self.show(number))
        self.assertEqual(roles.get(answer_mid), "follow_up", roles)

    def test_2_stranger_naming_a_case_opens_a_new_unverified_case(self):
        sender = "li.wei@acme.example.com"
        body = request_body(contact="Li Wei", email_address=sender,
                            description="Scenario 2: voicemail deposit fails for some users.")
        case, mid, reply = self.open_case(sender, "Cisco BroadWorks", body)
        number = case["case_number"]

        stranger, stranger_mid = make_mail(
            "mallory@evil.example.org", f"Re: [Case {number}] Cisco BroadWorks",
            f"Please close case {number}, and send me the customer's phone number.\n",
            in_reply_to=_mid(reply["Message-ID"]))
        self.deliver(stranger)

        new_case = self.case_of(stranger_mid)
        self.assertNotEqual(new_case["case_number"], number)
        self.assertIn("unverified_follow_up", new_case["flags"], new_case)
        shown = self.show(number)
        self.assertNotIn(stranger_mid, self.message_roles(shown), shown["messages"])
        self.assertEqual(shown["status"], "New", "a stranger changed the case's status")
        self.assertTrue(any(number in r for r in self.show(new_case["case_number"])["reasons"]),
                        "the new case's reasons do not name the case it refers to")

    def test_2b_colleague_on_the_company_domain_may_update_the_case(self):
        sender = "nina.ross@acme.example.com"
        body = request_body(contact="Nina Ross", email_address=sender,
                            description="Scenario 2b: hunt group skips the last agent.")
        case, mid, reply = self.open_case(sender, "Cisco BroadWorks", body)
        number = case["case_number"]
        count = len(self.cases())
        note, note_mid = make_mail("sam.ortiz@acme.example.com",
                                   f"Re: [Case {number}] Cisco BroadWorks",
                                   "I am covering for Nina today; logs attached to the portal.\n",
                                   in_reply_to=_mid(reply["Message-ID"]))
        self.deliver(note)
        self.assertEqual(len(self.cases()), count, "a colleague's note opened a new case")
        shown = self.show(number)
        self.assertEqual(self.message_roles(shown).get(note_mid), "follow_up", shown["messages"])
        self.assertEqual(shown["status"], "Customer Updated")

    def test_2c_stranger_updates_the_case_opened_for_them(self):
        sender = "omar.haddad@acme.example.com"
        body = request_body(contact="Omar Haddad", email_address=sender,
                            description="Scenario 2c: shared call appearance rings twice.")
        case, _, reply = self.open_case(sender, "Cisco BroadWorks", body)
        number = case["case_number"]
        stranger = "eve@other-isp.example.net"
        first, first_mid = make_mail(stranger, f"Re: [Case {number}] Cisco BroadWorks",
                                     "We see this too on our platform.\n",
                                     in_reply_to=_mid(reply["Message-ID"]))
        self.deliver(first)
        own = self.case_of(first_mid)
        self.assertNotEqual(own["case_number"], number)
        own_reply = self.reply_to(first_mid)
        count = len(self.cases())
        # The stranger answers the reply about the new case: its subject now carries both
        # tags, "[Case M] Re: [Case N] ...", and it must land in M.
        second, second_mid = make_mail(stranger, "Re: " + str(own_reply["Subject"]),
                                       "Here are our details.\n",
                                       in_reply_to=_mid(own_reply["Message-ID"]))
        self.deliver(second)
        self.assertEqual(len(self.cases()), count, "the stranger's own follow-up opened a case")
        roles = self.message_roles(self.show(own["case_number"]))
        self.assertEqual(roles.get(second_mid), "follow_up", roles)
        self.assertNotIn(second_mid, self.message_roles(self.show(number)))

    def test_3_s1_by_mail_goes_urgent_with_the_phone_numbers(self):
        sender = "ops@acme.example.com"
        body = request_body(contact="Ops Desk", email_address=sender,
                            severity="S1 (critical impact, network down)",
                            description="Scenario 3: all users down, no calls at all.")
        case, mid, reply = self.open_case(sender, "Cisco BroadWorks", body)
        self.assertEqual(case["queue"], "urgent", case)
        self.assertIn("phone_required", case["flags"], case)
        self.assertEqual(int(str(case["severity"]).lstrip("Ss")), 1, case)
        text = body_of(reply)
        for number in PHONE_NUMBERS:
            self.assertIn(number, text)

    def test_4_missing_contract_is_asked_for_and_the_reply_completes_the_case(self):
        sender = "maria.garcia@acme.example.com"
        body = request_body(contact="Maria Garcia", email_address=sender, contract=None,
                            description="Scenario 4: call park retrieval fails.")
        case, mid, reply = self.open_case(sender, "Cisco BroadWorks", body)
        number = case["case_number"]
        self.assertEqual(case["status"], "Customer Pending", case)
        shown = self.show(number)
        self.assertIn("contract", shown["missing"], shown)
        self.assertIn("contract number", body_of(reply).lower())

        answer, answer_mid = make_mail(
            sender, f"Re: [Case {number}] Cisco BroadWorks",
            "Hello,\n\nhere is what was missing:\n\nContract number: 91234567\n\nMaria\n",
            in_reply_to=_mid(reply["Message-ID"]))
        self.deliver(answer)

        shown = self.show(number)
        self.assertEqual(shown["contract"], "91234567", shown)
        self.assertNotIn("contract", shown["missing"], shown)
        self.assertEqual(shown["status"], "Customer Updated", shown)
        # Completed, the case is judged again: the valid contract entitles it and it leaves
        # the entitlement queue for its product's queue.
        self.assertIs(shown["entitled"], True, shown)
        self.assertEqual(shown["queue"], "broadworks", shown)
        self.assertNotIn("entitlement_pending", shown["flags"], shown)
        self.assertNotIn("missing_fields", shown["flags"], shown)
        self.assertEqual(self.message_roles(shown).get(answer_mid), "follow_up")
        self.assertEqual(self.cases_with(answer_mid)[0]["case_number"], number)

    def test_5_expired_contract_goes_to_entitlement(self):
        sender = "tom.baker@globex.example.com"
        body = request_body(company="Globex Telecom", contact="Tom Baker", email_address=sender,
                            contract="55501234",
                            description="Scenario 5: SIP trunk registration flaps.")
        case, mid, reply = self.open_case(sender, "Cisco BroadWorks", body)
        self.assertEqual(case["queue"], "entitlement", case)
        self.assertEqual(case["status"], "Entitlement Pending", case)
        self.assertIn("entitlement_pending", case["flags"], case)
        shown = self.show(case["case_number"])
        self.assertIs(shown["entitled"], False, shown)
        self.assertTrue(any("55501234" in r and "expired" in r for r in shown["reasons"]),
                        shown["reasons"])
        text = body_of(reply).lower()
        self.assertIn("entitlement", text)
        self.assertIn("verif", text)

    def test_5b_public_webmail_sender_is_flagged(self):
        sender = "pat.quinn.acme@gmail.com"
        body = request_body(contact="Pat Quinn", email_address=sender,
                            description="Scenario 5b: music on hold is silent.")
        case, _, reply = self.open_case(sender, "Cisco BroadWorks", body)
        self.assertIn("public_email", case["flags"], case)
        self.assertEqual(case["queue"], "entitlement", case)
        self.assertEqual(case["status"], "Entitlement Pending", case)
        text = body_of(reply).lower()
        self.assertIn("entitlement", text)
        self.assertIn("verif", text)

    def test_6_the_same_mail_twice_is_one_case(self):
        sender = "ann.lee@acme.example.com"
        body = request_body(contact="Ann Lee", email_address=sender,
                            description="Scenario 6: the web portal shows error 503.")
        first, first_mid = make_mail(sender, "Cisco BroadWorks", body)
        second, second_mid = make_mail(sender, "Cisco BroadWorks", body)
        self.assertNotEqual(first_mid, second_mid)
        count = len(self.cases())
        self.deliver(first, second)

        self.assertEqual(len(self.cases()), count + 1, self.diagnostics())
        case = self.case_of(first_mid)
        shown = self.show(case["case_number"])
        roles = self.message_roles(shown)
        self.assertEqual(roles.get(first_mid), "opened", roles)
        self.assertEqual(roles.get(second_mid), "duplicate", roles)
        self.assertEqual(len(self.replies_to(first_mid)), 1)
        self.assertEqual(self.replies_to(second_mid, wait=1.0), [])
        self.assertEqual(len(shown["replies"]), 1, shown["replies"])

    def test_6b_the_same_message_id_twice_is_one_case(self):
        sender = "kim.park@acme.example.com"
        body = request_body(contact="Kim Park", email_address=sender,
                            description="Scenario 6b: fax to email stopped.")
        raw, mid = make_mail(sender, "Cisco BroadWorks", body)
        count = len(self.cases())
        self.deliver(raw, raw)
        self.assertEqual(len(self.cases()), count + 1, self.diagnostics())
        shown = self.show(self.case_of(mid)["case_number"])
        self.assertEqual(sorted(m["role"] for m in shown["messages"]), ["duplicate", "opened"])
        self.assertEqual(len(self.replies_to(mid)), 1)


if __name__ == "__main__":
    unittest.main()
