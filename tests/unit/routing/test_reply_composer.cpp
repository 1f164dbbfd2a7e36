// routing::compose_case_opened() and case_subject(): subject tag, threading ids, body text.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tacmail/config/settings.hpp"
#include "tacmail/routing/decision.hpp"
#include "tacmail/routing/reply.hpp"

namespace {

using namespace std::chrono;
using tacmail::parser::parsed_message;
using tacmail::routing::clock;
using tacmail::routing::compose_case_opened;
using tacmail::routing::decision;

const clock::time_point now = sys_days{year{2026} / 11 / 23} + hours(9) + minutes(15);
const tacmail::config::routing_settings policy{};

parsed_message request() {
  parsed_message m;
  m.subject = "Cisco BroadWorks";
  m.from_address = "jane.doe@acme.example.com";
  m.message_id = "abc.123@acme.example.com";
  m.contact_name = "Jane Doe";
  m.product = "Cisco BroadWorks";
  m.severity = 3;
  return m;
}

decision decided(const std::string& status = "New") {
  decision d;
  d.queue = "broadworks";
  d.technology = "Collaboration & Conferencing";
  d.sub_technology = "BroadWorks";
  d.status = status;
  d.response_due = now + hours(24);
  return d;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE("routing.reply") {
  TEST_CASE("the subject is tagged once with the case number") {
    const auto r = compose_case_opened("686463306", request(), decided(), policy);
    CHECK(r.subject == "[Case 686463306] Cisco BroadWorks");
  }

  TEST_CASE("a subject already carrying the tag is not tagged twice") {
    auto m = request();
    m.subject = "Re: [Case 686463306] Cisco BroadWorks";
    const auto r = compose_case_opened("686463306", m, decided(), policy);
    CHECK(r.subject == "Re: [Case 686463306] Cisco BroadWorks");
    CHECK(tacmail::routing::case_subject("686463306", "[Case 686463306] x") == "[Case 686463306] x");
  }

  TEST_CASE("case_subject on an empty subject is the bare tag") {
    CHECK(tacmail::routing::case_subject("700000001", "") == "[Case 700000001]");
    // Another case's tag is not ours: ours is still added.
    CHECK(tacmail::routing::case_subject("700000001", "[Case 700000002] x") ==
          "[Case 700000001] [Case 700000002] x");
  }

  TEST_CASE("the reply goes to the From address") {
    const auto r = compose_case_opened("686463306", request(), decided(), policy);
    CHECK(r.to_address == "jane.doe@acme.example.com");
  }

  TEST_CASE("in_reply_to and references carry the request's message id") {
    SUBCASE("no earlier references") {
      const auto r = compose_case_opened("686463306", request(), decided(), policy);
      CHECK(r.in_reply_to == std::vector<std::string>{"abc.123@acme.example.com"});
      CHECK(r.references == std::vector<std::string>{"abc.123@acme.example.com"});
    }
    SUBCASE("earlier references stay first, in order") {
      auto m = request();
      m.references = {"first@x.example", "second@x.example"};
      const auto r = compose_case_opened("686463306", m, decided(), policy);
      CHECK(r.in_reply_to == std::vector<std::string>{"abc.123@acme.example.com"});
      CHECK(r.references == std::vector<std::string>{"first@x.example", "second@x.example",
                                                     "abc.123@acme.example.com"});
    }
    SUBCASE("no message id: no threading headers") {
      auto m = request();
      m.message_id.reset();
      const auto r = compose_case_opened("686463306", m, decided(), policy);
      CHECK(r.in_reply_to.empty());
    }
  }

  TEST_CASE("the body names the case number, queue and severity") {
    const auto r = compose_case_opened("686463306", request(), decided(), policy);
    CHECK(has(r.body, "686463306"));
    CHECK(has(r.body, "broadworks"));
    CHECK(has(r.body, "S3"));
    CHECK(has(r.body, "[Case 686463306]"));
    CHECK_FALSE(has(r.body, "\r"));
  }

  TEST_CASE("S1/S2 with phone_required tell the customer to call, with the policy's numbers") {
    auto m = request();
    m.severity = 1;
    auto d = decided();
    d.flags.push_back("phone_required");
    tacmail::config::routing_settings phones;
    phones.phone_numbers = {"US/Canada: 1-800-553-2447", "UK: 0800 404 7778"};
    const auto r = compose_case_opened("686463306", m, d, phones);
    CHECK(has(r.body, "1-800-553-2447"));
    CHECK(has(r.body, "0800 404 7778"));
    CHECK(has(r.body, "S1"));
  }

  TEST_CASE("the body names the severity given, for every severity") {
    for (int s = 1; s <= 4; ++s) {
      CAPTURE(s);
      auto m = request();
      m.severity = s;
      const auto r = compose_case_opened("686463306", m, decided(), policy);
      CHECK(has(r.body, "S" + std::to_string(s)));
    }
  }

  TEST_CASE("each missing field is named by its human label") {
    auto m = request();
    m.missing = {"company", "contract", "cco_id", "alt_contact_phone", "severity"};
    const auto r = compose_case_opened("686463306", m, decided("Customer Pending"), policy);
    CHECK(has(r.body, "Company name"));
    CHECK(has(r.body, "Contract number"));
    CHECK(has(r.body, "Cisco.com User ID"));
    CHECK(has(r.body, "Alternate contact phone number"));
    CHECK(has(r.body, "Business effect"));
    CHECK(has(r.body, "could not find"));
    CHECK(has(r.body, "Customer Pending"));
  }

  TEST_CASE("no missing paragraph when nothing is missing") {
    const auto r = compose_case_opened("686463306", request(), decided(), policy);
    CHECK_FALSE(has(r.body, "could not find"));
    CHECK_FALSE(has(r.body, "missing"));
    CHECK_FALSE(has(r.body, "  - "));
  }

  // Regression (fixed): a request without any severity was answered "Severity: S3" with no
  // hint that S3 was assumed.
  TEST_CASE("an absent severity is presented as assumed") {
    auto m = request();
    m.severity.reset();
    m.severity_inferred = false;
    const auto r = compose_case_opened("686463306", m, decided(), policy);
    CHECK(has(r.body, "S3"));
    CHECK(has(r.body, "assumed"));
  }
}
