// The template mail of DOMAIN.md and its common variants: every field read, missing computed.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

TEST_CASE("plain template mail: every field, headers and severity") {
  const parsed_message m = parse_file("plain_template.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(std::string(to_string(m.kind)) == "new_case");
  CHECK(m.subject == "Cisco BroadWorks");
  CHECK(m.from_address == "jane.doe@acme-telecom.com");
  CHECK(m.from_name == "Jane Doe");
  CHECK(m.message_id == "CAF=plain.0001@mail.acme-telecom.com");
  CHECK(m.date == "Mon, 3 Jun 2024 11:14:20 +0200");
  CHECK(m.company == "Acme Telecom GmbH");
  CHECK(m.contact_name == "Jane Doe");
  CHECK(m.contact_phone == "+49 89 1234 5678");
  CHECK(m.cco_id == "jdoe-acme");
  CHECK(m.contact_email == "noc@acme-telecom.com");
  CHECK(m.contract == "91234567");
  CHECK_FALSE(m.smart_account);
  CHECK_FALSE(m.virtual_account);
  CHECK(m.product == "Cisco BroadWorks");
  CHECK(m.severity == 3);
  CHECK_FALSE(m.severity_inferred);
  CHECK(m.description ==
        "Since the upgrade to R24 the Application Server\n"
        "rejects SIP REGISTER from about 5% of our Polycom phones with 403 Forbidden.\n"
        "Other phones are not affected.");
  CHECK(m.location == "Leopoldstrasse 10, 80802 Munich, Germany");
  CHECK(m.alt_contact_name == "Max Mustermann");
  CHECK(m.alt_contact_phone == "+49 89 1234 5600");
  CHECK_FALSE(m.case_ref);
  CHECK(m.missing.empty());
  CHECK(m.attachments.empty());
  CHECK_FALSE(has_warning(m, "contact_email"));
  CHECK(m.body_text.find("Hello TAC,") == 0);
  CHECK(m.body_text.find('\r') == std::string::npos);
}

TEST_CASE("missing fields are listed in contract order; contact_email falls back to From") {
  const parsed_message m = parse_file("missing_fields.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.company == "SmallISP LLC");
  CHECK(m.description ==
        "our call center agents cannot log in since this morning, the login\npage just spins.");
  CHECK(m.contact_email == "bob@smallisp.net");
  CHECK(has_warning(m, "contact_email taken from From"));
  CHECK(m.from_name == "Bob Smith");
  CHECK_FALSE(m.product);
  CHECK(m.severity == 3);
  CHECK(m.severity_inferred);
  const std::vector<std::string> expected{"contact_name", "contact_phone", "contract", "product"};
  CHECK(m.missing == expected);
}

TEST_CASE("smart and virtual account satisfy the contract; bullets tolerated; S2 stated") {
  const parsed_message m = parse_file("smart_account.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.subject == "RE: Webex for BroadWorks");
  CHECK(m.product == "Webex for BroadWorks");
  CHECK(m.company == "Telco Italia SpA");
  CHECK(m.contact_name == "Carla Rossi");
  CHECK(m.contact_phone == "+39 02 555 0101");
  CHECK(m.smart_account == "Telco Italia");
  CHECK(m.virtual_account == "Telco-Milano");
  CHECK_FALSE(m.contract);
  CHECK(m.severity == 2);
  CHECK_FALSE(m.severity_inferred);
  CHECK(m.description ==
        "Webex app users on the Milano cluster cannot join\nmeetings from the desktop client.");
  CHECK(m.missing.empty());
}

TEST_CASE("a how-do-I question without a severity is inferred S4") {
  const parsed_message m = parse_file("question.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.product == "BroadCloud");
  CHECK(m.from_name == "Li, Wei");
  CHECK(m.severity == 4);
  CHECK(m.severity_inferred);
  CHECK(m.contract == "88776655");
  CHECK(m.missing.empty());
}
