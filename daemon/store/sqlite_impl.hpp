// Inside the SQLite store: what its two source files share (the connection with its batch
// state and error handling, the outbox row reader). sqlite_store.cpp holds the schema,
// batches, cases and messages; sqlite_outbox.cpp the outbox and the mailbox status. Private to
// store/: SQLiteCpp goes no further.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/error.hpp"
#include "store/sqlite_store.hpp"
#include "tacmail/routing/time_format.hpp"

namespace tacmail::daemon::store {

namespace sqlite_detail {

std::error_code classify(const SQLite::Exception& e);
outbox_entry read_outbox(SQLite::Statement& st);

inline constexpr const char* outbox_columns =
    "id, case_number, message_id, recipient, envelope_from, content, status, attempts, created, "
    "next_attempt, last_error, sent_at";

}  // namespace sqlite_detail

// A write attempted after SQLite ended the batch's transaction.
struct batch_lost : std::runtime_error {
  batch_lost()
      : std::runtime_error("the batch's transaction was rolled back by an earlier error") {}
};

struct sqlite_store::impl {
  impl(const std::filesystem::path& file, int flags) : db(file.string(), flags, 5000) {}
  SQLite::Database db;
  std::string last_error;
  bool batching = false;  ///< between begin_batch() and commit_batch()

  bool in_transaction() { return sqlite3_get_autocommit(db.getHandle()) == 0; }
  /// An error ended the batch's transaction (SQLite rolls back on disk full, I/O): the rest
  /// of the batch fails fast, so no write starts a transaction of its own meanwhile.
  bool batch_lost_now() { return batching && !in_transaction(); }

  // One write call, all or nothing: its own IMMEDIATE transaction, or a savepoint inside the
  // batch's. Destroyed without commit(), it undoes the call's changes.
  class write_scope {
   public:
    explicit write_scope(impl& s) : s_(s) {
      if (s_.batch_lost_now()) throw batch_lost();
      s_.db.exec(s_.batching ? "SAVEPOINT one_write" : "BEGIN IMMEDIATE");
    }
    write_scope(const write_scope&) = delete;
    write_scope& operator=(const write_scope&) = delete;
    void commit() {
      s_.db.exec(s_.batching ? "RELEASE one_write" : "COMMIT");
      done_ = true;
    }
    ~write_scope() {
      if (done_ || !s_.in_transaction()) return;
      try {
        if (s_.batching)
          s_.db.exec("ROLLBACK TO one_write; RELEASE one_write");
        else
          s_.db.exec("ROLLBACK");
      } catch (const SQLite::Exception&) {
        // Nothing more to undo with: batch_lost_now() sees what is left.
      }
    }

   private:
    impl& s_;
    bool done_ = false;
  };

  // Runs `work`, turning a SQLite exception into `ec` and remembering SQLite's text.
  template <typename F>
  auto guarded(std::error_code& ec, F&& work) -> decltype(work()) {
    ec.clear();
    try {
      return work();
    } catch (const batch_lost&) {
      ec = error::batch_aborted;
    } catch (const SQLite::Exception& e) {
      ec = sqlite_detail::classify(e);
      last_error = e.what();
    } catch (const std::exception& e) {
      ec = error::other;
      last_error = e.what();
    }
    return decltype(work()){};
  }
};

}  // namespace tacmail::daemon::store
