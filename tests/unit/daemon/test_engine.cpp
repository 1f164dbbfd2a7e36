// The intake engine on the real SQLite store with raw RFC 5322 mails: open, already done,
// duplicate, attach by subject tag and by In-Reply-To, skip auto-replies, never answer
// ourselves, retry on a locked store, and one on_reply_queued call per queued reply.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "daemon_test_support.hpp"
#include "intake/engine.hpp"
#include "store/error.hpp"

namespace {

using namespace std::chrono;
using namespace tacmail::daemon;
using namespace tacmail::daemon::test;
using intake::outcome;

const std::string our_from = "Technical Support <tac@example.com>";

struct mail_spec {
  std::string from = "Jane Doe <jane@acme.example.com>";
  std::string subject = "Cisco BroadWorks";
  std::string message_id = "req-1@acme.example.com";
  std::string extra_headers;  // each line ending in \r\n
  std::string body =
      "Company name: Acme Corp\r\n"
      "Contact name: Jane Doe\r\n"
      "Contact phone number: +1 555 0100\r\n"
      "Cisco.com User ID: jdoe\r\n"
      "Contact email address: jane@acme.example.com\r\n"
      "Contract number: 91234567\r\n"
      "Product type: Cisco BroadWorks\r\n"
      "Business effect: S3\r\n"
      "Brief problem description: calls drop after 30 seconds\r\n"
      "Equipment location: 1 Main St, Springfield\r\n"
      "Alternate contact name: John Doe\r\n"
      "Alternate contact phone number: +1 555 0101\r\n";
};

std::string mail(const mail_spec& s) {
  std::string m;
  m += "From: " + s.from + "\r\n";
  m += "To: Technical Support <tac@example.com>\r\n";
  m += "Subject: " + s.subject + "\r\n";
  m += "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n";
  if (!s.message_id.empty()) m += "Message-ID: <" + s.message_id + ">\r\n";
  m += s.extra_headers;
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "\r\n";
  m += s.body;
  return m;
}

struct engine_fixture {
  temp_dir dir;
  std::filesystem::path file = dir.path() / "cases.db";
  std::unique_ptr<store::sqlite_store> store = open_store(file);
  int replies_queued = 0;
  intake::engine engine{*store, rules(), settings(), [this] { ++replies_queued; }};

  static tacmail::routing::routing_rules rules() {
    tacmail::routing::routing_rules r;
    r.products = tacmail::config::builtin_product_catalog();
    return r;
  }
  static intake::engine_settings settings() {
    intake::engine_settings s;
    s.from_header = our_from;
    return s;
  }

  outcome process(std::uint32_t uid, const mail_spec& spec,
                  clock::time_point now = test_now()) {
    return engine.process({"tac", 1, uid}, mail(spec), now);
  }

  std::size_t cases() {
    std::error_code ec;
    return store->list_cases(ec).size();
  }
  std::size_t outbox_rows() {
    raw_db raw(file);
    return static_cast<std::size_t>(std::stoul(raw.scalar("SELECT count(*) FROM outbox")));
  }
  store::case_details details(const std::string& number) {
    std::error_code ec;
    auto d = store->find_case(number, ec);
    REQUIRE(d.has_value());
    return *d;
  }
};

// The case events the engine emits, in order.
struct recording_sink final : ops::event_sink {
  std::vector<ops::case_event> events;
  void record(const ops::case_event& e) override { events.push_back(e); }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.event);
    return out;
  }
};

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

bool contains(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

}  // namespace

