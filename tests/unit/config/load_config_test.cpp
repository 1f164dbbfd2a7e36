// load_config: settings plus the catalogs and files they name, each error in the file it is in.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "tacmail/config/load.hpp"
#include "temp_folder.hpp"

using namespace tacmail::config;
using tacmail::config::test::data_dir;
using tacmail::config::test::scoped_env;
using tacmail::config::test::temp_folder;

namespace {

using lines = std::vector<std::string>;

lines rendered(const load_result<loaded_config>& result) {
  CHECK(result.value.has_value() == result.errors.empty());
  lines out;
  for (const auto& e : result.errors) out.push_back(e.to_string());
  return out;
}

// A settings file in tmp with its secrets present; extra is appended at the top level.
std::filesystem::path write_config(const temp_folder& tmp, std::string_view imap_extra = "",
                                   std::string_view extra = "") {
  tmp.write("imap-password", "secret\n");
  return tmp.write("tacmaild.yaml", std::string(R"(mailboxes:
  - name: tac
    imap:
      host: imap.example.com
      username: tac@example.com
      password_file: imap-password
)") + std::string(imap_extra) + R"(smtp:
  url: smtp://smtp.example.com
  from: tac@example.com
storage:
  sqlite: cases.db
)" + std::string(extra));
}

}  // namespace

TEST_CASE("the full test config loads with its catalogs") {
  scoped_env env("CREDENTIALS_DIRECTORY", nullptr);
  const auto result = load_config(data_dir / "full.yaml");
  REQUIRE(rendered(result).empty());
  const auto& config = *result.value;
  CHECK(config.settings.mailboxes.size() == 2);
  REQUIRE(config.products.products.size() == 2);  // the file's, not the built-in table
  CHECK(config.products.products[1].name == "HIPCOM");
  CHECK(config.contracts.contracts.size() == 2);
  CHECK(config.contracts.smart_accounts.size() == 1);
}

TEST_CASE("without routing files: the built-in products and no contracts") {
  temp_folder tmp;
  const auto result = load_config(write_config(tmp));
  REQUIRE(rendered(result).empty());
  CHECK(result.value->products.products.size() == builtin_product_catalog().products.size());
  CHECK(result.value->contracts.contracts.empty());
  CHECK(result.value->contracts.smart_accounts.empty());
}

TEST_CASE("a missing password file is reported at the key that names it") {
  scoped_env env("CREDENTIALS_DIRECTORY", nullptr);
  temp_folder tmp;
  const auto file = write_config(tmp);
  std::filesystem::remove(tmp.path() / "imap-password");
  const auto secret = tmp.path() / "imap-password";
  CHECK(rendered(load_config(file)) ==
        lines{file.string() + ":6: mailboxes[0].imap.password_file: cannot read " +
              secret.string() + ": No such file or directory"});
}

TEST_CASE("a relative password file may live in CREDENTIALS_DIRECTORY instead") {
  temp_folder tmp;
  const auto file = write_config(tmp);
  std::filesystem::remove(tmp.path() / "imap-password");
  temp_folder credentials;
  credentials.write("imap-password", "secret\n");
  scoped_env env("CREDENTIALS_DIRECTORY", credentials.path().c_str());
  const auto result = load_config(file);
  REQUIRE(rendered(result).empty());
  CHECK(result.value->settings.mailboxes[0].imap.password_file ==
        credentials.path() / "imap-password");
}

TEST_CASE("missing ca files and catalog files are reported at their keys, all together") {
  temp_folder tmp;
  const auto file =
      write_config(tmp, "      ca_file: certs/ca.pem\n",
                   "routing:\n  products_file: p.yaml\n  contracts_file: /nonexistent/c.yaml\n");
  const auto dir = tmp.path().string();
  CHECK(rendered(load_config(file)) ==
        lines{file.string() + ":7: mailboxes[0].imap.ca_file: cannot read " + dir +
                  "/certs/ca.pem: No such file or directory",
              file.string() + ":14: routing.products_file: cannot read " + dir +
                  "/p.yaml: No such file or directory",
              file.string() +
                  ":15: routing.contracts_file: cannot read /nonexistent/c.yaml: No such "
                  "file or directory"});
}

TEST_CASE("a missing oauth2 token file is reported at its key, like a password file") {
  scoped_env env("CREDENTIALS_DIRECTORY", nullptr);
  temp_folder tmp;
  const auto file =
      write_config(tmp, "      auth: xoauth2\n      oauth2_token_file: secrets/token\n");
  CHECK(rendered(load_config(file)) ==
        lines{file.string() + ":8: mailboxes[0].imap.oauth2_token_file: cannot read " +
              tmp.path().string() + "/secrets/token: No such file or directory"});
  tmp.write("secrets/token", "ya29.x\n");
  CHECK(rendered(load_config(file)).empty());
}

TEST_CASE("templates_dir must be a folder that can be read") {
  temp_folder tmp;
  tmp.write("imap-password", "secret\n");
  const auto with_templates = [&](std::string_view dir) {
    return rendered(load_config(tmp.write("t.yaml", std::string(R"(mailboxes:
  - name: tac
    imap: {host: h, username: u, password_file: imap-password}
smtp:
  url: smtp://smtp.example.com
  from: tac@example.com
  templates_dir: )") + std::string(dir) + "\nstorage: {sqlite: db}\n")));
  };
  const auto t = (tmp.path() / "t.yaml").string();
  CHECK(with_templates("templates") ==
        lines{t + ":7: smtp.templates_dir: cannot read " + tmp.path().string() +
              "/templates: No such file or directory"});
  tmp.write("templates/case_opened.txt", "Case {{case_number}}\n");
  CHECK(with_templates("templates").empty());
  CHECK(with_templates("templates/case_opened.txt") ==
        lines{t + ":7: smtp.templates_dir: cannot read " + tmp.path().string() +
              "/templates/case_opened.txt: Not a directory"});
}

TEST_CASE("a named file must be a file, not a folder") {
  temp_folder tmp;
  std::filesystem::create_directory(tmp.path() / "sub");
  const auto file = write_config(tmp, "", "routing:\n  products_file: sub\n");
  CHECK(rendered(load_config(file)) ==
        lines{file.string() + ":13: routing.products_file: cannot read " + tmp.path().string() +
              "/sub: Is a directory"});
}

TEST_CASE("errors inside the catalogs name the catalog files") {
  temp_folder tmp;
  const auto products =
      tmp.write("products.yaml", "products:\n  - name: A\n    queue: a\n    tech: x\n");
  const auto contracts =
      tmp.write("contracts.yaml", "contracts:\n  - number: 1\n    status: old\n");
  const auto file = write_config(
      tmp, "", "routing:\n  products_file: products.yaml\n  contracts_file: contracts.yaml\n");
  CHECK(
      rendered(load_config(file)) ==
      lines{products.string() +
                ":4: products[0].tech: unknown key (known: name, aliases, technology, "
                "sub_technology, queue)",
            contracts.string() + ":3: contracts[0].status: expected active or expired, got 'old'"});
}

TEST_CASE("contracts may only name products the catalog knows, by name or alias") {
  temp_folder tmp;
  const auto contracts = tmp.write("contracts.yaml", R"(contracts:
  - number: 1
    products: [cisco broadworks, BWKS, Cloudcherry]
  - number: 2
    products: [Broadworkz]
)");
  const auto file = write_config(tmp, "", "routing:\n  contracts_file: contracts.yaml\n");
  CHECK(rendered(load_config(file)) ==
        lines{contracts.string() +
              ":5: contracts[1].products[0]: 'Broadworkz' is not a product in the catalog"});
}

TEST_CASE("settings errors and file errors are reported together") {
  temp_folder tmp;
  const auto file = write_config(tmp, "      port: abc\n      ca_file: nope.pem\n");
  const auto result = load_config(file);
  CHECK(rendered(result) ==
        lines{file.string() + ":7: mailboxes[0].imap.port: expected an integer, got 'abc'",
              file.string() + ":8: mailboxes[0].imap.ca_file: cannot read " + tmp.path().string() +
                  "/nope.pem: No such file or directory"});
}

TEST_CASE("the example config is valid YAML for the schema; only its files are absent here") {
  const auto example = std::filesystem::path(TACMAIL_TEST_DATA) / ".." / ".." / "config" /
                       "examples" / "tacmaild.yaml";
  const auto settings_only = load_settings(example);
  for (const auto& e : settings_only.errors) CAPTURE(e.to_string());
  REQUIRE(settings_only.value.has_value());
  const auto& s = *settings_only.value;
  CHECK(s.mailboxes[0].imap.password_file == "/run/credentials/tacmaild.service/imap-password");
  CHECK(s.storage.sqlite == "/var/lib/tacmaild/cases.db");

  scoped_env env("CREDENTIALS_DIRECTORY", nullptr);
  for (const auto& e : load_config(example).errors) {
    CAPTURE(e.to_string());
    CHECK(e.message.starts_with("cannot read "));
  }
}

TEST_CASE("the example's commented-out keys are valid and show the defaults") {
  const auto example = std::filesystem::path(TACMAIL_TEST_DATA) / ".." / ".." / "config" /
                       "examples" / "tacmaild.yaml";
  std::ifstream in(example);
  REQUIRE(in);
  // "# key: value" -> "key: value", indentation kept; prose starts with a capital or no "key:".
  // oauth2_token_file is left out: it belongs to auth xoauth2, not to the default auth.
  const std::regex commented_key(R"(^(\s*)# (\s*[a-z_]+:( .*)?)$)");
  std::string uncommented;
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    if (std::regex_match(line, match, commented_key) &&
        match[2].str().find("oauth2_token_file:") == std::string::npos) {
      line = match[1].str() + match[2].str();
    }
    uncommented += line + "\n";
  }
  temp_folder tmp;
  const auto result = load_settings(tmp.write("tacmaild.yaml", uncommented));
  for (const auto& e : result.errors) CAPTURE(e.to_string());
  INFO(uncommented);
  REQUIRE(result.value.has_value());
  const auto& s = *result.value;
  const auto& imap = s.mailboxes[0].imap;
  const imap_settings imap_defaults;
  CHECK(imap.ca_file == "/etc/tacmaild/imap-ca.pem");  // uncommented, so set
  CHECK(imap.auth == imap_defaults.auth);
  CHECK(imap.idle_renewal == imap_defaults.idle_renewal);
  CHECK(imap.command_timeout == imap_defaults.command_timeout);
  CHECK(imap.connect_timeout == imap_defaults.connect_timeout);
  CHECK(imap.reconnect_max == imap_defaults.reconnect_max);
  CHECK(imap.fetch_batch == imap_defaults.fetch_batch);

  const smtp_settings smtp_defaults;
  CHECK(s.smtp.envelope_from == "bounces@example.com");
  CHECK(s.smtp.max_replies_per_hour == smtp_defaults.max_replies_per_hour);
  CHECK(s.smtp.give_up_after == smtp_defaults.give_up_after);
  CHECK(s.smtp.templates_dir == "/etc/tacmaild/templates");
  CHECK(s.smtp.authserv_id == "mx.example.com");
  CHECK(s.smtp.reply_on_follow_up == smtp_defaults.reply_on_follow_up);

  const routing_settings routing_defaults;
  CHECK(s.routing.triage_queue == routing_defaults.triage_queue);
  CHECK(s.routing.urgent_queue == routing_defaults.urgent_queue);
  CHECK(s.routing.entitlement_queue == routing_defaults.entitlement_queue);
  CHECK(s.routing.phone_numbers == routing_defaults.phone_numbers);
  CHECK(s.routing.public_email_domains ==
        std::vector<std::string>{"gmail.com", "outlook.com", "yahoo.com"});
  CHECK(s.routing.duplicate_window == routing_defaults.duplicate_window);
  CHECK(s.routing.reopen_window == routing_defaults.reopen_window);
  CHECK(s.routing.calendar.time_zone == routing_defaults.calendar.time_zone);
  CHECK(s.routing.calendar.working_days == routing_defaults.calendar.working_days);
  CHECK(s.routing.calendar.day_start == routing_defaults.calendar.day_start);
  CHECK(s.routing.calendar.day_end == routing_defaults.calendar.day_end);
  CHECK(s.routing.calendar.holidays == routing_defaults.calendar.holidays);
  CHECK(s.routing.labels.size() == 2);

  const limits_settings limits_defaults;
  CHECK(s.limits.max_message_size == limits_defaults.max_message_size);
  CHECK(s.limits.max_mime_depth == limits_defaults.max_mime_depth);
  CHECK(s.limits.max_parts == limits_defaults.max_parts);
  CHECK(s.limits.max_header_line == limits_defaults.max_header_line);

  const logging_settings logging_defaults;
  CHECK(s.logging.level == logging_defaults.level);
  CHECK(s.logging.case_log == "/var/log/tacmaild/cases.jsonl");
  CHECK(s.logging.case_log_max_size == logging_defaults.case_log_max_size);
  CHECK(s.logging.case_log_files == logging_defaults.case_log_files);

  CHECK(s.metrics.listen == "127.0.0.1:9187");
  CHECK(s.metrics.stale_after == metrics_settings{}.stale_after);
}

TEST_CASE("reply templates: known names and placeholders only, errors name file and line") {
  temp_folder tmp;
  const auto folder = tmp.path() / "templates";
  tmp.write("templates/case_opened.txt", "Dear {{contact_name}},\ncase {{case_number}}\n");
  tmp.write("templates/notes.md", "not a template: other extensions are ignored\n");
  auto good = load_templates(folder);
  REQUIRE(good.errors.empty());
  REQUIRE(good.value);
  CHECK(good.value->overrides.at("case_opened") == "Dear {{contact_name}},\ncase {{case_number}}\n");
  CHECK(good.value->overrides.count("missing_fields") == 0);

  tmp.write("templates/missing_fields.txt", "line one\nmissing: {{missing_feilds}}\n{{case_number\n");
  tmp.write("templates/thanks.txt", "hello\n");
  auto bad = load_templates(folder);
  CHECK_FALSE(bad.value);
  std::vector<std::string> got;
  for (const auto& e : bad.errors) got.push_back(e.to_string());
  std::sort(got.begin(), got.end());
  const std::string dir = folder.string();
  REQUIRE(got.size() == 3);
  CHECK(got[0].starts_with(dir + "/missing_fields.txt:2: {{missing_feilds}}: unknown placeholder"));
  CHECK(got[1] == dir + "/missing_fields.txt:3: '{{' without '}}' on the same line");
  CHECK(got[2].starts_with(dir + "/thanks.txt: not a template name (known: case_opened,"));
}
