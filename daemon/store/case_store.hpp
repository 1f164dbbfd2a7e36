// The narrow interface between the intake engine and wherever cases are kept (STYLE.md 9).
// SQLite implements it today (sqlite_store.hpp); tests may plug in their own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "tacmail/parser/message.hpp"
#include "tacmail/routing/decision.hpp"

namespace tacmail::daemon::store {

using clock = routing::clock;

/// Where a message came from: the key that recognises it again after a crash or a failed move.
struct message_origin {
  std::string mailbox;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
};

/// A case as `cases list` shows it (CONTRACT.md): the request's fields plus the decision.
struct case_record : parser::request_fields {
  std::string case_number;
  std::string status;
  std::string queue;
  std::string technology;
  std::string sub_technology;
  std::string sender;
  std::string subject;
  std::string created;       ///< RFC 3339
  std::string response_due;  ///< RFC 3339
  std::optional<bool> entitled;
  std::vector<std::string> flags;
  std::vector<std::string> missing;
  std::vector<std::string> reasons;
  std::vector<std::string> message_ids;
  std::string updated;  ///< RFC 3339: when the status last changed
  std::optional<std::string> related_case;
};

/// One mail recorded against a case (or skipped, with case_number empty).
struct stored_message {
  std::optional<std::string> message_id;
  std::string mailbox;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
  std::string sender;
  std::string subject;
  std::string received;  ///< RFC 3339
  std::string role;      ///< "opened", "follow_up", "duplicate", "skipped"
  std::string note;      ///< why, for skipped and duplicate
};

/// A reply in the transactional outbox.
struct outbox_entry {
  std::int64_t id = 0;
  std::string case_number;
  std::string message_id;  ///< fixed when queued, so a resend is recognisably the same mail
  std::string recipient;
  std::string envelope_from;  ///< empty: the null reverse-path <>
  std::string content;        ///< the whole RFC 5322 message, CRLF line ends
  std::string status;         ///< "pending", "sent", "failed"
  int attempts = 0;
  std::string created;
  std::string next_attempt;
  std::string last_error;
  std::string sent_at;
};

struct case_details {
  case_record record;
  std::vector<stored_message> messages;
  std::vector<outbox_entry> replies;
};

/// What the store already knows of a message origin.
struct origin_state {
  enum class kind { unknown, recorded, quarantined };
  kind state = kind::unknown;
  std::string case_number;  ///< recorded against a case (may be empty for skipped mail)
  std::string reason;       ///< quarantined: why
  std::string message_id;   ///< the Message-ID it was recorded with (empty: none)
};

/// A reply to queue in the same transaction as the case that causes it.
struct queued_reply {
  std::string message_id;
  std::string recipient;
  std::string envelope_from;
  std::string content;
  std::string suppressed;  ///< non-empty: recorded as suppressed for this reason, never sent
};

/// Everything needed to store a new case.
struct new_case {
  const parser::parsed_message& request;
  const routing::decision& decision;
  message_origin origin;
  clock::time_point received;
  std::string fingerprint;  ///< sender+subject+body digest, for the duplicate window
};

/// A follow-up to record as a note on its case.
struct case_note {
  const parser::parsed_message& request;
  message_origin origin;
  clock::time_point received;
  std::string new_status;                      ///< empty: unchanged
  std::vector<std::string> filled;             ///< missing fields the note supplies (JSON keys)
  std::vector<std::string> still_missing;      ///< the case's missing fields after the note
  std::vector<std::string> reasons;            ///< appended to the case's reasons
  /// Routing judged again on the completed fields: its queue, entitlement and flags replace
  /// the case's (status stays new_status, response time stays).
  std::optional<routing::decision> redecision;
  std::optional<queued_reply> reply;  ///< the acknowledgement, when the operator wants one
};

/// A mailbox's state as the running daemon last reported it (for `tacmaild status`).
struct mailbox_status {
  std::string mailbox;
  bool connected = false;
  std::string last_fetch;  ///< RFC 3339, empty when never
  std::string last_error;
  std::size_t backlog = 0;
  std::string updated;  ///< RFC 3339: when the daemon wrote this
};

/// A mail moved to the quarantine folder, and why.
struct quarantine_entry {
  std::string mailbox;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
  std::optional<std::string> message_id;
  std::string reason;
  std::string created;
};

/// A mailbox's position: the UIDVALIDITY and highest UID committed under it.
struct mailbox_cursor {
  std::uint32_t uidvalidity = 0;
  std::uint32_t last_uid = 0;
};

class case_store {
 public:
  virtual ~case_store() = default;

