// Small text helpers shared by the routing rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tacmail::routing {

bool iequals(std::string_view a, std::string_view b);
std::string lower(std::string_view s);
/// The domain of an address, lower-cased; empty when there is no '@'.
std::string domain_of(std::string_view address);
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace tacmail::routing
