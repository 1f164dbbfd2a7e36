// Results the parser's shortcuts must not change: cached label tables, quoted-printable decoded
// around mimetic's decoder, boundaries searched without mimetic's own search, HTML parsed in a
// reused arena. Expected values are those of the straightforward code the shortcuts replaced.
#include <doctest/doctest.h>

#include <string>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

TEST_CASE("configured label synonyms follow the options of each message") {
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\n\r\nKennung: 81818181\r\nFirma: Beispiel GmbH\r\n";
  parse_options as_contract;
  as_contract.labels = {{"contract", "Kennung"}, {"bogus", "Whatever"}};
  parse_options as_company;
  as_company.labels = {{"company", "Kennung"}};

  const parsed_message first = parse_message(raw, test_catalog(), as_contract);
  CHECK(first.contract == "81818181");
  CHECK_FALSE(first.company);
  CHECK(has_warning(first, "names no field"));

  const parsed_message second = parse_message(raw, test_catalog(), as_company);
  CHECK(second.company == "81818181");
  CHECK_FALSE(second.contract);
  CHECK_FALSE(has_warning(second, "names no field"));

  const parsed_message plain = parse_message(raw, test_catalog());
  CHECK_FALSE(plain.company);
  CHECK_FALSE(plain.contract);

  const parsed_message again = parse_message(raw, test_catalog(), as_contract);
  CHECK(again.contract == "81818181");
  CHECK(has_warning(again, "names no field"));
}

TEST_CASE("quoted-printable escapes, soft breaks and blanks decode as mimetic decodes them") {
  const std::string raw =
      "From: a@b.example\r\nSubject: qp\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Company name: Soci=e9t=E9 G=\r\nen=C3rale =3D one\r\n"
      "Contact name: Am=E9lie =\r\n  Dubois\r\n"
      "Description: a=\r\nb =20\r\nc=4\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.body_text ==
        "Company name: Soci\xC3\xA9t\xC3\xA9 Gen\xC3\x83rale = one\n"
        "Contact name: Am\xC3\xA9lie   Dubois\n"
        "Description: ab\nc=4");
  CHECK(m.company == "Soci\xC3\xA9t\xC3\xA9 Gen\xC3\x83rale = one");
  CHECK(m.contact_name == "Am\xC3\xA9lie Dubois");
  CHECK(m.description == "ab\nc=4");
}

TEST_CASE("a boundary with a byte over 0x7F is never found, as mimetic never finds it") {
  const std::string raw =
      "From: a@b.example\r\nSubject: boundary\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\xE9x\"\r\n\r\n"
      "--b\xE9x\r\nContent-Type: text/plain\r\n\r\nCompany name: Acme\r\n--b\xE9x--\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.body_text.empty());
  CHECK_FALSE(m.company);
  CHECK(has_warning(m, "no text part found"));
}

TEST_CASE("HTML parsed one after another keeps each text its own") {
  auto html_mail = [](const std::string& body) {
    return "From: a@b.example\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
           body;
  };
  const std::string table = html_mail(
      "<table><tr><td>Company name</td><td>Globex</td></tr>"
      "<tr><td>Contact name</td><td>Hank</td></tr></table>");
  const std::string paragraphs = html_mail("<p>Hello <b>TAC</b>,</p><p>it is down.</p>");
  const std::string table_alone = parse_message(table, test_catalog()).body_text;
  for (int round = 0; round < 3; ++round) {
    CHECK(parse_message(paragraphs, test_catalog()).body_text == "Hello TAC,\nit is down.");
    CHECK(parse_message(table, test_catalog()).body_text == table_alone);
  }
  CHECK(table_alone == "Company name: Globex\nContact name: Hank");
}
