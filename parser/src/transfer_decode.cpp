// Content-Transfer-Encoding decoding with mimetic's codecs, a buffer at a time, so that a file
// can be counted and hashed (OpenSSL) without its decoded bytes ever being held.
#include "transfer_decode.hpp"

#include <mimetic/mimetic.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>

#include "tacmail/parser/digest.hpp"
#include "text_util.hpp"

namespace tacmail::parser::detail {
namespace {

// Receives decoded bytes, a piece at a time.
using byte_sink = std::function<void(std::string_view)>;

// The base64 alphabet with '=': all mimetic's decoder is fed, as it indexes a table with every
// byte it gets.
constexpr std::array<bool, 256> base64_chars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[static_cast<std::size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                         (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
  }
  return table;
}();

// Decoded bytes gathered into a fixed buffer and handed on when it fills.
class chunk_buffer {
 public:
  explicit chunk_buffer(const byte_sink& sink) : sink_(sink) {}
  void put(char c) {
    if (used_ == data_.size()) flush();
    data_[used_++] = c;
  }
  void append(std::string_view bytes) {
    if (bytes.size() > data_.size() - used_) flush();
    if (bytes.size() > data_.size()) {
      sink_(bytes);
      return;
    }
    std::copy(bytes.begin(), bytes.end(), data_.begin() + static_cast<std::ptrdiff_t>(used_));
    used_ += bytes.size();
  }
  void flush() {
    if (used_ > 0) sink_(std::string_view(data_.data(), used_));
    used_ = 0;
  }

 private:
  const byte_sink& sink_;
  std::array<char, 16 * 1024> data_;
  std::size_t used_ = 0;
};

// Output iterator for mimetic's codecs. Copies share the buffer, as a back_inserter's share
// the string: the QP decoder writes through copies of it.
class chunk_output {
 public:
  using iterator_category = std::output_iterator_tag;
  using value_type = void;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = void;

  explicit chunk_output(chunk_buffer& buffer) : buffer_(&buffer) {}
  chunk_output& operator*() { return *this; }
  chunk_output& operator++() { return *this; }
  chunk_output operator++(int) { return *this; }
  chunk_output& operator=(char c) {
    buffer_->put(c);
    return *this;
  }

 private:
  chunk_buffer* buffer_;
};

// Base64 of the alphabet characters in `encoded`. Whole groups of four without '=' (nearly all
// of a well-formed body) are decoded by OpenSSL in bulk; the groups holding '=' and a short
// last group go through mimetic's decoder, whose reading of damaged input (padding inside the
// data, a group cut short) is kept. Both group from the start, so neither sees a split group.
void decode_base64(std::string_view encoded, const byte_sink& sink) {
  chunk_buffer buffer(sink);
  chunk_output out(buffer);
  mimetic::Base64::Decoder decoder;
  std::array<char, 4096> pending;
  std::size_t n = 0;
  std::array<unsigned char, pending.size() / 4 * 3> bytes;
  auto slow = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      decoder.process(static_cast<unsigned char>(pending[k]), out);
    }
  };
  auto drain = [&](bool last) {
    std::size_t i = 0;
    while (n - i >= 4) {
      const std::string_view rest(pending.data() + i, n - i);
      const std::size_t eq = rest.find('=');
      const std::size_t plain = (eq == rest.npos ? rest.size() : eq) / 4 * 4;
      if (plain > 0) {
        const int length =
            EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(rest.data()),
                            static_cast<int>(plain));
        if (length == static_cast<int>(plain / 4 * 3)) {
          buffer.append(std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                         static_cast<std::size_t>(length)));
        } else {
          slow(i, i + plain);
        }
        i += plain;
      }
      if (eq != rest.npos && n - i >= 4) {
        slow(i, i + 4);
        i += 4;
      }
    }
    if (last) {
      slow(i, n);
      decoder.flush(out);
      buffer.flush();
      return;
    }
    std::copy(pending.begin() + static_cast<std::ptrdiff_t>(i),
              pending.begin() + static_cast<std::ptrdiff_t>(n), pending.begin());
    n -= i;
  };
  for (char c : encoded) {
    if (!base64_chars[static_cast<unsigned char>(c)]) continue;
    pending[n++] = c;
    if (n == pending.size()) drain(false);
  }
  drain(true);
}

// A character mimetic's QP decoder writes as it is once it waits for a character: not a blank,
// line end, control character or '=' (the process runs in the C locale, as mimetic assumes).
bool is_qp_plain(char c) { return static_cast<unsigned char>(c) > ' ' && c != '='; }
bool is_qp_blank(char c) { return c == ' ' || c == '\t'; }

// The index of the first character at or after `i` that is neither plain nor a space, or
// encoded.size(). Eight bytes at a time: a byte below ' ' or '=' is flagged, and the lowest
// flag is exact (a false one only ever follows a true one, through a borrow).
std::size_t first_special(std::string_view encoded, std::size_t i) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  while (encoded.size() - i >= 8) {
    std::uint64_t word;
    std::memcpy(&word, encoded.data() + i, 8);
    const std::uint64_t equals = word ^ (ones * '=');
    const std::uint64_t special =
        ((word - ones * ' ') & ~word & highs) | ((equals - ones) & ~equals & highs);
    if (special != 0) {
      static_assert(std::endian::native == std::endian::little);
      return i + static_cast<std::size_t>(__builtin_ctzll(special)) / 8;
    }
    i += 8;
  }
  while (i < encoded.size() && (is_qp_plain(encoded[i]) || encoded[i] == ' ')) ++i;
  return i;
}

