// The catalog loaders' inside view: the contracts file's product names with their lines, so
// load_config can check them against the product catalog and report them where written.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tacmail/config/load.hpp"

namespace tacmail::config::detail {

/// A product named in a contracts file.
struct product_ref {
  std::string key_path;  ///< "contracts[0].products[1]"
  int line = 0;
  std::string name;
};

struct located_contracts {
  load_result<contract_catalog> result;
  std::vector<product_ref> product_refs;
  std::string file;
};

located_contracts load_contract_catalog_located(const std::filesystem::path& file);

/// Whether name is a product's name or alias, compared without regard to case.
bool catalog_names(const product_catalog& catalog, const std::string& name);

}  // namespace tacmail::config::detail
