// decide_follow_up(): who may write into a case (its sender, its contact, its company's
// non-public domain), what a stranger's mail becomes, reopening closed cases within the
// window, and which of the case's missing fields a reply supplies.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tacmail/routing/decision.hpp"

namespace {

using namespace std::chrono;
using tacmail::parser::parsed_message;
using tacmail::routing::case_view;
using tacmail::routing::clock;
using tacmail::routing::decide_follow_up;
using tacmail::routing::follow_up_decision;
using tacmail::routing::routing_rules;

using kind = follow_up_decision::kind;

// Wednesday 2026-04-15 14:00 UTC.
const clock::time_point now = sys_days{year{2026} / April / 15} + hours(14);
const std::string case_number = "686463306";

// A case opened by jane.doe@acme.example.com naming a NOC address as its contact.
case_view open_case(std::string sender = "jane.doe@acme.example.com") {
  case_view c;
  c.case_number = case_number;
  c.status = "Customer Pending";
  c.sender = std::move(sender);
  c.contact_email = "noc@acme-noc.example.net";
  c.company = "Acme Corp";
  c.missing = {"contract", "contact_phone"};
  c.last_change = now - hours(2);
  return c;
}

parsed_message reply_from(std::optional<std::string> from) {
  parsed_message m;
  m.subject = "Re: [Case " + case_number + "] Cisco BroadWorks";
  m.from_address = std::move(from);
  m.message_id = "reply-1@example.org";
  m.in_reply_to = {"tacmail." + case_number + ".opened@example.com"};
  m.case_ref = case_number;
  m.kind = tacmail::parser::message_kind::follow_up;
  m.description = "Here is the information you asked for.";
  return m;
}

routing_rules rules() {
  routing_rules r;
  r.policy.public_email_domains.push_back("webmail.example.net");
  return r;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

bool any_reason(const follow_up_decision& d, const std::string& needle) {
  return std::any_of(d.reasons.begin(), d.reasons.end(),
                     [&](const std::string& r) { return contains(r, needle); });
}

std::string all_reasons(const follow_up_decision& d) {
  std::string out;
  for (const auto& r : d.reasons) out += "\n  " + r;
  return out;
}

}  // namespace

TEST_SUITE("routing.follow_up") {
  TEST_CASE("who may write into a case") {
    struct row {
      const char* name;
      std::string case_sender;
      std::optional<std::string> from;
      bool attach;
    };
    // clang-format off
    const row rows[] = {
        {"the case's sender", "jane.doe@acme.example.com", "jane.doe@acme.example.com", true},
        {"the case's sender in other letter case", "jane.doe@acme.example.com",
         "Jane.Doe@acme.example.com", true},
        {"the case's contact_email", "jane.doe@acme.example.com", "noc@acme-noc.example.net",
         true},
        {"the contact_email in other letter case", "jane.doe@acme.example.com",
         "NOC@acme-noc.example.net", true},
        {"a colleague on the company's domain", "jane.doe@acme.example.com",
         "bob@acme.example.com", true},
        {"a stranger from another domain", "jane.doe@acme.example.com",
         "mallory@evil.example.org", false},
        {"a look-alike domain", "jane.doe@acme.example.com", "jane.doe@acme.example.com.evil.org",
         false},
        {"a stranger on the same public domain", "jane@gmail.com", "eve@gmail.com", false},
        {"a stranger on an operator-listed public domain", "jane@webmail.example.net",
         "eve@webmail.example.net", false},
        {"the public-mail sender herself", "jane@gmail.com", "jane@gmail.com", true},
        {"no From address", "jane.doe@acme.example.com", std::nullopt, false},
    };
    // clang-format on
    for (const auto& r : rows) {
      CAPTURE(r.name);
      const case_view c = open_case(r.case_sender);
      const follow_up_decision d = decide_follow_up(reply_from(r.from), c, rules(), now);
      CAPTURE(all_reasons(d));
      CHECK_FALSE(d.reasons.empty());
      if (r.attach) {
        CHECK(d.what == kind::attach);
        CHECK(d.status == "Customer Updated");
        CHECK(d.flag.empty());
        CHECK(any_reason(d, case_number));
      } else {
        CHECK(d.what == kind::new_case);
        CHECK(d.flag == "unverified_follow_up");
        CHECK(d.filled.empty());
        CHECK(any_reason(d, case_number));
        if (r.from) {
          CHECK(std::any_of(d.reasons.begin(), d.reasons.end(), [&](const std::string& reason) {
            return contains(reason, case_number) && contains(reason, *r.from);
          }));
        }
      }
    }
  }

  TEST_CASE("a stranger's mail names the sender and the case in one reason") {
    const follow_up_decision d =
        decide_follow_up(reply_from("mallory@evil.example.org"), open_case(), rules(), now);
    CAPTURE(all_reasons(d));
    CHECK(d.what == kind::new_case);
    CHECK(d.flag == "unverified_follow_up");
    CHECK(std::any_of(d.reasons.begin(), d.reasons.end(), [](const std::string& r) {
      return contains(r, "mallory@evil.example.org") && contains(r, case_number);
    }));
  }

  TEST_CASE("closed cases reopen within the reopen window") {
    struct row {
      const char* name;
      const char* status;
      hours closed_ago;
      hours window;
      bool attach;
    };
    // clang-format off
    const row rows[] = {
        {"Closed 3 days ago, default window", "Closed", hours(3 * 24), hours(14 * 24), true},
        {"Closed 13 days ago", "Closed", hours(13 * 24), hours(14 * 24), true},
        {"Closed exactly at the window", "Closed", hours(14 * 24), hours(14 * 24), true},
        {"Closed 15 days ago", "Closed", hours(15 * 24), hours(14 * 24), false},
        {"Closed without Confirmation 20 days ago", "Closed without Confirmation",
         hours(20 * 24), hours(14 * 24), false},
        {"Closed without Confirmation yesterday", "Closed without Confirmation", hours(24),
         hours(14 * 24), true},
        {"a one-day window, closed 2 days ago", "Closed", hours(48), hours(24), false},
        {"a 60-day window, closed 30 days ago", "Closed", hours(30 * 24), hours(60 * 24), true},
        {"an open case untouched for 100 days", "Customer Pending", hours(100 * 24),
         hours(14 * 24), true},
    };
    // clang-format on
    for (const auto& r : rows) {
      CAPTURE(r.name);
      auto c = open_case();
      c.status = r.status;
      c.last_change = now - r.closed_ago;
      auto rs = rules();
      rs.policy.reopen_window = r.window;
      const follow_up_decision d =
          decide_follow_up(reply_from("jane.doe@acme.example.com"), c, rs, now);
      CAPTURE(all_reasons(d));
      if (r.attach) {
        CHECK(d.what == kind::attach);
        CHECK(d.status == "Customer Updated");
        CHECK(any_reason(d, "reopen") == tacmail::routing::is_closed(r.status));
      } else {
        CHECK(d.what == kind::new_case);
        CHECK(d.flag == "closed_case_follow_up");
        CHECK(any_reason(d, case_number));
        CHECK(d.filled.empty());
      }
    }
  }

  TEST_CASE("a stranger writing to a closed case is still unverified") {
    auto c = open_case();
    c.status = "Closed";
    c.last_change = now - hours(24);
    const follow_up_decision d =
        decide_follow_up(reply_from("mallory@evil.example.org"), c, rules(), now);
    CHECK(d.what == kind::new_case);
    CHECK(d.flag == "unverified_follow_up");
  }

  TEST_CASE("which states are closed") {
    for (const char* s : {"Closed", "Closed without Confirmation"}) {
      CAPTURE(s);
      CHECK(tacmail::routing::is_closed(s));
    }
    for (const char* s : {"New", "Customer Pending", "Customer Updated", "Entitlement Pending",
                          "Cisco Pending", "Closure Pending", "Restoration of Service"}) {
      CAPTURE(s);
      CHECK_FALSE(tacmail::routing::is_closed(s));
    }
  }

  TEST_CASE("filled lists exactly the case's missing fields the follow-up supplies") {
    struct supplies {
      std::optional<std::string> contract;
      std::optional<std::string> smart_account;
      std::optional<std::string> virtual_account;
      std::optional<std::string> contact_phone;
      std::optional<std::string> company;
      std::optional<std::string> location;
    };
    struct row {
      const char* name;
      std::vector<std::string> case_missing;
      supplies given;
      std::vector<std::string> filled;
    };
    // clang-format off
    const row rows[] = {
        {"nothing", {"contract", "contact_phone"}, {}, {}},
        {"the contract", {"contract", "contact_phone"}, {"91234567", {}, {}, {}, {}, {}},
         {"contract"}},
        {"SA + VA satisfy contract", {"contract", "contact_phone"},
         {{}, "Acme", "Acme-East", {}, {}, {}}, {"contract"}},
        {"SA alone does not", {"contract", "contact_phone"}, {{}, "Acme", {}, {}, {}, {}}, {}},
        {"VA alone does not", {"contract", "contact_phone"}, {{}, {}, "Acme-East", {}, {}, {}},
         {}},
        {"both missing fields, in the case's order", {"contract", "contact_phone"},
         {"91234567", {}, {}, "+1 555 0100", {}, {}}, {"contract", "contact_phone"}},
        {"fields the case has are not listed", {"contract", "contact_phone"},
         {{}, {}, {}, "+1 555 0100", "Acme Corp", "1 Main St"}, {"contact_phone"}},
        {"a case missing nothing", {}, {"91234567", {}, {}, "+1 555 0100", "Acme Corp", {}}, {}},
        {"company and location", {"company", "location", "contract"},
         {{}, {}, {}, {}, "Acme Corp", "1 Main St"}, {"company", "location"}},
    };
    // clang-format on
    for (const auto& r : rows) {
      CAPTURE(r.name);
      auto c = open_case();
      c.missing = r.case_missing;
      auto m = reply_from("jane.doe@acme.example.com");
      m.contract = r.given.contract;
      m.smart_account = r.given.smart_account;
      m.virtual_account = r.given.virtual_account;
      m.contact_phone = r.given.contact_phone;
      m.company = r.given.company;
      m.location = r.given.location;
      const follow_up_decision d = decide_follow_up(m, c, rules(), now);
      CAPTURE(all_reasons(d));
      CHECK(d.what == kind::attach);
      CHECK(d.status == "Customer Updated");
      CHECK(d.filled == r.filled);
      std::vector<std::string> rest;
      for (const auto& f : r.case_missing)
        if (std::find(r.filled.begin(), r.filled.end(), f) == r.filled.end()) rest.push_back(f);
      CHECK(d.still_missing == rest);
      for (const auto& f : r.filled) CHECK(any_reason(d, f));
    }
  }

  TEST_CASE("a colleague's reply fills missing fields too") {
    auto m = reply_from("bob@acme.example.com");
    m.contract = "91234567";
    const follow_up_decision d = decide_follow_up(m, open_case(), rules(), now);
    CHECK(d.what == kind::attach);
    CHECK(d.filled == std::vector<std::string>{"contract"});
  }

  TEST_CASE("a stranger's fields fill nothing in the case") {
    auto m = reply_from("mallory@evil.example.org");
    m.contract = "91234567";
    m.contact_phone = "+1 555 0199";
    const follow_up_decision d = decide_follow_up(m, open_case(), rules(), now);
    CHECK(d.what == kind::new_case);
    CHECK(d.filled.empty());
  }
}
