"""A generator of hostile mail for the intake (issue 8): malformed MIME, deep nesting, bad
encodings and charsets, oversized headers, NULs, invalid UTF-8, header injection, degenerate
messages and one large attachment. Messages are built at test time (never committed): the
30 MB attachment alone would be 40 MB of base64.

    hostile_messages(count, seed, big_attachment_mb=30) -> [(name, raw bytes)]

The first messages are one of each kind (KINDS); further ones are random mixes of the same
ingredients with their own sender, subject and text, so `count` can grow (TACMAIL_SOAK) without
repeating a mail. Every message but the degenerate ones carries a unique Message-ID
<hostile-N@fuzz.example>, so the test can find its case.
"""

import base64
import random

CRLF = b"\r\n"


def _mid(n):
    return f"hostile-{n}@fuzz.example"


def _headers(n, subject=b"hostile", extra=b"", sender=None, mid=True):
    sender = sender or f"Hostile {n} <hostile{n}@fuzz{n % 7}.example>".encode()
    h = (b"From: " + sender + CRLF +
         b"To: tac@example.com" + CRLF +
         b"Subject: " + subject + CRLF +
         b"Date: Mon, 23 Nov 2026 10:00:00 +0000" + CRLF)
    if mid:
        h += b"Message-ID: <" + _mid(n).encode() + b">" + CRLF
    return h + extra


def _request_text(n):
    return (f"Company name: Fuzz {n} Ltd\r\nContact name: Eve {n}\r\n"
            f"Contact phone number: +1 555 010 {n:04d}\r\nContract number: 8{n:07d}\r\n"
            f"Product type: Cisco BroadWorks\r\nBusiness effect: S3\r\n"
            f"Brief problem description: hostile sample {n}\r\n").encode()


def _simple(n, subject, body, extra=b""):
    return (_headers(n, subject, b"MIME-Version: 1.0" + CRLF +
                     b"Content-Type: text/plain; charset=utf-8" + CRLF + extra) + CRLF + body)


# -- one of each kind ----------------------------------------------------------------------------

