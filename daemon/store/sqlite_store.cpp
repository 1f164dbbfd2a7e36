// SQLite implementation of case_store: schema, case-number allocation, group commit, cases,
// messages and the per-mailbox UID cursor (the outbox and status are in sqlite_outbox.cpp).
// Every SQLite exception ends here as an error_code.
#include "store/sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include "store/sqlite_impl.hpp"
#include "tacmail/routing/fields.hpp"

namespace tacmail::daemon::store {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
-- Case numbers are 9 digits; the first one handed out is 700000001.
INSERT OR IGNORE INTO meta (key, value) VALUES ('last_case_number', '700000000');
CREATE TABLE IF NOT EXISTS cases (
  case_number TEXT PRIMARY KEY,
  status TEXT NOT NULL, queue TEXT NOT NULL, technology TEXT, sub_technology TEXT,
  severity INTEGER, severity_inferred INTEGER NOT NULL DEFAULT 0,
  product TEXT, company TEXT, contact_name TEXT, contact_phone TEXT, cco_id TEXT,
  contact_email TEXT, contract TEXT, smart_account TEXT, virtual_account TEXT,
  description TEXT, location TEXT, alt_contact_name TEXT, alt_contact_phone TEXT,
  sender TEXT NOT NULL, subject TEXT NOT NULL, created TEXT NOT NULL, response_due TEXT NOT NULL,
  entitled INTEGER, flags TEXT NOT NULL, missing TEXT NOT NULL, reasons TEXT NOT NULL,
  updated TEXT NOT NULL, related_case TEXT
);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  case_number TEXT REFERENCES cases(case_number),
  message_id TEXT,
  mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
  sender TEXT NOT NULL, subject TEXT NOT NULL, received TEXT NOT NULL,
  role TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
  fingerprint TEXT,
  UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_by_fingerprint ON messages (fingerprint, received);
CREATE INDEX IF NOT EXISTS messages_by_message_id ON messages (message_id);
CREATE INDEX IF NOT EXISTS messages_by_case ON messages (case_number);
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY,
  mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
  message_id TEXT, reason TEXT NOT NULL, created TEXT NOT NULL,
  UNIQUE (mailbox, uidvalidity, uid)
);
CREATE TABLE IF NOT EXISTS mailbox_status (
  mailbox TEXT PRIMARY KEY, connected INTEGER NOT NULL, last_fetch TEXT NOT NULL,
  last_error TEXT NOT NULL, backlog INTEGER NOT NULL, updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS mailbox_state (
  mailbox TEXT PRIMARY KEY, uidvalidity INTEGER NOT NULL, last_uid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  case_number TEXT REFERENCES cases(case_number),
  message_id TEXT NOT NULL UNIQUE,
  recipient TEXT NOT NULL, envelope_from TEXT NOT NULL, content BLOB NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  created TEXT NOT NULL, next_attempt TEXT NOT NULL, last_error TEXT NOT NULL DEFAULT '',
  sent_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt);
CREATE INDEX IF NOT EXISTS outbox_by_recipient ON outbox (recipient, created);
)sql";

}  // namespace

namespace sqlite_detail {

std::error_code classify(const SQLite::Exception& e) {
  switch (e.getErrorCode() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return error::busy;
    case SQLITE_FULL: return error::full;
    case SQLITE_IOERR: return error::io;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return error::corrupt;
    case SQLITE_CONSTRAINT: return error::constraint;
    case SQLITE_CANTOPEN: return error::cannot_open;
    default: return error::other;
  }
}

}  // namespace sqlite_detail

using namespace sqlite_detail;

