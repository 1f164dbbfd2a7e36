// libFuzzer target for parser::parse_message: any bytes must come back as a parsed_message
// (never a crash, hang, leak or exception) whose text is valid UTF-8. The first byte picks the
// limits: defaults, or limits tight enough that every limit path (size, depth, parts, header
// line) is reached by small inputs; it also adds operator label synonyms, one of them unknown.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tacmail/config/catalog.hpp"
#include "tacmail/parser/parser.hpp"

namespace {

using tacmail::parser::parse_options;
using tacmail::parser::parsed_message;

parse_options options_from(std::uint8_t b, std::size_t size) {
  parse_options o;
  if (b & 0x01) {
    o.limits.max_mime_depth = 1 + ((b >> 1) & 0x03);          // 1..4
    o.limits.max_parts = 1 + 2 * ((b >> 3) & 0x03);           // 1, 3, 5, 7
    o.limits.max_header_line = std::size_t{32} << ((b >> 5) & 0x03);  // 32..256
    if (b & 0x80) o.limits.max_message_bytes = size / 2;
  }
  if (b & 0x02) {
    o.labels = {{"contract", "Vertragsnummer"}, {"impact", "Auswirkung"},
                {"company", "Firma"}, {"no_such_field", "Whatever"}};
  }
  return o;
}

void check_text(const std::string& s) {
  // `tacmaild parse` prints these as JSON: dump() throws (and so fails the run) on bad UTF-8.
  (void)nlohmann::json(s).dump();
}

void check(const parsed_message& m) {
  nlohmann::json j = {m.subject, m.from_address.value_or(""), m.from_name.value_or(""),
                      m.message_id.value_or(""), m.date.value_or(""),
                      m.auto_response_suppress, m.authentication_results,
                      m.company.value_or(""), m.contact_name.value_or(""),
                      m.contact_phone.value_or(""), m.cco_id.value_or(""),
                      m.contact_email.value_or(""), m.contract.value_or(""),
                      m.smart_account.value_or(""), m.virtual_account.value_or(""),
                      m.product.value_or(""), m.description.value_or(""),
                      m.location.value_or(""), m.alt_contact_name.value_or(""),
                      m.alt_contact_phone.value_or(""), m.case_ref.value_or(""), m.in_reply_to,
                      m.references, m.missing, m.warnings, m.body_text,
                      tacmail::parser::to_string(m.kind)};
  for (const auto& a : m.attachments) j.push_back({a.name, a.type, a.sha256, a.size});
  check_text(j.dump());
  if (m.severity && (*m.severity < 1 || *m.severity > 4)) __builtin_trap();
  if (m.case_ref && m.case_ref->size() != 9) __builtin_trap();
  for (const auto& a : m.attachments) {
    if (a.sha256.size() != 64) __builtin_trap();
  }
  if (m.body_text.find('\r') != std::string::npos) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tacmail::config::product_catalog catalog = tacmail::config::builtin_product_catalog();
  if (size == 0) return 0;
  const std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  check(tacmail::parser::parse_message(raw, catalog, options_from(data[0], raw.size())));
  return 0;
}