// Quoted-printable through mimetic's decoder, except where the text is plain (most of it),
// which is copied as the decoder would write it. Once the decoder has read two plain characters
// in a row (the second ends any "=XX" the first was part of) it waits for a character with
// nothing held back. From there it writes plain characters unchanged; blanks too when a plain
// character follows them (it holds blanks back only to drop them at a line end); and a line end
// as LF, when it is CRLF or an LF before a plain character, after which it waits again. It
// also comes back to waiting with nothing held back after "=" and two hex digits (writing the
// byte they give) and after the soft line break "=" CR LF (writing nothing).
void decode_quoted_printable(std::string_view encoded, const byte_sink& sink) {
  chunk_buffer buffer(sink);
  chunk_output out(buffer);
  mimetic::QP::Decoder decoder;
  int plain_run = 0;
  const std::size_t size = encoded.size();
  for (std::size_t i = 0; i < size;) {
    if (plain_run < 2) {
      const char c = encoded[i];
      plain_run = is_qp_plain(c) ? plain_run + 1 : 0;
      decoder.process(static_cast<unsigned char>(c), out);
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < size) {
      // Spaces before a plain character are copied; those before anything else are left
      // for the checks below.
      const std::size_t from = i;
      i = first_special(encoded, i);
      while (i > from && encoded[i - 1] == ' ') --i;
      if (i == size) break;
      const char c = encoded[i];
      if (is_qp_blank(c)) {
        // A tab, or spaces before something not plain: copied if a plain character follows.
        std::size_t after = i;
        while (after < size && is_qp_blank(encoded[after])) ++after;
        if (after == size || !is_qp_plain(encoded[after])) break;
        i = after + 1;
        continue;
      }
      if (c == '=' && size - i >= 3) {
        const char first = encoded[i + 1];
        const char second = encoded[i + 2];
        // Hex digits of either case, as mimetic reads them.
        if (hex_value(first) >= 0 && hex_value(second) >= 0) {
          buffer.append(encoded.substr(start, i - start));
          buffer.put(static_cast<char>(hex_value(first) << 4 | hex_value(second)));
          i += 3;
          start = i;
          continue;
        }
        if (first == '\r' && second == '\n') {
          buffer.append(encoded.substr(start, i - start));
          i += 3;
          start = i;
          continue;
        }
      }
      std::size_t line_end = 0;
      if (c == '\r' && i + 1 < size && encoded[i + 1] == '\n') {
        line_end = 2;
      } else if (c == '\n' && i + 1 < size && is_qp_plain(encoded[i + 1])) {
        line_end = 1;
      }
      if (line_end == 0) break;
      buffer.append(encoded.substr(start, i - start));
      buffer.put('\n');
      i += line_end;
      start = i;
    }
    buffer.append(encoded.substr(start, i - start));
    // The decoder still waits for a character; what stopped the copy goes through it.
    if (i < size) {
      plain_run = 0;
      decoder.process(static_cast<unsigned char>(encoded[i]), out);
      ++i;
    }
  }
  decoder.flush(out);
  buffer.flush();
}

// SHA-256 and byte count of what is fed to it, a piece at a time.
class digest_stream {
 public:
  digest_stream() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    // Fetched once: the implicit fetch behind EVP_sha256() costs more than hashing a small file.
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    ok_ = sha256 != nullptr && ctx_ && EVP_DigestInit_ex(ctx_.get(), sha256, nullptr) == 1;
  }
  void add(std::string_view bytes) {
    digest_.size += bytes.size();
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) == 1;
  }
  body_digest finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (ok_ && EVP_DigestFinal_ex(ctx_.get(), md, &length) == 1) {
      static constexpr char hex[] = "0123456789abcdef";
      digest_.sha256.reserve(2 * length);
      for (unsigned i = 0; i < length; ++i) {
        digest_.sha256.push_back(hex[md[i] >> 4]);
        digest_.sha256.push_back(hex[md[i] & 0xF]);
      }
    }
    return std::move(digest_);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  bool ok_ = false;
  body_digest digest_;
};

// Decodes `encoded` as `encoding` says ("base64", "quoted-printable", anything else: as is)
// and hands the bytes to `sink` in pieces of at most 16 kB (as is: in one piece).
void transfer_decode(std::string_view encoded, std::string_view encoding, const byte_sink& sink) {
  if (iequals(encoding, "base64")) {
    decode_base64(encoded, sink);
  } else if (iequals(encoding, "quoted-printable")) {
    decode_quoted_printable(encoded, sink);
  } else if (!encoded.empty()) {
    sink(encoded);
  }
}

}  // namespace

std::string transfer_decoded(std::string_view encoded, std::string_view encoding) {
  std::string out;
  out.reserve(encoded.size());
  transfer_decode(encoded, encoding, [&](std::string_view piece) { out.append(piece); });
  return out;
}

body_digest decoded_digest(std::string_view encoded, std::string_view encoding) {
  digest_stream stream;
  transfer_decode(encoded, encoding, [&](std::string_view piece) { stream.add(piece); });
  return stream.finish();
}

body_digest digest_of(std::string_view bytes) {
  digest_stream stream;
  stream.add(bytes);
  return stream.finish();
}

}  // namespace tacmail::parser::detail

namespace tacmail::parser {

std::string sha256_hex(std::string_view bytes) { return detail::digest_of(bytes).sha256; }

}  // namespace tacmail::parser
