// The operator's catalogs: products (subject line -> queue) and contracts (entitlement).
// Plain values; the built-in product catalog is DOMAIN.md's table.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tacmail::config {

/// One product as a customer names it in the subject line, and where its cases go.
struct product {
  std::string name;  ///< canonical name, reported as "product"
  std::vector<std::string> aliases;
  std::string technology;
  std::string sub_technology;
  std::string queue;
};

struct product_catalog {
  std::vector<product> products;
};

enum class contract_status { active, expired };

struct contract {
  std::string number;
  std::string company;
  contract_status status = contract_status::active;
  std::optional<std::string> end_date;  ///< YYYY-MM-DD as written
  std::vector<std::string> products;    ///< empty: covers every product
};

struct virtual_account {
  std::string name;
  std::vector<std::string> contracts;
};

struct smart_account {
  std::string name;
  std::vector<virtual_account> virtual_accounts;
};

struct contract_catalog {
  std::vector<contract> contracts;
  std::vector<smart_account> smart_accounts;
};

/// DOMAIN.md's product table, with queue names derived from the sub-technology.
product_catalog builtin_product_catalog();

}  // namespace tacmail::config
