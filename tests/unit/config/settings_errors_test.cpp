// load_settings on broken files: each class of mistake gives the exact
// "FILE:LINE: key.path: message" line, and all mistakes are reported together.
#include <doctest/doctest.h>

#include "error_lines.hpp"
#include "tacmail/config/load.hpp"
#include "temp_folder.hpp"

using namespace tacmail::config;
using tacmail::config::test::errors_for;
using tacmail::config::test::lines;
using tacmail::config::test::replace;
using tacmail::config::test::temp_folder;

namespace {

// A valid file; each test breaks one line of it.
constexpr std::string_view valid = R"(mailboxes:
  - name: tac
    imap:
      host: imap.example.com
      port: 993
      tls: implicit
      username: tac@example.com
      password_file: imap-password
      idle: true
      poll_interval: 60s
smtp:
  url: smtp://smtp.example.com:587
  from: tac@example.com
storage:
  sqlite: cases.db
)";

}  // namespace

TEST_CASE("the unbroken file loads") { CHECK(errors_for(valid).empty()); }

TEST_CASE("unknown keys are reported at their own line, at any depth") {
  CHECK(errors_for(std::string(valid) + "log: debug\n") ==
        lines{"F:16: log: unknown key (known: mailboxes, smtp, storage, routing, limits, logging, "
              "metrics)"});
  CHECK(
      errors_for(replace(valid, "      idle: true\n", "      idle: true\n      idel: false\n")) ==
      lines{"F:10: mailboxes[0].imap.idel: unknown key (known: host, tls, port, ca_file, username, "
            "auth, password_file, oauth2_token_file, folder, processed_folder, quarantine_folder, "
            "idle, poll_interval, idle_renewal, command_timeout, connect_timeout, reconnect_max, "
            "fetch_batch)"});
  CHECK(errors_for(replace(valid, "  - name: tac\n", "  - name: tac\n    color: red\n")) ==
        lines{"F:3: mailboxes[0].color: unknown key (known: name, imap)"});
  CHECK(errors_for(replace(valid, "  sqlite: cases.db\n", "  sqlite: cases.db\n  wal: on\n")) ==
        lines{"F:16: storage.wal: unknown key (known: sqlite)"});
}

TEST_CASE("values of the wrong type are reported at the value") {
  CHECK(errors_for(replace(valid, "port: 993", "port: abc")) ==
        lines{"F:5: mailboxes[0].imap.port: expected an integer, got 'abc'"});
  CHECK(errors_for(replace(valid, "port: 993", "port: 99999")) ==
        lines{"F:5: mailboxes[0].imap.port: must be between 1 and 65535, got 99999"});
  CHECK(errors_for(replace(valid, "port: 993", "port: [1]")) ==
        lines{"F:5: mailboxes[0].imap.port: expected an integer, got a list"});
  CHECK(errors_for(replace(valid, "idle: true", "idle: maybe")) ==
        lines{"F:9: mailboxes[0].imap.idle: expected true or false, got 'maybe'"});
  CHECK(errors_for(replace(valid, "host: imap.example.com", "host:")) ==
        lines{"F:4: mailboxes[0].imap.host: expected a string, got nothing"});
  CHECK(errors_for(replace(valid, "smtp:\n  url", "smtp: 3\nx:\n  url")) ==
        lines{"F:11: smtp: expected a mapping, got '3'",
              "F:12: x: unknown key (known: mailboxes, smtp, storage, routing, limits, logging, "
              "metrics)"});
  CHECK(errors_for(replace(valid, "mailboxes:\n", "mailboxes: {}\nm:\n")) ==
        lines{"F:1: mailboxes: expected a list, got a mapping",
              "F:2: m: unknown key (known: mailboxes, smtp, storage, routing, limits, logging, "
              "metrics)"});
}

TEST_CASE("tls takes only implicit, starttls or none") {
  CHECK(errors_for(replace(valid, "tls: implicit", "tls: ssl")) ==
        lines{"F:6: mailboxes[0].imap.tls: expected one of implicit, starttls, none, got 'ssl'"});
  CHECK(errors_for(replace(valid, "  from:", "  tls: TLS\n  from:")) ==
        lines{"F:13: smtp.tls: expected one of implicit, starttls, none, got 'TLS'"});
  CHECK(errors_for(replace(valid, "smtp://smtp.example.com:587",
                           "smtps://smtp.example.com\n  tls: starttls")) ==
        lines{"F:13: smtp.tls: an smtps:// url means implicit TLS; set tls: implicit"});
}

TEST_CASE("durations need a unit and a plain number") {
  for (const char* bad : {"10", "-5s", "5x", "1.5m", "60 s"}) {
    CAPTURE(bad);
    CHECK(errors_for(replace(valid, "poll_interval: 60s", std::string("poll_interval: ") + bad)) ==
          lines{"F:10: mailboxes[0].imap.poll_interval: expected a duration such as 250ms, 30s, "
                "5m or 2h, got '" +
                std::string(bad) + "'"});
  }
  CHECK(errors_for(replace(valid, "poll_interval: 60s", "poll_interval: 0ms")) ==
        lines{"F:10: mailboxes[0].imap.poll_interval: must be greater than zero"});
}

