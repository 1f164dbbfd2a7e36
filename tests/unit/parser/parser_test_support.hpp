// Shared by the parser tests: a small catalog built here (not the built-in one) and .eml loading.
#pragma once

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "tacmail/config/catalog.hpp"
#include "tacmail/parser/parser.hpp"

namespace doctest {
template <>
struct StringMaker<std::optional<std::string>> {
  static String convert(const std::optional<std::string>& v) {
    return v ? String(("\"" + *v + "\"").c_str()) : String("nullopt");
  }
};
template <>
struct StringMaker<std::optional<int>> {
  static String convert(const std::optional<int>& v) {
    return v ? String(std::to_string(*v).c_str()) : String("nullopt");
  }
};
}  // namespace doctest

namespace tacmail::parser::test {

inline config::product_catalog test_catalog() {
  config::product_catalog c;
  c.products = {
      {"Cisco BroadWorks",
       {"BroadWorks", "BWKS"},
       "Collaboration & Conferencing",
       "BroadWorks",
       "broadworks"},
      {"BroadCloud",
       {},
       "Cloud & Hybrid Products",
       "Webex Calling Carrier",
       "webex_calling_carrier"},
      {"BroadSoft PaaS", {}, "Cloud & Hybrid Products", "BroadSoft PaaS", "broadsoft_paas"},
      {"Contact Center (CC-One)",
       {"CC-One", "Contact Center"},
       "Cloud & Hybrid Products",
       "Webex Contact Center (formerly CJP)",
       "webex_contact_center"},
      {"HIPCOM", {}, "Cloud & Hybrid Products", "HIPCOM", "hipcom"},
      {"UC-One SaaS",
       {},
       "Cloud & Hybrid Products",
       "Webex for BroadWorks (UC-One SaaS)",
       "webex_for_broadworks"},
      {"Webex for BroadWorks",
       {},
       "Cloud & Hybrid Products",
       "Webex for BroadWorks (UC-One SaaS)",
       "webex_for_broadworks"},
      {"Cisco Webex Experience Management",
       {"CloudCherry", "Webex Experience Management"},
       "Cloud and Hybrid Products",
       "Webex Experience Management",
       "webex_experience_management"},
  };
  return c;
}

inline std::string read_eml(const std::string& name) {
  std::ifstream in(std::string(TACMAIL_TEST_DATA) + "/parser/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline parsed_message parse_file(const std::string& name, const parse_limits& limits = {}) {
  return parse_message(read_eml(name), test_catalog(), limits);
}

inline nlohmann::json optional_json(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// The parse JSON of CONTRACT.md, warnings included, as `tacmaild parse` prints it.
inline nlohmann::json to_json(const parsed_message& m) {
  nlohmann::json attachments = nlohmann::json::array();
  for (const attachment& a : m.attachments) {
    attachments.push_back(
        {{"name", a.name}, {"type", a.type}, {"size", a.size}, {"sha256", a.sha256}});
  }
  return {
      {"subject", m.subject},
      {"from_address", optional_json(m.from_address)},
      {"message_id", optional_json(m.message_id)},
      {"company", optional_json(m.company)},
      {"contact_name", optional_json(m.contact_name)},
      {"contact_phone", optional_json(m.contact_phone)},
      {"cco_id", optional_json(m.cco_id)},
      {"contact_email", optional_json(m.contact_email)},
      {"contract", optional_json(m.contract)},
      {"smart_account", optional_json(m.smart_account)},
      {"virtual_account", optional_json(m.virtual_account)},
      {"product", optional_json(m.product)},
      {"severity", m.severity ? nlohmann::json(*m.severity) : nlohmann::json(nullptr)},
      {"severity_inferred", m.severity_inferred},
      {"description", optional_json(m.description)},
      {"location", optional_json(m.location)},
      {"alt_contact_name", optional_json(m.alt_contact_name)},
      {"alt_contact_phone", optional_json(m.alt_contact_phone)},
      {"case_ref", optional_json(m.case_ref)},
      {"kind", to_string(m.kind)},
      {"missing", m.missing},
      {"attachments", attachments},
      {"warnings", m.warnings},
  };
}

inline bool has_warning(const parsed_message& m, const std::string& part) {
  for (const std::string& w : m.warnings) {
    if (w.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace tacmail::parser::test
