// Entitlement: does a known, active contract (directly, or through a Smart Account / Virtual
// Account) cover the product? Pure lookups in the contracts catalog.
#pragma once

#include <optional>
#include <string>

#include "tacmail/config/catalog.hpp"
#include "tacmail/config/settings.hpp"
#include "tacmail/parser/message.hpp"

namespace tacmail::routing {

struct entitlement_result {
  std::optional<bool> entitled;  ///< null: no contract data to judge by
  std::string reason;
};

/// Whether `domain` is in the policy's public webmail list.
bool is_public_domain(const config::routing_settings& policy, const std::string& domain);

/// `today` is YYYY-MM-DD; `product` may be null (unknown product: coverage not checked).
entitlement_result check_entitlement(const parser::parsed_message& request,
                                     const config::contract_catalog& contracts,
                                     const config::product* product, const std::string& today);

}  // namespace tacmail::routing
