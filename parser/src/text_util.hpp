// Small string helpers shared by the parser's passes: trimming, case folding, line splitting.
// ASCII-only on purpose: labels and keywords are ASCII, values are kept byte for byte.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
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
/// An ASCII letter or digit: what a word is made of where words are looked for by position.
inline bool is_ascii_alnum(char c) {
  static constexpr std::array<bool, 256> table = [] {
    std::array<bool, 256> t{};
    for (int b = 0; b < 256; ++b) {
      t[static_cast<std::size_t>(b)] =
          (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
    }
    return t;
  }();
  return table[static_cast<unsigned char>(c)];
}
/// The value of a hex digit (either case), -1 for any other byte.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
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

/// A lower-case word looked for ignoring ASCII case. Horspool's search with its shift table
/// built once: a line is read a needle's length at a time, not byte by byte.
class icase_needle {
 public:
  /// `word`: 1 to 255 characters.
  constexpr explicit icase_needle(std::string_view word) : word_(word) {
    shift_.fill(static_cast<unsigned char>(word.size()));
    for (std::size_t j = 0; j + 1 < word.size(); ++j) {
      const auto distance = static_cast<unsigned char>(word.size() - 1 - j);
      const char c = word[j];
      shift_[static_cast<unsigned char>(c)] = distance;
      if (c >= 'a' && c <= 'z') shift_[static_cast<unsigned char>(c - 'a' + 'A')] = distance;
    }
  }
  bool found_in(std::string_view hay) const;

 private:
  std::string_view word_;
  std::array<unsigned char, 256> shift_{};
};

/// Which (first byte, length) pairs a set of words has: a word whose pair is missing is not in
/// the set, so one load turns most lookups away before they hash or compare. Lengths of 63 and
/// more share a bit.
class word_shapes {
 public:
  void add(std::string_view word) {
    if (!word.empty()) bits_[static_cast<unsigned char>(word.front())] |= bit(word.size());
  }
  bool may_hold(std::string_view word) const {
    return !word.empty() &&
           (bits_[static_cast<unsigned char>(word.front())] & bit(word.size())) != 0;
  }

 private:
  static std::uint64_t bit(std::size_t length) {
    return std::uint64_t{1} << (length < 63 ? length : 63);
  }
  std::array<std::uint64_t, 256> bits_{};
};

/// A few lower-case words (2 to 32 of them, two characters or longer) looked for in a text in
/// one pass, ignoring ASCII case: a pair of tables on the first two characters rules out
/// nearly every position before any comparison.
class word_set {
 public:
  word_set(std::initializer_list<std::string_view> words);

  /// Bit k set when the k-th word occurs in `text`. Stops early once a word of `group_a` and
  /// (unless it is 0) one of `group_b` were found, bits being word masks.
  std::uint32_t scan(std::string_view text, std::uint32_t group_a, std::uint32_t group_b = 0) const;

  /// Bit k set when the k-th word starts at text[i].
  std::uint32_t at(std::string_view text, std::size_t i) const {
    if (i + 1 >= text.size()) return 0;
    std::uint32_t found = 0;
    for (std::uint32_t candidates = first_[static_cast<unsigned char>(text[i])] &
                                    second_[static_cast<unsigned char>(text[i + 1])];
         candidates != 0; candidates &= candidates - 1) {
      const int k = __builtin_ctz(candidates);
      if (istarts_with(text.substr(i), words_[static_cast<std::size_t>(k)])) {
        found |= std::uint32_t{1} << k;
      }
    }
    return found;
  }

 private:
  std::array<std::string_view, 32> words_{};
  std::array<std::uint32_t, 256> first_{};   ///< words whose first character this byte is
  std::array<std::uint32_t, 256> second_{};  ///< words whose second character this byte is
};

/// Lines of `text` without their CR/LF.
std::vector<std::string_view> split_lines(std::string_view text);

/// CRLF and lone CR become LF; trailing blanks on each line and blank lines at either end go.
std::string tidy_text(std::string_view text);
/// tidy_text, in place when the text only has blank lines at its ends to lose.
std::string tidy_text(std::string&& text);

/// What alnum_key keeps of byte `c`: letters lower-cased, digits and non-ASCII bytes as they
/// are; 0 for the rest.
inline char key_byte(char c) {
  static constexpr std::array<char, 256> table = [] {
    std::array<char, 256> t{};
    for (int b = 0; b < 256; ++b) {
      if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b >= 0x80) {
        t[static_cast<std::size_t>(b)] = static_cast<char>(b);
      } else if (b >= 'A' && b <= 'Z') {
        t[static_cast<std::size_t>(b)] = static_cast<char>(b - 'A' + 'a');
      }
    }
    return t;
  }();
  return table[static_cast<unsigned char>(c)];
}

/// Lower-case letters and digits only: "Cisco Web-Ex  Calling" -> "ciscowebexcalling".
/// Non-ASCII bytes are kept so that UTF-8 names still compare.
std::string alnum_key(std::string_view s);
/// alnum_key written to `out` (room for limit + 1 bytes) up to limit + 1 bytes: a result over
/// `limit` says only that the key is longer than that.
std::size_t alnum_key_to(std::string_view s, char* out, std::size_t limit);

/// Collapses runs of whitespace (incl. newlines) into one space and trims.
std::string collapse_spaces(std::string_view s);

}  // namespace tacmail::parser::detail
