// drain_outbox against a loopback SMTP responder: sent, deferred with backoff, permanent
// failure, connection refused, giving up after five days, dot-stuffing and the null sender;
// and with the sent journal: a reply the server accepted is never sent twice, whether the
// process was killed before the store's mark or the store refused it; one the server may have
// taken without its answer arriving goes again, and the log says so both times.
#include <doctest/doctest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>

#include "daemon_test_support.hpp"
#include "smtp/message_writer.hpp"
#include "smtp/outbox.hpp"
#include "smtp/outbox_worker.hpp"
#include "smtp/sent_journal.hpp"
#include "smtp/smtp_sender.hpp"
#include "smtp_responder.hpp"
#include "tacmail/routing/time_format.hpp"

namespace {

using namespace std::chrono;
using namespace tacmail::daemon;
using namespace tacmail::daemon::test;
using tacmail::routing::from_rfc3339;

tacmail::config::smtp_settings smtp_settings_for(const std::string& url) {
  tacmail::config::smtp_settings s;
  s.url = url;
  s.tls = tacmail::config::tls_mode::none;
  s.from = "Technical Support <tac@example.com>";
  return s;
}

smtp::smtp_sender make_sender(const std::string& url) {
  return smtp::smtp_sender(smtp_settings_for(url), std::nullopt);
}

std::string sample_content(const std::string& body = "Hello,\nyour case is open.\n") {
  tacmail::routing::reply_content r;
  r.to_address = "jane@acme.example.com";
  r.subject = "[Case 700000001] Cisco BroadWorks";
  r.in_reply_to = {"m1@x.example"};
  r.references = {"m1@x.example"};
  r.body = body;
  return smtp::write_reply(r, "Technical Support <tac@example.com>",
                           "tacmail.700000001.opened@example.com", test_now());
}

// Queues one reply per call, each in its own case.
struct outbox_fixture {
  temp_dir dir;
  std::unique_ptr<store::sqlite_store> store = open_store(dir.path() / "cases.db");
  std::uint32_t next_uid = 1;

  std::string queue(clock::time_point received = test_now(), std::string content = sample_content(),
                    std::string envelope_from = "") {
    const std::uint32_t uid = next_uid++;
    return open_sample_case(*store, sample_request("m" + std::to_string(uid) + "@x.example"), uid,
                            received,
                            reply_maker("jane@acme.example.com", content, envelope_from));
  }

  std::filesystem::path journal_file() const {
    return smtp::sent_journal::path_for(dir.path() / "cases.db");
  }

  store::outbox_entry reply(const std::string& number) {
    std::error_code ec;
    auto d = store->find_case(number, ec);
    REQUIRE(d.has_value());
    REQUIRE(d->replies.size() == 1);
    return d->replies[0];
  }
};

}  // namespace

