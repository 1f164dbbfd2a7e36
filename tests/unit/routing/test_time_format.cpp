// RFC 3339 formatting and parsing as the store and the JSON output use it.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>

#include "tacmail/routing/time_format.hpp"

namespace {

using namespace std::chrono;
using tacmail::routing::clock;
using tacmail::routing::from_rfc3339;
using tacmail::routing::to_rfc3339;

const clock::time_point t0 = sys_days{year{2026} / 11 / 23} + hours(9) + minutes(15);

}  // namespace

TEST_SUITE("routing.time_format") {
  TEST_CASE("to_rfc3339 writes UTC seconds with Z") {
    CHECK(to_rfc3339(t0) == "2026-11-23T09:15:00Z");
    CHECK(to_rfc3339(t0 + milliseconds(999)) == "2026-11-23T09:15:00Z");  // floored
    CHECK(to_rfc3339(clock::time_point{}) == "1970-01-01T00:00:00Z");
  }

  TEST_CASE("round trip") {
    for (auto t : {t0, t0 + seconds(59), clock::time_point(sys_days{year{2000} / 2 / 29}),
                   clock::time_point(sys_days{year{2038} / 1 / 19} + hours(3) + minutes(14) +
                                     seconds(8))}) {
      const std::string text = to_rfc3339(t);
      CAPTURE(text);
      const auto back = from_rfc3339(text);
      REQUIRE(back.has_value());
      CHECK(*back == t);
      CHECK(to_rfc3339(*back) == text);
    }
  }

  TEST_CASE("offsets are applied") {
    const auto plus = from_rfc3339("2026-11-23T10:15:00+01:00");
    REQUIRE(plus.has_value());
    CHECK(*plus == t0);
    const auto minus = from_rfc3339("2026-11-23T04:15:00-05:00");
    REQUIRE(minus.has_value());
    CHECK(*minus == t0);
    const auto zero = from_rfc3339("2026-11-23T09:15:00+00:00");
    REQUIRE(zero.has_value());
    CHECK(*zero == t0);
    // Crossing midnight backwards.
    const auto early = from_rfc3339("2026-11-23T00:30:00+02:00");
    REQUIRE(early.has_value());
    CHECK(to_rfc3339(*early) == "2026-11-22T22:30:00Z");
  }

  TEST_CASE("garbage is nullopt") {
    for (std::string text : {"", "Z", "garbage", "2026-11-23", "2026-11-23T09:15Z",
                             "2026-11-23 09:15:00", "2026-11-23T09:15:00", "23/11/2026 09:15:00Z",
                             "2026-13-01T00:00:00Z", "2026-11-23T25:00:00Z",
                             "2026-11-23T09:15:00Zjunk"}) {
      CAPTURE(text);
      CHECK_FALSE(from_rfc3339(text).has_value());
    }
  }

  // Regression (fixed): from_rfc3339 accepted text after a valid timestamp ("...+01:00junk",
  // "...Z Z") and read a broken offset "+0x:00" as "+0".
  TEST_CASE("trailing text after a valid timestamp is rejected") {
    for (std::string text : {"2026-11-23T10:15:00+01:00junk", "2026-11-23T09:15:00Z Z",
                             "2026-11-23T09:15:00+0x:00", "2026-11-23T09:15:00+01"}) {
      CAPTURE(text);
      CHECK_FALSE(from_rfc3339(text).has_value());
    }
  }
}
