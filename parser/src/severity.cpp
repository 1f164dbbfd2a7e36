// Severity from what the customer wrote; inference only ever yields S3 or S4.
#include "severity.hpp"

#include <array>
#include <cstdint>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

// A digit 1-4 standing alone at `pos` (not part of a longer number such as a version).
std::optional<int> lone_digit(std::string_view s, std::size_t pos) {
  if (pos >= s.size() || s[pos] < '1' || s[pos] > '4') return std::nullopt;
  if (pos + 1 < s.size()) {
    const char next = s[pos + 1];
    if (is_ascii_alnum(next)) return std::nullopt;
    if (next == '.' && pos + 2 < s.size() && is_digit(s[pos + 2])) return std::nullopt;
  }
  return s[pos] - '0';
}

bool word_start(std::string_view s, std::size_t pos) {
  return pos == 0 || !is_ascii_alnum(s[pos - 1]);
}

// Words a severity field may hold instead of a number (DOMAIN.md's severity table).
std::optional<int> severity_words(std::string_view v) {
  const std::string s = to_lower(v);
  struct word {
    std::string_view text;
    int severity;
  };
  static constexpr std::array<word, 16> words = {{
      {"ask a question", 4},
      {"question", 4},
      {"documentation", 4},
      {"enhancement", 4},
      {"little or no", 4},
      {"critical", 1},
      {"network down", 1},
      {"outage", 1},
      {"severely degraded", 2},
      {"high", 2},
      {"major", 2},
      {"moderate", 3},
      {"medium", 3},
      {"degraded", 3},
      {"diagnose and fix", 3},
      {"low", 4},
  }};
  for (const word& w : words) {
    if (s.find(w.text) != std::string::npos) return w.severity;
  }
  return std::nullopt;
}

// DOMAIN.md's impact x urgency matrix.
std::optional<int> matrix(std::string_view impact_text, std::string_view urgency_text) {
  const std::string impact = to_lower(impact_text);
  const std::string urgency = to_lower(urgency_text);
  int col = -1;
  if (impact.find("widespread") != std::string::npos || impact.find("3/4") == 0 ||
      impact.find(">3/4") != std::string::npos) {
    col = 0;
  } else if (impact.find("large") != std::string::npos) {
    col = 1;
  } else if (impact.find("localized") != std::string::npos ||
             impact.find("localised") != std::string::npos) {
    col = 2;
  } else if (impact.find("individual") != std::string::npos ||
             impact.find("single user") != std::string::npos) {
    col = 3;
  }
  int row = -1;
  if (urgency.find("critical") != std::string::npos) {
    row = 0;
  } else if (urgency.find("high") != std::string::npos) {
    row = 1;
  } else if (urgency.find("medium") != std::string::npos) {
    row = 2;
  } else if (urgency.find("low") != std::string::npos) {
    row = 3;
  }
  if (row < 0 || col < 0) return std::nullopt;
  static constexpr int table[4][4] = {{1, 1, 2, 3}, {1, 2, 2, 3}, {2, 3, 3, 3}, {4, 4, 4, 4}};
  return table[row][col];
}

