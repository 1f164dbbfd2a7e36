// load_settings on broken values of the keys beyond CONTRACT.md's list (imap and smtp extras,
// routing, limits, logging, metrics): one test per rule, each with its exact error line.
#include <doctest/doctest.h>

#include "error_lines.hpp"

using tacmail::config::test::errors_for;
using tacmail::config::test::lines;
using tacmail::config::test::replace;

namespace {

// A valid file with every section; each test breaks one line of it. Line numbers on the right.
constexpr std::string_view valid = R"(mailboxes:
  - name: tac
    imap:
      host: imap.example.com
      username: tac@example.com
      auth: plain
      password_file: imap-password
      idle_renewal: 5m
      command_timeout: 60s
      connect_timeout: 30s
      reconnect_max: 5m
      fetch_batch: 100
smtp:
  url: smtp://smtp.example.com:587
  from: tac@example.com
  envelope_from: bounces@example.com
  max_replies_per_hour: 10
  give_up_after: 120h
  authserv_id: mx.example.com
  reply_on_follow_up: false
storage:
  sqlite: cases.db
routing:
  triage_queue: triage
  phone_numbers: ["US/Canada: 1-800-553-2447"]
  public_email_domains: [gmail.com]
  duplicate_window: 10m
  reopen_window: 336h
  calendar:
    time_zone: UTC
    working_days: [mon, tue, wed, thu, fri]
    hours: "08:00-17:00"
    holidays: [2026-12-25]
  labels:
    product: [Platform]
limits:
  max_message_size: 50M
  max_mime_depth: 20
  max_parts: 500
  max_header_line: 16k
logging:
  level: info
  case_log_max_size: 10M
  case_log_files: 5
metrics:
  listen: 127.0.0.1:9187
  stale_after: 10m
)";

// The file with one "key: value" line changed to "key: to".
std::string with(std::string_view line, std::string_view to) { return replace(valid, line, to); }

}  // namespace

TEST_CASE("the unbroken file with every section loads") { CHECK(errors_for(valid).empty()); }

TEST_CASE("imap.auth takes auto, login, plain or xoauth2") {
  CHECK(errors_for(with("auth: plain", "auth: cram-md5")) ==
        lines{"F:6: mailboxes[0].imap.auth: expected one of auto, login, plain, xoauth2, got "
              "'cram-md5'"});
  // A bad auth does not add "password_file missing" on top.
  CHECK(errors_for(with("      auth: plain\n      password_file: imap-password\n",
                        "      auth: XOAUTH2\n")) ==
        lines{"F:6: mailboxes[0].imap.auth: expected one of auto, login, plain, xoauth2, got "
              "'XOAUTH2'"});
}

TEST_CASE("auth xoauth2 needs oauth2_token_file and no password_file") {
  CHECK(errors_for(with("      auth: plain\n      password_file: imap-password\n",
                        "      auth: xoauth2\n")) ==
        lines{"F:6: mailboxes[0].imap.oauth2_token_file: required with auth: xoauth2"});
  CHECK(errors_for(with("      auth: plain\n      password_file: imap-password\n",
                        "      auth: xoauth2\n      oauth2_token_file: token\n"))
            .empty());
  // Without xoauth2 the password stays required, and a token file is a mistake.
  CHECK(errors_for(with("      password_file: imap-password\n", "")) ==
        lines{"F:3: mailboxes[0].imap.password_file: required key is missing"});
  CHECK(errors_for(with("      password_file: imap-password\n",
                        "      password_file: imap-password\n      oauth2_token_file: t\n")) ==
        lines{"F:8: mailboxes[0].imap.oauth2_token_file: only used with auth: xoauth2"});
}

