// The limits, logging and metrics sections: how much mail tacmaild takes on, what it writes
// about itself, and where Prometheus finds it. Paths are resolved, not checked: case_log is
// written, not read.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "settings_sections.hpp"

namespace tacmail::config::detail {

namespace {

bool ip_address(int family, const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(family, text.c_str(), buffer) == 1;
}

// A DNS name: letters, digits, hyphens and dots; all-digit-and-dot names must be IPv4.
bool host_name(const std::string& text) {
  const bool numeric = std::all_of(
      text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0 || c == '.'; });
  if (numeric) return ip_address(AF_INET, text);
  return !text.empty() && text.front() != '-' && text.front() != '.' &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '.'; });
}

// "HOST:PORT", "[IPv6]:PORT". Empty when fine, else what is wrong.
std::string check_listen(const std::string& text) {
  const std::string expected =
      "expected HOST:PORT such as 127.0.0.1:9187 or [::1]:9187, got '" + text + "'";
  std::string host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return expected;
    }
    host = text.substr(1, close - 1);
    if (!ip_address(AF_INET6, host)) return "'" + host + "' is not an IPv6 address";
    port = std::string_view(text).substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return expected;
    host = text.substr(0, colon);
    if (host.find(':') != std::string::npos) {
      return "write an IPv6 address in brackets, as [::1]:9187, got '" + text + "'";
    }
    if (!host_name(host)) return expected;
    port = std::string_view(text).substr(colon + 1);
  }
  int number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec == std::errc::invalid_argument || end != port.data() + port.size()) {
    return expected;
  }
  if (ec == std::errc::result_out_of_range || number < 1 || number > 65535) {
    return "the port must be between 1 and 65535, got " + std::string(port);
  }
  return {};
}

}  // namespace

void read_limits(settings_context& ctx, const field& where, limits_settings& limits) {
  map_reader map(ctx.errors, where);
  auto& errors = ctx.errors;
  const auto size = [&](const field& f) { return read_size(errors, f); };
  read_into(map, "max_message_size", limits.max_message_size, size);
  read_into(map, "max_mime_depth", limits.max_mime_depth,
            [&](const field& f) { return read_int(errors, f, 1, 100); });
  read_into(map, "max_parts", limits.max_parts,
            [&](const field& f) { return read_int(errors, f, 1, 10000); });
  read_into(map, "max_header_line", limits.max_header_line, size);
  map.finish();
}

void read_logging(settings_context& ctx, const field& where, logging_settings& logging) {
  map_reader map(ctx.errors, where);
  auto& errors = ctx.errors;
  if (auto f = map.optional("level")) {
    constexpr std::string_view levels[] = {"trace", "debug",    "info", "warn",
                                           "error", "critical", "off"};
    const auto index = read_choice(
        errors, *f, {levels[0], levels[1], levels[2], levels[3], levels[4], levels[5], levels[6]});
    if (index) logging.level = std::string(levels[*index]);
  }
  if (auto f = map.optional("case_log")) logging.case_log = read_path(errors, *f, ctx.base);
  read_into(map, "case_log_max_size", logging.case_log_max_size,
            [&](const field& f) { return read_size(errors, f); });
  read_into(map, "case_log_files", logging.case_log_files,
            [&](const field& f) { return read_int(errors, f, 1, 100); });
  map.finish();
}

void read_metrics(settings_context& ctx, const field& where, metrics_settings& metrics) {
  map_reader map(ctx.errors, where);
  auto& errors = ctx.errors;
  if (auto f = map.optional("listen")) {
    if (auto text = read_string(errors, *f)) {
      if (const auto wrong = check_listen(*text); !wrong.empty()) {
        errors.add(f->line, f->path, wrong);
      } else {
        metrics.listen = *text;
      }
    }
  }
  read_into(map, "stale_after", metrics.stale_after,
            [&](const field& f) { return read_positive_duration(errors, f); });
  map.finish();
}

}  // namespace tacmail::config::detail
