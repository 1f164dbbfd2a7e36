// smtp::write_reply and friends: CRLF only, line limits, the exact header set, header
// injection, RFC 2047 subjects, base64 bodies, address validation and the Date format.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_test_support.hpp"
#include "smtp/message_writer.hpp"

namespace {

using tacmail::daemon::smtp::address_of;
using tacmail::daemon::smtp::rfc5322_date;
using tacmail::daemon::smtp::valid_address;
using tacmail::daemon::smtp::write_reply;
using tacmail::daemon::test::test_now;
using tacmail::routing::reply_content;

const std::string from_header = "Technical Support <tac@example.com>";
const std::string our_id = "tacmail.700000001.opened@example.com";

reply_content sample_reply() {
  reply_content r;
  r.to_address = "jane@acme.example.com";
  r.subject = "[Case 700000001] Cisco BroadWorks";
  r.in_reply_to = {"abc.123@acme.example.com"};
  r.references = {"first@acme.example.com", "abc.123@acme.example.com"};
  r.body = "Hello Jane,\n\nWe have opened case 700000001.\n";
  return r;
}

struct parsed_reply {
  std::vector<std::string> names;               // header names in order, as written
  std::multimap<std::string, std::string> values;  // unfolded values, name as written
  std::string body;
};

// Splits at the first empty line and unfolds header continuation lines.
parsed_reply split(const std::string& message) {
  parsed_reply p;
  const auto end = message.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  const std::string head = message.substr(0, end + 2);
  p.body = message.substr(end + 4);
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < head.size();) {
    const auto eol = head.find("\r\n", pos);
    lines.push_back(head.substr(pos, eol - pos));
    pos = eol + 2;
  }
  std::string name, value;
  auto flush = [&] {
    if (!name.empty()) {
      p.names.push_back(name);
      p.values.emplace(name, value);
    }
  };
  for (const auto& line : lines) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      REQUIRE_MESSAGE(!name.empty(), "a continuation line before any header");
      value += line;
      continue;
    }
    flush();
    const auto colon = line.find(':');
    REQUIRE_MESSAGE(colon != std::string::npos, "header line without a colon: " << line);
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  }
  flush();
  return p;
}

std::string header(const parsed_reply& p, const std::string& name) {
  auto it = p.values.find(name);
  return it == p.values.end() ? std::string("<absent>") : it->second;
}

const std::vector<std::string> expected_names = {
    "From",       "To",           "Subject",      "Date",
    "Message-ID", "In-Reply-To",  "References",   "Auto-Submitted",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding"};

void check_exact_header_set(const parsed_reply& p) {
  std::multiset<std::string> got(p.names.begin(), p.names.end());
  std::multiset<std::string> want(expected_names.begin(), expected_names.end());
  CHECK(got == want);
}

void check_crlf_only(const std::string& m) {
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') REQUIRE_MESSAGE((i > 0 && m[i - 1] == '\r'), "bare LF at " << i);
    if (m[i] == '\r') REQUIRE_MESSAGE((i + 1 < m.size() && m[i + 1] == '\n'), "bare CR at " << i);
    REQUIRE_MESSAGE(m[i] != '\0', "NUL at " << i);
  }
  CHECK(m.ends_with("\r\n"));
}

std::size_t longest_line(const std::string& m) {
  std::size_t longest = 0, pos = 0;
  while (pos < m.size()) {
    auto eol = m.find("\r\n", pos);
    if (eol == std::string::npos) eol = m.size();
    longest = std::max(longest, eol - pos);
    pos = eol + 2;
  }
  return longest;
}

// Quoted-printable decoding (RFC 2045 §6.7), written here so the test does not trust the code
// it checks: "=XX" is a byte, "=" at a line end a soft break, CRLF a line break.
std::string qp_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    if (text.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
      continue;
    }
    REQUIRE(i + 2 < text.size());
    const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    REQUIRE(hi >= 0);
    REQUIRE(lo >= 0);
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::string clean;
  for (char c : text)
    if (c != '\r' && c != '\n' && c != ' ') clean += c;
  if (clean.empty()) return {};
  REQUIRE(clean.size() % 4 == 0);
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  REQUIRE(n >= 0);
  std::size_t padding = 0;
  if (clean.ends_with("==")) padding = 2;
  else if (clean.ends_with("=")) padding = 1;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

