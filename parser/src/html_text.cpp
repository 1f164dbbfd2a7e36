// gumbo-based HTML to text. The walk is recursive with a depth cap, and the input is cut at a
// bounded tag count, so hostile nesting cannot exhaust the stack (gumbo's own free recurses).
#include "html_text.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>
#include <vector>

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

// Memory for one gumbo parse. gumbo allocates and frees a small block for every token, node and
// buffer it grows (a fifth of its time went to malloc and free); here they come from
// chunks that are reused from parse to parse, and the tree is dropped at once instead of node
// by node. Past max_bytes a parse spills to malloc, so a huge document costs what it did.
class gumbo_arena {
 public:
  static void* allocate(void* self, std::size_t size) {
    return static_cast<gumbo_arena*>(self)->take(size);
  }
  static void deallocate(void* self, void* ptr) { static_cast<gumbo_arena*>(self)->give(ptr); }

  // True if some block came from malloc: the tree must then be freed through gumbo.
  bool spilled() const { return spilled_; }

  // Forgets every block handed out; keeps up to kept_bytes of chunks for the next parse.
  void reset() {
    std::size_t kept = 0;
    std::size_t n = 0;
    while (n < chunks_.size() && kept + chunks_[n].size <= kept_bytes) kept += chunks_[n++].size;
    chunks_.resize(n);
    current_ = 0;
    used_ = 0;
    total_ = kept;
    spilled_ = false;
  }

 private:
  struct chunk {
    std::unique_ptr<char[]> data;
    std::size_t size;
  };
  static constexpr std::size_t chunk_bytes = 64 * 1024;
  static constexpr std::size_t kept_bytes = 256 * 1024;
  static constexpr std::size_t max_bytes = 8 * 1024 * 1024;
  static constexpr std::size_t align = alignof(std::max_align_t);

  void* take(std::size_t size) {
    size = (size + align - 1) / align * align;
    for (;;) {
      if (current_ < chunks_.size() && chunks_[current_].size - used_ >= size) {
        void* p = chunks_[current_].data.get() + used_;
        used_ += size;
        return p;
      }
      if (current_ + 1 < chunks_.size()) {  // a kept chunk not used yet by this parse
        ++current_;
        used_ = 0;
        continue;
      }
      if (total_ + size > max_bytes) {
        spilled_ = true;
        return std::malloc(size);  // gumbo checks for null
      }
      const std::size_t bytes = std::max(chunk_bytes, size);
      chunks_.push_back({std::unique_ptr<char[]>(new (std::nothrow) char[bytes]), bytes});
      if (!chunks_.back().data) {
        chunks_.pop_back();
        spilled_ = true;
        return std::malloc(size);
      }
      total_ += bytes;
      current_ = chunks_.size() - 1;
      used_ = 0;
    }
  }

  void give(void* ptr) {
    if (ptr == nullptr || !spilled_) return;  // all blocks so far are in chunks
    const char* p = static_cast<const char*>(ptr);
    for (const chunk& c : chunks_) {
      if (p >= c.data.get() && p < c.data.get() + c.size) return;
    }
    std::free(ptr);
  }

  std::vector<chunk> chunks_;
  std::size_t current_ = 0;  ///< chunk being filled
  std::size_t used_ = 0;     ///< bytes of it handed out
  std::size_t total_ = 0;    ///< bytes in chunks
  bool spilled_ = false;
};

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
    if (in_pre) {
      out.append(s);
      return;
    }
    // Runs of non-blank characters are copied whole; a blank run before one becomes a space.
    const char* p = s;
    while (*p != '\0') {
      if (is_space(*p)) {
        pending_space_ = true;
        ++p;
        continue;
      }
      const char* start = p;
      while (*p != '\0' && !is_space(*p)) ++p;
      if (pending_space_ && !out.empty() && out.back() != '\n') out.push_back(' ');
      pending_space_ = false;
      out.append(start, static_cast<std::size_t>(p - start));
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
  thread_local gumbo_arena arena;
  GumboOptions options = kGumboDefaultOptions;
  options.allocator = &gumbo_arena::allocate;
  options.deallocator = &gumbo_arena::deallocate;
  options.userdata = &arena;
  // Parse errors are never read: not recording them leaves the tree as it is.
  options.max_errors = 0;
  // Frees the tree (only what spilled to malloc needs gumbo's walk) and readies the arena for
  // the next parse, also when the walk throws.
  struct parse_scope {
    const GumboOptions& options;
    GumboOutput* output;
    ~parse_scope() {
      auto& a = *static_cast<gumbo_arena*>(options.userdata);
      if (output != nullptr && a.spilled()) gumbo_destroy_output(&options, output);
      a.reset();
    }
  };
  const parse_scope scope{options, gumbo_parse_with_options(&options, html.data(), cut)};
  const GumboOutput* output = scope.output;
  if (output == nullptr) return result;
  walker w;
  w.walk(output->root, 0, false);
  result.text = tidy_text(std::move(w.out));
  return result;
}

}  // namespace tacmail::parser::detail
