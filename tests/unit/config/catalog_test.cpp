// The catalogs: the built-in product table, products_file and contracts_file, good and bad.
#include "tacmail/config/catalog.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "tacmail/config/load.hpp"
#include "temp_folder.hpp"

using namespace tacmail::config;
using tacmail::config::test::data_dir;
using tacmail::config::test::temp_folder;

namespace {

const std::filesystem::path examples_dir =
    std::filesystem::path(TACMAIL_TEST_DATA) / ".." / ".." / "config" / "examples";

const product* find(const product_catalog& catalog, std::string_view name) {
  const auto it = std::find_if(catalog.products.begin(), catalog.products.end(),
                               [&](const product& p) { return p.name == name; });
  return it == catalog.products.end() ? nullptr : &*it;
}

bool has_alias(const product& p, std::string_view alias) {
  return std::find(p.aliases.begin(), p.aliases.end(), alias) != p.aliases.end();
}

using lines = std::vector<std::string>;

template <typename Loader>
lines errors_for(Loader load, std::string_view content) {
  temp_folder tmp;
  const auto file = tmp.write("catalog.yaml", content);
  const auto result = load(file);
  CHECK(result.value.has_value() == result.errors.empty());
  lines out;
  for (const auto& e : result.errors) {
    std::string line = e.to_string();
    line.replace(0, file.string().size(), "F");
    out.push_back(line);
  }
  return out;
}

lines product_errors(std::string_view content) {
  return errors_for([](const auto& f) { return load_product_catalog(f); }, content);
}

lines contract_errors(std::string_view content) {
  return errors_for([](const auto& f) { return load_contract_catalog(f); }, content);
}

}  // namespace

TEST_CASE("the built-in catalog has every row of DOMAIN.md's product table") {
  struct row {
    const char* name;
    const char* technology;
    const char* sub_technology;
    const char* queue;
  };
  const row table[] = {
      {"Cisco BroadWorks", "Collaboration & Conferencing", "BroadWorks", "broadworks"},
      {"BroadCloud", "Cloud & Hybrid Products", "Webex Calling Carrier", "webex-calling-carrier"},
      {"BroadSoft PaaS", "Cloud & Hybrid Products", "BroadSoft PaaS", "broadsoft-paas"},
      {"Contact Center (CC-One)", "Cloud & Hybrid Products", "Webex Contact Center (formerly CJP)",
       "webex-contact-center"},
      {"HIPCOM", "Cloud & Hybrid Products", "HIPCOM", "hipcom"},
      {"UC-One Collaborate", "Collaboration & Conferencing", "BroadWorks", "broadworks"},
      {"UC-One SaaS", "Cloud & Hybrid Products", "Webex for BroadWorks (UC-One SaaS)",
       "webex-for-broadworks"},
      {"Webex for BroadWorks", "Cloud & Hybrid Products", "Webex for BroadWorks (UC-One SaaS)",
       "webex-for-broadworks"},
      {"BroadSoft ProServices", "Collaboration & Conferencing",
       "Digital CX BroadWorks Professional Services", "broadworks-pro-services"},
      {"Cisco Webex Experience Management", "Cloud and Hybrid Products",
       "Webex Experience Management", "webex-experience-management"},
      {"Webex Calling Dedicated Instance", "Cloud & Hybrid Products", "Dedicated Instance",
       "dedicated-instance"},
  };
  const auto catalog = builtin_product_catalog();
  CHECK(catalog.products.size() == std::size(table));
  for (const auto& r : table) {
    CAPTURE(r.name);
    const product* p = find(catalog, r.name);
    REQUIRE(p != nullptr);
    CHECK(p->technology == r.technology);
    CHECK(p->sub_technology == r.sub_technology);
    CHECK(p->queue == r.queue);
  }
  CHECK(has_alias(*find(catalog, "Cisco BroadWorks"), "BroadWorks"));
  CHECK(has_alias(*find(catalog, "Cisco BroadWorks"), "BWKS"));
  const product& wxm = *find(catalog, "Cisco Webex Experience Management");
  CHECK(has_alias(wxm, "Webex Experience Management"));
  CHECK(has_alias(wxm, "CloudCherry"));
  CHECK(has_alias(wxm, "Cisco Webex Experience Management (formerly CloudCherry)"));
  CHECK(has_alias(*find(catalog, "Contact Center (CC-One)"), "CC-One"));
  CHECK(has_alias(*find(catalog, "Contact Center (CC-One)"), "Webex Contact Center"));
  CHECK(has_alias(*find(catalog, "Webex Calling Dedicated Instance"), "Dedicated Instance"));
}