namespace {

constexpr const char* case_columns =
    "case_number, status, queue, technology, sub_technology, severity, severity_inferred, "
    "product, company, contact_name, contact_phone, cco_id, contact_email, contract, "
    "smart_account, virtual_account, description, location, alt_contact_name, "
    "alt_contact_phone, sender, subject, created, response_due, entitled, flags, missing, "
    "reasons, updated, related_case";

std::string to_json(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }

std::vector<std::string> from_json(const std::string& text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (!parsed.is_array()) return {};
  std::vector<std::string> out;
  for (const auto& item : parsed)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

void bind_optional(SQLite::Statement& st, int index, const std::optional<std::string>& value) {
  if (value)
    st.bind(index, *value);
  else
    st.bind(index);
}

std::optional<std::string> optional_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

case_record read_case(SQLite::Statement& st) {
  case_record r;
  int i = 0;
  r.case_number = st.getColumn(i++).getString();
  r.status = st.getColumn(i++).getString();
  r.queue = st.getColumn(i++).getString();
  r.technology = st.getColumn(i++).getString();
  r.sub_technology = st.getColumn(i++).getString();
  auto severity = st.getColumn(i++);
  if (!severity.isNull()) r.severity = severity.getInt();
  r.severity_inferred = st.getColumn(i++).getInt() != 0;
  for (auto* field : {&r.product, &r.company, &r.contact_name, &r.contact_phone, &r.cco_id,
                      &r.contact_email, &r.contract, &r.smart_account, &r.virtual_account,
                      &r.description, &r.location, &r.alt_contact_name, &r.alt_contact_phone})
    *field = optional_text(st.getColumn(i++));
  r.sender = st.getColumn(i++).getString();
  r.subject = st.getColumn(i++).getString();
  r.created = st.getColumn(i++).getString();
  r.response_due = st.getColumn(i++).getString();
  auto entitled = st.getColumn(i++);
  if (!entitled.isNull()) r.entitled = entitled.getInt() != 0;
  r.flags = from_json(st.getColumn(i++).getString());
  r.missing = from_json(st.getColumn(i++).getString());
  r.reasons = from_json(st.getColumn(i++).getString());
  r.updated = st.getColumn(i++).getString();
  r.related_case = optional_text(st.getColumn(i++));
  return r;
}

// A reply without recipient is not queued at all; a suppressed one is recorded, not sent.
void queue_reply(SQLite::Database& db, const std::string& case_number, const queued_reply& reply,
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
void advance_cursor(SQLite::Database& db, const message_origin& origin) {
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

void insert_message(SQLite::Database& db, const std::optional<std::string>& case_number,
                    const parser::parsed_message& m, const message_origin& origin,
                    const std::string& role, const std::string& note, clock::time_point received,
                    const std::string& fingerprint = {}) {
  SQLite::Statement st(db,
                       "INSERT INTO messages (case_number, message_id, mailbox, uidvalidity, "
                       "uid, sender, subject, received, role, note, fingerprint) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  bind_optional(st, 1, case_number);
  bind_optional(st, 2, m.message_id);
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

}  // namespace

std::unique_ptr<sqlite_store> sqlite_store::open(const std::filesystem::path& file,
                                                 std::error_code& ec, std::string& detail,
                                                 access mode) {
  const bool read_only = mode == access::read_only;
  std::error_code exists_ec;
  if (read_only && !std::filesystem::exists(file, exists_ec)) {
    ec = error::cannot_open;
    detail = "no database here (tacmaild run creates it)";
    return nullptr;
  }
  try {
    auto p = std::make_unique<impl>(
        file, read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    if (!read_only) {
      // WAL lets `cases list` read while the daemon writes; FULL makes each commit durable.
      p->db.exec("PRAGMA journal_mode=WAL");
      p->db.exec("PRAGMA synchronous=FULL");
      p->db.exec("PRAGMA foreign_keys=ON");
    }
    // Only a new database is written to here, so a second writer opening the store waits for
    // the lock rather than failing. user_version is the schema version.
    if (p->db.execAndGet("PRAGMA user_version").getInt() < 1) {
      if (read_only) {
        ec = error::cannot_open;
        detail = "not a tacmail database (it has no case tables)";
        return nullptr;
      }
      SQLite::Transaction t(p->db, SQLite::TransactionBehavior::IMMEDIATE);
      if (p->db.execAndGet("PRAGMA user_version").getInt() < 1) {
        p->db.exec(schema);
        p->db.exec("PRAGMA user_version = 1");
      }
      t.commit();
    }
    ec.clear();
    return std::unique_ptr<sqlite_store>(new sqlite_store(std::move(p)));
  } catch (const SQLite::Exception& e) {
    ec = classify(e);
    detail = e.what();
  }
  return nullptr;
}

sqlite_store::sqlite_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
sqlite_store::~sqlite_store() = default;

const std::string& sqlite_store::last_error_detail() const { return impl_->last_error; }

void sqlite_store::begin_batch(std::error_code& ec) {
  impl_->guarded(ec, [&] {
    if (impl_->batching) return 0;
    impl_->db.exec("BEGIN IMMEDIATE");
    impl_->batching = true;
    return 0;
  });
}

void sqlite_store::commit_batch(std::error_code& ec) {
  ec.clear();
  if (!impl_->batching) return;
  const bool lost = impl_->batch_lost_now();
  impl_->batching = false;
  if (lost) {
    ec = error::batch_aborted;
    return;
  }
  impl_->guarded(ec, [&] {
    impl_->db.exec("COMMIT");
    return 0;
  });
  if (ec && impl_->in_transaction()) {
    try {
      impl_->db.exec("ROLLBACK");
    } catch (const SQLite::Exception&) {
      // The connection is in trouble; the next write reports it.
    }
  }
}

std::optional<mailbox_cursor> sqlite_store::find_cursor(const std::string& mailbox,
                                                           std::error_code& ec) {
  return impl_->guarded(ec, [&]() -> std::optional<store::mailbox_cursor> {
    SQLite::Statement st(impl_->db,
                         "SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?");
    st.bind(1, mailbox);
    if (!st.executeStep()) return std::nullopt;
    return store::mailbox_cursor{static_cast<std::uint32_t>(st.getColumn(0).getInt64()),
                                 static_cast<std::uint32_t>(st.getColumn(1).getInt64())};
  });
}

origin_state sqlite_store::find_origin(const message_origin& origin, std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    origin_state state;
    SQLite::Statement st(impl_->db,
                         "SELECT coalesce(case_number, ''), coalesce(message_id, '') FROM messages "
                         "WHERE mailbox = ? AND uidvalidity = ? AND uid = ?");
    st.bind(1, origin.mailbox);
    st.bind(2, static_cast<std::int64_t>(origin.uidvalidity));
    st.bind(3, static_cast<std::int64_t>(origin.uid));
    if (st.executeStep()) {
      state.state = origin_state::kind::recorded;
      state.case_number = st.getColumn(0).getString();
      state.message_id = st.getColumn(1).getString();
      return state;
    }
    SQLite::Statement q(impl_->db,
                        "SELECT reason, coalesce(message_id, '') FROM quarantine "
                        "WHERE mailbox = ? AND uidvalidity = ? AND uid = ?");
    q.bind(1, origin.mailbox);
    q.bind(2, static_cast<std::int64_t>(origin.uidvalidity));
    q.bind(3, static_cast<std::int64_t>(origin.uid));
    if (q.executeStep()) {
      state.state = origin_state::kind::quarantined;
      state.reason = q.getColumn(0).getString();
      state.message_id = q.getColumn(1).getString();
    }
    return state;
  });
}

std::optional<std::string> sqlite_store::case_for_message_id(const std::string& message_id,
                                                             std::error_code& ec) {
  return impl_->guarded(ec, [&]() -> std::optional<std::string> {
    // Our own replies count too: a customer answering our reply threads into its case.
    SQLite::Statement st(impl_->db,
                         "SELECT case_number FROM messages WHERE message_id = ?1 "
                         "AND case_number IS NOT NULL "
                         "UNION ALL SELECT case_number FROM outbox WHERE message_id = ?1 LIMIT 1");
    st.bind(1, message_id);
    if (st.executeStep()) return st.getColumn(0).getString();
    return std::nullopt;
  });
}

bool sqlite_store::case_exists(const std::string& case_number, std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    SQLite::Statement st(impl_->db, "SELECT 1 FROM cases WHERE case_number = ?");
    st.bind(1, case_number);
    return st.executeStep();
  });
}

std::string sqlite_store::open_case(
    const new_case& c, const std::function<queued_reply(const std::string&)>& make_reply,
    std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    auto& db = impl_->db;
    impl::write_scope t(*impl_);
    db.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'last_case_number'");
    SQLite::Statement next(db, "SELECT value FROM meta WHERE key = 'last_case_number'");
    next.executeStep();
    const std::string number = next.getColumn(0).getString();

    const auto& m = c.request;
    const auto& d = c.decision;
    SQLite::Statement st(db, std::string("INSERT INTO cases (") + case_columns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                                 " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    int i = 1;
    st.bind(i++, number);
    st.bind(i++, d.status);
    st.bind(i++, d.queue);
    st.bind(i++, d.technology);
    st.bind(i++, d.sub_technology);
    if (m.severity)
      st.bind(i++, *m.severity);
    else
      st.bind(i++);
    st.bind(i++, m.severity_inferred ? 1 : 0);
    for (const auto* field : {&m.product, &m.company, &m.contact_name, &m.contact_phone, &m.cco_id,
                              &m.contact_email, &m.contract, &m.smart_account, &m.virtual_account,
                              &m.description, &m.location, &m.alt_contact_name,
                              &m.alt_contact_phone})
      bind_optional(st, i++, *field);
    st.bind(i++, m.from_address.value_or(""));
    st.bind(i++, m.subject);
    st.bind(i++, routing::to_rfc3339(c.received));
    st.bind(i++, routing::to_rfc3339(d.response_due));
    if (d.entitled)
      st.bind(i++, *d.entitled ? 1 : 0);
    else
      st.bind(i++);
    st.bind(i++, to_json(d.flags));
    st.bind(i++, to_json(m.missing));
    st.bind(i++, to_json(d.reasons));
    st.bind(i++, routing::to_rfc3339(c.received));
    bind_optional(st, i++, d.related_case);
    st.exec();

    insert_message(impl_->db, number, m, c.origin, "opened", "", c.received, c.fingerprint);
    advance_cursor(impl_->db, c.origin);

    queue_reply(impl_->db, number, make_reply(number), c.received);
    t.commit();
    return number;
  });
}

std::optional<routing::case_view> sqlite_store::case_view(const std::string& case_number,
                                                          std::error_code& ec) {
  return impl_->guarded(ec, [&]() -> std::optional<routing::case_view> {
    SQLite::Statement st(impl_->db,
                         "SELECT status, sender, contact_email, company, missing, updated "
                         "FROM cases WHERE case_number = ?");
    st.bind(1, case_number);
    if (!st.executeStep()) return std::nullopt;
    routing::case_view v;
    v.case_number = case_number;
    v.status = st.getColumn(0).getString();
    v.sender = st.getColumn(1).getString();
    v.contact_email = optional_text(st.getColumn(2));
    v.company = optional_text(st.getColumn(3));
    v.missing = from_json(st.getColumn(4).getString());
    v.last_change = routing::from_rfc3339(st.getColumn(5).getString()).value_or(clock::time_point{});
    return v;
  });
}

std::optional<std::string> sqlite_store::case_for_fingerprint(const std::string& fingerprint,
                                                              clock::time_point since,
                                                              std::error_code& ec) {
  return impl_->guarded(ec, [&]() -> std::optional<std::string> {
    SQLite::Statement st(impl_->db,
                         "SELECT case_number FROM messages WHERE fingerprint = ? AND role = 'opened' "
                         "AND received >= ? ORDER BY id LIMIT 1");
    st.bind(1, fingerprint);
    st.bind(2, routing::to_rfc3339(since));
    if (st.executeStep()) return st.getColumn(0).getString();
    return std::nullopt;
  });
}

void sqlite_store::add_note(const std::string& case_number, const case_note& note,
                            std::error_code& ec) {
  impl_->guarded(ec, [&] {
    auto& db = impl_->db;
    impl::write_scope t(*impl_);
    SQLite::Statement current(db, "SELECT reasons FROM cases WHERE case_number = ?");
    current.bind(1, case_number);
    if (!current.executeStep()) throw SQLite::Exception("no case " + case_number, SQLITE_NOTFOUND);
    std::vector<std::string> reasons = from_json(current.getColumn(0).getString());
    current.reset();

    // Column names come from this fixed list, never from mail.
    static const std::vector<std::string> mergeable = {
        "company",       "contact_name",    "contact_phone", "cco_id",
        "contact_email", "contract",        "smart_account", "virtual_account",
        "product",       "description",     "location",      "alt_contact_name",
        "alt_contact_phone"};
    for (const auto& field : note.filled) {
      for (const auto& column : mergeable) {
        if (column != field && !(field == "contract" && (column == "smart_account" ||
                                                        column == "virtual_account")))
          continue;
        const auto value = routing::field_value(note.request, column);
        if (!value) continue;
        SQLite::Statement set(db, "UPDATE cases SET " + column + " = ? WHERE case_number = ?");
        set.bind(1, *value);
        set.bind(2, case_number);
        set.exec();
      }
    }
    reasons.insert(reasons.end(), note.reasons.begin(), note.reasons.end());
    SQLite::Statement update(db,
                             "UPDATE cases SET missing = ?2, reasons = ?3, "
                             "updated = CASE WHEN ?1 = '' OR status = ?1 THEN updated ELSE ?4 END, "
                             "status = CASE WHEN ?1 = '' THEN status ELSE ?1 END "
                             "WHERE case_number = ?5");
    update.bind(1, note.new_status);
    update.bind(2, to_json(note.still_missing));
    update.bind(3, to_json(reasons));
    update.bind(4, routing::to_rfc3339(note.received));
    update.bind(5, case_number);
    update.exec();
    if (note.redecision) {
      const auto& d = *note.redecision;
      SQLite::Statement rejudge(db,
                                "UPDATE cases SET queue = ?, technology = ?, sub_technology = ?, "
                                "entitled = ?, flags = ? WHERE case_number = ?");
      rejudge.bind(1, d.queue);
      rejudge.bind(2, d.technology);
      rejudge.bind(3, d.sub_technology);
      if (d.entitled)
        rejudge.bind(4, *d.entitled ? 1 : 0);
      else
        rejudge.bind(4);
      rejudge.bind(5, to_json(d.flags));
      rejudge.bind(6, case_number);
      rejudge.exec();
    }
    insert_message(impl_->db, case_number, note.request, note.origin, "follow_up", "",
                   note.received);
    if (note.reply) queue_reply(impl_->db, case_number, *note.reply, note.received);
    advance_cursor(impl_->db, note.origin);
    t.commit();
    return 0;
  });
}

void sqlite_store::record_message(const std::string& case_number, const parser::parsed_message& m,
                                  const message_origin& origin, const std::string& role,
                                  const std::string& note, clock::time_point received,
                                  std::error_code& ec) {
  impl_->guarded(ec, [&] {
    impl::write_scope t(*impl_);
    insert_message(impl_->db, case_number.empty() ? std::nullopt : std::optional(case_number), m,
                   origin, role, note, received);
    advance_cursor(impl_->db, origin);
    t.commit();
    return 0;
  });
}

void sqlite_store::record_quarantine(const message_origin& origin,
                                     const std::optional<std::string>& message_id,
                                     const std::string& reason, clock::time_point at,
                                     std::error_code& ec) {
  impl_->guarded(ec, [&] {
    impl::write_scope t(*impl_);
    SQLite::Statement st(impl_->db,
                         "INSERT OR IGNORE INTO quarantine (mailbox, uidvalidity, uid, message_id, "
                         "reason, created) VALUES (?, ?, ?, ?, ?, ?)");
    st.bind(1, origin.mailbox);
    st.bind(2, static_cast<std::int64_t>(origin.uidvalidity));
    st.bind(3, static_cast<std::int64_t>(origin.uid));
    bind_optional(st, 4, message_id);
    st.bind(5, reason);
    st.bind(6, routing::to_rfc3339(at));
    st.exec();
    advance_cursor(impl_->db, origin);
    t.commit();
    return 0;
  });
}

std::vector<case_record> sqlite_store::list_cases(std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    std::vector<case_record> cases;
    SQLite::Statement st(impl_->db,
                         std::string("SELECT ") + case_columns + " FROM cases ORDER BY case_number");
    SQLite::Statement ids(impl_->db,
                          "SELECT message_id FROM messages WHERE case_number = ? "
                          "AND message_id IS NOT NULL ORDER BY id");
    while (st.executeStep()) {
      cases.push_back(read_case(st));
      ids.reset();
      ids.bind(1, cases.back().case_number);
      while (ids.executeStep()) cases.back().message_ids.push_back(ids.getColumn(0).getString());
    }
    return cases;
  });
}

