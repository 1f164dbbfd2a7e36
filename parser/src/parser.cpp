// parse_message: runs the passes (MIME, headers, body choice, forward/reply structure, fields,
// product, severity, kind) and is the one place exceptions from the libraries are stopped.
#include "tacmail/parser/parser.hpp"

#include <algorithm>
#include <optional>

#include "body_text.hpp"
#include "charset.hpp"
#include "field_extractor.hpp"
#include "header_decoder.hpp"
#include "message_kind.hpp"
#include "mime_reader.hpp"
#include "product_matcher.hpp"
#include "request_text.hpp"
#include "severity.hpp"
#include "text_util.hpp"
#include "tnef_reader.hpp"

namespace tacmail::parser {
namespace {

using namespace detail;

// Header bytes that are not text (ids, dates, addresses) still end up in JSON: made valid UTF-8.
std::vector<std::string> utf8_ids(std::string_view value) {
  std::vector<std::string> ids = parse_message_ids(value);
  for (std::string& id : ids) id = valid_utf8(std::move(id));
  return ids;
}

void read_headers(const mime_part& root, parsed_message& msg) {
  if (const std::string* s = root.header("Subject")) msg.subject = decode_header_text(*s);
  if (const std::string* f = root.header("From")) {
    mailbox_address from = parse_mailbox(*f);
    if (from.address) msg.from_address = valid_utf8(*from.address);
    msg.from_name = std::move(from.name);
  }
  if (const std::string* id = root.header("Message-ID")) {
    std::vector<std::string> ids = utf8_ids(*id);
    if (!ids.empty()) msg.message_id = ids.front();
  }
  if (const std::string* v = root.header("In-Reply-To")) msg.in_reply_to = utf8_ids(*v);
  if (const std::string* v = root.header("References")) msg.references = utf8_ids(*v);
  if (const std::string* d = root.header("Date")) {
    std::string date = plain_header_text(*d);
    if (!date.empty()) msg.date = std::move(date);
  }
  if (const std::string* s = root.header("X-Auto-Response-Suppress")) {
    msg.auto_response_suppress = plain_header_text(*s);
  }
  for (const header_field& f : root.headers) {
    if (iequals(f.name, "Authentication-Results")) {
      msg.authentication_results.push_back(plain_header_text(f.value));
    }
  }
}

// The header block alone, so an over-limit message still says who sent it and which it is.
void read_headers_only(std::string_view raw, const parse_limits& limits, parsed_message& msg) {
  std::size_t end = raw.find("\n\n");
  std::size_t crlf = raw.find("\r\n\r\n");
  if (crlf != raw.npos && (end == raw.npos || crlf < end)) end = crlf;
  if (end == raw.npos || end > 256 * 1024) return;
  parse_limits header_limits = limits;
  header_limits.max_message_bytes = end + 4;
  mime_read_result headers = read_mime(raw.substr(0, end + 1), header_limits);
  if (headers.root) read_headers(*headers.root, msg);
}

// A message/rfc822 part directly under the root: a mail forwarded as an attachment.
const mime_part* attached_message(const mime_part& root) {
  for (const mime_part& child : root.children) {
    if (child.media_type_is("message/rfc822") && !child.children.empty()) {
      return &child.children.front();
    }
  }
  return nullptr;
}

void set_if(std::optional<std::string>& to, std::optional<std::string>& from) {
  if (from) to = std::move(from);
}

// Moves the fields of the request over; product and the severity inputs stay in `f`.
void fill_fields(extracted_fields& f, parsed_message& msg) {
  set_if(msg.company, f.company);
  set_if(msg.contact_name, f.contact_name);
  set_if(msg.contact_phone, f.contact_phone);
  set_if(msg.cco_id, f.cco_id);
  set_if(msg.contact_email, f.contact_email);
  set_if(msg.contract, f.contract);
  set_if(msg.smart_account, f.smart_account);
  set_if(msg.virtual_account, f.virtual_account);
  set_if(msg.description, f.description);
  set_if(msg.location, f.location);
  set_if(msg.alt_contact_name, f.alt_contact_name);
  set_if(msg.alt_contact_phone, f.alt_contact_phone);
}

void list_missing(parsed_message& msg) {
  auto need = [&](const std::optional<std::string>& v, const char* name) {
    if (!v) msg.missing.emplace_back(name);
  };
  need(msg.company, "company");
  need(msg.contact_name, "contact_name");
  need(msg.contact_phone, "contact_phone");
  if (!msg.contract && !(msg.smart_account && msg.virtual_account))
    msg.missing.emplace_back("contract");
  need(msg.product, "product");
  need(msg.description, "description");
}

// Where the request was read from, when it is not simply the chosen body.
struct request_source {
  std::string request;     ///< the text fields were read from, quotes and signature cut
  std::string body_text;   ///< the decoded body that text came from, unless from_body
  bool from_body = false;  ///< the request is in the chosen body: its text is body_choice::text
  extracted_fields fields;
  std::optional<std::string> forwarded_from;  ///< sender of a forwarded request
  std::optional<std::string> forwarded_subject;
  std::string note;  ///< a warning saying where the request was found, if not in the body
};

// The request is the sender's own text, unless they only forward someone else's mail (inline
// or attached), or it sits in another text part (a winmail.dat body).
request_source locate_request(const mime_part& root, const body_choice& body,
                              const label_table& labels) {
  const std::string& body_text = body.text;
  request_source own;
  own.request = strip_reply(body_text);
  own.fields = extract_fields(own.request, labels);
  own.from_body = true;
  if (own.fields.count > 0) return own;

  if (std::optional<inline_forward> fwd = split_forward(body_text)) {
    request_source inner;
    inner.request = strip_reply(fwd->forwarded);
    inner.fields = extract_fields(inner.request, labels);
    if (inner.fields.count > 0) {
      inner.from_body = true;
      if (fwd->from) {
        if (auto address = parse_mailbox(*fwd->from).address)
          inner.forwarded_from = valid_utf8(*address);
      }
      inner.forwarded_subject = fwd->subject;
      inner.note = "read the request from the forwarded message";
      return inner;
    }
  }
  if (const mime_part* message = attached_message(root)) {
    request_source inner;
    inner.body_text = select_body(*message).text;
    inner.request = strip_reply(inner.body_text);
    inner.fields = extract_fields(inner.request, labels);
    if (inner.fields.count > 0) {
      if (const std::string* f = message->header("From")) {
        if (auto address = parse_mailbox(*f).address) inner.forwarded_from = valid_utf8(*address);
      }
      if (const std::string* s = message->header("Subject")) {
        inner.forwarded_subject = decode_header_text(*s);
      }
      inner.note = "read the request from the attached message";
      return inner;
    }
  }
  // The other renderings of the chosen body (its multipart/alternative siblings) hold the same
  // text, so they are read only when a line of it looks like a table row a plain rendering
  // flattened ("Company name Acme"), which the HTML may still show as cells.
  const mime_part* chosen = has_flattened_label(own.request, labels) ? nullptr : body.part;
  for (const mime_part* part : text_parts(root, chosen)) {
    // The chosen body was read above (an HTML one costs a second parse for the same answer).
    if (part == body.part) continue;
    request_source other;
    other.body_text = part_text(*part).text;
    other.request = strip_reply(other.body_text);
    other.fields = extract_fields(other.request, labels);
    if (other.fields.count > 0) return other;
  }
  return own;
}

void parse_into(std::string_view raw, const config::product_catalog& catalog,
                const parse_limits& limits, const label_table& labels, parsed_message& msg) {
  mime_read_result mime = read_mime(raw, limits);
  if (!mime.root) {
    msg.kind = message_kind::unreadable;
    msg.warnings.push_back("unreadable: " + mime.error);
    if (mime.error.find("max_header_line") == std::string::npos)
      read_headers_only(raw, limits, msg);
    return;
  }
  mime_part& root = *mime.root;
  for (std::string& w : mime.warnings) msg.warnings.push_back(std::move(w));
  for (std::string& w : unpack_tnef(root)) msg.warnings.push_back(std::move(w));
  read_headers(root, msg);

  body_choice body = select_body(root);
  for (std::string& w : body.warnings) msg.warnings.push_back(std::move(w));
  if (!msg.from_address && msg.subject.empty() && !msg.message_id && trim(body.text).empty()) {
    msg.kind = message_kind::unreadable;
    msg.warnings.push_back("unreadable: no message headers and no text found");
    return;
  }

  request_source source = locate_request(root, body, labels);
  if (!source.note.empty()) msg.warnings.push_back(source.note);
  // The chosen body's text is the message's, or the request was read from another text.
  const std::string* body_text = &body.text;
  if (source.from_body) {
    msg.body_text = std::move(body.text);
    body_text = &msg.body_text;
  } else {
    msg.body_text = std::move(source.body_text);
  }
  extracted_fields& fields = source.fields;
  const std::string& request = source.request;
  const std::optional<std::string>& forwarded_from = source.forwarded_from;
  const std::optional<std::string>& forwarded_subject = source.forwarded_subject;
  fill_fields(fields, msg);
  if (!msg.contact_email) {
    if (forwarded_from) {
      msg.contact_email = forwarded_from;
      msg.warnings.push_back("contact_email taken from the forwarded From");
    } else if (msg.from_address) {
      msg.contact_email = msg.from_address;
      msg.warnings.push_back("contact_email taken from From");
    }
  }

  msg.case_ref = find_case_ref(msg.subject, *body_text);

  // Product: the subject decides the queue; then the body's field; then any name it mentions.
  const product_index& products = product_index::of(catalog);
  msg.product = match_product(strip_subject_prefixes(msg.subject), products);
  if (!msg.product && fields.product) msg.product = match_product(*fields.product, products);
  if (!msg.product && forwarded_subject) {
    msg.product = match_product(strip_subject_prefixes(*forwarded_subject), products);
  }
  if (!msg.product) msg.product = product_mentioned(request, products);

  msg.kind = classify(root, msg.subject, msg.from_address, msg.case_ref.has_value());

  if (msg.kind == message_kind::new_case || msg.kind == message_kind::follow_up) {
    severity_result sev =
        decide_severity({fields.severity, fields.impact, fields.urgency, msg.subject, request});
    // An update that states no severity keeps the case's own: nothing is inferred for it.
    if (msg.kind == message_kind::new_case || !sev.inferred) {
      msg.severity = sev.severity;
      msg.severity_inferred = sev.inferred;
      for (std::string& w : sev.warnings) msg.warnings.push_back(std::move(w));
    }
  }
  if (msg.kind == message_kind::new_case) {
    list_missing(msg);
    if (trim(*body_text).empty()) msg.warnings.push_back("no text part found");
  }
  msg.attachments = list_attachments(root);
}

// The built-in synonyms plus a TAC's, and the warnings for those naming no field. Copying the
// built-in table costs more than parsing a mail, so each thread keeps the last one and reuses
// it while the synonyms are the same.
struct extended_labels {
  std::vector<label_synonym> synonyms;
  label_table table;
  std::vector<std::string> warnings;