TEST_SUITE("smtp.outbox") {
  TEST_CASE("250: the reply is sent as queued and marked sent") {
    outbox_fixture f;
    smtp_responder server(250);
    const std::string number = f.queue();
    auto sender = make_sender(server.url());
    const auto r = smtp::drain_outbox(*f.store, sender, test_now());
    CHECK(r.sent == 1);
    CHECK(r.deferred == 0);
    CHECK(r.failed == 0);
    CHECK_FALSE(r.store_error);

    const auto e = f.reply(number);
    CHECK(e.status == "sent");
    CHECK(e.attempts == 1);
    CHECK(e.sent_at == tacmail::routing::to_rfc3339(test_now()));

    const auto seen = server.transactions();
    REQUIRE(seen.size() == 1);
    REQUIRE(seen[0].rcpt.size() == 1);
    CHECK(seen[0].rcpt[0].find("<jane@acme.example.com>") != std::string::npos);
    CHECK(seen[0].data == e.content);

    // Nothing is due any more: a second drain sends nothing.
    const auto again = smtp::drain_outbox(*f.store, sender, test_now() + hours(1));
    CHECK(again.sent == 0);
    CHECK(server.transactions().size() == 1);
  }

  TEST_CASE("several due replies all go out in one drain") {
    outbox_fixture f;
    smtp_responder server(250);
    const std::string a = f.queue();
    const std::string b = f.queue();
    const std::string c = f.queue();
    auto sender = make_sender(server.url());
    const auto r = smtp::drain_outbox(*f.store, sender, test_now());
    CHECK(r.sent == 3);
    CHECK(server.transactions().size() == 3);
    for (const auto& n : {a, b, c}) CHECK(f.reply(n).status == "sent");
  }

  TEST_CASE("the null reverse-path: MAIL FROM:<> for an empty envelope sender") {
    outbox_fixture f;
    smtp_responder server(250);
    f.queue(test_now(), sample_content(), "");
    f.queue(test_now(), sample_content(), "bounces@example.com");
    auto sender = make_sender(server.url());
    CHECK(smtp::drain_outbox(*f.store, sender, test_now()).sent == 2);
    const auto seen = server.transactions();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].mail_from.starts_with("MAIL FROM:<>"));
    CHECK(seen[1].mail_from.starts_with("MAIL FROM:<bounces@example.com>"));
  }

  TEST_CASE("lone dots in the body are dot-stuffed on the wire") {
    outbox_fixture f;
    smtp_responder server(250);
    const std::string content = sample_content("line one\n.\nline three\n.hidden\n..two\nend\n");
    const std::string number = f.queue(test_now(), content);
    auto sender = make_sender(server.url());
    CHECK(smtp::drain_outbox(*f.store, sender, test_now()).sent == 1);
    const auto seen = server.transactions();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].wire.find("\r\n..\r\n") != std::string::npos);
    CHECK(seen[0].wire.find("\r\n..hidden\r\n") != std::string::npos);
    CHECK(seen[0].wire.find("\r\n...two\r\n") != std::string::npos);
    // Un-stuffed, the server has exactly what was queued: the message did not end early.
    CHECK(seen[0].data == content);
    CHECK(seen[0].data.find("\r\nend\r\n") != std::string::npos);
    CHECK(f.reply(number).status == "sent");
  }

  TEST_CASE("451: deferred with a 30-36 s first retry, and the drain stops there") {
    outbox_fixture f;
    smtp_responder server(451);
    const std::string a = f.queue();
    const std::string b = f.queue();
    auto sender = make_sender(server.url());
    const auto now = test_now();
    const auto r = smtp::drain_outbox(*f.store, sender, now);
    CHECK(r.deferred == 1);
    CHECK(r.sent == 0);
    CHECK(r.failed == 0);
    CHECK(server.transactions().size() == 1);

    const auto ea = f.reply(a);
    CHECK(ea.status == "pending");
    CHECK(ea.attempts == 1);
    CHECK(ea.last_error.find("451") != std::string::npos);
    const auto next = from_rfc3339(ea.next_attempt);
    REQUIRE(next.has_value());
    CHECK(*next >= now + seconds(30));
    CHECK(*next <= now + seconds(36));

    // The second reply was not tried.
    const auto eb = f.reply(b);
    CHECK(eb.status == "pending");
    CHECK(eb.attempts == 0);
    CHECK(eb.last_error.empty());

    // The second retry of the first waits twice as long (60-72 s).
    const auto later = *next;
    const auto r2 = smtp::drain_outbox(*f.store, sender, later);
    CHECK(r2.deferred == 1);
    const auto ea2 = f.reply(a);
    CHECK(ea2.attempts == 2);
    const auto next2 = from_rfc3339(ea2.next_attempt);
    REQUIRE(next2.has_value());
    CHECK(*next2 >= later + seconds(60));
    CHECK(*next2 <= later + seconds(72));
  }

  TEST_CASE("a deferred reply goes out once the server recovers") {
    outbox_fixture f;
    smtp_responder server(451);
    const std::string a = f.queue();
    auto sender = make_sender(server.url());
    CHECK(smtp::drain_outbox(*f.store, sender, test_now()).deferred == 1);
    // Not due yet: nothing is tried.
    CHECK(smtp::drain_outbox(*f.store, sender, test_now() + seconds(10)).deferred == 0);
    CHECK(server.transactions().size() == 1);
    server.set_final_code(250);
    CHECK(smtp::drain_outbox(*f.store, sender, test_now() + seconds(40)).sent == 1);
    CHECK(f.reply(a).status == "sent");
    CHECK(f.reply(a).attempts == 2);
  }

  TEST_CASE("550: failed permanently with the server's code in last_error; the drain goes on") {
    outbox_fixture f;
    smtp_responder server(550);
    const std::string a = f.queue();
    const std::string b = f.queue();
    auto sender = make_sender(server.url());
    const auto r = smtp::drain_outbox(*f.store, sender, test_now());
    CHECK(r.failed == 2);
    CHECK(r.deferred == 0);
    CHECK(server.transactions().size() == 2);
    for (const auto& n : {a, b}) {
      const auto e = f.reply(n);
      CHECK(e.status == "failed");
      CHECK(e.attempts == 1);
      CHECK(e.last_error.find("550") != std::string::npos);
    }
    std::error_code ec;
    CHECK(f.store->pending_replies(ec) == 0);
  }

  TEST_CASE("nothing listening: temporary, the reply stays pending") {
    outbox_fixture f;
    const std::string a = f.queue();
    auto sender = make_sender("smtp://127.0.0.1:" + std::to_string(smtp_responder::closed_port()));
    const auto now = test_now();
    const auto r = smtp::drain_outbox(*f.store, sender, now);
    CHECK(r.deferred == 1);
    CHECK(r.failed == 0);
    const auto e = f.reply(a);
    CHECK(e.status == "pending");
    CHECK_FALSE(e.last_error.empty());
    const auto next = from_rfc3339(e.next_attempt);
    REQUIRE(next.has_value());
    CHECK(*next >= now + seconds(30));
    CHECK(*next <= now + seconds(36));
  }

  TEST_CASE("a reply older than five days that fails temporarily is given up") {
    outbox_fixture f;
    const auto now = test_now();
    const std::string old_one = f.queue(now - hours(5 * 24 + 1));
    SUBCASE("451") {
      smtp_responder server(451);
      auto sender = make_sender(server.url());
      const auto r = smtp::drain_outbox(*f.store, sender, now);
      CHECK(r.failed == 1);
      CHECK(r.deferred == 0);
      const auto e = f.reply(old_one);
      CHECK(e.status == "failed");
      CHECK(e.last_error.find("451") != std::string::npos);
    }
    SUBCASE("connection refused") {
      auto sender =
          make_sender("smtp://127.0.0.1:" + std::to_string(smtp_responder::closed_port()));
      const auto r = smtp::drain_outbox(*f.store, sender, now);
      CHECK(r.failed == 1);
      CHECK(f.reply(old_one).status == "failed");
    }
  }

  TEST_CASE("a four-day-old reply that fails temporarily is still retried") {
    outbox_fixture f;
    const auto now = test_now();
    const std::string young = f.queue(now - hours(4 * 24));
    smtp_responder server(451);
    auto sender = make_sender(server.url());
    CHECK(smtp::drain_outbox(*f.store, sender, now).deferred == 1);
    CHECK(f.reply(young).status == "pending");
  }

  TEST_CASE("nothing due: no connection at all") {
    outbox_fixture f;
    smtp_responder server(250);
    f.queue(test_now() + hours(1));
    auto sender = make_sender(server.url());
    const auto r = smtp::drain_outbox(*f.store, sender, test_now());
    CHECK(r.sent == 0);
    CHECK(r.deferred == 0);
    CHECK(server.connections() == 0);
  }
}

