// Charset conversion for the parser: iconv for the conversion, uchardet when the label lies.
#include "charset.hpp"

#include <iconv.h>
#include <uchardet/uchardet.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

// Names mail clients write that glibc iconv spells differently, or where the label is known to
// understate the real set (browsers do the same: ISO-8859-1 is read as windows-1252, GB2312 as
// GB18030, Shift_JIS as CP932, EUC-KR as CP949).
std::string iconv_name(std::string_view declared) {
  static constexpr std::pair<std::string_view, std::string_view> aliases[] = {
      {"iso-8859-1", "WINDOWS-1252"},
      {"iso8859-1", "WINDOWS-1252"},
      {"latin1", "WINDOWS-1252"},
      {"latin-1", "WINDOWS-1252"},
      {"cp1252", "WINDOWS-1252"},
      {"x-cp1252", "WINDOWS-1252"},
      {"windows-1252", "WINDOWS-1252"},
      {"ansi_x3.4-1968", "WINDOWS-1252"},
      {"gb2312", "GB18030"},
      {"gbk", "GB18030"},
      {"x-gbk", "GB18030"},
      {"cp936", "GB18030"},
      {"euc-cn", "GB18030"},
      {"shift_jis", "CP932"},
      {"shift-jis", "CP932"},
      {"sjis", "CP932"},
      {"x-sjis", "CP932"},
      {"ms_kanji", "CP932"},
      {"windows-31j", "CP932"},
      {"euc-kr", "CP949"},
      {"ks_c_5601-1987", "CP949"},
      {"ks_c_5601", "CP949"},
      {"korean", "CP949"},
      {"iso-8859-8-i", "ISO-8859-8"},
      {"utf8", "UTF-8"},
      {"x-mac-roman", "MACINTOSH"},
      {"macintosh", "MACINTOSH"},
  };
  if (declared.empty()) return {};
  std::string_view name = trim(declared);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  for (const auto& [alias, iconv] : aliases) {
    if (iequals(name, alias)) return std::string(iconv);
  }
  std::string upper(name);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return upper;
}

// Conversion descriptors to UTF-8 by source charset, opened once per thread: iconv_open loads
// and sets up a gconv module, which costs more than converting a mail. A charset iconv does
// not know is remembered too.
class iconv_cache {
 public:
  iconv_cache() = default;
  iconv_cache(const iconv_cache&) = delete;
  iconv_cache& operator=(const iconv_cache&) = delete;
  ~iconv_cache() {
    for (const entry& e : entries_) close(e.cd);
  }

  // The descriptor, in its initial state, or none if iconv cannot convert from `from`.
  std::optional<iconv_t> get(const std::string& from) {
    for (entry& e : entries_) {
      if (e.from != from) continue;
      if (e.cd == unknown()) return std::nullopt;
      iconv(e.cd, nullptr, nullptr, nullptr, nullptr);
      return e.cd;
    }
    // Bounded: a stream of made-up labels does not grow it, nor keep descriptors open.
    if (entries_.size() >= max_entries) {
      close(entries_.front().cd);
      entries_.erase(entries_.begin());
    }
    entries_.push_back({from, iconv_open("UTF-8", from.c_str())});
    if (entries_.back().cd == unknown()) return std::nullopt;
    return entries_.back().cd;
  }

 private:
  struct entry {
    std::string from;
    iconv_t cd;
  };
  static constexpr std::size_t max_entries = 32;
  static iconv_t unknown() { return reinterpret_cast<iconv_t>(-1); }
  static void close(iconv_t cd) {
    if (cd != unknown()) iconv_close(cd);
  }
  std::vector<entry> entries_;
};

// UTF-8 with every invalid byte replaced: the last resort when nothing better is known.
std::string scrub_utf8(std::string_view s, bool& replaced);