TEST_CASE("imap.idle_renewal is above zero and below 29m") {
  CHECK(errors_for(with("idle_renewal: 5m", "idle_renewal: 0s")) ==
        lines{"F:8: mailboxes[0].imap.idle_renewal: must be greater than zero"});
  for (const char* bad : {"29m", "30m", "1h"}) {
    CAPTURE(bad);
    CHECK(errors_for(with("idle_renewal: 5m", std::string("idle_renewal: ") + bad)) ==
          lines{"F:8: mailboxes[0].imap.idle_renewal: must be less than 29m (servers may end an "
                "IDLE after 30 minutes), got " +
                std::string(bad)});
  }
}

TEST_CASE("imap timeouts are durations above zero") {
  CHECK(errors_for(with("command_timeout: 60s", "command_timeout: 0s")) ==
        lines{"F:9: mailboxes[0].imap.command_timeout: must be greater than zero"});
  CHECK(errors_for(with("connect_timeout: 30s", "connect_timeout: 0ms")) ==
        lines{"F:10: mailboxes[0].imap.connect_timeout: must be greater than zero"});
  CHECK(errors_for(with("connect_timeout: 30s", "connect_timeout: 30")) ==
        lines{"F:10: mailboxes[0].imap.connect_timeout: expected a duration such as 250ms, 30s, "
              "5m or 2h, got '30'"});
  CHECK(errors_for(with("reconnect_max: 5m", "reconnect_max: 0h")) ==
        lines{"F:11: mailboxes[0].imap.reconnect_max: must be greater than zero"});
}

TEST_CASE("imap.fetch_batch is 1..1000") {
  CHECK(errors_for(with("fetch_batch: 100", "fetch_batch: 0")) ==
        lines{"F:12: mailboxes[0].imap.fetch_batch: must be between 1 and 1000, got 0"});
  CHECK(errors_for(with("fetch_batch: 100", "fetch_batch: 1001")) ==
        lines{"F:12: mailboxes[0].imap.fetch_batch: must be between 1 and 1000, got 1001"});
}

TEST_CASE("smtp.envelope_from is a bare address") {
  CHECK(errors_for(with("envelope_from: bounces@example.com",
                        "envelope_from: \"Bounces <bounces@example.com>\"")) ==
        lines{"F:16: smtp.envelope_from: expected a bare address such as bounces@example.com, got "
              "'Bounces <bounces@example.com>'"});
  CHECK(errors_for(with("envelope_from: bounces@example.com", "envelope_from: bounces")) ==
        lines{"F:16: smtp.envelope_from: expected a bare address such as bounces@example.com, got "
              "'bounces'"});
}

TEST_CASE("smtp.max_replies_per_hour is 0 (unlimited) or more") {
  CHECK(errors_for(with("max_replies_per_hour: 10", "max_replies_per_hour: 0")).empty());
  CHECK(errors_for(with("max_replies_per_hour: 10", "max_replies_per_hour: -1")) ==
        lines{"F:17: smtp.max_replies_per_hour: must be at least 0, got -1"});
}

TEST_CASE("smtp.give_up_after is above zero") {
  CHECK(errors_for(with("give_up_after: 120h", "give_up_after: 0h")) ==
        lines{"F:18: smtp.give_up_after: must be greater than zero"});
}

TEST_CASE("smtp.authserv_id and reply_on_follow_up are typed") {
  CHECK(errors_for(with("authserv_id: mx.example.com", "authserv_id: ''")) ==
        lines{"F:19: smtp.authserv_id: must not be empty"});
  CHECK(errors_for(with("reply_on_follow_up: false", "reply_on_follow_up: sometimes")) ==
        lines{"F:20: smtp.reply_on_follow_up: expected true or false, got 'sometimes'"});
}

