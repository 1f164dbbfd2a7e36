// Follow-up rules: who may write into a case, reopening closed cases, and which missing
// fields a reply supplies.
#include <algorithm>

#include "entitlement.hpp"
#include "tacmail/routing/decision.hpp"
#include "tacmail/routing/fields.hpp"
#include "text.hpp"

namespace tacmail::routing {

bool is_closed(const std::string& status) {
  return status == "Closed" || status == "Closed without Confirmation" ||
         status == "Customer Requested Closure";
}

follow_up_decision decide_follow_up(const parser::parsed_message& request, const case_view& c,
                                    const routing_rules& rules, clock::time_point now) {
  follow_up_decision d;
  const std::string sender = lower(request.from_address.value_or(""));
  const std::string domain = domain_of(sender);
  const bool contact = !sender.empty() && (sender == lower(c.sender) ||
                                           (c.contact_email && sender == lower(*c.contact_email)));
  // A shared public webmail domain proves nothing about who is writing.
  const bool same_company = !domain.empty() && domain == domain_of(c.sender) &&
                            !is_public_domain(rules.policy, domain);
  if (!contact && !same_company) {
    d.what = follow_up_decision::kind::new_case;
    d.flag = "unverified_follow_up";
    d.reasons.push_back("sender " + sender + " is not a contact of case " + c.case_number +
                        " nor from its company's domain: new case referring to it");
    return d;
  }
  d.reasons.push_back("follow-up on case " + c.case_number + " from " +
                      (contact ? "its contact " : "its company's domain: ") + sender);

  if (is_closed(c.status)) {
    if (now - c.last_change > rules.policy.reopen_window) {
      d.what = follow_up_decision::kind::new_case;
      d.flag = "closed_case_follow_up";
      d.reasons.push_back("case " + c.case_number + " was closed longer than the reopen window: " +
                          "new case referring to it");
      return d;
    }
    d.reasons.push_back("case " + c.case_number + " reopened: closed within the reopen window");
  }

  for (const auto& field : c.missing)
    (field_value(request, field) ? d.filled : d.still_missing).push_back(field);
  if (!d.filled.empty())
    d.reasons.push_back("supplies missing " + join(d.filled, ", "));
  d.status = "Customer Updated";
  return d;
}

}  // namespace tacmail::routing
