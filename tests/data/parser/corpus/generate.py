#!/usr/bin/env python3
"""Writes the parser corpus: customer mails as real clients and partner systems format them,
each NAME.eml with NAME.expected.json holding what a support engineer reads from it.

The expected values come from the scenario that produced the mail, never from the parser, so
the corpus checks the parser rather than echoing it. Deterministic: rerunning rewrites the
same files. Run from anywhere: python3 generate.py
"""
import base64
import hashlib
import json
import os
import quopri
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20240603)

PRODUCTS = ["Cisco BroadWorks", "BroadCloud", "BroadSoft PaaS", "Contact Center (CC-One)",
            "HIPCOM", "UC-One SaaS", "Webex for BroadWorks", "Cisco Webex Experience Management"]

CUSTOMERS = [
    dict(company="Acme Telecom GmbH", name="Jane Doe", phone="+49 89 1234 5678",
         email="jane.doe@acme-telecom.de", cco="jdoe-acme", contract="91234567",
         location="Leopoldstrasse 10, 80802 Munich, Germany", alt="Max Mustermann",
         alt_phone="+49 89 1234 5600"),
    dict(company="Northwind Traders Inc.", name="Anna Schmidt", phone="+1 (555) 010-2000",
         email="anna.schmidt@northwind.example", cco="aschmidt", contract="55443322",
         location="1 Harbor Way, Seattle WA", alt="Tom Baker", alt_phone="+1 555 010 2001"),
    dict(company="Société Générale de Téléphonie", name="Amélie Dubois",
         phone="+33 1 23 45 67 89", email="amelie.dubois@sgt.fr", cco="adubois",
         contract="87654321", location="12 rue de la Paix, 75002 Paris", alt="Luc Martin",
         alt_phone="+33 1 23 45 67 00"),
    dict(company="Telefónica Ibérica S.A.", name="José Pérez", phone="+34 91 555 12 34",
         email="jose.perez@telefonica-iberica.es", cco="jperez", contract="77665544",
         location="Calle Gran Vía 28, Madrid", alt="Lucía García", alt_phone="+34 91 555 12 00"),
    dict(company="Globex Corporation", name="Hank Scorpio", phone="+1 555 0100",
         email="hank@globex.example", cco="hscorpio", contract="12345678",
         location="Cypress Creek, OR", alt="Frank Grimes", alt_phone="+1 555 0101"),
    dict(company="Initech LLC", name="Peter Gibbons", phone="+1 512 555 0199",
         email="peter.gibbons@initech.example", cco="pgibbons", contract="10203040",
         location="4120 Freidrich Lane, Austin TX", alt="Michael Bolton",
         alt_phone="+1 512 555 0142"),
    dict(company="Müller & Söhne Kommunikation GmbH", name="Jörg Müller",
         phone="+43 1 234 56 78", email="joerg.mueller@mueller-soehne.at", cco="jmueller",
         contract="912345678", location="Mariahilfer Straße 1, 1060 Wien", alt="Eva Huber",
         alt_phone="+43 1 234 56 00"),
    dict(company="Umbrella plc", name="Alice Abernathy", phone="+44 20 7946 0000",
         email="alice@umbrella.example", cco="aabernathy", contract="0012345678",
         location="Raccoon House, London", alt="Chris Redfield", alt_phone="+44 20 7946 0001"),
    dict(company="Nordlys Telecom AS", name="Ingrid Hansen", phone="+47 22 33 44 55",
         email="ingrid.hansen@nordlys.no", cco="ihansen", contract="66778899",
         location="Karl Johans gate 5, Oslo", alt="Ola Nordmann", alt_phone="+47 22 33 44 00"),
    dict(company="Sakura Networks K.K.", name="Yuki Tanaka", phone="+81 3 1234 5678",
         email="yuki.tanaka@sakura-net.jp", cco="ytanaka", contract="33445566",
         location="東京都千代田区丸の内1-1", alt="Hiroshi Sato", alt_phone="+81 3 1234 5600"),
    dict(company="Vandelay Industries", name="Art Vandelay", phone="+1 212 555 0110",
         email="art@vandelay.example", cco="avandelay", contract="99887766",
         location="129 West 81st Street, New York", alt="George Costanza",
         alt_phone="+1 212 555 0111"),
    dict(company="Wayne Enterprises", name="Lucius Fox", phone="+1 555 0111",
         email="lucius.fox@wayne.example", cco="lfox", contract="27182818",
         location="1007 Mountain Drive, Gotham", alt="Alfred Pennyworth",
         alt_phone="+1 555 0112"),
]

