// The part of a body that is the customer's own request: quoted replies, signatures and
// disclaimers cut off; an inline-forwarded mail split from the note that forwards it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tacmail::parser::detail {

/// `text` up to the first quote header ("On ... wrote:", "-----Original Message-----",
/// Outlook's "From: / Sent:" block), signature separator or disclaimer; `>` lines dropped.
std::string strip_reply(std::string_view text);

struct inline_forward {
  std::string note;                 ///< what the forwarder wrote above the marker
  std::string forwarded;            ///< the forwarded mail's body
  std::optional<std::string> from;  ///< its From: line, as written
  std::optional<std::string> subject;
};

/// Splits at "---------- Forwarded message ---------", "Begin forwarded message:" or
/// "-----Original Message-----"; none when there is no such marker.
std::optional<inline_forward> split_forward(std::string_view text);

}  // namespace tacmail::parser::detail
