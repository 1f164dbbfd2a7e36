// One mailbox's life: connect, run a session, and on failure reconnect with capped exponential
// backoff and jitter. Hands every fetched mail to the intake engine.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "imap/connection.hpp"
#include "intake/engine.hpp"
#include "ops/health.hpp"
#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::imap {

/// Runs until stopped (or, with `once`, until one full pass). Returns false when a --once run
/// could not complete its pass.
boost::asio::awaitable<bool> async_run_mailbox(const config::mailbox_settings& mailbox,
                                               intake::engine& engine, stopper& stop, bool once,
                                               ops::health_registry& health,
                                               std::size_t max_message_size);

}  // namespace tacmail::daemon::imap
