// The IMAP session state machine: greeting, STARTTLS, LOGIN, folder setup, SELECT, then passes
// of UID SEARCH / UID FETCH (peek) / deliver / UID MOVE, between passes IDLE or a poll wait.
// Mail an earlier run recorded is first looked for in its target folder: a MOVE cut short may
// have copied it there already, and then it is only removed from the folder.
// Messages leave the folder only after the engine has committed them (disposition processed).
#include "imap/session.hpp"

#include <algorithm>
#include <utility>

#include "base64.hpp"
#include "imap/command.hpp"
#include "imap/error.hpp"

namespace tacmail::daemon::imap {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// Every write has a deadline: the caller names it.
action write_action(std::string bytes, std::chrono::milliseconds deadline) {
  action a;
  a.what = action::kind::write;
  a.bytes = std::move(bytes);
  a.timeout = deadline;
  return a;
}

action simple_action(action::kind k) {
  action a;
  a.what = k;
  return a;
}

// A Message-ID that goes into a SEARCH as a quoted string: printable ASCII only (IMAP4rev1
// quoted strings are 7-bit; anything else would need a literal and a CHARSET).
bool searchable(std::string_view message_id) {
  return std::all_of(message_id.begin(), message_id.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7E; });
}

}  // namespace

session::session(session_options options)
    : options_(std::move(options)), parser_(options_.limits) {}

action session::on_connected(bool tls_active) {
  tls_active_ = tls_active;
  state_ = state::greeting;
  return read_reply();
}

action session::on_written() {
  // A reply may already be buffered (pipelined by the server); handle it before reading.
  return on_received({});
}

action session::on_received(std::string_view bytes) {
  parser_.feed(bytes);
  for (;;) {
    response r;
    std::error_code ec;
    switch (parser_.next(r, ec)) {
      case response_parser::status::need_more: return read_reply();
      case response_parser::status::error: return fail(ec, "unparseable server response");
      case response_parser::status::ok: break;
    }
    if (auto next = handle(r)) return std::move(*next);  // a deliver action carries the mail: no copy
  }
}

action session::on_timeout() {
  // The server's answer to LOGOUT is a courtesy: everything was committed before it.
  if (state_ == state::logout) {
    state_ = state::finished;
    return simple_action(action::kind::done);
  }
  if (state_ == state::idling) {
    // IDLE renewal: leave IDLE and search, which also proves the connection is alive.
    state_ = state::idle_done;
    return leave_idle();
  }
  return fail(state_ == state::greeting ? error::greeting_timeout : error::command_timeout,
              "no answer from the server");
}

action session::on_closed() {
  if (state_ == state::logout || state_ == state::finished) {
    state_ = state::finished;
    return simple_action(action::kind::done);
  }
  return fail(error::connection_closed, bye_text_.empty() ? "connection closed" : bye_text_);
}

action session::on_tls_established() {
  tls_active_ = true;
  // Anything the server sent before the handshake is untrusted (STARTTLS injection).
  parser_.reset();
  capabilities_.clear();
  return send(state::capability, "CAPABILITY");
}

action session::on_delivered(const delivery& d) {
  ++delivered_;
  if (d.where == disposition::keep) {
    kept_ = true;
  } else if (!d.earlier_message_id.empty() && delivering_size_ > 0 &&
             searchable(d.earlier_message_id)) {
    copy_checks_.push_back({delivering_uid_, d.earlier_message_id, delivering_size_, d.where});
  } else {
    (d.where == disposition::processed ? to_processed_ : to_quarantine_).push_back(delivering_uid_);
  }
  return deliver_next();
}

action session::on_committed(bool ok) {
  batch_delivered_ = false;
  if (!ok) {
    // Nothing was stored: moving any of it would lose it.
    to_processed_.clear();
    to_quarantine_.clear();
    copy_checks_.clear();
    kept_ = true;
    notices_.push_back("the batch was not stored; its mail stays in " + options_.folder +
                       " for the next pass");
  }
  return next_move();
}

