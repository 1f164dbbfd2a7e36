// What a mail is (bounce, auto-reply, list, follow-up, new case) from its headers, subject and
// text; and the case number a follow-up names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mime_reader.hpp"
#include "tacmail/parser/message.hpp"

namespace tacmail::parser::detail {

/// The 9-digit case number named by `[Case N]` in the subject, or "case N" / "case number N" /
/// "SR N" in the text.
std::optional<std::string> find_case_ref(std::string_view subject, std::string_view text);

/// Classifies by priority bounce > auto_reply > list > follow_up > new_case.
message_kind classify(const mime_part& root, std::string_view subject,
                      const std::optional<std::string>& from_address, bool has_case_ref);

}  // namespace tacmail::parser::detail
