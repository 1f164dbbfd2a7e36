// Real-world damage: broken base64/QP, RFC 2231 continuations, mislabeled charsets.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

namespace {

parsed_message with_body(const std::string& content_headers, const std::string& body) {
  return parse_message("From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n" +
                           content_headers + "\r\n\r\n" + body,
                       test_catalog());
}

}  // namespace

TEST_CASE("base64 with missing padding, stray characters and odd line lengths") {
  // "Company name: Base Corp" = Q29tcGFueSBuYW1lOiBCYXNlIENvcnA=
  auto m = with_body("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64",
                     "Q29tcGFueSBu!YW1lOi\r\nBCYXNlIE*NvcnA");
  CHECK(m.company == "Base Corp");
  auto n = with_body("Content-Type: text/plain\r\nContent-Transfer-Encoding: BASE64 ",
                     "Q29tcGFueSBuYW1lOiBCYXNlIENvcnA=\r\n");
  CHECK(n.company == "Base Corp");
}

TEST_CASE("quoted-printable with soft breaks, lower-case hex and stray '='") {
  auto m = with_body(
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable",
      "Company name: Gr=c3=bc=C3=9Fe=\r\n GmbH\r\nDescription: 50% =3D half, a=b stays\r\n");
  CHECK(m.company ==
        "Gr\xC3\xBC\xC3\x9F"
        "e GmbH");
  REQUIRE(m.description);
  CHECK(m.description->find("50% = half") == 0);
}

TEST_CASE("RFC 2231 filename continuations with a charset") {
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
      "--x\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment;\r\n filename*0*=iso-8859-1''Rapport%20d%E9;\r\n"
      " filename*1*=taill%E9;\r\n filename*2=\".txt\"\r\n\r\nabc\r\n--x--\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].name == "Rapport d\xC3\xA9taill\xC3\xA9.txt");
  CHECK(m.attachments[0].size == 3);
}

TEST_CASE("RFC 2047 encoded attachment names (Outlook, Gmail)") {
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
      "--x\r\nContent-Type: application/pdf; name=\"=?UTF-8?Q?Pr=C3=BCfbericht.pdf?=\"\r\n"
      "Content-Disposition: attachment; filename=\"=?UTF-8?Q?Pr=C3=BCfbericht.pdf?=\"\r\n\r\n"
      "%PDF\r\n--x--\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].name ==
        "Pr\xC3\xBC"
        "fbericht.pdf");
}

TEST_CASE("text labeled UTF-8 that is really Latin-1 is detected") {
  auto m = with_body("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit",
                     "Company name: Soci\xE9t\xE9 G\xE9n\xE9rale de T\xE9l\xE9phonie\r\n"
                     "Description: Les appels \xE9"
                     "chouent depuis la mise \xE0 jour du "
                     "syst\xE8me, nous avons v\xE9rifi\xE9 la configuration.\r\n");
  CHECK(m.company == "Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale de T\xC3\xA9l\xC3\xA9phonie");
  CHECK(has_warning(m, "detected"));
}

TEST_CASE("a message with only an attachment and no text still parses") {
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n"
      "Content-Type: application/pdf; name=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "JVBERi0xLjQK\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.product == "HIPCOM");
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].name == "report.pdf");
  CHECK(m.attachments[0].size == 9);
  CHECK(has_warning(m, "no text part"));
}
