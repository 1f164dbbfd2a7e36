// The service-responder rules of RFC 3834: never answer automatic mail, list robots or
// ourselves; answer each address at most N times an hour; with an authserv-id configured,
// do not answer mail whose DMARC check failed there (backscatter to a forged sender).
#include "tacmail/routing/reply_policy.hpp"

#include <utility>

#include "text.hpp"

namespace tacmail::routing {

namespace {

reply_verdict refuse(std::string flag, std::string reason) {
  return {false, std::move(flag), std::move(reason)};
}

// RFC 3834 §2: robots that must not be answered, known by their local part (`address` is
// lower-case).
bool robot_sender(const std::string& address) {
  const std::string local = address.substr(0, address.rfind('@'));
  return local == "mailer-daemon" || local == "postmaster" || local == "listserv" ||
         local == "majordomo" || local.starts_with("owner-") || local.ends_with("-request") ||
         local.starts_with("bounce") || local == "noreply" || local == "no-reply" ||
         local == "do-not-reply" || local == "donotreply";
}

// "mx.example.com; dmarc=fail (p=reject) header.from=x" from the trusted server only.
bool dmarc_failed(const std::vector<std::string>& results, const std::string& authserv_id) {
  const std::string trusted = lower(authserv_id);
  for (const auto& header : results) {
    const std::string text = lower(header);
    const auto semicolon = text.find(';');
    std::string id = text.substr(0, semicolon);
    while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.erase(0, 1);
    id = id.substr(0, id.find_first_of(" \t"));
    if (id != trusted) continue;
    if (text.find("dmarc=fail") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

reply_verdict may_answer(const parser::parsed_message& m, bool sender_valid,
                         std::size_t recent_replies, const reply_limits& limits) {
  const std::string sender = lower(m.from_address.value_or(""));
  if (!sender_valid) return refuse("no_reply", "sender address '" + sender + "' is not valid");
  if (!limits.own_address.empty() && sender == limits.own_address)
    return refuse("no_reply", "the mail comes from our own address");
  if (robot_sender(sender))
    return refuse("no_reply", "sender " + sender + " is a mail robot (RFC 3834)");
  if (!m.auto_response_suppress.empty()) {
    const std::string v = lower(m.auto_response_suppress);
    if (v.find("all") != std::string::npos || v.find("autoreply") != std::string::npos ||
        v.find("oof") != std::string::npos)
      return refuse("no_reply", "X-Auto-Response-Suppress: " + m.auto_response_suppress);
  }
  if (limits.authserv_id && dmarc_failed(m.authentication_results, *limits.authserv_id))
    return refuse("sender_unverified",
                  "dmarc=fail at " + *limits.authserv_id + ": the sender may be forged");
  if (limits.max_replies_per_hour > 0 &&
      recent_replies >= static_cast<std::size_t>(limits.max_replies_per_hour))
    return refuse("reply_suppressed", "rate limit: " + std::to_string(recent_replies) +
                                          " replies to " + sender + " in the last hour");
  return {};
}

}  // namespace tacmail::routing