action session::on_wait_elapsed() {
  if (stopping_) return logout();
  return start_search();
}

action session::interrupt() {
  stopping_ = true;
  if (state_ == state::idling) {
    state_ = state::idle_done;
    return leave_idle();
  }
  if (state_ == state::waiting) return logout();
  return read_reply();
}

std::vector<std::string> session::take_notices() { return std::exchange(notices_, {}); }

std::vector<session_event> session::take_events() { return std::exchange(events_, {}); }

// DONE ends IDLE; the tagged OK for the IDLE command follows.
action session::leave_idle() {
  return write_action("DONE\r\n", options_.command_timeout);
}

action session::send(state next, const std::string& command_text) {
  pending_tag_ = "T" + std::to_string(++tag_counter_);
  state_ = next;
  return write_action(pending_tag_ + " " + command_text + "\r\n", options_.command_timeout);
}

action session::read_reply() {
  action a = simple_action(action::kind::read);
  switch (state_) {
    case state::greeting: a.timeout = options_.greeting_timeout; break;
    case state::idling:
      a.timeout = options_.idle_renewal;
      a.interruptible = true;
      break;
    default: a.timeout = options_.command_timeout; break;
  }
  return a;
}

action session::fail(std::error_code ec, std::string detail) {
  state_ = state::finished;
  action a = simple_action(action::kind::fail);
  a.error = ec;
  a.detail = std::move(detail);
  return a;
}

std::optional<action> session::handle(response& r) {
  if (r.type == response::kind::continuation) {
    if (state_ == state::authenticate) {
      // First '+': our initial response (no SASL-IR). A later '+' carries the server's
      // error details (XOAUTH2): answer empty, the tagged NO follows.
      const std::string line = sasl_sent_ ? std::string() : sasl_response_;
      sasl_sent_ = true;
      return write_action(line + "\r\n", options_.command_timeout);
    }
    if (state_ != state::idle_start) return fail(error::malformed_response, "unexpected '+'");
    state_ = state::idling;
    return read_reply();
  }
  if (r.type == response::kind::tagged) {
    if (r.tag != pending_tag_) return fail(error::malformed_response, "unexpected tag " + r.tag);
    if (r.code == "CAPABILITY") note_capabilities(r.code_args);
    return on_tagged(r);
  }

  on_untagged(r);
  if (state_ == state::greeting) {
    if (r.name == "OK") return after_greeting();
    if (r.name == "PREAUTH") {
      if (!tls_active_ && options_.tls != config::tls_mode::none)
        return fail(error::cleartext_refused, "cleartext PREAUTH greeting while TLS is required");
      authenticated_ = true;
      return after_greeting();
    }
    return fail(error::connection_closed, "server refused the connection: " + r.text);
  }
  if (state_ == state::idling && (r.name == "EXISTS" || r.name == "RECENT")) {
    state_ = state::idle_done;
    return leave_idle();
  }
  return std::nullopt;
}

