// The routing rules for a new case: product -> queue; entitlement and public webmail ->
// entitlement queue; S1/S2 by mail -> urgent queue with phone_required; missing fields ->
// Customer Pending; severity -> response time on the business calendar.
#include <date/tz.h>

#include <algorithm>
#include <exception>
#include <string>

#include "entitlement.hpp"
#include "tacmail/routing/decision.hpp"
#include "tacmail/routing/response_time.hpp"
#include "text.hpp"

namespace tacmail::routing {

namespace {

// A contract ends on a date where the TAC works: today is the date in the calendar's zone.
std::string today_in(const config::business_calendar& calendar, clock::time_point now) {
  const auto t = std::chrono::floor<std::chrono::seconds>(now);
  try {
    return date::format("%F", date::locate_zone(calendar.time_zone)->to_local(t));
  } catch (const std::exception&) {
    // The config loader validated the zone; a tz database without it falls back to UTC.
    return date::format("%F", t);
  }
}

}  // namespace

const config::product* find_product(const config::product_catalog& catalog,
                                    const std::string& name) {
  auto it = std::find_if(catalog.products.begin(), catalog.products.end(),
                         [&](const config::product& p) { return p.name == name; });
  return it == catalog.products.end() ? nullptr : &*it;
}

bool is_public_domain(const config::routing_settings& policy, const std::string& domain) {
  return !domain.empty() && std::find(policy.public_email_domains.begin(),
                                      policy.public_email_domains.end(),
                                      domain) != policy.public_email_domains.end();
}

decision decide(const parser::parsed_message& request, const routing_rules& rules,
                clock::time_point now) {
  const auto& policy = rules.policy;
  decision d;
  const config::product* product =
      request.product ? find_product(rules.products, *request.product) : nullptr;
  if (product) {
    d.queue = product->queue;
    d.technology = product->technology;
    d.sub_technology = product->sub_technology;
    d.reasons.push_back("queue " + d.queue + ": product '" + product->name + "'");
  } else {
    d.queue = policy.triage_queue;
    d.reasons.push_back("queue " + d.queue + ": " +
                        (request.subject.empty()
                             ? std::string("no subject and no product named")
                             : "no catalog product matches subject '" + request.subject + "'"));
  }

  const std::string today = today_in(policy.calendar, now);
  const entitlement_result entitlement =
      check_entitlement(request, rules.contracts, product, today);
  d.entitled = entitlement.entitled;
  bool verify_entitlement = false;
  if (entitlement.entitled == false) {
    verify_entitlement = true;
    d.flags.push_back("entitlement_pending");
    d.reasons.push_back("entitlement pending: " + entitlement.reason);
  } else {
    d.reasons.push_back((entitlement.entitled ? "entitled: " : "") + entitlement.reason);
  }
  const std::string sender_domain = domain_of(request.from_address.value_or(""));
  if (is_public_domain(policy, sender_domain)) {
    verify_entitlement = true;
    d.flags.push_back("public_email");
    d.reasons.push_back("sender uses public webmail domain " + sender_domain +
                        ": entitlement to be verified");
  }
  if (verify_entitlement) {
    d.queue = policy.entitlement_queue;
    d.reasons.push_back("queue " + d.queue + ": entitlement must be verified first");
  }

  const int severity = request.severity.value_or(3);
  if (!request.severity_inferred && request.severity && severity <= 2) {
    d.flags.push_back("phone_required");
    d.queue = policy.urgent_queue;
    d.reasons.push_back("queue " + d.queue + ": S" + std::to_string(severity) +
                        " sent by mail; S1/S2 must be opened by phone, customer given the numbers");
  }

  if (!request.missing.empty()) {
    d.status = "Customer Pending";
    d.flags.push_back("missing_fields");
    d.reasons.push_back("status Customer Pending: missing " + join(request.missing, ", "));
  } else if (verify_entitlement) {
    d.status = "Entitlement Pending";
    d.reasons.push_back("status Entitlement Pending");
  } else {
    d.status = "New";
  }

  d.response_due = response_due(severity, now, policy.calendar);
  const char* how = request.severity ? (request.severity_inferred ? " (inferred)" : " (stated)")
                                     : " (assumed: none stated)";
  d.reasons.push_back("severity S" + std::to_string(severity) + how +
                      (severity <= 2 ? ", response due in " +
                                           std::string(severity == 1 ? "15" : "30") + " minutes"
                                     : ", response due in " +
                                           std::string(severity == 3 ? "1 business day"
                                                                     : "3 business days")));
  return d;
}

}  // namespace tacmail::routing