namespace {

std::unique_ptr<smtp::sent_journal> open_journal(const std::filesystem::path& file) {
  std::error_code ec;
  auto j = smtp::sent_journal::open(file, ec);
  INFO(ec.message());
  REQUIRE(j != nullptr);
  return j;
}

std::string journal_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void append_journal(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::app) << text;
}

// Queues a reply whose content is its own, so the server's transactions tell replies apart.
std::string queue_own(outbox_fixture& f, clock::time_point received = test_now()) {
  return f.queue(received, sample_content("reply number " + std::to_string(f.next_uid) + "\n"));
}

// How many times the server accepted this reply.
std::size_t times_received(const smtp_responder& server, const store::outbox_entry& e) {
  std::size_t n = 0;
  for (const auto& t : server.transactions()) n += t.data == e.content;
  return n;
}

// The daemon's log lines while it lives: spdlog's default logger writes here instead.
class log_capture {
 public:
  log_capture() : saved_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", std::move(sink)));
  }
  ~log_capture() { spdlog::set_default_logger(saved_); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;
  bool holds(const std::string& text) const { return out_.str().find(text) != std::string::npos; }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> saved_;
};

// Makes the store refuse every "sent" mark, as a full disk or a long-held lock would.
constexpr const char* refuse_marks =
    "CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON outbox WHEN NEW.status = 'sent' "
    "BEGIN SELECT RAISE(ABORT, 'injected: store refuses'); END";

}  // namespace

