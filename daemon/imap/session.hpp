// One IMAP connection's protocol logic as a state machine without I/O (STYLE.md 2): each
// on_*() call takes what happened and returns the next action for the driver
// (imap/connection.cpp) to carry out. Tests drive it with scripted server bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "imap/response_parser.hpp"
#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::imap {

using namespace std::chrono_literals;

struct session_options {
  std::string username;
  std::string password;  ///< or, with auth xoauth2, the OAuth 2.0 access token
  /// `automatic` takes AUTHENTICATE PLAIN where offered, else LOGIN. The default here is
  /// LOGIN; the mailbox client passes the configured mode (default automatic).
  config::imap_auth auth = config::imap_auth::login;
  config::tls_mode tls = config::tls_mode::implicit;
  std::string folder = "INBOX";
  std::string processed_folder = "Processed";
  std::string quarantine_folder = "Quarantine";
  bool use_idle = true;
  bool once = false;  ///< drain what is there, then LOGOUT
  std::chrono::milliseconds poll_interval = 60s;
  std::chrono::milliseconds greeting_timeout = 30s;
  std::chrono::milliseconds command_timeout = 60s;
  std::chrono::milliseconds idle_renewal = 5min;  ///< well under RFC 2177's 29 minutes
  /// After a pass that kept mail back (a temporary store error), look again this soon rather
  /// than waiting for new mail or the next IDLE renewal.
  std::chrono::milliseconds retry_kept = 5s;
  std::size_t fetch_batch = 100;
  /// A batch also stops at this many bytes (RFC822.SIZE, asked for first), so the bodies held
  /// at once stay bounded whatever the mail sizes; a larger mail is fetched alone. 0: batches
  /// by count only, and no size pass.
  std::size_t fetch_batch_bytes = 16 * 1024 * 1024;
  response_parser::limits limits{};
};

/// A message fetched from the folder, handed to the intake engine.
struct fetched_message {
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
  std::string raw;
  std::uint64_t size = 0;  ///< RFC822.SIZE as the server reports it (0: not reported)
  /// Larger than the message-size limit: `raw` holds only its first bytes; the engine
  /// quarantines it instead of parsing.
  bool oversize = false;
};

/// Where a delivered message goes once the engine has dealt with it.
enum class disposition {
  processed,   ///< committed: move to processed_folder
  quarantine,  ///< cannot be processed: move to quarantine_folder
  keep,        ///< temporary failure: leave it in the folder for the next pass
};

/// The engine's answer for one delivered message.
struct delivery {
  disposition where = disposition::keep;
  /// Set when an earlier run recorded this very message (same folder, UIDVALIDITY and UID):
  /// its Message-ID. That run's move may have been cut short after the server had copied the
  /// message, so before moving it the session looks in the target folder for a message with
  /// this Message-ID and the same size; if one is there, the message is only removed from the
  /// folder, not copied a second time. Empty: moved as usual.
  std::string earlier_message_id;
};

struct action {
  enum class kind {
    write,      ///< send `bytes`, then call on_written()
    read,       ///< read some bytes within `timeout`, then on_received() or on_timeout()
    start_tls,  ///< TLS handshake on the open connection, then on_tls_established()
    deliver,    ///< hand `message` to the engine, then on_delivered()
    commit,     ///< make the batch's deliveries durable (one commit), then on_committed()
    wait,       ///< sleep `timeout` (poll interval), then on_wait_elapsed()
    done,       ///< logged out cleanly: close the connection
    fail,       ///< give up on this connection: `error`, with the server's text in `detail`
  };
  kind what = kind::read;
  std::string bytes;
  std::chrono::milliseconds timeout{0};
  /// A read/wait the driver may cut short for a stop request (idling or polling).
  bool interruptible = false;
  fetched_message message;
  std::error_code error;
  std::string detail;
};

/// Milestones the driver passes on to whoever watches the mailbox (health, logs).
struct session_event {
  enum class kind {
    selected,     ///< folder selected; `value` = UIDVALIDITY
    pass_started, ///< a search found `value` messages to process
    pass_done,    ///< the folder is drained; idling or waiting for the next poll
  };
  kind what;
  std::uint32_t value = 0;
};

class session {
 public:
  explicit session(session_options options);

