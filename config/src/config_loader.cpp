// load_config: the settings, the catalogs they name, and the files they name, checked together
// so check-config reports every problem of a deployment at once.
#include "catalog_loader.hpp"
#include "read_file.hpp"
#include "settings_loader.hpp"

namespace tacmail::config {

namespace {

void append(std::vector<config_error>& to, std::vector<config_error>& from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

load_result<loaded_config> load_config(const std::filesystem::path& file) {
  auto located = detail::load_settings_located(file);
  load_result<loaded_config> result;
  result.errors = std::move(located.result.errors);

  loaded_config config;
  config.products = builtin_product_catalog();
  bool products_loaded = true;
  std::vector<detail::product_ref> product_refs;
  std::string contracts_file;

  for (const auto& named : located.files) {
    std::string why;
    if (named.what == detail::named_file::kind::folder) {
      if (!detail::readable_folder(named.path, &why)) {
        result.errors.push_back(config_error{located.file, named.line, named.key_path, why});
        continue;
      }
      // The one folder a config names is smtp.templates_dir.
      auto templates = load_templates(named.path);
      if (templates.value) config.templates = std::move(*templates.value);
      append(result.errors, templates.errors);
      continue;
    }
    // Secrets are read the way the daemon will read them; the content is dropped at once.
    if (!detail::read_file(named.path, &why)) {
      result.errors.push_back(config_error{located.file, named.line, named.key_path, why});
      if (named.what == detail::named_file::kind::products) products_loaded = false;
      continue;
    }
    if (named.what == detail::named_file::kind::products) {
      auto products = load_product_catalog(named.path);
      if (products.value) {
        config.products = std::move(*products.value);
      } else {
        products_loaded = false;
      }
      append(result.errors, products.errors);
    } else if (named.what == detail::named_file::kind::contracts) {
      auto contracts = detail::load_contract_catalog_located(named.path);
      if (contracts.result.value) config.contracts = std::move(*contracts.result.value);
      append(result.errors, contracts.result.errors);
      product_refs = std::move(contracts.product_refs);
      contracts_file = contracts.file;
    }
  }

  // A contract naming a product the catalog lacks would never match a case.
  if (products_loaded) {
    for (const auto& ref : product_refs) {
      if (!detail::catalog_names(config.products, ref.name)) {
        result.errors.push_back(config_error{contracts_file, ref.line, ref.key_path,
                                             "'" + ref.name + "' is not a product in the catalog"});
      }
    }
  }

  if (result.errors.empty() && located.result.value) {
    config.settings = std::move(*located.result.value);
    result.value = std::move(config);
  }
  return result;
}

}  // namespace tacmail::config
