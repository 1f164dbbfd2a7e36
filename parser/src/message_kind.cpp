// Kind detection (RFC 3834 auto-replies, RFC 3464 reports, RFC 2919 lists) and case references.
#include "message_kind.hpp"

#include <cstdint>
#include <cstring>

#include "text_util.hpp"

namespace tacmail::parser {

const char* to_string(message_kind kind) {
  switch (kind) {
    case message_kind::new_case:
      return "new_case";
    case message_kind::follow_up:
      return "follow_up";
    case message_kind::auto_reply:
      return "auto_reply";
    case message_kind::bounce:
      return "bounce";
    case message_kind::list:
      return "list";
    case message_kind::unreadable:
      return "unreadable";
  }
  return "unreadable";
}

}  // namespace tacmail::parser

namespace tacmail::parser::detail {
namespace {

// Exactly nine digits at `pos`, not part of a longer number.
std::optional<std::string> nine_digits(std::string_view s, std::size_t pos) {
  if (pos > 0 && is_digit(s[pos - 1])) return std::nullopt;
  std::size_t end = pos;
  while (end < s.size() && is_digit(s[end])) ++end;
  if (end - pos != 9) return std::nullopt;
  return std::string(s.substr(pos, 9));
}

// "<keyword>[ number|no|#|:]* NNNNNNNNN" at any word start in `text`; keywords in lower case.
std::optional<std::string> keyword_number(std::string_view text,
                                          std::initializer_list<std::string_view> keywords) {
  // The bytes a keyword starts with, in either case: most positions are turned away on one load.
  bool starts[256] = {};
  for (std::string_view kw : keywords) {
    const char c = kw.front();
    starts[static_cast<unsigned char>(c)] = true;
    if (c >= 'a' && c <= 'z') starts[static_cast<unsigned char>(c - 'a' + 'A')] = true;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!starts[static_cast<unsigned char>(text[i])]) continue;
    if (i > 0 && is_ascii_alnum(text[i - 1])) continue;
    for (std::string_view kw : keywords) {
      if (!istarts_with(text.substr(i), kw)) continue;
      std::size_t j = i + kw.size();
      if (j < text.size() && is_ascii_alnum(text[j]) && !is_digit(text[j])) continue;
      // Fillers between the keyword and the number: "number", "no.", "#", ":", "ID".
      for (int guard = 0; guard < 6 && j < text.size(); ++guard) {
        while (j < text.size() && (text[j] == ' ' || text[j] == '#' || text[j] == ':' ||
                                   text[j] == '.' || text[j] == '-' || text[j] == '\t')) {
          ++j;
        }
        bool skipped = false;
        static constexpr std::string_view fillers[] = {"number", "nr", "no", "id", "ref"};
        for (std::string_view filler : fillers) {
          if (istarts_with(text.substr(j), filler) &&
              (j + filler.size() >= text.size() || !is_ascii_alnum(text[j + filler.size()]))) {
            j += filler.size();
            skipped = true;
            break;
          }
        }
        if (!skipped) break;
      }
      if (auto n = nine_digits(text, j)) return n;
    }
  }
  return std::nullopt;
}

// Whether `text` holds a run of exactly nine digits: keyword_number finds nothing without one.
// Eight bytes without a digit are passed over at a time (most of a text).
bool has_nine_digit_run(std::string_view text) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  std::size_t run = 0;  // digits just before text[i]
  for (std::size_t i = 0; i < text.size();) {
    if (run == 0 && text.size() - i >= 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      // A byte b with '0' <= b <= '9' (b < 0x80 and '0' - 1 < (b & 0x7F) < '9' + 1), per byte
      // without carries between bytes.
      const std::uint64_t low = word & low7;
      const std::uint64_t digits =
          (ones * (127 + '9' + 1) - low) & ~word & (low + ones * (127 - ('0' - 1))) & highs;
      if (digits == 0) {
        i += 8;
        continue;
      }
    }
    if (is_digit(text[i++])) {
      ++run;
    } else {
      if (run == 9) return true;
      run = 0;
    }
  }
  return run == 9;
}

const std::string* header(const mime_part& root, std::string_view name) {
  return root.header(name);
}

}  // namespace

std::optional<std::string> find_case_ref(std::string_view subject, std::string_view text) {
  if (has_nine_digit_run(subject)) {
    if (auto n = keyword_number(subject, {"[case", "case", "sr", "service request"})) return n;
  }
  if (!has_nine_digit_run(text)) return std::nullopt;
  return keyword_number(text, {"case", "sr", "service request"});
}

message_kind classify(const mime_part& root, std::string_view subject,
                      const std::optional<std::string>& from_address, bool has_case_ref) {
  // Bounce: a delivery report, a null sender, or the mailer itself writing.
  if (root.media_type_is("multipart/report")) {
    // A read receipt (RFC 8098) is an automatic answer, not a failed delivery.
    const std::string type = to_lower(root.type_param("report-type").value_or(""));
    return type == "disposition-notification" ? message_kind::auto_reply : message_kind::bounce;
  }
  if (const std::string* rp = header(root, "Return-Path")) {
    if (trim(*rp) == "<>" || trim(*rp) == "< >") return message_kind::bounce;
  }
  if (from_address) {
    if (istarts_with(*from_address, "mailer-daemon@") ||
        istarts_with(*from_address, "postmaster@") || *from_address == "mailer-daemon") {
      return message_kind::bounce;
    }
  }
  // Auto-reply: RFC 3834 and the vendor-specific headers, then the subjects clients write.
  if (const std::string* as = header(root, "Auto-Submitted")) {
    if (!iequals(trim(*as), "no") && !trim(*as).empty()) return message_kind::auto_reply;
  }
  if (header(root, "X-Autoreply") != nullptr || header(root, "X-Autorespond") != nullptr ||
      header(root, "X-Autoresponder") != nullptr) {
    return message_kind::auto_reply;
  }
  const std::string* precedence = header(root, "Precedence");
  const std::string prec = precedence ? to_lower(trim(*precedence)) : std::string();
  if (prec == "auto_reply") return message_kind::auto_reply;
  static constexpr std::string_view auto_subjects[] = {
      "automatic reply",   "auto reply",           "autoreply",
      "out of office",     "out of the office",    "auto:",
      "abwesenheitsnotiz", "automatische antwort", "r\xC3\xA9ponse automatique"};
  const std::string_view trimmed_subject = trim(subject);
  for (std::string_view p : auto_subjects) {
    if (istarts_with(trimmed_subject, p)) return message_kind::auto_reply;
  }
  if (header(root, "List-Id") != nullptr || prec == "list" || prec == "bulk" || prec == "junk") {
    return message_kind::list;
  }
  if (has_case_ref) return message_kind::follow_up;
  return message_kind::new_case;
}

}  // namespace tacmail::parser::detail
