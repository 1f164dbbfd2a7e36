// Small string helpers shared by the parser's passes: trimming, case folding, line splitting.
// ASCII-only on purpose: labels and keywords are ASCII, values are kept byte for byte.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tacmail::parser::detail {

std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
/// Position of `needle` in `hay` ignoring ASCII case, or npos.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0);

/// Lines of `text` without their CR/LF.
std::vector<std::string_view> split_lines(std::string_view text);

/// CRLF and lone CR become LF; trailing blanks on each line and blank lines at either end go.
std::string tidy_text(std::string_view text);

/// Lower-case letters and digits only: "Cisco Web-Ex  Calling" -> "ciscowebexcalling".
/// Non-ASCII bytes are kept so that UTF-8 names still compare.
std::string alnum_key(std::string_view s);

/// Collapses runs of whitespace (incl. newlines) into one space and trims.
std::string collapse_spaces(std::string_view s);

bool is_space(char c);
bool is_digit(char c);

}  // namespace tacmail::parser::detail
