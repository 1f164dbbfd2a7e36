// SHA-256 for what tacmaild identifies by content (the parser folder owns OpenSSL's digests,
// which it also uses for attachments).
#pragma once

#include <string>
#include <string_view>

namespace tacmail::parser {

/// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace tacmail::parser