PROBLEMS = [
    ["Since the upgrade to R24 the Application Server rejects SIP REGISTER",
     "from about 5% of our phones with 403 Forbidden."],
    ["Hunt group does not ring the last agent in the list."],
    ["Voicemail to email notifications stopped arriving on Monday.",
     "No change was made on our side."],
    ["Outgoing calls fail intermittently with a fast busy tone."],
    ["The call park feature stops working after the nightly restart."],
    ["Agents cannot log in to the desktop client; the login page keeps loading."],
    ["API calls to the provisioning interface return HTTP 500 since Tuesday."],
    ["Trunk group 2 rejects all calls from the new SBC."],
    ["Call recordings are missing for calls longer than 30 minutes."],
    ["Survey invitations are sent twice to the same customer."],
]
QUESTIONS = [
    ["How do I export the call detail records for one enterprise?"],
    ["Where is the documentation for the REST API rate limits?"],
    ["How can I change the music on hold for a single group?"],
]

TEMPLATE_LABELS = dict(
    company="Company name", name="Contact name", phone="Contact phone number",
    cco="Cisco.com User ID", email="Contact email address", contract="Contract number",
    smart="Smart Account", virtual="Virtual Account", product="Product type",
    severity="Business effect", description="Brief problem description",
    location="Equipment location", alt="Alternate contact name",
    alt_phone="Alternate contact phone number")
VARIANT_LABELS = dict(
    company=["Company", "Customer", "Organization", "Organisation", "Customer name"],
    name=["Contact", "Contact person", "Name"],
    phone=["Phone", "Tel", "Mobile", "Telephone", "Phone number"],
    cco=["CCO ID", "Cisco.com ID", "User ID"],
    email=["Email", "E-mail", "Email address"],
    contract=["Contract #", "Contract No.", "Service contract number", "Contract"],
    description=["Problem description", "Description", "Issue", "Problem"],
    location=["Location", "Address", "Site"],
    alt=["Alt. contact", "Backup contact", "Alternate contact"],
    alt_phone=["Alt. contact phone", "Backup contact phone", "Alternate phone"],
)
SEVERITY_FORMS = [
    ("field", "3", 3), ("field", "S3", 3), ("field", "Severity 2", 2), ("field", "4", 4),
    ("field", "Moderate impact", 3), ("field", "High impact", 2), ("field", "Ask a Question", 4),
    ("line", "Severity: 3", 3), ("line", "Sev 2", 2), ("line", "Sev3", 3), ("line", "P2", 2),
    ("line", "Priority: 4", 4), ("line", "Severity 1", 1),
    ("matrix", ("widespread", "critical"), 1), ("matrix", ("localized", "high"), 2),
    ("matrix", ("large", "medium"), 3),
]

KEYS = ["subject", "from_address", "message_id", "company", "contact_name", "contact_phone",
        "cco_id", "contact_email", "contract", "smart_account", "virtual_account", "product",
        "severity", "severity_inferred", "description", "location", "alt_contact_name",
        "alt_contact_phone", "case_ref", "kind", "missing", "attachments"]


def qp(text, charset="utf-8"):
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def b64(data):
    return base64.encodebytes(data).decode("ascii")


def encoded_word(text, charset="utf-8"):
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode())


def address(name, addr):
    return "%s <%s>" % (encoded_word(name), addr) if name else addr


class Mail:
    """One scenario: what the customer wrote and what a reader takes from it."""

    def __init__(self, name, client):
        self.name = name
        self.client = client
        self.headers = []
        self.lines = []           # the request text, as the customer typed it
        self.quote = []           # quoted earlier mail (distractors)
        self.signature = []
        self.attachments = []     # (name, type, bytes)
        self.expect = {k: None for k in KEYS}
        self.expect.update(severity_inferred=False, kind="new_case", missing=[], attachments=[])

    def set_headers(self, from_name, from_addr, subject, msg_id, date, extra=()):
        self.from_name, self.from_addr, self.subject = from_name, from_addr, subject
        self.expect.update(subject=subject, from_address=from_addr.lower(), message_id=msg_id)
        self.msg_id, self.date, self.extra = msg_id, date, list(extra)


