// Operator-editable reply templates: <templates_dir>/<name>.txt overrides the built-in text
// of that name. Loaded and checked with the config, so check-config names a bad placeholder.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace tacmail::config {

/// The templates there are, by file name without ".txt".
inline constexpr const char* template_names[] = {
    "case_opened",          // a complete request
    "missing_fields",       // opened, but fields are missing
    "phone_required",       // S1/S2 sent by mail: the phone numbers
    "entitlement_pending",  // contract to be verified
    "follow_up_received",   // a note was added (sent only with smtp.reply_on_follow_up)
};

/// The {{placeholders}} a template may use.
inline constexpr const char* template_placeholders[] = {
    "case_number",  "subject",       "contact_name",  "company",      "product",
    "queue",        "severity",      "status",        "response_due", "missing_fields",
    "missing_list", "phone_numbers", "details_block", "missing_block", "phone_block",
    "entitlement_block",
};

/// Template texts by name; a name not present uses the built-in text.
struct reply_templates {
  std::map<std::string, std::string> overrides;
};

}  // namespace tacmail::config
