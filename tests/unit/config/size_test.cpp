// parse_size: plain byte counts, the 1024-based k/M/G suffixes, and what it must refuse.
#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "tacmail/config/load.hpp"

using tacmail::config::parse_size;

TEST_CASE("parse_size accepts bytes and k, M, G in either case") {
  CHECK(parse_size("0") == 0u);
  CHECK(parse_size("65536") == 65536u);
  CHECK(parse_size("64k") == 64u * 1024);
  CHECK(parse_size("64K") == 64u * 1024);
  CHECK(parse_size("50M") == 50u * 1024 * 1024);
  CHECK(parse_size("50m") == 50u * 1024 * 1024);
  CHECK(parse_size("2G") == 2ull * 1024 * 1024 * 1024);
  CHECK(parse_size("007k") == 7u * 1024);
}

TEST_CASE("parse_size rejects malformed or overflowing sizes") {
  const std::string too_big = std::to_string(std::numeric_limits<std::size_t>::max()) + "k";
  for (const std::string& text :
       {std::string(), std::string("k"), std::string("-1"), std::string("+1"), std::string("1.5M"),
        std::string("50MB"), std::string("50 M"), std::string(" 50"), std::string("1T"),
        std::string("99999999999999999999999"), too_big}) {
    CAPTURE(text);
    CHECK_FALSE(parse_size(text).has_value());
  }
}
