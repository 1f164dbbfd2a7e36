// The text of the "case opened" reply. Header safety is not this file's job: the message
// writer in daemon/smtp/ strips and encodes everything that reaches a header.
#include <algorithm>
#include <ctime>
#include <map>

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
  std::time_t seconds = clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
  return buffer;
}

}  // namespace

std::string case_subject(const std::string& case_number, const std::string& subject) {
  const std::string tag = "[Case " + case_number + "]";
  if (subject.find(tag) != std::string::npos) return subject;
  return subject.empty() ? tag : tag + " " + subject;
}

reply_content compose_case_opened(const std::string& case_number,
                                  const parser::parsed_message& request, const decision& d,
                                  const config::routing_settings& policy) {
  reply_content reply;
  reply.to_address = request.from_address.value_or("");
  reply.subject = case_subject(case_number, request.subject);
  if (request.message_id) {
    reply.in_reply_to.push_back(*request.message_id);
    reply.references = request.references;
    reply.references.push_back(*request.message_id);
  }

  std::string body;
  body += "Hello" + (request.contact_name ? " " + *request.contact_name : std::string()) + ",\n\n";
  body += "Thank you for contacting the Technical Assistance Center. We have opened case " +
          case_number + " for your request.\n\n";
  body += "  Case number:  " + case_number + "\n";
  body += "  Status:       " + d.status + "\n";
  body += "  Queue:        " + d.queue + "\n";
  body += "  Product:      " + request.product.value_or("(not recognised)") + "\n";
  body += "  Severity:     S" + std::to_string(request.severity.value_or(3)) +
          (request.severity_inferred || !request.severity ? " (assumed; tell us if it is different)"
                                                          : "") +
          "\n";
  body += "  Response due: " + utc_text(d.response_due) + "\n\n";
  const auto has_flag = [&](const char* flag) {
    return std::find(d.flags.begin(), d.flags.end(), flag) != d.flags.end();
  };
  if (has_flag("phone_required")) {
    body += "You reported a severity " + std::to_string(request.severity.value_or(3)) +
            " problem. Severity 1 and 2 cases must be opened by telephone so that an engineer\n"
            "can start work at once. Please call us now and quote case " + case_number + ":\n\n";
    for (const auto& number : policy.phone_numbers) body += "  " + number + "\n";
    body += "\n";
  }
  if (has_flag("entitlement_pending") || has_flag("public_email")) {
    body += "Before an engineer is assigned we need to verify your support entitlement. Please\n"
            "reply with your service contract number (or your Smart Account and Virtual Account)\n"
            "if you have not given it, and write from your company address where you can.\n\n";
  }
  if (!request.missing.empty()) {
    body += "We could not find the following information in your message:\n\n";
    for (const auto& field : request.missing) {
      auto it = field_labels().find(field);
      body += "  - " + (it == field_labels().end() ? field : it->second) + "\n";
    }
    body += "\nPlease reply to this message, keeping [Case " + case_number +
            "] in the subject, with the missing information so an engineer can start work.\n\n";
  }
  body += "To add information to this case, reply to this message and keep [Case " + case_number +
          "] in the subject.\n\n";
  body += "Technical Assistance Center\n";
  reply.body = std::move(body);
  return reply;
}

}  // namespace tacmail::routing
