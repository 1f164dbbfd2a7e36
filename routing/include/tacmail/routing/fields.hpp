// The request fields by their JSON key names (CONTRACT.md), for merging a follow-up's answers
// into its case.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tacmail/parser/message.hpp"

namespace tacmail::routing {

/// The value of field `key` ("company", "contract", ...) in `m`; "contract" is also satisfied
/// by a Smart Account + Virtual Account pair (returned as "SA / VA").
std::optional<std::string> field_value(const parser::parsed_message& m, std::string_view key);

}  // namespace tacmail::routing
