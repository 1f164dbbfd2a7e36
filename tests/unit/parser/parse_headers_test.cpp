// RFC 2047 encoded words, addresses and message ids.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

namespace {

parsed_message with_headers(const std::string& headers) {
  return parse_message(headers + "\r\n\r\nhello\r\n", test_catalog());
}

std::string subject_of(const std::string& encoded) {
  return with_headers("From: a@b.example\r\nSubject: " + encoded).subject;
}

}  // namespace

TEST_CASE("RFC 2047 encoded words") {
  CHECK(subject_of("=?utf-8?q?Gr=C3=BC=C3=9Fe?=") ==
        "Gr\xC3\xBC\xC3\x9F"
        "e");
  CHECK(subject_of("=?UTF-8?B?R3LDvMOfZQ==?=") ==
        "Gr\xC3\xBC\xC3\x9F"
        "e");
  // Adjacent words are joined without the space between them, even mid-character.
  CHECK(subject_of("=?UTF-8?B?R3LD?= =?UTF-8?B?vMOfZQ==?=") ==
        "Gr\xC3\xBC\xC3\x9F"
        "e");
  CHECK(subject_of("=?utf-8?q?a?=\r\n =?utf-8?q?b?=") == "ab");
  // Text between words keeps its spaces.
  CHECK(subject_of("Re: =?iso-8859-1?q?Caf=E9?= issue") == "Re: Caf\xC3\xA9 issue");
  // Underscore is a space in Q.
  CHECK(subject_of("=?utf-8?Q?Cisco_BroadWorks?=") == "Cisco BroadWorks");
  // Mixed charsets in one header.
  CHECK(subject_of("=?iso-8859-1?q?=E9?= =?koi8-r?b?7fTz?=") == "\xC3\xA9\xD0\x9C\xD0\xA2\xD0\xA1");
  // Broken words are left as written.
  CHECK(subject_of("=?utf-8?x?abc?= test") == "=?utf-8?x?abc?= test");
  CHECK(subject_of("=?utf-8?q?unterminated") == "=?utf-8?q?unterminated");
  // Language tag (RFC 2231) is ignored.
  CHECK(subject_of("=?utf-8*en?q?hello?=") == "hello");
}

TEST_CASE("raw 8-bit UTF-8 subjects are kept") {
  CHECK(subject_of("Gr\xC3\xBC\xC3\x9F"
                   "e") ==
        "Gr\xC3\xBC\xC3\x9F"
        "e");
}

TEST_CASE("From address and display name forms") {
  auto a = with_headers("From: \"Doe, John\" <John.Doe@Example.COM>");
  CHECK(a.from_address == "john.doe@example.com");
  CHECK(a.from_name == "Doe, John");
  auto b = with_headers("From: jd@x.example (John Doe)");
  CHECK(b.from_address == "jd@x.example");
  CHECK(b.from_name == "John Doe");
  auto c = with_headers("From: <only@x.example>");
  CHECK(c.from_address == "only@x.example");
  CHECK_FALSE(c.from_name);
  auto d = with_headers("From: =?utf-8?Q?Ren=C3=A9e?= <renee@x.example>");
  CHECK(d.from_name ==
        "Ren\xC3\xA9"
        "e");
  auto e = with_headers("From: \"=?utf-8?B?QW3DqWxpZQ==?=\" <a@x.example>");
  CHECK(e.from_name == "Am\xC3\xA9lie");
}

TEST_CASE("message ids without brackets; Date as written") {
  auto m = with_headers(
      "From: a@b.example\r\nMessage-ID:\r\n <id.1@b.example>\r\nIn-Reply-To: <id.0@b.example> "
      "(comment)\r\nReferences: <r1@b.example> <r2@b.example>\r\n\t<r3@b.example>\r\n"
      "Date: Mon, 3 Jun 2024 11:14:20 +0200 (CEST)");
  CHECK(m.message_id == "id.1@b.example");
  CHECK(m.in_reply_to == std::vector<std::string>{"id.0@b.example"});
  CHECK(m.references == std::vector<std::string>{"r1@b.example", "r2@b.example", "r3@b.example"});
  CHECK(m.date == "Mon, 3 Jun 2024 11:14:20 +0200 (CEST)");
}

TEST_CASE("X-Auto-Response-Suppress and every Authentication-Results header, unfolded") {
  auto m = with_headers(
      "From: a@b.example\r\nX-Auto-Response-Suppress: DR, OOF,\r\n AutoReply\r\n"
      "Authentication-Results: mx.example.com;\r\n\tdmarc=pass header.from=b.example\r\n"
      "Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=b.example");
  CHECK(m.auto_response_suppress == "DR, OOF, AutoReply");
  const std::vector<std::string> expected{"mx.example.com; dmarc=pass header.from=b.example",
                                          "mx.example.com; spf=fail smtp.mailfrom=b.example"};
  CHECK(m.authentication_results == expected);
  CHECK(with_headers("From: a@b.example").auto_response_suppress.empty());
}
