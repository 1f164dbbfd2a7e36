// sqlite_store: schema and pragmas, case numbers, the one-transaction case + message + cursor +
// reply, rollback, lookups, the outbox states, locking and unreadable files. Each test has its
// own temp folder; a second raw connection looks at the file as another process would.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>

#include "daemon_test_support.hpp"
#include "store/error.hpp"
#include "store/sqlite_store.hpp"
#include "tacmail/routing/time_format.hpp"

namespace {

using namespace tacmail::daemon;
using namespace tacmail::daemon::test;
using tacmail::routing::from_rfc3339;
using tacmail::routing::to_rfc3339;

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

TEST_SUITE("store.sqlite") {
  TEST_CASE("open creates the schema in WAL mode") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    auto s = open_store(file);
    CHECK(std::filesystem::exists(file));
    raw_db raw(file);
    CHECK(raw.scalar("PRAGMA journal_mode") == "wal");
    const auto tables =
        raw.column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    for (const char* t : {"cases", "messages", "outbox", "quarantine", "mailbox_state", "meta"}) {
      CAPTURE(std::string(t));
      CHECK(std::find(tables.begin(), tables.end(), t) != tables.end());
    }
    // synchronous is a per-connection setting: another connection cannot read the store's.
    // What can be checked from outside is that a commit is in the WAL file right after it.
    open_sample_case(*s, sample_request("m1@x.example"), 1, test_now());
    CHECK(std::filesystem::exists(dir.path() / "cases.db-wal"));
    CHECK(raw.scalar("SELECT count(*) FROM cases") == "1");
  }

  TEST_CASE("read-only open: reads what is there, creates and changes nothing") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    std::error_code ec;
    std::string detail;
    CHECK(store::sqlite_store::open(file, ec, detail, store::sqlite_store::access::read_only) ==
          nullptr);
    CHECK(ec == store::error::cannot_open);
    CHECK(detail.find("no database") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(file));  // a mistyped path is not made a new store

    std::string number;
    {
      auto s = open_store(file);
      number = open_sample_case(*s, sample_request("m1@x.example"), 1, test_now());
    }
    auto reader =
        store::sqlite_store::open(file, ec, detail, store::sqlite_store::access::read_only);
    REQUIRE(reader != nullptr);
    const auto cases = reader->list_cases(ec);
    CHECK_FALSE(ec);
    REQUIRE(cases.size() == 1);
    CHECK(cases[0].case_number == number);
    const auto now = test_now();
    reader->open_case(store::new_case{sample_request("m2@x.example"), sample_decision(now),
                                      store::message_origin{"tac", 1, 2}, now, ""},
                      reply_maker(), ec);
    CHECK(ec);  // writing through it fails
    raw_db raw(file);
    CHECK(raw.scalar("SELECT count(*) FROM cases") == "1");

