// Unit tests for the IMAP argument formatting (imap/command.hpp): quoting that can never end a
// command line early, mailbox names cleaned of line breaks, and compressed UID sets.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imap/command.hpp"

using namespace std::string_literals;
using tacmail::daemon::imap::quote_string;
using tacmail::daemon::imap::quoted_mailbox;
using tacmail::daemon::imap::uid_set;

TEST_CASE("quote_string wraps plain text in double quotes") {
  CHECK(quote_string("user") == std::optional<std::string>("\"user\""));
  CHECK(quote_string("") == std::optional<std::string>("\"\""));
  CHECK(quote_string("a b (c) {5} * %") == std::optional<std::string>("\"a b (c) {5} * %\""));
}

TEST_CASE("quote_string escapes double quote and backslash") {
  CHECK(quote_string("a\"b") == std::optional<std::string>("\"a\\\"b\""));
  CHECK(quote_string("a\\b") == std::optional<std::string>("\"a\\\\b\""));
  CHECK(quote_string("\\\"") == std::optional<std::string>("\"\\\\\\\"\""));
  // A password ending in a backslash must not escape the closing quote.
  CHECK(quote_string("pw\\") == std::optional<std::string>("\"pw\\\\\""));
}

TEST_CASE("quote_string refuses CR, LF and NUL anywhere") {
  for (const auto& bad :
       {"a\rb"s, "a\nb"s, "a\0b"s, "\r\n"s, "pass\r\nT1 LOGOUT"s, "x\n"s, "\0"s}) {
    CAPTURE(bad.size());
    CHECK_FALSE(quote_string(bad).has_value());
  }
}

TEST_CASE("quote_string passes 8-bit bytes through unchanged") {
  CHECK(quote_string("p\xc3\xa4ss") == std::optional<std::string>("\"p\xc3\xa4ss\""));
}

TEST_CASE("quoted_mailbox quotes and escapes") {
  CHECK(quoted_mailbox("INBOX") == "\"INBOX\"");
  CHECK(quoted_mailbox("Processed") == "\"Processed\"");
  CHECK(quoted_mailbox("Support/Done Items") == "\"Support/Done Items\"");
  CHECK(quoted_mailbox("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quoted_mailbox("") == "\"\"");
}

TEST_CASE("quoted_mailbox drops CR, LF and NUL instead of failing") {
  CHECK(quoted_mailbox("Pro\r\ncessed") == "\"Processed\"");
  CHECK(quoted_mailbox("In\0box"s) == "\"Inbox\"");
  CHECK(quoted_mailbox("X\r\nT9 DELETE INBOX") == "\"XT9 DELETE INBOX\"");
  CHECK(quoted_mailbox("\r\n\0"s) == "\"\"");
}

TEST_CASE("uid_set of an empty list is empty") { CHECK(uid_set({}) == ""); }

TEST_CASE("uid_set compresses runs into ranges") {
  CHECK(uid_set({1}) == "1");
  CHECK(uid_set({1, 2}) == "1:2");
  CHECK(uid_set({1, 2, 3}) == "1:3");
  CHECK(uid_set({1, 2, 3, 7, 9, 10}) == "1:3,7,9:10");
  CHECK(uid_set({5, 7, 9}) == "5,7,9");
}

TEST_CASE("uid_set sorts and drops duplicates") {
  CHECK(uid_set({3, 1, 2}) == "1:3");
  CHECK(uid_set({10, 9, 7, 3, 2, 1}) == "1:3,7,9:10");
  CHECK(uid_set({4, 4, 4}) == "4");
  CHECK(uid_set({2, 1, 2, 3, 1}) == "1:3");
}

TEST_CASE("uid_set handles the ends of the UID range") {
  constexpr std::uint32_t max = UINT32_MAX;
  CHECK(uid_set({max}) == "4294967295");
  CHECK(uid_set({max - 1, max}) == "4294967294:4294967295");
  CHECK(uid_set({max, 1}) == "1,4294967295");
  CHECK(uid_set({0, 1}) == "0:1");  // 0 is no valid UID, but the formatting stays total
}
