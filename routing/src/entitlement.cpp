// Entitlement checks with reasons a reviewer can act on ("contract 91234567 expired
// 2026-03-31"). Contract numbers compare by their digits, so "9123-4567" finds 91234567.
#include "entitlement.hpp"

#include <algorithm>

#include "text.hpp"

namespace tacmail::routing {

namespace {

std::string digits(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

const config::contract* find_contract(const config::contract_catalog& catalog,
                                      const std::string& number) {
  const std::string wanted = digits(number);
  if (wanted.empty()) return nullptr;
  for (const auto& c : catalog.contracts)
    if (digits(c.number) == wanted) return &c;
  return nullptr;
}

bool covers(const config::contract& c, const config::product* product) {
  if (c.products.empty() || !product) return true;
  return std::any_of(c.products.begin(), c.products.end(), [&](const std::string& name) {
    if (iequals(name, product->name)) return true;
    return std::any_of(product->aliases.begin(), product->aliases.end(),
                       [&](const std::string& alias) { return iequals(name, alias); });
  });
}

// Empty when the contract entitles; else why not.
std::string judge(const config::contract& c, const config::product* product,
                  const std::string& today) {
  if (c.status == config::contract_status::expired)
    return "contract " + c.number + " is expired" + (c.end_date ? " (" + *c.end_date + ")" : "");
  if (c.end_date && *c.end_date < today) return "contract " + c.number + " expired " + *c.end_date;
  if (!covers(c, product)) return "contract " + c.number + " does not cover " + product->name;
  return {};
}

}  // namespace

entitlement_result check_entitlement(const parser::parsed_message& request,
                                     const config::contract_catalog& contracts,
                                     const config::product* product, const std::string& today) {
  if (contracts.contracts.empty() && contracts.smart_accounts.empty())
    return {std::nullopt, "entitlement not checked: no contracts_file"};

  if (request.contract) {
    const config::contract* c = find_contract(contracts, *request.contract);
    if (!c) return {false, "contract " + *request.contract + " is unknown"};
    const std::string why_not = judge(*c, product, today);
    if (!why_not.empty()) return {false, why_not};
    return {true, "contract " + c->number + " active" +
                      (c->company.empty() ? "" : " (" + c->company + ")")};
  }

  if (request.smart_account && request.virtual_account) {
    for (const auto& sa : contracts.smart_accounts) {
      if (!iequals(sa.name, *request.smart_account)) continue;
      for (const auto& va : sa.virtual_accounts) {
        if (!iequals(va.name, *request.virtual_account)) continue;
        std::string why_not = "virtual account " + va.name + " holds no contract";
        for (const auto& number : va.contracts) {
          const config::contract* c = find_contract(contracts, number);
          if (!c) continue;
          why_not = judge(*c, product, today);
          if (why_not.empty())
            return {true, "smart account " + sa.name + " / " + va.name + ": contract " +
                              c->number + " active"};
        }
        return {false, "smart account " + sa.name + " / " + va.name + ": " + why_not};
      }
      return {false, "virtual account " + *request.virtual_account + " is unknown in smart account " +
                         sa.name};
    }
    return {false, "smart account " + *request.smart_account + " is unknown"};
  }
  return {false, "no contract number or smart account given"};
}

}  // namespace tacmail::routing