// Every keyword starts with s, p or b, as do "S3" and "P2": other bytes start no severity.
constexpr std::array<bool, 256> may_start_severity = [] {
  std::array<bool, 256> table{};
  for (char c : {'s', 'p', 'b', 'S', 'P', 'B'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// A severity number written at `i` in `s`, where a word starts with s, p or b:
// severity_in_text's test for one position.
std::optional<int> severity_after_start(std::string_view s, std::size_t i) {
  // "Severity 3", "Severity: 3", "Severity level 3", "Sev3", "Sev-3", "Priority: 2".
  static constexpr std::string_view keywords[] = {"severity level", "severity", "sev", "priority",
                                                  "business effect"};
  const char first = ascii_lower(s[i]);
  for (std::string_view kw : keywords) {
    if (kw.front() != first || !istarts_with(s.substr(i), kw)) continue;
    std::size_t j = i + kw.size();
    std::size_t skipped = 0;
    while (
        j < s.size() && skipped < 4 &&
        (s[j] == ' ' || s[j] == ':' || s[j] == '-' || s[j] == '=' || s[j] == '#' || s[j] == '\t')) {
      ++j;
      ++skipped;
    }
    // "Business effect: S2", "Priority: P2".
    if (j < s.size() && (s[j] == 'S' || s[j] == 's' || s[j] == 'P' || s[j] == 'p')) ++j;
    if (auto d = lone_digit(s, j)) return d;
  }
  // "S3" / "P2" standing alone.
  if ((s[i] == 'S' || s[i] == 'P') && i + 1 < s.size()) {
    if (auto d = lone_digit(s, i + 1)) return d;
  }
  return std::nullopt;
}

// severity_after_start for any position.
inline std::optional<int> severity_at(std::string_view s, std::size_t i) {
  if (!may_start_severity[static_cast<unsigned char>(s[i])] || !word_start(s, i)) {
    return std::nullopt;
  }
  return severity_after_start(s, i);
}

}  // namespace

std::optional<int> severity_in_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (auto d = severity_at(s, i)) return d;
  }
  return std::nullopt;
}

severity_result decide_severity(const severity_input& in) {
  severity_result r;
  if (in.field) {
    if (auto n = severity_in_text(*in.field)) {
      r.severity = n;
      return r;
    }
    std::string_view v = trim(*in.field);
    if (!v.empty() && v.front() >= '1' && v.front() <= '4' && lone_digit(v, 0)) {
      r.severity = v.front() - '0';
      return r;
    }
    if (auto n = severity_words(v)) {
      r.severity = n;
      return r;
    }
  }
  if (in.impact && in.urgency) {
    if (auto n = matrix(*in.impact, *in.urgency)) {
      r.severity = n;
      return r;
    }
  }
  if (auto n = severity_in_text(in.subject)) {
    r.severity = n;
    return r;
  }
  // Words of a question (bits 0-6) and of an outage (7-14), for the inference below.
  static const word_set text_words = {
      "ask a question", "how do i",       "how can i",       "how to ",      "documentation",
      "is it possible", "question",       "outage",          "network down", "is down",
      "are down",       "all users down", "critical impact", "service down", "system down"};
  constexpr std::uint32_t text_question = 0x7F;
  constexpr std::uint32_t text_outage = 0x7F80;
  // One pass over the words of the text: the first severity written in it (severity_in_text),
  // and the words it holds, which only count when it states none. Both start a word ("this
  // down" says no "is down").
  std::uint32_t in_text = 0;
  const std::string_view text = in.text;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_ascii_alnum(text[i]) || !word_start(text, i)) continue;
    if (auto n = severity_at(text, i)) {
      r.severity = n;
      return r;
    }
    in_text |= text_words.at(text, i);
  }
  // Inferred: the portal's rule. Words of an outage never raise it to S1/S2, they are flagged.
  r.inferred = true;
  static const word_set subject_words = {"question", "how do i", "how to ",    // bits 0-2
                                         "outage",   "down",     "critical"};  // bits 3-5
  constexpr std::uint32_t subject_question = 0x7;
  constexpr std::uint32_t subject_outage = 0x38;
  const std::uint32_t in_subject = subject_words.scan(in.subject, subject_question, subject_outage);
  const bool question = (in_text & text_question) != 0 || (in_subject & subject_question) != 0 ||
                        (in.impact && severity_words(*in.impact) == 4);
  r.severity = question ? 4 : 3;
  if ((in_text & text_outage) != 0 || (in_subject & subject_outage) != 0) {
    r.warnings.push_back("mentions an outage but states no severity");
    r.severity = 3;
  }
  return r;
}

}  // namespace tacmail::parser::detail
