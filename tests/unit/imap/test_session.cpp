// Unit tests for imap::session: a scripted Dovecot 2.3 answers every command the session writes,
// and the tests assert on the exact commands and actions. A fault matrix (STYLE.md 14) cuts the
// connection or lets it fall silent at every byte, and replays every transcript byte by byte.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <ostream>  // doctest prints std::error_code through it
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "imap/command.hpp"
#include "imap/error.hpp"
#include "imap/session.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
namespace imap = tacmail::daemon::imap;
using imap::action;
using imap::disposition;
using tacmail::config::tls_mode;

namespace {

// ---------------------------------------------------------------------------------------------
// The scripted server.

/// One step of the server's side, consumed in order as the session asks for it.
struct event {
  enum class kind {
    reply,      ///< answers the next write (bytes queued for the client to read)
    push,       ///< sent unprompted, at the next read with nothing left to read
    timeout,    ///< the next read falls silent: on_timeout()
    close,      ///< the next read sees EOF: on_closed()
    interrupt,  ///< a stop request cuts the next read or wait short: interrupt()
    elapse,     ///< the next wait runs out: on_wait_elapsed()
  };
  kind what = kind::reply;
  std::string bytes;
  /// For replies that depend on the command (without its CRLF); overrides `bytes`.
  std::function<std::string(const std::string&)> respond;
};

event make_event(event::kind k, std::string bytes = {}) {
  event e;
  e.what = k;
  e.bytes = std::move(bytes);
  return e;
}
event reply(std::string bytes) { return make_event(event::kind::reply, std::move(bytes)); }
event push(std::string bytes) { return make_event(event::kind::push, std::move(bytes)); }
event timeout() { return make_event(event::kind::timeout); }
event closed() { return make_event(event::kind::close); }
event interrupt() { return make_event(event::kind::interrupt); }
event elapse() { return make_event(event::kind::elapse); }
event respond(std::function<std::string(const std::string&)> f) {
  event e;
  e.respond = std::move(f);
  return e;
}

using script = std::vector<event>;

script operator+(script a, const script& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

enum class fault { close, timeout };

struct run_options {
  bool tls_active = true;            ///< what on_connected() is told
  std::size_t chunk = SIZE_MAX;      ///< bytes per on_received()
  unsigned chunk_seed = 0;           ///< nonzero: random chunk sizes 1..17 from this seed
  std::size_t cut_after = SIZE_MAX;  ///< server bytes delivered before every read faults
  fault cut_with = fault::close;
  std::size_t stop_at_delivery = 0;     ///< stop_soon() during this delivery (1-based; 0: never)
  std::size_t stop_at_step = SIZE_MAX;  ///< stop_soon() before handling this action (0-based)
  std::size_t fail_commit = 0;          ///< this commit (1-based) stores nothing (0: none fails)
};

std::string error_name(std::error_code ec) {
  if (ec.category() != imap::imap_category()) return std::string(ec.category().name()) + "?";
  switch (static_cast<imap::error>(ec.value())) {
    case imap::error::malformed_response:
      return "malformed_response";
    case imap::error::literal_too_large:
      return "literal_too_large";
    case imap::error::line_too_long:
      return "line_too_long";
    case imap::error::greeting_timeout:
      return "greeting_timeout";
    case imap::error::command_timeout:
      return "command_timeout";
    case imap::error::connect_timeout:
      return "connect_timeout";
    case imap::error::authentication_failed:
      return "authentication_failed";
    case imap::error::cleartext_refused:
      return "cleartext_refused";
    case imap::error::starttls_unavailable:
      return "starttls_unavailable";
    case imap::error::connection_closed:
      return "connection_closed";
    case imap::error::command_failed:
      return "command_failed";
    case imap::error::no_uidvalidity:
      return "no_uidvalidity";
  }
  return "imap?" + std::to_string(ec.value());
}

const char* disposition_name(disposition d) {
  switch (d) {
    case disposition::processed:
      return "processed";
    case disposition::quarantine:
      return "quarantine";
    case disposition::keep:
      return "keep";
  }
  return "?";
}

/// "1:3,7" -> {1, 2, 3, 7}; empty on anything else.
std::vector<std::uint32_t> parse_uid_set(std::string_view set) {
  std::vector<std::uint32_t> out;
  std::size_t pos = 0;
  while (pos <= set.size()) {
    const std::size_t comma = std::min(set.find(',', pos), set.size());
    const std::string part(set.substr(pos, comma - pos));
    const std::size_t colon = part.find(':');
    try {
      const auto lo = std::stoul(part.substr(0, colon));
      const auto hi = colon == std::string::npos ? lo : std::stoul(part.substr(colon + 1));
      for (auto u = lo; u <= hi; ++u) out.push_back(static_cast<std::uint32_t>(u));
    } catch (...) {
      return {};
    }
    pos = comma + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string lines(std::initializer_list<std::vector<std::string>> parts) {
  std::string out;
  for (const auto& part : parts) out += join(part);
  return out;
}

/// Plays the driver (imap/connection.cpp) and the server at once: carries out every action,
/// answers writes from the script, records a transcript, and checks the invariants on the way:
/// a UID is moved or copied only after the engine answered processed/quarantine for it (and to
/// the matching folder), flagged only after it was copied, expunged only after it was flagged,
/// never a bare EXPUNGE, never a LOGIN without TLS (unless tls=none), never delivered again
/// once moved.
class scripted_server {
 public:
  /// `earlier`: the UIDs the engine answers for as mail an earlier run recorded, with the
  /// Message-ID it was recorded with.
  scripted_server(imap::session_options options, script steps,
                  std::vector<disposition> dispositions = {},
                  std::map<std::uint32_t, std::string> earlier = {})
      : options_(std::move(options)),
        script_(std::move(steps)),
        dispositions_(std::move(dispositions)),
        earlier_(std::move(earlier)) {}

  /// Runs the session to done or fail (or until the script runs dry); returns the transcript.
  std::string run(const run_options& ro = {}) {
    session_.emplace(options_);
    imap::session& s = *session_;
    log_.clear();
    writes_.clear();
    delivered_.clear();
    violations_.clear();
    answered_.clear();
    moved_.clear();
    committed_.clear();
    copied_.clear();
    flagged_.clear();
    found_.clear();
    examined_.clear();
    served_ = 0;
    stream_.clear();
    std::deque<event> pending(script_.begin(), script_.end());
    std::deque<disposition> dispositions(dispositions_.begin(), dispositions_.end());
    std::string inbox;  // bytes the server sent that the client has not read yet
    bool tls = ro.tls_active;
    std::mt19937 rng(ro.chunk_seed);
    const auto dead = [&] { return served_ >= ro.cut_after; };
    std::vector<std::uint32_t> uncommitted;  // delivered since the last commit
    std::size_t commits = 0;

    action a = s.on_connected(tls);
    for (std::size_t step = 0;; ++step) {
      if (step > 100000) {
        violation("the session does not terminate");
        break;
      }
      if (step == ro.stop_at_step) s.stop_soon();
      for (const auto& n : s.take_notices()) log_.push_back("notice: " + n);
      last_ = a;
      switch (a.what) {
        case action::kind::write: {
          check_write(a.bytes, tls);
          if (!dead()) {
            if (pending.empty() || pending.front().what != event::kind::reply) {
              log_.push_back("!! unscripted write");
              return join(log_);
            }
            const event e = pending.front();
            pending.pop_front();
            const std::string answer = e.respond ? e.respond(strip_crlf(a.bytes)) : e.bytes;
            note_copy_search(strip_crlf(a.bytes), answer);
            inbox += answer;
          }
          a = s.on_written();
          break;
        }
        case action::kind::read: {
          if (dead()) {
            log_.push_back(ro.cut_with == fault::close ? "-- closed" : "-- timeout");
            a = ro.cut_with == fault::close ? s.on_closed() : s.on_timeout();
            break;
          }
          if (inbox.empty()) {
            log_.push_back("read " + std::to_string(a.timeout.count()) + "ms" +
                           (a.interruptible ? " interruptible" : ""));
            if (pending.empty()) {
              log_.push_back("!! script ran dry");
              return join(log_);
            }
            const event e = pending.front();
            pending.pop_front();
            if (e.what == event::kind::timeout) {
              log_.push_back("-- timeout");
              a = s.on_timeout();
              break;
            }
            if (e.what == event::kind::close) {
              log_.push_back("-- closed");
              a = s.on_closed();
              break;
            }
            if (e.what == event::kind::interrupt) {
              if (!a.interruptible) violation("interrupt() on a read that is not interruptible");
              log_.push_back("-- interrupt");
              a = s.interrupt();
              break;
            }
            if (e.what != event::kind::push) {
              log_.push_back("!! the session reads, the script does not send");
              return join(log_);
            }
            inbox = e.bytes;
          }
          std::size_t n = std::min({inbox.size(), ro.chunk, ro.cut_after - served_});
          if (ro.chunk_seed != 0) n = std::min<std::size_t>(n, 1 + rng() % 17);
          const std::string piece = inbox.substr(0, n);
          inbox.erase(0, n);
          served_ += n;
          stream_ += piece;
          a = s.on_received(piece);
          break;
        }
        case action::kind::start_tls:
          log_.push_back("start_tls");
          // Cleartext still in flight would be TLS garbage, never application data.
          inbox.clear();
          tls = true;
          a = s.on_tls_established();
          break;
        case action::kind::deliver: {
          const auto& m = a.message;
          delivered_.push_back(m);
          if (moved_.count(m.uid)) violation("uid " + std::to_string(m.uid) + " delivered again");
          const disposition d =
              dispositions.empty() ? disposition::processed : dispositions.front();
          if (!dispositions.empty()) dispositions.pop_front();
          answered_[m.uid] = d;
          uncommitted.push_back(m.uid);
          const bool stop = delivered_.size() == ro.stop_at_delivery;
          log_.push_back("deliver uid=" + std::to_string(m.uid) + " uidvalidity=" +
                         std::to_string(m.uidvalidity) + " " + std::to_string(m.raw.size()) +
                         " bytes -> " + disposition_name(d) + (stop ? " (stop_soon)" : ""));
          if (stop) s.stop_soon();
          const auto earlier = earlier_.find(m.uid);
          a = s.on_delivered({d, earlier == earlier_.end() ? std::string() : earlier->second});
          break;
        }
        case action::kind::commit: {
          ++commits;
          const bool ok = commits != ro.fail_commit;
          log_.push_back(ok ? "commit" : "commit -> fails");
          if (ok) committed_.insert(uncommitted.begin(), uncommitted.end());
          uncommitted.clear();
          a = s.on_committed(ok);
          break;
        }
        case action::kind::wait: {
          log_.push_back("wait " + std::to_string(a.timeout.count()) + "ms" +
                         (a.interruptible ? " interruptible" : ""));
          if (pending.empty()) {
            log_.push_back("!! script ran dry");
            return join(log_);
          }
          const event e = pending.front();
          pending.pop_front();
          if (e.what == event::kind::elapse) {
            log_.push_back("-- elapsed");
            a = s.on_wait_elapsed();
          } else if (e.what == event::kind::interrupt) {
            log_.push_back("-- interrupt");
            a = s.interrupt();
          } else {
            log_.push_back("!! the session waits, the script does not");
            return join(log_);
          }
          break;
        }
        case action::kind::done:
          log_.push_back("done");
          return join(log_);
        case action::kind::fail:
          log_.push_back("fail " + error_name(a.error) + ": " + a.detail);
          return join(log_);
      }
    }
    return join(log_);
  }

  imap::session& session() { return *session_; }
  const action& last() const { return last_; }
  const std::vector<std::string>& writes() const { return writes_; }
  const std::vector<imap::fetched_message>& delivered() const { return delivered_; }
  /// Invariant violations seen during the last run, one a line; empty when all held.
  std::string violations() const { return join(violations_); }
  std::size_t served() const { return served_; }
  /// Every byte the session was given, in order.
  const std::string& stream() const { return stream_; }
  bool wrote(std::string_view needle) const {
    return std::any_of(writes_.begin(), writes_.end(),
                       [&](const std::string& w) { return w.find(needle) != std::string::npos; });
  }

 private:
  static std::string strip_crlf(const std::string& bytes) {
    if (bytes.size() >= 2 && bytes.compare(bytes.size() - 2, 2, "\r\n") == 0)
      return bytes.substr(0, bytes.size() - 2);
    return bytes;
  }

  void violation(std::string what) {
    violations_.push_back(what);
    log_.push_back("!! " + what);
  }

  void check_write(const std::string& bytes, bool tls) {
    writes_.push_back(bytes);
    const std::string line = strip_crlf(bytes);
    log_.push_back("C: " + line);
    if (line.size() + 2 != bytes.size()) violation("command not ended by CRLF");
    if (line.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
      violation("CR, LF or NUL inside a command");

    std::string command = line;
    if (!line.empty() && line[0] == 'T')
      command = line.substr(std::min(line.size(), line.find(' ') + 1));
    if (command.rfind("LOGIN ", 0) == 0 && !tls && options_.tls != tls_mode::none)
      violation("LOGIN over cleartext");
    if (command.rfind("EXPUNGE", 0) == 0) violation("bare EXPUNGE");

    const auto uids_after =
        [&](std::string_view prefix) -> std::optional<std::vector<std::uint32_t>> {
      if (command.rfind(prefix, 0) != 0) return std::nullopt;
      const std::string rest = command.substr(prefix.size());
      return parse_uid_set(rest.substr(0, rest.find(' ')));
    };
    const auto target = [&] { return command.substr(command.find(' ', 9) + 1); };
    for (std::string_view verb : {"UID MOVE ", "UID COPY "}) {
      auto uids = uids_after(verb);
      if (!uids) continue;
      const bool to_processed = target() == imap::quoted_mailbox(options_.processed_folder);
      const bool to_quarantine = target() == imap::quoted_mailbox(options_.quarantine_folder);
      if (!to_processed && !to_quarantine) violation("move to an unknown folder: " + line);
      for (auto uid : *uids) {
        const auto it = answered_.find(uid);
        const std::string u = "uid " + std::to_string(uid);
        if (it == answered_.end()) {
          violation(u + " moved before it was delivered");
        } else if (!committed_.count(uid)) {
          violation(u + " moved before its batch was committed");
        } else if (to_processed && it->second != disposition::processed) {
          violation(u + " moved to processed, engine said " + disposition_name(it->second));
        } else if (to_quarantine && it->second != disposition::quarantine) {
          violation(u + " moved to quarantine, engine said " + disposition_name(it->second));
        }
        if (!moved_.insert(uid).second) violation(u + " moved twice");
        if (verb == "UID COPY ") copied_.insert(uid);
      }
    }
    if (command.rfind("EXAMINE ", 0) == 0) examined_ = command.substr(8);
    if (command.rfind("SELECT ", 0) == 0) examined_.clear();
    if (auto uids = uids_after("UID STORE ")) {
      if (command.find(" +FLAGS.SILENT (\\Deleted)") == std::string::npos)
        violation("unexpected STORE: " + line);
      if (!examined_.empty()) violation("STORE while " + examined_ + " is examined: " + line);
      for (auto uid : *uids) {
        if (!copied_.count(uid) && !copy_found(uid))
          violation("uid " + std::to_string(uid) + " flagged, neither copied nor found copied");
        if (!copied_.count(uid) && !moved_.insert(uid).second)
          violation("uid " + std::to_string(uid) + " moved twice");
        flagged_.insert(uid);
      }
    }
    if (auto uids = uids_after("UID EXPUNGE ")) {
      for (auto uid : *uids)
        if (!flagged_.count(uid))
          violation("uid " + std::to_string(uid) + " expunged, not flagged by us");
    }
  }

  /// A SEARCH for a Message-ID while a target folder is examined, and the server found it.
  void note_copy_search(const std::string& command_line, const std::string& answer) {
    const std::string prefix = "UID SEARCH HEADER Message-ID \"";
    const std::size_t at = command_line.find(prefix);
    if (at == std::string::npos || examined_.empty()) return;
    const std::size_t from = at + prefix.size();
    const std::string id = command_line.substr(from, command_line.find('"', from) - from);
    if (answer.find("* SEARCH ") != std::string::npos) found_.insert({examined_, id});
  }

  /// The session was told a copy of `uid` is in the folder the engine's answer sends it to.
  bool copy_found(std::uint32_t uid) const {
    const auto answer = answered_.find(uid);
    const auto earlier = earlier_.find(uid);
    if (answer == answered_.end() || earlier == earlier_.end()) return false;
    if (!committed_.count(uid)) return false;
    const std::string& target = answer->second == disposition::quarantine
                                    ? options_.quarantine_folder
                                    : options_.processed_folder;
    return found_.count({imap::quoted_mailbox(target), earlier->second}) > 0;
  }

  imap::session_options options_;
  script script_;
  std::vector<disposition> dispositions_;
  std::optional<imap::session> session_;
  action last_;
  std::vector<std::string> log_;
  std::vector<std::string> writes_;
  std::vector<imap::fetched_message> delivered_;
  std::vector<std::string> violations_;
  std::map<std::uint32_t, disposition> answered_;
  std::set<std::uint32_t> moved_, copied_, flagged_, committed_;
  std::map<std::uint32_t, std::string> earlier_;
  std::set<std::pair<std::string, std::string>> found_;  ///< (examined folder, Message-ID)
  std::string examined_;  ///< the folder EXAMINEd last, quoted; empty once SELECT follows
  std::size_t served_ = 0;
  std::string stream_;
};

// ---------------------------------------------------------------------------------------------
// Dovecot 2.3's side of the conversation.

constexpr std::uint32_t uidvalidity = 1700000000;

/// The command of every pass, kept in one place.
const std::string search_cmd = "UID SEARCH UNDELETED";

const std::string pre_login_caps =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN";
const std::string post_login_caps =
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY LITERAL+ NOTIFY "
    "SPECIAL-USE";

/// `caps` without the named capabilities (whole words only).
std::string caps_without(const std::string& caps, std::initializer_list<std::string_view> drop) {
  std::istringstream in(caps);
  std::string word, out;
  while (in >> word)
    if (std::find(drop.begin(), drop.end(), word) == drop.end())
      out += (out.empty() ? "" : " ") + word;
  return out;
}

std::string greeting_with(const std::string& caps) {
  return "* OK [CAPABILITY " + caps + "] Dovecot ready.\r\n";
}
const std::string greeting = greeting_with(pre_login_caps);
const std::string bare_greeting = "* OK Dovecot ready.\r\n";

std::string capability_reply(const std::string& tag, const std::string& caps) {
  return "* CAPABILITY " + caps + "\r\n" + tag +
         " OK Capability completed (0.001 + 0.000 secs).\r\n";
}
std::string login_ok(const std::string& tag, const std::string& caps = post_login_caps) {
  return tag + " OK [CAPABILITY " + caps + "] Logged in\r\n";
}
std::string create_exists(const std::string& tag) {
  return tag + " NO [ALREADYEXISTS] Mailbox already exists\r\n";
}
std::string create_ok(const std::string& tag) {
  return tag + " OK Create completed (0.004 + 0.000 + 0.003 secs).\r\n";
}
std::string select_reply(const std::string& tag, int exists, bool with_uidvalidity = true) {
  return "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
         "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags "
         "permitted.\r\n"
         "* " +
         std::to_string(exists) +
         " EXISTS\r\n"
         "* 0 RECENT\r\n"
         "* OK [UNSEEN 1] First unseen.\r\n" +
         (with_uidvalidity ? "* OK [UIDVALIDITY " + std::to_string(uidvalidity) + "] UIDs valid\r\n"
                           : std::string()) +
         "* OK [UIDNEXT " + std::to_string(exists + 1) + "] Predicted next UID\r\n" + tag +
         " OK [READ-WRITE] Select completed (0.002 + 0.000 + 0.001 secs).\r\n";
}
std::string search_reply(const std::string& tag, const std::string& uids) {
  return "* SEARCH" + (uids.empty() ? "" : " " + uids) + "\r\n" + tag +
         " OK Search completed (0.001 + 0.000 secs).\r\n";
}
std::string literal(const std::string& s) { return "{" + std::to_string(s.size()) + "}\r\n" + s; }
std::string fetch_reply(const std::string& tag,
                        const std::vector<std::pair<std::uint32_t, std::string>>& messages,
                        std::size_t first_seq = 1, bool with_sizes = false) {
  std::string out;
  for (std::size_t i = 0; i < messages.size(); ++i)
    out += "* " + std::to_string(first_seq + i) + " FETCH (UID " +
           std::to_string(messages[i].first) +
           (with_sizes ? " RFC822.SIZE " + std::to_string(messages[i].second.size()) : "") +
           " BODY[] " + literal(messages[i].second) + ")\r\n";
  return out + tag + " OK Fetch completed (0.003 + 0.000 + 0.002 secs).\r\n";
}
std::string sizes_reply(const std::string& tag,
                        const std::vector<std::pair<std::uint32_t, std::size_t>>& sizes) {
  std::string out;
  for (std::size_t i = 0; i < sizes.size(); ++i)
    out += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(sizes[i].first) +
           " RFC822.SIZE " + std::to_string(sizes[i].second) + ")\r\n";
  return out + tag + " OK Fetch completed (0.001 + 0.000 secs).\r\n";
}
std::string move_reply(const std::string& tag, const std::string& set, std::size_t count) {
  std::string out =
      "* OK [COPYUID " + std::to_string(uidvalidity) + " " + set + " " + set + "] Moved UIDs.\r\n";
  for (std::size_t i = 0; i < count; ++i) out += "* 1 EXPUNGE\r\n";
  return out + tag + " OK Move completed (0.004 + 0.000 + 0.003 secs).\r\n";
}
std::string ok(const std::string& tag, const std::string& what) {
  return tag + " OK " + what + " completed (0.001 + 0.000 secs).\r\n";
}
std::string logout_reply(const std::string& tag) {
  return "* BYE Logging out\r\n" + tag + " OK Logout completed (0.001 + 0.000 secs).\r\n";
}

std::string mail(int n, const std::string& extra_body = "") {
  return "Return-Path: <customer" + std::to_string(n) +
         "@example.net>\r\n"
         "From: Customer " +
         std::to_string(n) + " <customer" + std::to_string(n) +
         "@example.net>\r\n"
         "To: support@example.com\r\n"
         "Subject: Ticket " +
         std::to_string(n) +
         ": printer down\r\n"
         "Message-ID: <m" +
         std::to_string(n) +
         "@example.net>\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "\r\n"
         "Hello,\r\nthe printer is down again.\r\n" +
         extra_body;
}
// Bodies that would derail a parser that did not honour literal lengths.
const std::string mail1 = mail(1, "T6 OK this line is inside the literal\r\n");
const std::string mail2 = mail(2, "* 7 EXISTS\r\n) {12}\r\n");
const std::string mail3 = mail(3, "+ idling\r\n");
const std::string mail4 = mail(4);

imap::session_options base_options() {
  imap::session_options o;
  o.username = "support@example.com";
  o.password = "s3cret";
  o.tls = tls_mode::implicit;
  o.once = true;
  o.greeting_timeout = 10s;
  o.command_timeout = 20s;
  o.idle_renewal = 300s;
  o.poll_interval = 45s;
  // The transcripts here batch by count; the size pass has tests (and a transcript) of its own.
  o.fetch_batch_bytes = 0;
  return o;
}

/// Greeting with capabilities up to the SEARCH command (T5), as Dovecot on port 993 answers.
script setup(const std::string& login_caps = post_login_caps, int exists = 3) {
  return {push(greeting), reply(login_ok("T1", login_caps)), reply(create_exists("T2")),
          reply(create_ok("T3")), reply(select_reply("T4", exists))};
}
const std::vector<std::string> setup_lines = {
    "read 10000ms",
    "C: T1 LOGIN \"support@example.com\" \"s3cret\"",
    "C: T2 CREATE \"Processed\"",
    "C: T3 CREATE \"Quarantine\"",
    "C: T4 SELECT \"INBOX\"",
};

const std::vector<std::pair<std::uint32_t, std::string>> three = {
    {1, mail1}, {2, mail2}, {3, mail3}};

std::string deliver_line(std::uint32_t uid, const std::string& raw,
                         disposition d = disposition::processed) {
  return "deliver uid=" + std::to_string(uid) + " uidvalidity=" + std::to_string(uidvalidity) +
         " " + std::to_string(raw.size()) + " bytes -> " + disposition_name(d);
}

/// The happy path: three messages fetched, delivered, moved; then LOGOUT.
script happy_script() {
  return setup() + script{reply(search_reply("T5", "1 2 3")), reply(fetch_reply("T6", three)),
                          reply(move_reply("T7", "1:3", 3)), reply(logout_reply("T8"))};
}
const std::vector<std::string> happy_lines = {
    "C: T5 " + search_cmd,  "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
    deliver_line(1, mail1), deliver_line(2, mail2),
    deliver_line(3, mail3), "commit", "C: T7 UID MOVE 1:3 \"Processed\"",
    "C: T8 LOGOUT",         "done",
};

/// No MOVE, but UIDPLUS: COPY, STORE \Deleted, UID EXPUNGE.
script copy_script() {
  return setup(caps_without(post_login_caps, {"MOVE"})) +
         script{reply(search_reply("T5", "1 2 3")),
                reply(fetch_reply("T6", three)),
                reply("* OK [COPYUID 1700000000 1:3 4:6] Copy completed\r\n"
                      "T7 OK Copy completed (0.002 + 0.000 secs).\r\n"),
                reply(ok("T8", "Store")),
                reply("* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n" + ok("T9", "Expunge")),
                reply(logout_reply("T10"))};
}

/// once=false with IDLE: a pass, IDLE woken by EXISTS, a second pass, IDLE, then a stop.
script idle_script() {
  return setup() + script{reply(search_reply("T5", "1 2 3")),
                          reply(fetch_reply("T6", three)),
                          reply(move_reply("T7", "1:3", 3)),
                          reply("+ idling\r\n"),
                          push("* 1 EXISTS\r\n* 1 RECENT\r\n"),
                          reply("T8 OK Idle completed (0.001 + 12.418 + 12.417 secs).\r\n"),
                          reply(search_reply("T9", "4")),
                          reply(fetch_reply("T10", {{4, mail4}})),
                          reply(move_reply("T11", "4", 1)),
                          reply("+ idling\r\n"),
                          interrupt(),
                          reply("T12 OK Idle completed (0.001 + 3.112 + 3.111 secs).\r\n"),
                          reply(logout_reply("T13"))};
}
const std::vector<std::string> idle_lines = {
    "C: T5 " + search_cmd,
    "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
    deliver_line(1, mail1),
    deliver_line(2, mail2),
    deliver_line(3, mail3),
    "commit",
    "C: T7 UID MOVE 1:3 \"Processed\"",
    "C: T8 IDLE",
    "read 300000ms interruptible",
    "C: DONE",
    "C: T9 " + search_cmd,
    "C: T10 UID FETCH 4 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
    deliver_line(4, mail4),
    "commit",
    "C: T11 UID MOVE 4 \"Processed\"",
    "C: T12 IDLE",
    "read 300000ms interruptible",
    "-- interrupt",
    "C: DONE",
    "C: T13 LOGOUT",
    "done",
};

/// tls=starttls on port 143: STARTTLS, handshake, CAPABILITY again, then the usual.
script starttls_script() {
  return script{push(greeting_with(pre_login_caps + " STARTTLS LOGINDISABLED")),
                reply("T1 OK Begin TLS negotiation now.\r\n"),
                reply(capability_reply("T2", pre_login_caps)),
                reply(login_ok("T3")),
                reply(create_exists("T4")),
                reply(create_exists("T5")),
                reply(select_reply("T6", 1)),
                reply(search_reply("T7", "1")),
                reply(fetch_reply("T8", {{1, mail1}})),
                reply(move_reply("T9", "1", 1)),
                reply(logout_reply("T10"))};
}
imap::session_options starttls_options() {
  auto o = base_options();
  o.tls = tls_mode::starttls;
  return o;
}
run_options cleartext() {
  run_options r;
  r.tls_active = false;
  return r;
}

}  // namespace

// =============================================================================================
// 1. The happy path.

TEST_CASE("happy path: greeting with capabilities, LOGIN, folders, SELECT, fetch, move, LOGOUT") {
  scripted_server server(base_options(), happy_script());
  CHECK(server.run() == lines({setup_lines, happy_lines}));
  CHECK(server.violations() == "");

  REQUIRE(server.delivered().size() == 3);
  CHECK(server.delivered()[0].uid == 1);
  CHECK(server.delivered()[0].uidvalidity == uidvalidity);
  CHECK(server.delivered()[0].raw == mail1);
  CHECK(server.delivered()[1].raw == mail2);
  CHECK(server.delivered()[2].raw == mail3);
  CHECK(server.session().delivered() == 3);
  CHECK(server.session().uidvalidity() == uidvalidity);
  CHECK(server.session().capabilities().count("MOVE") == 1);
  CHECK(server.session().capabilities().count("UIDPLUS") == 1);
}

TEST_CASE(
    "happy path: a greeting without capabilities makes the session ask, before and after LOGIN") {
  script steps = {
      push(bare_greeting),
      reply("* CAPABILITY " + pre_login_caps +
            "\r\n"
            "T1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n"),
      reply("T2 OK Logged in\r\n"),
      reply(capability_reply("T3", post_login_caps)),
      reply(create_ok("T4")),
      reply(create_ok("T5")),
      reply(select_reply("T6", 1)),
      reply(search_reply("T7", "1")),
      reply(fetch_reply("T8", {{1, mail1}})),
      reply(move_reply("T9", "1", 1)),
      reply(logout_reply("T10"))};
  scripted_server server(base_options(), steps);
  CHECK(server.run() == lines({{
                            "read 10000ms",
                            "C: T1 CAPABILITY",
                            "C: T2 LOGIN \"support@example.com\" \"s3cret\"",
                            "C: T3 CAPABILITY",
                            "C: T4 CREATE \"Processed\"",
                            "C: T5 CREATE \"Quarantine\"",
                            "C: T6 SELECT \"INBOX\"",
                            "C: T7 " + search_cmd,
                            "C: T8 UID FETCH 1 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                            deliver_line(1, mail1),
                            "commit",
                            "C: T9 UID MOVE 1 \"Processed\"",
                            "C: T10 LOGOUT",
                            "done",
                        }}));
  CHECK(server.violations() == "");
  // The post-login list replaced the pre-login one.
  CHECK(server.session().capabilities().count("MOVE") == 1);
}

TEST_CASE("happy path: a LOGIN OK without capabilities is followed by CAPABILITY") {
  script steps = {push(greeting),
                  reply("T1 OK Logged in\r\n"),
                  reply(capability_reply("T2", post_login_caps)),
                  reply(create_exists("T3")),
                  reply(create_exists("T4")),
                  reply(select_reply("T5", 0)),
                  reply(search_reply("T6", "")),
                  reply(logout_reply("T7"))};
  scripted_server server(base_options(), steps);
  CHECK(server.run() ==
        lines({{"read 10000ms", "C: T1 LOGIN \"support@example.com\" \"s3cret\"",
                "C: T2 CAPABILITY", "C: T3 CREATE \"Processed\"", "C: T4 CREATE \"Quarantine\"",
                "C: T5 SELECT \"INBOX\"", "C: T6 " + search_cmd, "C: T7 LOGOUT", "done"}}));
}

TEST_CASE("happy path: CREATE refused for another reason is a notice, not a failure") {
  script steps = {push(greeting),
                  reply(login_ok("T1")),
                  reply("T2 NO [NOPERM] Permission denied\r\n"),
                  reply(create_exists("T3")),
                  reply(select_reply("T4", 0)),
                  reply(search_reply("T5", "")),
                  reply(logout_reply("T6"))};
  scripted_server server(base_options(), steps);
  const std::string t = server.run();
  CHECK(t.find("notice: CREATE: Permission denied (assuming the folder exists)\n") !=
        std::string::npos);
  CHECK(t.find("C: T4 SELECT \"INBOX\"") != std::string::npos);
  CHECK(server.last().what == action::kind::done);
}

TEST_CASE("happy path: configured folder names are quoted and escaped") {
  auto o = base_options();
  o.folder = "Support";
  o.processed_folder = "Support/Done \"ok\"";
  o.quarantine_folder = "Support\\Quarantine";
  script steps = {push(greeting),
                  reply(login_ok("T1")),
                  reply(create_exists("T2")),
                  reply(create_exists("T3")),
                  reply(select_reply("T4", 2)),
                  reply(search_reply("T5", "1 2")),
                  reply(fetch_reply("T6", {{1, mail1}, {2, mail2}})),
                  reply(move_reply("T7", "1", 1)),
                  reply(move_reply("T8", "2", 1)),
                  reply(logout_reply("T9"))};
  scripted_server server(o, steps, {disposition::processed, disposition::quarantine});
  const std::string t = server.run();
  CHECK(t.find("C: T2 CREATE \"Support/Done \\\"ok\\\"\"\n") != std::string::npos);
  CHECK(t.find("C: T3 CREATE \"Support\\\\Quarantine\"\n") != std::string::npos);
  CHECK(t.find("C: T4 SELECT \"Support\"\n") != std::string::npos);
  CHECK(t.find("C: T7 UID MOVE 1 \"Support/Done \\\"ok\\\"\"\n") != std::string::npos);
  CHECK(t.find("C: T8 UID MOVE 2 \"Support\\\\Quarantine\"\n") != std::string::npos);
  CHECK(server.violations() == "");
}

TEST_CASE("happy path: the password is quoted with escapes") {
  auto o = base_options();
  o.password = "p\"w\\d";
  script steps = {push(greeting), reply("T1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")};
  scripted_server server(o, steps);
  CHECK(server.run() ==
        lines({{"read 10000ms", "C: T1 LOGIN \"support@example.com\" \"p\\\"w\\\\d\"",
                "fail authentication_failed: Authentication failed."}}));
}

TEST_CASE("happy path: an ALERT is passed on as a notice") {
  script steps = {push(greeting),
                  reply("* OK [ALERT] Mailbox is at 95% of quota\r\n" + login_ok("T1")),
                  reply(create_exists("T2")),
                  reply(create_exists("T3")),
                  reply(select_reply("T4", 0)),
                  reply(search_reply("T5", "")),
                  reply(logout_reply("T6"))};
  scripted_server server(base_options(), steps);
  CHECK(server.run().find("notice: server alert: Mailbox is at 95% of quota\n") !=
        std::string::npos);
  CHECK(server.last().what == action::kind::done);
}

// =============================================================================================
// 2. Dispositions.

TEST_CASE("dispositions: quarantine moves to the quarantine folder") {
  script steps =
      setup() + script{reply(search_reply("T5", "1 2 3")), reply(fetch_reply("T6", three)),
                       reply(move_reply("T7", "1:3", 3)), reply(logout_reply("T8"))};
  scripted_server server(
      base_options(), steps,
      {disposition::quarantine, disposition::quarantine, disposition::quarantine});
  CHECK(server.run() == lines({setup_lines,
                               {"C: T5 " + search_cmd, "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                                deliver_line(1, mail1, disposition::quarantine),
                                deliver_line(2, mail2, disposition::quarantine),
                                deliver_line(3, mail3, disposition::quarantine),
                                "commit",
                                "C: T7 UID MOVE 1:3 \"Quarantine\"", "C: T8 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("dispositions: keep leaves the messages where they are") {
  script steps = setup() + script{reply(search_reply("T5", "1 2 3")),
                                  reply(fetch_reply("T6", three)), reply(logout_reply("T7"))};
  scripted_server server(base_options(), steps,
                         {disposition::keep, disposition::keep, disposition::keep});
  CHECK(
      server.run() ==
      lines({setup_lines,
             {"C: T5 " + search_cmd, "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
              deliver_line(1, mail1, disposition::keep), deliver_line(2, mail2, disposition::keep),
              deliver_line(3, mail3, disposition::keep), "commit", "C: T7 LOGOUT", "done"}}));
  CHECK_FALSE(server.wrote("MOVE"));
  CHECK(server.session().delivered() == 3);
}

TEST_CASE("dispositions: mixed, processed first then quarantine, kept ones untouched") {
  const std::vector<std::pair<std::uint32_t, std::string>> five = {
      {1, mail1}, {2, mail2}, {3, mail3}, {4, mail4}, {5, mail(5)}};
  script steps = setup(post_login_caps, 5) +
                 script{reply(search_reply("T5", "1 2 3 4 5")), reply(fetch_reply("T6", five)),
                        reply(move_reply("T7", "1,3,5", 3)), reply(move_reply("T8", "2", 1)),
                        reply(logout_reply("T9"))};
  scripted_server server(base_options(), steps,
                         {disposition::processed, disposition::quarantine, disposition::processed,
                          disposition::keep, disposition::processed});
  const std::string t = server.run();
  CHECK(t.find("C: T7 UID MOVE 1,3,5 \"Processed\"\nC: T8 UID MOVE 2 \"Quarantine\"\n"
               "C: T9 LOGOUT\ndone\n") != std::string::npos);
  CHECK(server.violations() == "");
}

TEST_CASE("dispositions: every combination for three messages moves exactly the answered ones") {
  const disposition all[] = {disposition::processed, disposition::quarantine, disposition::keep};
  for (auto d1 : all)
    for (auto d2 : all)
      for (auto d3 : all) {
        const std::vector<disposition> ds = {d1, d2, d3};
        std::vector<std::uint32_t> processed, quarantined;
        for (std::uint32_t uid = 1; uid <= 3; ++uid) {
          if (ds[uid - 1] == disposition::processed) processed.push_back(uid);
          if (ds[uid - 1] == disposition::quarantine) quarantined.push_back(uid);
        }
        // A server that answers every command OK: the transcript is what matters.
        script steps =
            setup() + script{reply(search_reply("T5", "1 2 3")), reply(fetch_reply("T6", three))};
        for (int tag = 7; tag <= 9; ++tag)
          steps.push_back(respond([tag](const std::string& cmd) {
            const std::string t = "T" + std::to_string(tag);
            return cmd.find("LOGOUT") != std::string::npos ? logout_reply(t) : ok(t, "Move");
          }));
        scripted_server server(base_options(), steps, ds);
        server.run();
        CAPTURE(disposition_name(d1));
        CAPTURE(disposition_name(d2));
        CAPTURE(disposition_name(d3));
        CHECK(server.violations() == "");
        CHECK(server.last().what == action::kind::done);
        CHECK(server.wrote("UID MOVE " + imap::uid_set(processed) + " \"Processed\"\r\n") ==
              !processed.empty());
        CHECK(server.wrote("UID MOVE " + imap::uid_set(quarantined) + " \"Quarantine\"\r\n") ==
              !quarantined.empty());
      }
}

// =============================================================================================
// 3. Servers without MOVE.

TEST_CASE("no MOVE, UIDPLUS: UID COPY, UID STORE +FLAGS.SILENT (\\Deleted), UID EXPUNGE") {
  scripted_server server(base_options(), copy_script());
  CHECK(server.run() ==
        lines({setup_lines,
               {"C: T5 " + search_cmd, "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                deliver_line(1, mail1), deliver_line(2, mail2), deliver_line(3, mail3),
                "commit",
                "C: T7 UID COPY 1:3 \"Processed\"", "C: T8 UID STORE 1:3 +FLAGS.SILENT (\\Deleted)",
                "C: T9 UID EXPUNGE 1:3", "C: T10 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("no MOVE, UIDPLUS: processed and quarantined each get their own COPY/STORE/EXPUNGE") {
  script steps =
      setup(caps_without(post_login_caps, {"MOVE"})) + script{reply(search_reply("T5", "1 2 3")),
                                                              reply(fetch_reply("T6", three)),
                                                              reply(ok("T7", "Copy")),
                                                              reply(ok("T8", "Store")),
                                                              reply(ok("T9", "Expunge")),
                                                              reply(ok("T10", "Copy")),
                                                              reply(ok("T11", "Store")),
                                                              reply(ok("T12", "Expunge")),
                                                              reply(logout_reply("T13"))};
  scripted_server server(base_options(), steps,
                         {disposition::processed, disposition::quarantine, disposition::processed});
  const std::string t = server.run();
  CHECK(t.find("C: T7 UID COPY 1,3 \"Processed\"\n"
               "C: T8 UID STORE 1,3 +FLAGS.SILENT (\\Deleted)\n"
               "C: T9 UID EXPUNGE 1,3\n"
               "C: T10 UID COPY 2 \"Quarantine\"\n"
               "C: T11 UID STORE 2 +FLAGS.SILENT (\\Deleted)\n"
               "C: T12 UID EXPUNGE 2\n"
               "C: T13 LOGOUT\n"
               "done\n") != std::string::npos);
  CHECK(server.violations() == "");
}

TEST_CASE("no MOVE, no UIDPLUS: copied and flagged, never expunged, with a notice") {
  script steps =
      setup(caps_without(post_login_caps, {"MOVE", "UIDPLUS"})) +
      script{reply(search_reply("T5", "1 2 3")), reply(fetch_reply("T6", three)),
             reply(ok("T7", "Copy")), reply(ok("T8", "Store")), reply(logout_reply("T9"))};
  scripted_server server(base_options(), steps);
  CHECK(server.run() ==
        lines({setup_lines,
               {"C: T5 " + search_cmd, "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                deliver_line(1, mail1), deliver_line(2, mail2), deliver_line(3, mail3),
                "commit",
                "C: T7 UID COPY 1:3 \"Processed\"", "C: T8 UID STORE 1:3 +FLAGS.SILENT (\\Deleted)",
                "notice: server lacks UIDPLUS: copied messages left flagged \\Deleted in INBOX",
                "C: T9 LOGOUT", "done"}}));
  CHECK_FALSE(server.wrote("EXPUNGE"));
  CHECK(server.violations() == "");
}

// Without MOVE and UIDPLUS, copied messages stay in the folder flagged \Deleted: the next
// pass's search must skip them, or every pass would deliver and copy them again.
TEST_CASE("no MOVE, no UIDPLUS: the next pass does not fetch the flagged messages again") {
  auto o = base_options();
  o.once = false;
  o.use_idle = false;
  // The server is honest: the flagged messages are still there, and only UNDELETED skips them.
  const auto search = [](const std::string& tag) {
    return respond([tag](const std::string& cmd) {
      return search_reply(tag, cmd.find("UNDELETED") != std::string::npos ? "" : "1 2 3");
    });
  };
  script steps = setup(caps_without(post_login_caps, {"MOVE", "UIDPLUS"})) +
                 script{reply(search_reply("T5", "1 2 3")),
                        reply(fetch_reply("T6", three)),
                        reply(ok("T7", "Copy")),
                        reply(ok("T8", "Store")),
                        elapse(),
                        search("T9"),
                        interrupt(),
                        reply(logout_reply("T10"))};
  scripted_server server(o, steps);
  server.run();
  CHECK(std::count_if(server.writes().begin(), server.writes().end(), [](const std::string& w) {
          return w.find("UID FETCH") != std::string::npos;
        }) == 1);
  CHECK(server.last().what == action::kind::done);
  CHECK(server.violations() == "");
}

// =============================================================================================
// 3b. Mail an earlier run recorded: its move may have been cut short after the server had copied
// it (Dovecot killed inside its own MOVE leaves the message in both folders).

std::string examine_reply(const std::string& tag, int exists, std::uint32_t validity) {
  return "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
         "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n* " +
         std::to_string(exists) + " EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY " +
         std::to_string(validity) + "] UIDs valid\r\n" + tag +
         " OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\r\n";
}

/// The exact-size bounds of a copy check for `raw`.
std::string size_bounds(const std::string& raw) {
  return "LARGER " + std::to_string(raw.size() - 1) + " SMALLER " + std::to_string(raw.size() + 1);
}

// Three mails; 1 and 3 were recorded by an earlier run (1 for Processed, 3 for Quarantine), 2
// is new. The copy of 1 is in Processed; 3 never reached Quarantine.
const std::vector<disposition> copy_check_dispositions = {
    disposition::processed, disposition::processed, disposition::quarantine};
const std::map<std::uint32_t, std::string> copy_check_earlier = {{1, "m1@example.net"},
                                                                 {3, "m3@example.net"}};

script copy_check_script() {
  return setup() + script{reply(search_reply("T5", "1 2 3")),
                          reply(fetch_reply("T6", three, 1, true)),
                          reply(examine_reply("T7", 40, 1700000555)),
                          reply(search_reply("T8", "38")),
                          reply(examine_reply("T9", 2, 1700000777)),
                          reply(search_reply("T10", "")),
                          reply(select_reply("T11", 3)),
                          reply(ok("T12", "Store")),
                          reply("* 1 EXPUNGE\r\n" + ok("T13", "Expunge")),
                          reply(move_reply("T14", "2", 1)),
                          reply(move_reply("T15", "3", 1)),
                          reply(logout_reply("T16"))};
}

TEST_CASE("earlier runs: a copy already in the target is not made twice, only the original goes") {
  scripted_server server(base_options(), copy_check_script(), copy_check_dispositions,
                         copy_check_earlier);
  CHECK(server.run() ==
        lines({setup_lines,
               {"C: T5 " + search_cmd,
                "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                deliver_line(1, mail1), deliver_line(2, mail2),
                deliver_line(3, mail3, disposition::quarantine), "commit",
                "C: T7 EXAMINE \"Processed\"",
                "C: T8 UID SEARCH HEADER Message-ID \"m1@example.net\" " + size_bounds(mail1),
                "notice: uid 1: already in Processed (an interrupted move had copied it); "
                "removing it from INBOX instead of copying it again",
                "C: T9 EXAMINE \"Quarantine\"",
                "C: T10 UID SEARCH HEADER Message-ID \"m3@example.net\" " + size_bounds(mail3),
                "C: T11 SELECT \"INBOX\"", "C: T12 UID STORE 1 +FLAGS.SILENT (\\Deleted)",
                "C: T13 UID EXPUNGE 1", "C: T14 UID MOVE 2 \"Processed\"",
                "C: T15 UID MOVE 3 \"Quarantine\"", "C: T16 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("earlier runs: the folder's UIDVALIDITY changed meanwhile -> command_failed, no STORE") {
  auto steps = copy_check_script();
  steps.resize(steps.size() - 6);  // up to the SELECT
  steps.push_back(
      reply("* 3 EXISTS\r\n* OK [UIDVALIDITY 1800000000] UIDs valid\r\nT11 OK [READ-WRITE] Select "
            "completed.\r\n"));
  scripted_server server(base_options(), steps, copy_check_dispositions, copy_check_earlier);
  const std::string t = server.run();
  CHECK(t.find("C: T11 SELECT \"INBOX\"\nfail command_failed: UIDVALIDITY of INBOX changed "
               "from 1700000000 to 1800000000\n") != std::string::npos);
  CHECK_FALSE(server.wrote("UID STORE"));
  CHECK_FALSE(server.wrote("UID MOVE"));
  CHECK(server.violations() == "");
}

TEST_CASE("earlier runs: a refused EXAMINE or SEARCH moves the message as usual") {
  script steps = setup() + script{reply(search_reply("T5", "1 2 3")),
                                  reply(fetch_reply("T6", three, 1, true)),
                                  reply("T7 NO Mailbox doesn't exist: Processed\r\n"),
                                  reply(examine_reply("T8", 2, 1700000777)),
                                  reply("T9 BAD Error in IMAP command SEARCH\r\n"),
                                  reply(select_reply("T10", 3)),
                                  reply(move_reply("T11", "1:2", 2)),
                                  reply(move_reply("T12", "3", 1)),
                                  reply(logout_reply("T13"))};
  scripted_server server(base_options(), steps, copy_check_dispositions, copy_check_earlier);
  const std::string t = server.run();
  CHECK(t.find("C: T7 EXAMINE \"Processed\"\nnotice: EXAMINE Processed: Mailbox doesn't exist: "
               "Processed (moving its messages "
               "without looking for earlier copies)") != std::string::npos);
  CHECK(server.wrote("T8 EXAMINE \"Quarantine\""));
  CHECK(t.find("notice: UID SEARCH in Quarantine: Error in IMAP command SEARCH (moving the "
               "message without looking for an earlier copy)") != std::string::npos);
  CHECK(t.find("C: T11 UID MOVE 1:2 \"Processed\"\nC: T12 UID MOVE 3 \"Quarantine\"\n") !=
        std::string::npos);
  CHECK_FALSE(server.wrote("UID STORE"));
  CHECK(server.violations() == "");
}

TEST_CASE("earlier runs: no size, a Message-ID that cannot be searched, or a failed commit") {
  // The three mails fetched (with or without their sizes) and moved without a copy check.
  const auto moved_as_usual = [](bool with_sizes) {
    return setup() + script{reply(search_reply("T5", "1 2 3")),
                            reply(fetch_reply("T6", three, 1, with_sizes)),
                            reply(move_reply("T7", "1:2", 2)), reply(move_reply("T8", "3", 1)),
                            reply(logout_reply("T9"))};
  };
  SUBCASE("the server reported no RFC822.SIZE: moved without looking") {
    scripted_server server(base_options(), moved_as_usual(false), copy_check_dispositions,
                           copy_check_earlier);
    server.run();
    CHECK_FALSE(server.wrote("EXAMINE"));
    CHECK(server.wrote("T7 UID MOVE 1:2 \"Processed\""));
    CHECK(server.violations() == "");
  }
  SUBCASE("a Message-ID with 8-bit bytes or a control character never goes into a SEARCH") {
    scripted_server server(base_options(), moved_as_usual(true), copy_check_dispositions,
                           {{1, "caf\xC3\xA9@example.net"}, {3, "a\tb@example.net"}});
    server.run();
    CHECK_FALSE(server.wrote("EXAMINE"));
    CHECK(server.wrote("T8 UID MOVE 3 \"Quarantine\""));
    CHECK(server.violations() == "");
  }
  SUBCASE("the batch's commit fails: nothing is looked for, nothing moved") {
    script steps =
        setup() + script{reply(search_reply("T5", "1 2 3")),
                         reply(fetch_reply("T6", three, 1, true)), reply(logout_reply("T7"))};
    scripted_server server(base_options(), steps, copy_check_dispositions, copy_check_earlier);
    run_options r;
    r.fail_commit = 1;
    server.run(r);
    CHECK_FALSE(server.wrote("EXAMINE"));
    CHECK_FALSE(server.wrote("UID MOVE"));
    CHECK(server.wrote("T7 LOGOUT"));
    CHECK(server.violations() == "");
  }
}

// =============================================================================================
// 4. Batching.

TEST_CASE("batching: fetch_batch=2 over five unsorted UIDs fetches in three batches") {
  auto o = base_options();
  o.fetch_batch = 2;
  const auto m = [](int n) { return mail(n); };
  script steps =
      setup(post_login_caps, 5) + script{reply(search_reply("T5", "20 3 12 7 8")),
                                         reply(fetch_reply("T6", {{3, m(3)}, {7, m(7)}})),
                                         reply(move_reply("T7", "3,7", 2)),
                                         reply(fetch_reply("T8", {{8, m(8)}, {12, m(12)}})),
                                         reply(move_reply("T9", "8,12", 2)),
                                         reply(fetch_reply("T10", {{20, m(20)}})),
                                         reply(move_reply("T11", "20", 1)),
                                         reply(logout_reply("T12"))};
  scripted_server server(o, steps);
  const auto d = [&](std::uint32_t uid) {
    return "deliver uid=" + std::to_string(uid) + " uidvalidity=" + std::to_string(uidvalidity) +
           " " + std::to_string(mail(static_cast<int>(uid)).size()) + " bytes -> processed";
  };
  CHECK(server.run() ==
        lines({setup_lines,
               {"C: T5 " + search_cmd, "C: T6 UID FETCH 3,7 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)", d(3), d(7),
                "commit",
                "C: T7 UID MOVE 3,7 \"Processed\"", "C: T8 UID FETCH 8,12 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)", d(8),
                d(12), "commit", "C: T9 UID MOVE 8,12 \"Processed\"", "C: T10 UID FETCH 20 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                d(20), "commit", "C: T11 UID MOVE 20 \"Processed\"", "C: T12 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("group commit: a batch whose commit fails is neither moved nor lost") {
  script steps = setup() + script{reply(search_reply("T5", "1 2 3")),
                                  reply(fetch_reply("T6", three)), reply(logout_reply("T7"))};
  scripted_server server(base_options(), steps);
  run_options r;
  r.fail_commit = 1;
  CHECK(server.run(r) ==
        lines({setup_lines,
               {"C: T5 " + search_cmd,
                "C: T6 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                deliver_line(1, mail1), deliver_line(2, mail2), deliver_line(3, mail3),
                "commit -> fails",
                "notice: the batch was not stored; its mail stays in INBOX for the next pass",
                "C: T7 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("group commit: one failed batch of three stays behind, the others are moved") {
  auto o = base_options();
  o.fetch_batch = 2;
  const auto m = [](int n) { return mail(n); };
  script steps =
      setup(post_login_caps, 5) + script{reply(search_reply("T5", "20 3 12 7 8")),
                                         reply(fetch_reply("T6", {{3, m(3)}, {7, m(7)}})),
                                         reply(move_reply("T7", "3,7", 2)),
                                         reply(fetch_reply("T8", {{8, m(8)}, {12, m(12)}})),
                                         reply(fetch_reply("T9", {{20, m(20)}})),
                                         reply(move_reply("T10", "20", 1)),
                                         reply(logout_reply("T11"))};
  scripted_server server(o, steps);
  run_options r;
  r.fail_commit = 2;
  server.run(r);
  CHECK(server.delivered().size() == 5);
  CHECK(server.wrote("T7 UID MOVE 3,7 "));
  CHECK_FALSE(server.wrote("UID MOVE 8"));
  CHECK(server.wrote("T10 UID MOVE 20 "));
  CHECK(server.last().what == action::kind::done);
  CHECK(server.violations() == "");
}

TEST_CASE("group commit: a failed commit in a running session looks again within retry_kept") {
  auto o = base_options();
  o.once = false;
  script steps = setup() + script{reply(search_reply("T5", "1")),
                                  reply(fetch_reply("T6", {{1, mail1}})), elapse(),
                                  reply(search_reply("T7", "1")),
                                  reply(fetch_reply("T8", {{1, mail1}})),
                                  reply(move_reply("T9", "1", 1)), reply("+ idling\r\n"),
                                  interrupt(), reply(ok("T10", "Idle")),
                                  reply(logout_reply("T11"))};
  scripted_server server(o, steps);
  run_options r;
  r.fail_commit = 1;
  const std::string t = server.run(r);
  CHECK(t.find("commit -> fails\nnotice: the batch was not stored; its mail stays in INBOX for "
               "the next pass\nwait " +
               std::to_string(o.retry_kept.count()) + "ms interruptible\n-- elapsed\n") !=
        std::string::npos);
  CHECK(server.wrote("T9 UID MOVE 1 "));
  CHECK(server.violations() == "");
}

/// fetch_batch_bytes = 100 over sizes 40, 50, 200, 10: batches {1,2}, {3} alone, {4}.
script sized_script() {
  const auto m = [](int n) { return mail(n); };
  return setup(post_login_caps, 4) +
         script{reply(search_reply("T5", "4 2 1 3")),
                reply(sizes_reply("T6", {{1, 40}, {2, 50}, {3, 200}, {4, 10}})),
                reply(fetch_reply("T7", {{1, m(1)}, {2, m(2)}})), reply(move_reply("T8", "1:2", 2)),
                reply(fetch_reply("T9", {{3, m(3)}})), reply(move_reply("T10", "3", 1)),
                reply(fetch_reply("T11", {{4, m(4)}})), reply(move_reply("T12", "4", 1)),
                reply(logout_reply("T13"))};
}
imap::session_options sized_options() {
  auto o = base_options();
  o.fetch_batch_bytes = 100;
  return o;
}

TEST_CASE("batching by bytes: sizes first, then batches within the budget; a larger mail alone") {
  scripted_server server(sized_options(), sized_script());
  const auto d = [&](std::uint32_t uid) {
    return "deliver uid=" + std::to_string(uid) + " uidvalidity=" + std::to_string(uidvalidity) +
           " " + std::to_string(mail(static_cast<int>(uid)).size()) + " bytes -> processed";
  };
  const std::string fetch = " (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)";
  CHECK(server.run() ==
        lines({setup_lines,
               {"C: T5 " + search_cmd, "C: T6 UID FETCH 1:4 (UID RFC822.SIZE)",
                "C: T7 UID FETCH 1:2" + fetch, d(1), d(2), "commit",
                "C: T8 UID MOVE 1:2 \"Processed\"", "C: T9 UID FETCH 3" + fetch, d(3), "commit",
                "C: T10 UID MOVE 3 \"Processed\"", "C: T11 UID FETCH 4" + fetch, d(4), "commit",
                "C: T12 UID MOVE 4 \"Processed\"", "C: T13 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("batching by bytes: a refused size pass falls back to batches by count") {
  script steps = setup() + script{reply(search_reply("T5", "1 2 3")),
                                  reply("T6 NO [SERVERBUG] sizes unavailable\r\n"),
                                  reply(fetch_reply("T7", three)),
                                  reply(move_reply("T8", "1:3", 3)), reply(logout_reply("T9"))};
  scripted_server server(sized_options(), steps);
  const std::string t = server.run();
  CHECK(t.find("notice: UID FETCH RFC822.SIZE: sizes unavailable (batching by count)") !=
        std::string::npos);
  CHECK(server.wrote("T7 UID FETCH 1:3 (UID RFC822.SIZE BODY.PEEK"));
  CHECK(server.delivered().size() == 3);
  CHECK(server.violations() == "");
}

TEST_CASE("batching by bytes: one mail needs no size pass") {
  script steps = setup() + script{reply(search_reply("T5", "1")),
                                  reply(fetch_reply("T6", {{1, mail1}})),
                                  reply(move_reply("T7", "1", 1)), reply(logout_reply("T8"))};
  scripted_server server(sized_options(), steps);
  server.run();
  CHECK_FALSE(server.wrote("(UID RFC822.SIZE)"));
  CHECK(server.wrote("T6 UID FETCH 1 (UID RFC822.SIZE BODY.PEEK"));
  CHECK(server.violations() == "");
}

TEST_CASE("batching: an empty SEARCH fetches nothing") {
  script steps =
      setup(post_login_caps, 0) + script{reply(search_reply("T5", "")), reply(logout_reply("T6"))};
  scripted_server server(base_options(), steps);
  CHECK(server.run() == lines({setup_lines, {"C: T5 " + search_cmd, "C: T6 LOGOUT", "done"}}));
  CHECK_FALSE(server.wrote("FETCH"));
}

// =============================================================================================
// 5. Empty bodies.

TEST_CASE("empty bodies: {0}, \"\" and NIL are not delivered, not moved, and noted") {
  std::string fetch =
      "* 1 FETCH (UID 1 BODY[] {0}\r\n)\r\n"
      "* 2 FETCH (UID 2 BODY[] " +
      literal(mail2) +
      ")\r\n"
      "* 3 FETCH (UID 3 BODY[] NIL)\r\n"
      "* 4 FETCH (UID 4 BODY[] \"\")\r\n"
      "T6 OK Fetch completed (0.001 + 0.000 secs).\r\n";
  script steps = setup(post_login_caps, 4) + script{reply(search_reply("T5", "1 2 3 4")),
                                                    reply(fetch), reply(move_reply("T7", "2", 1)),
                                                    reply(logout_reply("T8"))};
  scripted_server server(base_options(), steps);
  const std::string note = ": server returned an empty body; left in the folder for the next pass";
  CHECK(server.run() == lines({setup_lines,
                               {"C: T5 " + search_cmd, "C: T6 UID FETCH 1:4 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)",
                                "notice: uid 1" + note, deliver_line(2, mail2),
                                "notice: uid 3" + note, "notice: uid 4" + note,
                                "commit",
                                "C: T7 UID MOVE 2 \"Processed\"", "C: T8 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("empty bodies: a batch of only empty bodies moves nothing") {
  script steps = setup(post_login_caps, 1) +
                 script{reply(search_reply("T5", "1")),
                        reply("* 1 FETCH (UID 1 BODY[] NIL)\r\n" + ok("T6", "Fetch")),
                        reply(logout_reply("T7"))};
  scripted_server server(base_options(), steps);
  server.run();
  CHECK(server.delivered().empty());
  CHECK_FALSE(server.wrote("MOVE"));
  CHECK(server.last().what == action::kind::done);
}

TEST_CASE("fetch: UID after the body (as some servers order it) is still matched") {
  script steps =
      setup(post_login_caps, 1) +
      script{reply(search_reply("T5", "1")),
             reply("* 1 FETCH (BODY[] " + literal(mail1) + " UID 1)\r\n" + ok("T6", "Fetch")),
             reply(move_reply("T7", "1", 1)), reply(logout_reply("T8"))};
  scripted_server server(base_options(), steps);
  server.run();
  REQUIRE(server.delivered().size() == 1);
  CHECK(server.delivered()[0].uid == 1);
  CHECK(server.wrote("T7 UID MOVE 1 \"Processed\"\r\n"));
}

TEST_CASE("fetch: unsolicited FETCH without a body (a flag change) is not a message") {
  script steps = setup(post_login_caps, 1) +
                 script{reply(search_reply("T5", "1")),
                        reply("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"
                              "* 1 FETCH (UID 1 BODY[] " +
                              literal(mail1) + ")\r\n" + ok("T6", "Fetch")),
                        reply(move_reply("T7", "1", 1)), reply(logout_reply("T8"))};
  scripted_server server(base_options(), steps);
  server.run();
  REQUIRE(server.delivered().size() == 1);
  CHECK(server.delivered()[0].raw == mail1);
  CHECK(server.violations() == "");
}

// A UID above 2^32-1 must be refused, not truncated: truncated, the body would be committed
// under another message's UID and `UID MOVE 1` would move a message never fetched.
TEST_CASE("fetch: a UID beyond 32 bits is not delivered as a truncated UID") {
  script steps = setup(post_login_caps, 1) +
                 script{reply(search_reply("T5", "1")),
                        reply("* 1 FETCH (UID 4294967297 BODY[] " + literal(mail1) + ")\r\n" +
                              ok("T6", "Fetch")),
                        reply(move_reply("T7", "1", 1)), reply(logout_reply("T8"))};
  scripted_server server(base_options(), steps);
  server.run();
  for (const auto& m : server.delivered()) CHECK(m.uid != 1);
  CHECK_FALSE(server.wrote("UID MOVE 1 "));
}

// =============================================================================================
// 6. TLS.

TEST_CASE("starttls: STARTTLS, handshake, CAPABILITY again, then LOGIN") {
  scripted_server server(starttls_options(), starttls_script());
  CHECK(server.run(cleartext()) ==
        lines({{"read 10000ms", "C: T1 STARTTLS", "start_tls", "C: T2 CAPABILITY",
                "C: T3 LOGIN \"support@example.com\" \"s3cret\"", "C: T4 CREATE \"Processed\"",
                "C: T5 CREATE \"Quarantine\"", "C: T6 SELECT \"INBOX\"", "C: T7 " + search_cmd,
                "C: T8 UID FETCH 1 (UID RFC822.SIZE BODY.PEEK[]<0.67108864>)", deliver_line(1, mail1),
                "commit",
                "C: T9 UID MOVE 1 \"Processed\"", "C: T10 LOGOUT", "done"}}));
  CHECK(server.violations() == "");
}

TEST_CASE("starttls: bytes pipelined before the handshake are discarded (STARTTLS injection)") {
  // A man in the middle appends a capability list and a completion for the CAPABILITY command
  // the client will send after the handshake; neither may be believed.
  script steps = {push(greeting_with(pre_login_caps + " STARTTLS LOGINDISABLED")),
                  reply("T1 OK Begin TLS negotiation now.\r\n"
                        "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n"
                        "T2 OK [CAPABILITY IMAP4rev1 LOGINDISABLED] injected\r\n"),
                  reply(capability_reply("T2", pre_login_caps)),
                  reply("T3 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")};
  scripted_server server(starttls_options(), steps);
  CHECK(server.run(cleartext()) ==
        lines({{"read 10000ms", "C: T1 STARTTLS", "start_tls", "C: T2 CAPABILITY",
                "C: T3 LOGIN \"support@example.com\" \"s3cret\"",
                "fail authentication_failed: Authentication failed."}}));
  CHECK(server.session().capabilities().count("LOGINDISABLED") == 0);
  CHECK(server.violations() == "");
}

TEST_CASE(
    "starttls: the session asks for capabilities before STARTTLS when the greeting has none") {
  script steps = {push(bare_greeting),
                  reply(capability_reply("T1", pre_login_caps + " STARTTLS LOGINDISABLED")),
                  reply("T2 OK Begin TLS negotiation now.\r\n"),
                  reply(capability_reply("T3", pre_login_caps)),
                  reply("T4 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")};
  scripted_server server(starttls_options(), steps);
  CHECK(server.run(cleartext()) ==
        lines({{"read 10000ms", "C: T1 CAPABILITY", "C: T2 STARTTLS", "start_tls",
                "C: T3 CAPABILITY", "C: T4 LOGIN \"support@example.com\" \"s3cret\"",
                "fail authentication_failed: Authentication failed."}}));
}

TEST_CASE("starttls: not offered -> starttls_unavailable, no LOGIN") {
  scripted_server server(starttls_options(), {push(greeting)});
  CHECK(server.run(cleartext()) ==
        lines({{"read 10000ms", "fail starttls_unavailable: server does not offer STARTTLS"}}));
  CHECK_FALSE(server.wrote("LOGIN"));
}

TEST_CASE("starttls: refused by the server -> starttls_unavailable") {
  scripted_server server(starttls_options(), {push(greeting_with(pre_login_caps + " STARTTLS")),
                                              reply("T1 BAD TLS support isn't enabled.\r\n")});
  CHECK(server.run(cleartext()) ==
        lines({{"read 10000ms", "C: T1 STARTTLS",
                "fail starttls_unavailable: STARTTLS: TLS support isn't enabled."}}));
}

TEST_CASE("tls: implicit TLS but the connection is cleartext -> cleartext_refused, no LOGIN") {
  scripted_server server(base_options(), {push(greeting)});
  CHECK(
      server.run(cleartext()) ==
      lines({{"read 10000ms", "fail cleartext_refused: refusing to send a password without TLS"}}));
  CHECK(server.writes().empty());
}

TEST_CASE("tls: none allows LOGIN in cleartext") {
  auto o = base_options();
  o.tls = tls_mode::none;
  scripted_server server(o, happy_script());
  CHECK(server.run(cleartext()) == lines({setup_lines, happy_lines}));
  CHECK(server.violations() == "");
}

TEST_CASE("tls: none but the server disables LOGIN -> authentication_failed, no LOGIN") {
  auto o = base_options();
  o.tls = tls_mode::none;
  scripted_server server(o, {push(greeting_with(pre_login_caps + " STARTTLS LOGINDISABLED"))});
  CHECK(server.run(cleartext()) ==
        lines({{"read 10000ms",
                "fail authentication_failed: server disables LOGIN on this connection"}}));
}

TEST_CASE("tls: PREAUTH over cleartext while TLS is required -> cleartext_refused") {
  for (auto mode : {tls_mode::implicit, tls_mode::starttls}) {
    auto o = base_options();
    o.tls = mode;
    scripted_server server(
        o, {push("* PREAUTH [CAPABILITY " + post_login_caps + "] Logged in as support\r\n")});
    CHECK(server.run(cleartext()) ==
          lines({{"read 10000ms",
                  "fail cleartext_refused: cleartext PREAUTH greeting while TLS is required"}}));
    CHECK(server.writes().empty());
  }
}

TEST_CASE("tls: PREAUTH over TLS skips LOGIN") {
  script steps = {push("* PREAUTH [CAPABILITY " + post_login_caps + "] Logged in as support\r\n"),
                  reply(create_exists("T1")),
                  reply(create_exists("T2")),
                  reply(select_reply("T3", 0)),
                  reply(search_reply("T4", "")),
                  reply(logout_reply("T5"))};
  scripted_server server(base_options(), steps);
  CHECK(server.run() ==
        lines({{"read 10000ms", "C: T1 CREATE \"Processed\"", "C: T2 CREATE \"Quarantine\"",
                "C: T3 SELECT \"INBOX\"", "C: T4 " + search_cmd, "C: T5 LOGOUT", "done"}}));
}

TEST_CASE("login: a user name or password with a line break is never sent") {
  for (const std::string& bad : {"s3cret\r\nT2 DELETE INBOX"s, "line\nbreak"s, "nul\0"s}) {
    auto o = base_options();
    o.password = bad;
    scripted_server server(o, {push(greeting)});
    CHECK(server.run() ==
          lines({{"read 10000ms",
                  "fail authentication_failed: user name or password contains a line break"}}));
    CHECK(server.writes().empty());
  }
}

// =============================================================================================
// 7. Failures.

TEST_CASE("failures: LOGIN NO -> authentication_failed with the server's text") {
  scripted_server server(
      base_options(),
      {push(greeting), reply("T1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")});
  server.run();
  REQUIRE(server.last().what == action::kind::fail);
  CHECK(server.last().error == imap::error::authentication_failed);
  CHECK(server.last().detail == "Authentication failed.");
}

TEST_CASE("failures: SELECT NO -> command_failed") {
  script steps = {push(greeting), reply(login_ok("T1")), reply(create_exists("T2")),
                  reply(create_exists("T3")), reply("T4 NO Mailbox doesn't exist: INBOX\r\n")};
  scripted_server server(base_options(), steps);
  CHECK(server.run() ==
        lines({setup_lines, {"fail command_failed: SELECT INBOX: Mailbox doesn't exist: INBOX"}}));
}

TEST_CASE("failures: SELECT without UIDVALIDITY -> no_uidvalidity") {
  script steps = {push(greeting), reply(login_ok("T1")), reply(create_exists("T2")),
                  reply(create_exists("T3")), reply(select_reply("T4", 3, false))};
  scripted_server server(base_options(), steps);
  CHECK(server.run() == lines({setup_lines, {"fail no_uidvalidity: SELECT gave no UIDVALIDITY"}}));
  CHECK(server.delivered().empty());
}

TEST_CASE("failures: SEARCH, FETCH and MOVE refused -> command_failed, nothing moved") {
  SUBCASE("SEARCH BAD") {
    scripted_server server(base_options(),
                           setup() + script{reply("T5 BAD Error in IMAP command UID SEARCH\r\n")});
    CHECK(server.run() == lines({setup_lines,
                                 {"C: T5 " + search_cmd,
                                  "fail command_failed: UID SEARCH: Error in IMAP "
                                  "command UID SEARCH"}}));
  }
  SUBCASE("FETCH NO") {
    scripted_server server(
        base_options(),
        setup() + script{reply(search_reply("T5", "1 2 3")),
                         reply("T6 NO Some of the requested messages no longer exist\r\n")});
    server.run();
    CHECK(server.last().error == imap::error::command_failed);
    CHECK(server.delivered().empty());
  }
  SUBCASE("MOVE NO [TRYCREATE]") {
    scripted_server server(
        base_options(),
        setup() + script{reply(search_reply("T5", "1 2 3")), reply(fetch_reply("T6", three)),
                         reply("T7 NO [TRYCREATE] Mailbox doesn't exist: Processed\r\n")});
    const std::string t = server.run();
    CHECK(t.find("fail command_failed: moving to Processed: Mailbox doesn't exist: Processed\n") !=
          std::string::npos);
    CHECK(server.violations() == "");
  }
}

TEST_CASE("failures: BYE as greeting -> connection_closed with the server's text") {
  scripted_server server(base_options(),
                         {push("* BYE Maximum number of connections from user+IP exceeded "
                               "(mail_max_userip_connections=10)\r\n")});
  server.run();
  REQUIRE(server.last().what == action::kind::fail);
  CHECK(server.last().error == imap::error::connection_closed);
  CHECK(server.last().detail.find("mail_max_userip_connections=10") != std::string::npos);
}

TEST_CASE("failures: timeouts are named after the step") {
  SUBCASE("greeting") {
    scripted_server server(base_options(), {timeout()});
    CHECK(server.run() == lines({{"read 10000ms", "-- timeout",
                                  "fail greeting_timeout: no answer from the server"}}));
  }
  SUBCASE("a command") {
    scripted_server server(base_options(), {push(greeting), reply(""), timeout()});
    CHECK(server.run() ==
          lines({{"read 10000ms", "C: T1 LOGIN \"support@example.com\" \"s3cret\"", "read 20000ms",
                  "-- timeout", "fail command_timeout: no answer from the server"}}));
  }
  SUBCASE("half a response") {
    scripted_server server(
        base_options(),
        setup() + script{reply(search_reply("T5", "1")),
                         reply("* 1 FETCH (UID 1 BODY[] {500}\r\nFrom:"), timeout()});
    CHECK(server.run().find("read 20000ms\n-- timeout\nfail command_timeout") != std::string::npos);
  }
}

TEST_CASE("failures: EOF mid-session -> connection_closed; after LOGOUT -> done") {
  SUBCASE("after LOGIN") {
    scripted_server server(base_options(), {push(greeting), reply(""), closed()});
    CHECK(server.run().find("-- closed\nfail connection_closed: connection closed\n") !=
          std::string::npos);
  }
  SUBCASE("after a BYE: its text is the detail") {
    scripted_server server(base_options(),
                           setup() + script{reply("* BYE Server shutting down.\r\n"), closed()});
    server.run();
    CHECK(server.last().error == imap::error::connection_closed);
    CHECK(server.last().detail == "Server shutting down.");
  }
  SUBCASE("after LOGOUT, before its completion") {
    script steps = setup(post_login_caps, 0) +
                   script{reply(search_reply("T5", "")), reply("* BYE Logging out\r\n"), closed()};
    scripted_server server(base_options(), steps);
    CHECK(server.run() ==
          lines({setup_lines,
                 {"C: T5 " + search_cmd, "C: T6 LOGOUT", "read 20000ms", "-- closed", "done"}}));
  }
}

TEST_CASE("failures: bytes that are not IMAP -> malformed_response") {
  SUBCASE("an HTTP server") {
    scripted_server server(base_options(), {push("HTTP/1.1 400 Bad Request\r\n\r\n")});
    server.run();
    CHECK(server.last().error == imap::error::malformed_response);
    CHECK(server.writes().empty());
  }
  SUBCASE("binary garbage after LOGIN") {
    scripted_server server(base_options(),
                           {push(greeting), reply("\x16\x03\x01\x02\x00\x01\x00\r\n"s)});
    server.run();
    CHECK(server.last().error == imap::error::malformed_response);
  }
  SUBCASE("a continuation nobody asked for") {
    scripted_server server(base_options(), {push(greeting), reply("+ OK\r\n")});
    server.run();
    CHECK(server.last().error == imap::error::malformed_response);
  }
  SUBCASE("a tagged response as greeting") {
    scripted_server server(base_options(), {push("T1 OK hello\r\n")});
    server.run();
    CHECK(server.last().error == imap::error::malformed_response);
  }
}

TEST_CASE("failures: a tagged reply with the wrong tag -> malformed_response") {
  scripted_server server(base_options(), {push(greeting), reply("T7 OK Logged in\r\n")});
  CHECK(server.run() == lines({{"read 10000ms", "C: T1 LOGIN \"support@example.com\" \"s3cret\"",
                                "fail malformed_response: unexpected tag T7"}}));
}

TEST_CASE("failures: a literal over the size limit -> literal_too_large, nothing delivered") {
  auto o = base_options();
  o.limits.max_literal = 100;
  scripted_server server(
      o, setup() + script{reply(search_reply("T5", "1 2 3")), reply(fetch_reply("T6", three))});
  server.run();
  CHECK(server.last().error == imap::error::literal_too_large);
  CHECK(server.delivered().empty());
}

// =============================================================================================
// 8. Between passes: IDLE or a poll wait.

TEST_CASE("idle: EXISTS ends IDLE with DONE, then a new pass; interrupt leaves IDLE and logs out") {
  auto o = base_options();
  o.once = false;
  scripted_server server(o, idle_script());
  CHECK(server.run() == lines({setup_lines, idle_lines}));
  CHECK(server.violations() == "");
  CHECK(server.delivered().size() == 4);
}

TEST_CASE("idle: the first read after '+ idling' is interruptible with the renewal deadline") {
  auto o = base_options();
  o.once = false;
  imap::session s(o);
  action a = s.on_connected(true);
  CHECK(a.what == action::kind::read);
  CHECK(a.timeout == 10s);
  CHECK_FALSE(a.interruptible);
  const std::vector<std::string> replies = {login_ok("T1"), create_exists("T2"),
                                            create_exists("T3"), select_reply("T4", 0),
                                            search_reply("T5", "")};
  a = s.on_received(greeting);
  for (const auto& r : replies) {
    REQUIRE(a.what == action::kind::write);
    a = s.on_written();
    REQUIRE(a.what == action::kind::read);
    CHECK(a.timeout == 20s);
    CHECK_FALSE(a.interruptible);
    a = s.on_received(r);
  }
  REQUIRE(a.what == action::kind::write);
  CHECK(a.bytes == "T6 IDLE\r\n");
  a = s.on_written();
  CHECK(a.what == action::kind::read);
  CHECK_FALSE(a.interruptible);  // until '+', the server has not accepted IDLE
  a = s.on_received("+ idling\r\n");
  CHECK(a.what == action::kind::read);
  CHECK(a.timeout == 300s);
  CHECK(a.interruptible);
  a = s.on_received("* 1 EXISTS\r\n");
  CHECK(a.what == action::kind::write);
  CHECK(a.bytes == "DONE\r\n");
}

TEST_CASE("idle: the renewal deadline passes -> DONE, then a search proves the connection") {
  auto o = base_options();
  o.once = false;
  script steps = setup(post_login_caps, 0) +
                 script{reply(search_reply("T5", "")),
                        reply("+ idling\r\n"),
                        timeout(),
                        reply("T6 OK Idle completed (0.001 + 300.001 + 300.000 secs).\r\n"),
                        reply(search_reply("T7", "")),
                        reply("+ idling\r\n"),
                        interrupt(),
                        reply("T8 OK Idle completed (0.001 + 1.000 + 1.000 secs).\r\n"),
                        reply(logout_reply("T9"))};
  scripted_server server(o, steps);
  CHECK(server.run() ==
        lines({setup_lines,
               {"C: T5 " + search_cmd, "C: T6 IDLE", "read 300000ms interruptible", "-- timeout",
                "C: DONE", "C: T7 " + search_cmd, "C: T8 IDLE", "read 300000ms interruptible",
                "-- interrupt", "C: DONE", "C: T9 LOGOUT", "done"}}));
}

TEST_CASE("idle: no answer to DONE -> command_timeout") {
  auto o = base_options();
  o.once = false;
  script steps =
      setup(post_login_caps, 0) +
      script{reply(search_reply("T5", "")), reply("+ idling\r\n"), timeout(), reply(""), timeout()};
  scripted_server server(o, steps);
  CHECK(server.run().find("C: DONE\nread 20000ms\n-- timeout\nfail command_timeout") !=
        std::string::npos);
}

TEST_CASE("idle: BYE while idling, then EOF -> connection_closed with the server's text") {
  auto o = base_options();
  o.once = false;
  script steps =
      setup(post_login_caps, 0) + script{reply(search_reply("T5", "")), reply("+ idling\r\n"),
                                         push("* BYE Disconnected for inactivity.\r\n"), closed()};
  scripted_server server(o, steps);
  server.run();
  CHECK(server.last().error == imap::error::connection_closed);
  CHECK(server.last().detail == "Disconnected for inactivity.");
}

// A server that refuses IDLE (tagged NO/BAD instead of '+') refused a command.
TEST_CASE("idle: IDLE refused -> command_failed") {
  auto o = base_options();
  o.once = false;
  script steps = setup(post_login_caps, 0) +
                 script{reply(search_reply("T5", "")), reply("T6 BAD Unknown command IDLE\r\n")};
  scripted_server server(o, steps);
  server.run();
  CHECK(server.last().error == imap::error::command_failed);
}

TEST_CASE("poll: without IDLE the session waits poll_interval, then searches again") {
  for (bool use_idle : {true, false}) {
    CAPTURE(use_idle);
    auto o = base_options();
    o.once = false;
    o.use_idle = use_idle;
    const std::string caps = use_idle ? caps_without(post_login_caps, {"IDLE"}) : post_login_caps;
    script steps = setup(caps, 0) + script{reply(search_reply("T5", "")), elapse(),
                                           reply(search_reply("T6", "")), interrupt(),
                                           reply(logout_reply("T7"))};
    scripted_server server(o, steps);
    CHECK(server.run() == lines({setup_lines,
                                 {"C: T5 " + search_cmd, "wait 45000ms interruptible", "-- elapsed",
                                  "C: T6 " + search_cmd, "wait 45000ms interruptible",
                                  "-- interrupt", "C: T7 LOGOUT", "done"}}));
    CHECK_FALSE(server.wrote("IDLE"));
  }
}

TEST_CASE("poll: EXISTS during a pass starts the next pass at once") {
  auto o = base_options();
  o.once = false;
  script steps =
      setup(post_login_caps, 1) + script{reply(search_reply("T5", "1")),
                                         reply("* 1 FETCH (UID 1 BODY[] " + literal(mail1) +
                                               ")\r\n* 2 EXISTS\r\n" + ok("T6", "Fetch")),
                                         reply(move_reply("T7", "1", 1)),
                                         reply(search_reply("T8", "2")),
                                         reply(fetch_reply("T9", {{2, mail2}})),
                                         reply(move_reply("T10", "2", 1)),
                                         reply("+ idling\r\n"),
                                         interrupt(),
                                         reply(ok("T11", "Idle")),
                                         reply(logout_reply("T12"))};
  scripted_server server(o, steps);
  const std::string t = server.run();
  CHECK(t.find("C: T7 UID MOVE 1 \"Processed\"\nC: T8 " + search_cmd + "\n") != std::string::npos);
  CHECK(t.find("C: T10 UID MOVE 2 \"Processed\"\nC: T11 IDLE\n") != std::string::npos);
  CHECK(server.last().what == action::kind::done);
  CHECK(server.violations() == "");
}

// =============================================================================================
// 9. Stopping.

TEST_CASE("stop_soon during delivery: the batch's moves, then LOGOUT instead of the next FETCH") {
  auto o = base_options();
  o.fetch_batch = 2;
  o.once = false;
  script steps = setup() + script{reply(search_reply("T5", "1 2 3")),
                                  reply(fetch_reply("T6", {{1, mail1}, {2, mail2}})),
                                  reply(ok("T7", "Move")), reply(logout_reply("T8"))};
  scripted_server server(o, steps);
  run_options r;
  r.stop_at_delivery = 1;
  server.run(r);
  CHECK_FALSE(server.wrote("UID FETCH 3"));
  REQUIRE(server.writes().size() >= 2);
  CHECK(server.writes().back() == "T8 LOGOUT\r\n");
  // Uid 1 was in hand when the stop came: it is moved before the LOGOUT.
  CHECK(server.writes()[server.writes().size() - 2].rfind("T7 UID MOVE 1", 0) == 0);
  CHECK(server.last().what == action::kind::done);
  CHECK(server.violations() == "");
}

TEST_CASE("stop_soon before the first pass: no FETCH at all, a clean LOGOUT") {
  auto o = base_options();
  o.once = false;
  script steps = setup() + script{reply(search_reply("T5", "1 2 3")), reply(logout_reply("T6"))};
  scripted_server server(o, steps);
  run_options r;
  r.stop_at_step = 3;
  server.run(r);
  CHECK_FALSE(server.wrote("FETCH"));
  CHECK(server.writes().back() == "T6 LOGOUT\r\n");
  CHECK(server.last().what == action::kind::done);
}

// stop_soon() finishes the message in hand, not the whole batch (up to fetch_batch messages
// could outlast a service stop timeout). The rest is safe to leave: it was fetched with PEEK.
TEST_CASE("stop_soon during delivery: the rest of the batch is not delivered") {
  script steps =
      setup() + script{reply(search_reply("T5", "1 2 3")), reply(fetch_reply("T6", three)),
                       reply(move_reply("T7", "1", 1)), reply(logout_reply("T8"))};
  scripted_server server(base_options(), steps);
  run_options r;
  r.stop_at_delivery = 1;
  const std::string t = server.run(r);
  CHECK(server.delivered().size() == 1);
  CHECK(t.find("C: T7 UID MOVE 1 \"Processed\"\nC: T8 LOGOUT\ndone\n") != std::string::npos);
}

TEST_CASE("pipelining: a reply already buffered when a write completes is handled without a read") {
  imap::session s(base_options());
  action a = s.on_connected(true);
  // The greeting and (out of turn) LOGIN's completion arrive in one segment.
  a = s.on_received(greeting + login_ok("T1"));
  REQUIRE(a.what == action::kind::write);
  CHECK(a.bytes == "T1 LOGIN \"support@example.com\" \"s3cret\"\r\n");
  a = s.on_written();
  REQUIRE(a.what == action::kind::write);
  CHECK(a.bytes == "T2 CREATE \"Processed\"\r\n");
}

TEST_CASE("starttls: an already encrypted connection skips STARTTLS") {
  auto o = starttls_options();
  scripted_server server(o, {push(greeting_with(pre_login_caps + " STARTTLS")),
                             reply("T1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")});
  CHECK(server.run() == lines({{"read 10000ms", "C: T1 LOGIN \"support@example.com\" \"s3cret\"",
                                "fail authentication_failed: Authentication failed."}}));
}

TEST_CASE("interrupt() outside IDLE or a wait only marks the stop") {
  imap::session s(base_options());
  action a = s.on_connected(true);
  a = s.interrupt();
  CHECK(a.what == action::kind::read);
  CHECK(a.timeout == 10s);
}

// =============================================================================================
// 10. The fault matrix (STYLE.md 14).

namespace {

struct transcript_case {
  const char* name;
  imap::session_options options;
  script steps;
  run_options base;
  std::vector<disposition> dispositions = {};
  std::map<std::uint32_t, std::string> earlier = {};
};

std::vector<transcript_case> transcripts() {
  auto idle = base_options();
  idle.once = false;
  auto poll = base_options();
  poll.once = false;
  poll.use_idle = false;
  script poll_steps = happy_script();
  poll_steps.pop_back();  // no LOGOUT after the pass: wait, search again, then stop
  poll_steps = poll_steps + script{elapse(), reply(search_reply("T8", "")), interrupt(),
                                   reply(logout_reply("T9"))};
  return {
      {"happy path", base_options(), happy_script(), run_options{}},
      {"copy + UIDPLUS", base_options(), copy_script(), run_options{}},
      {"idle", idle, idle_script(), run_options{}},
      {"poll", poll, poll_steps, run_options{}},
      {"starttls", starttls_options(), starttls_script(), cleartext()},
      {"batches by bytes", sized_options(), sized_script(), run_options{}},
      {"copies of an interrupted move", base_options(), copy_check_script(), run_options{},
       copy_check_dispositions, copy_check_earlier},
  };
}

/// Offsets 0..stream.size() at which to cut: every byte, except that inside a literal of more
/// than 8 bytes only the first 3, the middle and the last 3 are kept (the framing inside a
/// literal is one counter; this keeps the matrix fast under sanitizers).
std::vector<std::size_t> cut_points(const std::string& stream) {
  std::vector<std::size_t> out;
  std::size_t skip_from = 0, skip_to = 0;  // [from, to) are left out
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    if (i >= skip_from && i < skip_to) continue;
    out.push_back(i);
    // A literal announcement "{n}\r\n" ends just before i + 1.
    if (i >= 3 && i < stream.size() && stream[i] == '\n' && stream[i - 1] == '\r' &&
        stream[i - 2] == '}') {
      const std::size_t open = stream.rfind('{', i - 2);
      if (open == std::string::npos) continue;
      const std::string digits = stream.substr(open + 1, i - 2 - open - 1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::size_t n = std::stoul(digits);
      if (n <= 8) continue;
      const std::size_t body = i + 1;
      out.push_back(body);
      for (std::size_t k = 1; k <= 3; ++k) out.push_back(body + k);
      out.push_back(body + n / 2);
      for (std::size_t k = n - 3; k < n; ++k) out.push_back(body + k);
      skip_from = body;
      skip_to = body + n;
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

TEST_CASE("fault matrix: cut points cover every byte outside literal bodies") {
  const std::string stream = "* 1 FETCH (BODY[] {10}\r\n0123456789)\r\nT1 OK\r\n";
  const auto cuts = cut_points(stream);
  const std::size_t body = stream.find("0123");
  for (std::size_t i = 0; i <= stream.size(); ++i) {
    const bool inside = i > body + 3 && i < body + 7 && i != body + 5;
    CAPTURE(i);
    CHECK((std::find(cuts.begin(), cuts.end(), i) != cuts.end()) == !inside);
  }
}

TEST_CASE("fault matrix: EOF at every byte -> connection_closed, or done once LOGOUT is sent") {
  for (const auto& tc : transcripts()) {
    CAPTURE(tc.name);
    scripted_server whole(tc.options, tc.steps, tc.dispositions, tc.earlier);
    whole.run(tc.base);
    REQUIRE(whole.last().what == action::kind::done);
    REQUIRE(whole.violations() == "");
    for (std::size_t cut : cut_points(whole.stream())) {
      CAPTURE(cut);
      scripted_server server(tc.options, tc.steps, tc.dispositions, tc.earlier);
      run_options r = tc.base;
      r.cut_after = cut;
      r.cut_with = fault::close;
      const std::string t = server.run(r);
      CHECK(server.violations() == "");
      const bool logged_out = server.wrote("LOGOUT");
      if (logged_out) {
        CHECK(server.last().what == action::kind::done);
      } else {
        REQUIRE(server.last().what == action::kind::fail);
        CHECK(server.last().error == imap::error::connection_closed);
      }
      // Nothing is delivered that the full run did not deliver, and in the same order.
      REQUIRE(server.delivered().size() <= whole.delivered().size());
      for (std::size_t i = 0; i < server.delivered().size(); ++i) {
        CHECK(server.delivered()[i].uid == whole.delivered()[i].uid);
        CHECK(server.delivered()[i].raw == whole.delivered()[i].raw);
      }
    }
  }
}

TEST_CASE("fault matrix: silence at every byte -> greeting_timeout or command_timeout") {
  for (const auto& tc : transcripts()) {
    CAPTURE(tc.name);
    scripted_server whole(tc.options, tc.steps, tc.dispositions, tc.earlier);
    whole.run(tc.base);
    for (std::size_t cut : cut_points(whole.stream())) {
      if (cut == whole.served()) continue;
      CAPTURE(cut);
      scripted_server server(tc.options, tc.steps, tc.dispositions, tc.earlier);
      run_options r = tc.base;
      r.cut_after = cut;
      r.cut_with = fault::timeout;
      server.run(r);
      CHECK(server.violations() == "");
      // Silence after LOGOUT was sent loses nothing (all was committed): a clean end.
      const bool after_logout = !server.writes().empty() &&
                                server.writes().back().find(" LOGOUT") != std::string::npos;
      if (after_logout) {
        CHECK(server.last().what == action::kind::done);
        continue;
      }
      REQUIRE(server.last().what == action::kind::fail);
      CHECK(server.last().error == (server.writes().empty() ? imap::error::greeting_timeout
                                                            : imap::error::command_timeout));
    }
  }
}

TEST_CASE("fault matrix: byte by byte and in random chunks, the transcript is the same") {
  for (const auto& tc : transcripts()) {
    CAPTURE(tc.name);
    scripted_server whole(tc.options, tc.steps, tc.dispositions, tc.earlier);
    const std::string expected = whole.run(tc.base);
    {
      scripted_server server(tc.options, tc.steps, tc.dispositions, tc.earlier);
      run_options r = tc.base;
      r.chunk = 1;
      CHECK(server.run(r) == expected);
      REQUIRE(server.delivered().size() == whole.delivered().size());
      for (std::size_t i = 0; i < server.delivered().size(); ++i)
        CHECK(server.delivered()[i].raw == whole.delivered()[i].raw);
    }
    for (unsigned seed = 1; seed <= 40; ++seed) {
      CAPTURE(seed);
      scripted_server server(tc.options, tc.steps, tc.dispositions, tc.earlier);
      run_options r = tc.base;
      r.chunk_seed = seed;
      CHECK(server.run(r) == expected);
    }
  }
}

TEST_CASE("fault matrix: stop_soon at every step ends in a clean LOGOUT (once=true transcripts)") {
  for (const auto& tc : transcripts()) {
    if (!tc.options.once) continue;
    CAPTURE(tc.name);
    for (std::size_t step = 0; step < 200; ++step) {
      CAPTURE(step);
      // Every command is answered OK, whatever it is, so the run can end wherever it stops.
      script steps = {tc.steps.front()};
      for (int i = 0; i < 40; ++i)
        steps.push_back(respond([&tc, i](const std::string& cmd) -> std::string {
          const std::size_t idx = static_cast<std::size_t>(i) + 1;
          const std::string tag = cmd.substr(0, cmd.find(' '));
          if (cmd.find("LOGOUT") != std::string::npos) return logout_reply(tag);
          // SELECT gets the folder's own answer (its UIDVALIDITY), whatever the script had
          // there: the copy checks' SELECT comes earlier when fewer mails were delivered.
          if (cmd.find(" SELECT ") != std::string::npos) return select_reply(tag, 3);
          return idx < tc.steps.size() ? tc.steps[idx].bytes : std::string();
        }));
      scripted_server server(tc.options, steps, tc.dispositions, tc.earlier);
      run_options r = tc.base;
      r.stop_at_step = step;
      server.run(r);
      CHECK(server.violations() == "");
      CHECK(server.last().what == action::kind::done);
      CHECK(server.writes().back().find("LOGOUT") != std::string::npos);
    }
  }
}

TEST_CASE("a pass that kept mail back looks again soon instead of idling") {
  auto o = base_options();
  o.once = false;
  imap::session s(o);
  action a = s.on_connected(true);
  a = s.on_received(greeting);
  for (const std::string& r : {login_ok("T1"), create_exists("T2"), create_exists("T3"),
                               select_reply("T4", 1), search_reply("T5", "1")}) {
    REQUIRE(a.what == action::kind::write);
    a = s.on_written();
    a = s.on_received(r);
  }
  REQUIRE(a.what == action::kind::write);
  a = s.on_written();
  a = s.on_received(fetch_reply("T6", {{1, mail1}}));
  REQUIRE(a.what == action::kind::deliver);
  // A temporary store error: the mail stays, and is looked at again within retry_kept, not at
  // the next IDLE renewal minutes later.
  a = s.on_delivered({imap::disposition::keep, {}});
  REQUIRE(a.what == action::kind::commit);
  a = s.on_committed(true);
  REQUIRE(a.what == action::kind::wait);
  CHECK(a.timeout == o.retry_kept);
  CHECK(a.interruptible);
  a = s.on_wait_elapsed();
  REQUIRE(a.what == action::kind::write);
  CHECK(a.bytes == "T7 " + search_cmd + "\r\n");
  a = s.on_written();
  a = s.on_received(search_reply("T7", ""));
  // Nothing kept this time: back to IDLE.
  REQUIRE(a.what == action::kind::write);
  CHECK(a.bytes == "T8 IDLE\r\n");
}