TEST_CASE("routing queues, phone numbers and webmail domains are strings") {
  CHECK(errors_for(with("triage_queue: triage", "triage_queue: [a, b]")) ==
        lines{"F:24: routing.triage_queue: expected a string, got a list"});
  CHECK(errors_for(with("phone_numbers: [\"US/Canada: 1-800-553-2447\"]",
                        "phone_numbers: 1-800-553-2447")) ==
        lines{"F:25: routing.phone_numbers: expected a list, got '1-800-553-2447'"});
  CHECK(errors_for(with("public_email_domains: [gmail.com]",
                        "public_email_domains: [gmail.com, \"@yahoo.com\"]")) ==
        lines{"F:26: routing.public_email_domains[1]: expected a domain such as gmail.com, got "
              "'@yahoo.com'"});
}

TEST_CASE("routing windows are durations above zero") {
  CHECK(errors_for(with("duplicate_window: 10m", "duplicate_window: 0s")) ==
        lines{"F:27: routing.duplicate_window: must be greater than zero"});
  CHECK(errors_for(with("reopen_window: 336h", "reopen_window: 14d")) ==
        lines{"F:28: routing.reopen_window: expected a duration such as 250ms, 30s, 5m or 2h, got "
              "'14d'"});
}

TEST_CASE("calendar.time_zone must exist in the system tz database") {
  for (const char* bad : {"Mars/Olympus_Mons", "../../etc/passwd", "zone.tab", "Europe",
                          "posix/Europe/Berlin", "utc"}) {
    CAPTURE(bad);
    CHECK(errors_for(with("time_zone: UTC", std::string("time_zone: ") + bad)) ==
          lines{"F:30: routing.calendar.time_zone: unknown time zone '" + std::string(bad) +
                "' (expected an IANA name such as Europe/Berlin, as found under "
                "/usr/share/zoneinfo)"});
  }
  CHECK(errors_for(with("time_zone: UTC", "time_zone: Europe/Berlin")).empty());
  CHECK(errors_for(with("time_zone: UTC", "time_zone: Etc/UTC")).empty());
}

TEST_CASE("calendar.working_days: mon..sun in any case, at least one, none twice") {
  CHECK(errors_for(with("[mon, tue, wed, thu, fri]", "[]")) ==
        lines{"F:31: routing.calendar.working_days: must list at least one day"});
  CHECK(errors_for(with("[mon, tue, wed, thu, fri]", "[mon, funday]")) ==
        lines{"F:31: routing.calendar.working_days[1]: expected one of mon, tue, wed, thu, fri, "
              "sat, sun, got 'funday'"});
  CHECK(errors_for(with("[mon, tue, wed, thu, fri]", "[monday]")) ==
        lines{"F:31: routing.calendar.working_days[0]: expected one of mon, tue, wed, thu, fri, "
              "sat, sun, got 'monday'"});
  CHECK(errors_for(with("[mon, tue, wed, thu, fri]", "[mon, TUE, Mon]")) ==
        lines{"F:31: routing.calendar.working_days[2]: duplicate day 'Mon'"});
  CHECK(errors_for(with("working_days: [mon, tue, wed, thu, fri]", "working_days: mon")) ==
        lines{"F:31: routing.calendar.working_days: expected a list, got 'mon'"});
}

TEST_CASE("calendar.hours is HH:MM-HH:MM, the start before the end") {
  for (const char* bad : {"8-17", "08:00", "8:00-17:00", "08:00-17:60", "25:00-26:00",
                          "24:00-24:00", "08:00 - 17:00", "08:00-24:01"}) {
    CAPTURE(bad);
    CHECK(errors_for(with("\"08:00-17:00\"", std::string("\"") + bad + "\"")) ==
          lines{"F:32: routing.calendar.hours: expected HH:MM-HH:MM such as 08:00-17:00, got '" +
                std::string(bad) + "'"});
  }
  CHECK(
      errors_for(with("\"08:00-17:00\"", "\"17:00-08:00\"")) ==
      lines{"F:32: routing.calendar.hours: the day must start before it ends, got '17:00-08:00'"});
  CHECK(
      errors_for(with("\"08:00-17:00\"", "\"08:00-08:00\"")) ==
      lines{"F:32: routing.calendar.hours: the day must start before it ends, got '08:00-08:00'"});
}

