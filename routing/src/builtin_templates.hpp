// The built-in reply texts; an operator's <templates_dir>/<name>.txt replaces one of them.
#pragma once

namespace tacmail::routing::builtin {

inline constexpr const char* case_opened = R"(Dear {{contact_name}},

Thank you for contacting the Technical Assistance Center. We have opened case {{case_number}}
for your request, and an engineer will contact you.

{{details_block}}
To add information to this case, reply to this message and keep [Case {{case_number}}] in the
subject.

Technical Assistance Center
)";

inline constexpr const char* missing_fields = R"(Dear {{contact_name}},

Thank you for contacting the Technical Assistance Center. We have opened case {{case_number}}
for your request.

{{details_block}}
{{missing_block}}{{entitlement_block}}To add information to this case, reply to this message and keep [Case {{case_number}}] in the
subject.

Technical Assistance Center
)";

inline constexpr const char* phone_required = R"(Dear {{contact_name}},

We have opened case {{case_number}} for your request.

{{phone_block}}{{details_block}}
{{missing_block}}{{entitlement_block}}To add information to this case, reply to this message and keep [Case {{case_number}}] in the
subject.

Technical Assistance Center
)";

inline constexpr const char* entitlement_pending = R"(Dear {{contact_name}},

Thank you for contacting the Technical Assistance Center. We have opened case {{case_number}}
for your request.

{{details_block}}
{{entitlement_block}}To add information to this case, reply to this message and keep [Case {{case_number}}] in the
subject.

Technical Assistance Center
)";

inline constexpr const char* follow_up_received = R"(Dear {{contact_name}},

We have added your message to case {{case_number}} (status: {{status}}).

{{missing_block}}To add more, reply to this message and keep [Case {{case_number}}] in the subject.

Technical Assistance Center
)";

}  // namespace tacmail::routing::builtin
