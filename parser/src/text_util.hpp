// Small string helpers shared by the parser's passes: trimming, case folding, line splitting.
// ASCII-only on purpose: labels and keywords are ASCII, values are kept byte for byte.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tacmail::parser::detail {

// The one-character tests and the comparisons below run for every byte of every body: they
// are inline so that the passes' loops do not pay a call per character.
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `s` without surrounding whitespace or U+00A0 (no-break space, C2 A0 in UTF-8, common in mail
/// from HTML editors).
inline std::string_view trim(std::string_view s) {
  for (;;) {
    if (!s.empty() && is_space(s.front())) {
      s.remove_prefix(1);
    } else if (s.size() >= 2 && s[0] == '\xC2' && s[1] == '\xA0') {
      s.remove_prefix(2);
    } else {
      break;
    }
  }
  for (;;) {
    if (!s.empty() && is_space(s.back())) {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && s[s.size() - 2] == '\xC2' && s.back() == '\xA0') {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return s;
}

std::string to_lower(std::string_view s);

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}
/// Position of `needle` in `hay` ignoring ASCII case, or npos.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0);

/// Lines of `text` without their CR/LF.
std::vector<std::string_view> split_lines(std::string_view text);

/// CRLF and lone CR become LF; trailing blanks on each line and blank lines at either end go.
std::string tidy_text(std::string_view text);

/// Lower-case letters and digits only: "Cisco Web-Ex  Calling" -> "ciscowebexcalling".
/// Non-ASCII bytes are kept so that UTF-8 names still compare.
std::string alnum_key(std::string_view s);
/// alnum_key written to `out`, which has room for s.size() bytes; returns its length.
std::size_t alnum_key_to(std::string_view s, char* out);

/// Collapses runs of whitespace (incl. newlines) into one space and trims.
std::string collapse_spaces(std::string_view s);

}  // namespace tacmail::parser::detail
