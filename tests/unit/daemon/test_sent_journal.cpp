// The sent journal's file: ids survive a reopen, a torn last line is cut off (never joined to
// the next), junk lines are skipped, clear() empties it, a failed write stops appends.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_test_support.hpp"
#include "smtp/sent_journal.hpp"

namespace {

using tacmail::daemon::smtp::sent_journal;
using tacmail::daemon::test::temp_dir;
using ids = std::vector<std::int64_t>;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spill(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::unique_ptr<sent_journal> open_journal(const std::filesystem::path& p) {
  std::error_code ec;
  auto j = sent_journal::open(p, ec);
  INFO(ec.message());
  REQUIRE(j != nullptr);
  REQUIRE_FALSE(ec);
  return j;
}

// Files this process writes may not grow past `bytes` while it lives; writes past it fail
// (SIGXFSZ ignored) instead of killing the process.
class file_size_limit {
 public:
  explicit file_size_limit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit r = saved_;
    r.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &r);
  }
  ~file_size_limit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }
  file_size_limit(const file_size_limit&) = delete;
  file_size_limit& operator=(const file_size_limit&) = delete;

 private:
  rlimit saved_{};
  sighandler_t old_handler_;
};

}  // namespace

TEST_SUITE("smtp.sent_journal") {
  TEST_CASE("next to the database: cases.db-sent") {
    CHECK(sent_journal::path_for("/var/lib/tacmail/cases.db") ==
          std::filesystem::path("/var/lib/tacmail/cases.db-sent"));
  }

  TEST_CASE("a line per id; a reopen finds them; clear() empties file and memory") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db-sent";
    {
      auto j = open_journal(file);
      CHECK(j->unmarked().empty());
      CHECK(j->writes_file());
      std::error_code ec;
      CHECK(j->record(3, ec));
      CHECK(j->record(17, ec));
      CHECK_FALSE(ec);
      CHECK(j->unmarked() == ids{3, 17});
      CHECK(j->holds(17));
      CHECK_FALSE(j->holds(1));
    }  // as after a kill -9: nothing else was done
    CHECK(slurp(file) == "3\n17\n");
    auto j = open_journal(file);
    CHECK(j->unmarked() == ids{3, 17});
    std::error_code ec;
    j->clear(ec);
    CHECK_FALSE(ec);
    CHECK(j->unmarked().empty());
    CHECK(slurp(file).empty());
    CHECK(j->record(5, ec));
    CHECK(slurp(file) == "5\n");
  }

  TEST_CASE("an attempt with no outcome after it is in doubt at the next open, until retried") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db-sent";
    {
      auto j = open_journal(file);
      std::error_code ec;
      j->attempt(1);
      j->refused(1);  // the server said no
      j->attempt(2);
      CHECK(j->record(2, ec));  // the server said yes
      j->attempt(3);            // and then the process died
    }
    CHECK(slurp(file) == "?2\n2\n?3\n");  // 1's refusal, with nothing else owed, emptied it
    auto j = open_journal(file);
    CHECK_FALSE(j->in_doubt(1));
    CHECK_FALSE(j->in_doubt(2));
    CHECK(j->in_doubt(3));
    CHECK(j->unmarked() == ids{2});
    std::error_code ec;
    j->clear(ec);  // the store marked 2: 3 is still owed, and still in doubt after a restart
    CHECK(slurp(file) == "?3\n");
    CHECK(open_journal(file)->in_doubt(3));
    j->attempt(3);  // sent again: no longer in doubt in this process
    CHECK_FALSE(j->in_doubt(3));
  }

  TEST_CASE("refusals with nothing else on file leave it empty: an outage does not grow it") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db-sent";
    auto j = open_journal(file);
    for (int i = 0; i < 100; ++i) {
      j->attempt(7);
      j->refused(7);
    }
    CHECK(slurp(file).empty());
    std::error_code ec;
    CHECK(j->record(8, ec));  // a sent id must stay on file until the store has it
    j->attempt(7);
    j->refused(7);
    CHECK(slurp(file) == "8\n?7\n!7\n");
    const auto reopened = open_journal(file);
    CHECK(reopened->unmarked() == ids{8});
    CHECK_FALSE(reopened->in_doubt(7));  // refused: settled
  }

  TEST_CASE("a torn last line is ignored and cut off, so the next id stays itself") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db-sent";
    spill(file, "3\n1");
    auto j = open_journal(file);
    CHECK(j->unmarked() == ids{3});
    CHECK(slurp(file) == "3\n");
    std::error_code ec;
    CHECK(j->record(5, ec));
    CHECK(slurp(file) == "3\n5\n");  // not "3\n15\n"
    CHECK(open_journal(file)->unmarked() == ids{3, 5});
  }

  TEST_CASE("a torn only line: nothing") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db-sent";
    spill(file, "12");
    CHECK(open_journal(file)->unmarked().empty());
    CHECK(slurp(file).empty());
  }

  TEST_CASE("whole lines that are not ids are skipped") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db-sent";
    using namespace std::string_literals;
    spill(file, "4\n\0\0\0\n\nabc\n-4\n0\n7x\n99999999999999999999\n8\n"s);
    CHECK(open_journal(file)->unmarked() == ids{4, 8});
  }

  TEST_CASE("cannot be opened: nullptr and the reason") {
    temp_dir dir;
    std::error_code ec;
    CHECK(sent_journal::open(dir.path() / "no-such-folder" / "cases.db-sent", ec) == nullptr);
    CHECK(ec == std::errc::no_such_file_or_directory);
  }

  TEST_CASE("in memory: remembers ids, says they are not on file") {
    auto j = sent_journal::in_memory();
    std::error_code ec;
    CHECK_FALSE(j->record(9, ec));
    CHECK_FALSE(ec);
    CHECK(j->holds(9));
    CHECK_FALSE(j->writes_file());
    j->clear(ec);
    CHECK_FALSE(ec);
    CHECK(j->unmarked().empty());
  }

  TEST_CASE("a write cut short: reported once, the file cut back, no more appends") {
    temp_dir dir;
    const auto file = dir.path() / "cases.db-sent";
    auto j = open_journal(file);
    std::error_code ec;
    {
      file_size_limit limit(4);
      CHECK(j->record(1, ec));  // "1\n": 2 bytes
      CHECK_FALSE(j->record(22, ec));  // "22\n" would end at 5: only "22" gets written
      CHECK(ec);
      CHECK_FALSE(j->writes_file());
      CHECK_FALSE(j->record(3, ec));
      CHECK_FALSE(ec);  // already said
    }
    CHECK(slurp(file) == "1\n");
    CHECK(j->unmarked() == ids{1, 22, 3});  // still never sent again by this process
    j->clear(ec);
    CHECK_FALSE(ec);
    CHECK(slurp(file).empty());
    CHECK_FALSE(j->record(4, ec));  // no appends until restart
    CHECK(slurp(file).empty());
  }
}
