// RFC 3339 formatting and parsing with Howard Hinnant's date library.
// GCC 12 at -O2 and above says date::from_stream may read an uninitialised field: it does not
// (the field is read only once parsed); the warning is about the library's code, not ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <date/date.h>
#pragma GCC diagnostic pop

#include <regex>
#include <sstream>

#include "tacmail/routing/time_format.hpp"

namespace tacmail::routing {

std::string to_rfc3339(clock::time_point t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t));
}

std::optional<clock::time_point> from_rfc3339(const std::string& text) {
  // The whole text must be one timestamp: date::parse alone stops at the first extra byte.
  static const std::regex shape(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$)");
  if (!std::regex_match(text, shape)) return std::nullopt;
  std::istringstream in(text);
  date::sys_seconds t;
  if (text.ends_with("Z")) {
    in >> date::parse("%FT%TZ", t);
  } else {
    in >> date::parse("%FT%T%Ez", t);
  }
  if (in.fail()) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: past 2262 the conversion would wrap.
  if (t > std::chrono::floor<std::chrono::seconds>(clock::time_point::max()) ||
      t < std::chrono::ceil<std::chrono::seconds>(clock::time_point::min()))
    return std::nullopt;
  return clock::time_point(t);
}

}  // namespace tacmail::routing
