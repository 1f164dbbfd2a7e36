// An IMAP server response as a value (RFC 9051 / RFC 3501 grammar, leniently): what the
// response parser produces and the session consumes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tacmail::daemon::imap {

/// One token of response data: atoms keep their case; strings/literals hold decoded bytes.
struct value {
  enum class kind { atom, number, string, nil, list };
  kind type = kind::atom;
  std::string text;          ///< atom text, or string/literal content
  std::uint64_t number = 0;  ///< for kind::number (all-digit tokens past uint64 stay atoms)
  std::vector<value> items;  ///< for kind::list
};

struct response {
  enum class kind { tagged, untagged, continuation };
  kind type = kind::untagged;
  std::string tag;  ///< tagged only

  /// Upper-cased first keyword: "OK", "NO", "BAD", "PREAUTH", "BYE" for status responses;
  /// "EXISTS", "EXPUNGE", "FETCH", "RECENT" after a number; "CAPABILITY", "SEARCH", "LIST",
  /// "FLAGS", "ENABLED", ... otherwise. Empty for a continuation.
  std::string name;
  std::optional<std::uint32_t> number;  ///< "* 23 EXISTS" -> 23

  /// Status responses: the bracketed response code, e.g. "UIDVALIDITY", "COPYUID",
  /// "CAPABILITY", "ALERT", "TRYCREATE", "ALREADYEXISTS"; upper-cased; empty when absent.
  std::string code;
  std::vector<value> code_args;  ///< the code's arguments, e.g. {number 3857529045}
  /// Human-readable text of a status/continuation response, verbatim (never tokenized). A
  /// bracket that is not a well-formed code stays in the text; code args that do not tokenize
  /// become one raw atom.
  std::string text;

  /// Everything after `name` for data responses: e.g. the SEARCH numbers, the CAPABILITY
  /// atoms, the FETCH list (one kind::list item).
  std::vector<value> data;

  bool is_status() const {
    return name == "OK" || name == "NO" || name == "BAD" || name == "PREAUTH" || name == "BYE";
  }
};

}  // namespace tacmail::daemon::imap
