// The routing rules: product -> queue, missing fields -> status, severity -> response time.
// Pure: the same request, rules and clock always give the same decision.
#include <algorithm>
#include <string>

#include "tacmail/routing/decision.hpp"

namespace tacmail::routing {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Calendar time for every severity until the business calendar (issue 4) lands.
clock::duration response_time(std::optional<int> severity) {
  using namespace std::chrono;
  switch (severity.value_or(3)) {
    case 1: return minutes(15);
    case 2: return minutes(30);
    case 4: return hours(72);
    default: return hours(24);
  }
}

}  // namespace

const config::product* find_product(const config::product_catalog& catalog,
                                    const std::string& name) {
  auto it = std::find_if(catalog.products.begin(), catalog.products.end(),
                         [&](const config::product& p) { return p.name == name; });
  return it == catalog.products.end() ? nullptr : &*it;
}

decision decide(const parser::parsed_message& request, const routing_rules& rules,
                clock::time_point now) {
  decision d;
  const config::product* product =
      request.product ? find_product(rules.products, *request.product) : nullptr;
  if (product) {
    d.queue = product->queue;
    d.technology = product->technology;
    d.sub_technology = product->sub_technology;
    d.reasons.push_back("queue " + d.queue + ": product '" + product->name + "'");
  } else {
    d.queue = rules.triage_queue;
    d.reasons.push_back("queue " + d.queue + ": " +
                        (request.subject.empty()
                             ? std::string("no subject")
                             : "no catalog product matches subject '" + request.subject + "'"));
  }

  if (request.missing.empty()) {
    d.status = "New";
  } else {
    d.status = "Customer Pending";
    d.flags.push_back("missing_fields");
    d.reasons.push_back("status Customer Pending: missing " + join(request.missing, ", "));
  }

  const int severity = request.severity.value_or(3);
  d.response_due = now + response_time(request.severity);
  d.reasons.push_back("severity " + std::to_string(severity) +
                      (request.severity_inferred ? " (inferred)" : " (stated)"));
  return d;
}

}  // namespace tacmail::routing
