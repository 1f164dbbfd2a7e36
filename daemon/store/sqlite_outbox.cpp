// The SQLite store's outbox (pending replies, their delivery marks, the per-recipient count the
// rate limit needs) and the mailbox status the running daemon writes for `tacmaild status`.
#include "store/sqlite_impl.hpp"

namespace tacmail::daemon::store {

namespace sqlite_detail {

outbox_entry read_outbox(SQLite::Statement& st) {
  outbox_entry e;
  e.id = st.getColumn(0).getInt64();
  e.case_number = st.getColumn(1).getString();
  e.message_id = st.getColumn(2).getString();
  e.recipient = st.getColumn(3).getString();
  e.envelope_from = st.getColumn(4).getString();
  e.content = st.getColumn(5).getString();
  e.status = st.getColumn(6).getString();
  e.attempts = st.getColumn(7).getInt();
  e.created = st.getColumn(8).getString();
  e.next_attempt = st.getColumn(9).getString();
  e.last_error = st.getColumn(10).getString();
  e.sent_at = st.getColumn(11).getString();
  return e;
}

}  // namespace sqlite_detail

using namespace sqlite_detail;

std::vector<outbox_entry> sqlite_store::list_outbox(std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    std::vector<outbox_entry> out;
    SQLite::Statement st(impl_->db,
                         "SELECT id, case_number, message_id, recipient, envelope_from, '', "
                         "status, attempts, created, next_attempt, last_error, sent_at "
                         "FROM outbox ORDER BY id DESC");
    while (st.executeStep()) out.push_back(read_outbox(st));
    return out;
  });
}

void sqlite_store::save_status(const std::vector<mailbox_status>& status, std::error_code& ec) {
  impl_->guarded(ec, [&] {
    impl::write_scope t(*impl_);
    SQLite::Statement st(impl_->db,
                         "INSERT OR REPLACE INTO mailbox_status (mailbox, connected, last_fetch, "
                         "last_error, backlog, updated) VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& s : status) {
      st.reset();
      st.bind(1, s.mailbox);
      st.bind(2, s.connected ? 1 : 0);
      st.bind(3, s.last_fetch);
      st.bind(4, s.last_error);
      st.bind(5, static_cast<std::int64_t>(s.backlog));
      st.bind(6, s.updated);
      st.exec();
    }
    t.commit();
    return 0;
  });
}

std::vector<mailbox_status> sqlite_store::load_status(std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    std::vector<mailbox_status> out;
    SQLite::Statement st(impl_->db,
                         "SELECT mailbox, connected, last_fetch, last_error, backlog, updated "
                         "FROM mailbox_status ORDER BY mailbox");
    while (st.executeStep()) {
      mailbox_status s;
      s.mailbox = st.getColumn(0).getString();
      s.connected = st.getColumn(1).getInt() != 0;
      s.last_fetch = st.getColumn(2).getString();
      s.last_error = st.getColumn(3).getString();
      s.backlog = static_cast<std::size_t>(st.getColumn(4).getInt64());
      s.updated = st.getColumn(5).getString();
      out.push_back(std::move(s));
    }
    return out;
  });
}

std::vector<outbox_entry> sqlite_store::due_replies(clock::time_point now, std::size_t limit,
                                                    std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    std::vector<outbox_entry> due;
    SQLite::Statement st(impl_->db, std::string("SELECT ") + outbox_columns +
                                        " FROM outbox WHERE status = 'pending' AND "
                                        "next_attempt <= ? ORDER BY id LIMIT ?");
    st.bind(1, routing::to_rfc3339(now));
    st.bind(2, static_cast<std::int64_t>(limit));
    while (st.executeStep()) due.push_back(read_outbox(st));
    return due;
  });
}

std::size_t sqlite_store::pending_replies(std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    SQLite::Statement st(impl_->db, "SELECT count(*) FROM outbox WHERE status = 'pending'");
    st.executeStep();
    return static_cast<std::size_t>(st.getColumn(0).getInt64());
  });
}

std::size_t sqlite_store::replies_to_since(const std::string& recipient, clock::time_point since,
                                           std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    SQLite::Statement st(impl_->db,
                         "SELECT count(*) FROM outbox WHERE recipient = ? AND created >= ? "
                         "AND status <> 'suppressed'");
    st.bind(1, recipient);
    st.bind(2, routing::to_rfc3339(since));
    st.executeStep();
    return static_cast<std::size_t>(st.getColumn(0).getInt64());
  });
}

void sqlite_store::mark_replies_sent(const std::vector<std::int64_t>& ids, clock::time_point at,
                                     std::error_code& ec) {
  impl_->guarded(ec, [&] {
    if (ids.empty()) return 0;
    impl::write_scope t(*impl_);
    SQLite::Statement st(impl_->db,
                         "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ?, "
                         "last_error = '' WHERE id = ? AND status <> 'sent'");
    const std::string when = routing::to_rfc3339(at);
    for (const auto id : ids) {
      st.bind(1, when);
      st.bind(2, id);
      st.exec();
      st.reset();
    }
    t.commit();
    return 0;
  });
}

void sqlite_store::mark_reply_failed(std::int64_t id, const std::string& error_text,
                                     std::optional<clock::time_point> retry_at,
                                     std::error_code& ec) {
  impl_->guarded(ec, [&] {
    SQLite::Statement st(impl_->db,
                         "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                         "status = ?, next_attempt = coalesce(?, next_attempt) WHERE id = ?");
    st.bind(1, error_text);
    st.bind(2, retry_at ? "pending" : "failed");
    if (retry_at)
      st.bind(3, routing::to_rfc3339(*retry_at));
    else
      st.bind(3);
    st.bind(4, id);
    st.exec();
    return 0;
  });
}

}  // namespace tacmail::daemon::store
