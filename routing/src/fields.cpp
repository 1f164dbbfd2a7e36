// Field access by JSON key name.
#include "tacmail/routing/fields.hpp"

namespace tacmail::routing {

std::optional<std::string> field_value(const parser::parsed_message& m, std::string_view key) {
  if (key == "company") return m.company;
  if (key == "contact_name") return m.contact_name;
  if (key == "contact_phone") return m.contact_phone;
  if (key == "cco_id") return m.cco_id;
  if (key == "contact_email") return m.contact_email;
  if (key == "contract") {
    if (m.contract) return m.contract;
    if (m.smart_account && m.virtual_account) return *m.smart_account + " / " + *m.virtual_account;
    return std::nullopt;
  }
  if (key == "smart_account") return m.smart_account;
  if (key == "virtual_account") return m.virtual_account;
  if (key == "product") return m.product;
  if (key == "severity") return m.severity ? std::optional(std::to_string(*m.severity)) : std::nullopt;
  if (key == "description") return m.description;
  if (key == "location") return m.location;
  if (key == "alt_contact_name") return m.alt_contact_name;
  if (key == "alt_contact_phone") return m.alt_contact_phone;
  return std::nullopt;
}

}  // namespace tacmail::routing
