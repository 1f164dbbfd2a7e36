// One mailbox's life: connect, run a session, and on failure reconnect with capped exponential
// backoff and jitter. Hands every fetched mail to the intake engine.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "imap/connection.hpp"
#include "intake/engine.hpp"
#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::imap {

struct reconnect_policy {
  std::chrono::milliseconds first_delay{std::chrono::seconds(1)};
  std::chrono::milliseconds max_delay{std::chrono::minutes(5)};
  int once_attempts = 3;  ///< `run --once` gives up on a mailbox after this many failures
};

/// Runs until stopped (or, with `once`, until one full pass). Returns false when a --once run
/// could not complete its pass.
boost::asio::awaitable<bool> async_run_mailbox(const config::mailbox_settings& mailbox,
                                               intake::engine& engine, stopper& stop, bool once,
                                               reconnect_policy policy = {});

}  // namespace tacmail::daemon::imap