// CRLF -> LF, to compare decoded text with the LF text it was made from.
std::string lf_text(const std::string& crlf) {
  std::string lf;
  for (std::size_t i = 0; i < crlf.size(); ++i)
    if (!(crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n')) lf += crlf[i];
  return lf;
}

// Decodes a header value made only of =?UTF-8?B?...?= words separated by whitespace.
std::string decode_words(const std::string& value, std::size_t* longest_word = nullptr) {
  std::string out;
  std::size_t pos = 0;
  while (pos < value.size()) {
    if (value[pos] == ' ' || value[pos] == '\t') {
      ++pos;
      continue;
    }
    REQUIRE_MESSAGE(value.compare(pos, 10, "=?UTF-8?B?") == 0, "not an encoded word at " << pos);
    const auto end = value.find("?=", pos + 10);
    REQUIRE(end != std::string::npos);
    if (longest_word) *longest_word = std::max(*longest_word, end + 2 - pos);
    out += base64_decode(std::string_view(value).substr(pos + 10, end - pos - 10));
    pos = end + 2;
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::string write(const reply_content& r, const std::string& id = our_id) {
  return write_reply(r, from_header, id, test_now());
}

}  // namespace

TEST_SUITE("smtp.message_writer") {
  TEST_CASE("a plain reply: exact header set, values, CRLF only") {
    const std::string m = write(sample_reply());
    check_crlf_only(m);
    const auto p = split(m);
    check_exact_header_set(p);
    CHECK(header(p, "From") == from_header);
    CHECK(header(p, "To") == "<jane@acme.example.com>");
    CHECK(header(p, "Subject") == "[Case 700000001] Cisco BroadWorks");
    CHECK(header(p, "Date") == "Mon, 23 Nov 2026 09:15:00 +0000");
    CHECK(header(p, "Message-ID") == "<" + our_id + ">");
    CHECK(header(p, "In-Reply-To") == "<abc.123@acme.example.com>");
    CHECK(header(p, "References").find("<first@acme.example.com>") == 0);
    CHECK(header(p, "References").find("<abc.123@acme.example.com>") != std::string::npos);
    CHECK(header(p, "Auto-Submitted") == "auto-replied");
    CHECK(header(p, "MIME-Version") == "1.0");
    CHECK(header(p, "Content-Type").find("text/plain") == 0);
    CHECK(header(p, "Content-Type").find("utf-8") != std::string::npos);
    CHECK(header(p, "Content-Transfer-Encoding") == "7bit");
    CHECK(p.body == "Hello Jane,\r\n\r\nWe have opened case 700000001.\r\n");
  }

  TEST_CASE("no threading ids: no In-Reply-To or References header at all") {
    auto r = sample_reply();
    r.in_reply_to.clear();
    r.references.clear();
    const auto p = split(write(r));
    CHECK(header(p, "In-Reply-To") == "<absent>");
    CHECK(header(p, "References") == "<absent>");
  }

  TEST_CASE("bare CR and LF in the body become CRLF") {
    auto r = sample_reply();
    r.body = "one\rtwo\nthree\r\nfour\n\n";
    const std::string m = write(r);
    check_crlf_only(m);
  }

  TEST_CASE("no line over 998 octets with a 5000-char subject and a 3000-char body line") {
    auto r = sample_reply();
    r.subject = std::string(5000, 's');
    r.body = "short\n" + std::string(3000, 'b') + "\nend\n";
    const std::string m = write(r);
    check_crlf_only(m);
    CHECK(longest_line(m) <= 998);
    const auto p = split(m);
    check_exact_header_set(p);
    // The long line cannot go 7bit: it travels quoted-printable and decodes back.
    CHECK(header(p, "Content-Transfer-Encoding") == "quoted-printable");
    CHECK(lf_text(qp_decode(p.body)) == r.body);
  }

  TEST_CASE("a long non-ASCII subject folds into words of at most 75 characters") {
    auto r = sample_reply();
    r.subject.clear();
    for (int i = 0; i < 2000; ++i) r.subject += "\xC3\xA9";  // é
    const std::string m = write(r);
    check_crlf_only(m);
    CHECK(longest_line(m) <= 998);
    const auto p = split(m);
    check_exact_header_set(p);
    std::size_t longest_word = 0;
    const std::string decoded = decode_words(header(p, "Subject"), &longest_word);
    CHECK(longest_word <= 75);
    CHECK(valid_utf8(decoded));
    CHECK(r.subject.starts_with(decoded));  // truncated, never altered
  }

  TEST_CASE("header injection never adds a header line") {
    struct attempt {
      const char* what;
      reply_content reply;
      std::string message_id;
    };
    std::vector<attempt> attempts;
    auto add = [&](const char* what, auto change, std::string id = our_id) {
      reply_content r = sample_reply();
      change(r);
      attempts.push_back({what, r, id});
    };
    add("subject CRLF", [](reply_content& r) { r.subject = "x\r\nBcc: evil@example.com"; });
    add("subject LF", [](reply_content& r) { r.subject = "x\nBcc: evil@example.com"; });
    add("subject CR", [](reply_content& r) { r.subject = "x\rBcc: evil@example.com"; });
    add("subject NUL", [](reply_content& r) {
      r.subject = std::string("x\0Bcc: evil@example.com", 23);
    });
    add("subject CRLF CRLF", [](reply_content& r) {
      r.subject = "x\r\n\r\nBody: injected";
    });
    add("non-ASCII subject with CRLF", [](reply_content& r) {
      r.subject = "caf\xC3\xA9\r\nBcc: evil@example.com";
    });
    add("in_reply_to CRLF", [](reply_content& r) {
      r.in_reply_to = {"abc@x.example\r\nBcc: evil@example.com"};
    });
    add("references with spaces and brackets", [](reply_content& r) {
      r.references = {"<a@x.example> <b@x.example>", "c d@x.example", ">\r\nBcc: e@x.example<"};
    });
    add("to_address CRLF", [](reply_content& r) {
      r.to_address = "jane@acme.example.com>\r\nBcc: <evil@example.com";
    });
    add("to_address LF", [](reply_content& r) { r.to_address = "jane@acme.example.com\nBcc: x"; });
    add("message id CRLF", [](reply_content&) {}, "id@example.com\r\nBcc: evil@example.com");
    add("message id brackets and spaces", [](reply_content&) {}, "<id@example.com> x y");
    add("message id NUL", [](reply_content&) {}, std::string("id@ex\0ample.com", 15));

    for (const auto& a : attempts) {
      CAPTURE(std::string(a.what));
      const std::string m = write(a.reply, a.message_id);
      check_crlf_only(m);
      const auto p = split(m);
      check_exact_header_set(p);
      CHECK(header(p, "Bcc") == "<absent>");
      CHECK(header(p, "Body") == "<absent>");
      // Every id header is a list of <...> tokens with no whitespace inside.
      for (const char* name : {"Message-ID", "In-Reply-To", "References"}) {
        const std::string v = header(p, name);
        if (v == "<absent>") continue;
        CAPTURE(v);
        std::size_t pos = 0;
        while (pos < v.size()) {
          if (v[pos] == ' ') {
            ++pos;
            continue;
          }
          REQUIRE(v[pos] == '<');
          const auto close = v.find('>', pos);
          REQUIRE(close != std::string::npos);
          const std::string inner = v.substr(pos + 1, close - pos - 1);
          CHECK(inner.find_first_of(" <>\t") == std::string::npos);
          pos = close + 1;
        }
      }
    }
  }

  TEST_CASE("a CRLF in the From header from config does not add a header either") {
    const std::string m = write_reply(sample_reply(), "TAC <tac@example.com>\r\nBcc: x@example.com",
                                      our_id, test_now());
    check_crlf_only(m);
    check_exact_header_set(split(m));
  }

  TEST_CASE("a non-ASCII subject is RFC 2047 B-encoded and decodes back") {
    for (std::string subject :
         {std::string("[Case 700000001] Caf\xC3\xA9 t\xC3\xA9l\xC3\xA9phonie"),
          std::string("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE4\xBB\xB6\xE5\x90\x8D"),
          std::string("emoji \xF0\x9F\x93\x9E call me ") + std::string(120, 'x')}) {
      CAPTURE(subject);
      auto r = sample_reply();
      r.subject = subject;
      const std::string m = write(r);
      check_crlf_only(m);
      for (unsigned char c : m.substr(0, m.find("\r\n\r\n"))) CHECK(c < 0x80);
      const auto p = split(m);
      check_exact_header_set(p);
      const std::string value = header(p, "Subject");
      CHECK(value.starts_with("=?UTF-8?B?"));
      std::size_t longest_word = 0;
      CHECK(decode_words(value, &longest_word) == subject);
      CHECK(longest_word <= 75);
    }
  }

  TEST_CASE("a non-ASCII body is quoted-printable that decodes back") {
    auto r = sample_reply();
    r.body = "Bonjour Ren\xC3\xA9" "e,\n\nVotre dossier est ouvert. \xE2\x82\xAC 100\n";
    const std::string m = write(r);
    check_crlf_only(m);
    CHECK(longest_line(m) <= 76);
    const auto p = split(m);
    CHECK(header(p, "Content-Transfer-Encoding") == "quoted-printable");
    // Canonical form uses CRLF (RFC 2045 6.8); compare the text with LF line ends.
    CHECK(lf_text(qp_decode(p.body)) == r.body);
    // Readable in a client that shows the raw text: the ASCII words travel as they are.
    CHECK(p.body.find("Votre") != std::string::npos);
  }

  // Text in canonical form (RFC 2045 §6.8): line breaks are real CRLF, not encoded =0A.
  TEST_CASE("a quoted-printable text body keeps CRLF line breaks") {
    auto r = sample_reply();
    r.body = "Ren\xC3\xA9\nline two\n.\n";
    const auto p = split(write(r));
    CHECK(p.body.find("=0A") == std::string::npos);
    CHECK(p.body.find("=0D") == std::string::npos);
    CHECK(qp_decode(p.body) == "Ren\xC3\xA9\r\nline two\r\n.\r\n");
  }

  // Regression (fixed): the 900-byte cap on a header value cuts a non-ASCII subject in the middle of a UTF-8
  // sequence, so the last encoded word carries a broken character.
  TEST_CASE("a truncated non-ASCII subject stays valid UTF-8") {
    auto r = sample_reply();
    r.subject = "a";
    for (int i = 0; i < 1000; ++i) r.subject += "\xC3\xA9";
    const auto p = split(write(r));
    const std::string decoded = decode_words(header(p, "Subject"));
    CHECK(valid_utf8(decoded));
  }

  // Regression (fixed): encode_words() backs `end` up over UTF-8 continuation bytes without stopping at `pos`;
  // 45+ continuation bytes in a row (invalid UTF-8 a hostile Subject can carry if the parser
  // passes raw 8-bit through) make end == pos, and the loop appends empty words forever.
  TEST_CASE("invalid UTF-8 in the subject cannot hang the writer") {
    auto r = sample_reply();
    r.subject = "\xC3" + std::string(100, '\x80');
    CHECK(tacmail::daemon::test::finishes_in_child([&] { (void)write(r); }));
  }

  // Regression (fixed): to_address is not length-capped or validated in write_reply, so its promise "no line
  // over 998 octets" depends on every caller validating first (the engine does today).
  TEST_CASE("an overlong to_address cannot produce a line over 998 octets") {
    auto r = sample_reply();
    r.to_address = std::string(2000, 'a') + "@example.com";
    CHECK(longest_line(write(r)) <= 998);
  }

  TEST_CASE("valid_address") {
    for (std::string ok : {"tac@example.com", "jane.doe@acme.example.com", "a+tag@sub.b.co",
                           "o'brien@example.ie", "x_y-z@ex-ample.com", "A@EXAMPLE.COM"}) {
      CAPTURE(ok);
      CHECK(valid_address(ok));
    }
    for (std::string bad :
         {std::string("a@b"), std::string("a b@c.com"), std::string("a@b.com\r\n"),
          std::string("<a@b.com>"), std::string("a@b.com>x"), std::string(""),
          std::string(300, 'a') + "@b.com", std::string("a@b.com\n"), std::string("a@b.com "),
          std::string("@b.com"), std::string("a@.com"), std::string("a@b..com"),
          std::string("a..b@c.com"), std::string("a@b.com,c@d.com"), std::string("a@-b.com"),
          std::string("a\0@b.com", 8), std::string("a@b.com\0", 8)}) {
      CAPTURE(bad);
      CHECK_FALSE(valid_address(bad));
    }
  }

  TEST_CASE("address_of") {
    CHECK(address_of("Tech <tac@example.com>") == std::optional<std::string>("tac@example.com"));
    CHECK(address_of("tac@example.com") == std::optional<std::string>("tac@example.com"));
    CHECK(address_of("  tac@example.com  ") == std::optional<std::string>("tac@example.com"));
    CHECK(address_of("\"Support, TAC\" <tac@example.com>") ==
          std::optional<std::string>("tac@example.com"));
    CHECK(address_of("Tech < tac@example.com >") == std::optional<std::string>("tac@example.com"));
    CHECK_FALSE(address_of("Tech <not an address>").has_value());
    CHECK_FALSE(address_of("").has_value());
  }

  TEST_CASE("rfc5322_date") {
    using namespace std::chrono;
    CHECK(rfc5322_date(test_now()) == "Mon, 23 Nov 2026 09:15:00 +0000");
    CHECK(rfc5322_date(test_now() + milliseconds(999)) == "Mon, 23 Nov 2026 09:15:00 +0000");
    CHECK(rfc5322_date(sys_days{year{2027} / 1 / 3} + hours(23) + minutes(59) + seconds(59)) ==
          "Sun, 03 Jan 2027 23:59:59 +0000");
  }
}
