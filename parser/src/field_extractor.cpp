// Label matching and value collection for the request fields.
#include "field_extractor.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <vector>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

using field = request_field;

struct label_synonyms {
  field which;
  std::vector<std::string_view> labels;
};

// Default synonyms: DOMAIN.md's template labels first, then what customers really write.
// Compared after alnum_key(), so "Contract #", "Contract no." and "contract-number" all fold.
const std::vector<label_synonyms>& synonyms() {
  static const std::vector<label_synonyms> table = {
      {field::company,
       {"company name", "company", "customer", "customer name", "organisation", "organization",
        "organisation name", "organization name", "company organization", "end customer",
        "end customer name", "account name"}},
      {field::contact_name,
       {"contact name", "contact", "name", "contact person", "customer contact", "primary contact",
        "primary contact name", "your name", "requester", "requestor", "requester name",
        "full name"}},
      {field::contact_phone,
       {"contact phone number", "contact phone", "contact telephone", "contact telephone number",
        "phone number", "phone", "phone no", "telephone", "telephone number", "tel", "mobile",
        "mobile number", "cell", "cell phone", "contact number", "direct line",
        "primary contact phone", "primary contact phone number"}},
      {field::cco_id,
       {"cisco com user id", "cisco com user id cco id", "cco id", "cco", "cco user id",
        "cco userid", "cisco com id", "cisco id", "user id", "userid", "cisco user id",
        "cisco com login"}},
      {field::contact_email,
       {"contact email address", "contact email", "contact e mail", "contact e mail address",
        "email address", "email", "e mail", "e mail address", "mail"}},
      {field::contract,
       {"contract number", "contract", "contract no", "contract nr", "contract num", "contract id",
        "service contract number", "service contract", "service contract no", "support contract",
        "support contract number", "contract number sa va"}},
      {field::smart_account, {"smart account", "smart account name", "sa name"}},
      {field::virtual_account, {"virtual account", "virtual account name", "va name"}},
      {field::product, {"product type", "product", "product name", "product family"}},
      {field::severity,
       {"business effect", "business effect severity", "severity", "sev", "severity level",
        "case severity", "priority", "business impact severity", "case priority"}},
      {field::impact, {"impact", "business impact", "impact level", "scope"}},
      {field::urgency, {"urgency", "urgency level"}},
      {field::description,
       {"brief problem description", "problem description", "description", "problem", "issue",
        "issue description", "problem statement", "description of the problem",
        "description of problem", "details", "problem details", "issue details", "symptom",
        "symptoms", "summary", "short description", "detailed description", "problem summary",
        "issue summary"}},
      {field::location,
       {"equipment location", "location", "address", "site", "site address", "site location",
        "equipment address", "installation address"}},
      {field::alt_contact_name,
       {"alternate contact name", "alternate contact", "alt contact", "alt contact name",
        "alternative contact", "alternative contact name", "backup contact", "backup contact name",
        "secondary contact", "secondary contact name"}},
      {field::alt_contact_phone,
       {"alternate contact phone number", "alternate contact phone", "alt contact phone",
        "alt contact phone number", "alternate phone", "alternate phone number",
        "alternative contact phone", "alternative contact phone number", "backup contact phone",
        "backup contact phone number", "secondary contact phone", "secondary contact phone number",
        "alt phone"}},
  };
  return table;
}

// Bullets, numbering and emphasis around a label: "* ", "- ", "• ", "1. ", "**Company**".
std::string_view strip_decoration(std::string_view line) {
  line = trim(line);
  for (;;) {
    if (!line.empty() && (line.front() == '*' || line.front() == '-' || line.front() == '#' ||
                          line.front() == '_')) {
      line = trim(line.substr(1));
    } else if (line.size() >= 3 && line.substr(0, 3) == "\xE2\x80\xA2") {  // U+2022 bullet
      line = trim(line.substr(3));
    } else if (line.size() >= 2 && is_digit(line[0]) && (line[1] == '.' || line[1] == ')') &&
               (line.size() == 2 || line[2] == ' ')) {
      line = trim(line.substr(2));
    } else {
      break;
    }
  }
  return line;
}

