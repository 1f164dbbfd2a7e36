// The text of replies: picks the template for the case's situation and fills its placeholders.
// Header safety is not this file's job: the message writer in daemon/smtp/ strips and encodes
// everything that reaches a header.
#include <date/date.h>

#include <algorithm>
#include <map>

#include "builtin_templates.hpp"
#include "tacmail/routing/reply.hpp"

namespace tacmail::routing {

namespace {

// The words a customer reads for each JSON key of `missing`.
const std::map<std::string, std::string>& field_labels() {
  static const std::map<std::string, std::string> labels = {
      {"company", "Company name"},
      {"contact_name", "Contact name"},
      {"contact_phone", "Contact phone number"},
      {"cco_id", "Cisco.com User ID"},
      {"contact_email", "Contact email address"},
      {"contract", "Contract number (or Smart Account and Virtual Account)"},
      {"product", "Product type"},
      {"severity", "Business effect (severity 1-4)"},
      {"description", "Brief problem description"},
      {"location", "Equipment location"},
      {"alt_contact_name", "Alternate contact name"},
      {"alt_contact_phone", "Alternate contact phone number"},
  };
  return labels;
}

std::string utc_text(clock::time_point t) {
  return date::format("%F %R UTC", std::chrono::floor<std::chrono::minutes>(t));
}

std::string label_of(const std::string& field) {
  auto it = field_labels().find(field);
  return it == field_labels().end() ? field : it->second;
}

std::string missing_list(const std::vector<std::string>& missing) {
  std::string out;
  for (const auto& field : missing) out += "  - " + label_of(field) + "\n";
  return out;
}

std::string missing_block(const std::string& case_number, const std::vector<std::string>& missing) {
  if (missing.empty()) return {};
  return "We could not find the following information in your message:\n\n" +
         missing_list(missing) + "\nPlease reply to this message, keeping [Case " + case_number +
         "] in the subject, with the missing information so an engineer can start work.\n\n";
}

std::string_view pick(const config::reply_templates& templates, const std::string& name,
                      std::string_view builtin) {
  auto it = templates.overrides.find(name);
  return it != templates.overrides.end() ? std::string_view(it->second) : builtin;
}

bool has_flag(const decision& d, const char* flag) {
  return std::find(d.flags.begin(), d.flags.end(), flag) != d.flags.end();
}

// To the sender (RFC 3834 §4: From, not Reply-To), threaded to the mail it answers.
reply_content threaded_reply(const std::string& case_number, const parser::parsed_message& request) {
  reply_content reply;
  reply.to_address = request.from_address.value_or("");
  reply.subject = case_subject(case_number, request.subject);
  if (request.message_id) {
    reply.in_reply_to.push_back(*request.message_id);
    reply.references = request.references;
    reply.references.push_back(*request.message_id);
  }
  return reply;
}

}  // namespace

std::string render_template(std::string_view text,
                            const std::map<std::string, std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "{{") == 0) {
      const auto close = text.find("}}", i + 2);
      if (close != std::string_view::npos) {
        auto it = values.find(std::string(text.substr(i + 2, close - i - 2)));
        if (it != values.end()) {
          out += it->second;
          i = close + 2;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

std::string case_subject(const std::string& case_number, const std::string& subject) {
  const std::string tag = "[Case " + case_number + "]";
  if (subject.find(tag) != std::string::npos) return subject;
  return subject.empty() ? tag : tag + " " + subject;
}

reply_content compose_case_opened(const std::string& case_number,
                                  const parser::parsed_message& request, const decision& d,
                                  const config::routing_settings& policy,
                                  const config::reply_templates& templates) {
  reply_content reply = threaded_reply(case_number, request);

  const int severity = request.severity.value_or(3);
  const std::string severity_text =
      "S" + std::to_string(severity) +
      (request.severity_inferred || !request.severity ? " (assumed; tell us if it is different)"
                                                      : "");
  std::map<std::string, std::string> v;
  v["case_number"] = case_number;
  v["subject"] = request.subject;
  v["contact_name"] = request.contact_name.value_or("customer");
  v["company"] = request.company.value_or("");
  v["product"] = request.product.value_or("(not recognised)");
  v["queue"] = d.queue;
  v["severity"] = severity_text;
  v["status"] = d.status;
  v["response_due"] = utc_text(d.response_due);
  std::string fields;
  for (const auto& f : request.missing) fields += (fields.empty() ? "" : ", ") + label_of(f);
  v["missing_fields"] = fields;
  v["missing_list"] = missing_list(request.missing);
  std::string phones;
  for (const auto& number : policy.phone_numbers) phones += "  " + number + "\n";
  v["phone_numbers"] = phones;
  v["details_block"] = "  Case number:  " + case_number + "\n  Status:       " + d.status +
                       "\n  Queue:        " + d.queue + "\n  Product:      " + v["product"] +
                       "\n  Severity:     " + severity_text + "\n  Response due: " +
                       v["response_due"] + "\n";
  v["missing_block"] = missing_block(case_number, request.missing);
  v["phone_block"] =
      has_flag(d, "phone_required")
          ? "You reported a severity " + std::to_string(severity) +
                " problem. Severity 1 and 2 cases must be opened by telephone so that an "
                "engineer\ncan start work at once. Please call us now and quote case " +
                case_number + ":\n\n" + phones + "\n"
          : std::string();
  v["entitlement_block"] =
      has_flag(d, "entitlement_pending") || has_flag(d, "public_email")
          ? "Before an engineer is assigned we need to verify your support entitlement. Please\n"
            "reply with your service contract number (or your Smart Account and Virtual "
            "Account)\nif you have not given it, and write from your company address where you "
            "can.\n\n"
          : std::string();

  std::string_view text;
  if (has_flag(d, "phone_required"))
    text = pick(templates, "phone_required", builtin::phone_required);
  else if (!request.missing.empty())
    text = pick(templates, "missing_fields", builtin::missing_fields);
  else if (!v["entitlement_block"].empty())
    text = pick(templates, "entitlement_pending", builtin::entitlement_pending);
  else
    text = pick(templates, "case_opened", builtin::case_opened);
  reply.body = render_template(text, v);
  return reply;
}

reply_content compose_follow_up_received(const std::string& case_number,
                                         const parser::parsed_message& request,
                                         const std::string& status,
                                         const std::vector<std::string>& still_missing,
                                         const config::reply_templates& templates) {
  reply_content reply = threaded_reply(case_number, request);
  std::map<std::string, std::string> v;
  v["case_number"] = case_number;
  v["subject"] = request.subject;
  v["contact_name"] = request.contact_name.value_or("customer");
  v["status"] = status;
  v["missing_list"] = missing_list(still_missing);
  v["missing_block"] = missing_block(case_number, still_missing);
  reply.body =
      render_template(pick(templates, "follow_up_received", builtin::follow_up_received), v);
  return reply;
}

}  // namespace tacmail::routing
