// Header values -> UTF-8 text: RFC 2047 encoded words, raw 8-bit headers, addresses and
// message-id lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tacmail::parser::detail {

/// Decodes RFC 2047 encoded words (Q and B; adjacent words joined; broken ones left as written)
/// and converts any raw 8-bit bytes to UTF-8.
std::string decode_header_text(std::string_view value);

/// A header value with no encoded words to decode (dates, ids, results): its bytes made valid
/// UTF-8 and its spaces collapsed, as decode_header_text does for such a value.
std::string plain_header_text(std::string_view value);

struct mailbox_address {
  std::optional<std::string> address;  ///< addr-spec, lower-cased
  std::optional<std::string> name;     ///< display name, decoded
};

/// The first mailbox of an address header such as From.
mailbox_address parse_mailbox(std::string_view value);

/// Message ids of Message-ID / In-Reply-To / References, without angle brackets.
std::vector<std::string> parse_message_ids(std::string_view value);

}  // namespace tacmail::parser::detail
