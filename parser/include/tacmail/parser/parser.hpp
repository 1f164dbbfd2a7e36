// Entry point of the parser: raw RFC 5322 bytes in, a parsed_message out. Pure: no I/O, no
// clock; a message that cannot be read comes back as kind unreadable with the reason in
// warnings, never as an exception.
#pragma once

#include <cstddef>
#include <string_view>

#include "tacmail/config/catalog.hpp"
#include "tacmail/parser/message.hpp"

namespace tacmail::parser {

/// Bounds that keep a hostile message from costing more than its size.
struct parse_limits {
  std::size_t max_message_bytes = 50 * 1024 * 1024;
  int max_mime_depth = 20;
  int max_parts = 500;
  std::size_t max_header_line = 16 * 1024;
};

/// Parses one message. `catalog` resolves the product from the subject line.
parsed_message parse_message(std::string_view raw, const config::product_catalog& catalog,
                             const parse_limits& limits = {});

}  // namespace tacmail::parser
