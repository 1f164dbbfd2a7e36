// Charsets customers use, converted to UTF-8 by iconv; broken bytes replaced, never dropped.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

namespace {

// A one-line body "Company name: <bytes>" in `charset`, 8bit.
std::optional<std::string> company_in(const std::string& charset, const std::string& bytes) {
  std::string raw = "From: a@b.example\r\nSubject: HIPCOM\r\nMIME-Version: 1.0\r\n";
  if (!charset.empty()) raw += "Content-Type: text/plain; charset=\"" + charset + "\"\r\n";
  raw += "Content-Transfer-Encoding: 8bit\r\n\r\nCompany name: " + bytes + "\r\n";
  return parse_message(raw, test_catalog()).company;
}

}  // namespace

TEST_CASE("single-byte charsets") {
  CHECK(company_in("iso-8859-1", "Caf\xE9") == "Caf\xC3\xA9");
  CHECK(company_in("iso-8859-2", "\xA3\xF3\x64\xBC") == "\xC5\x81\xC3\xB3\x64\xC5\xBA");  // Łódź
  CHECK(company_in("iso-8859-15", "\xA4uro") == "\xE2\x82\xACuro");
  CHECK(company_in("windows-1250",
                   "\x8A"
                   "koda") == "\xC5\xA0koda");
  CHECK(company_in("windows-1251", "\xCC\xD2\xD1") == "\xD0\x9C\xD0\xA2\xD0\xA1");  // МТС
  CHECK(company_in("windows-1252", "\x93Q\x94") == "\xE2\x80\x9CQ\xE2\x80\x9D");
  CHECK(company_in("koi8-r", "\xED\xF4\xF3") == "\xD0\x9C\xD0\xA2\xD0\xA1");
  CHECK(company_in("koi8-u", "\xA4") == "\xD1\x94");
  // Outlook labels windows-1252 text as iso-8859-1: read it as windows-1252.
  CHECK(company_in("iso-8859-1", "\x80 Corp") == "\xE2\x82\xAC Corp");
}

TEST_CASE("multi-byte charsets") {
  const std::string tokyo = "\xE6\x9D\xB1\xE4\xBA\xAC";  // 東京 in UTF-8
  CHECK(company_in("shift_jis", "\x93\x8C\x8B\x9E") == tokyo);
  CHECK(company_in("euc-jp", "\xC5\xEC\xB5\xFE") == tokyo);
  CHECK(company_in("iso-2022-jp", "\x1B$BEl5~\x1B(B") == tokyo);
  CHECK(company_in("gb2312", "\xB1\xB1\xBE\xA9") == "\xE5\x8C\x97\xE4\xBA\xAC");  // 北京
  CHECK(company_in("gbk", "\xB1\xB1\xBE\xA9") == "\xE5\x8C\x97\xE4\xBA\xAC");
  CHECK(company_in("gb18030", "\xB1\xB1\xBE\xA9") == "\xE5\x8C\x97\xE4\xBA\xAC");
  CHECK(company_in("big5", "\xA5\x78\xA5\x5F") == "\xE5\x8F\xB0\xE5\x8C\x97");    // 台北
  CHECK(company_in("euc-kr", "\xBC\xAD\xBF\xEF") == "\xEC\x84\x9C\xEC\x9A\xB8");  // 서울
}

TEST_CASE("invalid sequences become U+FFFD with a warning") {
  std::string raw =
      "From: a@b.example\r\nSubject: HIPCOM\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
      "Company name: Gr\xC3\xBC\xC3\x9F"
      "e \xFF Corp \xC3\xA9t\xC3\xA9\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.company ==
        "Gr\xC3\xBC\xC3\x9F"
        "e \xEF\xBF\xBD Corp \xC3\xA9t\xC3\xA9");
  CHECK(has_warning(m, "U+FFFD"));
}

TEST_CASE("unknown charset label falls back without losing text") {
  CHECK(company_in("x-unknown-charset", "Acme") == "Acme");
  const auto v = company_in("x-unknown-charset", "Caf\xE9 Cr\xE8me Soci\xE9t\xE9");
  REQUIRE(v);
  CHECK(v->find("\xC3\xA9") != std::string::npos);
}

TEST_CASE("utf-8 labeled as us-ascii is kept") {
  CHECK(company_in("us-ascii", "Caf\xC3\xA9") == "Caf\xC3\xA9");
  CHECK(company_in("", "Caf\xC3\xA9") == "Caf\xC3\xA9");
}

TEST_CASE("a label iconv reads as UTF-8 still gives valid UTF-8") {
  // glibc normalises "UTF-8\x7F" and "utf-8//" to UTF-8 and copies the 1993 forms (a 5-byte
  // sequence, a code point past U+10FFFF) through; they must become U+FFFD like any bad byte.
  for (const std::string label : {"UTF-8\x7F", "utf-8//"}) {
    CAPTURE(label);
    CHECK(company_in(label, "Acme \xF8\x88\x80\x80\x80 Corp") ==
          "Acme \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD Corp");
    CHECK(company_in(label, "Acme \xF6\x80\x80\x80 Corp") ==
          "Acme \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD Corp");
  }
}