def fill_request(m, cust, product, *, variant=False, omit=(), smart=False, next_line=False,
                 bullets="", severity=None, question=False, product_field=True, problem=None,
                 email_field=True, order=None):
    """The customer's field block; records the truth in m.expect."""
    labels = {}
    for key, label in TEMPLATE_LABELS.items():
        labels[key] = rng.choice(VARIANT_LABELS[key]) if variant and key in VARIANT_LABELS else label
    lines = []
    def add(key, value):
        if next_line:
            lines.append("%s%s:" % (bullets, labels[key]))
            lines.append(value)
        else:
            lines.append("%s%s: %s" % (bullets, labels[key], value))
    fields = [("company", cust["company"], "company"), ("name", cust["name"], "contact_name"),
              ("phone", cust["phone"], "contact_phone"), ("cco", cust["cco"], "cco_id")]
    if email_field:
        fields.append(("email", cust["email"], "contact_email"))
    if smart:
        sa = cust["company"].split()[0]
        fields += [("smart", sa, "smart_account"), ("virtual", sa + "-East", "virtual_account")]
    else:
        fields.append(("contract", cust["contract"], "contract"))
    if product_field:
        fields.append(("product", product, None))
    if order == "shuffle":
        rng.shuffle(fields)
    for key, value, json_key in fields:
        if key in omit:
            continue
        add(key, value)
        if json_key:
            m.expect[json_key] = value
    stated = None
    if severity is not None:
        form, text, number = severity
        if form == "field":
            add("severity", text)
        elif form == "line":
            lines.append(text)
        else:
            lines.append("Impact: %s" % text[0])
            lines.append("Urgency: %s" % text[1])
        stated = number
    desc = problem or (rng.choice(QUESTIONS) if question else rng.choice(PROBLEMS))
    if "description" not in omit:
        lines.append("%s%s: %s" % (bullets, labels["description"], desc[0]))
        lines.extend(desc[1:])
        m.expect["description"] = "\n".join(desc)
    for key, json_key in (("location", "location"), ("alt", "alt_contact_name"),
                          ("alt_phone", "alt_contact_phone")):
        if key in omit:
            continue
        add(key, cust[key])
        m.expect[json_key] = cust[key]
    m.lines.extend(lines)
    m.stated_severity = stated
    m.question = question
    return lines


def finish_expectations(m, contact_fallback=None):
    e = m.expect
    if e["contact_email"] is None and e["kind"] in ("new_case", "follow_up"):
        e["contact_email"] = contact_fallback or e["from_address"]
    elif e["contact_email"] is None:
        e["contact_email"] = contact_fallback or e["from_address"]
    if e["kind"] == "new_case":
        stated = getattr(m, "stated_severity", None)
        if stated is not None:
            e["severity"] = stated
        else:
            e["severity"] = 4 if getattr(m, "question", False) else 3
            e["severity_inferred"] = True
        missing = []
        for key in ("company", "contact_name", "contact_phone"):
            if e[key] is None:
                missing.append(key)
        if e["contract"] is None and not (e["smart_account"] and e["virtual_account"]):
            missing.append("contract")
        for key in ("product", "description"):
            if e[key] is None:
                missing.append(key)
        e["missing"] = missing
    elif e["kind"] == "follow_up":
        stated = getattr(m, "stated_severity", None)
        e["severity"] = stated
    e["attachments"] = [dict(name=n, type=t, size=len(d), sha256=hashlib.sha256(d).hexdigest())
                        for n, t, d in m.attachments]


# ---------------------------------------------------------------- client renderers

def header_block(m, content_headers):
    h = ["From: %s" % address(m.from_name, m.from_addr), "To: tac@example.com",
         "Subject: %s" % encoded_word(m.subject), "Date: %s" % m.date,
         "Message-ID: <%s>" % m.msg_id] + m.extra + ["MIME-Version: 1.0"] + content_headers
    return "\r\n".join(h) + "\r\n\r\n"


