// Quoted-printable with mimetic's encoder, one line at a time: fed a whole text, mimetic turns
// to binary mode at the first 8-bit byte and encodes every later line break as =0A.
#include "tacmail/parser/mime_encode.hpp"

#include <mimetic/mimetic.h>

#include <iterator>

namespace tacmail::parser {

std::string quoted_printable_text(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (last && line.empty()) break;
    std::string encoded;
    mimetic::QP::Encoder qp;
    mimetic::encode(line.begin(), line.end(), qp, std::back_inserter(encoded));
    // mimetic's soft breaks are "=\n": mail wants CRLF.
    for (char c : encoded) {
      if (c == '\n')
        out += "\r\n";
      else
        out += c;
    }
    out += "\r\n";
    if (last) break;
    start = end + 1;
  }
  return out;
}

}  // namespace tacmail::parser