  static const extended_labels& of(const label_table& builtin,
                                   const std::vector<label_synonym>& synonyms) {
    thread_local std::optional<extended_labels> cached;
    auto same = [&] {
      return std::equal(synonyms.begin(), synonyms.end(), cached->synonyms.begin(),
                        cached->synonyms.end(), [](const label_synonym& a, const label_synonym& b) {
                          return a.field == b.field && a.label == b.label;
                        });
    };
    if (!cached || !same()) {
      cached.reset();
      extended_labels built{synonyms, builtin, {}};
      for (const label_synonym& s : synonyms) {
        if (!built.table.add(s.field, s.label)) {
          built.warnings.push_back("label synonym \"" + s.label + "\" names no field \"" + s.field +
                                   "\"");
        }
      }
      cached = std::move(built);
    }
    return *cached;
  }
};

}  // namespace

parsed_message parse_message(std::string_view raw, const config::product_catalog& catalog,
                             const parse_options& options) {
  parsed_message msg;
  try {
    // The built-in synonyms are the same for every message: build them once.
    static const label_table builtin;
    const label_table* labels = &builtin;
    if (!options.labels.empty()) {
      const extended_labels& extended = extended_labels::of(builtin, options.labels);
      labels = &extended.table;
      msg.warnings = extended.warnings;
    }
    parse_into(raw, catalog, options.limits, *labels, msg);
    // Warnings quote header bytes (charset labels, names): they go to JSON and logs too.
    for (std::string& w : msg.warnings) {
      w = valid_utf8(std::move(w));
    }
  } catch (const std::exception& e) {
    msg.kind = message_kind::unreadable;
    msg.warnings.push_back(std::string("unreadable: ") + e.what());
  } catch (...) {
    msg.kind = message_kind::unreadable;
    msg.warnings.push_back("unreadable: unexpected error");
  }
  return msg;
}

parsed_message parse_message(std::string_view raw, const config::product_catalog& catalog,
                             const parse_limits& limits) {
  return parse_message(raw, catalog, parse_options{limits, {}});
}

parse_options parse_options_of(const config::settings& settings) {
  parse_options options;
  options.limits = {settings.limits.max_message_size, settings.limits.max_mime_depth,
                    settings.limits.max_parts, settings.limits.max_header_line};
  for (const auto& [field, labels] : settings.routing.labels)
    for (const auto& label : labels) options.labels.push_back({field, label});
  return options;
}

}  // namespace tacmail::parser