def body_text(m, greeting=None, closing=None):
    parts = []
    if greeting:
        parts += [greeting, ""]
    parts += m.lines
    if closing:
        parts += [""] + closing
    if m.signature:
        parts += m.signature
    if m.quote:
        parts += [""] + m.quote
    return "\r\n".join(parts) + "\r\n"


def html_of(lines):
    out = []
    for line in lines:
        esc = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append('<p class="MsoNormal">%s<o:p></o:p></p>' % (esc or "&nbsp;"))
    return "\r\n".join(out)


def with_attachments(m, boundary, inner_headers, inner_body):
    if not m.attachments:
        return None
    parts = ["--%s\r\n%s\r\n\r\n%s" % (boundary, inner_headers, inner_body)]
    for name, ctype, data in m.attachments:
        parts.append("--%s\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; "
                     "filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s"
                     % (boundary, ctype, name, name, b64(data)))
    return "\r\n".join(parts) + "\r\n--%s--\r\n" % boundary


def render_outlook(m):
    text = body_text(m, "Hello TAC,", ["Kind regards,", m.from_name or "", ""])
    try:
        text.encode("cp1252")
        charset = "windows-1252"
    except UnicodeEncodeError:
        charset = "utf-8"
    html = ("<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><meta http-equiv="
            "\"Content-Type\" content=\"text/html; charset=utf-8\"><style><!-- p.MsoNormal "
            "{margin:0cm;} --></style></head><body lang=EN-US><div class=WordSection1>\r\n"
            + html_of(text.split("\r\n")) + "\r\n</div></body></html>")
    alt = ("--_000_alt_\r\nContent-Type: text/plain; charset=\"%s\"\r\nContent-Transfer-Encoding: "
           "quoted-printable\r\n\r\n%s\r\n--_000_alt_\r\nContent-Type: text/html; charset=\"utf-8\""
           "\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n--_000_alt_--\r\n"
           % (charset, qp(text, charset), qp(html)))
    m.extra = ["Thread-Topic: %s" % encoded_word(m.subject), "Thread-Index: AdqX1234abcd==",
               "X-MS-Has-Attach: %s" % ("yes" if m.attachments else ""),
               "X-Mailer: Microsoft Outlook 16.0"] + m.extra
    mixed = with_attachments(m, "_004_mixed_",
                             "Content-Type: multipart/alternative; boundary=\"_000_alt_\"", alt)
    if mixed:
        return header_block(m, ["Content-Type: multipart/mixed; boundary=\"_004_mixed_\""]) + mixed
    return header_block(m, ["Content-Type: multipart/alternative; boundary=\"_000_alt_\""]) + alt


def render_gmail(m):
    text = body_text(m, "Hi,", ["Thanks,", (m.from_name or "").split()[0] if m.from_name else ""])
    html_lines = "".join("<div>%s</div>" % (l.replace("&", "&amp;").replace("<", "&lt;") or "<br>")
                         for l in text.split("\r\n"))
    html = '<div dir="ltr">%s</div>' % html_lines
    alt = ("--000000000000gm\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n--000000000000gm\r\n"
           "Content-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: "
           "quoted-printable\r\n\r\n%s\r\n--000000000000gm--\r\n" % (qp(text), qp(html)))
    mixed = with_attachments(m, "000000000000mx",
                             "Content-Type: multipart/alternative; boundary=\"000000000000gm\"", alt)
    if mixed:
        return header_block(m, ["Content-Type: multipart/mixed; boundary=\"000000000000mx\""]) + mixed
    return header_block(m, ["Content-Type: multipart/alternative; boundary=\"000000000000gm\""]) + alt


def render_apple(m):
    m.signature = m.signature or ["", "Sent from my iPhone"]
    text = body_text(m)
    m.extra = ["X-Mailer: iPhone Mail (21F90)"] + m.extra
    body = qp(text)
    return header_block(m, ["Content-Type: text/plain; charset=utf-8",
                            "Content-Transfer-Encoding: quoted-printable"]) + body