struct label_match {
  field which;
  std::string_view value;  ///< trimmed, in the line; empty when the value is on the next line
};

constexpr std::size_t max_label_length = 60;

std::optional<label_match> match_label(std::string_view raw_line, const label_table& labels) {
  std::string_view line = strip_decoration(raw_line);
  if (line.empty()) return std::nullopt;
  // Separators: ':' (also full-width), tab, " - ", " = ", '#', else none (a label on its own
  // line). The first one in the line counts, and only where a label can end.
  static constexpr std::array<std::string_view, 7> separators = {
      ":", "\xEF\xBC\x9A", "\t", " - ", " \xE2\x80\x93 ", " = ", "#"};
  // At most one separator can start at a given byte, so the first byte that starts one is it.
  static constexpr std::array<bool, 256> may_start = [] {
    std::array<bool, 256> table{};
    for (std::string_view sep : separators) table[static_cast<unsigned char>(sep.front())] = true;
    return table;
  }();
  std::size_t best = line.npos;
  std::size_t best_len = 0;
  const std::size_t stop = std::min(line.size(), max_label_length + 1);
  for (std::size_t i = 0; i < stop; ++i) {
    if (!may_start[static_cast<unsigned char>(line[i])]) continue;
    for (std::string_view sep : separators) {
      if (line.substr(i).starts_with(sep)) {
        best = i;
        best_len = sep.size();
        break;
      }
    }
    if (best != line.npos) break;
  }
  if (best != line.npos) {
    std::string_view label = line.substr(0, best);
    std::string_view value = line.substr(best + best_len);
    // "Contract #: 123" / "Contract No.: 123": a second separator right after the first.
    std::string_view rest = trim(value);
    if (!rest.empty() && (rest.front() == ':' || rest.front() == '-') && line[best] == '#') {
      value = rest.substr(1);
    }
    // "*Company name:* Acme" / "**Contract:** 123": the closing emphasis after the separator.
    value = trim(value);
    if (!value.empty() && (value.front() == '*' || value.front() == '_')) {
      std::size_t n = 0;
      while (n < value.size() && (value[n] == '*' || value[n] == '_')) ++n;
      if (n == value.size() || value[n] == ' ') value = value.substr(n);
    }
    if (auto which = labels.find(label)) return label_match{*which, trim(value)};
    // "Contract # 12345678": the '#' belongs to the label.
    if (line[best] == '#') {
      if (auto which = labels.find(line.substr(0, best + 1))) {
        return label_match{*which, trim(value)};
      }
    }
  }
  // A label alone on its line, the value below it ("Company name" / "Acme").
  if (line.size() <= max_label_length) {
    std::string_view label = line;
    while (!label.empty() && (label.back() == ':' || label.back() == '-')) label.remove_suffix(1);
    if (auto which = labels.find(label)) return label_match{*which, {}};
  }
  return std::nullopt;
}

bool is_placeholder(std::string_view value) {
  // Keyed, a placeholder is at most 13 bytes ("notapplicable"): a longer key is not one.
  char buffer[16];
  const std::size_t n = alnum_key_to(value, buffer, 13);
  if (n > 13) return false;
  const std::string_view v(buffer, n);
  return v.empty() || v == "na" || v == "none" || v == "tbd" || v == "nil" || v == "null" ||
         v == "notapplicable" || v == "unknown";
}

