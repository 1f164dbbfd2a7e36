// What the routing engine decides for one request, and why. Pure values and pure functions:
// the same request, rules, case lookups and clock always give the same decision.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tacmail/config/catalog.hpp"
#include "tacmail/config/settings.hpp"
#include "tacmail/config/templates.hpp"
#include "tacmail/parser/message.hpp"

namespace tacmail::routing {

using clock = std::chrono::system_clock;

/// The routing decision for a new case (CONTRACT.md `decision`).
struct decision {
  std::string queue;
  std::string technology;
  std::string sub_technology;
  std::string status;             ///< a case state, e.g. "New", "Customer Pending"
  std::optional<bool> entitled;   ///< null when no contract data could say
  std::vector<std::string> flags;
  clock::time_point response_due;
  std::vector<std::string> reasons;  ///< plain words, one per decision taken
  std::optional<std::string> related_case;  ///< a case this one refers to (unverified follow-up)
};

/// The operator's rules and catalogs routing decides from.
struct routing_rules {
  config::product_catalog products;
  config::contract_catalog contracts;
  config::routing_settings policy;
  config::reply_templates templates;  ///< operator overrides of the reply texts
};

/// Decides queue, status, entitlement, flags and response time for a request that opens a
/// new case.
decision decide(const parser::parsed_message& request, const routing_rules& rules,
                clock::time_point now);

/// Finds the catalog entry of a canonical product name; nullptr when unknown.
const config::product* find_product(const config::product_catalog& catalog,
                                    const std::string& name);

/// What routing needs to know of an existing case to judge a mail that names it.
struct case_view {
  std::string case_number;
  std::string status;
  std::string sender;                        ///< who opened it
  std::optional<std::string> contact_email;
  std::optional<std::string> company;
  std::vector<std::string> missing;
  clock::time_point last_change;             ///< when its status last changed
};

/// Whether a case state is a closed one.
bool is_closed(const std::string& status);

/// What to do with a mail that names an existing case.
struct follow_up_decision {
  enum class kind {
    attach,    ///< a note on the case (status may change, see `status`)
    new_case,  ///< open a new case that refers to the named one (`flag` says why)
  };
  kind what = kind::attach;
  std::string status;          ///< the case's status after the note (unchanged if the same)
  std::vector<std::string> filled;  ///< missing fields this mail supplies
  std::vector<std::string> still_missing;  ///< the case's missing fields it does not supply
  std::string flag;            ///< new_case: "unverified_follow_up" or "closed_case_follow_up"
  std::vector<std::string> reasons;
};

/// Judges a follow-up: only a contact of the case or a sender from its company's (non-public)
/// domain may write into it; a closed case reopens within the reopen window.
follow_up_decision decide_follow_up(const parser::parsed_message& request, const case_view& c,
                                    const routing_rules& rules, clock::time_point now);

}  // namespace tacmail::routing
