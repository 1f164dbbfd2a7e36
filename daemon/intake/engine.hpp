// The intake engine: one fetched mail in, one committed outcome out. It parses, recognises
// mail it has seen, asks routing for a decision and stores case + cursor + reply in one
// transaction. It knows the store and nothing of IMAP or SMTP.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ops/events.hpp"
#include "store/case_store.hpp"
#include "tacmail/parser/parser.hpp"
#include "tacmail/routing/decision.hpp"
#include "tacmail/routing/reply.hpp"
#include "tacmail/routing/reply_policy.hpp"

namespace tacmail::daemon::intake {

using clock = routing::clock;

struct outcome {
  enum class kind {
    opened,        ///< a new case
    attached,      ///< added to the case it names
    duplicate,     ///< same Message-ID as a mail already cased
    skipped,       ///< auto-reply, bounce or list mail: recorded, no case, no reply
    already_done,  ///< this mailbox/UIDVALIDITY/UID was committed before (a move was lost)
    quarantined,   ///< cannot be processed
    retry,         ///< a temporary store failure: leave the mail for the next pass
  };
  kind what = kind::retry;
  std::string case_number;
  std::string reason;
  /// Mail an earlier run recorded (already_done, or quarantined then): the Message-ID it was
  /// recorded with, so the IMAP side can find a copy that run's cut-short move left behind.
  std::string earlier_message_id;
};

const char* to_string(outcome::kind k);

struct engine_settings {
  std::string from_header;    ///< the reply's From: "Technical Support <tac@example.com>"
  std::string envelope_from;  ///< empty: the null reverse-path <> (RFC 3834 §3.3)
  parser::parse_options parsing{};  ///< limits and the operator's extra labels
  int max_replies_per_hour = 10;           ///< per recipient; 0: unlimited
  std::optional<std::string> authserv_id;  ///< DMARC backscatter guard; empty: off
  bool reply_on_follow_up = false;
};

class engine {
 public:
  engine(store::case_store& store, routing::routing_rules rules, engine_settings settings,
         std::function<void()> on_reply_queued = {}, ops::event_sink* events = nullptr);

  /// New catalogs, policy and labels (SIGHUP); take effect from the next mail.
  void replace_rules(routing::routing_rules rules, parser::parse_options parsing) {
    rules_ = std::move(rules);
    settings_.parsing = std::move(parsing);
  }

  /// Group commit for one fetched batch: the mails processed until commit_batch() are stored
  /// in one transaction with one sync (a second begin_batch() before the commit does nothing).
  /// Their log lines, case events and reply wake-ups wait for the commit. Outside a batch each
  /// mail commits on its own.
  void begin_batch();
  /// true: every outcome since begin_batch() is durable. false: none of them happened (their
  /// log lines and events are dropped); the caller leaves the whole batch in the folder.
  bool commit_batch();

  outcome process(const store::message_origin& origin, std::string_view raw, clock::time_point now);

  /// Records `origin` as quarantined for `reason` without parsing it (a mail over the size
  /// limit); the caller moves it to the quarantine folder.
  outcome quarantine(const store::message_origin& origin, const std::string& reason,
                     clock::time_point now);

  /// Called at SELECT: warns when the folder's UIDVALIDITY differs from the stored cursor's
  /// (folder recreated or restored). Nothing else is needed: mail is recognised again by
  /// Message-ID, and no UID from before the change is ever used.
  void check_uidvalidity(const std::string& mailbox, std::uint32_t uidvalidity);

 private:
  outcome follow_up(const std::string& case_number, const parser::parsed_message& m,
                    const store::message_origin& origin, clock::time_point now);
  /// `related`: the case an unverified or late follow-up named, with why it opens a new one.
  outcome open_case(const parser::parsed_message& m, const store::message_origin& origin,
                    clock::time_point now, const std::string& fingerprint,
                    const std::optional<std::pair<std::string, routing::follow_up_decision>>&
                        related = std::nullopt);
  outcome record(const std::string& case_number, const parser::parsed_message& m,
                 const store::message_origin& origin, const std::string& role,
                 const std::string& note, outcome::kind what, clock::time_point now);
  outcome store_failure(std::error_code ec, const std::string& doing);
  /// Starts the clock on a mail; a retry outcome when its batch could not begin.
  std::optional<outcome> start_mail();
  /// Records `origin` (parsed as `m`, or not parsed) as quarantined for `reason`.
  outcome quarantined(const store::message_origin& origin, const parser::parsed_message& m,
                      const std::string& reason, clock::time_point now);
  /// Whether to answer `m`; `ec` set when the store cannot count the sender's recent replies.
  routing::reply_verdict judge_reply(const parser::parsed_message& m, clock::time_point now,
                                     std::error_code& ec);
  /// The outbox row for `content`: suppressed (recorded, never sent) when the verdict says so.
  store::queued_reply queued(routing::reply_content content, const std::string& id_prefix,
                             const routing::reply_verdict& verdict, clock::time_point now);
  /// Wakes the sender for a queued reply, or logs and reports a suppressed one.
  void announce(const routing::reply_verdict& verdict, const std::string& case_number,
                const parser::parsed_message& m);
  /// Runs `effect` now, or at the batch's commit (dropped if the batch is undone).
  void after_commit(std::function<void()> effect);
  /// One human log line and one case event per outcome.
  void log(const store::message_origin& origin, const parser::parsed_message& m,
           const outcome& o, const routing::decision* d);

  store::case_store& store_;
  routing::routing_rules rules_;
  engine_settings settings_;
  routing::reply_limits reply_limits_;
  std::function<void()> on_reply_queued_;
  ops::event_sink* events_;
  std::chrono::steady_clock::time_point started_;  ///< when the mail in hand was handed over
  bool batching_ = false;
  std::error_code batch_error_;  ///< the batch could not begin: its mails wait for the next pass
  std::size_t batch_mails_ = 0;
  std::vector<std::function<void()>> after_commit_;
};

}  // namespace tacmail::daemon::intake
