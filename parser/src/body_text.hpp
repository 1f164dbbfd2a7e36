// Chooses the text a request is read from: the text/plain part, or the text of the HTML part
// when the plain one is missing or a stub; decoded to UTF-8. Also lists the attachments.
#pragma once

#include <string>
#include <vector>

#include "mime_reader.hpp"
#include "tacmail/parser/message.hpp"

namespace tacmail::parser::detail {

struct body_choice {
  std::string text;  ///< UTF-8, LF line ends, no trailing blanks
  std::vector<std::string> warnings;
  const mime_part* part = nullptr;  ///< the part the text was read from, if any
};

/// The body text of `part` (a whole message or an embedded message/rfc822).
body_choice select_body(const mime_part& part);

/// Every inline text part (plain or HTML, not a file) in document order, outside embedded
/// messages: where to look when the chosen body holds no fields (e.g. the body of a winmail.dat).
/// With `chosen`, a multipart/alternative holding it gives only the branch it is in.
std::vector<const mime_part*> text_parts(const mime_part& root, const mime_part* chosen);

/// Every part that carries a file (a filename, or Content-Disposition attachment).
std::vector<attachment> list_attachments(const mime_part& root);

/// Text of one leaf text part: charset converted, flowed text joined, HTML rendered.
body_choice part_text(const mime_part& part);

}  // namespace tacmail::parser::detail