TEST_CASE(
    "config/examples/products.yaml is the built-in catalog, and it passes the loader's rules") {
  const auto loaded = load_product_catalog(examples_dir / "products.yaml");
  for (const auto& e : loaded.errors) CAPTURE(e.to_string());
  REQUIRE(loaded.value.has_value());
  const auto builtin = builtin_product_catalog();
  REQUIRE(loaded.value->products.size() == builtin.products.size());
  for (std::size_t i = 0; i < builtin.products.size(); ++i) {
    const auto& a = loaded.value->products[i];
    const auto& b = builtin.products[i];
    CAPTURE(b.name);
    CHECK(a.name == b.name);
    CHECK(a.aliases == b.aliases);
    CHECK(a.technology == b.technology);
    CHECK(a.sub_technology == b.sub_technology);
    CHECK(a.queue == b.queue);
  }
}

TEST_CASE("config/examples/contracts.yaml loads") {
  const auto loaded = load_contract_catalog(examples_dir / "contracts.yaml");
  REQUIRE(loaded.value.has_value());
  CHECK(loaded.value->contracts.size() == 3);
  CHECK(loaded.value->smart_accounts.size() == 2);
}

TEST_CASE("a products file loads") {
  const auto result = load_product_catalog(data_dir / "products.yaml");
  REQUIRE(result.value.has_value());
  REQUIRE(result.value->products.size() == 2);
  const auto& bw = result.value->products[0];
  CHECK(bw.name == "Cisco BroadWorks");
  CHECK(bw.aliases == std::vector<std::string>{"BroadWorks", "BWKS"});
  CHECK(bw.technology == "Collaboration & Conferencing");
  CHECK(bw.sub_technology == "BroadWorks");
  CHECK(bw.queue == "broadworks");
  CHECK(result.value->products[1].aliases.empty());
}

TEST_CASE("bad products files") {
  CHECK(product_errors("products:\n  - name: A\n    queue: a\n    colour: red\n") ==
        lines{"F:4: products[0].colour: unknown key (known: name, aliases, technology, "
              "sub_technology, queue)"});
  CHECK(product_errors("products:\n  - name: A\n") ==
        lines{"F:2: products[0].queue: required key is missing"});
  CHECK(product_errors("products:\n  - queue: a\n") ==
        lines{"F:2: products[0].name: required key is missing"});
  CHECK(product_errors("products:\n  - {name: A, queue: a}\n  - {name: A, queue: b}\n") ==
        lines{"F:3: products[1].name: duplicate product name 'A'"});
  CHECK(product_errors(
            "products:\n  - {name: A, queue: a, aliases: [Bee]}\n  - {name: bee, queue: b}\n") ==
        lines{"F:3: products[1]: 'bee' already names product 'A'"});
  CHECK(product_errors("products:\n  - {name: A, queue: a, aliases: B}\n") ==
        lines{"F:2: products[0].aliases: expected a list, got 'B'"});
  CHECK(product_errors("products: []\n") == lines{"F:1: products: must list at least one product"});
  CHECK(product_errors("product:\n  - {name: A, queue: a}\n") ==
        lines{"F:1: products: required key is missing",
              "F:1: product: unknown key (known: products)"});
}

