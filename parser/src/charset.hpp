// Text in any charset a customer uses -> UTF-8 (iconv), with detection (uchardet) for text that
// is unlabeled or mislabeled. Bytes that cannot be converted become U+FFFD, never vanish.
#pragma once

#include <string>
#include <string_view>

namespace tacmail::parser::detail {

struct utf8_text {
  std::string text;
  std::string charset_used;  ///< what the bytes were read as, e.g. "WINDOWS-1252"
  bool replaced = false;     ///< some bytes were invalid and became U+FFFD
  bool detected = false;     ///< the label was missing or wrong and uchardet chose
};

/// Converts `bytes` labelled `declared` (may be empty) to UTF-8.
utf8_text to_utf8(std::string_view bytes, std::string_view declared);

/// to_utf8 without copying bytes that need no conversion: `text` views `bytes` then, else
/// `storage`, which receives the converted text.
struct utf8_view {
  std::string_view text;
  std::string charset_used;
  bool replaced = false;
  bool detected = false;
};
utf8_view to_utf8_view(std::string_view bytes, std::string_view declared, std::string& storage);

/// `bytes` as valid UTF-8: as they are when they already are, else read as unlabeled text.
/// For bytes that ought to be text but carry no charset (ids, dates, addresses, names).
std::string valid_utf8(std::string bytes);

bool is_valid_utf8(std::string_view s);
bool is_ascii(std::string_view s);

}  // namespace tacmail::parser::detail
