// Product names as customers write them -> the catalog's canonical name. Case, punctuation and
// spacing are ignored, reply/forward prefixes stripped, small typos tolerated.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tacmail/config/catalog.hpp"

namespace tacmail::parser::detail {

/// A catalog's names and aliases prepared for matching, used for the subject, the body's field
/// and the mentions alike.
class product_index {
 public:
  explicit product_index(const config::product_catalog& catalog);

  /// The index of `catalog`. Building one costs more than the rest of a short mail's parse, so
  /// each thread keeps the last one and reuses it while the catalog's names are unchanged.
  static const product_index& of(const config::product_catalog& catalog);

  struct candidate {
    std::string key;                 ///< alnum_key of the name
    std::vector<std::string> words;  ///< lower-case words of the name
    std::size_t product;             ///< index into the catalog's products
  };
  const std::vector<candidate>& all() const { return all_; }
  /// The canonical name `c` stands for.
  const std::string& canonical(const candidate& c) const {
    return catalog_->products[c.product].name;
  }

 private:
  bool built_from(const config::product_catalog& catalog) const;

  std::vector<candidate> all_;
  std::vector<std::vector<std::string>> names_;  ///< each product's name then aliases
  const config::product_catalog* catalog_;       ///< the catalog of the current parse
};

/// The subject without Re:/Fwd:/AW:/SV:/TR:/RV:/[Case N]/[External] prefixes.
std::string strip_subject_prefixes(std::string_view subject);

/// The canonical name `text` names: all of it, or a run of its words, or (typo) nearly all.
std::optional<std::string> match_product(std::string_view text, const product_index& index);

/// A catalog name or alias mentioned anywhere in free text (whole words only).
std::optional<std::string> product_mentioned(std::string_view text, const product_index& index);

}  // namespace tacmail::parser::detail
