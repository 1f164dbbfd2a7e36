// Entry point of the parser: raw RFC 5322 bytes in, a parsed_message out. Pure: no I/O, no
// clock; a message that cannot be read comes back as kind unreadable with the reason in
// warnings, never as an exception.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/config/catalog.hpp"
#include "tacmail/config/settings.hpp"
#include "tacmail/parser/message.hpp"

namespace tacmail::parser {

/// Bounds that keep a hostile message from costing more than its size.
struct parse_limits {
  std::size_t max_message_bytes = 50 * 1024 * 1024;
  int max_mime_depth = 20;
  int max_parts = 500;
  std::size_t max_header_line = 16 * 1024;
};

/// A label spelling a TAC adds to the built-in ones, e.g. {"contract", "Vertragsnummer"}.
struct label_synonym {
  std::string field;  ///< JSON key of the field (CONTRACT.md), or "impact" / "urgency"
  std::string label;  ///< as customers write it; case, spacing and punctuation do not matter
};

/// Everything that tunes parsing; the defaults suit a TAC using DOMAIN.md's template.
struct parse_options {
  parse_limits limits;
  std::vector<label_synonym> labels;  ///< added to the built-in synonyms
};

/// The parse options an operator's settings ask for: their limits and extra labels.
parse_options parse_options_of(const config::settings& settings);

/// Parses one message. `catalog` resolves the product from the subject line.
parsed_message parse_message(std::string_view raw, const config::product_catalog& catalog,
                             const parse_limits& limits = {});

/// Parses one message with extra label synonyms. A synonym naming no known field is ignored
/// with a warning.
parsed_message parse_message(std::string_view raw, const config::product_catalog& catalog,
                             const parse_options& options);

}  // namespace tacmail::parser
