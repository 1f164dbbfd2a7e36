// The IMAP client's error enum, registered with std::error_code. The server's own text travels
// beside the code (in the session's failure detail), never inside it.
#pragma once

#include <system_error>

namespace tacmail::daemon::imap {

enum class error {
  /// The server sent bytes that are not an IMAP response.
  malformed_response = 1,
  /// A literal announced more bytes than the configured message-size limit.
  literal_too_large,
  /// A response line (outside literals) grew past the line-length limit.
  line_too_long,
  /// No greeting arrived before the deadline.
  greeting_timeout,
  /// A command got no tagged completion before its deadline.
  command_timeout,
  /// Connecting (TCP or TLS handshake) did not finish before the deadline.
  connect_timeout,
  /// The server refused our credentials (tagged NO to LOGIN/AUTHENTICATE).
  authentication_failed,
  /// A password would have crossed an unencrypted connection (tls is not "none").
  cleartext_refused,
  /// The server does not offer STARTTLS although the config requires it.
  starttls_unavailable,
  /// The server closed the connection (BYE or EOF).
  connection_closed,
  /// The server answered NO or BAD to a command we need.
  command_failed,
  /// The selected folder's UIDVALIDITY is missing.
  no_uidvalidity,
};

const std::error_category& imap_category();

inline std::error_code make_error_code(error e) { return {static_cast<int>(e), imap_category()}; }

}  // namespace tacmail::daemon::imap

template <>
struct std::is_error_code_enum<tacmail::daemon::imap::error> : std::true_type {};
