// Severity: stated in many forms, the impact x urgency matrix, and the inference rule.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

namespace {

parsed_message parse_body(const std::string& body,
                          const std::string& subject = "Cisco BroadWorks") {
  return parse_message("From: pat@customer.example\r\nSubject: " + subject + "\r\n\r\n" + body,
                       test_catalog());
}

std::optional<int> stated(const std::string& body) {
  parsed_message m = parse_body(body);
  return m.severity_inferred ? std::nullopt : m.severity;
}

}  // namespace

TEST_CASE("severity written as a number") {
  CHECK(stated("Severity 3") == 3);
  CHECK(stated("Severity: 1") == 1);
  CHECK(stated("Sev 2") == 2);
  CHECK(stated("Sev3") == 3);
  CHECK(stated("this is S2 for us") == 2);
  CHECK(stated("P2") == 2);
  CHECK(stated("Priority: 4") == 4);
  CHECK(stated("Business effect: 3") == 3);
  CHECK(stated("Business effect: S2") == 2);
  CHECK(stated("Business effect / Severity: 4") == 4);
  CHECK(stated("Severity level: 2") == 2);
  // Not severities: versions, longer numbers, out of range.
  CHECK_FALSE(stated("running release S25 on 3.5"));
  CHECK_FALSE(stated("Severity 5"));
  CHECK_FALSE(stated("model S300"));
}

TEST_CASE("severity in the subject") {
  const parsed_message m = parse_body("text", "Cisco BroadWorks - Sev 2");
  CHECK(m.severity == 2);
  CHECK_FALSE(m.severity_inferred);
  CHECK(m.product == "Cisco BroadWorks");
}

TEST_CASE("impact words in the severity field") {
  CHECK(stated("Business effect: Critical impact - all users down") == 1);
  CHECK(stated("Business effect: High impact") == 2);
  CHECK(stated("Business effect: Moderate impact") == 3);
  CHECK(stated("Business effect: Low") == 4);
  CHECK(stated("Severity: Ask a Question") == 4);
}

TEST_CASE("impact x urgency matrix") {
  CHECK(stated("Impact: widespread\nUrgency: critical") == 1);
  CHECK(stated("Impact: large\nUrgency: high") == 2);
  CHECK(stated("Impact: localized\nUrgency: critical") == 2);
  CHECK(stated("Impact: individualized\nUrgency: critical") == 3);
  CHECK(stated("Impact: large\nUrgency: medium") == 3);
  CHECK(stated("Impact: widespread\nUrgency: low") == 4);
}

TEST_CASE("inference: questions S4, otherwise S3, outages flagged but never S1/S2") {
  auto q = parse_body("Description: how do I change the music on hold?");
  CHECK(q.severity == 4);
  CHECK(q.severity_inferred);
  auto d = parse_body("Description: Where is the documentation for the REST API");
  CHECK(d.severity == 4);
  auto p = parse_body("Description: calls drop after 30 seconds");
  CHECK(p.severity == 3);
  CHECK(p.severity_inferred);
  auto o = parse_body("Description: complete outage, all users down since 9am");
  CHECK(o.severity == 3);
  CHECK(o.severity_inferred);
  CHECK(has_warning(o, "mentions an outage but states no severity"));
  // Words count where a word starts: "this down" holds no "is down", "redocumentation" no
  // question.
  CHECK_FALSE(has_warning(parse_body("Description: please shut this down and restart it"),
                          "mentions an outage"));
  CHECK(parse_body("Description: the redocumentation of the dial plan failed").severity == 3);
}
