// routing::decide(): product -> queue, missing fields -> status, severity -> response time.
// Requests are built by hand so these tests do not depend on the parser.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tacmail/routing/decision.hpp"
#include "routing_test_support.hpp"
#include "tacmail/routing/time_format.hpp"

namespace {

using namespace std::chrono;
using routing_test::complete_request;
using routing_test::has;
using routing_test::make_product;
using tacmail::parser::parsed_message;
using tacmail::routing::clock;
using tacmail::routing::decide;
using tacmail::routing::routing_rules;

routing_rules test_rules() {
  routing_rules rules;
  rules.products.products.push_back(make_product(
      "Cisco BroadWorks", {}, "Collaboration & Conferencing", "BroadWorks", "broadworks"));
  rules.products.products.push_back(
      make_product("HIPCOM", {}, "Cloud & Hybrid Products", "HIPCOM", "hipcom"));
  rules.products.products.push_back(make_product("Webex Calling Dedicated Instance", {},
                                                 "Cloud & Hybrid Products", "Dedicated Instance",
                                                 "dedicated-instance"));
  return rules;
}

const clock::time_point now = sys_days{year{2026} / 11 / 23} + hours(9) + minutes(15);

bool any_contains(const std::vector<std::string>& items, const std::string& needle) {
  return std::any_of(items.begin(), items.end(),
                     [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}


}  // namespace

TEST_SUITE("routing.decide") {
  TEST_CASE("the built-in catalog routes Cisco BroadWorks to broadworks") {
    routing_rules rules;
    rules.products = tacmail::config::builtin_product_catalog();
    const auto d = decide(complete_request("Cisco BroadWorks"), rules, now);
    CHECK(d.queue == "broadworks");
    CHECK(d.technology == "Collaboration & Conferencing");
    CHECK(d.sub_technology == "BroadWorks");
  }

  TEST_CASE("an unknown or absent product goes to triage with a reason") {
    const routing_rules rules = test_rules();

    SUBCASE("product absent, subject names nothing known") {
      auto m = complete_request("Cisco BroadWorks");
      m.product.reset();
      m.subject = "Phones are broken";
      const auto d = decide(m, rules, now);
      CHECK(d.queue == "triage");
      CHECK(d.technology.empty());
      CHECK(d.sub_technology.empty());
      CHECK(any_contains(d.reasons, "triage"));
    }
    SUBCASE("product named but not in the catalog") {
      auto m = complete_request("Frobnicator 3000");
      const auto d = decide(m, rules, now);
      CHECK(d.queue == "triage");
      CHECK(any_contains(d.reasons, "triage"));
    }
    SUBCASE("empty subject, no product") {
      auto m = complete_request("Cisco BroadWorks");
      m.product.reset();
      m.subject.clear();
      const auto d = decide(m, rules, now);
      CHECK(d.queue == "triage");
      CHECK(any_contains(d.reasons, "triage"));
    }
  }

  TEST_CASE("missing fields make the case Customer Pending, flagged, with a reason listing them") {
    auto m = complete_request("Cisco BroadWorks");
    m.contract.reset();
    m.location.reset();
    m.missing = {"contract", "location"};
    const auto d = decide(m, test_rules(), now);
    CHECK(d.status == "Customer Pending");
    CHECK(has(d.flags, "missing_fields"));
    CHECK(any_contains(d.reasons, "contract"));
    CHECK(any_contains(d.reasons, "location"));
  }

  TEST_CASE("nothing missing makes the case New without the missing_fields flag") {
    const auto d = decide(complete_request("Cisco BroadWorks"), test_rules(), now);
    CHECK(d.status == "New");
    CHECK_FALSE(has(d.flags, "missing_fields"));
  }

  // `now` is a Monday 09:15 UTC inside business hours, so one/three business days on the
  // default calendar are exactly 24 h / 72 h.
  TEST_CASE("response due follows the severity; S3 when severity is absent") {
    struct row {
      std::optional<int> severity;
      clock::duration due_after;
    };
    const row rows[] = {
        {1, minutes(15)}, {2, minutes(30)}, {3, hours(24)}, {4, hours(72)}, {std::nullopt, hours(24)},
    };
    const routing_rules rules = test_rules();
    for (const auto& r : rows) {
      CAPTURE(r.severity.value_or(0));
      auto m = complete_request("Cisco BroadWorks");
      m.severity = r.severity;
      const auto d = decide(m, rules, now);
      CHECK(tacmail::routing::to_rfc3339(d.response_due) ==
            tacmail::routing::to_rfc3339(now + r.due_after));
      CHECK(d.response_due == now + r.due_after);
    }
  }

  TEST_CASE("S1/S2 run on calendar time; S3/S4 on the business calendar (DOMAIN.md)") {
    // Friday 2026-11-27 16:00 UTC, default calendar Mon-Fri 08:00-17:00 UTC.
    const clock::time_point friday = sys_days{year{2026} / 11 / 27} + hours(16);
    const routing_rules rules = test_rules();
    auto m = complete_request("Cisco BroadWorks");
    m.severity = 1;
    CHECK(decide(m, rules, friday).response_due == friday + minutes(15));
    m.severity = 2;
    CHECK(decide(m, rules, friday).response_due == friday + minutes(30));
    m.severity = 3;  // 1 h left on Friday + 8 h on Monday
    CHECK(tacmail::routing::to_rfc3339(decide(m, rules, friday).response_due) ==
          "2026-11-30T16:00:00Z");
    m.severity = 4;  // 3 business days: Wednesday 16:00
    CHECK(tacmail::routing::to_rfc3339(decide(m, rules, friday).response_due) ==
          "2026-12-02T16:00:00Z");
  }

  TEST_CASE("the same request, rules and clock give the same decision") {
    const auto m = complete_request("HIPCOM");
    const auto a = decide(m, test_rules(), now);
    const auto b = decide(m, test_rules(), now);
    CHECK(a.queue == b.queue);
    CHECK(a.status == b.status);
    CHECK(a.flags == b.flags);
    CHECK(a.reasons == b.reasons);
    CHECK(a.response_due == b.response_due);
  }

  // Regression (fixed): with no severity at all the reason said "severity 3 (stated)".
  TEST_CASE("an absent severity is not reported as stated") {
    auto m = complete_request("Cisco BroadWorks");
    m.severity.reset();
    m.severity_inferred = false;
    const auto d = decide(m, test_rules(), now);
    CHECK_FALSE(any_contains(d.reasons, "(stated)"));
  }

  TEST_CASE("find_product finds canonical names only") {
    const auto rules = test_rules();
    const auto* p = tacmail::routing::find_product(rules.products, "HIPCOM");
    REQUIRE(p != nullptr);
    CHECK(p->queue == "hipcom");
    CHECK(tacmail::routing::find_product(rules.products, "hipcom-nope") == nullptr);
    CHECK(tacmail::routing::find_product(rules.products, "") == nullptr);
  }
}
