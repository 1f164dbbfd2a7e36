// Loading reply templates: known file names only, known placeholders only, errors with lines.
#include <algorithm>
#include <iterator>

#include "read_file.hpp"
#include "tacmail/config/load.hpp"

namespace tacmail::config {

namespace {

template <std::size_t N>
bool known(const char* const (&names)[N], const std::string& name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

template <std::size_t N>
std::string listing(const char* const (&names)[N]) {
  std::string out;
  for (const char* n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

void check_placeholders(const std::string& file, const std::string& text,
                        std::vector<config_error>& errors) {
  int line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
    if (text.compare(i, 2, "{{") != 0) continue;
    const auto close = text.find("}}", i + 2);
    const auto eol = text.find('\n', i);
    if (close == std::string::npos || (eol != std::string::npos && close > eol)) {
      errors.push_back({file, line, "", "'{{' without '}}' on the same line"});
      continue;
    }
    const std::string name = text.substr(i + 2, close - i - 2);
    if (!known(template_placeholders, name))
      errors.push_back({file, line, "{{" + name + "}}",
                        "unknown placeholder (known: " + listing(template_placeholders) + ")"});
    i = close + 1;
  }
}

}  // namespace

load_result<reply_templates> load_templates(const std::filesystem::path& folder) {
  load_result<reply_templates> result;
  reply_templates templates;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const auto& path = entry.path();
    if (path.extension() != ".txt") continue;
    const std::string name = path.stem().string();
    if (!known(template_names, name)) {
      result.errors.push_back({path.string(), 0, "",
                               "not a template name (known: " + listing(template_names) + ")"});
      continue;
    }
    std::string why;
    auto text = detail::read_file(path, &why);
    if (!text) {
      result.errors.push_back({path.string(), 0, "", why});
      continue;
    }
    check_placeholders(path.string(), *text, result.errors);
    templates.overrides[name] = std::move(*text);
  }
  if (ec) result.errors.push_back({folder.string(), 0, "", "cannot list: " + ec.message()});
  if (result.errors.empty()) result.value = std::move(templates);
  return result;
}

}  // namespace tacmail::config
