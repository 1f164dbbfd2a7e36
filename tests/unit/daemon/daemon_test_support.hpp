// Shared by the daemon unit tests: a scratch folder, a second raw SQLite connection to look
// at the store from outside, hand-built requests and decisions, and a child-process runner
// for code that might never return.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "store/case_store.hpp"
#include "store/sqlite_store.hpp"
#include "tacmail/parser/message.hpp"
#include "tacmail/routing/decision.hpp"

namespace doctest {
template <>
struct StringMaker<std::optional<std::string>> {
  static String convert(const std::optional<std::string>& v) {
    return v ? String(("\"" + *v + "\"").c_str()) : String("nullopt");
  }
};
}  // namespace doctest

namespace tacmail::daemon::test {

using namespace std::chrono_literals;
using clock = routing::clock;

/// A folder of its own for one test, removed afterwards.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tacmail-daemon-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A second connection to the store's file, as another process would have.
class raw_db {
 public:
  explicit raw_db(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + file.string());
    sqlite3_busy_timeout(db_, 100);
  }
  ~raw_db() { sqlite3_close(db_); }
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;

  /// Runs SQL; returns SQLite's result code.
  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }

  /// The first column of every row, as text ("NULL" for null).
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db_));
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(st, 0);
      out.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    sqlite3_finalize(st);
    return out;
  }

  std::string scalar(const std::string& sql) {
    auto rows = column(sql);
    return rows.empty() ? std::string("<no row>") : rows.front();
  }

 private:
  sqlite3* db_ = nullptr;
};

inline std::unique_ptr<store::sqlite_store> open_store(const std::filesystem::path& file) {
  std::error_code ec;
  std::string detail;
  auto s = store::sqlite_store::open(file, ec, detail);
  INFO("open: ", ec.message(), " ", detail);
  REQUIRE(s != nullptr);
  REQUIRE_FALSE(ec);
  return s;
}

/// Monday 2026-11-23 09:15:00 UTC.
inline clock::time_point test_now() {
  using namespace std::chrono;
  return sys_days{year{2026} / 11 / 23} + hours(9) + minutes(15);
}

/// A complete request as the parser would hand it over.
inline parser::parsed_message sample_request(const std::string& message_id,
                                             const std::string& from = "jane@acme.example.com") {
  parser::parsed_message m;
  m.subject = "Cisco BroadWorks";
  m.from_address = from;
  m.message_id = message_id;
  m.company = "Acme Corp";
  m.contact_name = "Jane Doe";
  m.contract = "91234567";
  m.product = "Cisco BroadWorks";
  m.severity = 3;
  m.description = "Calls drop";
  return m;
}

inline routing::decision sample_decision(clock::time_point now) {
  routing::decision d;
  d.queue = "broadworks";
  d.technology = "Collaboration & Conferencing";
  d.sub_technology = "BroadWorks";
  d.status = "New";
  d.response_due = now + std::chrono::hours(24);
  d.reasons = {"queue broadworks: product 'Cisco BroadWorks'"};
  return d;
}

/// A reply maker that queues `content` to `recipient` under an id derived from the number.
inline std::function<store::queued_reply(const std::string&)> reply_maker(
    std::string recipient = "jane@acme.example.com", std::string content = "Subject: x\r\n\r\nhi\r\n",
    std::string envelope_from = "") {
  return [=](const std::string& number) {
    store::queued_reply r;
    r.message_id = "tacmail." + number + ".opened@example.com";
    r.recipient = recipient;
    r.envelope_from = envelope_from;
    r.content = content;
    return r;
  };
}

/// Opens a case for `m` at `received` in mailbox "tac" under `uid`; REQUIREs success.
inline std::string open_sample_case(store::case_store& s, const parser::parsed_message& m,
                                    std::uint32_t uid, clock::time_point received,
                                    const std::function<store::queued_reply(const std::string&)>&
                                        make_reply = reply_maker()) {
  const routing::decision d = sample_decision(received);
  std::error_code ec;
  const std::string number =
      s.open_case(store::new_case{m, d, store::message_origin{"tac", 1, uid}, received, ""},
                  make_reply, ec);
  INFO("open_case: ", ec.message());
  REQUIRE_FALSE(ec);
  return number;
}

/// Runs `fn` in a child process with a time and memory limit; true when it returned in time.
/// For code that may loop forever: the test process itself never hangs.
inline bool finishes_in_child(const std::function<void()>& fn, unsigned seconds = 10) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
#if !defined(__SANITIZE_ADDRESS__)
    // Under ASan the shadow memory alone is far past any such limit, and every new mapping
    // (even ASan's own) would fail: there the alarm alone bounds a runaway.
    rlimit mem{};
    mem.rlim_cur = mem.rlim_max = 1024UL * 1024 * 1024;
    ::setrlimit(RLIMIT_AS, &mem);
#endif
    ::alarm(seconds);
    try {
      fn();
    } catch (...) {
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace tacmail::daemon::test
