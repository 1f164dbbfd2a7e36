// Fixtures shared by the routing tests: catalog entries and a complete request built by hand,
// so routing is tested without the parser.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "tacmail/config/catalog.hpp"
#include "tacmail/parser/message.hpp"

namespace routing_test {

inline tacmail::config::product make_product(std::string name, std::vector<std::string> aliases,
                                             std::string technology, std::string sub_technology,
                                             std::string queue) {
  tacmail::config::product p;
  p.name = std::move(name);
  p.aliases = std::move(aliases);
  p.technology = std::move(technology);
  p.sub_technology = std::move(sub_technology);
  p.queue = std::move(queue);
  return p;
}

/// A complete, well-formed S3 request for `product` from a corporate address.
inline tacmail::parser::parsed_message complete_request(
    const std::string& product = "Cisco BroadWorks") {
  tacmail::parser::parsed_message m;
  m.subject = product;
  m.from_address = "jane.doe@acme.example.com";
  m.message_id = "req-1@acme.example.com";
  m.company = "Acme Corp";
  m.contact_name = "Jane Doe";
  m.contact_phone = "+1 555 0100";
  m.cco_id = "jdoe";
  m.contact_email = "jane.doe@acme.example.com";
  m.contract = "91234567";
  m.product = product;
  m.severity = 3;
  m.description = "Calls drop after 30 seconds";
  m.location = "1 Main St, Springfield";
  m.alt_contact_name = "John Doe";
  m.alt_contact_phone = "+1 555 0101";
  return m;
}

inline bool has(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace routing_test
