// What the customer is told when a case is opened: recipient, subject, threading and text.
// Pure content; daemon/smtp/ turns it into RFC 5322 bytes and sanitises every header.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/config/templates.hpp"
#include "tacmail/parser/message.hpp"
#include "tacmail/routing/decision.hpp"

namespace tacmail::routing {

struct reply_content {
  std::string to_address;               ///< the From address of the request (RFC 3834 §4)
  std::string subject;                  ///< UTF-8, not yet encoded
  std::vector<std::string> in_reply_to; ///< message ids without brackets
  std::vector<std::string> references;  ///< message ids without brackets
  std::string body;                     ///< UTF-8 text, LF line ends
};

/// The reply to a request that opened a case: the template for its situation (phone_required,
/// else missing_fields, else entitlement_pending, else case_opened), naming the case number,
/// queue, severity, response time and any missing fields with how to supply them.
reply_content compose_case_opened(const std::string& case_number,
                                  const parser::parsed_message& request, const decision& d,
                                  const config::routing_settings& policy,
                                  const config::reply_templates& templates = {});

/// The acknowledgement of a follow-up (sent only when the operator turns it on).
reply_content compose_follow_up_received(const std::string& case_number,
                                         const parser::parsed_message& request,
                                         const std::string& status,
                                         const std::vector<std::string>& still_missing,
                                         const config::reply_templates& templates = {});

/// Replaces each {{name}} by values[name]; unknown names are left as written.
std::string render_template(std::string_view text,
                            const std::map<std::string, std::string>& values);

/// "[Case NNNNNNNNN] <subject>", without stacking a tag the subject already carries.
std::string case_subject(const std::string& case_number, const std::string& subject);

}  // namespace tacmail::routing
