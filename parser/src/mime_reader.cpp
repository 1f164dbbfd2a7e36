// mimetic -> mime_part tree. Limits are checked before mimetic sees the bytes (size, header
// line length, part count bounds its recursion) and again on the tree it built (depth, parts).
// Header fields and leaf bodies are not copied out of mimetic: its parser records them as it
// reads (entity_record.hpp), bodies as views transfer-decoded from there (transfer_decode.hpp).
#include "mime_reader.hpp"

#include <mimetic/mimetic.h>

#include <algorithm>

#include "charset.hpp"
#include "entity_record.hpp"
#include "header_decoder.hpp"
#include "text_util.hpp"
#include "tnef_reader.hpp"
#include "transfer_decode.hpp"

namespace tacmail::parser::detail {
namespace {

std::vector<mime_param> to_params(const mimetic::FieldParamList& list) {
  std::vector<mime_param> params;
  params.reserve(list.size());
  for (const auto& p : list) {
    std::string value = p.value();
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    params.push_back({to_lower(p.name()), std::move(value)});
  }
  return params;
}

struct converter {
  const parse_limits& limits;
  entity_record& record;
  int parts = 0;
  int max_depth = 0;
  std::string error;

  mime_part convert(const mimetic::MimeEntity& entity, int depth) {
    mime_part part;
    ++parts;
    if (depth > max_depth) max_depth = depth;
    const mimetic::Header& h = entity.header();
    bool has_type = false;
    bool has_disposition = false;
    std::optional<std::string> encoding_field;  // the first Content-Transfer-Encoding
    entity_record::entry* read = record.find(entity);
    if (read != nullptr) part.headers = std::move(read->fields);
    for (header_field& f : part.headers) {
      if (f.value.size() + f.name.size() + 2 > limits.max_header_line && error.empty()) {
        error = "a header line is longer than max_header_line (" +
                std::to_string(limits.max_header_line) + " bytes)";
      }
      if (const std::string_view t = trim(f.value); t.size() != f.value.size()) f.value = t;
      has_type = has_type || iequals(f.name, "Content-Type");
      has_disposition = has_disposition || iequals(f.name, "Content-Disposition");
      if (!encoding_field && iequals(f.name, "Content-Transfer-Encoding")) encoding_field = f.value;
    }
    if (has_type) {
      const mimetic::ContentType& ct =
          read != nullptr && read->content_type != nullptr ? *read->content_type : h.contentType();
      if (!ct.type().empty()) {
        part.type = to_lower(ct.type());
        part.subtype = to_lower(ct.subtype());
      }
      part.type_params = to_params(ct.paramList());
    }
    if (has_disposition) {
      const mimetic::ContentDisposition& cd = h.contentDisposition();
      part.disposition = to_lower(cd.type());
      part.disposition_params = to_params(cd.paramList());
    }
    const mimetic::MimeEntityList& children = entity.body().parts();
    if (!children.empty() && (part.is_multipart() || part.media_type_is("message/rfc822"))) {
      part.children.reserve(
          std::min(children.size(), static_cast<std::size_t>(std::max(limits.max_parts, 0))));
      for (const mimetic::MimeEntity* child : children) {
        if (!error.empty()) break;
        if (parts >= limits.max_parts) {
          error = "more than max_parts (" + std::to_string(limits.max_parts) + ") MIME parts";
          break;
        }
        if (depth + 1 > limits.max_mime_depth) {
          error = "MIME nesting deeper than max_mime_depth (" +
                  std::to_string(limits.max_mime_depth) + ")";
          break;
        }
        part.children.push_back(convert(*child, depth + 1));
      }
    } else if (error.empty()) {
      // What h.contentTransferEncoding() parses, without its second search through the fields.
      std::string encoding;
      if (encoding_field) {
        encoding = std::string(trim(mimetic::ContentTransferEncoding(*encoding_field).mechanism()));
      }
      const std::string_view encoded =
          read != nullptr ? read->body_text() : std::string_view(entity.body());
      // A file is only listed (size, hash); winmail.dat is unpacked later and needs its bytes.
      if (part.is_attachment() && !is_tnef(part)) {
        part.digest = decoded_digest(encoded, encoding);
      } else {
        part.body = transfer_decoded(encoded, encoding);
      }
    }
    return part;
  }
};

// Checks the limits mimetic cannot be trusted with, on the raw bytes. `empty_line` tells
// whether a line ended by LF is empty (CR aside): whether a header block ends somewhere.
std::string precheck(std::string_view raw, const parse_limits& limits, bool& empty_line) {
  empty_line = false;
  if (raw.size() > limits.max_message_bytes) {
    return "message is " + std::to_string(raw.size()) + " bytes, over max_message_bytes (" +
           std::to_string(limits.max_message_bytes) + ")";
  }
  // Every line is checked while in a header block: the top one, and any that follows a
  // boundary line; body lines may be long (base64 without line breaks is common).
  bool in_header = true;
  std::size_t content_types = 0;
  // mimetic grows a header value 128 bytes at a time (quadratic), so a folded field is bounded
  // too: at most 16 lines' worth of max_header_line.
  const std::size_t max_field = 16 * limits.max_header_line;
  std::size_t field_size = 0;
  std::size_t start = 0;
  while (start < raw.size()) {
    std::size_t nl = raw.find('\n', start);
    std::size_t end = nl == std::string_view::npos ? raw.size() : nl;
    std::string_view line = raw.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (in_header && line.size() > limits.max_header_line) {
      return "a header line is longer than max_header_line (" +
             std::to_string(limits.max_header_line) + " bytes)";
    }
    if (in_header) {
      const bool folded = !line.empty() && (line[0] == ' ' || line[0] == '\t');
      field_size = folded ? field_size + line.size() : line.size();
      if (field_size > max_field) {
        return "a header field with its folded lines is longer than 16 x max_header_line (" +
               std::to_string(max_field) + " bytes)";
      }
    }
    if (line.empty()) {
      in_header = false;
      empty_line = empty_line || nl != std::string_view::npos;
    } else if (line.size() > 2 && line[0] == '-' && line[1] == '-') {
      in_header = true;
    }
    // mimetic recurses once per multipart or message/rfc822 entity, and each needs its own
    // Content-Type line: bounding their number bounds its stack and the part count.
    if (istarts_with(line, "content-type:") &&
        ++content_types > static_cast<std::size_t>(limits.max_parts)) {
      return "more than max_parts (" + std::to_string(limits.max_parts) + ") MIME parts";
    }
    start = end + 1;
  }
  return {};
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// A parameter's plain value (`name=`) and whether RFC 2231 pieces (`name*`, `name*0`, ...) of
// it are present; `key` is lower case, as stored names are.
struct param_lookup {
  const mime_param* plain = nullptr;
  bool has_pieces = false;
};

// The index of an RFC 2231 piece named `param_name` of `key` (-1: `key*`), or none.
std::optional<int> piece_index(std::string_view param_name, std::string_view key) {
  if (param_name.size() <= key.size() || !param_name.starts_with(key) ||
      param_name[key.size()] != '*') {
    return std::nullopt;
  }
  std::string_view rest = param_name.substr(key.size() + 1);
  if (rest.empty()) return -1;
  int index = 0;
  std::size_t i = 0;
  for (; i < rest.size() && is_digit(rest[i]) && index < 10000; ++i)
    index = index * 10 + (rest[i] - '0');
  if (i == 0 || (i < rest.size() && rest.substr(i) != "*")) return std::nullopt;
  return index;
}

param_lookup look_up(const std::vector<mime_param>& params, std::string_view key) {
  param_lookup found;
  for (const mime_param& p : params) {
    if (p.name == key) {
      if (found.plain == nullptr) found.plain = &p;
    } else if (!found.has_pieces && piece_index(p.name, key)) {
      found.has_pieces = true;
    }
  }
  return found;
}

// `name` lower-cased, in `storage` only if it had upper-case letters.
std::string_view lower_key(std::string_view name, std::string& storage) {
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      storage = to_lower(name);
      return storage;
    }
  }
  return name;
}

// find_param(params, key) is set and not blank; a plain value is looked at where it lies.
bool has_nonblank_param(const std::vector<mime_param>& params, std::string_view key) {
  const param_lookup found = look_up(params, key);
  if (!found.has_pieces) return found.plain != nullptr && !trim(found.plain->value).empty();
  const std::optional<std::string> value = find_param(params, key);
  return value && !trim(*value).empty();
}

}  // namespace