TEST_CASE("calendar.holidays are real YYYY-MM-DD dates") {
  CHECK(errors_for(with("[2026-12-25]", "[2026-12-25, 2026-02-30]")) ==
        lines{"F:33: routing.calendar.holidays[1]: expected a date written YYYY-MM-DD, got "
              "'2026-02-30'"});
  CHECK(errors_for(with("[2026-12-25]", "[25.12.2026]")) ==
        lines{"F:33: routing.calendar.holidays[0]: expected a date written YYYY-MM-DD, got "
              "'25.12.2026'"});
  CHECK(errors_for(with("[2026-12-25]", "[2028-02-29]")).empty());
}

TEST_CASE("labels: parse field names only, each a non-empty list of non-empty strings") {
  CHECK(errors_for(with("    product: [Platform]\n", "    colour: [Farbe]\n")) ==
        lines{"F:35: routing.labels.colour: unknown key (known: company, contact_name, "
              "contact_phone, cco_id, contact_email, contract, smart_account, virtual_account, "
              "product, severity, description, location, alt_contact_name, alt_contact_phone)"});
  CHECK(errors_for(with("product: [Platform]", "product: []")) ==
        lines{"F:35: routing.labels.product: must list at least one label"});
  CHECK(errors_for(with("product: [Platform]", "product: [Platform, '']")) ==
        lines{"F:35: routing.labels.product[1]: must not be empty"});
  CHECK(errors_for(with("product: [Platform]", "product: Platform")) ==
        lines{"F:35: routing.labels.product: expected a list, got 'Platform'"});
  CHECK(errors_for(with("  labels:\n    product: [Platform]\n", "  labels: [product]\n")) ==
        lines{"F:34: routing.labels: expected a mapping, got a list"});
}

TEST_CASE("limits: sizes above zero, depth 1..100, parts 1..10000") {
  CHECK(errors_for(with("max_message_size: 50M", "max_message_size: 0")) ==
        lines{"F:37: limits.max_message_size: must be greater than zero"});
  CHECK(errors_for(with("max_message_size: 50M", "max_message_size: 50MB")) ==
        lines{"F:37: limits.max_message_size: expected a size such as 65536, 64k, 50M or 1G, got "
              "'50MB'"});
  CHECK(errors_for(with("max_mime_depth: 20", "max_mime_depth: 0")) ==
        lines{"F:38: limits.max_mime_depth: must be between 1 and 100, got 0"});
  CHECK(errors_for(with("max_mime_depth: 20", "max_mime_depth: 101")) ==
        lines{"F:38: limits.max_mime_depth: must be between 1 and 100, got 101"});
  CHECK(errors_for(with("max_parts: 500", "max_parts: 0")) ==
        lines{"F:39: limits.max_parts: must be between 1 and 10000, got 0"});
  CHECK(errors_for(with("max_parts: 500", "max_parts: 10001")) ==
        lines{"F:39: limits.max_parts: must be between 1 and 10000, got 10001"});
  CHECK(errors_for(with("max_header_line: 16k", "max_header_line: -1k")) ==
        lines{"F:40: limits.max_header_line: expected a size such as 65536, 64k, 50M or 1G, got "
              "'-1k'"});
  CHECK(errors_for(with("max_header_line: 16k", "max_header_line: 0k")) ==
        lines{"F:40: limits.max_header_line: must be greater than zero"});
}

