// winmail.dat (application/ms-tnef) unpacked with libytnef: the part is replaced in the tree by
// its body and its attached files, so body choice and attachment listing see them as MIME.
#pragma once

#include <string>
#include <vector>

#include "mime_reader.hpp"

namespace tacmail::parser::detail {

/// Is `part` a winmail.dat (by media type or file name)?
bool is_tnef(const mime_part& part);

/// Rewrites every TNEF part under `root` in place; returns a warning per part it could not read.
std::vector<std::string> unpack_tnef(mime_part& root);

}  // namespace tacmail::parser::detail