std::optional<std::string> find_param(const std::vector<mime_param>& params,
                                      std::string_view name) {
  std::string key_storage;
  const std::string_view key = lower_key(name, key_storage);
  // Most parameters are plain: no pieces to gather, no charset to convert.
  const param_lookup found = look_up(params, key);
  if (!found.has_pieces) {
    if (found.plain == nullptr) return std::nullopt;
    return found.plain->value;
  }
  // RFC 2231: name*=charset'lang'value, or name*0[*]=, name*1[*]=, ... in any order.
  std::vector<std::pair<int, const mime_param*>> pieces;
  for (const mime_param& p : params) {
    if (p.name == key) continue;
    if (std::optional<int> index = piece_index(p.name, key)) pieces.push_back({*index, &p});
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string charset;
  std::string bytes;
  for (std::size_t n = 0; n < pieces.size(); ++n) {
    const mime_param& p = *pieces[n].second;
    const bool extended = p.name.back() == '*';
    std::string_view value = p.value;
    if (extended && n == 0) {
      // charset'language'text
      std::size_t q1 = value.find('\'');
      std::size_t q2 = q1 == value.npos ? value.npos : value.find('\'', q1 + 1);
      if (q2 != value.npos) {
        charset = std::string(value.substr(0, q1));
        value = value.substr(q2 + 1);
      }
    }
    bytes += extended ? percent_decode(value) : std::string(value);
  }
  return to_utf8(bytes, charset).text;
}

bool mime_part::is_attachment() const {
  if (is_multipart()) return false;
  if (disposition == "attachment") return true;
  // A named text part shown inline is still the message text only if it is not a file.
  return has_filename();
}

bool mime_part::has_filename() const {
  return has_nonblank_param(disposition_params, "filename") ||
         has_nonblank_param(type_params, "name");
}

const std::string* mime_part::header(std::string_view name) const {
  for (const header_field& f : headers) {
    if (iequals(f.name, name)) return &f.value;
  }
  return nullptr;
}

std::optional<std::string> mime_part::type_param(std::string_view name) const {
  return find_param(type_params, name);
}

std::optional<std::string> mime_part::disposition_param(std::string_view name) const {
  return find_param(disposition_params, name);
}

std::optional<std::string> mime_part::filename() const {
  if (auto name = disposition_param("filename")) {
    if (!trim(*name).empty()) return decode_header_text(*name);
  }
  if (auto name = type_param("name")) {
    if (!trim(*name).empty()) return decode_header_text(*name);
  }
  return std::nullopt;
}

mime_read_result read_mime(std::string_view raw, const parse_limits& limits) {
  mime_read_result result;
  // mimetic drops the header field still pending at the end of input when no empty line ends
  // the header (a message that is only headers): end it ourselves.
  bool has_end = false;
  result.error = precheck(raw, limits, has_end);
  if (!result.error.empty()) return result;
  std::string terminated;
  if (!has_end) {
    terminated.assign(raw);
    if (!terminated.empty() && terminated.back() != '\n') terminated += "\r\n";
    terminated += "\r\n";
    raw = terminated;
  }
  try {
    entity_record record;
    // Preamble and epilogue are never read: not kept.
    mimetic::MimeEntity entity(raw_iterator(raw.data(), &record),
                               raw_iterator(raw.data() + raw.size(), &record),
                               mimetic::imPreamble | mimetic::imEpilogue);
    converter conv{limits, record, 0, 0, {}};
    mime_part root = conv.convert(entity, 0);
    if (!conv.error.empty()) {
      result.error = conv.error;
      return result;
    }
    if (root.headers.empty() && root.children.empty() && trim(root.body).empty()) {
      result.error = "no headers and no body";
      return result;
    }
    result.root = std::move(root);
  } catch (const std::exception& e) {
    result.error = std::string("MIME structure could not be read: ") + e.what();
  } catch (...) {
    result.error = "MIME structure could not be read";
  }
  return result;
}

}  // namespace tacmail::parser::detail
