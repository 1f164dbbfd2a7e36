// parse_duration: the accepted suffixes and the malformed inputs it must refuse.
#include <doctest/doctest.h>

#include "tacmail/config/load.hpp"

using namespace std::chrono_literals;
using tacmail::config::parse_duration;

TEST_CASE("parse_duration accepts ms, s, m and h") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("30s") == 30s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("0s") == 0ms);
  CHECK(parse_duration("007s") == 7s);
}

TEST_CASE("parse_duration rejects malformed durations") {
  for (const char* text : {"", "10", "-5s", "+5s", "5x", "s", "ms", "5 s", " 5s", "5s ", "5S",
                           "1.5s", "5sec", "5mss", "5hm", "99999999999999999999h"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("parse_duration refuses values that overflow milliseconds") {
  CHECK_FALSE(parse_duration("9223372036854775807h").has_value());
  CHECK(parse_duration("9223372036854775807ms") == std::chrono::milliseconds(9223372036854775807));
}
