// IMAP argument formatting. Quoting refuses line breaks rather than emitting a literal: every
// string we send (user name, password, folder) is operator configuration, not mail content.
#include "imap/command.hpp"

#include <algorithm>

namespace tacmail::daemon::imap {

std::optional<std::string> quote_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return std::nullopt;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string quoted_mailbox(std::string_view name) {
  std::string clean;
  for (char c : name)
    if (c != '\r' && c != '\n' && c != '\0') clean += c;
  return *quote_string(clean);
}

std::string uid_set(std::vector<std::uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(uids[i]);
    if (j > i) out += ':' + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace tacmail::daemon::imap
