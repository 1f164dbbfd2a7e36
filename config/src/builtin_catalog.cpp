// The built-in product catalog: DOMAIN.md's routing table, used when no products_file is set.
// config/examples/products.yaml carries the same content for operators to start from.
#include "tacmail/config/catalog.hpp"

namespace tacmail::config {

product_catalog builtin_product_catalog() {
  const std::string collaboration = "Collaboration & Conferencing";
  const std::string cloud = "Cloud & Hybrid Products";
  return product_catalog{{
      {"Cisco BroadWorks", {"BroadWorks", "BWKS"}, collaboration, "BroadWorks", "broadworks"},
      {"BroadCloud",
       {"Webex Calling Carrier", "BroadCloud Carrier"},
       cloud,
       "Webex Calling Carrier",
       "webex-calling-carrier"},
      {"BroadSoft PaaS",
       {"BroadSoft Platform as a Service"},
       cloud,
       "BroadSoft PaaS",
       "broadsoft-paas"},
      {"Contact Center (CC-One)",
       {"CC-One", "CC One", "Webex Contact Center", "Cisco Webex Contact Center", "CJP"},
       cloud,
       "Webex Contact Center (formerly CJP)",
       "webex-contact-center"},
      {"HIPCOM", {}, cloud, "HIPCOM", "hipcom"},
      {"UC-One Collaborate",
       {"UC One Collaborate", "UCOne Collaborate"},
       collaboration,
       "BroadWorks",
       "broadworks"},
      {"UC-One SaaS",
       {"UC One SaaS", "UCOne SaaS"},
       cloud,
       "Webex for BroadWorks (UC-One SaaS)",
       "webex-for-broadworks"},
      {"Webex for BroadWorks",
       {"Cisco Webex for BroadWorks", "Webex4BroadWorks"},
       cloud,
       "Webex for BroadWorks (UC-One SaaS)",
       "webex-for-broadworks"},
      {"BroadSoft ProServices",
       {"BroadSoft Professional Services", "BroadWorks Professional Services",
        "Digital CX BroadWorks Professional Services"},
       collaboration,
       "Digital CX BroadWorks Professional Services",
       "broadworks-pro-services"},
      // DOMAIN.md writes this row's technology "Cloud and Hybrid Products"; kept as written.
      {"Cisco Webex Experience Management",
       {"Cisco Webex Experience Management (formerly CloudCherry)", "Webex Experience Management",
        "CloudCherry", "WXM"},
       "Cloud and Hybrid Products",
       "Webex Experience Management",
       "webex-experience-management"},
      {"Webex Calling Dedicated Instance",
       {"Dedicated Instance", "Cisco Webex Calling Dedicated Instance", "Webex Calling DI"},
       cloud,
       "Dedicated Instance",
       "dedicated-instance"},
  }};
}

}  // namespace tacmail::config