def flow(line, width=60):
    """format=flowed: long lines broken after a space, the space kept (soft break)."""
    out = []
    while len(line) > width:
        cut = line.rfind(" ", 0, width)
        if cut <= 0:
            break
        out.append(line[:cut + 1])
        line = line[cut + 1:]
    out.append(line)
    return out


def render_thunderbird(m):
    m.signature = m.signature or ["-- ", m.from_name or "", m.expect.get("company") or ""]
    text = body_text(m, "Hello,", ["Regards"])
    flowed = []
    for line in text.split("\r\n"):
        flowed.extend(flow(line) if line != "-- " else [line])
    m.extra = ["User-Agent: Mozilla Thunderbird"] + m.extra
    return header_block(m, ["Content-Type: text/plain; charset=UTF-8; format=flowed",
                            "Content-Transfer-Encoding: 8bit"]) + "\r\n".join(flowed)


def render_ticket_html(m):
    """A partner ticket system: HTML only, the fields in a two-column table."""
    rows = []
    for line in m.lines:
        if ": " in line:
            label, value = line.split(": ", 1)
            rows.append("<tr><td style=\"font-weight:bold\">%s</td><td>%s</td></tr>"
                        % (label, value.replace("&", "&amp;").replace("<", "&lt;")))
        else:
            rows.append("<tr><td colspan=\"2\">%s</td></tr>" % line)
    html = ("<html><head><style>td{padding:2px}</style><script>track()</script></head><body>"
            "<p>A new incident was raised by our customer.</p><table border=\"1\">%s</table>"
            "<p>This is an automated notification from PartnerDesk.</p></body></html>"
            % "".join(rows))
    m.extra = ["X-Mailer: PartnerDesk 5.2"] + m.extra
    return header_block(m, ["Content-Type: text/html; charset=utf-8",
                            "Content-Transfer-Encoding: base64"]) + b64(html.encode())


def render_jira(m):
    """A service-desk notification: plain text with *bold* labels."""
    lines = []
    for line in m.lines:
        if ": " in line and not line.startswith(" "):
            label, value = line.split(": ", 1)
            lines.append("*%s:* %s" % (label, value))
        else:
            lines.append(line)
    text = "\r\n".join(["Request created by partner service desk", ""] + lines +
                        ["", "----", "This message was sent by ServiceDesk."]) + "\r\n"
    m.extra = ["Auto-Submitted: no"] + m.extra
    return header_block(m, ["Content-Type: text/plain; charset=UTF-8",
                            "Content-Transfer-Encoding: 7bit"]) + text


def render_legacy(m, charset):
    text = body_text(m, None, ["Regards"])
    body = text.encode(charset)
    h = header_block(m, ["Content-Type: text/plain; charset=%s" % charset,
                         "Content-Transfer-Encoding: %s" % ("7bit" if charset == "iso-2022-jp"
                                                            else "8bit")])
    return h.encode("ascii") + body


RENDER = dict(outlook=render_outlook, gmail=render_gmail, apple=render_apple,
              thunderbird=render_thunderbird, ticket=render_ticket_html, jira=render_jira)


def write(m, raw):
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8")
    with open(os.path.join(HERE, m.name + ".eml"), "wb") as f:
        f.write(data)
    with open(os.path.join(HERE, m.name + ".expected.json"), "w", encoding="utf-8") as f:
        json.dump({k: m.expect[k] for k in KEYS}, f, ensure_ascii=False, indent=2)
        f.write("\n")


def date(i):
    return "Mon, %d Jun 2024 %02d:%02d:00 +0200" % (3 + i % 20, 8 + i % 9, (i * 7) % 60)


def domain_of(addr):
    return addr.split("@")[1]


# ---------------------------------------------------------------- scenarios

def new_case(i, client, **kw):
    cust = CUSTOMERS[i % len(CUSTOMERS)]
    product = kw.pop("product", PRODUCTS[i % len(PRODUCTS)])
    subject = kw.pop("subject", product)
    expected_product = kw.pop("expected_product", product)
    m = Mail("%03d_%s_new" % (i, client), client)
    m.set_headers(cust["name"], cust["email"].replace("@", ".%d@" % i) if kw.pop("other_sender", False)
                  else cust["email"], subject, "%s.%d@%s" % (client, i, domain_of(cust["email"])),
                  date(i))
    fill_request(m, cust, product, **kw)
    m.expect["product"] = expected_product
    return m, cust


