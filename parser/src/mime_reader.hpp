// The MIME structure of a message as plain values: mimetic reads the bytes, this hands back a
// tree of parts with headers unfolded and bodies transfer-decoded. No mimetic type leaks out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/parser/parser.hpp"
#include "transfer_decode.hpp"

namespace tacmail::parser::detail {

struct header_field {
  std::string name;   ///< as written
  std::string value;  ///< unfolded, raw bytes (encoded words not yet decoded)
};

struct mime_param {
  std::string name;  ///< lower-case
  std::string value;
};

struct mime_part {
  std::vector<header_field> headers;
  std::string type = "text";      ///< lower-case media type
  std::string subtype = "plain";  ///< lower-case subtype
  std::vector<mime_param> type_params;
  std::string disposition;  ///< lower-case, empty when absent
  std::vector<mime_param> disposition_params;
  std::string body;  ///< transfer-decoded bytes (leaf parts only, unless `digest` is set)
  /// Set instead of `body` for a file no pass reads: its bytes were hashed while being decoded,
  /// a buffer at a time, so a 30 MB attachment never sits in memory decoded.
  std::optional<body_digest> digest;
  std::vector<mime_part> children;

  /// First header named `name` (case-insensitive).
  const std::string* header(std::string_view name) const;
  /// Parameter of Content-Type, RFC 2231 continuations and charsets resolved to UTF-8.
  std::optional<std::string> type_param(std::string_view name) const;
  std::optional<std::string> disposition_param(std::string_view name) const;
  /// The attachment name: Content-Disposition filename, else Content-Type name.
  std::optional<std::string> filename() const;
  /// filename().has_value(), without decoding the name.
  bool has_filename() const;
  std::string media_type() const { return type + "/" + subtype; }
  /// media_type() == `media`, without building the string.
  bool media_type_is(std::string_view media) const {
    return media.size() == type.size() + 1 + subtype.size() && media.starts_with(type) &&
           media[type.size()] == '/' && media.ends_with(subtype);
  }
  bool is_multipart() const { return type == "multipart"; }
  /// A leaf that carries a file: Content-Disposition attachment, or a filename.
  bool is_attachment() const;
};

struct mime_read_result {
  std::optional<mime_part> root;  ///< empty when the message is unreadable
  std::string error;              ///< why it is unreadable (names the limit)
  std::vector<std::string> warnings;
};

/// Reads `raw` within `limits`. Never throws.
mime_read_result read_mime(std::string_view raw, const parse_limits& limits);

/// Finds a parameter among `params`, joining RFC 2231 `name*0*`, `name*1` ... pieces and
/// decoding `charset'lang'%XX` values to UTF-8.
std::optional<std::string> find_param(const std::vector<mime_param>& params, std::string_view name);

}  // namespace tacmail::parser::detail
