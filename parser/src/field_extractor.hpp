// `Label: value` lines -> the request fields of DOMAIN.md. Labels are matched case-, space- and
// punctuation-insensitively against a synonym table; the value may sit on the next line, and the
// description runs on until the next label.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "text_util.hpp"

namespace tacmail::parser::detail {

enum class request_field {
  company,
  contact_name,
  contact_phone,
  cco_id,
  contact_email,
  contract,
  smart_account,
  virtual_account,
  product,
  severity,
  impact,
  urgency,
  description,
  location,
  alt_contact_name,
  alt_contact_phone,
};

/// Label spellings -> fields: the built-in synonyms plus any a TAC configures.
class label_table {
 public:
  label_table();  ///< the built-in synonyms
  /// Adds `label` for the field named by its JSON key ("contract", "severity", ...); false if
  /// there is no such field.
  bool add(std::string_view field_key, std::string_view label);
  std::optional<request_field> find(std::string_view label) const;
  /// Whether `line` opens with a label and goes on after a space ("Company name Acme"): a
  /// table row whose cell boundary a plain-text rendering dropped.
  bool starts_with_label(std::string_view line) const;

 private:
  // Looked up by string_view: a label's key is built on the stack, not allocated.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  std::unordered_map<std::string, request_field, key_hash, std::equal_to<>> by_key_;
  // Keys are short and few: a key built from a line stops at the longest one's length, and
  // most words that are no label are turned away by their first byte and length before they
  // are hashed.
  word_shapes shapes_;
  std::size_t longest_ = 0;
  void index(const std::string& key);  ///< notes a key in shapes_ and longest_
  std::optional<request_field> find_key(std::string_view part) const;    ///< by alnum_key(part)
  std::optional<request_field> find_folded(std::string_view key) const;  ///< key: alnum_key'd
};

struct extracted_fields {
  std::optional<std::string> company;
  std::optional<std::string> contact_name;
  std::optional<std::string> contact_phone;
  std::optional<std::string> cco_id;
  std::optional<std::string> contact_email;
  std::optional<std::string> contract;
  std::optional<std::string> smart_account;
  std::optional<std::string> virtual_account;
  std::optional<std::string> product;
  std::optional<std::string> severity;  ///< the Business effect / Severity value as written
  std::optional<std::string> impact;    ///< for the impact x urgency matrix
  std::optional<std::string> urgency;
  std::optional<std::string> description;
  std::optional<std::string> location;
  std::optional<std::string> alt_contact_name;
  std::optional<std::string> alt_contact_phone;

  /// How many labelled fields were found; a forwarded mail is read when the outer has none.
  int count = 0;
};

extracted_fields extract_fields(std::string_view text, const label_table& labels);

/// Whether a line of `text` opens with a label but holds no field (label_table's
/// starts_with_label): the fields may be there in another rendering of the same text.
bool has_flattened_label(std::string_view text, const label_table& labels);

}  // namespace tacmail::parser::detail