void session::on_untagged(response& r) {
  if (r.name == "CAPABILITY") {
    note_capabilities(r.data);
  } else if (r.is_status()) {
    if (r.code == "CAPABILITY") note_capabilities(r.code_args);
    if (r.code == "UIDVALIDITY" && !r.code_args.empty() &&
        r.code_args.front().type == value::kind::number &&
        r.code_args.front().number <= UINT32_MAX)
      uidvalidity_ = static_cast<std::uint32_t>(r.code_args.front().number);
    if (r.name == "BYE") bye_text_ = r.text;
    if (r.code == "ALERT") notices_.push_back("server alert: " + r.text);
  } else if (r.name == "EXISTS") {
    new_mail_ = true;
  } else if (r.name == "SEARCH") {
    for (const auto& v : r.data)
      if (v.type == value::kind::number && v.number >= 1 && v.number <= UINT32_MAX)
        search_result_.push_back(static_cast<std::uint32_t>(v.number));
  } else if (r.name == "FETCH" && (state_ == state::fetch || state_ == state::sizing) &&
             !r.data.empty() && r.data.front().type == value::kind::list) {
    auto& items = r.data.front().items;
    std::optional<std::uint32_t> uid;
    std::uint64_t size = 0;
    value* body = nullptr;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
      const std::string key = upper(items[i].text);
      if (key == "RFC822.SIZE" && items[i + 1].type == value::kind::number)
        size = items[i + 1].number;
      // A UID outside 1..2^32-1 is no UID: truncated, it would name another message.
      if (key == "UID" && items[i + 1].type == value::kind::number &&
          items[i + 1].number >= 1 && items[i + 1].number <= UINT32_MAX)
        uid = static_cast<std::uint32_t>(items[i + 1].number);
      if (key == "BODY[]" || key == "BODY[]<0>") body = &items[i + 1];
    }
    if (state_ == state::sizing) {
      if (uid) sizes_[*uid] = size;
      return;
    }
    // Unsolicited FETCH (flag changes) carries no body: not a message to deliver.
    if (uid && body && !stopping_) {
      fetched_message m{uidvalidity_, *uid,
                        body->type == value::kind::string ? std::move(body->text) : std::string(),
                        size, false};
      // The partial fetch stops at the limit: a body that long, or a larger reported size,
      // is a message over the limit.
      m.oversize = size > options_.limits.max_literal || m.raw.size() >= options_.limits.max_literal;
      fetched_.push_back(std::move(m));
    }
  }
}

void session::note_capabilities(const std::vector<value>& atoms) {
  capabilities_.clear();
  for (const auto& v : atoms)
    if (v.type == value::kind::atom) capabilities_.insert(upper(v.text));
}