def missing_boundary(n):
    return (_headers(n, b"multipart without boundary parameter",
                     b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n") + CRLF +
            b"--\r\nContent-Type: text/plain\r\n\r\n" + _request_text(n) + b"--\r\n")


def unterminated_multipart(n):
    return (_headers(n, b"boundary never closed",
                     b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zz"\r\n') +
            CRLF + b"--zz\r\nContent-Type: text/plain\r\n\r\n" + _request_text(n) +
            b"--zz\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nAAAA")


def boundary_in_body(n):
    return (_headers(n, b"boundary that never occurs",
                     b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; '
                     b'boundary="not-there"\r\n') + CRLF + _request_text(n))


def nested(n, depth=50):
    head = _headers(n, f"nested multiparts {depth} deep".encode(),
                    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b0"\r\n')
    body = b""
    for i in range(depth):
        body += (f"--b{i}\r\nContent-Type: multipart/mixed; boundary=\"b{i + 1}\"\r\n\r\n"
                 .encode())
    body += f"--b{depth}\r\nContent-Type: text/plain\r\n\r\n".encode() + _request_text(n)
    for i in range(depth, -1, -1):
        body += f"--b{i}--\r\n".encode()
    return head + CRLF + body


def nested_messages(n, depth=50):
    """message/rfc822 inside message/rfc822, depth times."""
    inner = _request_text(n)
    part = b"Content-Type: text/plain\r\n\r\n" + inner
    for i in range(depth):
        part = (b"Content-Type: message/rfc822\r\n\r\n" +
                f"Subject: level {i}\r\nFrom: x{i}@fuzz.example\r\n".encode() + part)
    return _headers(n, b"nested message/rfc822", b"MIME-Version: 1.0\r\n") + part


def bad_base64(n):
    return (_headers(n, b"bad base64", b"MIME-Version: 1.0\r\n"
                     b"Content-Type: text/plain; charset=utf-8\r\n"
                     b"Content-Transfer-Encoding: base64\r\n") + CRLF +
            b"Q29tcGFueSBuYW1lOi!!!@@@###\r\n====\r\nZm9v=YmFy\r\n\xff\xfe\x00\x01\r\nQQ")


def bad_qp(n):
    return (_headers(n, b"bad quoted-printable", b"MIME-Version: 1.0\r\n"
                     b"Content-Type: text/plain; charset=iso-8859-1\r\n"
                     b"Content-Transfer-Encoding: quoted-printable\r\n") + CRLF +
            b"Company name: =ZZ=4=\r\n=\r\n=E9=E8=\xff" + b"=" * 5000 + b"\r\n=0")


def bad_charsets(n):
    return (_headers(n, b"=?x-no-such-charset?Q?caf=E9?= =?utf-8?B?!!!?= =?utf-7?B?K2ZmZi0?=",
                     b"MIME-Version: 1.0\r\n"
                     b"Content-Type: text/plain; charset=\"x-klingon-\xff\"\r\n") + CRLF +
            _request_text(n) + b"caf\xe9 \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80\r\n")


def utf16_without_bom(n):
    return _simple(n, b"utf-16 body", "Company name: Fuzz\r\n".encode("utf-16-le") * 50,
                   b"")


def unterminated_headers(n):
    """Headers that never end: no blank line, the last one without CRLF."""
    return _headers(n, b"no blank line", b"X-Unfinished: yes\r\nX-Last: no newline")


def long_header_line(n, size=20 * 1024):
    return _simple(n, b"a 20 kB header line",
                   _request_text(n), b"X-Long: " + b"A" * size + CRLF)


def long_folded_header(n):
    return _simple(n, b"a header folded 5000 times", _request_text(n),
                   b"X-Folded: start" + (CRLF + b" fold") * 5000 + CRLF)


def huge_subject(n):
    return _simple(n, b"huge " + ("\u00e9\u4e2d\U0001f600" * 20000).encode(), _request_text(n))


def nul_bytes(n):
    return _simple(n, b"NUL\x00in\x00subject", b"Company name: \x00Fuzz\x00\r\n" +
                   _request_text(n) + b"\x00" * 100, b"X-Nul: a\x00b\r\n")


def invalid_utf8_everywhere(n):
    junk = b"\xc0\xaf\xff\xfe\xed\xa0\x80\xf4\x90\x80\x80\x80"
    return (_headers(n, b"subject " + junk, b"MIME-Version: 1.0\r\n"
                     b"Content-Type: text/plain; charset=utf-8\r\nX-" + junk + b": " + junk +
                     CRLF, sender=b"\xff\xfe <bad" + junk + b"@fuzz.example>") + CRLF +
            b"Company name: " + junk + CRLF + b"Contact name: " + junk + CRLF + junk * 100)


def header_injection(n):
    """Line breaks smuggled through encoded words and parameters: nothing may reach the reply's
    headers or the SMTP envelope."""
    evil = base64.b64encode(b"Help\r\nBcc: victim@evil.example\r\nX-Injected: yes").decode()
    return _simple(n, f"=?utf-8?B?{evil}?=".encode(), _request_text(n) +
                   b"Contact email address: a@b.example\r\nBcc: victim2@evil.example\r\n"
                   b".\r\nMAIL FROM:<evil@evil.example>\r\nRCPT TO:<victim3@evil.example>\r\n",
                   b"Reply-To: \"x\r\n Bcc: victim4@evil.example\" <reply@fuzz.example>\r\n"
                   b"X-Mailer: =?utf-8?Q?a=0D=0ABcc:_victim5@evil.example?=\r\n")


def smtp_smuggling(n):
    return _simple(n, b"smuggling", _request_text(n) +
                   b"\n.\n" + b"MAIL FROM:<evil@evil.example>\r\n" + b"\r.\r" + b"DATA\r\n")


def sql_and_format_strings(n):
    return _simple(n, b"'); DROP TABLE cases; -- %s%n%x {} {0} ${jndi:ldap://x}",
                   b"Company name: Robert'); DROP TABLE cases;--\r\n"
                   b"Contract number: 1 OR 1=1\r\nContact name: %s%s%s%n\r\n" + _request_text(n))


def empty_message(n):
    return b""


def only_headers(n):
    return _headers(n, b"only headers")


def one_byte(n):
    return b"x"


def no_from_no_mid(n):
    return (b"Subject: nobody sent this\r\n\r\n" + _request_text(n))


def many_parts(n, parts=2000):
    head = _headers(n, f"{parts} parts".encode(),
                    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n')
    body = b"--p\r\nContent-Type: text/plain\r\n\r\n" + _request_text(n)
    for i in range(parts):
        body += f"--p\r\nContent-Type: text/plain; name=\"p{i}.txt\"\r\n\r\n{i}\r\n".encode()
    return head + CRLF + body + b"--p--\r\n"


def bad_rfc2231(n):
    return (_headers(n, b"bad RFC 2231 filenames", b'MIME-Version: 1.0\r\nContent-Type: '
                     b'multipart/mixed; boundary="q"\r\n') + CRLF +
            b"--q\r\nContent-Type: text/plain\r\n\r\n" + _request_text(n) +
            b"--q\r\nContent-Type: application/pdf; name*0*=utf-8''%ff%fe; name*1=\"..\";"
            b" name*99*=x''%zz\r\nContent-Disposition: attachment; filename*=''../../etc/passwd"
            b"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--q--\r\n")


def html_bomb(n):
    return (_headers(n, b"html tables nested", b"MIME-Version: 1.0\r\n"
                     b"Content-Type: text/html; charset=utf-8\r\n") + CRLF +
            b"<table>" * 3000 + b"<tr><td>Company name</td><td>Fuzz</td></tr>" +
            b"<div>" * 20000 + b"<!--" + b"<script>" * 100)


def winmail_garbage(n):
    return (_headers(n, b"broken winmail.dat", b'MIME-Version: 1.0\r\nContent-Type: '
                     b'multipart/mixed; boundary="w"\r\n') + CRLF +
            b"--w\r\nContent-Type: text/plain\r\n\r\n" + _request_text(n) +
            b"--w\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(b"\x78\x9f\x3e\x22" + b"\xff" * 4000) + b"--w--\r\n")


def bare_lf_and_cr(n):
    return (_headers(n, b"bare LF and CR").replace(b"\r\n", b"\n") + b"\r" +
            b"\nCompany name: Fuzz\rContact name: Eve\n\n\r\r" + _request_text(n))


def big_attachment(n, mb=30):
    data = random.Random(n).randbytes(mb << 20)
    head = _headers(n, f"a {mb} MB attachment".encode(),
                    b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="big"\r\n')
    return (head + CRLF + b"--big\r\nContent-Type: text/plain\r\n\r\n" + _request_text(n) +
            b"--big\r\nContent-Type: application/octet-stream; name=\"core.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(data) +
            b"--big--\r\n")


KINDS = [missing_boundary, unterminated_multipart, boundary_in_body, nested, nested_messages,
         bad_base64, bad_qp, bad_charsets, utf16_without_bom, unterminated_headers,
         long_header_line, long_folded_header, huge_subject, nul_bytes, invalid_utf8_everywhere,
         header_injection, smtp_smuggling, sql_and_format_strings, empty_message, only_headers,
         one_byte, no_from_no_mid, many_parts, bad_rfc2231, html_bomb, winmail_garbage,
         bare_lf_and_cr]

# Kinds that carry no Message-ID of ours (or no headers at all).
ANONYMOUS = {"empty_message", "one_byte", "no_from_no_mid"}


def _mixed(n, rng):
    """A random mix of the ingredients above, for counts beyond one of each."""
    kind = rng.choice([k for k in KINDS if k.__name__ not in ANONYMOUS])
    raw = kind(n)
    # Flip, drop or duplicate a few bytes past the Message-ID so every mix differs.
    raw = bytearray(raw)
    start = raw.find(b"Message-ID:") + 40
    for _ in range(rng.randrange(1, 8)):
        if len(raw) <= start + 1:
            break
        i = rng.randrange(start, len(raw))
        op = rng.randrange(3)
        if op == 0:
            raw[i] = rng.randrange(256)
        elif op == 1:
            del raw[i]
        else:
            raw[i:i] = bytes([rng.choice(b"\r\n\0=-:;\"\\\xff")])
    return kind.__name__ + "+mutated", bytes(raw)


def hostile_messages(count, seed=0, big_attachment_mb=30):
    """[(name, raw)]: one of each kind, the big attachment, then random mixes up to count."""
    rng = random.Random(seed)
    out = [(k.__name__, k(i)) for i, k in enumerate(KINDS)]
    if big_attachment_mb:
        out.append(("big_attachment", big_attachment(len(out), big_attachment_mb)))
    n = len(out)
    while len(out) < count:
        out.append(_mixed(n, rng))
        n += 1
    return out[:max(count, len(KINDS) + (1 if big_attachment_mb else 0))]


def message_id(n):
    """The Message-ID (without <>) hostile message number n carries, if it carries one."""
    return _mid(n)
