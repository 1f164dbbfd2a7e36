// The TAC's routing policy as decide() applies it: product queues, entitlement against a
// contracts catalog (contracts and Smart/Virtual Accounts), public webmail, the S1/S2 phone
// rule, missing fields, and which rule wins when several apply; plus what the "case opened"
// reply tells the customer about each. Requests are built by hand, the clock is fixed.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tacmail/config/catalog.hpp"
#include "tacmail/config/settings.hpp"
#include "tacmail/routing/decision.hpp"
#include "tacmail/routing/reply.hpp"
#include "tacmail/routing/response_time.hpp"
#include "routing_test_support.hpp"

namespace {

using namespace std::chrono;
using routing_test::complete_request;
using routing_test::has;
using routing_test::make_product;
using tacmail::config::contract_status;
using tacmail::parser::parsed_message;
using tacmail::routing::clock;
using tacmail::routing::decide;
using tacmail::routing::decision;
using tacmail::routing::routing_rules;

// Wednesday 2026-04-15 14:00 UTC.
const clock::time_point now = sys_days{year{2026} / April / 15} + hours(14);

tacmail::config::contract contract(std::string number, std::string company, contract_status status,
                                   std::optional<std::string> end_date,
                                   std::vector<std::string> products = {}) {
  tacmail::config::contract c;
  c.number = std::move(number);
  c.company = std::move(company);
  c.status = status;
  c.end_date = std::move(end_date);
  c.products = std::move(products);
  return c;
}

tacmail::config::virtual_account va(std::string name, std::vector<std::string> contracts) {
  tacmail::config::virtual_account v;
  v.name = std::move(name);
  v.contracts = std::move(contracts);
  return v;
}

tacmail::config::product_catalog products() {
  tacmail::config::product_catalog catalog;
  catalog.products.push_back(make_product("Cisco BroadWorks", {"BroadWorks", "BWKS"},
                                     "Collaboration & Conferencing", "BroadWorks", "broadworks"));
  catalog.products.push_back(make_product("HIPCOM", {}, "Cloud & Hybrid Products", "HIPCOM", "hipcom"));
  catalog.products.push_back(make_product("Webex Calling Dedicated Instance", {"Dedicated Instance"},
                                     "Cloud & Hybrid Products", "Dedicated Instance",
                                     "dedicated-instance"));
  return catalog;
}

// Today is 2026-04-15.
tacmail::config::contract_catalog contracts() {
  tacmail::config::contract_catalog catalog;
  catalog.contracts = {
      contract("91234567", "Acme Corp", contract_status::active, "2027-06-30"),
      contract("55500001", "Globex", contract_status::active, "2026-03-31"),  // end date passed
      contract("55500002", "Initech", contract_status::expired, "2026-03-31"),
      contract("55500003", "Umbrella", contract_status::active, std::nullopt, {"HIPCOM"}),
      contract("55500004", "Hooli", contract_status::active, std::nullopt, {"BWKS"}),  // alias
      contract("55500005", "Vandelay", contract_status::active, "2026-04-15"),         // ends today
      contract("55500006", "Stark", contract_status::expired, std::nullopt),
  };
  tacmail::config::smart_account acme;
  acme.name = "Acme";
  acme.virtual_accounts = {
      va("Acme-East", {"91234567"}), va("Acme-Old", {"55500002"}), va("Acme-Empty", {}),
      va("Acme-Mixed", {"00000000", "55500002", "55500004"}), va("Acme-Hipcom", {"55500003"})};
  catalog.smart_accounts.push_back(acme);
  return catalog;
}

routing_rules rules_without_contracts() {
  routing_rules rules;
  rules.products = products();
  rules.policy.calendar.time_zone = "America/New_York";
  return rules;
}

routing_rules rules_with_contracts() {
  routing_rules rules = rules_without_contracts();
  rules.contracts = contracts();
  return rules;
}


bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

bool any_reason(const decision& d, const std::string& needle) {
  return std::any_of(d.reasons.begin(), d.reasons.end(),
                     [&](const std::string& r) { return contains(r, needle); });
}

std::string all_reasons(const decision& d) {
  std::string out;
  for (const auto& r : d.reasons) out += "\n  " + r;
  return out;
}

// Invariants of every decision: reasons given, and one of them names the final queue.
void check_explained(const decision& d) {
  CAPTURE(all_reasons(d));
  CHECK_FALSE(d.reasons.empty());
  for (const auto& r : d.reasons) CHECK_FALSE(r.empty());
  CHECK(any_reason(d, "queue " + d.queue));
}

}  // namespace

