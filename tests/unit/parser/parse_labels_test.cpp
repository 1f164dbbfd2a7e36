// Field extraction from the label variants customers really write.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

namespace {

parsed_message parse_body(const std::string& body,
                          const std::string& subject = "Cisco BroadWorks") {
  return parse_message("From: Pat <pat@customer.example>\r\nSubject: " + subject +
                           "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body,
                       test_catalog());
}

}  // namespace

TEST_CASE("label synonyms and separators") {
  const parsed_message m = parse_body(
      "Customer - Initech Inc.\n"
      "Contact person: Peter Gibbons\n"
      "Tel: +1 512 555 0199\n"
      "CCO ID: pgibbons\n"
      "E-mail: Peter.Gibbons@Initech.example\n"
      "Contract # 10203040\n"
      "Priority: P2\n"
      "Site: 4120 Freidrich Lane, Austin TX\n"
      "Backup contact: Michael Bolton\n"
      "Alt. contact phone: +1 512 555 0142\n"
      "Problem description: TPS reports fail to upload.\n");
  CHECK(m.company == "Initech Inc.");
  CHECK(m.contact_name == "Peter Gibbons");
  CHECK(m.contact_phone == "+1 512 555 0199");
  CHECK(m.cco_id == "pgibbons");
  CHECK(m.contact_email == "peter.gibbons@initech.example");
  CHECK(m.contract == "10203040");
  CHECK(m.severity == 2);
  CHECK(m.location == "4120 Freidrich Lane, Austin TX");
  CHECK(m.alt_contact_name == "Michael Bolton");
  CHECK(m.alt_contact_phone == "+1 512 555 0142");
  CHECK(m.description == "TPS reports fail to upload.");
  CHECK(m.missing.empty());
  CHECK_FALSE(has_warning(m, "contact_email"));
}

TEST_CASE("more synonyms: Organisation, Contract No., Service contract number, Mobile") {
  auto a =
      parse_body("Organisation: Umbrella plc\nContract No.: 0012345678\nMobile: 07700 900123\n");
  CHECK(a.company == "Umbrella plc");
  CHECK(a.contract == "0012345678");
  CHECK(a.contact_phone == "07700 900123");
  auto b = parse_body(
      "Organization: Umbrella Corp\nService contract number: 55667788\n"
      "Cisco.com ID: ucorp\nAddress: 1 Main St\n");
  CHECK(b.company == "Umbrella Corp");
  CHECK(b.contract == "55667788");
  CHECK(b.cco_id == "ucorp");
  CHECK(b.location == "1 Main St");
  auto c = parse_body("Contract #: 44556677\nUser ID: jsmith\n");
  CHECK(c.contract == "44556677");
  CHECK(c.cco_id == "jsmith");
}

TEST_CASE("value on the next line, any order, case-insensitive labels") {
  const parsed_message m = parse_body(
      "BRIEF PROBLEM DESCRIPTION:\n"
      "Calls to 911 from site B route to the wrong PSAP.\n"
      "We noticed it during the monthly test.\n"
      "\n"
      "company name:\n"
      "Vandelay Industries\n"
      "Contact Name\n"
      "Art Vandelay\n"
      "contact phone number:\n"
      "\n"
      "+1 212 555 0110\n"
      "contract number: 99887766\n");
  CHECK(m.company == "Vandelay Industries");
  CHECK(m.contact_name == "Art Vandelay");
  CHECK(m.contact_phone == "+1 212 555 0110");
  CHECK(m.contract == "99887766");
  CHECK(
      m.description ==
      "Calls to 911 from site B route to the wrong PSAP.\nWe noticed it during the monthly test.");
  CHECK(m.missing.empty());
}

TEST_CASE("placeholders do not count as values") {
  const parsed_message m =
      parse_body("Company name: Acme\nContract number: N/A\nContact name: -\n");
  CHECK(m.company == "Acme");
  CHECK_FALSE(m.contract);
  CHECK_FALSE(m.contact_name);
}

TEST_CASE("Outlook mailto decoration is removed from the contact email") {
  const parsed_message m =
      parse_body("Contact email address: ops@acme.example <mailto:ops@acme.example>\n");
  CHECK(m.contact_email == "ops@acme.example");
}

TEST_CASE("description keeps paragraphs and stops at a label, a closing or a signature") {
  auto a = parse_body(
      "Description: first line\nsecond line\n\nthird paragraph\nContract number: 12345678\n");
  CHECK(a.description == "first line\nsecond line\n\nthird paragraph");
  CHECK(a.contract == "12345678");
  auto b = parse_body("Description: it broke\n\nKind regards,\nPat\n+1 555 0100\n");
  CHECK(b.description == "it broke");
  auto c = parse_body("Description: it broke\n-- \nPat Example\nCompany name: Signature Corp\n");
  CHECK(c.description == "it broke");
  CHECK_FALSE(c.company);
}

TEST_CASE("quoted replies are not read as the request") {
  auto a = parse_body(
      "Company name: Real Corp\n\nOn Mon, 3 Jun 2024 at 10:00, Someone <s@x.example> wrote:\n"
      "> Contact name: Quoted Person\n> Contract number: 11111111\n");
  CHECK(a.company == "Real Corp");
  CHECK_FALSE(a.contact_name);
  CHECK_FALSE(a.contract);
  auto b = parse_body(
      "Company name: Real Corp\n\n"
      "From: Someone <s@x.example>\nSent: Monday, June 3, 2024 10:00 AM\nTo: tac@example.com\n"
      "Subject: old\n\nContract number: 22222222\n");
  CHECK(b.company == "Real Corp");
  CHECK_FALSE(b.contract);
  auto c = parse_body("Company name: Real Corp\n> Contract number: 33333333\nContact name: Pat\n");
  CHECK_FALSE(c.contract);
  CHECK(c.contact_name == "Pat");
}

TEST_CASE("label synonyms added by configuration") {
  parse_options options;
  options.labels = {{"contract", "Vertragsnummer"}, {"company", "Firma"}, {"bogus", "Whatever"}};
  const std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\n\r\nFirma: Beispiel GmbH\r\n"
      "Vertragsnummer: 81818181\r\nWhatever: x\r\n";
  const parsed_message m = parse_message(raw, test_catalog(), options);
  CHECK(m.company == "Beispiel GmbH");
  CHECK(m.contract == "81818181");
  CHECK(has_warning(m, "names no field"));
  // Without the configuration the labels mean nothing.
  const parsed_message plain = parse_message(raw, test_catalog());
  CHECK_FALSE(plain.company);
  CHECK_FALSE(plain.contract);
}