    const auto other = dir.path() / "other.db";
    std::ofstream{other};  // an empty file: a database without tacmail's tables
    CHECK(store::sqlite_store::open(other, ec, detail, store::sqlite_store::access::read_only) ==
          nullptr);
    CHECK(detail.find("not a tacmail database") != std::string::npos);
  }

  TEST_CASE("opening twice keeps the data and the schema is applied idempotently") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    std::string number;
    {
      auto s = open_store(file);
      number = open_sample_case(*s, sample_request("m1@x.example"), 1, test_now());
    }
    auto s = open_store(file);
    std::error_code ec;
    CHECK(s->case_exists(number, ec));
    CHECK_FALSE(ec);
    const std::string next = open_sample_case(*s, sample_request("m2@x.example"), 2, test_now());
    CHECK(next > number);
  }

  TEST_CASE("open_case allocates distinct, increasing 9-digit numbers") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    std::set<std::string> seen;
    std::string previous;
    for (std::uint32_t uid = 1; uid <= 20; ++uid) {
      const std::string n = open_sample_case(
          *s, sample_request("m" + std::to_string(uid) + "@x.example"), uid, test_now());
      CAPTURE(n);
      CHECK(n.size() == 9);
      CHECK(all_digits(n));
      CHECK(n[0] != '0');
      CHECK(n > previous);
      if (!previous.empty()) CHECK(std::stoll(n) == std::stoll(previous) + 1);
      CHECK(seen.insert(n).second);
      previous = n;
    }
  }

  TEST_CASE("case, message, cursor and reply are all visible after the commit") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    auto s = open_store(file);
    auto m = sample_request("m1@x.example");
    m.missing = {"location"};
    const auto now = test_now();
    const std::string number =
        open_sample_case(*s, m, 42, now, reply_maker("jane@acme.example.com", "the content\r\n"));

    std::error_code ec;
    const auto details = s->find_case(number, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(details.has_value());
    const auto& r = details->record;
    CHECK(r.case_number == number);
    CHECK(r.status == "New");
    CHECK(r.queue == "broadworks");
    CHECK(r.technology == "Collaboration & Conferencing");
    CHECK(r.sub_technology == "BroadWorks");
    CHECK(r.severity == std::optional<int>(3));
    CHECK(r.product == std::optional<std::string>("Cisco BroadWorks"));
    CHECK(r.company == std::optional<std::string>("Acme Corp"));
    CHECK(r.contract == std::optional<std::string>("91234567"));
    CHECK_FALSE(r.location.has_value());
    CHECK(r.sender == "jane@acme.example.com");
    CHECK(r.subject == "Cisco BroadWorks");
    CHECK(r.created == to_rfc3339(now));
    CHECK(r.response_due == to_rfc3339(now + std::chrono::hours(24)));
    CHECK(r.missing == std::vector<std::string>{"location"});
    CHECK(r.reasons == sample_decision(now).reasons);
    CHECK(r.message_ids == std::vector<std::string>{"m1@x.example"});

    REQUIRE(details->messages.size() == 1);
    CHECK(details->messages[0].role == "opened");
    CHECK(details->messages[0].uid == 42);
    CHECK(details->messages[0].mailbox == "tac");
    CHECK(details->messages[0].message_id == std::optional<std::string>("m1@x.example"));

    REQUIRE(details->replies.size() == 1);
    const auto& reply = details->replies[0];
    CHECK(reply.case_number == number);
    CHECK(reply.message_id == "tacmail." + number + ".opened@example.com");
    CHECK(reply.recipient == "jane@acme.example.com");
    CHECK(reply.envelope_from.empty());
    CHECK(reply.content == "the content\r\n");
    CHECK(reply.status == "pending");
    CHECK(reply.attempts == 0);
    CHECK(reply.next_attempt == to_rfc3339(now));

    // Seen from another connection, i.e. committed.
    raw_db raw(file);
    CHECK(raw.scalar("SELECT last_uid FROM mailbox_state WHERE mailbox = 'tac'") == "42");
    CHECK(raw.scalar("SELECT uidvalidity FROM mailbox_state WHERE mailbox = 'tac'") == "1");
    CHECK(raw.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'") == "1");
    CHECK(raw.scalar("SELECT role FROM messages WHERE uid = 42") == "opened");
    CHECK(s->pending_replies(ec) == 1);
  }

  TEST_CASE("an empty queued reply queues nothing") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    const std::string number =
        open_sample_case(*s, sample_request("m1@x.example"), 1, test_now(),
                         [](const std::string&) { return store::queued_reply{}; });
    std::error_code ec;
    CHECK(s->find_case(number, ec)->replies.empty());
    CHECK(s->pending_replies(ec) == 0);
  }

  TEST_CASE("a failure inside the transaction stores nothing and consumes no number") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    auto s = open_store(file);
    const auto m = sample_request("m1@x.example");
    const auto d = sample_decision(test_now());
    std::error_code ec;
    const std::string number = s->open_case(
        store::new_case{m, d, store::message_origin{"tac", 1, 7}, test_now(), ""},
        [](const std::string&) -> store::queued_reply { throw std::runtime_error("boom"); }, ec);
    CHECK(ec);
    CHECK(number.empty());
    CHECK_FALSE(s->last_error_detail().empty());

    CHECK(s->list_cases(ec).empty());
    CHECK(s->find_origin({"tac", 1, 7}, ec).state == store::origin_state::kind::unknown);
    CHECK_FALSE(s->case_for_message_id("m1@x.example", ec).has_value());
    raw_db raw(file);
    CHECK(raw.scalar("SELECT count(*) FROM messages") == "0");
    CHECK(raw.scalar("SELECT count(*) FROM outbox") == "0");
    CHECK(raw.scalar("SELECT count(*) FROM mailbox_state") == "0");

    const std::string first = open_sample_case(*s, m, 7, test_now());
    const std::string second = open_sample_case(*s, sample_request("m2@x.example"), 8, test_now());
    CHECK(std::stoll(second) == std::stoll(first) + 1);
    CHECK(raw.scalar("SELECT min(case_number) FROM cases") == first);
    CHECK(first == "700000001");
  }

  TEST_CASE("a duplicate outbox message id rolls the whole case back") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    auto fixed_id = [](const std::string&) {
      store::queued_reply r;
      r.message_id = "same@example.com";
      r.recipient = "jane@acme.example.com";
      r.content = "x\r\n";
      return r;
    };
    open_sample_case(*s, sample_request("m1@x.example"), 1, test_now(), fixed_id);
    const auto m = sample_request("m2@x.example");
    const auto d = sample_decision(test_now());
    std::error_code ec;
    s->open_case(store::new_case{m, d, store::message_origin{"tac", 1, 2}, test_now(), ""},
                 fixed_id, ec);
    CHECK(ec == store::error::constraint);
    CHECK_FALSE(store::is_temporary(ec));
    CHECK(s->list_cases(ec).size() == 1);
    CHECK(s->find_origin({"tac", 1, 2}, ec).state == store::origin_state::kind::unknown);
  }

  TEST_CASE("find_origin: unknown, recorded (with and without case) and quarantined") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    std::error_code ec;
    CHECK(s->find_origin({"tac", 1, 1}, ec).state == store::origin_state::kind::unknown);
    CHECK_FALSE(ec);

    const std::string number = open_sample_case(*s, sample_request("m1@x.example"), 1, test_now());
    auto st = s->find_origin({"tac", 1, 1}, ec);
    CHECK(st.state == store::origin_state::kind::recorded);
    CHECK(st.case_number == number);
    // Same UID under another UIDVALIDITY or mailbox is another message.
    CHECK(s->find_origin({"tac", 2, 1}, ec).state == store::origin_state::kind::unknown);
    CHECK(s->find_origin({"other", 1, 1}, ec).state == store::origin_state::kind::unknown);

    s->record_message("", sample_request("auto@x.example"), {"tac", 1, 2}, "skipped",
                      "auto_reply", test_now(), ec);
    REQUIRE_FALSE(ec);
    st = s->find_origin({"tac", 1, 2}, ec);
    CHECK(st.state == store::origin_state::kind::recorded);
    CHECK(st.case_number.empty());

    s->record_quarantine({"tac", 1, 3}, std::string("bad@x.example"), "unreadable: no headers",
                         test_now(), ec);
    REQUIRE_FALSE(ec);
    st = s->find_origin({"tac", 1, 3}, ec);
    CHECK(st.state == store::origin_state::kind::quarantined);
    CHECK(st.reason == "unreadable: no headers");
    // Quarantining twice is harmless.
    s->record_quarantine({"tac", 1, 3}, std::nullopt, "again", test_now(), ec);
    CHECK_FALSE(ec);
  }

  TEST_CASE("case_for_message_id finds incoming ids and our replies' ids") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    const std::string number = open_sample_case(*s, sample_request("in.1@x.example"), 1, test_now());
    std::error_code ec;
    CHECK(s->case_for_message_id("in.1@x.example", ec) == std::optional<std::string>(number));
    CHECK(s->case_for_message_id("tacmail." + number + ".opened@example.com", ec) ==
          std::optional<std::string>(number));
    CHECK_FALSE(s->case_for_message_id("nobody@x.example", ec).has_value());
    CHECK_FALSE(s->case_for_message_id("", ec).has_value());
    CHECK_FALSE(ec);

    // A follow-up's id finds the case too; a skipped mail's id finds none.
    s->record_message(number, sample_request("in.2@x.example"), {"tac", 1, 2}, "follow_up", "",
                      test_now(), ec);
    REQUIRE_FALSE(ec);
    CHECK(s->case_for_message_id("in.2@x.example", ec) == std::optional<std::string>(number));
    s->record_message("", sample_request("skip@x.example"), {"tac", 1, 3}, "skipped", "list",
                      test_now(), ec);
    REQUIRE_FALSE(ec);
    CHECK_FALSE(s->case_for_message_id("skip@x.example", ec).has_value());
  }

  TEST_CASE("record_message with an empty case number stores no case, but moves the cursor") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    auto s = open_store(file);
    std::error_code ec;
    s->record_message("", sample_request("auto@x.example"), {"tac", 5, 9}, "skipped",
                      "auto_reply", test_now(), ec);
    REQUIRE_FALSE(ec);
    CHECK(s->list_cases(ec).empty());
    raw_db raw(file);
    CHECK(raw.scalar("SELECT count(*) FROM cases") == "0");
    CHECK(raw.scalar("SELECT case_number IS NULL FROM messages WHERE uid = 9") == "1");
    CHECK(raw.scalar("SELECT note FROM messages WHERE uid = 9") == "auto_reply");
    CHECK(raw.scalar("SELECT last_uid FROM mailbox_state WHERE mailbox = 'tac'") == "9");
  }

  TEST_CASE("the same origin cannot be recorded twice") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    std::error_code ec;
    s->record_message("", sample_request("a@x.example"), {"tac", 1, 1}, "skipped", "", test_now(),
                      ec);
    REQUIRE_FALSE(ec);
    s->record_message("", sample_request("b@x.example"), {"tac", 1, 1}, "skipped", "", test_now(),
                      ec);
    CHECK(ec == store::error::constraint);
  }

  TEST_CASE("record_message against an unknown case is refused") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    std::error_code ec;
    s->record_message("799999999", sample_request("a@x.example"), {"tac", 1, 1}, "follow_up", "",
                      test_now(), ec);
    CHECK(ec == store::error::constraint);
    CHECK(s->find_origin({"tac", 1, 1}, ec).state == store::origin_state::kind::unknown);
  }

  TEST_CASE("the UID cursor only moves forward; a new UIDVALIDITY restarts it") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    auto s = open_store(file);
    raw_db raw(file);
    std::error_code ec;
    auto record = [&](std::uint32_t validity, std::uint32_t uid) {
      s->record_message("", sample_request("id" + std::to_string(validity) + "." +
                                           std::to_string(uid) + "@x.example"),
                        {"tac", validity, uid}, "skipped", "", test_now(), ec);
      REQUIRE_FALSE(ec);
    };
    record(1, 10);
    record(1, 5);
    CHECK(raw.scalar("SELECT last_uid FROM mailbox_state") == "10");
    record(2, 3);
    CHECK(raw.scalar("SELECT last_uid FROM mailbox_state") == "3");
    CHECK(raw.scalar("SELECT uidvalidity FROM mailbox_state") == "2");
  }

  TEST_CASE("list_cases returns every case with its message ids in order") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    const std::string a = open_sample_case(*s, sample_request("a1@x.example"), 1, test_now());
    const std::string b = open_sample_case(*s, sample_request("b1@x.example"), 2, test_now());
    std::error_code ec;
    s->record_message(a, sample_request("a2@x.example"), {"tac", 1, 3}, "follow_up", "",
                      test_now(), ec);
    auto no_id = sample_request("");
    no_id.message_id.reset();
    s->record_message(a, no_id, {"tac", 1, 4}, "follow_up", "", test_now(), ec);
    REQUIRE_FALSE(ec);
    const auto cases = s->list_cases(ec);
    REQUIRE_FALSE(ec);
    REQUIRE(cases.size() == 2);
    CHECK(cases[0].case_number == a);
    CHECK(cases[0].message_ids == std::vector<std::string>{"a1@x.example", "a2@x.example"});
    CHECK(cases[1].case_number == b);
    CHECK(cases[1].message_ids == std::vector<std::string>{"b1@x.example"});
  }

  TEST_CASE("find_case returns messages and replies; unknown is nullopt without error") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    const std::string a = open_sample_case(*s, sample_request("a1@x.example"), 1, test_now());
    std::error_code ec;
    s->record_message(a, sample_request("a2@x.example"), {"tac", 1, 2}, "duplicate",
                      "same Message-ID", test_now(), ec);
    REQUIRE_FALSE(ec);
    const auto d = s->find_case(a, ec);
    REQUIRE(d.has_value());
    REQUIRE(d->messages.size() == 2);
    CHECK(d->messages[0].role == "opened");
    CHECK(d->messages[1].role == "duplicate");
    CHECK(d->messages[1].note == "same Message-ID");
    CHECK(d->replies.size() == 1);
    CHECK_FALSE(s->find_case("700000999", ec).has_value());
    CHECK_FALSE(ec);
  }

  TEST_CASE("due_replies respects next_attempt, status, limit and order") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    const auto now = test_now();
    const std::string a = open_sample_case(*s, sample_request("a@x.example"), 1, now);
    const std::string b = open_sample_case(*s, sample_request("b@x.example"), 2, now);
    const std::string c = open_sample_case(*s, sample_request("c@x.example"), 3, now);
    std::error_code ec;

    // Queued "now": not due a second earlier, due at now.
    CHECK(s->due_replies(now - std::chrono::seconds(1), 10, ec).empty());
    auto due = s->due_replies(now, 10, ec);
    REQUIRE(due.size() == 3);
    CHECK(due[0].case_number == a);
    CHECK(due[1].case_number == b);
    CHECK(due[2].case_number == c);
    CHECK(s->due_replies(now, 2, ec).size() == 2);

    s->mark_reply_failed(due[0].id, "451 try later", now + std::chrono::hours(1), ec);
    REQUIRE_FALSE(ec);
    s->mark_replies_sent({due[1].id}, now, ec);
    REQUIRE_FALSE(ec);
    s->mark_reply_failed(due[2].id, "550 no such user", std::nullopt, ec);
    REQUIRE_FALSE(ec);

    CHECK(s->due_replies(now + std::chrono::minutes(59), 10, ec).empty());
    const auto later = s->due_replies(now + std::chrono::hours(1), 10, ec);
    REQUIRE(later.size() == 1);
    CHECK(later[0].case_number == a);
    CHECK(s->pending_replies(ec) == 1);
  }

  TEST_CASE("mark_replies_sent and mark_reply_failed (retry and permanent)") {
    temp_dir dir;
    auto s = open_store(dir.path() / "cases.db");
    const auto now = test_now();
    const std::string a = open_sample_case(*s, sample_request("a@x.example"), 1, now);
    const std::string b = open_sample_case(*s, sample_request("b@x.example"), 2, now);
    const std::string c = open_sample_case(*s, sample_request("c@x.example"), 3, now);
    std::error_code ec;
    auto reply_of = [&](const std::string& number) { return s->find_case(number, ec)->replies.at(0); };

    s->mark_replies_sent({reply_of(a).id}, now + std::chrono::seconds(5), ec);
    REQUIRE_FALSE(ec);
    auto ra = reply_of(a);
    CHECK(ra.status == "sent");
    CHECK(ra.attempts == 1);
    CHECK(ra.sent_at == to_rfc3339(now + std::chrono::seconds(5)));
    CHECK(ra.last_error.empty());

    const auto retry_at = now + std::chrono::seconds(33);
    s->mark_reply_failed(reply_of(b).id, "server replied 451: busy", retry_at, ec);
    REQUIRE_FALSE(ec);
    auto rb = reply_of(b);
    CHECK(rb.status == "pending");
    CHECK(rb.attempts == 1);
    CHECK(rb.next_attempt == to_rfc3339(retry_at));
    CHECK(rb.last_error == "server replied 451: busy");
    s->mark_reply_failed(rb.id, "again", retry_at + std::chrono::minutes(1), ec);
    CHECK(reply_of(b).attempts == 2);

    s->mark_reply_failed(reply_of(c).id, "server replied 550: no such user", std::nullopt, ec);
    REQUIRE_FALSE(ec);
    auto rc = reply_of(c);
    CHECK(rc.status == "failed");
    CHECK(rc.attempts == 1);
    CHECK(rc.next_attempt == to_rfc3339(now));  // unchanged
    CHECK(rc.last_error == "server replied 550: no such user");
    CHECK(s->pending_replies(ec) == 1);
  }

  TEST_CASE("a database locked by another writer: busy within the timeout, then fine again") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    auto s = open_store(file);
    raw_db other(file);
    REQUIRE(other.exec("BEGIN IMMEDIATE") == SQLITE_OK);

    const auto m = sample_request("m1@x.example");
    const auto d = sample_decision(test_now());
    std::error_code ec;
    const auto started = std::chrono::steady_clock::now();
    const std::string number = s->open_case(
        store::new_case{m, d, store::message_origin{"tac", 1, 1}, test_now(), ""}, reply_maker(),
        ec);
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(ec == store::error::busy);
    CHECK(store::is_temporary(ec));
    CHECK(number.empty());
    CHECK(waited >= std::chrono::seconds(3));
    CHECK(waited < std::chrono::seconds(15));
    // Readers are not blocked by a writer in WAL mode.
    std::error_code read_ec;
    CHECK(s->find_origin({"tac", 1, 1}, read_ec).state == store::origin_state::kind::unknown);
    CHECK_FALSE(read_ec);

    REQUIRE(other.exec("ROLLBACK") == SQLITE_OK);
    const std::string after = s->open_case(
        store::new_case{m, d, store::message_origin{"tac", 1, 1}, test_now(), ""}, reply_maker(),
        ec);
    CHECK_FALSE(ec);
    CHECK(after == "700000001");
  }

  TEST_CASE("a file that is not a database: corrupt or cannot_open, with a detail") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    {
      std::ofstream out(file, std::ios::binary);
      for (int i = 0; i < 200; ++i) out << "this is not an SQLite database, just text\n";
    }
    std::error_code ec;
    std::string detail;
    auto s = store::sqlite_store::open(file, ec, detail);
    CHECK(s == nullptr);
    CHECK((ec == store::error::corrupt || ec == store::error::cannot_open));
    CHECK_FALSE(detail.empty());
    CHECK(ec.category().name() == std::string("store"));
    CHECK_FALSE(ec.message().empty());
  }

  TEST_CASE("a folder that does not exist: cannot_open, temporary") {
    temp_dir dir;
    std::error_code ec;
    std::string detail;
    auto s = store::sqlite_store::open(dir.path() / "missing" / "cases.db", ec, detail);
    CHECK(s == nullptr);
    CHECK(ec == store::error::cannot_open);
    CHECK_FALSE(detail.empty());
  }

  TEST_CASE("error category names every value and classifies retries") {
    using store::error;
    for (auto e : {error::busy, error::full, error::io, error::corrupt, error::constraint,
                   error::cannot_open, error::other}) {
      const std::error_code ec = e;
      CHECK_FALSE(ec.message().empty());
      CHECK(ec.message() != "unknown store error");
    }
    CHECK(store::is_temporary(error::busy));
    CHECK(store::is_temporary(error::full));
    CHECK(store::is_temporary(error::io));
    CHECK_FALSE(store::is_temporary(error::corrupt));
    CHECK_FALSE(store::is_temporary(error::constraint));
    CHECK_FALSE(store::is_temporary(error::other));
    CHECK_FALSE(store::is_temporary(std::error_code()));
    CHECK(store::is_temporary(error::batch_aborted));
  }

  TEST_CASE("a batch: one sync for many writes; a failed write undoes only itself") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db";
    auto s = open_store(file);
    raw_db reader(file);
    std::error_code ec;
    s->begin_batch(ec);
    REQUIRE_FALSE(ec);
    const std::string first = open_sample_case(*s, sample_request("b1@x.example"), 1, test_now());
    s->record_message("", sample_request("b2@x.example"), {"tac", 1, 2}, "skipped", "list",
                      test_now(), ec);
    REQUIRE_FALSE(ec);
    // The same origin twice breaks a uniqueness rule: that write fails, the batch goes on.
    s->record_message("", sample_request("b3@x.example"), {"tac", 1, 2}, "skipped", "list",
                      test_now(), ec);
    CHECK(ec == store::error::constraint);
    const std::string second = open_sample_case(*s, sample_request("b4@x.example"), 3, test_now());
    CHECK(reader.scalar("SELECT count(*) FROM messages") == "0");
    s->commit_batch(ec);
    REQUIRE_FALSE(ec);
    CHECK(reader.scalar("SELECT count(*) FROM messages") == "3");
    CHECK(reader.scalar("SELECT count(*) FROM cases") == "2");
    CHECK(reader.scalar("SELECT count(*) FROM messages WHERE message_id = 'b3@x.example'") == "0");
    CHECK(second != first);
    // Outside a batch every write commits on its own again.
    s->record_message("", sample_request("b5@x.example"), {"tac", 1, 4}, "skipped", "list",
                      test_now(), ec);
    REQUIRE_FALSE(ec);
    CHECK(reader.scalar("SELECT count(*) FROM messages") == "4");
  }
}
