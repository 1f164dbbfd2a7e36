// Severity from what the customer wrote; inference only ever yields S3 or S4.
#include "severity.hpp"

#include <array>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A digit 1-4 standing alone at `pos` (not part of a longer number such as a version).
std::optional<int> lone_digit(std::string_view s, std::size_t pos) {
  if (pos >= s.size() || s[pos] < '1' || s[pos] > '4') return std::nullopt;
  if (pos + 1 < s.size()) {
    const char next = s[pos + 1];
    if (is_alnum(next)) return std::nullopt;
    if (next == '.' && pos + 2 < s.size() && is_digit(s[pos + 2])) return std::nullopt;
  }
  return s[pos] - '0';
}

bool word_start(std::string_view s, std::size_t pos) { return pos == 0 || !is_alnum(s[pos - 1]); }

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

// `lowered` is already lower-case: the text is folded once, not once per word.
bool mentions_any(const std::string& lowered, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (lowered.find(w) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::optional<int> severity_in_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    // Every keyword starts with s, p or b, as do "S3" and "P2".
    const char first = ascii_lower(s[i]);
    if ((first != 's' && first != 'p' && first != 'b') || !word_start(s, i)) continue;
    // "Severity 3", "Severity: 3", "Severity level 3", "Sev3", "Sev-3", "Priority: 2".
    for (std::string_view kw :
         {"severity level", "severity", "sev", "priority", "business effect"}) {
      if (!istarts_with(s.substr(i), kw)) continue;
      std::size_t j = i + kw.size();
      std::size_t skipped = 0;
      while (j < s.size() && skipped < 4 &&
             (s[j] == ' ' || s[j] == ':' || s[j] == '-' || s[j] == '=' || s[j] == '#' ||
              s[j] == '\t')) {
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
  if (auto n = severity_in_text(in.text)) {
    r.severity = n;
    return r;
  }
  // Inferred: the portal's rule. Words of an outage never raise it to S1/S2, they are flagged.
  r.inferred = true;
  const std::string text = to_lower(in.text);
  const std::string subject = to_lower(in.subject);
  const bool question = mentions_any(text, {"ask a question", "how do i", "how can i", "how to ",
                                            "documentation", "is it possible", "question"}) ||
                        mentions_any(subject, {"question", "how do i", "how to "}) ||
                        (in.impact && severity_words(*in.impact) == 4);
  r.severity = question ? 4 : 3;
  if (mentions_any(text, {"outage", "network down", "is down", "are down", "all users down",
                          "critical impact", "service down", "system down"}) ||
      mentions_any(subject, {"outage", "down", "critical"})) {
    r.warnings.push_back("mentions an outage but states no severity");
    r.severity = 3;
  }
  return r;
}

}  // namespace tacmail::parser::detail