TEST_CASE("logging: a known level, sizes above zero, 1..100 files") {
  CHECK(errors_for(with("level: info", "level: verbose")) ==
        lines{"F:42: logging.level: expected one of trace, debug, info, warn, error, critical, "
              "off, got 'verbose'"});
  CHECK(errors_for(with("level: info", "level: INFO")) ==
        lines{"F:42: logging.level: expected one of trace, debug, info, warn, error, critical, "
              "off, got 'INFO'"});
  CHECK(errors_for(with("case_log_max_size: 10M", "case_log_max_size: 0M")) ==
        lines{"F:43: logging.case_log_max_size: must be greater than zero"});
  CHECK(errors_for(with("case_log_files: 5", "case_log_files: 0")) ==
        lines{"F:44: logging.case_log_files: must be between 1 and 100, got 0"});
  CHECK(errors_for(with("case_log_files: 5", "case_log_files: 101")) ==
        lines{"F:44: logging.case_log_files: must be between 1 and 100, got 101"});
}

TEST_CASE("metrics.listen is HOST:PORT with a port in 1..65535") {
  const auto listen = [](std::string_view to) {
    return errors_for(with("listen: 127.0.0.1:9187", "listen: \"" + std::string(to) + "\""));
  };
  for (const char* bad : {"9187", "localhost", "localhost:", ":9187", "[::1]9187", "[::1]",
                          "300.1.1.1:9187", "host name:9187", "localhost:91x"}) {
    CAPTURE(bad);
    CHECK(listen(bad) == lines{"F:46: metrics.listen: expected HOST:PORT such as 127.0.0.1:9187 "
                               "or [::1]:9187, got '" +
                               std::string(bad) + "'"});
  }
  CHECK(listen("localhost:0") ==
        lines{"F:46: metrics.listen: the port must be between 1 and 65535, got 0"});
  CHECK(listen("localhost:65536") ==
        lines{"F:46: metrics.listen: the port must be between 1 and 65535, got 65536"});
  CHECK(listen("::1:9187") == lines{"F:46: metrics.listen: write an IPv6 address in brackets, as "
                                    "[::1]:9187, got '::1:9187'"});
  CHECK(listen("[::g]:9187") == lines{"F:46: metrics.listen: '::g' is not an IPv6 address"});
}

TEST_CASE("metrics.stale_after is above zero") {
  CHECK(errors_for(with("stale_after: 10m", "stale_after: 0m")) ==
        lines{"F:47: metrics.stale_after: must be greater than zero"});
}

TEST_CASE("unknown keys in the new sections list the known ones") {
  CHECK(errors_for(with("  max_parts: 500\n", "  max_parts: 500\n  max_size: 1\n")) ==
        lines{"F:40: limits.max_size: unknown key (known: max_message_size, max_mime_depth, "
              "max_parts, max_header_line)"});
  CHECK(
      errors_for(with("    time_zone: UTC\n", "    timezone: UTC\n")) ==
      lines{"F:30: routing.calendar.timezone: unknown key (known: time_zone, working_days, hours, "
            "holidays)"});
  CHECK(errors_for(with("  level: info\n", "  level: info\n  file: x\n")) ==
        lines{"F:43: logging.file: unknown key (known: level, case_log, case_log_max_size, "
              "case_log_files)"});
  CHECK(errors_for(with("  stale_after: 10m\n", "  stale_after: 10m\n  port: 9\n")) ==
        lines{"F:48: metrics.port: unknown key (known: listen, stale_after)"});
  CHECK(errors_for(with("  triage_queue: triage\n", "  triage_queue: triage\n  queue: x\n")) ==
        lines{"F:25: routing.queue: unknown key (known: products_file, contracts_file, "
              "triage_queue, urgent_queue, entitlement_queue, phone_numbers, "
              "public_email_domains, duplicate_window, reopen_window, calendar, labels)"});
  CHECK(errors_for(with("  reply_on_follow_up: false\n",
                        "  reply_on_follow_up: false\n  reply_to: x@y\n")) ==
        lines{"F:21: smtp.reply_to: unknown key (known: url, tls, ca_file, username, "
              "password_file, from, envelope_from, max_replies_per_hour, give_up_after, "
              "templates_dir, authserv_id, reply_on_follow_up)"});
}
