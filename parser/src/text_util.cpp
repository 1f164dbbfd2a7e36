// Small string helpers shared by the parser's passes.
#include "text_util.hpp"

#include <algorithm>

namespace tacmail::parser::detail {

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from) {
  if (needle.empty()) return from <= hay.size() ? from : std::string_view::npos;
  if (hay.size() < needle.size()) return std::string_view::npos;
  const char first = ascii_lower(needle.front());
  const char first_upper = (first >= 'a' && first <= 'z') ? static_cast<char>(first - 32) : first;
  const std::size_t last = hay.size() - needle.size();
  for (std::size_t i = from; i <= last; ++i) {
    const char c = hay[i];
    if (c != first && c != first_upper) continue;
    if (iequals(hay.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  lines.reserve(text.size() / 32 + 4);  // mail lines run 40 to 80 characters
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::string tidy_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    // The line ends at the first LF or CR (lines are short: two scans beat one per character).
    std::size_t end = text.find('\n', i);
    if (end == text.npos) end = text.size();
    end = std::min(end, text.substr(0, end).find('\r', i));
    std::string_view line = text.substr(i, end - i);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    out.append(line);
    if (end < text.size()) {
      out.push_back('\n');
      if (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ++end;
    }
    i = end + 1;
  }
  std::size_t first = out.find_first_not_of('\n');
  if (first == std::string::npos) return {};
  out.erase(out.find_last_not_of('\n') + 1);
  out.erase(0, first);
  return out;
}

std::size_t alnum_key_to(std::string_view s, char* out) {
  std::size_t n = 0;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || is_digit(c) || u >= 0x80) {
      out[n++] = c;
    } else if (c >= 'A' && c <= 'Z') {
      out[n++] = ascii_lower(c);
    }
  }
  return n;
}

std::string alnum_key(std::string_view s) {
  std::string out(s.size(), '\0');
  out.resize(alnum_key_to(s, out.data()));
  return out;
}

std::string collapse_spaces(std::string_view s) {
  const std::string_view t = trim(s);
  // Never longer than the trimmed input: written in place, then cut to size.
  std::string out(t.size(), '\0');
  std::size_t n = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    // U+00A0 counts as a space here: &nbsp; between words is layout, not content.
    if (c == '\xC2' && i + 1 < t.size() && t[i + 1] == '\xA0') {
      pending_space = true;
      ++i;
      continue;
    }
    if (is_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && n > 0) out[n++] = ' ';
    pending_space = false;
    out[n++] = c;
  }
  out.resize(n);
  return out;
}

}  // namespace tacmail::parser::detail
