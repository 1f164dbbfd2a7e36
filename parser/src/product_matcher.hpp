// Product names as customers write them -> the catalog's canonical name. Case, punctuation and
// spacing are ignored, reply/forward prefixes stripped, small typos tolerated.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tacmail/config/catalog.hpp"

namespace tacmail::parser::detail {

/// The subject without Re:/Fwd:/AW:/SV:/TR:/RV:/[Case N]/[External] prefixes.
std::string strip_subject_prefixes(std::string_view subject);

/// The canonical name `text` names: all of it, or a run of its words, or (typo) nearly all.
std::optional<std::string> match_product(std::string_view text,
                                         const config::product_catalog& catalog);

/// A catalog name or alias mentioned anywhere in free text (whole words only).
std::optional<std::string> product_mentioned(std::string_view text,
                                             const config::product_catalog& catalog);

}  // namespace tacmail::parser::detail