TEST_SUITE("routing.policy") {
  TEST_CASE("product decides queue, technology and sub-technology") {
    struct row {
      const char* product;
      const char* queue;
      const char* technology;
      const char* sub_technology;
    };
    // clang-format off
    const row rows[] = {
        {"Cisco BroadWorks", "broadworks", "Collaboration & Conferencing", "BroadWorks"},
        {"HIPCOM", "hipcom", "Cloud & Hybrid Products", "HIPCOM"},
        {"Webex Calling Dedicated Instance", "dedicated-instance", "Cloud & Hybrid Products",
         "Dedicated Instance"},
    };
    // clang-format on
    for (const auto& r : rows) {
      CAPTURE(r.product);
      auto m = complete_request();
      m.subject = r.product;
      m.product = r.product;
      const decision d = decide(m, rules_without_contracts(), now);
      CHECK(d.queue == r.queue);
      CHECK(d.technology == r.technology);
      CHECK(d.sub_technology == r.sub_technology);
      CHECK(d.status == "New");
      CHECK(d.flags.empty());
      CHECK(any_reason(d, r.product));
      check_explained(d);
    }
  }

  TEST_CASE("no product, or one the catalog does not know, goes to the triage queue") {
    auto rules = rules_without_contracts();
    rules.policy.triage_queue = "gsr-triage";
    SUBCASE("no product") {
      auto m = complete_request();
      m.subject = "Help please";
      m.product.reset();
      const decision d = decide(m, rules, now);
      CHECK(d.queue == "gsr-triage");
      CHECK(d.technology.empty());
      CHECK(d.sub_technology.empty());
      CHECK(any_reason(d, "Help please"));
      check_explained(d);
    }
    SUBCASE("a product name missing from the catalog") {
      auto m = complete_request();
      m.product = "Cisco Jabber";
      const decision d = decide(m, rules, now);
      CHECK(d.queue == "gsr-triage");
      check_explained(d);
    }
  }

  TEST_CASE("entitlement against the contracts catalog") {
    struct row {
      const char* name;
      std::optional<std::string> contract;
      std::optional<std::string> smart_account;
      std::optional<std::string> virtual_account;
      const char* product;
      bool entitled;
      std::vector<std::string> reason_has;  // all must appear in one reason
    };
    // clang-format off
    const row rows[] = {
        {"active contract, all products", "91234567", {}, {}, "Cisco BroadWorks", true,
         {"91234567"}},
        {"written with a dash", "9123-4567", {}, {}, "Cisco BroadWorks", true, {"91234567"}},
        {"written with spaces", " 9123 4567 ", {}, {}, "Cisco BroadWorks", true, {"91234567"}},
        {"covers the product by alias", "55500004", {}, {}, "Cisco BroadWorks", true,
         {"55500004"}},
        {"covers the product by name", "55500003", {}, {}, "HIPCOM", true, {"55500003"}},
        {"end date is today", "55500005", {}, {}, "Cisco BroadWorks", true, {"55500005"}},
        {"unknown contract", "99999999", {}, {}, "Cisco BroadWorks", false,
         {"99999999", "unknown"}},
        {"status expired", "55500002", {}, {}, "Cisco BroadWorks", false,
         {"55500002", "expired", "2026-03-31"}},
        {"status expired without end date", "55500006", {}, {}, "Cisco BroadWorks", false,
         {"55500006", "expired"}},
        {"end date before today", "55500001", {}, {}, "Cisco BroadWorks", false,
         {"55500001", "expired 2026-03-31"}},
        {"products list does not cover the product", "55500003", {}, {}, "Cisco BroadWorks",
         false, {"55500003", "does not cover", "Cisco BroadWorks"}},
        {"smart + virtual account holding an active contract", {}, "Acme", "Acme-East",
         "Cisco BroadWorks", true, {"Acme", "Acme-East", "91234567"}},
        {"account names compare case-insensitively", {}, "ACME", "acme-east", "Cisco BroadWorks",
         true, {"91234567"}},
        {"virtual account with one good contract among bad ones", {}, "Acme", "Acme-Mixed",
         "Cisco BroadWorks", true, {"55500004"}},
        {"virtual account holding only an expired contract", {}, "Acme", "Acme-Old",
         "Cisco BroadWorks", false, {"Acme-Old", "55500002", "expired"}},
        {"virtual account holding no contract", {}, "Acme", "Acme-Empty", "Cisco BroadWorks",
         false, {"Acme-Empty"}},
        {"virtual account whose contract does not cover the product", {}, "Acme", "Acme-Hipcom",
         "Cisco BroadWorks", false, {"55500003", "does not cover"}},
        {"unknown smart account", {}, "Wayne", "Wayne-East", "Cisco BroadWorks", false,
         {"Wayne", "unknown"}},
        {"unknown virtual account", {}, "Acme", "Acme-West", "Cisco BroadWorks", false,
         {"Acme-West", "unknown"}},
        {"smart account without virtual account", {}, "Acme", {}, "Cisco BroadWorks", false,
         {"no contract"}},
    };
    // clang-format on
    const auto rules = rules_with_contracts();
    for (const auto& r : rows) {
      CAPTURE(r.name);
      auto m = complete_request();
      m.contract = r.contract;
      m.smart_account = r.smart_account;
      m.virtual_account = r.virtual_account;
      m.subject = r.product;
      m.product = r.product;
      const decision d = decide(m, rules, now);
      CAPTURE(all_reasons(d));
      REQUIRE(d.entitled.has_value());
      CHECK(*d.entitled == r.entitled);
      const auto* p = tacmail::routing::find_product(rules.products, r.product);
      REQUIRE(p != nullptr);
      if (r.entitled) {
        CHECK(d.queue == p->queue);
        CHECK(d.status == "New");
        CHECK_FALSE(has(d.flags, "entitlement_pending"));
      } else {
        CHECK(d.queue == "entitlement");
        CHECK(d.status == "Entitlement Pending");
        CHECK(has(d.flags, "entitlement_pending"));
        CHECK(any_reason(d, "entitlement pending"));
      }
      // One reason says it all: the contract (or account) and why.
      CHECK(std::any_of(d.reasons.begin(), d.reasons.end(), [&](const std::string& reason) {
        return std::all_of(r.reason_has.begin(), r.reason_has.end(),
                           [&](const std::string& part) { return contains(reason, part); });
      }));
      check_explained(d);
    }
  }

  TEST_CASE("no contract number and no accounts with a catalog: entitlement pending") {
    auto m = complete_request();
    m.contract.reset();
    const decision d = decide(m, rules_with_contracts(), now);
    REQUIRE(d.entitled.has_value());
    CHECK_FALSE(*d.entitled);
    CHECK(has(d.flags, "entitlement_pending"));
    CHECK(d.queue == "entitlement");
    check_explained(d);
  }

  TEST_CASE("the entitlement queue is configurable") {
    auto rules = rules_with_contracts();
    rules.policy.entitlement_queue = "gsr";
    auto m = complete_request();
    m.contract = "99999999";
    const decision d = decide(m, rules, now);
    CHECK(d.queue == "gsr");
    check_explained(d);
  }

  TEST_CASE("without a contracts catalog entitlement is unknown and the product queue is kept") {
    for (const char* number : {"91234567", "99999999"}) {
      CAPTURE(number);
      auto m = complete_request();
      m.contract = number;
      const decision d = decide(m, rules_without_contracts(), now);
      CHECK_FALSE(d.entitled.has_value());
      CHECK(d.queue == "broadworks");
      CHECK(d.status == "New");
      CHECK_FALSE(has(d.flags, "entitlement_pending"));
      check_explained(d);
    }
  }

  TEST_CASE("public webmail senders are flagged and go through entitlement verification") {
    struct row {
      const char* name;
      const char* from;
      bool with_contracts;
    };
    // clang-format off
    const row rows[] = {
        {"gmail, no catalog", "jane.doe@gmail.com", false},
        {"gmail, entitled contract", "jane.doe@gmail.com", true},
        {"upper-case domain", "Jane.Doe@GMAIL.COM", true},
        {"a domain the operator added", "jane@webmail.example.net", true},
    };
    // clang-format on
    for (const auto& r : rows) {
      CAPTURE(r.name);
      auto rules = r.with_contracts ? rules_with_contracts() : rules_without_contracts();
      rules.policy.public_email_domains.push_back("webmail.example.net");
      auto m = complete_request();
      m.from_address = r.from;
      const decision d = decide(m, rules, now);
      CAPTURE(all_reasons(d));
      CHECK(has(d.flags, "public_email"));
      CHECK(d.queue == "entitlement");
      CHECK(d.status == "Entitlement Pending");
      CHECK(any_reason(d, "public"));
      check_explained(d);
    }
    SUBCASE("a corporate domain is not flagged") {
      const decision d = decide(complete_request(), rules_with_contracts(), now);
      CHECK_FALSE(has(d.flags, "public_email"));
      CHECK(d.queue == "broadworks");
    }
    SUBCASE("a domain the operator removed from the list is not flagged") {
      auto rules = rules_with_contracts();
      rules.policy.public_email_domains = {"yahoo.com"};
      auto m = complete_request();
      m.from_address = "jane.doe@gmail.com";
      const decision d = decide(m, rules, now);
      CHECK_FALSE(has(d.flags, "public_email"));
      CHECK(d.queue == "broadworks");
    }
  }

  TEST_CASE("S1/S2 stated by mail: phone_required and the urgent queue") {
    struct row {
      const char* name;
      std::optional<int> severity;
      bool inferred;
      bool phone;
      minutes due;  // zero: business time, not checked here
    };
    // clang-format off
    const row rows[] = {
        {"S1 stated", 1, false, true, minutes(15)},
        {"S2 stated", 2, false, true, minutes(30)},
        {"S1 inferred", 1, true, false, minutes(15)},
        {"S2 inferred", 2, true, false, minutes(30)},
        {"S3 stated", 3, false, false, minutes(0)},
        {"S4 stated", 4, false, false, minutes(0)},
        {"no severity", std::nullopt, true, false, minutes(0)},
    };
    // clang-format on
    for (const auto& r : rows) {
      CAPTURE(r.name);
      auto m = complete_request();
      m.severity = r.severity;
      m.severity_inferred = r.inferred;
      const decision d = decide(m, rules_with_contracts(), now);
      CAPTURE(all_reasons(d));
      CHECK(has(d.flags, "phone_required") == r.phone);
      CHECK(d.queue == (r.phone ? "urgent" : "broadworks"));
      CHECK(d.status == "New");
      if (r.due > minutes(0)) {
        CHECK(d.response_due == now + r.due);
      }
      if (r.phone) {
        CHECK(any_reason(d, "phone"));
      }
      check_explained(d);
    }
    SUBCASE("the urgent queue is configurable") {
      auto rules = rules_with_contracts();
      rules.policy.urgent_queue = "s1-desk";
      auto m = complete_request();
      m.severity = 1;
      CHECK(decide(m, rules, now).queue == "s1-desk");
    }
  }

  TEST_CASE("which rule wins when several apply") {
    struct row {
      const char* name;
      std::optional<std::string> contract;
      const char* from;
      std::optional<int> severity;
      std::vector<std::string> missing;
      const char* queue;
      const char* status;
      std::vector<std::string> flags;  // exactly these, in any order
    };
    // clang-format off
    const row rows[] = {
        {"all fine", "91234567", "jane@acme.example.com", 3, {}, "broadworks", "New", {}},
        {"S1 over entitlement", "55500002", "jane@acme.example.com", 1, {}, "urgent",
         "Entitlement Pending", {"entitlement_pending", "phone_required"}},
        {"S2 over public email", "91234567", "jane@gmail.com", 2, {}, "urgent",
         "Entitlement Pending", {"public_email", "phone_required"}},
        {"missing fields over entitlement", {}, "jane@acme.example.com", 3, {"contract"},
         "entitlement", "Customer Pending", {"entitlement_pending", "missing_fields"}},
        {"missing fields over public email", "91234567", "jane@gmail.com", 3, {"contact_phone"},
         "entitlement", "Customer Pending", {"public_email", "missing_fields"}},
        {"S1, expired, webmail and missing", "55500002", "jane@gmail.com", 1, {"company"},
         "urgent", "Customer Pending",
         {"entitlement_pending", "public_email", "phone_required", "missing_fields"}},
        {"missing, entitled", "91234567", "jane@acme.example.com", 4, {"location"},
         "broadworks", "Customer Pending", {"missing_fields"}},
    };
    // clang-format on
    for (const auto& r : rows) {
      CAPTURE(r.name);
      auto m = complete_request();
      m.contract = r.contract;
      m.from_address = r.from;
      m.severity = r.severity;
      m.missing = r.missing;
      const decision d = decide(m, rules_with_contracts(), now);
      CAPTURE(all_reasons(d));
      CHECK(d.queue == r.queue);
      CHECK(d.status == r.status);
      auto got = d.flags;
      auto want = r.flags;
      std::sort(got.begin(), got.end());
      std::sort(want.begin(), want.end());
      CHECK(got == want);
      if (!r.missing.empty()) {
        CHECK(any_reason(d, "Customer Pending"));
        for (const auto& f : r.missing) CHECK(any_reason(d, f));
      }
      check_explained(d);
    }
  }

  TEST_CASE("response due follows severity on the policy's calendar") {
    auto rules = rules_with_contracts();
    auto m = complete_request();
    for (int severity : {1, 2, 3, 4}) {
      CAPTURE(severity);
      m.severity = severity;
      const decision d = decide(m, rules, now);
      CHECK(d.response_due == tacmail::routing::response_due(severity, now, rules.policy.calendar));
      CHECK(any_reason(d, "S" + std::to_string(severity)));
    }
    // Absent severity is treated as S3.
    m.severity.reset();
    m.severity_inferred = true;
    CHECK(decide(m, rules, now).response_due ==
          tacmail::routing::response_due(3, now, rules.policy.calendar));
  }

  // At 2026-04-01 02:00 UTC it is still 2026-03-31 in New York, the contract's last day.
  TEST_CASE("a contract's end date is judged on the calendar's local date") {
    auto rules = rules_with_contracts();
    auto m = complete_request();
    m.contract = "55500001";  // active, end_date 2026-03-31
    const clock::time_point late_evening_in_new_york =
        sys_days{year{2026} / April / 1} + hours(2);  // 2026-03-31 22:00 EDT
    const decision d = decide(m, rules, late_evening_in_new_york);
    CAPTURE(all_reasons(d));
    REQUIRE(d.entitled.has_value());
    CHECK(*d.entitled);
    CHECK(d.queue == "broadworks");
  }
}

