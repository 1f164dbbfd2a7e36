// Inside the SQLite store: what its two source files share. sqlite_store.cpp holds the schema,
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
std::string to_json(const std::vector<std::string>& items);
std::vector<std::string> from_json(const std::string& text);
void bind_optional(SQLite::Statement& st, int index, const std::optional<std::string>& value);
std::optional<std::string> optional_text(const SQLite::Column& c);
case_record read_case(SQLite::Statement& st);
outbox_entry read_outbox(SQLite::Statement& st);

inline constexpr const char* case_columns =
    "case_number, status, queue, technology, sub_technology, severity, severity_inferred, "
    "product, company, contact_name, contact_phone, cco_id, contact_email, contract, "
    "smart_account, virtual_account, description, location, alt_contact_name, "
    "alt_contact_phone, sender, subject, created, response_due, entitled, flags, missing, "
    "reasons, updated, related_case";
inline constexpr const char* outbox_columns =
    "id, case_number, message_id, recipient, envelope_from, content, status, attempts, created, "
    "next_attempt, last_error, sent_at";

}  // namespace sqlite_detail

// A write attempted after SQLite ended the batch's transaction.
struct batch_lost : std::runtime_error {
  batch_lost() : std::runtime_error("the batch's transaction was rolled back by an earlier error") {}
};

struct sqlite_store::impl {
  explicit impl(const std::filesystem::path& file)
      : db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000) {}
  SQLite::Database db;
  std::string last_error;
  bool batching = false;  ///< between begin_batch() and commit_batch()
  bool lost = false;      ///< an error ended the batch's transaction

  bool in_transaction() { return sqlite3_get_autocommit(db.getHandle()) == 0; }

  // One write call, all or nothing: its own IMMEDIATE transaction, or a savepoint inside the
  // batch's. Destroyed without commit(), it undoes the call's changes.
  class write_scope {
   public:
    explicit write_scope(impl& s) : s_(s) {
      if (s_.batching && s_.lost) throw batch_lost();
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
        // Nothing more to undo with: the batch check in guarded() sees what is left.
      }
    }

   private:
    impl& s_;
    bool done_ = false;
  };

  // Runs `work`, turning a SQLite exception into `ec` and remembering SQLite's text. Inside a
  // batch, an error after which SQLite has ended the transaction (disk full, I/O) marks the
  // whole batch lost.
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
    if (batching && !in_transaction()) lost = true;
    return decltype(work()){};
  }

  // A reply without recipient is not queued at all; a suppressed one is recorded, not sent.
  void queue_reply(const std::string& case_number, const queued_reply& reply,
                   clock::time_point at) {
    if (reply.recipient.empty()) return;
    SQLite::Statement out(db,
                          "INSERT INTO outbox (case_number, message_id, recipient, "
                          "envelope_from, content, created, next_attempt, status, last_error) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    const std::string now = routing::to_rfc3339(at);
    out.bind(1, case_number);
    out.bind(2, reply.message_id);
    out.bind(3, reply.recipient);
    out.bind(4, reply.envelope_from);
    out.bind(5, reply.content.data(), static_cast<int>(reply.content.size()));
    out.bind(6, now);
    out.bind(7, now);
    out.bind(8, reply.suppressed.empty() ? "pending" : "suppressed");
    out.bind(9, reply.suppressed);
    out.exec();
  }

  // The cursor moves forward only; a new UIDVALIDITY restarts it.
  void advance_cursor(const message_origin& origin) {
    SQLite::Statement st(db,
                         "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) "
                         "VALUES (?1, ?2, ?3) ON CONFLICT (mailbox) DO UPDATE SET "
                         "last_uid = CASE WHEN uidvalidity = ?2 THEN max(last_uid, ?3) ELSE ?3 END, "
                         "uidvalidity = ?2");
    st.bind(1, origin.mailbox);
    st.bind(2, static_cast<std::int64_t>(origin.uidvalidity));
    st.bind(3, static_cast<std::int64_t>(origin.uid));
    st.exec();
  }

  void insert_message(const std::optional<std::string>& case_number,
                      const parser::parsed_message& m, const message_origin& origin,
                      const std::string& role, const std::string& note,
                      clock::time_point received, const std::string& fingerprint = {}) {
    SQLite::Statement st(db,
                         "INSERT INTO messages (case_number, message_id, mailbox, uidvalidity, "
                         "uid, sender, subject, received, role, note, fingerprint) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    sqlite_detail::bind_optional(st, 1, case_number);
    sqlite_detail::bind_optional(st, 2, m.message_id);
    st.bind(3, origin.mailbox);
    st.bind(4, static_cast<std::int64_t>(origin.uidvalidity));
    st.bind(5, static_cast<std::int64_t>(origin.uid));
    st.bind(6, m.from_address.value_or(""));
    st.bind(7, m.subject);
    st.bind(8, routing::to_rfc3339(received));
    st.bind(9, role);
    st.bind(10, note);
    if (fingerprint.empty())
      st.bind(11);
    else
      st.bind(11, fingerprint);
    st.exec();
  }
};

}  // namespace tacmail::daemon::store
