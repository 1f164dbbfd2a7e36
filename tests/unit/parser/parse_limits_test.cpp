// Limits and hostile input: over a limit is unreadable with the reason, never a crash.
#include <doctest/doctest.h>

#include "parser_test_support.hpp"

using namespace tacmail::parser;
using namespace tacmail::parser::test;

TEST_CASE("message over max_message_bytes is unreadable, headers still read") {
  parse_limits limits;
  limits.max_message_bytes = 200;
  const parsed_message m = parse_file("plain_template.eml", limits);
  CHECK(m.kind == message_kind::unreadable);
  CHECK(has_warning(m, "max_message_bytes"));
  CHECK(m.message_id == "CAF=plain.0001@mail.acme-telecom.com");
  CHECK_FALSE(m.company);
}

TEST_CASE("a header line over max_header_line is unreadable") {
  parse_limits limits;
  limits.max_header_line = 100;
  const std::string raw = "From: a@b.c\r\nSubject: " + std::string(500, 'x') + "\r\n\r\nbody\r\n";
  const parsed_message m = parse_message(raw, test_catalog(), limits);
  CHECK(m.kind == message_kind::unreadable);
  CHECK(has_warning(m, "max_header_line"));
}

TEST_CASE("MIME nesting deeper than max_mime_depth is unreadable") {
  std::string raw = "From: a@b.c\r\nSubject: deep\r\nMIME-Version: 1.0\r\n";
  const int depth = 30;
  for (int i = 0; i < depth; ++i) {
    raw += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" +
           std::to_string(i) + "\r\n";
  }
  raw += "Content-Type: text/plain\r\n\r\nhello\r\n";
  parse_limits limits;
  limits.max_mime_depth = 10;
  const parsed_message m = parse_message(raw, test_catalog(), limits);
  CHECK(m.kind == message_kind::unreadable);
  CHECK(has_warning(m, "max_mime_depth"));
  // Within the limit it reads.
  limits.max_mime_depth = 40;
  CHECK(parse_message(raw, test_catalog(), limits).body_text == "hello");
}

TEST_CASE("more parts than max_parts is unreadable") {
  std::string raw =
      "From: a@b.c\r\nSubject: many\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 0; i < 50; ++i) raw += "--b\r\nContent-Type: text/plain\r\n\r\npart\r\n";
  raw += "--b--\r\n";
  parse_limits limits;
  limits.max_parts = 20;
  const parsed_message m = parse_message(raw, test_catalog(), limits);
  CHECK(m.kind == message_kind::unreadable);
  CHECK(has_warning(m, "max_parts"));
}

TEST_CASE("very deep nesting with default limits does not crash") {
  std::string raw = "From: a@b.c\r\nSubject: deep\r\n";
  for (int i = 0; i < 20000; ++i) raw += "Content-Type: message/rfc822\r\n\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  CHECK(m.kind == message_kind::unreadable);
}

TEST_CASE("empty input is unreadable; binary noise is read as text with its bad bytes replaced") {
  CHECK(parse_message("", test_catalog()).kind == message_kind::unreadable);
  CHECK(parse_message("\r\n\r\n", test_catalog()).kind == message_kind::unreadable);
  std::string noise;
  for (int i = 0; i < 5000; ++i) noise.push_back(static_cast<char>((i * 7919) % 256));
  const parsed_message m = parse_message(noise, test_catalog());
  CHECK(m.kind != message_kind::unreadable);
  CHECK(has_warning(m, "replaced with U+FFFD"));
  CHECK(m.body_text.find("\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("8-bit garbage in ids, dates, addresses and labels still yields valid UTF-8 JSON") {
  const std::string raw =
      "From: \xFF\xFE <bad\xC0@ex\xE9mple.com>\r\nSubject: \xC3\x28 =?x-bogus?q?=FF?=\r\n"
      "Message-ID: <id\xFF@host>\r\nIn-Reply-To: <a\x80@b>\r\nReferences: <c\xC1@d>\r\n"
      "Date: Mon, 3 Jun 2024 \xFF\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: text/plain; charset=\"\xFFweird\"\r\n\r\nCompany name: \xE9t\xE9\r\n"
      "--x\r\nContent-Type: appl\xE9/x\xFF; name=\"f\xFF.bin\"\r\n\r\nabc\r\n--x--\r\n";
  const parsed_message m = parse_message(raw, test_catalog());
  std::string dumped;
  CHECK_NOTHROW(dumped = to_json(m).dump());
  REQUIRE(m.message_id);
  CHECK(m.message_id->rfind("id", 0) == 0);
  CHECK(m.message_id->find("@host") != std::string::npos);
  CHECK_FALSE(dumped.empty());
}

TEST_CASE("every sample message prints as valid JSON") {
  for (const char* name :
       {"plain_template.eml", "qp_utf8.eml", "base64_utf8.eml", "iso_8859_1.eml",
        "unlabeled_8bit.eml", "html_only.eml", "multipart_alternative.eml", "attachment.eml",
        "follow_up.eml", "auto_reply.eml", "bounce.eml", "list.eml", "winmail_tnef.eml",
        "forward_gmail.eml", "forward_attached.eml", "format_flowed.eml"}) {
    CAPTURE(name);
    CHECK_NOTHROW((void)to_json(parse_file(name)).dump());
  }
}