std::size_t sqlite_store::cases_since(clock::time_point since, std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    SQLite::Statement st(impl_->db, "SELECT count(*) FROM cases WHERE created >= ?");
    st.bind(1, routing::to_rfc3339(since));
    st.executeStep();
    return static_cast<std::size_t>(st.getColumn(0).getInt64());
  });
}

std::vector<quarantine_entry> sqlite_store::list_quarantine(std::error_code& ec) {
  return impl_->guarded(ec, [&] {
    std::vector<quarantine_entry> out;
    SQLite::Statement st(impl_->db,
                         "SELECT mailbox, uidvalidity, uid, message_id, reason, created "
                         "FROM quarantine ORDER BY id DESC");
    while (st.executeStep()) {
      quarantine_entry q;
      q.mailbox = st.getColumn(0).getString();
      q.uidvalidity = static_cast<std::uint32_t>(st.getColumn(1).getInt64());
      q.uid = static_cast<std::uint32_t>(st.getColumn(2).getInt64());
      q.message_id = optional_text(st.getColumn(3));
      q.reason = st.getColumn(4).getString();
      q.created = st.getColumn(5).getString();
      out.push_back(std::move(q));
    }
    return out;
  });
}

std::optional<case_details> sqlite_store::find_case(const std::string& case_number,
                                                    std::error_code& ec) {
  return impl_->guarded(ec, [&]() -> std::optional<case_details> {
    SQLite::Statement st(impl_->db, std::string("SELECT ") + case_columns +
                                        " FROM cases WHERE case_number = ?");
    st.bind(1, case_number);
    if (!st.executeStep()) return std::nullopt;
    case_details details;
    details.record = read_case(st);
    SQLite::Statement msgs(impl_->db,
                           "SELECT message_id, mailbox, uidvalidity, uid, sender, subject, "
                           "received, role, note FROM messages WHERE case_number = ? ORDER BY id");
    msgs.bind(1, case_number);
    while (msgs.executeStep()) {
      stored_message m;
      m.message_id = optional_text(msgs.getColumn(0));
      m.mailbox = msgs.getColumn(1).getString();
      m.uidvalidity = static_cast<std::uint32_t>(msgs.getColumn(2).getInt64());
      m.uid = static_cast<std::uint32_t>(msgs.getColumn(3).getInt64());
      m.sender = msgs.getColumn(4).getString();
      m.subject = msgs.getColumn(5).getString();
      m.received = msgs.getColumn(6).getString();
      m.role = msgs.getColumn(7).getString();
      m.note = msgs.getColumn(8).getString();
      if (m.message_id) details.record.message_ids.push_back(*m.message_id);
      details.messages.push_back(std::move(m));
    }
    SQLite::Statement out(impl_->db, std::string("SELECT ") + outbox_columns +
                                         " FROM outbox WHERE case_number = ? ORDER BY id");
    out.bind(1, case_number);
    while (out.executeStep()) details.replies.push_back(read_outbox(out));
    return details;
  });
}

}  // namespace tacmail::daemon::store