TEST_CASE("missing required keys are reported at the mapping that lacks them") {
  CHECK(errors_for(replace(valid, "      host: imap.example.com\n", "")) ==
        lines{"F:3: mailboxes[0].imap.host: required key is missing"});
  CHECK(errors_for(replace(valid, "      password_file: imap-password\n", "")) ==
        lines{"F:3: mailboxes[0].imap.password_file: required key is missing"});
  CHECK(errors_for(replace(valid, "  from: tac@example.com\n", "")) ==
        lines{"F:11: smtp.from: required key is missing"});
  CHECK(errors_for(replace(valid, "storage:\n  sqlite: cases.db\n", "")) ==
        lines{"F:1: storage: required key is missing"});
  CHECK(errors_for("mailboxes: []\nsmtp: {url: 'smtp://x', from: a@b}\nstorage: {sqlite: db}\n") ==
        lines{"F:1: mailboxes: must list at least one mailbox"});
}

TEST_CASE("mailbox names must be unique") {
  std::string two(valid);
  two = replace(two, "smtp:\n", R"(  - name: tac
    imap: {host: h, username: u, password_file: p}
smtp:
)");
  CHECK(errors_for(two) == lines{"F:11: mailboxes[1].name: duplicate mailbox name 'tac'"});
}

TEST_CASE("a key written twice is an error, not a silent first-wins") {
  CHECK(errors_for(replace(valid, "      port: 993\n", "      port: 993\n      port: 994\n")) ==
        lines{"F:6: mailboxes[0].imap.port: duplicate key"});
}

TEST_CASE("tls: implicit with an smtp:// url gives libcurl the smtps:// url it needs") {
  temp_folder tmp;
  const auto result =
      load_settings(tmp.write("c.yaml", replace(valid, "  from:", "  tls: implicit\n  from:")));
  REQUIRE(result.value.has_value());
  CHECK(result.value->smtp.url == "smtps://smtp.example.com:587");
  CHECK(result.value->smtp.tls == tls_mode::implicit);
}

TEST_CASE("cross-key rules") {
  CHECK(errors_for(replace(valid, "      idle: true\n", "      processed_folder: INBOX\n")) ==
        lines{"F:9: mailboxes[0].imap.processed_folder: must differ from folder 'INBOX'"});
  CHECK(errors_for(replace(valid, "  from:", "  password_file: smtp-secret\n  from:")) ==
        lines{"F:13: smtp.password_file: needs smtp.username to log in with"});
  CHECK(errors_for(replace(valid, "smtp://smtp.example.com:587", "http://smtp.example.com")) ==
        lines{"F:12: smtp.url: expected smtp://host[:port] or smtps://host[:port], got "
              "'http://smtp.example.com'"});
  CHECK(errors_for(replace(valid, "from: tac@example.com", "from: Support")) ==
        lines{"F:13: smtp.from: expected an address or Display Name <address> (at most 900 "
              "bytes), got 'Support'"});
  // A display name with its address not in angle brackets would go out as raw 8-bit text.
  const std::string spanish =
      "Soporte T\xC3\xA9"
      "cnico";
  CHECK(errors_for(
            replace(valid, "from: tac@example.com", "from: " + spanish + " tac@example.com")) ==
        lines{"F:13: smtp.from: expected an address or Display Name <address> (at most 900 "
              "bytes), got '" +
              spanish + " tac@example.com'"});
  CHECK(errors_for(replace(valid, "from: tac@example.com",
                           "from: " + spanish + " <tac@example.com>")) == lines{});
}

TEST_CASE("every error in a file is reported, not just the first") {
  std::string broken = replace(valid, "port: 993", "port: abc");
  broken = replace(broken, "idle: true", "idle: maybe");
  broken = replace(broken, "  from: tac@example.com\n", "");
  broken += "extra: 1\n";
  CHECK(
      errors_for(broken) ==
      lines{"F:5: mailboxes[0].imap.port: expected an integer, got 'abc'",
            "F:9: mailboxes[0].imap.idle: expected true or false, got 'maybe'",
            "F:11: smtp.from: required key is missing",
            "F:15: extra: unknown key (known: mailboxes, smtp, storage, routing, limits, logging, "
            "metrics)"});
}

TEST_CASE("a YAML syntax error gives its line") {
  CHECK(errors_for(replace(valid, "tls: implicit", "tls: implicit: yes")) ==
        lines{"F:6: YAML syntax error: illegal map value"});
  // yaml-cpp reports an unclosed flow list where it gives up, the next line.
  CHECK(errors_for(replace(valid, "port: 993", "port: [993")) ==
        lines{"F:6: YAML syntax error: end of sequence flow not found"});
  CHECK(errors_for("a: 1\n  b: 2\n") == lines{"F:2: YAML syntax error: illegal map value"});
}

TEST_CASE("a file that is not a mapping") {
  CHECK(errors_for("") == lines{"F:1: the file must be a YAML mapping, got nothing"});
  CHECK(errors_for("- a\n- b\n") == lines{"F:1: the file must be a YAML mapping, got a list"});
}

TEST_CASE("a file that cannot be read gives line 0 and the reason") {
  temp_folder tmp;
  const auto missing = tmp.path() / "nope.yaml";
  const auto result = load_settings(missing);
  CHECK_FALSE(result.value.has_value());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].line == 0);
  CHECK(result.errors[0].key_path.empty());
  CHECK(result.errors[0].to_string() ==
        missing.string() + ": cannot read " + missing.string() + ": No such file or directory");
}

TEST_CASE("config_error renders FILE:LINE: key.path: message") {
  CHECK(config_error{"/etc/t.yaml", 7, "smtp.url", "bad"}.to_string() ==
        "/etc/t.yaml:7: smtp.url: bad");
  CHECK(config_error{"/etc/t.yaml", 7, "", "bad"}.to_string() == "/etc/t.yaml:7: bad");
  CHECK(config_error{"/etc/t.yaml", 0, "", "bad"}.to_string() == "/etc/t.yaml: bad");
}
