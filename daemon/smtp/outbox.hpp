// Draining the transactional outbox: sends every due reply, records it in the sent journal on
// the server's final 250, marks it sent in the store (in groups), and schedules retries with
// exponential backoff and jitter.
#pragma once

#include <chrono>
#include <cstddef>

#include "ops/events.hpp"
#include "smtp/sent_journal.hpp"
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

/// Sends what is due now. First marks sent whatever `journal` holds (a restart's replay, or
/// marks that failed before); replies it holds are never sent again. Each reply the server
/// accepts is journaled at once and marked sent with the others of its round (up to 50) in
/// one transaction; when the journal cannot keep it on file, it is marked right away, and a
/// failure to do so stops the drain. Temporary failures stop the drain (the server is likely
/// down) after rescheduling the reply in hand. No journal: each reply is marked as it goes.
drain_result drain_outbox(store::case_store& store, smtp_sender& sender,
                          store::clock::time_point now, const retry_policy& policy = {},
                          ops::event_sink* events = nullptr, sent_journal* journal = nullptr);

}  // namespace tacmail::daemon::smtp
