// Content-Transfer-Encoding decoding (mimetic's codecs) handed on a buffer at a time, and the
// size and SHA-256 that are all a file part keeps of its bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tacmail::parser::detail {

/// What is kept of a file's bytes: enough to list it (message.hpp's attachment).
struct body_digest {
  std::uint64_t size = 0;  ///< decoded bytes
  std::string sha256;      ///< lower-case hex of the decoded bytes
};

/// The decoded bytes, whole.
std::string transfer_decoded(std::string_view encoded, std::string_view encoding);

/// Size and SHA-256 of the decoded bytes, which are never held whole.
body_digest decoded_digest(std::string_view encoded, std::string_view encoding);

/// Size and SHA-256 of `bytes`.
body_digest digest_of(std::string_view bytes);

}  // namespace tacmail::parser::detail
