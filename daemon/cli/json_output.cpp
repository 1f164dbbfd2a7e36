// JSON rendering of parse results and cases. Absent values are null, never missing keys.
#include "cli/json_output.hpp"

#include <nlohmann/json.hpp>

#include "tacmail/routing/time_format.hpp"

namespace tacmail::daemon::cli {

using nlohmann::json;

namespace {

json optional_json(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json case_object(const store::case_record& c) {
  return {
      {"case_number", c.case_number},
      {"status", c.status},
      {"queue", c.queue},
      {"technology", c.technology},
      {"sub_technology", c.sub_technology},
      {"severity", c.severity ? json(*c.severity) : json(nullptr)},
      {"severity_inferred", c.severity_inferred},
      {"product", optional_json(c.product)},
      {"company", optional_json(c.company)},
      {"contact_name", optional_json(c.contact_name)},
      {"contact_phone", optional_json(c.contact_phone)},
      {"cco_id", optional_json(c.cco_id)},
      {"contact_email", optional_json(c.contact_email)},
      {"contract", optional_json(c.contract)},
      {"smart_account", optional_json(c.smart_account)},
      {"virtual_account", optional_json(c.virtual_account)},
      {"description", optional_json(c.description)},
      {"location", optional_json(c.location)},
      {"alt_contact_name", optional_json(c.alt_contact_name)},
      {"alt_contact_phone", optional_json(c.alt_contact_phone)},
      {"sender", c.sender},
      {"subject", c.subject},
      {"created", c.created},
      {"response_due", c.response_due},
      {"entitled", c.entitled ? json(*c.entitled) : json(nullptr)},
      {"flags", c.flags},
      {"missing", c.missing},
      {"reasons", c.reasons},
      {"message_ids", c.message_ids},
      {"updated", c.updated},
      {"related_case", optional_json(c.related_case)},
  };
}

}  // namespace

std::string parse_json(const parser::parsed_message& m, const routing::decision* d) {
  json attachments = json::array();
  for (const auto& a : m.attachments)
    attachments.push_back({{"name", a.name}, {"type", a.type}, {"size", a.size}, {"sha256", a.sha256}});
  json out = {
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
      {"severity", m.severity ? json(*m.severity) : json(nullptr)},
      {"severity_inferred", m.severity_inferred},
      {"description", optional_json(m.description)},
      {"location", optional_json(m.location)},
      {"alt_contact_name", optional_json(m.alt_contact_name)},
      {"alt_contact_phone", optional_json(m.alt_contact_phone)},
      {"case_ref", optional_json(m.case_ref)},
      {"kind", parser::to_string(m.kind)},
      {"missing", m.missing},
      {"attachments", attachments},
      {"warnings", m.warnings},
  };
  if (d) {
    out["decision"] = {
        {"queue", d->queue},
        {"technology", d->technology},
        {"sub_technology", d->sub_technology},
        {"status", d->status},
        {"entitled", d->entitled ? json(*d->entitled) : json(nullptr)},
        {"flags", d->flags},
        {"response_due", routing::to_rfc3339(d->response_due)},
        {"reasons", d->reasons},
    };
  }
  // Mail is not always valid UTF-8: replace rather than throw.
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string case_json(const store::case_record& c) {
  return case_object(c).dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

json outbox_object(const store::outbox_entry& r) {
  return {{"case_number", r.case_number}, {"message_id", r.message_id},
          {"recipient", r.recipient},     {"status", r.status},
          {"attempts", r.attempts},       {"created", r.created},
          {"next_attempt", r.next_attempt}, {"last_error", r.last_error},
          {"sent_at", r.sent_at}};
}

}  // namespace

std::string outbox_json(const store::outbox_entry& e) {
  return outbox_object(e).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string quarantine_json(const store::quarantine_entry& q) {
  return json{{"mailbox", q.mailbox},   {"uidvalidity", q.uidvalidity},
              {"uid", q.uid},           {"message_id", optional_json(q.message_id)},
              {"reason", q.reason},     {"created", q.created}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string status_json(const std::vector<store::mailbox_status>& boxes,
                        const std::string& fresh_after, std::size_t outbox_pending,
                        std::size_t cases_today, std::size_t quarantined) {
  json mailboxes = json::array();
  for (const auto& b : boxes)
    mailboxes.push_back({{"mailbox", b.mailbox},
                         {"connected", b.connected},
                         {"stale", b.updated < fresh_after},
                         {"last_fetch", b.last_fetch.empty() ? json(nullptr) : json(b.last_fetch)},
                         {"last_error", b.last_error.empty() ? json(nullptr) : json(b.last_error)},
                         {"backlog", b.backlog},
                         {"updated", b.updated}});
  return json{{"mailboxes", mailboxes},
              {"outbox_pending", outbox_pending},
              {"cases_today", cases_today},
              {"quarantined", quarantined}}
      .dump(2, ' ', false, json::error_handler_t::replace);
}

std::string case_details_json(const store::case_details& d) {
  json out = case_object(d.record);
  json messages = json::array();
  for (const auto& m : d.messages)
    messages.push_back({{"message_id", optional_json(m.message_id)},
                        {"mailbox", m.mailbox},
                        {"uidvalidity", m.uidvalidity},
                        {"uid", m.uid},
                        {"sender", m.sender},
                        {"subject", m.subject},
                        {"received", m.received},
                        {"role", m.role},
                        {"note", m.note}});
  json replies = json::array();
  for (const auto& r : d.replies) replies.push_back(outbox_object(r));
  out["messages"] = messages;
  out["replies"] = replies;
  return out.dump(2, ' ', false, json::error_handler_t::replace);
}

}  // namespace tacmail::daemon::cli
