// products_file and contracts_file -> catalogs: the schemas of CONTRACT.md, with the rules
// that keep routing unambiguous (unique names and aliases, known contract numbers).
#include "catalog_loader.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "yaml_reader.hpp"

namespace tacmail::config {

namespace detail {

namespace {

template <typename T>
load_result<T> finish(error_sink& errors, T value) {
  load_result<T> result;
  result.errors = std::move(errors.errors());
  if (result.errors.empty()) result.value = std::move(value);
  return result;
}

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// A contract number: digits as written, quoted or not.
std::optional<std::string> read_contract_number(error_sink& errors, const field& where) {
  auto text = read_string(errors, where);
  if (!text) return std::nullopt;
  if (!all_digits(*text)) {
    errors.add(where.line, where.path, "expected a contract number (digits), got '" + *text + "'");
    return std::nullopt;
  }
  return text;
}

void read_product(error_sink& errors, const field& where, product& out) {
  map_reader map(errors, where);
  if (auto f = map.required("name")) out.name = read_string(errors, *f).value_or("");
  if (auto f = map.optional("aliases"))
    out.aliases = read_string_list(errors, *f).value_or(out.aliases);
  if (auto f = map.optional("technology")) out.technology = read_string(errors, *f).value_or("");
  if (auto f = map.optional("sub_technology")) {
    out.sub_technology = read_string(errors, *f).value_or("");
  }
  if (auto f = map.required("queue")) out.queue = read_string(errors, *f).value_or("");
  map.finish();
}

void read_contract(error_sink& errors, const field& where, contract& out,
                   std::vector<product_ref>& refs) {
  map_reader map(errors, where);
  if (auto f = map.required("number")) out.number = read_contract_number(errors, *f).value_or("");
  if (auto f = map.optional("company")) out.company = read_string(errors, *f).value_or("");
  if (auto f = map.optional("status")) {
    if (auto text = read_string(errors, *f)) {
      if (*text == "active") {
        out.status = contract_status::active;
      } else if (*text == "expired") {
        out.status = contract_status::expired;
      } else {
        errors.add(f->line, f->path, "expected active or expired, got '" + *text + "'");
      }
    }
  }
  if (auto f = map.optional("end_date")) {
    if (auto text = read_string(errors, *f)) {
      if (valid_date(*text)) {
        out.end_date = *text;
      } else {
        errors.add(f->line, f->path, "expected a date YYYY-MM-DD, got '" + *text + "'");
      }
    }
  }
  if (auto f = map.optional("products")) {
    if (auto items = read_list(errors, *f)) {
      for (const auto& item : *items) {
        if (auto name = read_string(errors, item)) {
          refs.push_back(product_ref{item.path, item.line, *name});
          out.products.push_back(std::move(*name));
        }
      }
    }
  }
  map.finish();
}

void read_virtual_account(error_sink& errors, const field& where, virtual_account& out,
                          const std::set<std::string>& numbers) {
  map_reader map(errors, where);
  if (auto f = map.required("name")) out.name = read_string(errors, *f).value_or("");
  if (auto f = map.optional("contracts")) {
    if (auto items = read_list(errors, *f)) {
      for (const auto& item : *items) {
        auto number = read_contract_number(errors, item);
        if (!number) continue;
        if (numbers.count(*number) == 0) {
          errors.add(item.line, item.path, "contract '" + *number + "' is not in contracts");
        }
        out.contracts.push_back(std::move(*number));
      }
    }
  }
  map.finish();
}

void read_smart_account(error_sink& errors, const field& where, smart_account& out,
                        const std::set<std::string>& numbers) {
  map_reader map(errors, where);
  if (auto f = map.required("name")) out.name = read_string(errors, *f).value_or("");
  if (auto f = map.optional("virtual_accounts")) {
    if (auto items = read_list(errors, *f)) {
      std::set<std::string> names;
      for (const auto& item : *items) {
        virtual_account account;
        read_virtual_account(errors, item, account, numbers);
        if (!account.name.empty() && !names.insert(fold_case(account.name)).second) {
          errors.add(item.line, item.path + ".name",
                     "duplicate virtual account name '" + account.name + "'");
        }
        out.virtual_accounts.push_back(std::move(account));
      }
    }
  }
  map.finish();
}

}  // namespace

bool catalog_names(const product_catalog& catalog, const std::string& name) {
  const std::string wanted = fold_case(name);
  return std::any_of(catalog.products.begin(), catalog.products.end(), [&](const product& p) {
    return fold_case(p.name) == wanted ||
           std::any_of(p.aliases.begin(), p.aliases.end(),
                       [&](const std::string& alias) { return fold_case(alias) == wanted; });
  });
}

located_contracts load_contract_catalog_located(const std::filesystem::path& file) {
  located_contracts out;
  out.file = file.string();
  error_sink errors(out.file);
  contract_catalog catalog;

  if (auto root = parse_yaml_file(file, errors)) {
    map_reader map(errors, *root);
    const auto contracts = map.optional("contracts");
    const auto smart_accounts = map.optional("smart_accounts");
    map.finish();

    std::set<std::string> numbers;
    if (contracts) {
      if (auto items = read_list(errors, *contracts)) {
        for (const auto& item : *items) {
          contract c;
          read_contract(errors, item, c, out.product_refs);
          if (!c.number.empty() && !numbers.insert(c.number).second) {
            errors.add(item.line, item.path + ".number",
                       "duplicate contract number '" + c.number + "'");
          }
          catalog.contracts.push_back(std::move(c));
        }
      }
    }
    if (smart_accounts) {
      if (auto items = read_list(errors, *smart_accounts)) {
        std::set<std::string> names;
        for (const auto& item : *items) {
          smart_account account;
          read_smart_account(errors, item, account, numbers);
          if (!account.name.empty() && !names.insert(fold_case(account.name)).second) {
            errors.add(item.line, item.path + ".name",
                       "duplicate smart account name '" + account.name + "'");
          }
          catalog.smart_accounts.push_back(std::move(account));
        }
      }
    }
  }
  out.result = finish(errors, std::move(catalog));
  return out;
}

}  // namespace detail

load_result<product_catalog> load_product_catalog(const std::filesystem::path& file) {
  detail::error_sink errors(file.string());
  product_catalog catalog;

  if (auto root = detail::parse_yaml_file(file, errors)) {
    detail::map_reader map(errors, *root);
    const auto products = map.required("products");
    map.finish();
    if (products) {
      if (auto items = detail::read_list(errors, *products)) {
        if (items->empty())
          errors.add(products->line, products->path, "must list at least one product");
        // Every name and alias must lead to one product, or a subject could route two ways.
        std::map<std::string, std::string> owner;  // folded name or alias -> product name
        for (const auto& item : *items) {
          product p;
          detail::read_product(errors, item, p);
          std::vector<std::string> names{p.name};
          names.insert(names.end(), p.aliases.begin(), p.aliases.end());
          for (const auto& name : names) {
            if (name.empty()) continue;
            auto [it, inserted] = owner.emplace(detail::fold_case(name), p.name);
            if (!inserted && it->second != p.name) {
              errors.add(item.line, item.path,
                         "'" + name + "' already names product '" + it->second + "'");
            } else if (!inserted && &name == &names.front()) {
              errors.add(item.line, item.path + ".name", "duplicate product name '" + p.name + "'");
            }
          }
          catalog.products.push_back(std::move(p));
        }
      }
    }
  }
  return detail::finish(errors, std::move(catalog));
}

load_result<contract_catalog> load_contract_catalog(const std::filesystem::path& file) {
  return detail::load_contract_catalog_located(file).result;
}

}  // namespace tacmail::config
