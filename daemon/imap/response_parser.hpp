// The pure IMAP response parser: bytes in, complete responses out. It never sees a socket, so
// it is unit-tested and fuzzed on its own. Memory is bounded: a literal larger than the limit
// is refused when announced, not buffered.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include "imap/response.hpp"

namespace tacmail::daemon::imap {

class response_parser {
 public:
  struct limits {
    std::size_t max_literal = 64 * 1024 * 1024;  ///< bytes in one {n} literal
    std::size_t max_line = 1024 * 1024;          ///< bytes of one line outside literals
  };

  enum class status { ok, need_more, error };

  response_parser() = default;
  explicit response_parser(limits l) : limits_(l) {}

  /// Appends bytes that arrived from the server.
  void feed(std::string_view bytes);

  /// Extracts the next complete response into `out`. need_more: feed more bytes. error: `ec`
  /// says why (malformed_response, literal_too_large, line_too_long); the stream is then
  /// unusable and the connection should be dropped.
  status next(response& out, std::error_code& ec);

  /// Bytes received but not yet consumed by a complete response.
  std::size_t buffered() const { return buffer_.size() - consumed_; }

  /// Drops everything buffered (after STARTTLS: nothing sent in cleartext may be trusted).
  void reset();

 private:
  limits limits_{};
  std::string buffer_;
  std::size_t consumed_ = 0;  ///< start of the first response not yet returned
  std::size_t scanned_ = 0;   ///< framing progress: bytes known to belong to the pending response
};

}  // namespace tacmail::daemon::imap
