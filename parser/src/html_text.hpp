// HTML -> plain text with gumbo: blocks become lines, table rows become `cell: cell` lines so a
// field table reads like `Label: value`; head, style and script are dropped.
#pragma once

#include <string>
#include <string_view>

namespace tacmail::parser::detail {

struct html_text_result {
  std::string text;
  bool truncated = false;  ///< the HTML was cut to keep gumbo's tree bounded
};

/// `html` must already be UTF-8.
html_text_result html_to_text(std::string_view html);

}  // namespace tacmail::parser::detail