TEST_CASE("a contracts file loads, keeping unquoted numbers as their digits") {
  const auto result = load_contract_catalog(data_dir / "contracts.yaml");
  for (const auto& e : result.errors) CAPTURE(e.to_string());
  REQUIRE(result.value.has_value());
  const auto& c = *result.value;
  REQUIRE(c.contracts.size() == 2);
  CHECK(c.contracts[0].number == "91234567");
  CHECK(c.contracts[0].company == "Acme Corp");
  CHECK(c.contracts[0].status == contract_status::active);
  CHECK(c.contracts[0].end_date == "2027-06-30");
  CHECK(c.contracts[0].products == std::vector<std::string>{"Cisco BroadWorks", "bwks"});
  CHECK(c.contracts[1].number == "0012345678");
  CHECK(c.contracts[1].status == contract_status::expired);
  CHECK_FALSE(c.contracts[1].end_date.has_value());
  CHECK(c.contracts[1].products.empty());
  REQUIRE(c.smart_accounts.size() == 1);
  CHECK(c.smart_accounts[0].name == "Acme");
  REQUIRE(c.smart_accounts[0].virtual_accounts.size() == 2);
  CHECK(c.smart_accounts[0].virtual_accounts[0].name == "Acme-East");
  CHECK(c.smart_accounts[0].virtual_accounts[0].contracts ==
        std::vector<std::string>{"91234567", "0012345678"});
  CHECK(c.smart_accounts[0].virtual_accounts[1].contracts.empty());
}

TEST_CASE("status defaults to active and an empty contracts file is an empty catalog") {
  temp_folder tmp;
  const auto result = load_contract_catalog(tmp.write("c.yaml", "contracts:\n  - number: 123\n"));
  REQUIRE(result.value.has_value());
  CHECK(result.value->contracts[0].status == contract_status::active);
  CHECK(result.value->contracts[0].company.empty());
  const auto empty = load_contract_catalog(tmp.write("e.yaml", "contracts: []\n"));
  REQUIRE(empty.value.has_value());
  CHECK(empty.value->contracts.empty());
}

TEST_CASE("bad contracts files") {
  CHECK(contract_errors("contracts:\n  - number: \"91234567\"\n    status: lapsed\n") ==
        lines{"F:3: contracts[0].status: expected active or expired, got 'lapsed'"});
  CHECK(contract_errors("contracts:\n  - number: 1\n    end_date: 2027-02-30\n") ==
        lines{"F:3: contracts[0].end_date: expected a date YYYY-MM-DD, got '2027-02-30'"});
  CHECK(contract_errors("contracts:\n  - number: 1\n    end_date: 30/06/2027\n") ==
        lines{"F:3: contracts[0].end_date: expected a date YYYY-MM-DD, got '30/06/2027'"});
  CHECK(contract_errors("contracts:\n  - number: 1\n    end_date: 2028-02-29\n").empty());
  CHECK(contract_errors("contracts:\n  - number: ABC-1\n") ==
        lines{"F:2: contracts[0].number: expected a contract number (digits), got 'ABC-1'"});
  CHECK(contract_errors("contracts:\n  - company: Acme\n") ==
        lines{"F:2: contracts[0].number: required key is missing"});
  CHECK(contract_errors("contracts:\n  - number: 1\n  - number: '1'\n") ==
        lines{"F:3: contracts[1].number: duplicate contract number '1'"});
  CHECK(contract_errors("contracts:\n  - number: 1\n    ends: 2027-01-01\n") ==
        lines{"F:3: contracts[0].ends: unknown key (known: number, company, status, end_date, "
              "products)"});
  CHECK(contract_errors(R"(contracts:
  - number: 1
smart_accounts:
  - name: Acme
    virtual_accounts:
      - name: East
        contracts: [1, 2]
)") == lines{"F:7: smart_accounts[0].virtual_accounts[0].contracts[1]: contract '2' is not in "
             "contracts"});
  CHECK(contract_errors(R"(smart_accounts:
  - name: Acme
    virtual_accounts:
      - name: East
      - name: east
  - name: Acme
)") == lines{
           "F:5: smart_accounts[0].virtual_accounts[1].name: duplicate virtual account name 'east'",
           "F:6: smart_accounts[1].name: duplicate smart account name 'Acme'"});
}
