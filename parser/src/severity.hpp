// Severity (business effect) 1-4: stated in a field or the text, from DOMAIN.md's impact x
// urgency matrix, or inferred by the portal's rule (question -> 4, else 3; never 1 or 2).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tacmail::parser::detail {

struct severity_result {
  std::optional<int> severity;
  bool inferred = false;
  std::vector<std::string> warnings;
};

struct severity_input {
  std::optional<std::string> field;    ///< "Business effect / Severity" value
  std::optional<std::string> impact;   ///< "Impact" value
  std::optional<std::string> urgency;  ///< "Urgency" value
  std::string_view subject;
  std::string_view text;  ///< the request text, quotes stripped
};

severity_result decide_severity(const severity_input& in);

/// A severity number written in `s` ("Severity 3", "Sev3", "S3", "P2", "Priority: 2"), or none.
std::optional<int> severity_in_text(std::string_view s);

}  // namespace tacmail::parser::detail
