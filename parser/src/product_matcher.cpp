// Product matching: exact key, then whole-word containment, then edit distance.
#include "product_matcher.hpp"

#include <algorithm>
#include <vector>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

// Lower-case alphanumeric words: "Cisco Web-Ex (BroadWorks)" -> cisco, web, ex, broadworks.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string current;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || is_digit(c) || u >= 0x80) {
      current.push_back(c);
    } else if (c >= 'A' && c <= 'Z') {
      current.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

using candidate = product_index::candidate;

}  // namespace

// Names and aliases of every product, with their canonical name.
product_index::product_index(const config::product_catalog& catalog) {
  std::vector<candidate>& out = all_;
  for (const config::product& p : catalog.products) {
    auto add = [&](const std::string& name) {
      std::string key = alnum_key(name);
      if (!key.empty()) out.push_back({key, words(name), &p.name});
    };
    add(p.name);
    // "Cisco Webex Experience Management (formerly CloudCherry)": the name before the remark.
    if (std::size_t open = p.name.find('('); open != std::string::npos) {
      add(std::string(trim(std::string_view(p.name).substr(0, open))));
    }
    for (const std::string& alias : p.aliases) add(alias);
  }
}

namespace {

// Does `hay` contain `needle` as consecutive whole words?
bool contains_words(const std::vector<std::string>& hay, const std::vector<std::string>& needle) {
  if (needle.empty() || needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
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
    if (c.key == key) return *c.canonical;
  }
  // "Cisco BroadWorks - calls drop": the longest name found as whole words.
  const std::vector<std::string> text_words = words(text);
  const candidate* best = nullptr;
  for (const candidate& c : all) {
    if (contains_words(text_words, c.words) &&
        (best == nullptr || c.key.size() > best->key.size())) {
      best = &c;
    }
  }
  if (best != nullptr) return *best->canonical;
  // "Cisco Broadwroks": nearest name within a typo budget; ties go to the first in the catalog.
  std::size_t best_distance = std::string::npos;
  for (const candidate& c : all) {
    if (key.size() > c.key.size() + 2 || c.key.size() > key.size() + 2) continue;
    const std::size_t d = edit_distance(key, c.key);
    if (d <= typo_budget(c.key.size()) && d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  if (best != nullptr) return *best->canonical;
  return std::nullopt;
}

std::optional<std::string> product_mentioned(std::string_view text, const product_index& index) {
  const std::vector<std::string> text_words = words(text);
  const candidate* best = nullptr;
  const std::vector<candidate>& all = index.all();
  for (const candidate& c : all) {
    if (contains_words(text_words, c.words) &&
        (best == nullptr || c.key.size() > best->key.size())) {
      best = &c;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best->canonical;
}

}  // namespace tacmail::parser::detail
