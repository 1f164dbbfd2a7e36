// load_settings on valid files: every value read, defaults applied, relative paths resolved.
#include <doctest/doctest.h>

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

  const auto& partners = s.mailboxes[1];
  CHECK(partners.name == "partners");
  CHECK(partners.imap.tls == tls_mode::starttls);
  CHECK(partners.imap.port == 143);  // the starttls default
  CHECK_FALSE(partners.imap.ca_file.has_value());
  CHECK(partners.imap.folder == "INBOX");

  CHECK(s.smtp.url == "smtp://smtp.example.com:587");
  CHECK(s.smtp.tls == tls_mode::starttls);
  CHECK(s.smtp.ca_file == data_dir / "ca.pem");
  CHECK(s.smtp.username == "tac@example.com");
  CHECK(s.smtp.password_file == data_dir / "secrets" / "smtp-password");
  CHECK(s.smtp.from == "Technical Support <tac@example.com>");
  CHECK(s.storage.sqlite == data_dir / "state" / "cases.db");
  CHECK(s.routing.products_file == data_dir / "products.yaml");
  CHECK(s.routing.contracts_file == data_dir / "contracts.yaml");
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
  scoped_env env("CREDENTIALS_DIRECTORY", credentials.path().c_str());
  const auto file = tmp.write("t.yaml", R"(mailboxes:
  - name: tac
    imap: {host: h, username: u, password_file: imap-password}
smtp: {url: smtp://relay, from: a@b, username: u, password_file: smtp-password}
storage: {sqlite: db}
)");
  const auto result = load_settings(file);
  INFO(errors_of(result));
  REQUIRE(result.value.has_value());
  CHECK(result.value->mailboxes[0].imap.password_file == credentials.path() / "imap-password");
  // Not among the credentials: beside the config.
  CHECK(result.value->smtp.password_file == tmp.path() / "smtp-password");
}
