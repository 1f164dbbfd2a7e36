// gumbo-based HTML to text. The walk is recursive with a depth cap, and the input is cut at a
// bounded tag count, so hostile nesting cannot exhaust the stack (gumbo's own free recurses).
#include "html_text.hpp"

#include <gumbo.h>

#include <cctype>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

constexpr std::size_t max_tags = 50000;
constexpr int max_depth = 400;
// gumbo's tree building is quadratic in nesting depth, so the input is cut where a rough count
// of open elements passes this; real mail nests a few dozen deep.
constexpr int max_open_elements = 300;

// Elements that have no end tag or whose end tag is commonly left out; they do not nest.
bool nests(std::string_view name) {
  static constexpr std::string_view flat[] = {
      "br",   "img", "meta",   "hr",     "input", "link",     "p",    "li",
      "td",   "th",  "tr",     "option", "dt",    "dd",       "col",  "area",
      "base", "wbr", "source", "o:p",    "!--",   "!doctype", "param"};
  for (std::string_view f : flat) {
    if (iequals(name, f)) return false;
  }
  return true;
}

// The longest prefix of `html` within max_tags tags and max_open_elements open elements.
std::size_t safe_prefix(std::string_view html) {
  std::size_t tags = 0;
  int open = 0;
  for (std::size_t i = 0; i < html.size(); ++i) {
    if (html[i] != '<') continue;
    if (++tags > max_tags) return i;
    std::size_t j = i + 1;
    const bool closing = j < html.size() && html[j] == '/';
    if (closing) ++j;
    std::size_t name_end = j;
    while (name_end < html.size() && name_end - j < 16 &&
           (std::isalnum(static_cast<unsigned char>(html[name_end])) || html[name_end] == ':' ||
            html[name_end] == '!' || html[name_end] == '-')) {
      ++name_end;
    }
    std::string_view name = html.substr(j, name_end - j);
    if (name.empty() || !nests(name)) continue;
    std::size_t close = html.find('>', name_end);
    const bool self_closing = close != html.npos && close > 0 && html[close - 1] == '/';
    if (closing) {
      if (open > 0) --open;
    } else if (!self_closing && ++open > max_open_elements) {
      return i;
    }
  }
  return html.size();
}

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_CENTER:
      return true;
    default:
      return false;
  }
}

class walker {
 public:
  std::string out;

  void walk(const GumboNode* node, int depth, bool in_pre) {
    if (depth > max_depth) return;
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        text(node->v.text.text, in_pre);
        return;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
      default:
        return;
    }
    const GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_HEAD || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_SCRIPT ||
        tag == GUMBO_TAG_TITLE || tag == GUMBO_TAG_NOSCRIPT) {
      return;
    }
    if (tag == GUMBO_TAG_TR) {
      row(node, depth);
      return;
    }
    if (tag == GUMBO_TAG_BR) {
      newline();
      return;
    }
    const bool block = is_block(tag);
    if (block) newline();
    const bool pre = in_pre || tag == GUMBO_TAG_PRE;
    const GumboVector& children = node->v.element.children;
    for (unsigned i = 0; i < children.length; ++i) {
      walk(static_cast<const GumboNode*>(children.data[i]), depth + 1, pre);
    }
    if (block) newline();
  }

 private:
  bool pending_space_ = false;

  void newline() {
    pending_space_ = false;
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
  }

  void text(const char* s, bool in_pre) {
    for (const char* p = s; *p != '\0'; ++p) {
      const char c = *p;
      if (in_pre) {
        out.push_back(c);
      } else if (is_space(c)) {
        pending_space_ = true;
      } else {
        if (pending_space_ && !out.empty() && out.back() != '\n') out.push_back(' ');
        pending_space_ = false;
        out.push_back(c);
      }
    }
  }

  // One table row: its cells' texts on one line, `label: value`; nested blocks inside a cell
  // are flattened to spaces so the pair stays on one line.
  void row(const GumboNode* tr, int depth) {
    newline();
    std::string line;
    const GumboVector& cells = tr->v.element.children;
    for (unsigned i = 0; i < cells.length; ++i) {
      const auto* cell = static_cast<const GumboNode*>(cells.data[i]);
      if (cell->type != GUMBO_NODE_ELEMENT) continue;
      walker inner;
      inner.walk(cell, depth + 1, false);
      std::string cell_text = collapse_spaces(inner.out);
      if (cell_text.empty()) continue;
      if (!line.empty()) line += (line.back() == ':' || line.back() == '-') ? " " : ": ";
      line += cell_text;
    }
    out += line;
    newline();
  }
};

}  // namespace

html_text_result html_to_text(std::string_view html) {
  html_text_result result;
  const std::size_t cut = safe_prefix(html);
  result.truncated = cut < html.size();
  GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), cut);
  if (output == nullptr) return result;
  walker w;
  w.walk(output->root, 0, false);
  gumbo_destroy_output(&kGumboDefaultOptions, output);
  result.text = tidy_text(w.out);
  return result;
}

}  // namespace tacmail::parser::detail
