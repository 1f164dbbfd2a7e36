// load_settings on valid files: every value read, defaults applied, relative paths resolved.
#include <doctest/doctest.h>

#include <map>

#include "tacmail/config/load.hpp"
#include "temp_folder.hpp"

using namespace std::chrono_literals;
using namespace tacmail::config;
using tacmail::config::test::data_dir;
using tacmail::config::test::scoped_env;
using tacmail::config::test::temp_folder;

namespace {

std::string errors_of(const auto& result) {
  std::string out;
  for (const auto& e : result.errors) out += e.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("a full settings file loads with every value") {
  scoped_env env("CREDENTIALS_DIRECTORY", nullptr);
  const auto result = load_settings(data_dir / "full.yaml");
  INFO(errors_of(result));
  REQUIRE(result.errors.empty());
  REQUIRE(result.value.has_value());
  const settings& s = *result.value;

  REQUIRE(s.mailboxes.size() == 2);
  const auto& tac = s.mailboxes[0];
  CHECK(tac.name == "tac");
  CHECK(tac.imap.host == "imap.example.com");
  CHECK(tac.imap.port == 10993);
  CHECK(tac.imap.tls == tls_mode::implicit);
  CHECK(tac.imap.ca_file == data_dir / "ca.pem");
  CHECK(tac.imap.username == "tac@example.com");
  CHECK(tac.imap.password_file == data_dir / "secrets" / "imap-password");
  CHECK(tac.imap.folder == "Support");
  CHECK(tac.imap.processed_folder == "Support/Done");
  CHECK(tac.imap.quarantine_folder == "Support/Quarantine");
  CHECK(tac.imap.idle == false);
  CHECK(tac.imap.poll_interval == 250ms);
  CHECK(tac.imap.auth == imap_auth::plain);
  CHECK_FALSE(tac.imap.oauth2_token_file.has_value());
  CHECK(tac.imap.idle_renewal == 20min);
  CHECK(tac.imap.command_timeout == 90s);
  CHECK(tac.imap.connect_timeout == 10s);
  CHECK(tac.imap.reconnect_max == 15min);
  CHECK(tac.imap.fetch_batch == 250);

  const auto& partners = s.mailboxes[1];
  CHECK(partners.name == "partners");
  CHECK(partners.imap.tls == tls_mode::starttls);
  CHECK(partners.imap.port == 143);  // the starttls default
  CHECK_FALSE(partners.imap.ca_file.has_value());
  CHECK(partners.imap.folder == "INBOX");
  CHECK(partners.imap.auth == imap_auth::xoauth2);
  CHECK(partners.imap.oauth2_token_file == data_dir / "secrets" / "oauth2-token");
  CHECK(partners.imap.password_file.empty());  // not needed with xoauth2

  CHECK(s.smtp.url == "smtp://smtp.example.com:587");
  CHECK(s.smtp.tls == tls_mode::starttls);
  CHECK(s.smtp.ca_file == data_dir / "ca.pem");
  CHECK(s.smtp.username == "tac@example.com");
  CHECK(s.smtp.password_file == data_dir / "secrets" / "smtp-password");
  CHECK(s.smtp.from == "Technical Support <tac@example.com>");
  CHECK(s.smtp.envelope_from == "bounces@example.com");
  CHECK(s.smtp.max_replies_per_hour == 0);
  CHECK(s.smtp.give_up_after == 48h);
  CHECK(s.smtp.templates_dir == data_dir / "templates");
  CHECK(s.smtp.authserv_id == "mx.example.com");
  CHECK(s.smtp.reply_on_follow_up == true);
  CHECK(s.storage.sqlite == data_dir / "state" / "cases.db");

  const auto& routing = s.routing;
  CHECK(routing.products_file == data_dir / "products.yaml");
  CHECK(routing.contracts_file == data_dir / "contracts.yaml");
  CHECK(routing.triage_queue == "tac-triage");
  CHECK(routing.urgent_queue == "tac-urgent");
  CHECK(routing.entitlement_queue == "gsr");
  CHECK(routing.phone_numbers ==
        std::vector<std::string>{"US/Canada: 1-800-553-2447", "EMEA: +32 2 704 5555"});
  // Lower-cased, and the default list replaced rather than extended.
  CHECK(routing.public_email_domains == std::vector<std::string>{"gmail.com", "example.net"});
  CHECK(routing.duplicate_window == 5min);
  CHECK(routing.reopen_window == 720h);
  CHECK(routing.calendar.time_zone == "Europe/Berlin");
  CHECK(routing.calendar.working_days == std::vector<int>{1, 2, 3, 4, 5, 6});  // sorted
  CHECK(routing.calendar.day_start == 7h + 30min);
  CHECK(routing.calendar.day_end == 18h);
  CHECK(routing.calendar.holidays == std::vector<std::string>{"2026-12-25", "2026-12-26"});
  CHECK(routing.labels ==
        std::map<std::string, std::vector<std::string>>{{"contract", {"Service Agreement"}},
                                                        {"product", {"Platform", "Plattform"}}});

  CHECK(s.limits.max_message_size == 25u * 1024 * 1024);
  CHECK(s.limits.max_mime_depth == 10);
  CHECK(s.limits.max_parts == 200);
  CHECK(s.limits.max_header_line == 8u * 1024);

  CHECK(s.logging.level == "debug");
  CHECK(s.logging.case_log == data_dir / "logs" / "cases.jsonl");
  CHECK(s.logging.case_log_max_size == 1024u * 1024 * 1024);
  CHECK(s.logging.case_log_files == 10);

  CHECK(s.metrics.listen == "[::1]:9187");
  CHECK(s.metrics.stale_after == 15min);
}

TEST_CASE("a minimal settings file gets the documented defaults") {
  const auto result = load_settings(data_dir / "minimal.yaml");
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  const settings& s = *result.value;
  REQUIRE(s.mailboxes.size() == 1);
  const auto& imap = s.mailboxes[0].imap;
  CHECK(imap.port == 993);
  CHECK(imap.tls == tls_mode::implicit);
  CHECK_FALSE(imap.ca_file.has_value());
  CHECK(imap.password_file == "/etc/tacmaild/imap-password");  // absolute stays as written
  CHECK(imap.folder == "INBOX");
  CHECK(imap.processed_folder == "Processed");
  CHECK(imap.quarantine_folder == "Quarantine");
  CHECK(imap.idle == true);
  CHECK(imap.poll_interval == 60s);
  CHECK(s.smtp.tls == tls_mode::implicit);  // smtps:// implies it
  CHECK_FALSE(s.smtp.username.has_value());
  CHECK_FALSE(s.smtp.password_file.has_value());
  CHECK_FALSE(s.smtp.ca_file.has_value());
  CHECK(s.storage.sqlite == "/var/lib/tacmaild/cases.db");
  CHECK_FALSE(s.routing.products_file.has_value());
  CHECK_FALSE(s.routing.contracts_file.has_value());

  CHECK(imap.auth == imap_auth::automatic);
  CHECK_FALSE(imap.oauth2_token_file.has_value());
  CHECK(imap.idle_renewal == 5min);
  CHECK(imap.command_timeout == 60s);
  CHECK(imap.connect_timeout == 30s);
  CHECK(imap.reconnect_max == 5min);
  CHECK(imap.fetch_batch == 100);

  CHECK(s.smtp.envelope_from.empty());
  CHECK(s.smtp.max_replies_per_hour == 10);
  CHECK(s.smtp.give_up_after == 120h);
  CHECK_FALSE(s.smtp.templates_dir.has_value());
  CHECK_FALSE(s.smtp.authserv_id.has_value());
  CHECK(s.smtp.reply_on_follow_up == false);

  const auto& routing = s.routing;
  CHECK(routing.triage_queue == "triage");
  CHECK(routing.urgent_queue == "urgent");
  CHECK(routing.entitlement_queue == "entitlement");
  CHECK(routing.phone_numbers == std::vector<std::string>{"US/Canada: 1-800-553-2447"});
  CHECK(routing.public_email_domains.size() == 30);
  CHECK(routing.public_email_domains == routing_settings{}.public_email_domains);
  CHECK(routing.duplicate_window == 10min);
  CHECK(routing.reopen_window == 336h);
  CHECK(routing.calendar.time_zone == "UTC");
  CHECK(routing.calendar.working_days == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(routing.calendar.day_start == 8h);
  CHECK(routing.calendar.day_end == 17h);
  CHECK(routing.calendar.holidays.empty());
  CHECK(routing.labels.empty());

  CHECK(s.limits.max_message_size == 50u * 1024 * 1024);
  CHECK(s.limits.max_mime_depth == 20);
  CHECK(s.limits.max_parts == 500);
  CHECK(s.limits.max_header_line == 16u * 1024);

  CHECK(s.logging.level == "info");
  CHECK_FALSE(s.logging.case_log.has_value());
  CHECK(s.logging.case_log_max_size == 10u * 1024 * 1024);
  CHECK(s.logging.case_log_files == 5);

  CHECK_FALSE(s.metrics.listen.has_value());
  CHECK(s.metrics.stale_after == 10min);
}

TEST_CASE("sections given empty-handed keep every default") {
  temp_folder tmp;
  const auto file = tmp.write("t.yaml", R"(mailboxes:
  - name: tac
    imap: {host: h, username: u, password_file: p}
smtp: {url: smtp://relay, from: a@b}
storage: {sqlite: db}
routing: {calendar: {}, labels: {}}
limits: {}
logging: {}
metrics: {}
)");
  const auto result = load_settings(file);
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  const auto& s = *result.value;
  CHECK(s.routing.calendar.working_days == business_calendar{}.working_days);
  CHECK(s.limits.max_parts == limits_settings{}.max_parts);
  CHECK(s.logging.level == "info");
  CHECK_FALSE(s.metrics.listen.has_value());
}

TEST_CASE("the new keys take every valid spelling") {
  temp_folder tmp;
  const auto file = tmp.write("t.yaml", R"(mailboxes:
  - name: a
    imap: {host: h, username: u, password_file: p, auth: auto, idle_renewal: 28m, fetch_batch: 1}
  - name: b
    imap: {host: h, username: u, password_file: p, auth: login, fetch_batch: 1000}
smtp: {url: smtp://relay, from: a@b, reply_on_follow_up: "no"}
storage: {sqlite: db}
routing:
  phone_numbers: []
  public_email_domains: []
  calendar:
    time_zone: America/New_York
    working_days: [SUN, Sat]
    hours: "00:00-24:00"
    holidays: []
  labels:
    company: [Firma]
    contact_name: [Ansprechpartner]
    contact_phone: [Telefon]
    cco_id: [CCO]
    contact_email: [E-Mail]
    contract: [Vertrag]
    smart_account: [SA]
    virtual_account: [VA]
    product: [Produkt]
    severity: [Prioritaet]
    description: [Beschreibung]
    location: [Standort]
    alt_contact_name: [Vertretung]
    alt_contact_phone: [Telefon Vertretung]
limits: {max_message_size: 1048576, max_mime_depth: 100, max_parts: 10000, max_header_line: 1k}
logging: {level: "off", case_log: /var/log/tacmaild/cases.jsonl, case_log_max_size: 2g}
metrics: {listen: "metrics.example.com:1"}
)");
  const auto result = load_settings(file);
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  const auto& s = *result.value;
  CHECK(s.mailboxes[0].imap.auth == imap_auth::automatic);
  CHECK(s.mailboxes[0].imap.idle_renewal == 28min);
  CHECK(s.mailboxes[0].imap.fetch_batch == 1);
  CHECK(s.mailboxes[1].imap.auth == imap_auth::login);
  CHECK(s.mailboxes[1].imap.fetch_batch == 1000);
  CHECK(s.smtp.reply_on_follow_up == false);
  CHECK(s.routing.phone_numbers.empty());
  CHECK(s.routing.public_email_domains.empty());
  CHECK(s.routing.calendar.time_zone == "America/New_York");
  CHECK(s.routing.calendar.working_days == std::vector<int>{6, 7});
  CHECK(s.routing.calendar.day_start == 0min);
  CHECK(s.routing.calendar.day_end == 24h);
  CHECK(s.routing.labels.size() == 14);
  CHECK(s.routing.labels.at("alt_contact_phone") == std::vector<std::string>{"Telefon Vertretung"});
  CHECK(s.limits.max_message_size == 1048576u);
  CHECK(s.limits.max_mime_depth == 100);
  CHECK(s.limits.max_parts == 10000);
  CHECK(s.limits.max_header_line == 1024u);
  CHECK(s.logging.level == "off");
  CHECK(s.logging.case_log == "/var/log/tacmaild/cases.jsonl");
  CHECK(s.logging.case_log_max_size == 2u * 1024 * 1024 * 1024);
  CHECK(s.metrics.listen == "metrics.example.com:1");
}

TEST_CASE("metrics.listen takes IPv4, bracketed IPv6 and names") {
  for (const char* listen : {"127.0.0.1:9187", "0.0.0.0:9187", "[::1]:9187", "[::]:65535",
                             "localhost:9187", "metrics-1.example.com:9187"}) {
    CAPTURE(listen);
    temp_folder tmp;
    const auto file = tmp.write("t.yaml", std::string(R"(mailboxes:
  - name: tac
    imap: {host: h, username: u, password_file: p}
smtp: {url: smtp://relay, from: a@b}
storage: {sqlite: db}
metrics: {listen: ")") + listen + "\"}\n");
    const auto result = load_settings(file);
    INFO(errors_of(result));
    REQUIRE(result.value.has_value());
    CHECK(result.value->metrics.listen == listen);
  }
}

TEST_CASE("relative new paths are resolved against the config file's folder") {
  temp_folder tmp;
  const auto file = tmp.write("etc/t.yaml", R"(mailboxes:
  - name: tac
    imap: {host: h, username: u, auth: xoauth2, oauth2_token_file: ../secrets/token}
smtp: {url: smtp://relay, from: a@b, templates_dir: ./templates}
storage: {sqlite: db}
logging: {case_log: ../log/cases.jsonl}
)");
  scoped_env env("CREDENTIALS_DIRECTORY", nullptr);
  const auto result = load_settings(file);
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  const auto root = std::filesystem::canonical(tmp.path());
  CHECK(result.value->mailboxes[0].imap.oauth2_token_file == root / "secrets" / "token");
  CHECK(result.value->smtp.templates_dir == root / "etc" / "templates");
  CHECK(result.value->logging.case_log == root / "log" / "cases.jsonl");
}

TEST_CASE("ports, booleans and tls take every valid spelling") {
  temp_folder tmp;
  const auto file = tmp.write("t.yaml", R"(mailboxes:
  - name: a
    imap: {host: h, tls: none, username: u, password_file: p, idle: "yes", poll_interval: 2h}
  - name: b
    imap: {host: h, tls: starttls, port: 1143, username: u, password_file: p, idle: off}
smtp: {url: smtp://relay, tls: none, from: a@b}
storage: {sqlite: db}
)");
  const auto result = load_settings(file);
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  CHECK(result.value->mailboxes[0].imap.port == 143);
  CHECK(result.value->mailboxes[0].imap.tls == tls_mode::none);
  CHECK(result.value->mailboxes[0].imap.idle == true);
  CHECK(result.value->mailboxes[0].imap.poll_interval == 2h);
  CHECK(result.value->mailboxes[1].imap.port == 1143);
  CHECK(result.value->mailboxes[1].imap.idle == false);
  CHECK(result.value->smtp.tls == tls_mode::none);
}

TEST_CASE("relative paths are resolved against the config file's folder, not the cwd") {
  temp_folder tmp;
  const auto file = tmp.write("etc/tacmaild.yaml", R"(mailboxes:
  - name: tac
    imap: {host: h, username: u, password_file: ../secrets/imap, ca_file: ./tls/ca.pem}
smtp: {url: smtp://relay, from: a@b, ca_file: /abs/ca.pem}
storage: {sqlite: data/cases.db}
routing: {products_file: products.yaml, contracts_file: ../shared/contracts.yaml}
)");
  temp_folder elsewhere;
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(elsewhere.path());
  // A relative config path too: the folder is taken from it before the cwd changes again.
  const auto result = load_settings(std::filesystem::relative(file, elsewhere.path()));
  std::filesystem::current_path(old_cwd);
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  const auto etc = std::filesystem::canonical(tmp.path()) / "etc";
  const auto root = std::filesystem::canonical(tmp.path());
  const auto& s = *result.value;
  CHECK(s.mailboxes[0].imap.password_file == root / "secrets" / "imap");
  CHECK(s.mailboxes[0].imap.ca_file == etc / "tls" / "ca.pem");
  CHECK(s.smtp.ca_file == "/abs/ca.pem");
  CHECK(s.storage.sqlite == etc / "data" / "cases.db");
  CHECK(s.routing.products_file == etc / "products.yaml");
  CHECK(s.routing.contracts_file == root / "shared" / "contracts.yaml");
  CHECK(s.storage.sqlite.is_absolute());
}

TEST_CASE("a relative password_file found in CREDENTIALS_DIRECTORY names the credential") {
  temp_folder tmp;
  temp_folder credentials;
  credentials.write("imap-password", "x");
  credentials.write("oauth2-token", "t");
  scoped_env env("CREDENTIALS_DIRECTORY", credentials.path().c_str());
  const auto file = tmp.write("t.yaml", R"(mailboxes:
  - name: tac
    imap: {host: h, username: u, password_file: imap-password}
  - name: oauth
    imap: {host: h, username: u, auth: xoauth2, oauth2_token_file: oauth2-token}
smtp: {url: smtp://relay, from: a@b, username: u, password_file: smtp-password}
storage: {sqlite: db}
)");
  const auto result = load_settings(file);
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  CHECK(result.value->mailboxes[0].imap.password_file == credentials.path() / "imap-password");
  CHECK(result.value->mailboxes[1].imap.oauth2_token_file == credentials.path() / "oauth2-token");
  // Not among the credentials: beside the config.
  CHECK(result.value->smtp.password_file == tmp.path() / "smtp-password");
}
