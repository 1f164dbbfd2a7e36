// Product resolution: subject first (prefixes stripped, spacing/punctuation/case ignored, small
// typos), then the Product type field, then a name the body mentions.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

namespace {

std::optional<std::string> product_of(const std::string& subject, const std::string& body = "x") {
  return parse_message("From: pat@customer.example\r\nSubject: " + subject + "\r\n\r\n" + body,
                       test_catalog())
      .product;
}

}  // namespace

TEST_CASE("subject matched against names and aliases") {
  CHECK(product_of("Cisco BroadWorks") == "Cisco BroadWorks");
  CHECK(product_of("cisco broadworks") == "Cisco BroadWorks");
  CHECK(product_of("CISCO-BROADWORKS") == "Cisco BroadWorks");
  CHECK(product_of("BWKS") == "Cisco BroadWorks");
  CHECK(product_of("UC One SaaS") == "UC-One SaaS");
  CHECK(product_of("CC-One") == "Contact Center (CC-One)");
  CHECK(product_of("Cisco Webex Experience Management (formerly CloudCherry)") ==
        "Cisco Webex Experience Management");
  CHECK(product_of("Webex for BroadWorks") == "Webex for BroadWorks");
}

TEST_CASE("reply, forward and case prefixes stripped") {
  CHECK(product_of("Re: Fwd: HIPCOM") == "HIPCOM");
  CHECK(product_of("AW: SV: TR: RV: BroadCloud") == "BroadCloud");
  CHECK(product_of("RE: [Case 686463306] BroadSoft PaaS") == "BroadSoft PaaS");
  CHECK(product_of("[EXTERNAL] FW: HIPCOM") == "HIPCOM");
}

TEST_CASE("small typos tolerated, short names exact") {
  CHECK(product_of("Cisco Broadwroks") == "Cisco BroadWorks");
  CHECK(product_of("Broadcloud") == "BroadCloud");
  CHECK(product_of("Brod Cloud") == "BroadCloud");
  CHECK_FALSE(product_of("BWXS"));
  CHECK_FALSE(product_of("Urgent help needed"));
}

TEST_CASE("product named inside a longer subject") {
  CHECK(product_of("Cisco BroadWorks - calls drop after upgrade") == "Cisco BroadWorks");
  CHECK(product_of("Webex for BroadWorks: login fails") == "Webex for BroadWorks");
}

TEST_CASE("body Product type, then a name the body mentions") {
  CHECK(product_of("urgent", "Product type: HIPCOM\n") == "HIPCOM");
  CHECK(product_of("urgent", "Product: broad soft paas\n") == "BroadSoft PaaS");
  CHECK(product_of("urgent", "Our BroadCloud trunks are failing.\n") == "BroadCloud");
  CHECK_FALSE(product_of("urgent", "Nothing to see here.\n"));
}
