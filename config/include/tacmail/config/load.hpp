// Loading and validating the YAML files: the settings file and the two catalogs it names.
// Every problem is reported as FILE:LINE: key.path: what is wrong, and loading goes on to
// collect them all, so an operator fixes a file in one pass.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/config/catalog.hpp"
#include "tacmail/config/settings.hpp"
#include "tacmail/config/templates.hpp"

namespace tacmail::config {

/// One thing wrong with a config file.
struct config_error {
  std::string file;
  int line = 0;          ///< 1-based; 0 when the file could not be read at all
  std::string key_path;  ///< e.g. "mailboxes[0].imap.port"
  std::string message;   ///< e.g. "expected an integer, got 'abc'"

  /// "FILE:LINE: key.path: what is wrong"; ":LINE" is left out when line is 0 and
  /// "key.path: " when key_path is empty (a YAML syntax error, an unreadable file).
  std::string to_string() const;
};

template <typename T>
struct load_result {
  std::optional<T> value;  ///< set only when errors is empty
  std::vector<config_error> errors;
};

/// Reads the settings file. Relative paths inside it are resolved against its folder.
load_result<settings> load_settings(const std::filesystem::path& file);

/// Reads a products_file.
load_result<product_catalog> load_product_catalog(const std::filesystem::path& file);

/// Reads a contracts_file.
load_result<contract_catalog> load_contract_catalog(const std::filesystem::path& file);

/// Everything the daemon runs on: settings plus the catalogs they name (built-in when unnamed).
struct loaded_config {
  config::settings settings;
  product_catalog products;
  contract_catalog contracts;
  reply_templates templates;
};

/// Reads the operator's templates from `folder`: every <name>.txt must be a known template
/// name, and every {{placeholder}} a known placeholder.
load_result<reply_templates> load_templates(const std::filesystem::path& folder);

/// load_settings, then the catalogs it names, then checks the files it names exist (password
/// and token files, ca files, the templates folder). This is what `check-config` and `run` use.
load_result<loaded_config> load_config(const std::filesystem::path& file);

/// Parses "250ms", "30s", "5m", "2h". nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Parses a byte count: "65536", "64k", "50M", "1G" (1024-based; k, M, G in either case).
/// nullopt when malformed or too large for size_t.
std::optional<std::size_t> parse_size(std::string_view text);

}  // namespace tacmail::config
