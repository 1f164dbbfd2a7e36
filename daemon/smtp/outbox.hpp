// Draining the transactional outbox: sends every due reply, marks it sent only after the
// server's final 250, and schedules retries with exponential backoff and jitter.
#pragma once

#include <chrono>
#include <cstddef>

#include "ops/events.hpp"
#include "smtp/smtp_sender.hpp"
#include "store/case_store.hpp"
#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::smtp {

struct retry_policy {
  std::chrono::seconds first_retry{30};
  std::chrono::seconds max_delay{30 * 60};
  std::chrono::milliseconds give_up_after{std::chrono::hours(5 * 24)};  ///< RFC 5321 §4.5.4.1
};

/// The schedule an operator configured (smtp.give_up_after).
retry_policy retry_policy_of(const config::smtp_settings& smtp);

struct drain_result {
  std::size_t sent = 0;
  std::size_t deferred = 0;
  std::size_t failed = 0;
  bool store_error = false;
};

/// Sends what is due now. Temporary failures stop the drain (the server is likely down) after
/// rescheduling the reply in hand.
drain_result drain_outbox(store::case_store& store, smtp_sender& sender,
                          store::clock::time_point now, const retry_policy& policy = {},
                          ops::event_sink* events = nullptr);

}  // namespace tacmail::daemon::smtp
