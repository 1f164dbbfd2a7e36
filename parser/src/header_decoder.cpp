// Header decoding: RFC 2047 words via mimetic's codecs and iconv, addresses via mimetic.
#include "header_decoder.hpp"

#include <mimetic/mimetic.h>

#include <algorithm>
#include <iterator>

#include "charset.hpp"
#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

struct encoded_word {
  std::size_t begin = 0;  ///< offset of "=?"
  std::size_t end = 0;    ///< one past "?="
  std::string charset;
  std::string bytes;  ///< decoded payload, still in `charset`
};

// Parses "=?charset?X?text?=" at `pos`; false if it is not a well-formed encoded word.
bool read_word(std::string_view s, std::size_t pos, encoded_word& word) {
  if (s.compare(pos, 2, "=?") != 0) return false;
  std::size_t q1 = s.substr(0, std::min(s.size(), pos + 80)).find('?', pos + 2);
  if (q1 == s.npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return false;
  const char enc = s[q1 + 1];
  std::size_t text_begin = q1 + 3;
  // RFC 2047 allows 75 characters; real clients go over, but a bounded look keeps a hostile
  // header of unterminated words linear.
  std::size_t close = s.substr(0, std::min(s.size(), pos + 2048)).find("?=", text_begin);
  if (close == s.npos) return false;
  std::string_view charset = s.substr(pos + 2, q1 - pos - 2);
  std::string_view text = s.substr(text_begin, close - text_begin);
  if (charset.empty() || text.find_first_of(" \t") != text.npos) return false;
  // RFC 2231 adds a language: charset*lang.
  if (std::size_t star = charset.find('*'); star != charset.npos) charset = charset.substr(0, star);
  word.begin = pos;
  word.end = close + 2;
  word.charset = std::string(charset);
  word.bytes.clear();
  if (enc == 'B' || enc == 'b') {
    std::string clean;
    for (char c : text) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/' ||
          c == '=') {
        clean.push_back(c);
      }
    }
    mimetic::Base64::Decoder decoder;
    mimetic::decode(clean.begin(), clean.end(), decoder, std::back_inserter(word.bytes));
  } else if (enc == 'Q' || enc == 'q') {
    // Q is quoted-printable with '_' for space.
    std::string qp;
    for (char c : text) {
      if (c == '_') {
        qp += "=20";
      } else {
        qp.push_back(c);
      }
    }
    mimetic::QP::Decoder decoder;
    mimetic::decode(qp.begin(), qp.end(), decoder, std::back_inserter(word.bytes));
  } else {
    return false;
  }
  return true;
}

bool only_space(std::string_view s) {
  for (char c : s) {
    if (!is_space(c)) return false;
  }
  return true;
}

}  // namespace

std::string plain_header_text(std::string_view value) {
  return collapse_spaces(valid_utf8(std::string(value)));
}

std::string decode_header_text(std::string_view value) {
  // No encoded word (most headers): nothing to decode.
  if (value.find("=?") == value.npos) return plain_header_text(value);
  std::string out;
  std::string plain;  // undecoded text waiting to be converted
  std::string pending_charset;
  std::string pending_bytes;  // adjacent encoded words in one charset, joined before converting
  auto flush_words = [&] {
    if (!pending_bytes.empty()) out += to_utf8(pending_bytes, pending_charset).text;
    pending_bytes.clear();
    pending_charset.clear();
  };
  auto flush_plain = [&] {
    if (!plain.empty()) out += valid_utf8(std::move(plain));
    plain.clear();
  };
  std::size_t pos = 0;
  bool last_was_word = false;
  while (pos < value.size()) {
    std::size_t next = value.find("=?", pos);
    encoded_word word;
    while (next != value.npos && !read_word(value, next, word)) next = value.find("=?", next + 1);
    if (next == value.npos) {
      flush_words();
      plain += value.substr(pos);
      break;
    }
    std::string_view between = value.substr(pos, next - pos);
    // Whitespace between two encoded words is not part of the text (RFC 2047 section 6.2).
    if (!(last_was_word && only_space(between))) {
      flush_words();
      plain += between;
    }
    flush_plain();
    if (!pending_bytes.empty() && !iequals(pending_charset, word.charset)) flush_words();
    pending_charset = word.charset;
    pending_bytes += word.bytes;
    pos = word.end;
    last_was_word = true;
  }
  flush_words();
  flush_plain();
  return collapse_spaces(out);
}

mailbox_address parse_mailbox(std::string_view value) {
  mailbox_address result;
  std::string text(trim(value));
  if (text.empty()) return result;
  try {
    mimetic::MailboxList list(text);
    if (!list.empty()) {
      const mimetic::Mailbox& mb = list.front();
      std::string local = mb.mailbox();
      std::string domain = mb.domain();
      if (!local.empty()) {
        std::string address = std::move(local);
        if (!domain.empty()) {
          address.push_back('@');
          address.append(domain);
        }
        for (char& c : address) c = ascii_lower(c);
        result.address = std::move(address);
      }
      std::string label = mb.label();
      std::string_view l = trim(label);
      std::string name;
      if (l.size() >= 2 && l.front() == '"' && l.back() == '"') {
        l = l.substr(1, l.size() - 2);
        for (std::size_t i = 0; i < l.size(); ++i) {
          if (l[i] == '\\' && i + 1 < l.size()) ++i;
          name.push_back(l[i]);
        }
      } else {
        name = std::string(l);
      }
      // "addr@example.com (Name)": mimetic drops the comment; it is the display name.
      if (trim(name).empty()) {
        std::size_t open = text.find('(');
        std::size_t close = text.rfind(')');
        if (open != text.npos && close != text.npos && close > open) {
          name = text.substr(open + 1, close - open - 1);
        }
      }
      name = decode_header_text(name);
      if (!name.empty()) result.name = std::move(name);
    }
  } catch (...) {
    // A From header mimetic cannot read is treated as absent.
  }
  return result;
}

std::vector<std::string> parse_message_ids(std::string_view value) {
  std::vector<std::string> ids;
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t open = value.find('<', pos);
    if (open == value.npos) break;
    std::size_t close = value.find('>', open + 1);
    if (close == value.npos) break;
    std::string_view id = trim(value.substr(open + 1, close - open - 1));
    if (!id.empty()) ids.emplace_back(id);
    pos = close + 1;
  }
  // Some agents write ids without brackets: take the whitespace-separated words.
  if (ids.empty()) {
    std::string_view rest = trim(value);
    while (!rest.empty()) {
      std::size_t sp = 0;
      while (sp < rest.size() && !is_space(rest[sp])) ++sp;
      std::string_view id = rest.substr(0, sp);
      if (id.find('@') != id.npos) ids.emplace_back(id);
      rest = trim(rest.substr(sp));
    }
  }
  return ids;
}

}  // namespace tacmail::parser::detail
