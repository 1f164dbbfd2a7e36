// Whether tacmaild may answer a mail at all (RFC 3834 service responder rules, rate limit,
// DMARC backscatter guard). Pure: the caller supplies the counts.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "tacmail/parser/message.hpp"

namespace tacmail::routing {

struct reply_verdict {
  bool answer = true;
  std::string flag;    ///< when not answering: no_reply, reply_suppressed or sender_unverified
  std::string reason;  ///< plain words for the log and the case
};

struct reply_limits {
  std::string own_address;                ///< our From address, lower-case
  int max_replies_per_hour = 10;          ///< per recipient; 0: unlimited
  std::optional<std::string> authserv_id; ///< trust Authentication-Results only from this MTA
};

/// `sender_valid`: the From address is a usable addr-spec; `recent_replies`: replies queued to
/// that address in the last hour.
reply_verdict may_answer(const parser::parsed_message& m, bool sender_valid,
                         std::size_t recent_replies, const reply_limits& limits);

}  // namespace tacmail::routing
