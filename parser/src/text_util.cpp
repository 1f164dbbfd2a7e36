// Small string helpers shared by the parser's passes.
#include "text_util.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

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

bool icase_needle::found_in(std::string_view hay) const {
  const std::size_t m = word_.size();
  if (hay.size() < m) return false;
  const char last = word_[m - 1];
  for (std::size_t i = 0; i <= hay.size() - m;) {
    const char c = hay[i + m - 1];
    if (ascii_lower(c) == last && iequals(hay.substr(i, m), word_)) return true;
    i += shift_[static_cast<unsigned char>(c)];
  }
  return false;
}

word_set::word_set(std::initializer_list<std::string_view> words) {
  assert(words.size() <= words_.size());
  std::size_t k = 0;
  for (std::string_view w : words) {
    assert(w.size() >= 2);
    words_[k] = w;
    const std::uint32_t bit = std::uint32_t{1} << k;
    for (int j = 0; j < 2; ++j) {
      auto& table = j == 0 ? first_ : second_;
      const char c = w[static_cast<std::size_t>(j)];
      table[static_cast<unsigned char>(c)] |= bit;
      if (c >= 'a' && c <= 'z') table[static_cast<unsigned char>(c - 'a' + 'A')] |= bit;
    }
    ++k;
  }
}

std::uint32_t word_set::scan(std::string_view text, std::uint32_t group_a,
                             std::uint32_t group_b) const {
  std::uint32_t found = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    const std::uint32_t here = at(text, i);
    if (here == 0) continue;
    found |= here;
    if ((found & group_a) != 0 && (group_b == 0 || (found & group_b) != 0)) return found;
  }
  return found;
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

namespace {

// Mostly a text is tidy already but for blank lines at its ends: LF line ends, no blank before
// one or at the end. Then tidy_text only drops those lines.
bool tidy_but_ends(std::string_view text) {
  if (text.find('\r') != text.npos) return false;
  if (!text.empty() && (text.back() == ' ' || text.back() == '\t')) return false;
  for (std::size_t nl = text.find('\n'); nl != text.npos; nl = text.find('\n', nl + 1)) {
    if (nl > 0 && (text[nl - 1] == ' ' || text[nl - 1] == '\t')) return false;
  }
  return true;
}

}  // namespace

std::string tidy_text(std::string&& text) {
  if (!tidy_but_ends(text)) return tidy_text(std::string_view(text));
  const std::size_t first = text.find_first_not_of('\n');
  if (first == std::string::npos) return {};
  text.erase(text.find_last_not_of('\n') + 1);
  text.erase(0, first);
  return std::move(text);
}

std::string tidy_text(std::string_view text) {
  if (tidy_but_ends(text)) {
    const std::size_t first = text.find_first_not_of('\n');
    if (first == text.npos) return {};
    return std::string(text.substr(first, text.find_last_not_of('\n') + 1 - first));
  }
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

std::size_t alnum_key_to(std::string_view s, char* out, std::size_t limit) {
  // Branch-free: every byte is written, and only a kept one advances (out has room for
  // limit + 1 bytes, and n never passes limit + 1).
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size() && n <= limit; ++i) {
    const char k = key_byte(s[i]);
    out[n] = k;
    n += k != 0 ? 1 : 0;
  }
  return n;
}

std::string alnum_key(std::string_view s) {
  std::string out(s.size() + 1, '\0');
  out.resize(alnum_key_to(s, out.data(), s.size()));
  return out;
}

std::string collapse_spaces(std::string_view s) {
  const std::string_view t = trim(s);
  // Never longer than the trimmed input: written in place, then cut to size.
  std::string out(t.size(), '\0');
  std::size_t n = 0;
  bool pending_space = false;
  // 1: whitespace; 2: 0xC2, the first byte of U+00A0.
  static constexpr std::array<unsigned char, 256> kind = [] {
    std::array<unsigned char, 256> table{};
    for (char c : {' ', '\t', '\r', '\n', '\f', '\v'}) table[static_cast<unsigned char>(c)] = 1;
    table[0xC2] = 2;
    return table;
  }();
  for (std::size_t i = 0; i < t.size();) {
    const char c = t[i];
    const unsigned char k = kind[static_cast<unsigned char>(c)];
    // U+00A0 counts as a space here: &nbsp; between words is layout, not content.
    if (k == 1 || (k == 2 && i + 1 < t.size() && t[i + 1] == '\xA0')) {
      pending_space = true;
      i += k;
      continue;
    }
    if (pending_space && n > 0) out[n++] = ' ';
    pending_space = false;
    // The rest of the word, up to the next possible space.
    do {
      out[n++] = t[i++];
    } while (i < t.size() && kind[static_cast<unsigned char>(t[i])] == 0);
  }
  out.resize(n);
  return out;
}

}  // namespace tacmail::parser::detail
