// Loading a settings text and getting its errors as rendered lines, the temp folder's file shown
// as "F", so an error test states the exact "F:LINE: key.path: message" it expects.
#pragma once

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/config/load.hpp"
#include "temp_folder.hpp"

namespace tacmail::config::test {

/// Rendered error lines; its own type so that a failed CHECK prints them (operator<< below).
struct lines : std::vector<std::string> {
  using std::vector<std::string>::vector;
};

inline std::ostream& operator<<(std::ostream& out, const lines& items) {
  out << "{";
  for (const auto& item : items) out << "\n  \"" << item << "\"";
  return out << (items.empty() ? "}" : "\n}");
}

/// text with the first from replaced by to; from must occur.
inline std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto at = out.find(from);
  REQUIRE(at != std::string::npos);
  out.replace(at, from.size(), to);
  return out;
}

/// Every error of load_settings on content, one rendered line each.
inline lines errors_for(std::string_view content) {
  temp_folder tmp;
  const auto file = tmp.write("c.yaml", content);
  const auto result = load_settings(file);
  CHECK(result.value.has_value() == result.errors.empty());
  lines out;
  for (const auto& e : result.errors) {
    CHECK(e.file == file.string());
    std::string line = e.to_string();
    line.replace(0, file.string().size(), "F");
    out.push_back(line);
  }
  return out;
}

}  // namespace tacmail::config::test
