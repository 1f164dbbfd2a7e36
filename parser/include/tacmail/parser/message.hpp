// What the parser reads from one customer mail: the fields of DOMAIN.md plus what the daemon
// needs to thread and dedupe it. Plain values, filled by parse_message() (parser.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tacmail::parser {

/// What a mail is, which decides whether it may open a case or get an answer.
enum class message_kind { new_case, follow_up, auto_reply, bounce, list, unreadable };

/// "new_case", "follow_up", ... as in CONTRACT.md.
const char* to_string(message_kind kind);

struct attachment {
  std::string name;
  std::string type;  ///< lower-case media type, e.g. "application/pdf"
  std::uint64_t size = 0;  ///< decoded bytes
  std::string sha256;      ///< lower-case hex of the decoded bytes
};

/// The fields of a support request (DOMAIN.md), as read from a mail and as kept with a case.
/// Names match the JSON keys of CONTRACT.md.
struct request_fields {
  std::optional<std::string> company;
  std::optional<std::string> contact_name;
  std::optional<std::string> contact_phone;
  std::optional<std::string> cco_id;
  std::optional<std::string> contact_email;
  std::optional<std::string> contract;
  std::optional<std::string> smart_account;
  std::optional<std::string> virtual_account;
  std::optional<std::string> product;  ///< canonical catalog name
  std::optional<int> severity;         ///< 1-4
  bool severity_inferred = false;
  std::optional<std::string> description;
  std::optional<std::string> location;
  std::optional<std::string> alt_contact_name;
  std::optional<std::string> alt_contact_phone;
};

/// One parsed mail: the request's fields plus what the daemon needs to thread and dedupe it.
struct parsed_message : request_fields {
  // Headers, decoded to UTF-8.
  std::string subject;
  std::optional<std::string> from_address;  ///< addr-spec of From:, lower-cased domain
  std::optional<std::string> from_name;     ///< display name of From:
  std::optional<std::string> message_id;    ///< without angle brackets
  std::vector<std::string> in_reply_to;     ///< message ids, without angle brackets
  std::vector<std::string> references;      ///< message ids, without angle brackets
  std::optional<std::string> date;          ///< the Date: header as written
  /// X-Auto-Response-Suppress as written (Microsoft: All, AutoReply, OOF, ...); absent: empty.
  std::string auto_response_suppress;
  /// Each Authentication-Results header, unfolded (RFC 8601), for the DMARC backscatter guard.
  std::vector<std::string> authentication_results;

  std::optional<std::string> case_ref;  ///< 9-digit case number this mail names, if any
  message_kind kind = message_kind::new_case;
  std::vector<std::string> missing;  ///< JSON key names of required fields that are absent
  std::vector<attachment> attachments;
  std::vector<std::string> warnings;

  std::string body_text;  ///< the decoded text the fields were read from (UTF-8)
};

}  // namespace tacmail::parser
