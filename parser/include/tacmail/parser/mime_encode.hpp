// MIME encoding for what tacmaild writes (the parser folder owns mimetic, for both directions).
#pragma once

#include <string>
#include <string_view>

namespace tacmail::parser {

/// `text` (UTF-8, LF or CRLF line ends) as quoted-printable text (RFC 2045 §6.7): lines end
/// in CRLF, none longer than 76 characters, line starts that confuse mail ("." and "From ")
/// encoded.
std::string quoted_printable_text(std::string_view text);

}  // namespace tacmail::parser
