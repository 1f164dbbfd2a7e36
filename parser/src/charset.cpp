// Charset conversion for the parser: iconv for the conversion, uchardet when the label lies.
#include "charset.hpp"

#include <iconv.h>
#include <uchardet/uchardet.h>

#include <cerrno>
#include <memory>

#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

// Names mail clients write that glibc iconv spells differently, or where the label is known to
// understate the real set (browsers do the same: ISO-8859-1 is read as windows-1252, GB2312 as
// GB18030, Shift_JIS as CP932, EUC-KR as CP949).
std::string iconv_name(std::string_view declared) {
  std::string name = to_lower(trim(declared));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  if (name == "iso-8859-1" || name == "iso8859-1" || name == "latin1" || name == "latin-1" ||
      name == "cp1252" || name == "x-cp1252" || name == "windows-1252" ||
      name == "ansi_x3.4-1968") {
    return "WINDOWS-1252";
  }
  if (name == "gb2312" || name == "gbk" || name == "x-gbk" || name == "cp936" || name == "euc-cn") {
    return "GB18030";
  }
  if (name == "shift_jis" || name == "shift-jis" || name == "sjis" || name == "x-sjis" ||
      name == "ms_kanji" || name == "windows-31j") {
    return "CP932";
  }
  if (name == "euc-kr" || name == "ks_c_5601-1987" || name == "ks_c_5601" || name == "korean") {
    return "CP949";
  }
  if (name == "iso-8859-8-i") return "ISO-8859-8";
  if (name == "utf8") return "UTF-8";
  if (name == "x-mac-roman" || name == "macintosh") return "MACINTOSH";
  std::string upper;
  for (char c : name) upper.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c);
  return upper;
}

struct iconv_closer {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

// Converts with iconv; a byte iconv rejects becomes U+FFFD and conversion goes on after it.
// Returns false if iconv does not know the charset.
bool convert(std::string_view bytes, const std::string& from, utf8_text& out) {
  iconv_t raw_cd = iconv_open("UTF-8", from.c_str());
  if (raw_cd == reinterpret_cast<iconv_t>(-1)) return false;
  std::unique_ptr<void, iconv_closer> cd(raw_cd);
  out.text.clear();
  out.text.reserve(bytes.size() + bytes.size() / 2);
  out.charset_used = from;
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  char buffer[4096];
  while (in_left > 0) {
    char* dst = buffer;
    std::size_t dst_left = sizeof buffer;
    std::size_t rc = iconv(raw_cd, &in, &in_left, &dst, &dst_left);
    out.text.append(buffer, static_cast<std::size_t>(dst - buffer));
    if (rc != static_cast<std::size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ (invalid) or EINVAL (truncated at the end): mark it and step over one byte.
    out.text.append(replacement);
    out.replaced = true;
    ++in;
    --in_left;
    iconv(raw_cd, nullptr, nullptr, nullptr, nullptr);
  }
  // Flush shift state (ISO-2022-JP).
  char* dst = buffer;
  std::size_t dst_left = sizeof buffer;
  iconv(raw_cd, nullptr, nullptr, &dst, &dst_left);
  out.text.append(buffer, static_cast<std::size_t>(dst - buffer));
  return true;
}

std::string detect(std::string_view bytes) {
  uchardet_t ud = uchardet_new();
  if (ud == nullptr) return {};
  std::string result;
  if (uchardet_handle_data(ud, bytes.data(), bytes.size()) == 0) {
    uchardet_data_end(ud);
    const char* name = uchardet_get_charset(ud);
    if (name != nullptr) result = name;
  }
  uchardet_delete(ud);
  return result;
}

// UTF-8 with every invalid byte replaced: the last resort when nothing better is known.
std::string scrub_utf8(std::string_view s, bool& replaced);

}  // namespace

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

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

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
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
}  // namespace

utf8_text to_utf8(std::string_view bytes, std::string_view declared) {
  utf8_text out;
  const std::string name = iconv_name(declared);
  const bool says_utf8 = name == "UTF-8";
  const bool says_ascii = name.empty() || name == "US-ASCII" || name == "ASCII";

  if (is_ascii(bytes) &&
      (says_utf8 || says_ascii || name == "WINDOWS-1252" || name.rfind("ISO-8859", 0) == 0)) {
    out.text = bytes;
    out.charset_used = says_ascii ? "US-ASCII" : name;
    return out;
  }
  if ((says_utf8 || says_ascii) && is_valid_utf8(bytes)) {
    out.text = bytes;
    out.charset_used = "UTF-8";
    out.detected = says_ascii;
    return out;
  }
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

}  // namespace tacmail::parser::detail