// Converts with iconv; a byte iconv rejects becomes U+FFFD and conversion goes on after it.
// Returns false if iconv does not know the charset.
bool convert(std::string_view bytes, const std::string& from, utf8_text& out) {
  thread_local iconv_cache cache;
  const std::optional<iconv_t> descriptor = cache.get(from);
  if (!descriptor) return false;
  const iconv_t cd = *descriptor;
  out.text.clear();
  out.text.reserve(bytes.size() + bytes.size() / 2);
  out.charset_used = from;
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  char buffer[4096];
  while (in_left > 0) {
    char* dst = buffer;
    std::size_t dst_left = sizeof buffer;
    std::size_t rc = iconv(cd, &in, &in_left, &dst, &dst_left);
    out.text.append(buffer, static_cast<std::size_t>(dst - buffer));
    if (rc != static_cast<std::size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ (invalid) or EINVAL (truncated at the end): mark it and step over one byte.
    out.text.append(replacement);
    out.replaced = true;
    ++in;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  // Flush shift state (ISO-2022-JP).
  char* dst = buffer;
  std::size_t dst_left = sizeof buffer;
  iconv(cd, nullptr, nullptr, &dst, &dst_left);
  out.text.append(buffer, static_cast<std::size_t>(dst - buffer));
  // glibc reads every label it normalises to UTF-8 ("UTF-8\x7F", "utf-8//") by the 1993
  // definition and copies 5- and 6-byte forms and code points past U+10FFFF through unchanged.
  if (!is_valid_utf8(out.text)) out.text = scrub_utf8(out.text, out.replaced);
  return true;
}

struct uchardet_deleter {
  void operator()(uchardet_t ud) const { uchardet_delete(ud); }
};

std::string detect(std::string_view bytes) {
  // One detector per thread, reset before each use: creating one allocates all its probers.
  thread_local std::unique_ptr<std::remove_pointer_t<uchardet_t>, uchardet_deleter> detector(
      uchardet_new());
  uchardet_t ud = detector.get();
  if (ud == nullptr) return {};
  uchardet_reset(ud);
  std::string result;
  if (uchardet_handle_data(ud, bytes.data(), bytes.size()) == 0) {
    uchardet_data_end(ud);
    const char* name = uchardet_get_charset(ud);
    if (name != nullptr) result = name;
  }
  return result;
}

}  // namespace

// Length of the run of ASCII bytes at the start of `s`, eight bytes at a time.
static std::size_t ascii_prefix(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

bool is_ascii(std::string_view s) { return ascii_prefix(s) == s.size(); }

// Length of the valid UTF-8 sequence at s[i], or 0.
static std::size_t utf8_seq(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned min = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string valid_utf8(std::string bytes) {
  if (is_valid_utf8(bytes)) return bytes;
  return to_utf8(bytes, "").text;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      i += ascii_prefix(s.substr(i));
      continue;
    }
    std::size_t n = utf8_seq(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {
bool mostly_utf8(std::string_view s) {
  std::size_t good = 0;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_seq(s, i);
    if (n == 0) {
      ++bad;
      ++i;
    } else {
      good += n > 1 ? 1 : 0;
      i += n;
    }
  }
  return good > 0 && good >= bad;
}

std::string scrub_utf8(std::string_view s, bool& replaced) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_seq(s, i);
    if (n == 0) {
      out.append(replacement);
      replaced = true;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

// Bytes that are UTF-8 as they stand under the label `name` (iconv's spelling): ASCII in an
// ASCII-compatible charset, or valid UTF-8 labelled so or not at all. Sets what to_utf8 reports.
bool as_is(std::string_view bytes, const std::string& name, utf8_text& out) {
  const bool says_utf8 = name == "UTF-8";
  const bool says_ascii = name.empty() || name == "US-ASCII" || name == "ASCII";
  if (is_ascii(bytes) &&
      (says_utf8 || says_ascii || name == "WINDOWS-1252" || name.rfind("ISO-8859", 0) == 0)) {
    out.charset_used = says_ascii ? "US-ASCII" : name;
    return true;
  }
  if ((says_utf8 || says_ascii) && is_valid_utf8(bytes)) {
    out.charset_used = "UTF-8";
    out.detected = says_ascii;
    return true;
  }
  return false;
}

// to_utf8 for bytes that are not as_is: damaged UTF-8 scrubbed, a label trusted, else detected.
utf8_text converted(std::string_view bytes, const std::string& name) {
  utf8_text out;
  const bool says_utf8 = name == "UTF-8";
  const bool says_ascii = name.empty() || name == "US-ASCII" || name == "ASCII";
  // Mostly-good UTF-8 with a few broken bytes is damaged UTF-8, not another charset.
  if ((says_utf8 || says_ascii) && mostly_utf8(bytes)) {
    out.text = scrub_utf8(bytes, out.replaced);
    out.charset_used = "UTF-8";
    return out;
  }
  // A label we can use, on bytes that are not a lie about UTF-8/ASCII: trust it.
  if (!says_utf8 && !says_ascii && convert(bytes, name, out)) {
    if (!out.replaced) return out;
    // The label did not fit the bytes: fall through to detection, keep this as the fallback.
  }
  utf8_text fallback = out;
  std::string guess = detect(bytes);
  if (!guess.empty() && guess != "ASCII" && guess != "UTF-8" && iconv_name(guess) != name) {
    utf8_text detected;
    if (convert(bytes, iconv_name(guess), detected) && !detected.replaced) {
      detected.detected = true;
      return detected;
    }
  }
  if (!fallback.text.empty()) return fallback;
  if (says_utf8 || says_ascii || guess == "UTF-8") {
    out.text = scrub_utf8(bytes, out.replaced);
    out.charset_used = "UTF-8";
    return out;
  }
  // Unknown label and no detection: windows-1252 maps every byte, so nothing is lost.
  convert(bytes, "WINDOWS-1252", out);
  out.detected = true;
  return out;
}

}  // namespace

utf8_text to_utf8(std::string_view bytes, std::string_view declared) {
  std::string storage;
  utf8_view v = to_utf8_view(bytes, declared, storage);
  // The view is the bytes as they stand, or the converted text in `storage`.
  std::string text = v.text.data() == storage.data() ? std::move(storage) : std::string(v.text);
  return {std::move(text), std::move(v.charset_used), v.replaced, v.detected};
}

utf8_view to_utf8_view(std::string_view bytes, std::string_view declared, std::string& storage) {
  const std::string name = iconv_name(declared);
  utf8_text meta;
  if (!as_is(bytes, name, meta)) {
    meta = converted(bytes, name);
    storage = std::move(meta.text);
    bytes = storage;
  }
  return {bytes, std::move(meta.charset_used), meta.replaced, meta.detected};
}

}  // namespace tacmail::parser::detail
