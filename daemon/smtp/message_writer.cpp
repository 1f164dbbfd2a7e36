// RFC 5322 serialisation of replies, with header sanitising and RFC 2047 / base64 encoding.
#include "smtp/message_writer.hpp"

#include <date/date.h>

#include <algorithm>
#include <regex>

#include "base64.hpp"
#include "tacmail/parser/mime_encode.hpp"

namespace tacmail::daemon::smtp {

namespace {

// Header text from mail: line breaks and NUL become spaces, other controls vanish.
std::string clean_header_text(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\r' || c == '\n' || c == '\t' || c == '\0')
      out += ' ';
    else if (c >= 0x20 && c != 0x7f)
      out += static_cast<char>(c);
  }
  return out;
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x80; });
}

// `end` moved back to the start of the UTF-8 sequence it falls in: at most 3 bytes, and never
// to `floor` or before, so invalid UTF-8 (a run of continuation bytes) still makes progress.
std::size_t char_boundary(std::string_view text, std::size_t end, std::size_t floor) {
  for (int i = 0; i < 3 && end > floor + 1 && end < text.size() &&
                  (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80;
       ++i)
    --end;
  return end;
}

// RFC 2047 B-encoding in words of at most 75 characters, never splitting a UTF-8 sequence.
std::string encode_words(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = char_boundary(text, std::min(text.size(), pos + 45), pos);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(pos, end - pos)) + "?=";
    pos = end;
  }
  return out;
}

// `text` cut to at most `limit` bytes, never inside a UTF-8 sequence.
std::string capped(std::string text, std::size_t limit) {
  if (text.size() > limit) text.resize(char_boundary(text, limit, 0));
  return text;
}

// "Technical Support <tac@example.com>": a non-ASCII display name is RFC 2047-encoded, the
// address kept as written.
std::string from_field(std::string_view from_header) {
  std::string clean = capped(clean_header_text(from_header), 900);
  const auto open = clean.rfind('<');
  if (is_ascii(clean) || open == std::string::npos) return clean;
  std::string name = clean.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  return encode_words(name) + " " + clean.substr(open);
}

std::string header_value(std::string_view text) {
  const std::string clean = capped(clean_header_text(text), 900);
  return is_ascii(clean) ? clean : encode_words(clean);
}

// Message ids keep only the characters RFC 5322's msg-id allows.
std::string clean_message_id(std::string_view id) {
  std::string out;
  for (unsigned char c : id)
    if (std::isalnum(c) || std::string_view("!#$%&'*+/=?^_`{|}~.@-").find(static_cast<char>(c)) !=
                               std::string_view::npos)
      out += static_cast<char>(c);
  return out.size() > 250 ? std::string() : out;
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    const std::string clean = clean_message_id(id);
    if (clean.empty()) continue;
    if (!out.empty()) out += "\r\n ";
    out += "<" + clean + ">";
  }
  return out;
}

std::string crlf_body(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r') continue;
    if (body[i] == '\n') out += "\r\n";
    else out += body[i];
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

bool lines_short(std::string_view text) {
  std::size_t line = 0;
  for (char c : text) {
    line = c == '\n' ? 0 : line + 1;
    if (line > 998) return false;
  }
  return true;
}

}  // namespace

bool valid_address(std::string_view address) {
  // A deliberately plain addr-spec: dot-atom local part, a dotted domain of letters/digits.
  static const std::regex pattern(
      R"(^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$)");
  return address.size() <= 254 && std::regex_match(address.begin(), address.end(), pattern);
}

std::optional<std::string> address_of(std::string_view from_header) {
  std::string_view inner = from_header;
  const auto open = from_header.rfind('<');
  const auto close = from_header.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open)
    inner = from_header.substr(open + 1, close - open - 1);
  while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
  while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
  if (!valid_address(inner)) return std::nullopt;
  return std::string(inner);
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  return date::format("%a, %d %b %Y %H:%M:%S +0000", std::chrono::floor<std::chrono::seconds>(t));
}

std::string write_reply(const routing::reply_content& reply, const std::string& from_header,
                        const std::string& message_id, std::chrono::system_clock::time_point date) {
  std::string m;
  m += "From: " + from_field(from_header) + "\r\n";
  m += "To: <" + capped(clean_header_text(reply.to_address), 254) + ">\r\n";
  m += "Subject: " + header_value(reply.subject) + "\r\n";
  m += "Date: " + rfc5322_date(date) + "\r\n";
  m += "Message-ID: <" + clean_message_id(message_id) + ">\r\n";
  if (const std::string irt = id_list(reply.in_reply_to); !irt.empty())
    m += "In-Reply-To: " + irt + "\r\n";
  if (const std::string refs = id_list(reply.references); !refs.empty())
    m += "References: " + refs + "\r\n";
  // RFC 3834: marks this as an automatic response so other responders do not answer it.
  m += "Auto-Submitted: auto-replied\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  if (is_ascii(reply.body) && lines_short(reply.body)) {
    m += "Content-Transfer-Encoding: 7bit\r\n\r\n";
    m += crlf_body(reply.body);
  } else {
    // Quoted-printable keeps the text readable in any client and every line short.
    m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    m += parser::quoted_printable_text(reply.body);
  }
  return m;
}

}  // namespace tacmail::daemon::smtp