std::optional<action> session::on_tagged(const response& r) {
  const bool ok = r.name == "OK";
  switch (state_) {
    case state::capability:
      if (!ok) return fail(error::command_failed, "CAPABILITY: " + r.text);
      return after_capabilities();
    case state::starttls:
      if (!ok) return fail(error::starttls_unavailable, "STARTTLS: " + r.text);
      return simple_action(action::kind::start_tls);
    case state::login:
    case state::authenticate:
      if (!ok) return fail(error::authentication_failed, r.text);
      authenticated_ = true;
      if (r.code == "CAPABILITY") return send(state::create_processed,
                                              "CREATE " + quoted_mailbox(options_.processed_folder));
      return send(state::post_login_capability, "CAPABILITY");
    case state::post_login_capability:
      if (!ok) return fail(error::command_failed, "CAPABILITY: " + r.text);
      return send(state::create_processed, "CREATE " + quoted_mailbox(options_.processed_folder));
    case state::create_processed:
    case state::create_quarantine:
      // NO [ALREADYEXISTS] is the normal answer after the first run.
      if (!ok && r.code != "ALREADYEXISTS")
        notices_.push_back("CREATE: " + r.text + " (assuming the folder exists)");
      if (state_ == state::create_processed)
        return send(state::create_quarantine, "CREATE " + quoted_mailbox(options_.quarantine_folder));
      uidvalidity_ = 0;
      return send(state::select, "SELECT " + quoted_mailbox(options_.folder));
    case state::select:
      if (!ok) return fail(error::command_failed, "SELECT " + options_.folder + ": " + r.text);
      if (uidvalidity_ == 0) return fail(error::no_uidvalidity, "SELECT gave no UIDVALIDITY");
      events_.push_back({session_event::kind::selected, uidvalidity_});
      return start_search();
    case state::search:
      if (!ok) return fail(error::command_failed, "UID SEARCH: " + r.text);
      to_fetch_ = std::exchange(search_result_, {});
      std::sort(to_fetch_.begin(), to_fetch_.end());
      fetch_pos_ = 0;
      events_.push_back({session_event::kind::pass_started, static_cast<std::uint32_t>(to_fetch_.size())});
      sizes_.clear();
      // Sizes first, so batches can be cut by bytes; one mail needs no plan. A range, not the
      // UID list: the command stays short however sparse the UIDs.
      if (options_.fetch_batch_bytes > 0 && to_fetch_.size() > 1)
        return send(state::sizing, "UID FETCH " + std::to_string(to_fetch_.front()) + ":" +
                                       std::to_string(to_fetch_.back()) + " (UID RFC822.SIZE)");
      return next_batch();
    case state::sizing:
      // Without sizes the batches are cut by count alone: worse for memory, not for mail.
      if (!ok) notices_.push_back("UID FETCH RFC822.SIZE: " + r.text + " (batching by count)");
      return next_batch();
    case state::fetch:
      if (!ok) return fail(error::command_failed, "UID FETCH: " + r.text);
      return deliver_next();
    case state::move:
      if (!ok) return fail(error::command_failed, "moving to " + move_target_ + ": " + r.text);
      return next_move();
    case state::expunge:
      if (!ok) return fail(error::command_failed, "UID EXPUNGE: " + r.text);
      return next_move();
    case state::copy:
      if (!ok) return fail(error::command_failed, "UID COPY to " + move_target_ + ": " + r.text);
      return send(state::flag_deleted, "UID STORE " + uid_set(moving_) + " +FLAGS.SILENT (\\Deleted)");
    case state::flag_deleted:
      if (!ok) return fail(error::command_failed, "UID STORE \\Deleted: " + r.text);
      // Only our own UIDs are expunged: a bare EXPUNGE would also remove what others flagged.
      if (capabilities_.count("UIDPLUS")) return send(state::expunge, "UID EXPUNGE " + uid_set(moving_));
      notices_.push_back("server lacks UIDPLUS: copied messages left flagged \\Deleted in " +
                         options_.folder);
      return next_move();
    case state::examine_target:
      if (ok) return look_for_copy();
      notices_.push_back("EXAMINE " + examined_ + ": " + r.text +
                         " (moving its messages without looking for earlier copies)");
      while (copy_check_pos_ < copy_checks_.size() &&
             target_of(copy_checks_[copy_check_pos_].where) == examined_)
        copy_checked(false);
      return next_copy_check();
    case state::look_for_copy:
      if (!ok)
        notices_.push_back("UID SEARCH in " + examined_ + ": " + r.text +
                           " (moving the message without looking for an earlier copy)");
      copy_checked(ok && !search_result_.empty());
      return next_copy_check();
    case state::reselect:
      if (!ok) return fail(error::command_failed, "SELECT " + options_.folder + ": " + r.text);
      // The UIDs in hand belong to the folder as it was: recreated meanwhile, they name others.
      if (uidvalidity_ != folder_uidvalidity_)
        return fail(error::command_failed, "UIDVALIDITY of " + options_.folder + " changed from " +
                                               std::to_string(folder_uidvalidity_) + " to " +
                                               std::to_string(uidvalidity_));
      if (copied_before_.empty()) return next_move();
      // Their copies are in place: only the originals go, by the STORE and EXPUNGE of a COPY.
      moving_ = std::exchange(copied_before_, {});
      return send(state::flag_deleted,
                  "UID STORE " + uid_set(moving_) + " +FLAGS.SILENT (\\Deleted)");
    case state::idle_start:  // a tagged answer instead of '+': IDLE refused
    case state::idle_done:
      if (!ok) return fail(error::command_failed, "IDLE: " + r.text);
      if (stopping_) return logout();
      return start_search();
    case state::logout:
      state_ = state::finished;
      return simple_action(action::kind::done);
    default:
      return fail(error::malformed_response, "tagged response in an unexpected state");
  }
}

action session::after_greeting() {
  if (capabilities_.empty()) return send(state::capability, "CAPABILITY");
  return after_capabilities();
}

action session::after_capabilities() {
  if (options_.tls == config::tls_mode::starttls && !tls_active_) {
    if (!capabilities_.count("STARTTLS"))
      return fail(error::starttls_unavailable, "server does not offer STARTTLS");
    return send(state::starttls, "STARTTLS");
  }
  if (authenticated_) return send(state::create_processed, "CREATE " + quoted_mailbox(options_.processed_folder));
  return login();
}

