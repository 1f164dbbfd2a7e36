// Formatting of IMAP command arguments: quoted strings and UID sets. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tacmail::daemon::imap {

/// A quoted string ("a \"b\""). nullopt when the text cannot be quoted (CR, LF, NUL), so a
/// value from outside can never end a command line early.
std::optional<std::string> quote_string(std::string_view text);

/// A quoted mailbox name; CR, LF and NUL (which config could smuggle in) are dropped.
std::string quoted_mailbox(std::string_view name);

/// "1:3,7,9:10" from UIDs in any order, duplicates dropped.
std::string uid_set(std::vector<std::uint32_t> uids);

}  // namespace tacmail::daemon::imap
