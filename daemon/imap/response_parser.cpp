// Frames the server's byte stream into responses (lines plus {n} literals) incrementally, and
// parses each framed response into an imap::response. Pure: no I/O, no exceptions.
#include "imap/response_parser.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>

namespace tacmail::daemon::imap {
namespace {

// Deeper nesting than any real server sends; the bound keeps hostile input off the stack.
constexpr int max_depth = 100;

// After a huge literal the buffer keeps its capacity; give it back once it is mostly idle.
constexpr std::size_t idle_capacity = 256 * 1024;

bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

// Lenient ATOM-CHAR: RFC 9051 atom-specials minus list-wildcards, quoted-specials' backslash
// and resp-specials' "[" (handled as a section), so `\Seen`, `\*`, `1:*`, UTF-8 names are atoms.
bool is_atom_char(char ch) {
  const auto u = static_cast<unsigned char>(ch);
  if (u <= 0x20 || u == 0x7f) return false;
  return ch != '(' && ch != ')' && ch != '{' && ch != '"' && ch != '[' && ch != ']';
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  return out;
}

bool is_nil(std::string_view s) {
  return s.size() == 3 && (s[0] == 'N' || s[0] == 'n') && (s[1] == 'I' || s[1] == 'i') &&
         (s[2] == 'L' || s[2] == 'l');
}

// Parses an all-digit string; false if empty, not all digits, or above `max`.
bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char ch : s) {
    if (!is_digit(ch)) return false;
    const auto d = static_cast<std::uint64_t>(ch - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// If `line` (terminator removed) ends in a literal marker `{n}` / `{n+}`, sets `n` (saturated
// just above `cap` so huge announcements need no big-number arithmetic) and returns true.
bool literal_marker(std::string_view line, std::size_t cap, std::size_t& n) {
  if (line.size() < 3 || line.back() != '}') return false;
  std::size_t end = line.size() - 1;
  if (line[end - 1] == '+') --end;
  std::size_t begin = end;
  while (begin > 0 && is_digit(line[begin - 1])) --begin;
  if (begin == end || begin == 0 || line[begin - 1] != '{') return false;
  std::size_t v = 0;
  for (std::size_t i = begin; i < end; ++i) {
    v = v * 10 + static_cast<std::size_t>(line[i] - '0');
    if (v > cap) {
      n = cap + 1;  // the caller keeps cap far below SIZE_MAX / 10
      return true;
    }
  }
  n = v;
  return true;
}

// A bounds-checked read position over one framed response (final terminator excluded).
class cursor {
 public:
  cursor(std::string_view s, std::deque<std::string>& spilled) : s_(s), spilled_(spilled) {}
  /// The next literal the framer spilled out of the text (see spill_threshold).
  std::optional<std::string> take_spilled() {
    if (spilled_.empty()) return std::nullopt;
    std::string out = std::move(spilled_.front());
    spilled_.pop_front();
    return out;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }
  bool has(std::size_t n) const { return s_.size() - pos_ >= n; }
  void advance(std::size_t n = 1) { pos_ = std::min(s_.size(), pos_ + n); }
  bool consume(char ch) {
    if (at_end() || s_[pos_] != ch) return false;
    ++pos_;
    return true;
  }
  std::string_view take(std::size_t n) {
    auto out = s_.substr(pos_, n);
    advance(n);
    return out;
  }
  std::string_view rest() const { return s_.substr(pos_); }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t p) { pos_ = std::min(s_.size(), p); }

  // The longest run of plain atom characters (no bracket sections).
  std::string_view atom_run() {
    const std::size_t start = pos_;
    while (!at_end() && is_atom_char(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::deque<std::string>& spilled_;
};

bool parse_value(cursor& c, value& out, int depth);

// Values up to `close` (')' or ']'), or to the end when close is '\0'. Spaces between values
// are optional and may repeat: servers differ, and nothing is ambiguous without them.
bool parse_values(cursor& c, std::vector<value>& out, char close, int depth) {
  for (;;) {
    while (c.consume(' ')) {
    }
    if (c.at_end()) return close == '\0';
    const char ch = c.peek();
    if (close != '\0' && ch == close) {
      c.advance();
      return true;
    }
    if (ch == ')' || ch == ']') return false;
    value v;
    if (!parse_value(c, v, depth)) return false;
    out.push_back(std::move(v));
  }
}

bool parse_quoted(cursor& c, value& out) {
  c.advance();  // opening quote
  out.type = value::kind::string;
  for (;;) {
    if (c.at_end()) return false;
    const char ch = c.peek();
    c.advance();
    if (ch == '"') return true;
    if (ch == '\r' || ch == '\n') return false;
    if (ch == '\\') {
      if (c.at_end()) return false;
      const char esc = c.peek();
      c.advance();
      if (esc == '\r' || esc == '\n') return false;
      // RFC escapes are only \" and \\; keep any other pair verbatim rather than guess.
      if (esc != '"' && esc != '\\') out.text.push_back('\\');
      out.text.push_back(esc);
      continue;
    }
    out.text.push_back(ch);
  }
}

// `{n}` / `{n+}` / `~{n}` then CRLF (or LF) then exactly n raw bytes. The framer has already
// checked n against the limit; here it only has to be present.
bool parse_literal(cursor& c, value& out) {
  c.consume('~');
  c.advance();  // '{'
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t n = 0;
  if (!is_digit(c.peek())) return false;
  while (is_digit(c.peek())) {
    const auto d = static_cast<std::uint64_t>(c.peek() - '0');
    if (n > (max - d) / 10) return false;
    n = n * 10 + d;
    c.advance();
  }
  c.consume('+');
  if (!c.consume('}')) return false;
  c.consume('\r');
  if (!c.consume('\n')) return false;
  out.type = value::kind::string;
  if (n >= response_parser::spill_threshold) {
    auto spilled = c.take_spilled();
    if (!spilled || spilled->size() != n) return false;
    out.text = std::move(*spilled);
    return true;
  }
  if (!c.has(n)) return false;
  out.text = std::string(c.take(static_cast<std::size_t>(n)));
  return true;
}

// An atom, possibly with bracket sections (`BODY[HEADER.FIELDS (MESSAGE-ID)]<0>`), classified
// as NIL, a number (all digits and fits uint64), or an atom. An all-digit token too big for
// uint64 stays an atom: it is still a valid token (e.g. a MODSEQ), just not a number we hold.
bool parse_atom(cursor& c, value& out) {
  const std::string_view whole = c.rest();
  const std::size_t start = c.pos();
  while (!c.at_end()) {
    const char ch = c.peek();
    if (ch == '[') {
      const auto rest = c.rest();
      const std::size_t close = rest.find(']');
      if (close == std::string_view::npos) return false;
      if (rest.substr(0, close).find_first_of("\r\n") != std::string_view::npos) return false;
      c.advance(close + 1);
      continue;
    }
    if (!is_atom_char(ch)) break;
    c.advance();
  }
  const auto text = whole.substr(0, c.pos() - start);
  if (is_nil(text)) {
    out.type = value::kind::nil;
    return true;
  }
  if (parse_uint(text, std::numeric_limits<std::uint64_t>::max(), out.number)) {
    out.type = value::kind::number;
    return true;
  }
  out.type = value::kind::atom;
  out.text = std::string(text);
  return true;
}

bool parse_value(cursor& c, value& out, int depth) {
  const char ch = c.peek();
  if (ch == '(') {
    if (depth + 1 > max_depth) return false;
    c.advance();
    out.type = value::kind::list;
    return parse_values(c, out.items, ')', depth + 1);
  }
  if (ch == '"') return parse_quoted(c, out);
  if (ch == '{' || (ch == '~' && c.peek(1) == '{')) return parse_literal(c, out);
  if (ch == '[' || is_atom_char(ch)) return parse_atom(c, out);
  return false;
}

bool is_status_name(std::string_view name) {
  return name == "OK" || name == "NO" || name == "BAD" || name == "PREAUTH" || name == "BYE";
}

// `[CODE args]` at the cursor. A bracket that does not parse as a code is left as text; args
// that do not tokenize are kept raw as one atom, so an odd code never costs the connection.
void parse_code(cursor& c, response& out) {
  const std::size_t save = c.pos();
  c.advance();  // '['
  const auto code = c.atom_run();
  if (code.empty() || (c.peek() != ']' && c.peek() != ' ')) {
    c.seek(save);
    return;
  }
  if (c.consume(' ')) {
    const std::size_t args_start = c.pos();
    if (!parse_values(c, out.code_args, ']', 0)) {
      out.code_args.clear();
      c.seek(args_start);
      const auto close = c.rest().find(']');
      if (close == std::string_view::npos) {
        c.seek(save);
        return;
      }
      value raw;
      raw.text = std::string(c.take(close));
      out.code_args.push_back(std::move(raw));
      c.advance();  // ']'
    }
  } else {
    c.advance();  // ']'
  }
  out.code = upper(code);
  c.consume(' ');
}

// After the status name: optional `[code]`, then free text (never tokenized: may hold
// unbalanced quotes or parentheses).
bool parse_status_rest(cursor& c, response& out) {
  if (c.at_end()) return true;
  if (!c.consume(' ')) return false;
  if (c.peek() == '[') parse_code(c, out);
  out.text = std::string(c.rest());
  return true;
}

bool parse_response(std::string_view body, std::deque<std::string>& spilled, response& out) {
  cursor c(body, spilled);
  if (c.consume('+')) {
    out.type = response::kind::continuation;
    c.consume(' ');
    out.text = std::string(c.rest());
    return true;
  }
  if (c.consume('*')) {
    out.type = response::kind::untagged;
    if (!c.consume(' ')) return false;
  } else {
    out.type = response::kind::tagged;
    const std::size_t start = c.pos();
    // tag = 1*<ASTRING-CHAR except "+">; "]" is an ASTRING-CHAR.
    while (!c.at_end() && (is_atom_char(c.peek()) || c.peek() == ']') && c.peek() != '+') {
      c.advance();
    }
    out.tag = std::string(body.substr(start, c.pos() - start));
    if (out.tag.empty() || !c.consume(' ')) return false;
  }

  auto word = c.atom_run();
  if (word.empty()) return false;
  if (is_digit(word.front())) {
    std::uint64_t n = 0;
    if (out.type != response::kind::untagged ||
        !parse_uint(word, std::numeric_limits<std::uint32_t>::max(), n) || !c.consume(' ')) {
      return false;
    }
    out.number = static_cast<std::uint32_t>(n);
    word = c.atom_run();
    if (word.empty()) return false;
  }
  out.name = upper(word);

  if (out.type == response::kind::tagged) {
    if (out.name != "OK" && out.name != "NO" && out.name != "BAD") return false;
    return parse_status_rest(c, out);
  }
  if (is_status_name(out.name)) {
    // "* 3 OK" would pass response::is_status() without being one.
    return !out.number && parse_status_rest(c, out);
  }

  if (!c.at_end() && c.peek() != ' ') return false;
  if (!parse_values(c, out.data, '\0', 0)) return false;
  // Promise to the session: a FETCH carries exactly its one parenthesized item list.
  if (out.name == "FETCH") {
    return out.number && out.data.size() == 1 && out.data.front().type == value::kind::list;
  }
  return true;
}

}  // namespace

void response_parser::feed(std::string_view bytes) {
  if (failure_) return;  // the stream is dead; holding more of it would only cost memory
  compact();
  buffer_.append(bytes);
}

std::size_t response_parser::buffered() const {
  std::size_t n = buffer_.size() - consumed_;
  for (const auto& literal : spilled_) n += literal.size();
  return n;
}

void response_parser::reset() {
  spilled_.clear();
  spilling_ = false;
  std::string().swap(buffer_);
  consumed_ = scanned_ = line_start_ = 0;
  literal_left_ = text_bytes_ = literal_bytes_ = 0;
  failure_.clear();
}

void response_parser::compact() {
  if (consumed_ == 0 || consumed_ < buffer_.size() - consumed_) return;
  buffer_.erase(0, consumed_);
  scanned_ -= consumed_;
  line_start_ -= consumed_;
  consumed_ = 0;
  if (buffer_.capacity() > idle_capacity && buffer_.size() < idle_capacity / 4) {
    std::string(buffer_).swap(buffer_);
  }
}

response_parser::status response_parser::fail(error e, std::error_code& ec) {
  reset();
  failure_ = e;
  ec = failure_;
  return status::error;
}

// Invariant between calls: [consumed_, scanned_) is framed; if literal_left_ > 0 the scan is
// inside a literal, otherwise [line_start_, scanned_) is the current line with no LF in it.
response_parser::status response_parser::frame(std::size_t& body_end, std::size_t& response_end,
                                               std::error_code& ec) {
  // Clamped so that decimal accumulation up to `cap * 10 + 9` in literal_marker cannot wrap.
  constexpr std::size_t cap = std::numeric_limits<std::size_t>::max() / 16;
  const std::size_t max_line = std::min(limits_.max_line, cap);
  const std::size_t max_literal = std::min(limits_.max_literal, cap);
  for (;;) {
    if (literal_left_ > 0) {
      const std::size_t take = std::min(literal_left_, buffer_.size() - scanned_);
      if (spilling_) {
        spilled_.back().append(buffer_, scanned_, take);
        buffer_.erase(scanned_, take);
      } else {
        scanned_ += take;
      }
      literal_left_ -= take;
      if (literal_left_ > 0) return status::need_more;
      spilling_ = false;
      line_start_ = scanned_;
    }
    const std::size_t lf = buffer_.find('\n', scanned_);
    if (lf == std::string::npos) {
      scanned_ = buffer_.size();
      std::size_t partial = buffer_.size() - line_start_;
      if (partial > 0 && buffer_.back() == '\r') --partial;  // may be half of the CRLF
      if (text_bytes_ + partial > max_line) return fail(error::line_too_long, ec);
      return status::need_more;
    }
    std::size_t end = lf;
    if (end > line_start_ && buffer_[end - 1] == '\r') --end;
    text_bytes_ += end - line_start_;
    if (text_bytes_ > max_line) return fail(error::line_too_long, ec);

    const std::string_view line(buffer_.data() + line_start_, end - line_start_);
    std::size_t n = 0;
    if (!literal_marker(line, max_literal, n)) {
      body_end = end;
      response_end = lf + 1;
      return status::ok;
    }
    if (n > max_literal - literal_bytes_) return fail(error::literal_too_large, ec);
    literal_bytes_ += n;
    literal_left_ = n;
    scanned_ = lf + 1;
    line_start_ = scanned_;
    spilling_ = n >= spill_threshold;
    if (spilling_) spilled_.emplace_back().reserve(n);
  }
}

response_parser::status response_parser::next(response& out, std::error_code& ec) {
  if (failure_) {
    ec = failure_;
    return status::error;
  }
  std::size_t body_end = 0;
  std::size_t response_end = 0;
  const status framed = frame(body_end, response_end, ec);
  if (framed != status::ok) return framed;

  response parsed;
  const std::string_view body(buffer_.data() + consumed_, body_end - consumed_);
  if (!parse_response(body, spilled_, parsed) || !spilled_.empty())
    return fail(error::malformed_response, ec);
  out = std::move(parsed);

  consumed_ = scanned_ = line_start_ = response_end;
  text_bytes_ = literal_bytes_ = 0;
  if (consumed_ == buffer_.size()) {
    if (buffer_.capacity() > idle_capacity) {
      std::string().swap(buffer_);
    } else {
      buffer_.clear();
    }
    consumed_ = scanned_ = line_start_ = 0;
  }
  ec.clear();
  return status::ok;
}

}  // namespace tacmail::daemon::imap
