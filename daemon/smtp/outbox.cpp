// Outbox drain and retry schedule.
#include "smtp/outbox.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <random>

#include "tacmail/routing/time_format.hpp"

namespace tacmail::daemon::smtp {

namespace {

std::chrono::seconds backoff(int attempts, const retry_policy& policy) {
  auto delay = policy.first_retry;
  for (int i = 1; i < attempts && delay < policy.max_delay; ++i) delay *= 2;
  delay = std::min(delay, policy.max_delay);
  static thread_local std::mt19937 rng{std::random_device{}()};
  // Up to 20% jitter so replies queued together do not retry in lock step.
  std::uniform_int_distribution<long> jitter(0, delay.count() / 5);
  return delay + std::chrono::seconds(jitter(rng));
}

}  // namespace

retry_policy retry_policy_of(const config::smtp_settings& smtp) {
  retry_policy policy;
  policy.give_up_after = smtp.give_up_after;
  return policy;
}

drain_result drain_outbox(store::case_store& store, smtp_sender& sender,
                          store::clock::time_point now, const retry_policy& policy,
                          ops::event_sink* events, sent_journal* journal) {
  constexpr std::size_t round_size = 50;
  std::unique_ptr<sent_journal> no_journal;
  if (!journal) {
    no_journal = sent_journal::in_memory();
    journal = no_journal.get();
  }
  drain_result result;
  auto report = [events](const char* event, const store::outbox_entry& reply,
                         const std::string& detail) {
    if (!events) return;
    ops::case_event e;
    e.event = event;
    e.case_number = reply.case_number;
    e.sender = reply.recipient;
    e.message_id = reply.message_id;
    if (!detail.empty()) e.reasons.push_back(detail);
    events->record(e);
  };
  // Marks every journaled reply sent in one transaction, then empties the journal. False when
  // the store refused: the replies stay journaled (and unsent) for the next try.
  auto mark_journaled = [&] {
    if (journal->unmarked().empty()) return true;
    std::error_code ec;
    store.mark_replies_sent(journal->unmarked(), now, ec);
    if (ec) {
      spdlog::error("outbox: cannot record the delivery of {} replies: {}",
                    journal->unmarked().size(), ec.message());
      result.store_error = true;
      return false;
    }
    journal->clear(ec);
    if (ec)  // harmless: they are marked again next time, which changes nothing
      spdlog::warn("outbox: cannot empty the sent journal {}: {}", journal->path().string(),
                   ec.message());
    return true;
  };

  std::error_code ec;
  for (;;) {
    // The journal's replies (a restart's, the last round's): marked first. If the store
    // refuses, go on only while the journal keeps them on file; a reply known to this process
    // alone must not be joined by more.
    if (!mark_journaled() && !journal->writes_file()) return result;
    auto due = store.due_replies(now, round_size + journal->unmarked().size(), ec);
    if (ec) {
      spdlog::error("outbox: cannot read pending replies: {}", ec.message());
      result.store_error = true;
      return result;
    }
    std::erase_if(due, [&](const auto& reply) { return journal->holds(reply.id); });
    if (due.size() > round_size) due.resize(round_size);
    if (due.empty()) return result;
    for (const auto& reply : due) {
      if (journal->in_doubt(reply.id)) {
        spdlog::warn(
            "reply to {} for case {} <{}> is sent again, though the SMTP server may "
            "have it already: tacmaild stopped while the server was answering it",
            reply.recipient, reply.case_number, reply.message_id);
      }
      journal->attempt(reply.id);
      const send_result r = sender.send(reply.envelope_from, reply.recipient, reply.content);
      if (r.unsure) {
        spdlog::warn(
            "reply to {} for case {} <{}>: no answer after the whole message went out; "
            "the server may have it, and it will be sent again",
            reply.recipient, reply.case_number, reply.message_id);
      } else if (r.what != send_result::kind::sent) {
        journal->refused(reply.id);
      }
      if (r.what == send_result::kind::sent) {
        const bool on_file = journal->record(reply.id, ec);
        if (ec)
          spdlog::error("outbox: cannot write the sent journal {}: {}; until restart each reply "
                        "is marked sent in the store as it goes (a kill before that mark sends "
                        "it again)",
                        journal->path().string(), ec.message());
        ++result.sent;
        report("reply_sent", reply, "");
        spdlog::info("reply sent: case {} to {} <{}>", reply.case_number, reply.recipient,
                     reply.message_id);
        if (!on_file && !mark_journaled()) return result;
        continue;
      }
      const auto created = routing::from_rfc3339(reply.created).value_or(now);
      const bool give_up =
          r.what == send_result::kind::permanent || now - created >= policy.give_up_after;
      std::optional<store::clock::time_point> retry_at;
      if (!give_up) retry_at = now + backoff(reply.attempts + 1, policy);
      store.mark_reply_failed(reply.id, r.detail, retry_at, ec);
      if (give_up) {
        ++result.failed;
        report("reply_failed", reply, r.detail);
        spdlog::error("reply failed permanently: case {} to {}: {}", reply.case_number,
                      reply.recipient, r.detail);
      } else {
        ++result.deferred;
        report("reply_deferred", reply, r.detail);
        spdlog::warn("reply deferred: case {} to {}: {}; retry at {}", reply.case_number,
                     reply.recipient, r.detail, routing::to_rfc3339(*retry_at));
      }
      if (ec) {
        spdlog::error("outbox: cannot record the delivery of case {}: {}", reply.case_number,
                      ec.message());
        result.store_error = true;
        return result;  // what the journal holds is marked by the next drain
      }
      if (!give_up) {
        mark_journaled();
        return result;  // the server is likely down: the rest waits for the next drain
      }
    }
  }
}

}  // namespace tacmail::daemon::smtp
