// load_config: settings plus the catalogs and files they name, each error in the file it is in.
#include <doctest/doctest.h>

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