// The description runs to the next label; these lines end it as well (a closing and the
// signature that follows it).
bool is_closing(std::string_view line) {
  static constexpr std::array<std::string_view, 30> closings = {
      "regards",
      "best regards",
      "kind regards",
      "warm regards",
      "thanks",
      "thank you",
      "many thanks",
      "thanks regards",
      "thanks and regards",
      "cheers",
      "br",
      "sincerely",
      "yours sincerely",
      "best wishes",
      "thx",
      "thank you in advance",
      "thanks in advance",
      "best",
      "mit freundlichen gr\xC3\xBC\xC3\x9F"
      "en",
      "mit freundlichen gruessen",
      "mfg",
      "viele gr\xC3\xBC\xC3\x9F"
      "e",
      "beste gr\xC3\xBC\xC3\x9F"
      "e",
      "cordialement",
      "bien cordialement",
      "saludos",
      "un saludo",
      "atentamente",
      "cordiali saluti",
      "distinti saluti"};
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (std::string_view c : closings) out.push_back(alnum_key(c));
    return out;
  }();
  constexpr std::size_t max_closing = 40;
  if (line.size() > max_closing) return false;
  // A horizontal rule ("----", "____", "====") closes free text too.
  if (line.size() >= 4 && line.find_first_not_of(line.front()) == std::string_view::npos &&
      (line.front() == '-' || line.front() == '_' || line.front() == '=')) {
    return true;
  }
  char buffer[max_closing + 1];
  const std::string_view key(buffer, alnum_key_to(line, buffer, max_closing));
  for (const std::string& c : keys) {
    if (key == c) return true;
  }
  return line == "--" || line == "-- ";
}

std::optional<std::string>& slot(extracted_fields& f, field which) {
  switch (which) {
    case field::company:
      return f.company;
    case field::contact_name:
      return f.contact_name;
    case field::contact_phone:
      return f.contact_phone;
    case field::cco_id:
      return f.cco_id;
    case field::contact_email:
      return f.contact_email;
    case field::contract:
      return f.contract;
    case field::smart_account:
      return f.smart_account;
    case field::virtual_account:
      return f.virtual_account;
    case field::product:
      return f.product;
    case field::severity:
      return f.severity;
    case field::impact:
      return f.impact;
    case field::urgency:
      return f.urgency;
    case field::description:
      return f.description;
    case field::location:
      return f.location;
    case field::alt_contact_name:
      return f.alt_contact_name;
    case field::alt_contact_phone:
      return f.alt_contact_phone;
  }
  return f.company;
}

// "john@acme.com <mailto:john@acme.com>" (Outlook) or "<john@acme.com>": the addr-spec.
std::string clean_email(std::string_view value) {
  std::string_view v = trim(value);
  std::size_t at = v.find('@');
  if (at == v.npos) return std::string(v);
  std::size_t begin = at;
  auto stop = [](char c) {
    return is_space(c) || c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']' ||
           c == ':' || c == ',' || c == ';' || c == '"';
  };
  while (begin > 0 && !stop(v[begin - 1])) --begin;
  std::size_t end = at;
  while (end < v.size() && !stop(v[end])) ++end;
  std::string out = to_lower(v.substr(begin, end - begin));
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string clean_value(field which, std::string_view value) {
  std::string v = collapse_spaces(value);
  // Markdown-ish emphasis left around a value: "**Acme**".
  std::string_view w = v;
  while (w.size() >= 2 && w.front() == '*' && w.back() == '*') w = w.substr(1, w.size() - 2);
  if (which == field::contact_email) return clean_email(w);
  w = trim(w);
  if (w.size() == v.size()) return v;
  return std::string(w);
}

}  // namespace

label_table::label_table() {
  for (const label_synonyms& s : synonyms()) {
    for (std::string_view l : s.labels) {
      std::string key = alnum_key(l);
      index(key);
      by_key_.emplace(std::move(key), s.which);
    }
  }
}

void label_table::index(const std::string& key) {
  if (key.empty()) return;
  shapes_.add(key);
  longest_ = std::max(longest_, key.size());
}

bool label_table::add(std::string_view field_key, std::string_view label) {
  static constexpr std::pair<std::string_view, field> keys[] = {
      {"company", field::company},
      {"contact_name", field::contact_name},
      {"contact_phone", field::contact_phone},
      {"cco_id", field::cco_id},
      {"contact_email", field::contact_email},
      {"contract", field::contract},
      {"smart_account", field::smart_account},
      {"virtual_account", field::virtual_account},
      {"product", field::product},
      {"severity", field::severity},
      {"impact", field::impact},
      {"urgency", field::urgency},
      {"description", field::description},
      {"location", field::location},
      {"alt_contact_name", field::alt_contact_name},
      {"alt_contact_phone", field::alt_contact_phone},
  };
  const std::string key = alnum_key(label);
  if (key.empty()) return false;
  for (const auto& [name, which] : keys) {
    if (name == field_key) {
      index(key);
      by_key_.insert_or_assign(key, which);
      return true;
    }
  }
  return false;
}