action session::login() {
  if (!tls_active_ && options_.tls != config::tls_mode::none)
    return fail(error::cleartext_refused, "refusing to send a password without TLS");
  const auto& auth = options_.auth;
  if (auth == config::imap_auth::xoauth2) {
    if (!capabilities_.count("AUTH=XOAUTH2"))
      return fail(error::authentication_failed, "server does not offer AUTH=XOAUTH2");
    return authenticate("XOAUTH2", "user=" + options_.username + "\x01" "auth=Bearer " +
                                       options_.password + "\x01\x01");
  }
  if (auth == config::imap_auth::plain ||
      (auth == config::imap_auth::automatic && capabilities_.count("AUTH=PLAIN"))) {
    if (!capabilities_.count("AUTH=PLAIN"))
      return fail(error::authentication_failed, "server does not offer AUTH=PLAIN");
    return authenticate("PLAIN", std::string(1, '\0') + options_.username + '\0' +
                                     options_.password);
  }
  if (capabilities_.count("LOGINDISABLED"))
    return fail(error::authentication_failed, "server disables LOGIN on this connection");
  auto user = quote_string(options_.username);
  auto password = quote_string(options_.password);
  if (!user || !password)
    return fail(error::authentication_failed, "user name or password contains a line break");
  return send(state::login, "LOGIN " + *user + " " + *password);
}

action session::authenticate(const std::string& mechanism, const std::string& initial_response) {
  sasl_response_ = base64(initial_response);
  sasl_sent_ = capabilities_.count("SASL-IR") > 0;
  // With SASL-IR the credentials travel in the command itself: one round trip.
  if (sasl_sent_) return send(state::authenticate, "AUTHENTICATE " + mechanism + " " + sasl_response_);
  return send(state::authenticate, "AUTHENTICATE " + mechanism);
}

action session::start_search() {
  new_mail_ = false;
  kept_ = false;
  search_result_.clear();
  // UNDELETED: without MOVE our copies stay behind flagged \Deleted until expunged (never,
  // without UIDPLUS; or the connection dropped between UID STORE and UID EXPUNGE).
  return send(state::search, "UID SEARCH UNDELETED");
}

action session::next_batch() {
  if (stopping_ || fetch_pos_ >= to_fetch_.size()) return finish_pass();
  const std::size_t last = std::min(to_fetch_.size(), fetch_pos_ + options_.fetch_batch);
  std::size_t end = fetch_pos_ + 1;
  std::uint64_t bytes = size_of(to_fetch_[fetch_pos_]);
  for (; end < last; ++end) {
    bytes += size_of(to_fetch_[end]);
    if (options_.fetch_batch_bytes > 0 && bytes > options_.fetch_batch_bytes) break;
  }
  batch_uids_.assign(to_fetch_.begin() + static_cast<std::ptrdiff_t>(fetch_pos_),
                     to_fetch_.begin() + static_cast<std::ptrdiff_t>(end));
  fetch_pos_ = end;
  fetched_.clear();
  // BODY.PEEK so nothing is marked \Seen behind the operator's back; at most the size limit
  // of each body, so one oversize mail is quarantined instead of breaking the connection
  // (and blocking every mail behind it).
  return send(state::fetch, "UID FETCH " + uid_set(batch_uids_) + " (UID RFC822.SIZE BODY.PEEK[]<0." +
                                std::to_string(options_.limits.max_literal) + ">)");
}

std::uint64_t session::size_of(std::uint32_t uid) const {
  const auto it = sizes_.find(uid);
  // A partial fetch never brings more than the literal limit, whatever the size.
  return it == sizes_.end() ? 0 : std::min<std::uint64_t>(it->second, options_.limits.max_literal);
}

