// Body selection and attachment listing over the mime_part tree.
#include "body_text.hpp"

#include "charset.hpp"
#include "html_text.hpp"
#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

bool is_text_body(const mime_part& part, std::string_view subtype) {
  return part.type == "text" && part.subtype == subtype && !part.is_attachment();
}

// RFC 3676: a line ending in a space continues on the next; leading space-stuffing is removed.
std::string unflow(std::string_view text, bool delsp) {
  std::string out;
  for (std::string_view line : split_lines(text)) {
    const bool quoted = !line.empty() && line.front() == '>';
    if (!quoted && !line.empty() && line.front() == ' ') line.remove_prefix(1);
    const bool soft = !line.empty() && line.back() == ' ' && line != "-- ";
    if (soft && delsp) line.remove_suffix(1);
    out.append(line);
    if (!soft) out.push_back('\n');
  }
  return out;
}

// A plain alternative that only says "view this in HTML" is not the request.
bool is_stub(std::string_view text) {
  std::string_view t = trim(text);
  if (t.empty()) return true;
  if (t.size() > 200) return false;
  return ifind(t, "html") != t.npos || t.size() < 8;
}

const mime_part* find_first(const mime_part& part, std::string_view subtype) {
  if (is_text_body(part, subtype)) return &part;
  if (!part.is_multipart()) return nullptr;
  for (const mime_part& child : part.children) {
    const mime_part* found = find_first(child, subtype);
    if (found != nullptr) return found;
  }
  return nullptr;
}

void collect_attachments(const mime_part& part, std::vector<attachment>& out) {
  if (part.media_type_is("message/rfc822")) {
    for (const mime_part& child : part.children) collect_attachments(child, out);
    return;
  }
  if (part.is_multipart()) {
    for (const mime_part& child : part.children) collect_attachments(child, out);
    return;
  }
  if (!part.is_attachment()) return;
  attachment a;
  a.name = part.filename().value_or("");
  a.type = valid_utf8(part.media_type());
  body_digest digest = part.digest ? *part.digest : digest_of(part.body);
  a.size = digest.size;
  a.sha256 = std::move(digest.sha256);
  out.push_back(std::move(a));
}

}  // namespace

body_choice part_text(const mime_part& part) {
  body_choice choice;
  choice.part = &part;
  const std::string charset = part.type_param("charset").value_or("");
  std::string storage;  // the converted text, when it is not the body as it stands
  const utf8_view converted = to_utf8_view(part.body, charset, storage);
  if (converted.replaced) {
    choice.warnings.push_back("invalid bytes in " + part.media_type() + " (" +
                              (charset.empty() ? std::string("unlabeled") : charset) +
                              ") replaced with U+FFFD");
  } else if (converted.detected && !is_ascii(part.body)) {
    choice.warnings.push_back("charset of " + part.media_type() + " detected as " +
                              converted.charset_used + " (labeled " +
                              (charset.empty() ? std::string("none") : charset) + ")");
  }
  if (part.subtype == "html") {
    html_text_result html = html_to_text(converted.text);
    if (html.truncated) choice.warnings.push_back("HTML too large: only its start was read");
    choice.text = std::move(html.text);
    return choice;
  }
  if (iequals(part.type_param("format").value_or(""), "flowed")) {
    choice.text =
        tidy_text(unflow(converted.text, iequals(part.type_param("delsp").value_or(""), "yes")));
  } else {
    choice.text = tidy_text(converted.text);
  }
  return choice;
}

body_choice select_body(const mime_part& part) {
  if (part.media_type_is("message/rfc822") && !part.children.empty()) {
    return select_body(part.children.front());
  }
  const mime_part* plain = find_first(part, "plain");
  const mime_part* html = find_first(part, "html");
  if (plain != nullptr) {
    body_choice choice = part_text(*plain);
    if (html == nullptr || !is_stub(choice.text)) return choice;
  }
  if (html != nullptr) return part_text(*html);
  // No text part at all (e.g. a lone attachment, or an enriched type): nothing to read.
  return {};
}

static bool holds(const mime_part& part, const mime_part* target) {
  if (&part == target) return true;
  if (!part.is_multipart()) return false;
  for (const mime_part& child : part.children) {
    if (holds(child, target)) return true;
  }
  return false;
}

// In a multipart/alternative that holds `chosen`, the other children are the same content in
// another form (RFC 2046 5.1.4): only the chosen one's branch is walked.
static void collect_text_parts(const mime_part& part, const mime_part* chosen,
                               std::vector<const mime_part*>& out) {
  if (is_text_body(part, "plain") || is_text_body(part, "html")) out.push_back(&part);
  if (!part.is_multipart()) return;
  if (part.subtype == "alternative" && chosen != nullptr) {
    for (const mime_part& child : part.children) {
      if (holds(child, chosen)) {
        collect_text_parts(child, chosen, out);
        return;
      }
    }
  }
  for (const mime_part& child : part.children) collect_text_parts(child, chosen, out);
}

std::vector<const mime_part*> text_parts(const mime_part& root, const mime_part* chosen) {
  std::vector<const mime_part*> out;
  collect_text_parts(root, chosen, out);
  return out;
}

std::vector<attachment> list_attachments(const mime_part& root) {
  std::vector<attachment> out;
  collect_attachments(root, out);
  return out;
}

}  // namespace tacmail::parser::detail
