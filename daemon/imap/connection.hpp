// The thin Asio coroutine that carries out a session's actions on a TCP (+TLS) connection:
// connect, TLS with certificate and host-name verification, reads and writes each under a
// deadline, and hands fetched messages to the engine.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <system_error>

#include "imap/session.hpp"
#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::imap {

/// Lets a stop request cut short the interruptible step in progress (IDLE or poll wait).
/// Used from the io_context's thread only.
class stopper {
 public:
  void request() {
    requested_ = true;
    if (cancel_current_) cancel_current_();
  }
  bool requested() const { return requested_; }
  void on_cancel(std::function<void()> cancel) { cancel_current_ = std::move(cancel); }

 private:
  bool requested_ = false;
  std::function<void()> cancel_current_;
};

struct connect_settings {
  std::string host;
  int port = 993;
  config::tls_mode tls = config::tls_mode::implicit;
  std::optional<std::filesystem::path> ca_file;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
};

/// How one connection ended.
struct connection_result {
  std::error_code error;  ///< empty: logged out cleanly
  std::string detail;     ///< the server's text or the TLS/socket error, for the log
};

using deliver_fn = std::function<delivery(const fetched_message&)>;
/// Makes the deliveries since the last commit durable; false when none of them was stored.
using commit_fn = std::function<bool()>;
using event_fn = std::function<void(const session_event&)>;

/// Runs `s` over a new connection until it logs out, fails or is stopped.
boost::asio::awaitable<connection_result> async_run_connection(const connect_settings& where,
                                                               session& s, deliver_fn deliver,
                                                               commit_fn commit, stopper& stop,
                                                               event_fn on_event = {});

}  // namespace tacmail::daemon::imap