TEST_SUITE("routing.policy.reply") {
  using tacmail::routing::compose_case_opened;

  TEST_CASE("phone_required: the reply lists every phone number from the policy") {
    auto rules = rules_with_contracts();
    rules.policy.phone_numbers = {"US/Canada: 1-800-553-2447", "UK: +44 20 8824 8444",
                                  "Germany: 0800 187 0516"};
    auto m = complete_request();
    m.severity = 1;
    const decision d = decide(m, rules, now);
    REQUIRE(has(d.flags, "phone_required"));
    const auto reply = compose_case_opened("686463306", m, d, rules.policy);
    for (const auto& number : rules.policy.phone_numbers) CHECK(contains(reply.body, number));
    CHECK(contains(reply.body, "686463306"));

    SUBCASE("and not when the phone rule does not apply") {
      m.severity = 3;
      const decision d3 = decide(m, rules, now);
      const auto r3 = compose_case_opened("686463306", m, d3, rules.policy);
      for (const auto& number : rules.policy.phone_numbers) CHECK_FALSE(contains(r3.body, number));
    }
  }

  TEST_CASE("entitlement paragraph for entitlement_pending and public_email only") {
    struct row {
      const char* name;
      std::optional<std::string> contract;
      const char* from;
      bool paragraph;
    };
    // clang-format off
    const row rows[] = {
        {"entitled", "91234567", "jane@acme.example.com", false},
        {"expired", "55500002", "jane@acme.example.com", true},
        {"unknown", "99999999", "jane@acme.example.com", true},
        {"webmail", "91234567", "jane@gmail.com", true},
    };
    // clang-format on
    const auto rules = rules_with_contracts();
    for (const auto& r : rows) {
      CAPTURE(r.name);
      auto m = complete_request();
      m.contract = r.contract;
      m.from_address = r.from;
      const decision d = decide(m, rules, now);
      const auto reply = compose_case_opened("686463306", m, d, rules.policy);
      CAPTURE(reply.body);
      CHECK(contains(reply.body, "verify your support entitlement") == r.paragraph);
      CHECK(contains(reply.body, "Status:       " + d.status));
    }
  }

  TEST_CASE("missing fields are listed by their labels") {
    struct row {
      const char* key;
      const char* label;
    };
    // clang-format off
    const row rows[] = {
        {"company", "Company name"},
        {"contact_name", "Contact name"},
        {"contact_phone", "Contact phone number"},
        {"contract", "Contract number"},
        {"product", "Product type"},
        {"description", "Brief problem description"},
        {"location", "Equipment location"},
    };
    // clang-format on
    auto m = complete_request();
    for (const auto& r : rows) m.missing.emplace_back(r.key);
    const auto rules = rules_with_contracts();
    const decision d = decide(m, rules, now);
    const auto reply = compose_case_opened("686463306", m, d, rules.policy);
    CAPTURE(reply.body);
    for (const auto& r : rows) {
      CAPTURE(r.key);
      CHECK(contains(reply.body, std::string("  - ") + r.label));
      CHECK_FALSE(contains(reply.body, std::string("- ") + r.key + "\n"));
    }
    CHECK(contains(reply.body, "[Case 686463306]"));

    SUBCASE("nothing missing: no list") {
      auto complete = complete_request();
      const decision dc = decide(complete, rules, now);
      const auto rc = compose_case_opened("686463306", complete, dc, rules.policy);
      CHECK_FALSE(contains(rc.body, "  - "));
    }
  }
}