action session::deliver_next() {
  // After stop_soon() only the message in hand is finished; the rest stays unseen (PEEK).
  while (!fetched_.empty() && !stopping_) {
    fetched_message m = std::move(fetched_.front());
    fetched_.pop_front();
    if (m.raw.empty() && !m.oversize) {
      notices_.push_back("uid " + std::to_string(m.uid) +
                         ": server returned an empty body; left in the folder for the next pass");
      continue;
    }
    state_ = state::delivering;
    delivering_uid_ = m.uid;
    delivering_size_ = m.size;
    batch_delivered_ = true;
    action a = simple_action(action::kind::deliver);
    a.message = std::move(m);
    return a;
  }
  fetched_.clear();  // after stop_soon(): left unseen in the folder (PEEK)
  // Moves only after the commit: a mail leaves the folder once its outcome is durable.
  if (batch_delivered_) {
    state_ = state::committing;
    return simple_action(action::kind::commit);
  }
  return next_move();
}

action session::next_move() {
  if (!copy_checks_.empty() && copy_check_pos_ == 0 && examined_.empty()) {
    // After the commit, before any move: one EXAMINE per target folder, then this one again.
    std::stable_sort(copy_checks_.begin(), copy_checks_.end(),
                     [](const copy_check& a, const copy_check& b) { return a.where < b.where; });
    folder_uidvalidity_ = uidvalidity_;
    return next_copy_check();
  }
  std::vector<std::uint32_t>* source = nullptr;
  if (!to_processed_.empty()) {
    source = &to_processed_;
    move_target_ = options_.processed_folder;
  } else if (!to_quarantine_.empty()) {
    source = &to_quarantine_;
    move_target_ = options_.quarantine_folder;
  } else {
    return next_batch();
  }
  moving_ = std::exchange(*source, {});
  const std::string target = quoted_mailbox(move_target_);
  if (capabilities_.count("MOVE")) return send(state::move, "UID MOVE " + uid_set(moving_) + " " + target);
  return send(state::copy, "UID COPY " + uid_set(moving_) + " " + target);
}

const std::string& session::target_of(disposition where) const {
  return where == disposition::quarantine ? options_.quarantine_folder : options_.processed_folder;
}

action session::next_copy_check() {
  if (copy_check_pos_ == copy_checks_.size()) {
    copy_checks_.clear();
    copy_check_pos_ = 0;
    examined_.clear();
    return send(state::reselect, "SELECT " + quoted_mailbox(options_.folder));
  }
  const std::string& target = target_of(copy_checks_[copy_check_pos_].where);
  if (examined_ == target) return look_for_copy();
  examined_ = target;
  // EXAMINE: read-only, so nothing there is marked \Seen or expunged by looking.
  return send(state::examine_target, "EXAMINE " + quoted_mailbox(target));
}

action session::look_for_copy() {
  const copy_check& c = copy_checks_[copy_check_pos_];
  search_result_.clear();
  // HEADER matches a substring; the exact size (a copy keeps it) leaves only this message.
  return send(state::look_for_copy, "UID SEARCH HEADER Message-ID " + *quote_string(c.message_id) +
                                        " LARGER " + std::to_string(c.size - 1) + " SMALLER " +
                                        std::to_string(c.size + 1));
}

void session::copy_checked(bool found) {
  const copy_check& c = copy_checks_[copy_check_pos_++];
  if (!found) {
    (c.where == disposition::processed ? to_processed_ : to_quarantine_).push_back(c.uid);
    return;
  }
  notices_.push_back("uid " + std::to_string(c.uid) + ": already in " + target_of(c.where) +
                     " (an interrupted move had copied it); removing it from " + options_.folder +
                     " instead of copying it again");
  copied_before_.push_back(c.uid);
}

action session::finish_pass() {
  events_.push_back({session_event::kind::pass_done, 0});
  if (stopping_ || options_.once) return logout();
  if (new_mail_) return start_search();
  if (!kept_ && options_.use_idle && capabilities_.count("IDLE"))
    return send(state::idle_start, "IDLE");
  state_ = state::waiting;
  action a = simple_action(action::kind::wait);
  a.timeout = kept_ ? std::min(options_.retry_kept, options_.poll_interval) : options_.poll_interval;
  a.interruptible = true;
  return a;
}

action session::logout() { return send(state::logout, "LOGOUT"); }

}  // namespace tacmail::daemon::imap
