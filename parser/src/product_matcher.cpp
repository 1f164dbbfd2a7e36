// Product matching: exact key, then whole-word containment, then edit distance.
#include "product_matcher.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c) || static_cast<unsigned char>(c) >= 0x80;
}

// Lower-case alphanumeric words: "Cisco Web-Ex (BroadWorks)" -> cisco, web, ex, broadworks.
// They are views into `lowered`, which the caller keeps.
std::vector<std::string_view> words(std::string_view s, std::string& lowered) {
  lowered = to_lower(s);
  std::vector<std::string_view> out;
  const std::string_view text = lowered;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_word_char(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && is_word_char(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

// Levenshtein distance of `a` and `b`, or bound + 1 once it is sure to exceed `bound`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t bound) {
  // Two rows of b.size() + 1 cells: on the stack for names of common length.
  constexpr std::size_t stack_cells = 64;
  std::array<std::size_t, 2 * stack_cells> stack_rows;
  std::vector<std::size_t> heap_rows;
  std::size_t* rows = stack_rows.data();
  if (b.size() + 1 > stack_cells) {
    heap_rows.resize(2 * (b.size() + 1));
    rows = heap_rows.data();
  }
  std::size_t* prev = rows;
  std::size_t* cur = rows + b.size() + 1;
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      row_min = std::min(row_min, cur[j]);
    }
    // Distances never shrink from one row to the next.
    if (row_min > bound) return bound + 1;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

using candidate = product_index::candidate;

}  // namespace

// Names and aliases of every product, with their canonical name.
product_index::product_index(const config::product_catalog& catalog) : catalog_(&catalog) {
  std::vector<candidate>& out = all_;
  for (std::size_t i = 0; i < catalog.products.size(); ++i) {
    const config::product& p = catalog.products[i];
    auto add = [&](std::string_view name) {
      std::string key = alnum_key(name);
      if (key.empty()) return;
      std::string lowered;
      const std::vector<std::string_view> views = words(name, lowered);
      out.push_back({std::move(key), std::vector<std::string>(views.begin(), views.end()), i});
    };
    add(p.name);
    // "Cisco Webex Experience Management (formerly CloudCherry)": the name before the remark.
    if (std::size_t open = p.name.find('('); open != std::string::npos) {
      add(trim(std::string_view(p.name).substr(0, open)));
    }
    for (const std::string& alias : p.aliases) add(alias);
    names_.push_back({p.name});
    names_.back().insert(names_.back().end(), p.aliases.begin(), p.aliases.end());
  }
}

bool product_index::built_from(const config::product_catalog& catalog) const {
  if (names_.size() != catalog.products.size()) return false;
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const config::product& p = catalog.products[i];
    const std::vector<std::string>& names = names_[i];
    if (names.size() != p.aliases.size() + 1 || names[0] != p.name ||
        !std::equal(p.aliases.begin(), p.aliases.end(), names.begin() + 1)) {
      return false;
    }
  }
  return true;
}

const product_index& product_index::of(const config::product_catalog& catalog) {
  thread_local std::optional<product_index> cached;
  if (!cached || !cached->built_from(catalog)) cached.emplace(catalog);
  // Equal names, maybe another catalog object (a reload): answer with this one's.
  cached->catalog_ = &catalog;
  return *cached;
}

namespace {

// Does `hay` contain `needle` as consecutive whole words?
bool contains_words(const std::vector<std::string_view>& hay,
                    const std::vector<std::string>& needle) {
  if (needle.empty() || needle.size() > hay.size()) return false;
  const std::string& first = needle.front();
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    // Most words differ from the name's first one in length or first letter.
    if (hay[i].size() != first.size() || hay[i].front() != first.front()) continue;
    if (std::equal(needle.begin(), needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(i))) {
      return true;
    }
  }
  return false;
}

// A typo budget proportional to the name: none for short aliases such as "BWKS".
std::size_t typo_budget(std::size_t length) {
  if (length < 6) return 0;
  if (length < 12) return 1;
  return 2;
}

}  // namespace

std::string strip_subject_prefixes(std::string_view subject) {
  std::string_view s = trim(subject);
  static constexpr std::string_view prefixes[] = {"re", "fwd", "fw",   "aw",  "sv",  "tr",  "rv",
                                                  "wg", "vs",  "antw", "ref", "rif", "odp", "res"};
  for (bool changed = true; changed;) {
    changed = false;
    if (!s.empty() && s.front() == '[') {
      std::size_t close = s.find(']');
      if (close != s.npos) {
        std::string_view tag = trim(s.substr(1, close - 1));
        if (istarts_with(tag, "case") || istarts_with(tag, "sr") || iequals(tag, "external") ||
            istarts_with(tag, "ext") || istarts_with(tag, "spam") || iequals(tag, "secure")) {
          s = trim(s.substr(close + 1));
          changed = true;
          continue;
        }
      }
    }
    for (std::string_view p : prefixes) {
      if (!istarts_with(s, p)) continue;
      std::string_view rest = s.substr(p.size());
      // "Re:", "RE :", "Re[2]:", "Fwd:"
      if (!rest.empty() && rest.front() == '[') {
        std::size_t close = rest.find(']');
        if (close != rest.npos && close < 6) rest = rest.substr(close + 1);
      }
      rest = trim(rest);
      if (!rest.empty() && (rest.front() == ':' || rest.substr(0, 3) == "\xEF\xBC\x9A")) {
        s = trim(rest.substr(rest.front() == ':' ? 1 : 3));
        changed = true;
        break;
      }
    }
  }
  return std::string(s);
}

std::optional<std::string> match_product(std::string_view text, const product_index& index) {
  const std::string key = alnum_key(text);
  if (key.empty()) return std::nullopt;
  const std::vector<candidate>& all = index.all();
  for (const candidate& c : all) {
    if (c.key == key) return index.canonical(c);
  }
  // "Cisco BroadWorks - calls drop": the longest name found as whole words.
  if (auto mentioned = product_mentioned(text, index)) return mentioned;
  // "Cisco Broadwroks": nearest name within a typo budget; ties go to the first in the catalog.
  const candidate* best = nullptr;
  std::size_t best_distance = std::string::npos;
  for (const candidate& c : all) {
    // The distance is at least the difference in length, and never 0 here (exact keys matched
    // above): only names within the budget's length are worth the computation.
    const std::size_t budget = typo_budget(c.key.size());
    const std::size_t longer = std::max(key.size(), c.key.size());
    const std::size_t shorter = std::min(key.size(), c.key.size());
    if (budget == 0 || longer - shorter > budget) continue;
    const std::size_t d = edit_distance(key, c.key, budget);
    if (d <= budget && d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  if (best != nullptr) return index.canonical(*best);
  return std::nullopt;
}

std::optional<std::string> product_mentioned(std::string_view text, const product_index& index) {
  std::string lowered;
  const std::vector<std::string_view> text_words = words(text, lowered);
  // A name whose first word is not among the text's (by first letter and length) is not in
  // it, which spares most names the walk along the text.
  word_shapes starts;
  for (std::string_view w : text_words) starts.add(w);
  const candidate* best = nullptr;
  const std::vector<candidate>& all = index.all();
  for (const candidate& c : all) {
    if (!c.words.empty() && starts.may_hold(c.words.front()) &&
        contains_words(text_words, c.words) &&
        (best == nullptr || c.key.size() > best->key.size())) {
      best = &c;
    }
  }
  if (best == nullptr) return std::nullopt;
  return index.canonical(*best);
}

}  // namespace tacmail::parser::detail