TEST_SUITE("smtp.outbox.journal") {
  TEST_CASE("a round's replies are journaled, marked sent together, and the journal emptied") {
    outbox_fixture f;
    smtp_responder server(250);
    const std::string a = queue_own(f);
    const std::string b = queue_own(f);
    auto journal = open_journal(f.journal_file());
    auto sender = make_sender(server.url());
    const auto r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
    CHECK(r.sent == 2);
    CHECK_FALSE(r.store_error);
    for (const auto& n : {a, b}) {
      CHECK(f.reply(n).status == "sent");
      CHECK(f.reply(n).attempts == 1);
      CHECK(times_received(server, f.reply(n)) == 1);
    }
    CHECK(journal->unmarked().empty());
    CHECK(journal_text(f.journal_file()).empty());
  }

  TEST_CASE("killed after the 250, before the mark: the restart marks it and never resends") {
    outbox_fixture f;
    smtp_responder server(250);
    const std::string a = queue_own(f);
    const std::string b = queue_own(f);
    const auto ea = f.reply(a);
    auto sender = make_sender(server.url());
    // Before the kill: the server accepted a, its id reached the journal, the store still
    // says pending.
    REQUIRE(sender.send(ea.envelope_from, ea.recipient, ea.content).what ==
            smtp::send_result::kind::sent);
    append_journal(f.journal_file(), std::to_string(ea.id) + "\n");
    REQUIRE(f.reply(a).status == "pending");

    auto journal = open_journal(f.journal_file());  // the restart
    CHECK(journal->unmarked() == std::vector<std::int64_t>{ea.id});
    const auto r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
    CHECK(r.sent == 1);
    CHECK_FALSE(r.store_error);
    CHECK(f.reply(a).status == "sent");
    CHECK(f.reply(b).status == "sent");
    CHECK(times_received(server, ea) == 1);
    CHECK(times_received(server, f.reply(b)) == 1);
    CHECK(server.transactions().size() == 2);
    CHECK(journal_text(f.journal_file()).empty());
  }

  TEST_CASE("a torn last line is ignored: the whole lines are replayed, the rest sent") {
    outbox_fixture f;
    smtp_responder server(250);
    const std::string a = queue_own(f);
    const std::string b = queue_own(f);
    const auto ea = f.reply(a);
    const auto eb = f.reply(b);
    // a was journaled; the write for b was cut short (its reply then goes again: the
    // at-least-once fallback, never a wrong id).
    append_journal(f.journal_file(), std::to_string(ea.id) + "\n" + std::to_string(eb.id));
    auto journal = open_journal(f.journal_file());
    CHECK(journal->unmarked() == std::vector<std::int64_t>{ea.id});
    auto sender = make_sender(server.url());
    const auto r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
    CHECK(r.sent == 1);
    CHECK(times_received(server, ea) == 0);
    CHECK(times_received(server, eb) == 1);
    CHECK(f.reply(a).status == "sent");
    CHECK(f.reply(b).status == "sent");
    CHECK(journal_text(f.journal_file()).empty());
  }

  TEST_CASE("the store refuses the mark: kept in the journal, never resent, marked later") {
    outbox_fixture f;
    raw_db db(f.dir.path() / "cases.db");
    smtp_responder server(250);
    const std::string a = queue_own(f);
    const auto ea = f.reply(a);
    REQUIRE(db.exec(refuse_marks) == SQLITE_OK);
    auto sender = make_sender(server.url());
    auto journal = open_journal(f.journal_file());

    auto r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
    CHECK(r.sent == 1);
    CHECK(r.store_error);
    CHECK(f.reply(a).status == "pending");
    const std::string id = std::to_string(ea.id);
    CHECK(journal_text(f.journal_file()) == "?" + id + "\n" + id + "\n");

    // Still refused: a is due but journaled, so it does not go again; b, queued since, goes.
    const std::string b = queue_own(f);
    r = smtp::drain_outbox(*f.store, sender, test_now() + minutes(1), {}, nullptr, journal.get());
    CHECK(r.sent == 1);
    CHECK(r.store_error);
    CHECK(times_received(server, ea) == 1);
    CHECK(times_received(server, f.reply(b)) == 1);

    SUBCASE("the store recovers: the next drain marks both and empties the journal") {
      REQUIRE(db.exec("DROP TRIGGER refuse_sent") == SQLITE_OK);
      r = smtp::drain_outbox(*f.store, sender, test_now() + minutes(2), {}, nullptr,
                             journal.get());
      CHECK(r.sent == 0);
      CHECK_FALSE(r.store_error);
    }
    SUBCASE("killed, then the store recovers: the restart marks both") {
      journal.reset();
      REQUIRE(db.exec("DROP TRIGGER refuse_sent") == SQLITE_OK);
      journal = open_journal(f.journal_file());
      CHECK(journal->unmarked().size() == 2);
      r = smtp::drain_outbox(*f.store, sender, test_now() + minutes(2), {}, nullptr,
                             journal.get());
      CHECK(r.sent == 0);
      CHECK_FALSE(r.store_error);
    }
    CHECK(f.reply(a).status == "sent");
    CHECK(f.reply(b).status == "sent");
    CHECK(server.transactions().size() == 2);
    CHECK(journal->unmarked().empty());
    CHECK(journal_text(f.journal_file()).empty());
  }

  TEST_CASE("the server takes a reply but its answer is lost: sent again, and the log says so") {
    outbox_fixture f;
    smtp_responder server(0);  // keeps the message, hangs up before answering the final "."
    const std::string a = queue_own(f);
    const auto ea = f.reply(a);
    auto sender = make_sender(server.url());
    log_capture log;
    {
      auto journal = open_journal(f.journal_file());
      const auto r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
      CHECK(r.sent == 0);
      CHECK(r.deferred == 1);
    }
    CHECK(f.reply(a).status == "pending");
    CHECK(times_received(server, ea) == 1);
    CHECK(log.holds("<" + ea.message_id + ">: no answer after the whole message went out"));

    // The next start (a kill while waiting for the answer leaves the same trace): the attempt
    // has no outcome, so the resend is announced.
    server.set_final_code(250);
    auto journal = open_journal(f.journal_file());
    CHECK(journal->in_doubt(ea.id));
    const auto r =
        smtp::drain_outbox(*f.store, sender, test_now() + minutes(2), {}, nullptr, journal.get());
    CHECK(r.sent == 1);
    CHECK(f.reply(a).status == "sent");
    CHECK(times_received(server, ea) == 2);
    CHECK(log.holds("<" + ea.message_id + "> is sent again, though the SMTP server may have it"));
    CHECK_FALSE(journal->in_doubt(ea.id));
  }

  TEST_CASE(
      "a reply the server refused is not in doubt at the next start: sent then with no warning") {
    outbox_fixture f;
    smtp_responder server(451);
    const std::string a = queue_own(f);
    auto sender = make_sender(server.url());
    log_capture log;
    {
      auto journal = open_journal(f.journal_file());
      CHECK(smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get()).deferred ==
            1);
    }
    server.set_final_code(250);
    auto journal = open_journal(f.journal_file());
    CHECK_FALSE(journal->in_doubt(f.reply(a).id));
    CHECK(smtp::drain_outbox(*f.store, sender, test_now() + minutes(2), {}, nullptr, journal.get())
              .sent == 1);
    CHECK_FALSE(log.holds("may have it"));
  }

  TEST_CASE("no journal on file: marked as it goes; a refused mark stops sending") {
    outbox_fixture f;
    raw_db db(f.dir.path() / "cases.db");
    smtp_responder server(250);
    const std::string a = queue_own(f);
    const std::string b = queue_own(f);
    REQUIRE(db.exec(refuse_marks) == SQLITE_OK);
    auto sender = make_sender(server.url());
    auto journal = smtp::sent_journal::in_memory();

    auto r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
    CHECK(r.sent == 1);
    CHECK(r.store_error);
    CHECK(server.transactions().size() == 1);  // b waits: a is known to this process alone
    r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
    CHECK(r.sent == 0);
    CHECK(server.transactions().size() == 1);

    REQUIRE(db.exec("DROP TRIGGER refuse_sent") == SQLITE_OK);
    r = smtp::drain_outbox(*f.store, sender, test_now(), {}, nullptr, journal.get());
    CHECK(r.sent == 1);
    CHECK_FALSE(r.store_error);
    CHECK(f.reply(a).status == "sent");
    CHECK(f.reply(b).status == "sent");
    CHECK(times_received(server, f.reply(a)) == 1);
    CHECK(times_received(server, f.reply(b)) == 1);
  }

  TEST_CASE("the worker replays the journal before its first drain") {
    outbox_fixture f;
    smtp_responder server(250);
    const std::string a = queue_own(f, clock::now());
    const std::string b = queue_own(f, clock::now());
    const auto ea = f.reply(a);
    append_journal(f.journal_file(), std::to_string(ea.id) + "\n");  // sent before a kill
    {
      smtp::outbox_worker worker(f.dir.path() / "cases.db", smtp_settings_for(server.url()),
                                 std::nullopt);
      worker.start();
      worker.stop();
    }
    CHECK(f.reply(a).status == "sent");
    CHECK(f.reply(b).status == "sent");
    CHECK(times_received(server, ea) == 0);
    CHECK(times_received(server, f.reply(b)) == 1);
    CHECK(journal_text(f.journal_file()).empty());
  }
}