TEST_SUITE("intake.engine") {
  TEST_CASE("a new mail opens a case and queues a reply to its From address") {
    engine_fixture f;
    const outcome o = f.process(1, mail_spec{});
    INFO("reason: ", o.reason);
    REQUIRE(o.what == outcome::kind::opened);
    CHECK(o.case_number.size() == 9);
    CHECK(f.replies_queued == 1);
    CHECK(f.cases() == 1);

    const auto d = f.details(o.case_number);
    CHECK(d.record.queue == "broadworks");
    CHECK(d.record.product == std::optional<std::string>("Cisco BroadWorks"));
    CHECK(d.record.sender == "jane@acme.example.com");
    CHECK(d.record.message_ids == std::vector<std::string>{"req-1@acme.example.com"});
    REQUIRE(d.messages.size() == 1);
    CHECK(d.messages[0].role == "opened");

    REQUIRE(d.replies.size() == 1);
    const auto& r = d.replies[0];
    CHECK(r.recipient == "jane@acme.example.com");
    CHECK(r.status == "pending");
    CHECK(r.envelope_from.empty());
    CHECK(has(r.content, "\r\nTo: <jane@acme.example.com>\r\n"));
    CHECK(has(r.content, "\r\nIn-Reply-To: <req-1@acme.example.com>\r\n"));
    CHECK(has(r.content, "\r\nSubject: [Case " + o.case_number + "] Cisco BroadWorks\r\n"));
    CHECK(has(r.content, "\r\nAuto-Submitted: auto-replied\r\n"));
    CHECK(has(r.content, "\r\nMessage-ID: <" + r.message_id + ">\r\n"));
    CHECK(r.content.starts_with("From: " + our_from + "\r\n"));
    CHECK(has(r.content, o.case_number));
  }

  TEST_CASE("the same origin again is already done: no new case, no new reply") {
    engine_fixture f;
    const outcome first = f.process(1, mail_spec{});
    REQUIRE(first.what == outcome::kind::opened);
    CHECK(first.earlier_message_id.empty());
    const outcome again = f.process(1, mail_spec{});
    CHECK(again.what == outcome::kind::already_done);
    CHECK(again.case_number == first.case_number);
    // What the IMAP side looks for in Processed, in case the earlier move was cut short.
    CHECK(again.earlier_message_id == "req-1@acme.example.com");
    CHECK(f.cases() == 1);
    CHECK(f.outbox_rows() == 1);
    CHECK(f.replies_queued == 1);
  }

  TEST_CASE("the same Message-ID under another UID is a duplicate: no case, no second reply") {
    engine_fixture f;
    const outcome first = f.process(1, mail_spec{});
    REQUIRE(first.what == outcome::kind::opened);
    mail_spec resent;
    resent.body += "(resent)\r\n";
    const outcome dup = f.process(2, resent);
    CHECK(dup.what == outcome::kind::duplicate);
    CHECK(dup.case_number == first.case_number);
    CHECK(f.cases() == 1);
    CHECK(f.outbox_rows() == 1);
    CHECK(f.replies_queued == 1);
    const auto d = f.details(first.case_number);
    REQUIRE(d.messages.size() == 2);
    CHECK(d.messages[1].role == "duplicate");
    CHECK(d.messages[1].uid == 2);
    std::error_code ec;
    CHECK(f.store->find_origin({"tac", 1, 2}, ec).state == store::origin_state::kind::recorded);
  }

  TEST_CASE("the same request sent again under a new Message-ID: a duplicate within the window") {
    engine_fixture f;
    const outcome first = f.process(1, mail_spec{});
    REQUIRE(first.what == outcome::kind::opened);
    mail_spec again;
    again.message_id = "req-2@acme.example.com";
    again.subject = "  cisco   BROADWORKS";  // the subject is compared without case and spaces
    const outcome dup = f.process(2, again, test_now() + std::chrono::minutes(9));
    CHECK(dup.what == outcome::kind::duplicate);
    CHECK(dup.case_number == first.case_number);
    CHECK(f.replies_queued == 1);
    // Outside the window (10 minutes), or with other text, it is a request of its own.
    mail_spec later = again;
    later.message_id = "req-3@acme.example.com";
    CHECK(f.process(3, later, test_now() + std::chrono::minutes(11)).what == outcome::kind::opened);
    mail_spec other = again;
    other.message_id = "req-4@acme.example.com";
    other.body += "It also happens on Fridays.\r\n";
    CHECK(f.process(4, other, test_now() + std::chrono::minutes(9)).what == outcome::kind::opened);
    CHECK(f.cases() == 3);
  }

  TEST_CASE("a mail naming an existing case in the subject is attached, with no reply") {
    engine_fixture f;
    const outcome first = f.process(1, mail_spec{});
    REQUIRE(first.what == outcome::kind::opened);
    mail_spec follow;
    follow.subject = "RE: [Case " + first.case_number + "] Cisco BroadWorks";
    follow.message_id = "req-2@acme.example.com";
    follow.body = "Here are the logs you asked for.\r\n";
    const outcome o = f.process(2, follow);
    INFO("reason: ", o.reason);
    CHECK(o.what == outcome::kind::attached);
    CHECK(o.case_number == first.case_number);
    CHECK(f.cases() == 1);
    CHECK(f.outbox_rows() == 1);
    CHECK(f.replies_queued == 1);
    const auto d = f.details(first.case_number);
    CHECK(d.record.message_ids ==
          std::vector<std::string>{"req-1@acme.example.com", "req-2@acme.example.com"});
  }

  TEST_CASE("a mail whose In-Reply-To names our reply is attached") {
    engine_fixture f;
    const outcome first = f.process(1, mail_spec{});
    REQUIRE(first.what == outcome::kind::opened);
    const std::string reply_id = f.details(first.case_number).replies.at(0).message_id;
    mail_spec follow;
    follow.subject = "Re: your support request";  // no tag: only the thread links it
    follow.message_id = "req-3@acme.example.com";
    follow.extra_headers = "In-Reply-To: <" + reply_id + ">\r\nReferences: <req-1@acme.example.com> <" +
                           reply_id + ">\r\n";
    follow.body = "Thanks, the problem started yesterday.\r\n";
    const outcome o = f.process(2, follow);
    INFO("reason: ", o.reason);
    CHECK(o.what == outcome::kind::attached);
    CHECK(o.case_number == first.case_number);
    CHECK(f.cases() == 1);
    CHECK(f.replies_queued == 1);
  }

  TEST_CASE("a mail whose References name the original request is attached") {
    engine_fixture f;
    const outcome first = f.process(1, mail_spec{});
    REQUIRE(first.what == outcome::kind::opened);
    mail_spec follow;
    follow.subject = "more details";
    follow.message_id = "req-4@acme.example.com";
    follow.extra_headers = "References: <req-1@acme.example.com>\r\n";
    follow.body = "One more detail.\r\n";
    const outcome o = f.process(2, follow);
    CHECK(o.what == outcome::kind::attached);
    CHECK(o.case_number == first.case_number);
  }

  TEST_CASE("a tag naming a case that does not exist opens a new case") {
    engine_fixture f;
    mail_spec m;
    m.subject = "[Case 123456789] Cisco BroadWorks";
    const outcome o = f.process(1, m);
    CHECK(o.what == outcome::kind::opened);
    CHECK(o.case_number != "123456789");
    CHECK(f.replies_queued == 1);
  }

  TEST_CASE("an unreadable mail is quarantined with the parser's reason, said once") {
    engine_fixture f;
    const std::string nested = [] {
      std::string m = "From: a@customer.example\r\nSubject: deep\r\n";
      for (int i = 0; i < 60; ++i) m += "Content-Type: message/rfc822\r\n\r\n";
      return m;
    }();
    const outcome o = f.engine.process({"tac", 1, 1}, nested, test_now());
    CHECK(o.what == outcome::kind::quarantined);
    CHECK(o.reason.starts_with("unreadable: MIME nesting deeper than max_mime_depth"));
    CHECK_FALSE(has(o.reason, "unreadable: unreadable"));
    CHECK(f.cases() == 0);
    CHECK(f.replies_queued == 0);
    std::error_code ec;
    const auto seen = f.store->find_origin({"tac", 1, 1}, ec);
    CHECK(seen.state == store::origin_state::kind::quarantined);
    CHECK(seen.reason == o.reason);
    CHECK(o.earlier_message_id.empty());
    // Seen again (its move to Quarantine was cut short): the same reason, marked as earlier.
    // This mail has no Message-ID, so there is nothing to look for in Quarantine.
    const outcome again = f.engine.process({"tac", 1, 1}, nested, test_now());
    CHECK(again.what == outcome::kind::quarantined);
    CHECK(again.reason == o.reason);
    CHECK(again.earlier_message_id.empty());
    const std::string with_id = "Message-ID: <deep@customer.example>\r\n" + nested;
    REQUIRE(f.engine.process({"tac", 1, 2}, with_id, test_now()).what ==
            outcome::kind::quarantined);
    CHECK(f.engine.process({"tac", 1, 2}, with_id, test_now()).earlier_message_id ==
          "deep@customer.example");
  }

  TEST_CASE("Auto-Submitted: auto-replied is skipped: no case, no reply") {
    engine_fixture f;
    mail_spec m;
    m.subject = "Out of office: Cisco BroadWorks";
    m.extra_headers = "Auto-Submitted: auto-replied\r\n";
    m.body = "I am out of the office until Monday.\r\n";
    const outcome o = f.process(1, m);
    CHECK(o.what == outcome::kind::skipped);
    CHECK(o.case_number.empty());
    CHECK(f.cases() == 0);
    CHECK(f.outbox_rows() == 0);
    CHECK(f.replies_queued == 0);
    std::error_code ec;
    const auto seen = f.store->find_origin({"tac", 1, 1}, ec);
    CHECK(seen.state == store::origin_state::kind::recorded);
    CHECK(seen.case_number.empty());
  }

  TEST_CASE("an auto-reply to our reply is skipped, not attached and not answered") {
    engine_fixture f;
    const outcome first = f.process(1, mail_spec{});
    REQUIRE(first.what == outcome::kind::opened);
    const std::string reply_id = f.details(first.case_number).replies.at(0).message_id;
    mail_spec m;
    m.subject = "Automatic reply: [Case " + first.case_number + "] Cisco BroadWorks";
    m.message_id = "ooo-1@acme.example.com";
    m.extra_headers = "Auto-Submitted: auto-replied\r\nIn-Reply-To: <" + reply_id + ">\r\n";
    m.body = "I am away.\r\n";
    const outcome o = f.process(2, m);
    CHECK(o.what == outcome::kind::skipped);
    CHECK(f.outbox_rows() == 1);
    CHECK(f.replies_queued == 1);
  }

  TEST_CASE("a mail from our own address opens a case but is never answered") {
    engine_fixture f;
    mail_spec m;
    m.from = "TAC Robot <TAC@Example.com>";
    m.message_id = "loop-1@example.com";
    const outcome o = f.process(1, m);
    INFO("reason: ", o.reason);
    REQUIRE(o.what == outcome::kind::opened);
    CHECK(f.replies_queued == 0);
    // A suppressed reply may be recorded for the reviewers, but nothing is ever sent.
    std::error_code ec;
    CHECK(f.store->pending_replies(ec) == 0);
    CHECK(f.store->due_replies(test_now() + hours(24 * 30), 10, ec).empty());
    const auto d = f.details(o.case_number);
    for (const auto& r : d.replies) CHECK(r.status != "pending");
    CHECK(contains(d.record.flags, "no_reply"));
  }

  TEST_CASE("on_reply_queued is called exactly once per queued reply") {
    engine_fixture f;
    int expected = 0;
    for (std::uint32_t uid = 1; uid <= 4; ++uid) {
      mail_spec m;
      m.message_id = "multi-" + std::to_string(uid) + "@acme.example.com";
      m.body += "Request number " + std::to_string(uid) + "\r\n";
      const outcome o = f.process(uid, m);
      REQUIRE(o.what == outcome::kind::opened);
      ++expected;
      CHECK(f.replies_queued == expected);
    }
    CHECK(f.outbox_rows() == 4);
    f.process(1, mail_spec{});  // already done
    CHECK(f.replies_queued == expected);
  }

  TEST_CASE("a store locked by another writer: retry, nothing recorded, then it goes through") {
    engine_fixture f;
    raw_db other(f.file);
    REQUIRE(other.exec("BEGIN IMMEDIATE") == SQLITE_OK);
    const outcome o = f.process(1, mail_spec{});
    CHECK(o.what == outcome::kind::retry);
    CHECK(f.replies_queued == 0);
    REQUIRE(other.exec("ROLLBACK") == SQLITE_OK);
    std::error_code ec;
    CHECK(f.store->find_origin({"tac", 1, 1}, ec).state == store::origin_state::kind::unknown);
    const outcome again = f.process(1, mail_spec{});
    CHECK(again.what == outcome::kind::opened);
    CHECK(f.replies_queued == 1);
  }

  TEST_CASE("a batch is stored at its commit; its events and reply wake-ups wait for it") {
    engine_fixture f;
    recording_sink events;
    intake::engine engine{*f.store, engine_fixture::rules(), engine_fixture::settings(),
                          [&f] { ++f.replies_queued; }, &events};
    raw_db reader(f.file);
    engine.begin_batch();
    for (std::uint32_t uid = 1; uid <= 3; ++uid) {
      mail_spec spec;
      spec.message_id = "batch-" + std::to_string(uid) + "@acme.example.com";
      spec.subject = "Cisco BroadWorks outage " + std::to_string(uid);
      CHECK(engine.process({"tac", 1, uid}, mail(spec), test_now()).what == outcome::kind::opened);
    }
    // The batch's own reads see its writes: the same Message-ID again is a duplicate.
    mail_spec again;
    again.message_id = "batch-2@acme.example.com";
    CHECK(engine.process({"tac", 1, 4}, mail(again), test_now()).what == outcome::kind::duplicate);
    CHECK(reader.scalar("SELECT count(*) FROM cases") == "0");
    CHECK(events.events.empty());
    CHECK(f.replies_queued == 0);

    CHECK(engine.commit_batch());
    CHECK(reader.scalar("SELECT count(*) FROM cases") == "3");
    CHECK(reader.scalar("SELECT count(*) FROM messages") == "4");
    CHECK(reader.scalar("SELECT last_uid FROM mailbox_state WHERE mailbox = 'tac'") == "4");
    CHECK(events.names() == std::vector<std::string>{"case_opened", "case_opened", "case_opened",
                                                     "duplicate"});
    CHECK(f.replies_queued == 3);
  }

  TEST_CASE("a batch that cannot start stores nothing, says retry, and announces nothing") {
    engine_fixture f;
    recording_sink events;
    intake::engine engine{*f.store, engine_fixture::rules(), engine_fixture::settings(),
                          [&f] { ++f.replies_queued; }, &events};
    raw_db other(f.file);
    REQUIRE(other.exec("BEGIN IMMEDIATE") == SQLITE_OK);
    engine.begin_batch();
    CHECK(engine.process({"tac", 1, 1}, mail(mail_spec{}), test_now()).what ==
          outcome::kind::retry);
    CHECK(engine.quarantine({"tac", 1, 2}, "too big", test_now()).what == outcome::kind::retry);
    CHECK_FALSE(engine.commit_batch());
    REQUIRE(other.exec("ROLLBACK") == SQLITE_OK);
    CHECK(f.cases() == 0);
    CHECK(events.events.empty());
    CHECK(f.replies_queued == 0);
    // The next batch goes through.
    engine.begin_batch();
    CHECK(engine.process({"tac", 1, 1}, mail(mail_spec{}), test_now()).what ==
          outcome::kind::opened);
    CHECK(engine.commit_batch());
    CHECK(f.cases() == 1);
    CHECK(f.replies_queued == 1);
  }
}
