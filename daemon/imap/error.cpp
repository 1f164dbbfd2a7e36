// The "imap" std::error_category: a fixed message for every imap::error value. The server's own
// text is never part of these messages; it travels beside the code.
#include "imap/error.hpp"

#include <string>

namespace tacmail::daemon::imap {
namespace {

class imap_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "imap"; }

  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::malformed_response:
        return "malformed IMAP response";
      case error::literal_too_large:
        return "IMAP literal larger than the size limit";
      case error::line_too_long:
        return "IMAP response line longer than the line limit";
      case error::greeting_timeout:
        return "no IMAP greeting before the deadline";
      case error::command_timeout:
        return "IMAP command not completed before the deadline";
      case error::connect_timeout:
        return "IMAP connect or TLS handshake timed out";
      case error::authentication_failed:
        return "IMAP server rejected the credentials";
      case error::cleartext_refused:
        return "refused to send a password over an unencrypted connection";
      case error::starttls_unavailable:
        return "IMAP server does not offer STARTTLS";
      case error::connection_closed:
        return "IMAP server closed the connection";
      case error::command_failed:
        return "IMAP server refused a command";
      case error::no_uidvalidity:
        return "IMAP folder has no UIDVALIDITY";
    }
    return "unknown IMAP error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& imap_category() {
  // A function-local static: one instance, initialised thread-safely on first use.
  static const imap_category_impl category;
  return category;
}

}  // namespace tacmail::daemon::imap
