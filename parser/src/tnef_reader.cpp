// TNEF unpacking. libytnef is C and keeps everything in a TNEFStruct that TNEFFree releases;
// MAPI property values are read before it is freed and copied into mime_part values.
#include "tnef_reader.hpp"

// libytnef's header has no extern "C" of its own.
extern "C" {
#include <ytnef.h>
}

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string_view>

#include "charset.hpp"
#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

bool defined(const variableLength* v) {
  return v != nullptr && v != MAPI_UNDEFINED && v->data != nullptr && v->size > 0;
}

std::string bytes_of(const variableLength* v) {
  return std::string(reinterpret_cast<const char*>(v->data), static_cast<std::size_t>(v->size));
}

// A NUL-terminated 8-bit or UTF-16LE property value as UTF-8.
std::string string_prop(const variableLength* v, bool utf16, const std::string& codepage) {
  std::string raw = bytes_of(v);
  if (utf16) {
    while (raw.size() >= 2 && raw[raw.size() - 1] == '\0' && raw[raw.size() - 2] == '\0') {
      raw.resize(raw.size() - 2);
    }
    return to_utf8(raw, "UTF-16LE").text;
  }
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  return to_utf8(raw, codepage).text;
}

std::optional<std::string> find_string(MAPIProps* props, unsigned id, const std::string& codepage) {
  if (variableLength* v = MAPIFindProperty(props, PROP_TAG(PT_UNICODE, id)); defined(v)) {
    return string_prop(v, true, codepage);
  }
  if (variableLength* v = MAPIFindProperty(props, PROP_TAG(PT_STRING8, id)); defined(v)) {
    return string_prop(v, false, codepage);
  }
  return std::nullopt;
}

mime_part leaf(std::string type, std::string subtype, std::string body) {
  mime_part part;
  part.type = std::move(type);
  part.subtype = std::move(subtype);
  part.type_params.push_back({"charset", "utf-8"});
  part.body = std::move(body);
  return part;
}

