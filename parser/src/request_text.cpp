// Reply and forward structure of plain text, recognised by the markers the common clients
// (Gmail, Outlook, Apple Mail, Thunderbird) write.
#include "request_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <utility>
#include <vector>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

constexpr icase_needle forwarded("forwarded message");
constexpr icase_needle original("original message");
constexpr icase_needle weitergeleitet("weitergeleitete nachricht");
constexpr icase_needle transfere("message transf");

// `t` is a trimmed line.
bool is_forward_marker(std::string_view t) {
  // Also finds "Begin forwarded message".
  if (forwarded.found_in(t)) return true;
  // The other markers are dashed: "-----Original Message-----", "-- Weitergeleitete Nachricht".
  const std::size_t dash = t.find("--");
  if (dash == t.npos) return false;
  return original.found_in(t) ||
         (dash == 0 && (weitergeleitet.found_in(t) || transfere.found_in(t)));
}

// "On Mon, 3 Jun 2024 at 10:00, Jane <jane@x.com> wrote:" (maybe wrapped over two lines), and
// the German/French/Spanish forms.
// `t` is lines[i] trimmed.
bool is_attribution(const std::vector<std::string_view>& lines, std::size_t i, std::string_view t) {
  if (t.size() < 3) return false;
  const char first = ascii_lower(t[0]);
  if (first != 'o' && first != 'a' && first != 'l' && first != 'e') return false;
  const bool starts = istarts_with(t, "on ") || istarts_with(t, "am ") || istarts_with(t, "le ") ||
                      istarts_with(t, "el ");
  if (!starts) return false;
  auto ends_quote = [](std::string_view l) {
    l = trim(l);
    return (l.size() >= 6 && iequals(l.substr(l.size() - 6), "wrote:")) ||
           (l.size() >= 8 && iequals(l.substr(l.size() - 8), "schrieb:")) ||
           ifind(l, "crit :") != l.npos || ifind(l, "crit:") != l.npos ||
           (l.size() >= 9 && iequals(l.substr(l.size() - 9), "escribió:"));
  };
  if (ends_quote(t)) return true;
  return i + 1 < lines.size() && ends_quote(lines[i + 1]);
}

// Outlook's quote header: "From: ..." then "Sent:"/"Date:" within the next lines.
// `t` is lines[i] trimmed.
bool is_outlook_header(const std::vector<std::string_view>& lines, std::size_t i,
                       std::string_view t) {
  if (t.size() < 3) return false;
  const char first = ascii_lower(t[0]);
  if (first != 'f' && first != 'v' && first != 'd') return false;
  if (!istarts_with(t, "from:") && !istarts_with(t, "von:") && !istarts_with(t, "de :") &&
      !istarts_with(t, "de:")) {
    return false;
  }
  for (std::size_t j = i + 1; j < lines.size() && j <= i + 3; ++j) {
    std::string_view n = trim(lines[j]);
    if (istarts_with(n, "sent:") || istarts_with(n, "date:") || istarts_with(n, "gesendet:") ||
        istarts_with(n, "envoy")) {
      return true;
    }
  }
  return false;
}

// Where what the sender typed ends: mobile-client taglines, ticket-system footers, legal text.
// `t` is a trimmed line.
bool is_disclaimer(std::string_view t) {
  static const word_set taglines{"sent from my ",
                                 "sent from mail for windows",
                                 "sent from outlook for ",
                                 "get outlook for ",
                                 "sent from yahoo mail",
                                 "von meinem iphone gesendet",
                                 "von meinem ipad gesendet",
                                 "envoy\xC3\xA9 de mon ",
                                 "enviado desde mi ",
                                 "inviato da ",
                                 "this is an automated ",
                                 "this message was sent by ",
                                 "this message was sent automatically",
                                 "please do not reply to this",
                                 "do not reply to this",
                                 "this e-mail and any attachments",
                                 "this email and any attachments",
                                 "this message and any attachments",
                                 "this email is confidential",
                                 "confidentiality notice",
                                 "disclaimer:",
                                 "the information contained in this"};
  return taglines.at(t, 0) != 0;
}

std::string join(const std::vector<std::string_view>& lines, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to && i < lines.size(); ++i) {
    out.append(lines[i]);
    out.push_back('\n');
  }
  return tidy_text(std::move(out));
}

}  // namespace

std::string strip_reply(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(text);
  std::string out;
  out.reserve(text.size() + 1);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const std::string_view t = trim(line);
    if (line == "-- " || line == "--" || t == "________________________________" ||
        is_attribution(lines, i, t) || is_outlook_header(lines, i, t) || is_disclaimer(t) ||
        is_forward_marker(t)) {
      break;
    }
    if (!t.empty() && t.front() == '>') continue;
    out.append(line);
    out.push_back('\n');
  }
  return tidy_text(std::move(out));
}

std::optional<inline_forward> split_forward(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view t = trim(lines[i]);
    const bool marker = is_forward_marker(t);
    // Outlook forwards with a rule and a From:/Sent: block, no "forwarded" words.
    const bool outlook = !marker && t == "________________________________" &&
                         i + 1 < lines.size() &&
                         is_outlook_header(lines, i + 1, trim(lines[i + 1]));
    if (!marker && !outlook) continue;
    inline_forward fwd;
    fwd.note = join(lines, 0, i);
    // Apple Mail quotes what it forwards: take one level of "> " off the rest.
    std::vector<std::string_view> rest(lines.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                       lines.end());
    const auto first =
        std::find_if(rest.begin(), rest.end(), [](std::string_view l) { return !trim(l).empty(); });
    if (first != rest.end() && first->front() == '>') {
      for (std::string_view& l : rest) {
        if (!l.empty() && l.front() == '>') l.remove_prefix(1);
        if (!l.empty() && l.front() == ' ') l.remove_prefix(1);
      }
    }
    // The forwarded header block: "From:", "Date:", "Subject:", "To:" ... up to a blank line.
    std::size_t j = 0;
    while (j < rest.size() && trim(rest[j]).empty()) ++j;
    for (; j < rest.size(); ++j) {
      std::string_view l = trim(rest[j]);
      if (l.empty()) break;
      std::size_t colon = l.find(':');
      if (colon == l.npos || colon > 20) break;
      std::string_view name = trim(l.substr(0, colon));
      std::string_view value = trim(l.substr(colon + 1));
      if (iequals(name, "from") || iequals(name, "von") || iequals(name, "de")) {
        fwd.from = std::string(value);
      } else if (iequals(name, "subject") || iequals(name, "betreff") || iequals(name, "objet")) {
        fwd.subject = std::string(value);
      }
    }
    fwd.forwarded = join(rest, j, rest.size());
    return fwd;
  }
  return std::nullopt;
}

}  // namespace tacmail::parser::detail
