// The pure IMAP response parser: bytes in, complete responses out. It never sees a socket, so
// it is unit-tested and fuzzed on its own. Memory is bounded: a literal larger than the limit
// is refused when announced, not buffered.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <system_error>

#include "imap/error.hpp"
#include "imap/response.hpp"

namespace tacmail::daemon::imap {

class response_parser {
 public:
  struct limits {
    /// Literal bytes in one response (one {n}, or the sum of several in one response).
    std::size_t max_literal = 64 * 1024 * 1024;
    /// Bytes of one response outside its literals, line terminators not counted.
    std::size_t max_line = 1024 * 1024;
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
  std::size_t buffered() const;

  /// Literals of at least this many bytes (message bodies) are framed into a string of their
  /// own, sized once from their announced length, and handed to the response by move: a
  /// 30 MB mail is held once, not in the frame buffer, its growth and a copy besides.
  static constexpr std::size_t spill_threshold = 64 * 1024;

  /// Drops everything buffered (after STARTTLS: nothing sent in cleartext may be trusted).
  void reset();

 private:
  /// Advances framing of the pending response; ok means it ends at `body_end` (exclusive,
  /// before the final line terminator) and `response_end` (after it).
  status frame(std::size_t& body_end, std::size_t& response_end, std::error_code& ec);
  status fail(error e, std::error_code& ec);
  /// Drops consumed bytes when that frees at least as much as it moves (amortised O(1)/byte).
  void compact();

  limits limits_{};
  std::string buffer_;
  std::size_t consumed_ = 0;    ///< start of the first response not yet returned
  std::size_t scanned_ = 0;     ///< framing progress: bytes known to belong to the pending response
  std::size_t line_start_ = 0;  ///< start of the pending response's current (unended) line
  std::size_t literal_left_ = 0;   ///< raw bytes still owed to a literal being framed
  std::size_t text_bytes_ = 0;     ///< pending response's ended lines, excluding terminators
  std::size_t literal_bytes_ = 0;  ///< pending response's announced literal bytes
  std::error_code failure_;        ///< sticky: once set, every next() reports it
  /// The pending response's spilled literals, in order; buffer_ keeps only their `{n}` lines.
  std::deque<std::string> spilled_;
  bool spilling_ = false;  ///< the literal being framed goes to spilled_.back()
};

}  // namespace tacmail::daemon::imap