def build():
    mails = []
    clients = ["outlook", "gmail", "apple", "thunderbird", "ticket", "jira"]
    i = 0
    # 1. The template, as every client renders it, with and without optional fields.
    for round_ in range(4):
        for client in clients:
            omit = () if round_ % 2 == 0 else ("cco", "location", "alt", "alt_phone")
            sev = SEVERITY_FORMS[(i * 5) % len(SEVERITY_FORMS)] if round_ != 1 else None
            m, _ = new_case(i, client, omit=omit, severity=sev, question=(round_ == 1 and i % 3 == 0))
            finish_expectations(m)
            mails.append((m, RENDER[client]))
            i += 1
    # 2. Label variants, any order, bullets, value on the next line.
    for k in range(12):
        client = clients[k % 4]  # plain-text capable clients
        m, _ = new_case(i, client, variant=True, order="shuffle" if k % 2 else None,
                        bullets=["", "* ", "- ", "• "][k % 4], next_line=(k % 3 == 0),
                        severity=SEVERITY_FORMS[k % len(SEVERITY_FORMS)] if k % 4 else None)
        finish_expectations(m)
        mails.append((m, RENDER[client]))
        i += 1
    # 3. Missing fields, smart accounts, no contact email, product only in the body.
    for k in range(10):
        client = clients[k % len(clients)]
        kw = {}
        if k % 5 == 0:
            kw = dict(omit=("company", "phone"))
        elif k % 5 == 1:
            kw = dict(smart=True)
        elif k % 5 == 2:
            kw = dict(email_field=False)
        elif k % 5 == 3:
            product = PRODUCTS[(i + 3) % len(PRODUCTS)]
            kw = dict(subject="Support request", product=product, expected_product=product)
        else:
            kw = dict(omit=("contract", "description"), product_field=False,
                      subject="Need help urgently", expected_product=None)
        m, _ = new_case(i, client, **kw)
        if k % 5 == 3:
            m.expect["product"] = kw["product"]
        finish_expectations(m)
        mails.append((m, RENDER[client]))
        i += 1
    # 4. Subjects as people type them: prefixes, case, punctuation, typos.
    subjects = [("RE: Cisco BroadWorks", "Cisco BroadWorks"), ("cisco broadworks", "Cisco BroadWorks"),
                ("Fwd: BROADCLOUD", "BroadCloud"), ("AW: HIPCOM", "HIPCOM"),
                ("UC One SaaS", "UC-One SaaS"), ("Cisco Broadwroks", "Cisco BroadWorks"),
                ("Webex for Broadworks - login fails", "Webex for BroadWorks"),
                ("[EXTERNAL] Broadsoft PaaS", "BroadSoft PaaS"),
                ("CC-One", "Contact Center (CC-One)"), ("Webex Experience Management",
                                                       "Cisco Webex Experience Management")]
    for k, (subject, product) in enumerate(subjects):
        client = clients[k % 4]
        m, _ = new_case(i, client, subject=subject, product=product, expected_product=product,
                        product_field=(k % 2 == 0))
        finish_expectations(m)
        mails.append((m, RENDER[client]))
        i += 1
    # 5. Quoted earlier mail and signatures with field-like lines that must not be read.
    for k in range(6):
        client = ["outlook", "gmail", "thunderbird"][k % 3]
        m, cust = new_case(i, client, omit=("alt", "alt_phone"))
        other = CUSTOMERS[(i + 5) % len(CUSTOMERS)]
        if client == "outlook":
            m.quote = ["________________________________",
                       "From: %s <%s>" % (other["name"], other["email"]),
                       "Sent: Friday, May 31, 2024 4:12 PM", "To: tac@example.com",
                       "Subject: old request", "", "Alternate contact name: %s" % other["alt"],
                       "Alternate contact phone number: %s" % other["alt_phone"]]
        elif client == "gmail":
            m.quote = ["On Fri, May 31, 2024 at 4:12 PM %s <%s> wrote:" % (other["name"], other["email"]),
                       "> Alternate contact name: %s" % other["alt"],
                       "> Alternate contact phone number: %s" % other["alt_phone"]]
        else:
            m.signature = ["-- ", cust["name"], "Alternate contact name: %s" % other["alt"]]
        finish_expectations(m)
        mails.append((m, RENDER[client]))
        i += 1
    # 6. Follow-ups: [Case N] in the subject, or the case named in the body.
    for k in range(6):
        client = clients[k % 4]
        cust = CUSTOMERS[(i + k) % len(CUSTOMERS)]
        case = "68646%04d" % (3300 + k)
        m = Mail("%03d_%s_followup" % (i, client), client)
        if k % 2 == 0:
            subject = "Re: [Case %s] %s" % (case, PRODUCTS[k])
            m.lines = ["Attached are the logs you asked for.", "The problem still happens."]
            m.expect["product"] = PRODUCTS[k]
        else:
            subject = "update"
            m.lines = ["Regarding case number %s: the workaround worked." % case]
        m.set_headers(cust["name"], cust["email"], subject, "fu.%d@%s" % (i, domain_of(cust["email"])),
                      date(i), ["In-Reply-To: <tacmail.%s.1@example.com>" % case])
        if k == 3:
            m.lines.append("Severity 2")
            m.stated_severity = 2
        m.expect.update(kind="follow_up", case_ref=case)
        finish_expectations(m)
        mails.append((m, RENDER[client]))
        i += 1
    # 7. Auto-replies, bounces, list mail.
    autos = [("Automatic reply: Cisco BroadWorks", ["Auto-Submitted: auto-replied"]),
             ("Out of Office: HIPCOM", []), ("Re: update", ["X-Autoreply: yes"]),
             ("Auto: away", []), ("Re: ticket", ["Precedence: auto_reply"])]
    for k, (subject, extra) in enumerate(autos):
        cust = CUSTOMERS[k]
        m = Mail("%03d_auto_reply" % i, "outlook")
        m.set_headers(cust["name"], cust["email"], subject, "auto.%d@%s" % (i, domain_of(cust["email"])),
                      date(i), extra)
        m.lines = ["I am out of the office until June 10th."]
        m.expect.update(kind="auto_reply")
        if "BroadWorks" in subject:
            m.expect["product"] = "Cisco BroadWorks"
        if "HIPCOM" in subject:
            m.expect["product"] = "HIPCOM"
        finish_expectations(m)
        mails.append((m, render_apple if k % 2 else render_gmail))
        i += 1
    for k in range(3):
        m = Mail("%03d_bounce" % i, "mta")
        sender = ["MAILER-DAEMON@mx.example.net", "postmaster@mail.example.org",
                  "bounces@lists.example.com"][k]
        m.set_headers("Mail Delivery System", sender, "Undelivered Mail Returned to Sender",
                      "bounce.%d@mx.example.net" % i, date(i), ["Return-Path: <>"] if k == 2 else [])
        m.expect.update(kind="bounce")
        finish_expectations(m)
        report = ("--rep\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
                  "--rep\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; "
                  "mx.example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--rep--\r\n")
        mails.append((m, lambda mm, r=report: header_block(
            mm, ["Content-Type: multipart/report; report-type=delivery-status; boundary=\"rep\""]) + r))
        i += 1
    for k in range(2):
        m = Mail("%03d_list" % i, "list")
        m.set_headers("Community", "community@lists.example.net", "[bw-users] digest %d" % k,
                      "list.%d@lists.example.net" % i, date(i),
                      ["List-Id: <bw-users.lists.example.net>"] if k == 0 else ["Precedence: bulk"])
        m.lines = ["Topics of the week."]
        m.expect.update(kind="list")
        finish_expectations(m)
        mails.append((m, render_gmail))
        i += 1
    # 8. Partners forwarding their customer's mail.
    for k in range(4):
        cust = CUSTOMERS[(i + k) % len(CUSTOMERS)]
        product = PRODUCTS[(i + k) % len(PRODUCTS)]
        m = Mail("%03d_forward" % i, "partner")
        partner = "desk@partner%d.example" % k
        m.set_headers("Partner Desk", partner, "Fwd: %s" % product, "fwd.%d@partner.example" % i, date(i))
        inner = Mail("inner", "customer")
        fill_request(inner, cust, product, email_field=False, omit=("alt", "alt_phone"))
        for key in ("company", "contact_name", "contact_phone", "cco_id", "contract",
                    "description", "location"):
            m.expect[key] = inner.expect[key]
        m.expect["product"] = product
        if k == 0:
            m.lines = ["Please see below.", "", "---------- Forwarded message ---------",
                       "From: %s <%s>" % (cust["name"], cust["email"]),
                       "Date: Mon, 3 Jun 2024 at 09:40", "Subject: %s" % product,
                       "To: <%s>" % partner, ""] + inner.lines
            render = render_gmail
        elif k == 1:
            m.lines = ["FYI", "", "-----Original Message-----",
                       "From: %s <%s>" % (cust["name"], cust["email"]),
                       "Sent: Monday, June 3, 2024 9:40 AM", "To: %s" % partner,
                       "Subject: %s" % product, ""] + inner.lines
            render = render_outlook
        elif k == 2:
            m.lines = ["Begin forwarded message:", "",
                       "> From: %s <%s>" % (cust["name"], cust["email"]),
                       "> Subject: %s" % product, ">"] + ["> " + l for l in inner.lines]
            render = render_apple
        else:
            inner_raw = ("From: %s <%s>\r\nSubject: %s\r\nMessage-ID: <in.%d@c.example>\r\n"
                         "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit"
                         "\r\n\r\n%s\r\n" % (encoded_word(cust["name"]), cust["email"], product, i,
                                             "\r\n".join(inner.lines)))
            m.lines = ["Forwarding our customer's mail as an attachment."]
            render = (lambda mm, r=inner_raw: header_block(
                mm, ["Content-Type: multipart/mixed; boundary=\"fw\""]) +
                "--fw\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--fw\r\n"
                "Content-Type: message/rfc822\r\n\r\n%s\r\n--fw--\r\n" % ("\r\n".join(mm.lines), r))
        finish_expectations(m, contact_fallback=cust["email"])
        mails.append((m, render))
        i += 1
    # 9. Attachments.
    for k in range(4):
        client = ["outlook", "gmail"][k % 2]
        m, _ = new_case(i, client)
        data = bytes((j * 31 + k) % 256 for j in range(200 + 37 * k))
        m.attachments = [("trace-%d.pcap" % k, "application/vnd.tcpdump.pcap", data)]
        if k % 2:
            m.attachments.append(("config.txt", "text/plain", b"hostname as01\nrelease 24.0\n"))
        finish_expectations(m)
        mails.append((m, RENDER[client]))
        i += 1
    # 10. Legacy charsets from older clients.
    for k, charset in enumerate(["iso-8859-1", "iso-8859-15", "windows-1252", "iso-2022-jp",
                                 "shift_jis", "koi8-r"]):
        cust = dict(CUSTOMERS[2 if k < 3 else 9])
        if charset == "koi8-r":
            cust.update(company="ООО Связьтелеком", name="Иван Петров", location="Москва")
        m = Mail("%03d_legacy_%s" % (i, charset.replace("-", "_")), "legacy")
        product = PRODUCTS[k % len(PRODUCTS)]
        m.set_headers(None, cust["email"], product, "legacy.%d@%s" % (i, domain_of(cust["email"])),
                      date(i))
        fill_request(m, cust, product, omit=("alt", "alt_phone"),
                     problem=["Les appels échouent."] if k < 3 else ["Calls fail after 30 seconds."])
        m.expect["product"] = product
        finish_expectations(m)
        mails.append((m, lambda mm, c=charset: render_legacy(mm, c)))
        i += 1
    return mails


def main():
    for f in os.listdir(HERE):
        if f.endswith(".eml") or f.endswith(".expected.json"):
            os.remove(os.path.join(HERE, f))
    mails = build()
    for m, render in mails:
        write(m, render(m))
    print("wrote %d messages" % len(mails))


if __name__ == "__main__":
    main()