  /// The connection is open (and, for implicit TLS, encrypted): await the greeting.
  action on_connected(bool tls_active);
  action on_written();
  action on_received(std::string_view bytes);
  /// The read deadline passed with no complete response.
  action on_timeout();
  action on_tls_established();
  action on_delivered(const delivery& d);
  /// `ok` false: nothing of the batch was stored; all of it stays in the folder for a retry.
  action on_committed(bool ok);
  action on_wait_elapsed();
  /// The connection closed (EOF): done after LOGOUT, a failure otherwise.
  action on_closed();
  /// Asks for a clean LOGOUT at the next safe point: the message in hand is finished and the
  /// batch's committed messages are moved; the rest of the batch stays for the next start.
  void stop_soon() { stopping_ = true; }
  /// The driver cut short an interruptible read or wait to stop: leave IDLE, then LOGOUT.
  action interrupt();

  /// Lines worth logging that are not failures (skipped empty bodies, missing UIDPLUS, ...).
  std::vector<std::string> take_notices();
  std::vector<session_event> take_events();

  std::uint32_t uidvalidity() const { return uidvalidity_; }
  const std::set<std::string>& capabilities() const { return capabilities_; }
  /// Messages delivered to the engine since the session started.
  std::size_t delivered() const { return delivered_; }

 private:
  // examine_target, look_for_copy, reselect: finding the copies an interrupted move left.
  enum class state {
    greeting, capability, starttls, login, authenticate, post_login_capability, create_processed,
    create_quarantine, select, search, sizing, fetch, delivering, committing, move, copy,
    flag_deleted, expunge, examine_target, look_for_copy, reselect, idle_start, idling, idle_done,
    waiting, logout, finished
  };

  /// A message an earlier run recorded: is a copy of it already in its target folder?
  struct copy_check {
    std::uint32_t uid = 0;
    std::string message_id;
    std::uint64_t size = 0;
    disposition where = disposition::processed;
  };

  action send(state next, const std::string& command_text);
  action leave_idle();
  action read_reply();
  action fail(std::error_code ec, std::string detail);
  std::optional<action> handle(response& r);
  std::optional<action> on_tagged(const response& r);
  /// Takes a FETCH's body out of `r` (by move) into fetched_.
  void on_untagged(response& r);
  void note_capabilities(const std::vector<value>& atoms);

  action after_greeting();
  action after_capabilities();
  action login();
  action authenticate(const std::string& mechanism, const std::string& initial_response);
  action start_search();
  action next_batch();
  /// The bytes a batch holds for `uid` (0 when the size pass did not report it).
  std::uint64_t size_of(std::uint32_t uid) const;
  action deliver_next();
  action next_move();
  /// The folder a processed or quarantined message moves to.
  const std::string& target_of(disposition where) const;
  /// EXAMINE the target of the next copy check (or SELECT the folder again when none is left).
  action next_copy_check();
  action look_for_copy();
  /// The copy check's answer: `found` removes the message from the folder, else it moves.
  void copy_checked(bool found);
  action finish_pass();
  action logout();

  session_options options_;
  response_parser parser_;
  state state_ = state::greeting;
  bool tls_active_ = false;
  bool stopping_ = false;
  unsigned tag_counter_ = 0;
  std::string pending_tag_;
  std::set<std::string> capabilities_;
  std::uint32_t uidvalidity_ = 0;
  bool new_mail_ = false;  ///< EXISTS seen since the last search
  bool kept_ = false;      ///< this pass left mail in the folder for a retry

  bool authenticated_ = false;
  std::string sasl_response_;  ///< sent on '+' when the server lacks SASL-IR
  bool sasl_sent_ = false;
  std::string bye_text_;
  std::vector<std::uint32_t> search_result_;
  std::vector<std::uint32_t> to_fetch_;  ///< UIDs found by the last search, ascending
  std::size_t fetch_pos_ = 0;
  std::map<std::uint32_t, std::uint64_t> sizes_;  ///< RFC822.SIZE by UID, from the size pass
  std::deque<fetched_message> fetched_;
  std::vector<std::uint32_t> batch_uids_;
  std::vector<std::uint32_t> to_processed_;
  std::vector<std::uint32_t> to_quarantine_;
  std::vector<std::uint32_t> moving_;  ///< UIDs of the move in progress
  std::string move_target_;
  std::uint32_t delivering_uid_ = 0;
  std::uint64_t delivering_size_ = 0;
  std::vector<copy_check> copy_checks_;  ///< of the batch; run after its commit, before moves
  std::size_t copy_check_pos_ = 0;
  std::string examined_;                      ///< the target folder the checks have open
  std::uint32_t folder_uidvalidity_ = 0;      ///< the folder's, while a target is examined
  std::vector<std::uint32_t> copied_before_;  ///< found in their target: STORE + EXPUNGE only
  bool batch_delivered_ = false;  ///< a delivery since the last commit
  std::size_t delivered_ = 0;
  std::vector<std::string> notices_;
  std::vector<session_event> events_;
};

}  // namespace tacmail::daemon::imap
