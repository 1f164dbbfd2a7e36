// What the routing engine decides for one request, and why. Pure values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tacmail/config/catalog.hpp"
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
};

/// The operator's rules and catalogs routing decides from.
struct routing_rules {
  config::product_catalog products;
  config::contract_catalog contracts;
  std::string triage_queue = "triage";
};

/// Decides queue, status and response time for a request that opens a new case.
decision decide(const parser::parsed_message& request, const routing_rules& rules,
                clock::time_point now);

/// Finds the catalog entry of a canonical product name; nullptr when unknown.
const config::product* find_product(const config::product_catalog& catalog,
                                    const std::string& name);

}  // namespace tacmail::routing