// Sends C stdio's `stdout` to /dev/null for its lifetime. std::cout and spdlog keep the FILE
// they captured at start-up and are not affected; the mutex keeps two parses from interleaving
// the swap.
class quiet_stdout {
 public:
  quiet_stdout() : lock_(mutex()) {
    static FILE* const null_sink = std::fopen("/dev/null", "w");
    if (null_sink == nullptr) return;
    std::fflush(stdout);
    saved_ = stdout;
    stdout = null_sink;
  }
  ~quiet_stdout() {
    if (saved_ == nullptr) return;
    std::fflush(stdout);
    stdout = saved_;
  }
  quiet_stdout(const quiet_stdout&) = delete;
  quiet_stdout& operator=(const quiet_stdout&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> lock_;
  FILE* saved_ = nullptr;
};

struct tnef_deleter {
  void operator()(TNEFStruct* t) const {
    TNEFFree(t);
    delete t;
  }
};

// libytnef reports damage by printf to stdout, which carries `tacmaild parse`'s JSON: only a
// blob whose framing (signature, attribute lengths, checksums) is intact is handed to it, and
// while it runs C stdio's stdout points at /dev/null (see quiet_stdout).
bool well_framed(std::string_view blob) {
  const auto u8 = [&](std::size_t i) { return static_cast<unsigned char>(blob[i]); };
  const auto u32 = [&](std::size_t i) {
    return u8(i) | (u8(i + 1) << 8) | (u8(i + 2) << 16) |
           (static_cast<std::uint32_t>(u8(i + 3)) << 24);
  };
  if (blob.size() < 6 || u32(0) != 0x223E9F78u) return false;
  std::size_t pos = 6;
  while (pos < blob.size()) {
    // level (1) + attribute id (4) + length (4) + data + checksum (2)
    if (blob.size() - pos < 9) return false;
    const std::uint8_t level = u8(pos);
    if (level != LVL_MESSAGE && level != LVL_ATTACHMENT) return false;
    const std::uint32_t length = u32(pos + 5);
    const std::size_t data = pos + 9;
    if (length == 0 || length > blob.size() - data || blob.size() - data - length < 2) return false;
    std::uint32_t sum = 0;
    for (std::size_t i = data; i < data + length; ++i) sum += u8(i);
    const std::uint32_t checksum = u8(data + length) | (u8(data + length + 1) << 8);
    if ((sum & 0xFFFF) != checksum) return false;
    pos = data + length + 2;
  }
  return true;
}

// The parts a TNEF blob holds, or nullopt if libytnef cannot read it.
std::optional<std::vector<mime_part>> read_tnef(const std::string& blob) {
  if (!well_framed(blob)) return std::nullopt;
  std::unique_ptr<TNEFStruct, tnef_deleter> tnef(new TNEFStruct);
  TNEFInitialize(tnef.get());
  tnef->Debug = 0;
  std::string copy = blob;  // libytnef takes a non-const buffer
  int rc = 0;
  {
    quiet_stdout quiet;
    rc = TNEFParseMemory(reinterpret_cast<BYTE*>(copy.data()), static_cast<long>(copy.size()),
                         tnef.get());
  }
  if (rc != 0) return std::nullopt;
  std::string codepage;
  if (tnef->CodePage.size >= 4 && tnef->CodePage.data != nullptr) {
    const BYTE* d = tnef->CodePage.data;
    const unsigned cp = d[0] | (d[1] << 8) | (d[2] << 16) | (static_cast<unsigned>(d[3]) << 24);
    if (cp == 65001) {
      codepage = "UTF-8";
    } else if (cp != 0) {
      codepage = "CP" + std::to_string(cp);
    }
  }
  std::vector<mime_part> parts;
  // The body: HTML if Outlook kept it, else the plain text (PR_BODY or the attBody attribute).
  MAPIProps* props = &tnef->MapiProperties;
  variableLength* html = MAPIFindProperty(props, PROP_TAG(PT_BINARY, PR_BODY_HTML));
  if (!defined(html)) html = MAPIFindProperty(props, PROP_TAG(PT_STRING8, PR_BODY_HTML));
  if (defined(html)) {
    std::string text = bytes_of(html);
    while (!text.empty() && text.back() == '\0') text.pop_back();
    parts.push_back(leaf("text", "html", to_utf8(text, codepage).text));
  } else if (auto body = find_string(props, PR_BODY, codepage)) {
    parts.push_back(leaf("text", "plain", *body));
  } else if (tnef->body.size > 0 && tnef->body.data != nullptr) {
    std::string text = bytes_of(&tnef->body);
    while (!text.empty() && text.back() == '\0') text.pop_back();
    parts.push_back(leaf("text", "plain", to_utf8(text, codepage).text));
  }
  for (Attachment* a = tnef->starting_attach.next; a != nullptr; a = a->next) {
    std::string data;
    variableLength* obj = MAPIFindProperty(&a->MAPI, PROP_TAG(PT_OBJECT, PR_ATTACH_DATA_OBJ));
    if (defined(obj) && obj->size > 16) {
      data.assign(reinterpret_cast<const char*>(obj->data) + 16,
                  static_cast<std::size_t>(obj->size - 16));
    } else if (a->FileData.data != nullptr && a->FileData.size > 0) {
      data = bytes_of(&a->FileData);
    } else {
      continue;
    }
    std::string name = find_string(&a->MAPI, PR_ATTACH_LONG_FILENAME, codepage).value_or("");
    if (name.empty() && a->Title.data != nullptr && a->Title.size > 0) {
      name = string_prop(&a->Title, false, codepage);
    }
    std::string type =
        find_string(&a->MAPI, PR_ATTACH_MIME_TAG, codepage).value_or("application/octet-stream");
    mime_part file;
    const std::size_t slash = type.find('/');
    file.type = to_lower(slash == std::string::npos ? "application" : type.substr(0, slash));
    file.subtype = to_lower(slash == std::string::npos ? "octet-stream" : type.substr(slash + 1));
    file.disposition = "attachment";
    if (!name.empty()) file.disposition_params.push_back({"filename", name});
    file.body = std::move(data);
    parts.push_back(std::move(file));
  }
  // A blob that yields nothing is kept as the file it claims to be.
  if (parts.empty()) return std::nullopt;
  return parts;
}

}  // namespace

bool is_tnef(const mime_part& part) {
  if (part.is_multipart() || part.media_type_is("message/rfc822")) return false;
  if (part.media_type_is("application/ms-tnef") || part.media_type_is("application/vnd.ms-tnef")) {
    return true;
  }
  if (!part.has_filename()) return false;
  const std::optional<std::string> name = part.filename();
  return name && iequals(*name, "winmail.dat");
}

std::vector<std::string> unpack_tnef(mime_part& root) {
  std::vector<std::string> warnings;
  if (is_tnef(root)) {
    std::optional<std::vector<mime_part>> parts = read_tnef(root.body);
    if (!parts) {
      warnings.push_back("winmail.dat could not be read; listed as an attachment");
      return warnings;
    }
    mime_part replacement;
    replacement.type = "multipart";
    replacement.subtype = "mixed";
    replacement.children = std::move(*parts);
    root = std::move(replacement);
    return warnings;
  }
  for (mime_part& child : root.children) {
    std::vector<std::string> more = unpack_tnef(child);
    warnings.insert(warnings.end(), more.begin(), more.end());
  }
  return warnings;
}

}  // namespace tacmail::parser::detail