  /// Group commit. From begin_batch() to commit_batch() the writes below share one
  /// transaction, made durable by commit_batch() with one sync; each write is still all or
  /// nothing on its own. An error that ends the transaction undoes the whole batch: later
  /// writes fail with error::batch_aborted, and so does commit_batch(). Reads see the batch's
  /// own writes. Outside a batch every write is its own durable transaction.
  virtual void begin_batch(std::error_code& ec) = 0;
  virtual void commit_batch(std::error_code& ec) = 0;

  virtual std::optional<mailbox_cursor> find_cursor(const std::string& mailbox,
                                                       std::error_code& ec) = 0;

  virtual origin_state find_origin(const message_origin& origin, std::error_code& ec) = 0;
  virtual std::optional<std::string> case_for_message_id(const std::string& message_id,
                                                         std::error_code& ec) = 0;
  /// Whether a case with that number exists.
  virtual bool case_exists(const std::string& case_number, std::error_code& ec) = 0;

  /// Allocates the case number and, in one durable transaction, stores the case, its message,
  /// the mailbox's UID cursor and the reply `make_reply` composes for that number.
  virtual std::string open_case(const new_case& c,
                                const std::function<queued_reply(const std::string&)>& make_reply,
                                std::error_code& ec) = 0;

  /// What routing needs to judge a follow-up to `case_number`; nullopt when unknown.
  virtual std::optional<routing::case_view> case_view(const std::string& case_number,
                                                      std::error_code& ec) = 0;

  /// The case opened since `since` by a mail with this fingerprint, if any.
  virtual std::optional<std::string> case_for_fingerprint(const std::string& fingerprint,
                                                          clock::time_point since,
                                                          std::error_code& ec) = 0;

  /// In one transaction: the note's message, the fields it supplies merged into the case
  /// (and struck from its missing list), the new status, the reasons, and the cursor.
  virtual void add_note(const std::string& case_number, const case_note& note,
                        std::error_code& ec) = 0;

  /// Records a mail against an existing case (follow-up, duplicate) or against none (skipped:
  /// auto-replies, bounces, list mail), with the cursor, in one transaction.
  virtual void record_message(const std::string& case_number, const parser::parsed_message& m,
                              const message_origin& origin, const std::string& role,
                              const std::string& note, clock::time_point received,
                              std::error_code& ec) = 0;

  virtual void record_quarantine(const message_origin& origin,
                                 const std::optional<std::string>& message_id,
                                 const std::string& reason, clock::time_point at,
                                 std::error_code& ec) = 0;

  virtual std::vector<case_record> list_cases(std::error_code& ec) = 0;
  virtual std::size_t cases_since(clock::time_point since, std::error_code& ec) = 0;
  /// Every outbox entry, newest first, without its content.
  virtual std::vector<outbox_entry> list_outbox(std::error_code& ec) = 0;
  virtual std::vector<quarantine_entry> list_quarantine(std::error_code& ec) = 0;
  virtual void save_status(const std::vector<mailbox_status>& status, std::error_code& ec) = 0;
  virtual std::vector<mailbox_status> load_status(std::error_code& ec) = 0;
  virtual std::optional<case_details> find_case(const std::string& case_number,
                                                std::error_code& ec) = 0;

  /// Pending replies whose next attempt is due, oldest first.
  virtual std::vector<outbox_entry> due_replies(clock::time_point now, std::size_t limit,
                                                std::error_code& ec) = 0;
  virtual std::size_t pending_replies(std::error_code& ec) = 0;
  /// Replies queued to `recipient` since `since`, suppressed ones not counted (rate limit).
  virtual std::size_t replies_to_since(const std::string& recipient, clock::time_point since,
                                       std::error_code& ec) = 0;
  /// Marks every reply in `ids` sent at `at`, in one transaction.
  virtual void mark_replies_sent(const std::vector<std::int64_t>& ids, clock::time_point at,
                                 std::error_code& ec) = 0;
  /// retry_at empty: permanent failure.
  virtual void mark_reply_failed(std::int64_t id, const std::string& error,
                                 std::optional<clock::time_point> retry_at,
                                 std::error_code& ec) = 0;
};

}  // namespace tacmail::daemon::store
