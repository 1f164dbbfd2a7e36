// Turns reply content into RFC 5322 bytes. Every header value is stripped of CR, LF and NUL,
// non-ASCII text is RFC 2047-encoded, and addresses/ids are validated: nothing from a mail
// reaches a header unsanitised.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "tacmail/routing/reply.hpp"

namespace tacmail::daemon::smtp {

/// Whether `address` is a plain addr-spec (local@domain) safe to use as a recipient.
bool valid_address(std::string_view address);

/// The addr-spec inside a "Display Name <addr>" header value, or the value itself if bare.
std::optional<std::string> address_of(std::string_view from_header);

/// "Mon, 23 Nov 2026 09:15:00 +0000"
std::string rfc5322_date(std::chrono::system_clock::time_point t);

/// The whole message, CRLF line ends, no line over 998 octets.
std::string write_reply(const routing::reply_content& reply, const std::string& from_header,
                        const std::string& message_id, std::chrono::system_clock::time_point date);

}  // namespace tacmail::daemon::smtp
