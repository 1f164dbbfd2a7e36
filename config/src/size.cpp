// parse_size: "<digits>[k|M|G]", 1024-based, nothing else (no sign, no spaces, no "MB").
#include <charconv>
#include <cstdint>
#include <limits>

#include "tacmail/config/load.hpp"

namespace tacmail::config {

std::optional<std::size_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;

  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc{} || end != text.data() + digits) return std::nullopt;

  const std::string_view unit = text.substr(digits);
  std::size_t scale = 1;
  if (unit == "k" || unit == "K") {
    scale = std::size_t{1} << 10;
  } else if (unit == "m" || unit == "M") {
    scale = std::size_t{1} << 20;
  } else if (unit == "g" || unit == "G") {
    scale = std::size_t{1} << 30;
  } else if (!unit.empty()) {
    return std::nullopt;
  }
  if (value > std::numeric_limits<std::size_t>::max() / scale) return std::nullopt;
  return value * scale;
}

}  // namespace tacmail::config