std::optional<field> label_table::find(std::string_view label) const {
  // "Cisco.com User ID (CCO ID)": try the whole label, the part before the parenthesis and
  // the part inside it.
  if (auto which = find_key(label)) return which;
  std::size_t open = label.find('(');
  if (open == label.npos) return std::nullopt;
  if (auto which = find_key(label.substr(0, open))) return which;
  std::size_t close = label.find(')', open);
  return find_key(label.substr(open + 1, close == label.npos ? label.npos : close - open - 1));
}

namespace {

// Room for a key of up to `longest` bytes and one more: on the stack unless labels are long.
class key_buffer {
 public:
  explicit key_buffer(std::size_t longest) {
    if (longest >= sizeof stack_) {
      heap_.resize(longest + 1);
      data_ = heap_.data();
    }
  }
  char* data() { return data_; }

 private:
  char stack_[64];
  std::string heap_;
  char* data_ = stack_;
};

}  // namespace

std::optional<field> label_table::find_key(std::string_view part) const {
  key_buffer key(longest_);
  // Only as much of the key as the longest label's is built: a longer one is no label.
  const std::size_t n = alnum_key_to(part, key.data(), longest_);
  return find_folded(std::string_view(key.data(), n));
}

std::optional<field> label_table::find_folded(std::string_view key) const {
  if (key.size() > longest_ || !shapes_.may_hold(key)) return std::nullopt;
  if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
  return std::nullopt;
}

bool label_table::starts_with_label(std::string_view line) const {
  key_buffer buffer(longest_);
  char* key = buffer.data();
  std::size_t n = 0;
  // The key grows a byte at a time; at each space with a word after it, what came before is
  // looked up.
  for (std::size_t i = 0; i < line.size() && n <= longest_; ++i) {
    if (line[i] == ' ' && n > 0 && i + 1 < line.size() && line[i + 1] != ' ' &&
        find_folded(std::string_view(key, n))) {
      return true;
    }
    const char k = key_byte(line[i]);
    key[n] = k;
    n += k != 0 ? 1 : 0;
  }
  return false;
}

extracted_fields extract_fields(std::string_view text, const label_table& labels) {
  extracted_fields out;
  const std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::optional<label_match> m = match_label(lines[i], labels);
    if (!m) continue;
    std::optional<std::string>& target = slot(out, m->which);
    std::string_view raw = m->value;
    std::string value;
    std::size_t last = i;
    if (m->which == field::description) {
      // Every line up to the next label, a closing, or the end; blank runs kept as one.
      std::string text_value(raw);
      bool blank_pending = false;
      std::size_t j = i + 1;
      for (; j < lines.size(); ++j) {
        std::string_view l = trim(lines[j]);
        if (is_closing(l) || match_label(lines[j], labels)) break;
        if (l.empty()) {
          blank_pending = !text_value.empty();
          continue;
        }
        if (!text_value.empty()) text_value += blank_pending ? "\n\n" : "\n";
        blank_pending = false;
        text_value += l;
      }
      last = j - 1;
      value = std::move(text_value);
    } else {
      if (raw.empty()) {
        // Value on the next non-blank line, unless that line is itself a label.
        std::size_t j = i + 1;
        while (j < lines.size() && trim(lines[j]).empty() && j < i + 3) ++j;
        if (j < lines.size() && !trim(lines[j]).empty() && !match_label(lines[j], labels)) {
          raw = trim(lines[j]);
          last = j;
        }
      }
      value = clean_value(m->which, raw);
    }
    if (!target && !is_placeholder(value)) {
      target = std::move(value);
      ++out.count;
    }
    i = last;
  }
  return out;
}

bool has_flattened_label(std::string_view text, const label_table& labels) {
  for (std::string_view line : split_lines(text)) {
    if (labels.starts_with_label(strip_decoration(line))) return true;
  }
  return false;
}

}  // namespace tacmail::parser::detail
