// Forwarded mail: a partner forwarding a customer's request, inline or as an attachment.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

TEST_CASE("Gmail inline forward: fields from the forwarded mail, contact email its sender") {
  const parsed_message m = parse_file("forward_gmail.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.from_address == "desk@partner-msp.example");
  CHECK(m.company == "End Customer AG");
  CHECK(m.contact_name == "Carol Customer");
  CHECK(m.contact_phone == "+41 44 555 00 11");
  CHECK(m.contract == "31415926");
  CHECK(m.description == "Hunt group does not ring the last agent.");
  CHECK(m.contact_email == "carol@endcustomer.example");
  CHECK(m.product == "Cisco BroadWorks");
  CHECK(m.missing.empty());
  CHECK(has_warning(m, "forwarded"));
}

TEST_CASE("Outlook -----Original Message----- forward; product from the forwarded subject") {
  const parsed_message m = parse_file("forward_outlook.eml");
  CHECK(m.company == "End Customer Two Ltd");
  CHECK(m.contract == "27182818");
  CHECK(m.contact_email == "dan@endcustomer2.example");
  CHECK(m.product == "HIPCOM");
  CHECK(m.missing.empty());
}

TEST_CASE("Apple Mail 'Begin forwarded message:' with quoted lines") {
  const parsed_message m = parse_file("forward_apple.eml");
  CHECK(m.company == "End Customer Three");
  CHECK(m.contact_name == "Frank");
  CHECK(m.contract == "16180339");
  CHECK(m.description == "Voicemail greeting cannot be changed.");
  CHECK(m.contact_email == "frank@endcustomer3.example");
  CHECK(m.product == "BroadCloud");
  CHECK(m.missing.empty());
}

TEST_CASE("message/rfc822 attachment read as the request") {
  const parsed_message m = parse_file("forward_attached.eml");
  CHECK(m.kind == message_kind::new_case);
  CHECK(m.company == "End Customer Four");
  CHECK(m.contract == "14142135");
  CHECK(m.contact_email == "grace@endcustomer4.example");
  CHECK(m.product == "BroadSoft PaaS");
  CHECK(m.description == "API calls return 500 since Tuesday.");
  CHECK(m.missing.empty());
  CHECK(m.message_id == "outer.0004@partner4.example");
}

TEST_CASE("the forwarder's own fields win over the forwarded mail") {
  const std::string raw =
      "From: desk@partner.example\r\nSubject: Fwd: HIPCOM\r\n\r\n"
      "Company name: Partner Reseller\r\n\r\n"
      "---------- Forwarded message ---------\r\nFrom: c@customer.example\r\n\r\n"
      "Company name: Customer Inc\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.company == "Partner Reseller");
}

TEST_CASE("format=flowed lines are joined, space-stuffing removed, signature cut") {
  const parsed_message m = parse_file("format_flowed.eml");
  CHECK(m.company == "Thunder Networks");
  CHECK(
      m.description ==
      "The call park feature stops working after the nightly restart of the application "
      "server, and parked calls are lost. This started last week.\n\nFrom the logs: REGISTER 403");
}
