// Strict, located reading of a YAML document: every value comes with its key path and line,
// and every problem becomes a config_error. yaml-cpp never leaves config/src.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/config/load.hpp"

namespace tacmail::config::detail {

/// The errors found in one file, in the order they were found.
class error_sink {
 public:
  explicit error_sink(std::string file) : file_(std::move(file)) {}

  void add(int line, std::string key_path, std::string message);
  const std::string& file() const { return file_; }
  bool empty() const { return errors_.empty(); }
  std::vector<config_error>& errors() { return errors_; }

 private:
  std::string file_;
  std::vector<config_error> errors_;
};

/// A value in the document and where it came from.
struct field {
  YAML::Node value;
  std::string path;  ///< "mailboxes[0].imap.port"
  int line = 1;      ///< the value's line; the key's when the value is empty
  int key_line = 1;  ///< the key's line: where a key missing *inside* this value is reported
};

/// The whole file as a document (its root field), or nullopt after reporting why: unreadable
/// (line 0) or a YAML syntax error (at its line).
std::optional<field> parse_yaml_file(const std::filesystem::path& file, error_sink& errors);

/// The keys of one mapping: hands out those asked for, then finish() reports every other key.
class map_reader {
 public:
  /// Reports "expected a mapping" when where is not one; then every lookup finds nothing.
  map_reader(error_sink& errors, const field& where);

  std::optional<field> optional(std::string_view key);
  /// Reports the key as missing (at the line of the mapping's own key) when absent.
  std::optional<field> required(std::string_view key);
  /// Reports the keys nobody asked for. Call after the last lookup.
  void finish();

  bool is_mapping() const { return is_mapping_; }

 private:
  struct entry {
    std::string key;
    field value;
    bool used = false;
  };
  error_sink& errors_;
  field where_;
  bool is_mapping_ = false;
  std::vector<entry> entries_;
  std::vector<std::string> known_;
};

/// The items of a list, each with its path "where[i]"; reports "expected a list" otherwise.
std::optional<std::vector<field>> read_list(error_sink& errors, const field& where);

/// A non-empty scalar, taken as written (an unquoted 0123 stays "0123").
std::optional<std::string> read_string(error_sink& errors, const field& where);
/// An integer in min..max; max = INT_MAX reads as "at least min".
std::optional<int> read_int(error_sink& errors, const field& where, int min, int max);
std::optional<bool> read_bool(error_sink& errors, const field& where);
std::optional<std::chrono::milliseconds> read_duration(error_sink& errors, const field& where);
/// A duration greater than zero.
std::optional<std::chrono::milliseconds> read_positive_duration(error_sink& errors,
                                                                const field& where);
/// A byte count greater than zero, written with an optional k, M or G suffix (parse_size).
std::optional<std::size_t> read_size(error_sink& errors, const field& where);
/// One of the words in choices, spelt exactly; its index there.
std::optional<std::size_t> read_choice(error_sink& errors, const field& where,
                                       std::initializer_list<std::string_view> choices);
std::optional<tls_mode> read_tls(error_sink& errors, const field& where);
std::optional<std::vector<std::string>> read_string_list(error_sink& errors, const field& where);
/// A path, made absolute against base when relative.
std::optional<std::filesystem::path> read_path(error_sink& errors, const field& where,
                                               const std::filesystem::path& base);

/// A real calendar date written YYYY-MM-DD.
bool valid_date(std::string_view text);

/// ASCII lower case, for names compared without regard to case.
std::string fold_case(std::string_view text);

/// The folder relative paths in file are resolved against (absolute, normalised).
std::filesystem::path base_folder(const std::filesystem::path& file);

/// "a.b" for a child key of "a"; just "b" at the top.
std::string child_path(const std::string& parent, std::string_view key);

}  // namespace tacmail::config::detail
