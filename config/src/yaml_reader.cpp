// Strict YAML reading: yaml-cpp's exceptions are caught here and become config_error values,
// and every lookup records its key so that unknown keys can be reported at their own line.
#include "yaml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "read_file.hpp"

namespace tacmail::config::detail {

namespace {

// yaml-cpp marks are 0-based; a node built without a position (an empty value) has line -1.
int line_of(const YAML::Node& node, int fallback) {
  const int line = node.Mark().line;
  return line < 0 ? fallback : line + 1;
}

// How an unexpected value looks in a message: the scalar itself, or its kind.
std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

template <typename Items>
std::string join(const Items& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

std::string fold_case(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool valid_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (std::isdigit(static_cast<unsigned char>(text[i])) == 0) return false;
  }
  const auto number = [&](std::size_t at, std::size_t size) {
    int value = 0;
    std::from_chars(text.data() + at, text.data() + at + size, value);
    return value;
  };
  return std::chrono::year_month_day{std::chrono::year{number(0, 4)},
                                     std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                     std::chrono::day{static_cast<unsigned>(number(8, 2))}}
      .ok();
}

void error_sink::add(int line, std::string key_path, std::string message) {
  errors_.push_back(config_error{file_, line, std::move(key_path), std::move(message)});
}

std::string child_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::filesystem::path base_folder(const std::filesystem::path& file) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(file, ec);
  if (ec) absolute = file;
  return absolute.lexically_normal().parent_path();
}

std::optional<field> parse_yaml_file(const std::filesystem::path& file, error_sink& errors) {
  std::string why;
  const auto text = read_file(file, &why);
  if (!text) {
    errors.add(0, "", why);
    return std::nullopt;
  }
  try {
    YAML::Node root = YAML::Load(*text);
    return field{root, "", line_of(root, 1), 1};
  } catch (const YAML::ParserException& e) {
    errors.add(e.mark.line < 0 ? 1 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    errors.add(e.mark.line < 0 ? 1 : e.mark.line + 1, "", std::string("YAML error: ") + e.msg);
  } catch (const std::exception& e) {
    errors.add(1, "", std::string("YAML error: ") + e.what());
  }
  return std::nullopt;
}

map_reader::map_reader(error_sink& errors, const field& where) : errors_(errors), where_(where) {
  if (!where.value.IsMap()) {
    errors_.add(where.line, where.path,
                where.path.empty() ? "the file must be a YAML mapping, got " + describe(where.value)
                                   : "expected a mapping, got " + describe(where.value));
    return;
  }
  is_mapping_ = true;
  for (const auto& pair : where.value) {
    // Copies: yaml-cpp's iterator hands out a proxy that dies with the statement.
    const YAML::Node key = pair.first;
    const YAML::Node value = pair.second;
    const int key_line = line_of(key, where.key_line);
    if (!key.IsScalar()) {
      errors_.add(key_line, where.path, "keys must be plain names, got " + describe(key));
      continue;
    }
    const std::string name = key.Scalar();
    const std::string path = child_path(where.path, name);
    const bool duplicate = std::any_of(entries_.begin(), entries_.end(),
                                       [&](const entry& e) { return e.key == name; });
    if (duplicate) {
      // yaml-cpp keeps both; the reader would silently use the first.
      errors_.add(key_line, path, "duplicate key");
      continue;
    }
    const int value_line = value.IsNull() ? key_line : line_of(value, key_line);
    entries_.push_back(entry{name, field{value, path, value_line, key_line}});
  }
}

std::optional<field> map_reader::optional(std::string_view key) {
  known_.emplace_back(key);
  for (auto& e : entries_) {
    if (e.key == key) {
      e.used = true;
      return e.value;
    }
  }
  return std::nullopt;
}

std::optional<field> map_reader::required(std::string_view key) {
  auto found = optional(key);
  if (!found && is_mapping_) {
    errors_.add(where_.key_line, child_path(where_.path, key), "required key is missing");
  }
  return found;
}

void map_reader::finish() {
  for (const auto& e : entries_) {
    if (!e.used)
      errors_.add(e.value.key_line, e.value.path, "unknown key (known: " + join(known_) + ")");
  }
}

std::optional<std::vector<field>> read_list(error_sink& errors, const field& where) {
  if (!where.value.IsSequence()) {
    errors.add(where.line, where.path, "expected a list, got " + describe(where.value));
    return std::nullopt;
  }
  std::vector<field> items;
  std::size_t index = 0;
  for (const auto& item : where.value) {
    const int line = line_of(item, where.line);
    items.push_back(field{item, where.path + "[" + std::to_string(index) + "]", line, line});
    ++index;
  }
  return items;
}

std::optional<std::string> read_string(error_sink& errors, const field& where) {
  if (!where.value.IsScalar()) {
    errors.add(where.line, where.path, "expected a string, got " + describe(where.value));
    return std::nullopt;
  }
  if (where.value.Scalar().empty()) {
    errors.add(where.line, where.path, "must not be empty");
    return std::nullopt;
  }
  return where.value.Scalar();
}

std::optional<int> read_int(error_sink& errors, const field& where, int min, int max) {
  if (!where.value.IsScalar()) {
    errors.add(where.line, where.path, "expected an integer, got " + describe(where.value));
    return std::nullopt;
  }
  const std::string& text = where.value.Scalar();
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    errors.add(where.line, where.path, "expected an integer, got '" + text + "'");
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    if (max == std::numeric_limits<int>::max()) {
      errors.add(where.line, where.path,
                 "must be at least " + std::to_string(min) + ", got " + text);
      return std::nullopt;
    }
    errors.add(
        where.line, where.path,
        "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> read_bool(error_sink& errors, const field& where) {
  if (where.value.IsScalar()) {
    // The YAML 1.1 spellings yaml-cpp itself accepts.
    const std::string text = fold_case(where.value.Scalar());
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
  }
  errors.add(where.line, where.path, "expected true or false, got " + describe(where.value));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> read_duration(error_sink& errors, const field& where) {
  if (where.value.IsScalar()) {
    if (auto value = parse_duration(where.value.Scalar())) return value;
  }
  errors.add(where.line, where.path,
             "expected a duration such as 250ms, 30s, 5m or 2h, got " + describe(where.value));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> read_positive_duration(error_sink& errors,
                                                                const field& where) {
  auto value = read_duration(errors, where);
  if (value && value->count() <= 0) {
    errors.add(where.line, where.path, "must be greater than zero");
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t> read_size(error_sink& errors, const field& where) {
  std::optional<std::size_t> value;
  if (where.value.IsScalar()) value = parse_size(where.value.Scalar());
  if (!value) {
    errors.add(where.line, where.path,
               "expected a size such as 65536, 64k, 50M or 1G, got " + describe(where.value));
    return std::nullopt;
  }
  if (*value == 0) {
    errors.add(where.line, where.path, "must be greater than zero");
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t> read_choice(error_sink& errors, const field& where,
                                       std::initializer_list<std::string_view> choices) {
  if (where.value.IsScalar()) {
    const std::string& text = where.value.Scalar();
    std::size_t index = 0;
    for (const auto choice : choices) {
      if (text == choice) return index;
      ++index;
    }
  }
  errors.add(where.line, where.path,
             "expected one of " + join(choices) + ", got " + describe(where.value));
  return std::nullopt;
}

std::optional<tls_mode> read_tls(error_sink& errors, const field& where) {
  constexpr tls_mode modes[] = {tls_mode::implicit, tls_mode::starttls, tls_mode::none};
  const auto index = read_choice(errors, where, {"implicit", "starttls", "none"});
  if (!index) return std::nullopt;
  return modes[*index];
}

std::optional<std::vector<std::string>> read_string_list(error_sink& errors, const field& where) {
  auto items = read_list(errors, where);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : *items) {
    if (auto text = read_string(errors, item)) {
      out.push_back(std::move(*text));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::filesystem::path> read_path(error_sink& errors, const field& where,
                                               const std::filesystem::path& base) {
  auto text = read_string(errors, where);
  if (!text) return std::nullopt;
  std::filesystem::path path(*text);
  if (path.is_relative()) path = (base / path).lexically_normal();
  return path;
}

}  // namespace tacmail::config::detail
