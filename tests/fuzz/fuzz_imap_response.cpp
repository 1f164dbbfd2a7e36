// libFuzzer target for imap::response_parser: feeds the input whole and in data-derived chunks,
// and aborts if the two disagree (framing must not depend on how bytes arrive).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "imap/response_parser.hpp"

namespace {

using tacmail::daemon::imap::response;
using tacmail::daemon::imap::response_parser;
using tacmail::daemon::imap::value;

bool same(const value& a, const value& b) {
  if (a.type != b.type || a.text != b.text || a.number != b.number) return false;
  if (a.items.size() != b.items.size()) return false;
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    if (!same(a.items[i], b.items[i])) return false;
  }
  return true;
}

bool same(const std::vector<value>& a, const std::vector<value>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same(a[i], b[i])) return false;
  }
  return true;
}

bool same(const response& a, const response& b) {
  return a.type == b.type && a.tag == b.tag && a.name == b.name && a.number == b.number &&
         a.code == b.code && a.text == b.text && same(a.code_args, b.code_args) &&
         same(a.data, b.data);
}

struct outcome {
  std::vector<response> responses;
  std::error_code ec;  ///< empty when the run ended in need_more
};

// Drains next() until need_more or error; error is final.
bool drain(response_parser& p, outcome& out) {
  for (;;) {
    response r;
    const auto st = p.next(r, out.ec);
    if (st == response_parser::status::ok) {
      out.responses.push_back(std::move(r));
      continue;
    }
    return st == response_parser::status::need_more;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks limits small enough that both limit errors are reachable.
  response_parser::limits lim;
  if (data[0] & 1) {
    lim.max_literal = 64;
    lim.max_line = 128;
  }
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  outcome whole;
  response_parser a(lim);
  a.feed(input);
  drain(a, whole);

  // Chunk sizes come from the input bytes themselves: 1..16, cycling through the data.
  outcome chunked;
  response_parser b(lim);
  std::size_t pos = 0;
  std::size_t k = 0;
  while (pos < input.size()) {
    const std::size_t n = static_cast<std::size_t>(data[k++ % size] & 0x0f) + 1;
    b.feed(input.substr(pos, n));
    pos += n;
    if (!drain(b, chunked)) break;
  }

  if (whole.ec != chunked.ec || whole.responses.size() != chunked.responses.size()) std::abort();
  for (std::size_t i = 0; i < whole.responses.size(); ++i) {
    if (!same(whole.responses[i], chunked.responses[i])) std::abort();
  }
  // A failed parser holds nothing; a live one holds at most what was fed.
  if (whole.ec && a.buffered() != 0) std::abort();
  if (a.buffered() > input.size()) std::abort();
  return 0;
}
