// Response-time objectives: S1/S2 in calendar minutes, S3/S4 in business days on a calendar
// with a real IANA time zone, working days, hours and holidays, across DST changes. Times are
// written as local wall-clock times in the calendar's zone and converted with date::make_zoned.
#include <date/date.h>
#include <date/tz.h>
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tacmail/config/settings.hpp"
#include "tacmail/routing/response_time.hpp"
#include "tacmail/routing/time_format.hpp"

namespace {

using namespace std::chrono;
using tacmail::config::business_calendar;
using tacmail::routing::add_business_time;
using tacmail::routing::clock;
using tacmail::routing::response_due;
using tacmail::routing::to_rfc3339;

constexpr int mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6, sun = 7;

// A local wall-clock time in a zone.
struct wall {
  date::year_month_day day;
  int hour;
  int minute;
};

date::local_seconds local_of(const wall& w) {
  return date::local_days{w.day} + hours(w.hour) + minutes(w.minute);
}

clock::time_point at(const char* zone, const wall& w) {
  return clock::time_point(date::make_zoned(zone, local_of(w)).get_sys_time());
}

// "2026-04-14 10:00 EDT" for messages.
std::string local_text(const char* zone, clock::time_point t) {
  return date::format("%F %H:%M %Z", date::make_zoned(zone, floor<seconds>(t)));
}

int iso_weekday(const wall& w) {
  return static_cast<int>(date::weekday(date::sys_days{w.day}).iso_encoding());
}

business_calendar new_york(std::vector<std::string> holidays = {}) {
  business_calendar c;
  c.time_zone = "America/New_York";
  c.working_days = {1, 2, 3, 4, 5};
  c.day_start = hours(8);
  c.day_end = hours(17);
  c.holidays = std::move(holidays);
  return c;
}

business_calendar berlin() {
  business_calendar c;
  c.time_zone = "Europe/Berlin";
  c.working_days = {1, 2, 3, 4, 5};
  c.day_start = hours(9);
  c.day_end = hours(17);
  return c;
}

// A Sunday-to-Thursday week.
business_calendar dubai() {
  business_calendar c;
  c.time_zone = "Asia/Dubai";
  c.working_days = {7, 1, 2, 3, 4};
  c.day_start = hours(8);
  c.day_end = hours(16);
  return c;
}

constexpr auto apr = date::April;
constexpr auto y2026 = date::year{2026};

struct row {
  const char* name;
  business_calendar calendar;
  int severity;
  wall received;
  int received_weekday;  // ISO, a guard on the table itself
  wall expected;
};

void check_rows(const std::vector<row>& rows) {
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const char* zone = r.calendar.time_zone.c_str();
    REQUIRE(iso_weekday(r.received) == r.received_weekday);
    const clock::time_point received = at(zone, r.received);
    const clock::time_point want = at(zone, r.expected);
    const clock::time_point got = response_due(r.severity, received, r.calendar);
    CAPTURE(local_text(zone, received));
    CAPTURE(local_text(zone, want));
    CAPTURE(local_text(zone, got));
    CHECK(to_rfc3339(got) == to_rfc3339(want));
  }
}

}  // namespace

TEST_SUITE("routing.response_time") {
  TEST_CASE("S1 and S2 are calendar minutes, any day, any hour") {
    const auto cal = new_york({"2026-04-20"});
    // clang-format off
    const std::vector<row> rows = {
        {"S1 Tue 10:00", cal, 1, {y2026 / apr / 14, 10, 0}, tue, {y2026 / apr / 14, 10, 15}},
        {"S2 Tue 10:00", cal, 2, {y2026 / apr / 14, 10, 0}, tue, {y2026 / apr / 14, 10, 30}},
        {"S1 Sunday night", cal, 1, {y2026 / apr / 19, 23, 50}, sun, {y2026 / apr / 20, 0, 5}},
        {"S2 Sunday night", cal, 2, {y2026 / apr / 19, 23, 50}, sun, {y2026 / apr / 20, 0, 20}},
        {"S1 Saturday noon", cal, 1, {y2026 / apr / 18, 12, 0}, sat, {y2026 / apr / 18, 12, 15}},
        {"S2 on a holiday", cal, 2, {y2026 / apr / 20, 9, 0}, mon, {y2026 / apr / 20, 9, 30}},
        {"S2 after hours", cal, 2, {y2026 / apr / 14, 22, 45}, tue, {y2026 / apr / 14, 23, 15}},
    };
    // clang-format on
    check_rows(rows);
  }

  TEST_CASE("S1/S2 across the DST change are 15/30 real minutes") {
    // 2026-03-08 02:00 EST -> 03:00 EDT in New York.
    const auto cal = new_york();
    const clock::time_point received = at("America/New_York", {y2026 / date::March / 8, 1, 50});
    CHECK(to_rfc3339(received) == "2026-03-08T06:50:00Z");
    CHECK(to_rfc3339(response_due(1, received, cal)) == "2026-03-08T07:05:00Z");  // 03:05 EDT
    CHECK(to_rfc3339(response_due(2, received, cal)) == "2026-03-08T07:20:00Z");  // 03:20 EDT
  }

  TEST_CASE("S3 is one business day, America/New_York Mon-Fri 08:00-17:00") {
    // clang-format off
    const std::vector<row> rows = {
        {"Tue 10:00 -> Wed 10:00", new_york(), 3, {y2026 / apr / 14, 10, 0}, tue,
         {y2026 / apr / 15, 10, 0}},
        {"Fri 16:00 -> Mon 16:00", new_york(), 3, {y2026 / apr / 17, 16, 0}, fri,
         {y2026 / apr / 20, 16, 0}},
        {"Sat 12:00 -> Mon 17:00", new_york(), 3, {y2026 / apr / 18, 12, 0}, sat,
         {y2026 / apr / 20, 17, 0}},
        {"Sun 23:59 -> Mon 17:00", new_york(), 3, {y2026 / apr / 19, 23, 59}, sun,
         {y2026 / apr / 20, 17, 0}},
        {"Mon 07:00 -> Mon 17:00", new_york(), 3, {y2026 / apr / 20, 7, 0}, mon,
         {y2026 / apr / 20, 17, 0}},
        {"Mon 08:00 -> Mon 17:00", new_york(), 3, {y2026 / apr / 20, 8, 0}, mon,
         {y2026 / apr / 20, 17, 0}},
        {"Tue 17:00 (closing) -> Wed 17:00", new_york(), 3, {y2026 / apr / 14, 17, 0}, tue,
         {y2026 / apr / 15, 17, 0}},
        {"Tue 22:00 -> Wed 17:00", new_york(), 3, {y2026 / apr / 14, 22, 0}, tue,
         {y2026 / apr / 15, 17, 0}},
        {"Tue 16:59 -> Wed 16:59", new_york(), 3, {y2026 / apr / 14, 16, 59}, tue,
         {y2026 / apr / 15, 16, 59}},
        {"holiday Wed skipped: Tue 10:00 -> Thu 10:00", new_york({"2026-04-15"}), 3,
         {y2026 / apr / 14, 10, 0}, tue, {y2026 / apr / 16, 10, 0}},
        {"holiday Mon skipped: Fri 16:00 -> Tue 16:00", new_york({"2026-04-20"}), 3,
         {y2026 / apr / 17, 16, 0}, fri, {y2026 / apr / 21, 16, 0}},
        {"two holidays in a row", new_york({"2026-04-15", "2026-04-16"}), 3,
         {y2026 / apr / 14, 10, 0}, tue, {y2026 / apr / 17, 10, 0}},
        {"received on a holiday", new_york({"2026-04-14"}), 3, {y2026 / apr / 14, 10, 0}, tue,
         {y2026 / apr / 15, 17, 0}},
        {"a holiday on a weekend changes nothing", new_york({"2026-04-18"}), 3,
         {y2026 / apr / 17, 16, 0}, fri, {y2026 / apr / 20, 16, 0}},
    };
    // clang-format on
    check_rows(rows);
  }

  TEST_CASE("S4 is three business days") {
    // clang-format off
    const std::vector<row> rows = {
        {"Tue 10:00 -> Fri 10:00", new_york(), 4, {y2026 / apr / 14, 10, 0}, tue,
         {y2026 / apr / 17, 10, 0}},
        {"Thu 10:00 -> Tue 10:00", new_york(), 4, {y2026 / apr / 16, 10, 0}, thu,
         {y2026 / apr / 21, 10, 0}},
        {"Sat 12:00 -> Wed 17:00", new_york(), 4, {y2026 / apr / 18, 12, 0}, sat,
         {y2026 / apr / 22, 17, 0}},
        {"holiday Fri skipped: Thu 10:00 -> Wed 10:00", new_york({"2026-04-17"}), 4,
         {y2026 / apr / 16, 10, 0}, thu, {y2026 / apr / 22, 10, 0}},
    };
    // clang-format on
    check_rows(rows);
  }

  TEST_CASE("S3 across the spring DST change in New York") {
    // Fri 2026-03-06 16:00 EST (UTC-5) -> Mon 2026-03-09 16:00 EDT (UTC-4).
    const auto cal = new_york();
    const clock::time_point received = at("America/New_York", {y2026 / date::March / 6, 16, 0});
    CHECK(to_rfc3339(received) == "2026-03-06T21:00:00Z");
    const clock::time_point due = response_due(3, received, cal);
    CHECK(to_rfc3339(due) == "2026-03-09T20:00:00Z");
    CHECK(due == at("America/New_York", {y2026 / date::March / 9, 16, 0}));
    // 71 real hours, not 72: the weekend was an hour short.
    CHECK(due - received == hours(71));
  }

  TEST_CASE("S3 across the autumn DST change in New York") {
    // Fri 2026-10-30 16:00 EDT (UTC-4) -> Mon 2026-11-02 16:00 EST (UTC-5).
    const auto cal = new_york();
    const clock::time_point received = at("America/New_York", {y2026 / date::October / 30, 16, 0});
    CHECK(to_rfc3339(received) == "2026-10-30T20:00:00Z");
    const clock::time_point due = response_due(3, received, cal);
    CHECK(to_rfc3339(due) == "2026-11-02T21:00:00Z");
    CHECK(due - received == hours(73));
  }

  TEST_CASE("a calendar in Europe/Berlin, Mon-Fri 09:00-17:00") {
    // clang-format off
    const std::vector<row> rows = {
        {"Tue 10:00 -> Wed 10:00", berlin(), 3, {y2026 / apr / 14, 10, 0}, tue,
         {y2026 / apr / 15, 10, 0}},
        {"Fri 16:00 CET -> Mon 16:00 CEST", berlin(), 3, {y2026 / date::March / 27, 16, 0}, fri,
         {y2026 / date::March / 30, 16, 0}},
        {"Mon 08:00 -> Mon 17:00", berlin(), 3, {y2026 / apr / 20, 8, 0}, mon,
         {y2026 / apr / 20, 17, 0}},
        {"S4 Wed 12:00 -> Mon 12:00", berlin(), 4, {y2026 / apr / 15, 12, 0}, wed,
         {y2026 / apr / 20, 12, 0}},
    };
    // clang-format on
    check_rows(rows);

    SUBCASE("the DST change is in the UTC result") {
      const clock::time_point received = at("Europe/Berlin", {y2026 / date::March / 27, 16, 0});
      CHECK(to_rfc3339(received) == "2026-03-27T15:00:00Z");
      CHECK(to_rfc3339(response_due(3, received, berlin())) == "2026-03-30T14:00:00Z");
    }
    SUBCASE("the local date decides, not the UTC date") {
      // 2026-04-14 23:30 UTC is Wed 2026-04-15 01:30 in Berlin: before opening, so the whole
      // Wednesday counts, due Wed 17:00 CEST.
      const clock::time_point received = date::sys_days{y2026 / apr / 14} + hours(23) + minutes(30);
      CHECK(to_rfc3339(response_due(3, received, berlin())) == "2026-04-15T15:00:00Z");
    }
  }

  TEST_CASE("the local date decides in New York too") {
    // 2026-04-15 02:00 UTC is Tue 2026-04-14 22:00 EDT: after hours, due Wed 17:00 EDT.
    const clock::time_point received = date::sys_days{y2026 / apr / 15} + hours(2);
    CHECK(to_rfc3339(response_due(3, received, new_york())) == "2026-04-15T21:00:00Z");
  }

  TEST_CASE("working days from the calendar: a Sunday-Thursday week in Asia/Dubai") {
    // clang-format off
    const std::vector<row> rows = {
        {"Thu 15:00 -> Sun 15:00", dubai(), 3, {y2026 / apr / 16, 15, 0}, thu,
         {y2026 / apr / 19, 15, 0}},
        {"Fri 10:00 -> Sun 16:00", dubai(), 3, {y2026 / apr / 17, 10, 0}, fri,
         {y2026 / apr / 19, 16, 0}},
        {"Sun 08:00 -> Sun 16:00", dubai(), 3, {y2026 / apr / 19, 8, 0}, sun,
         {y2026 / apr / 19, 16, 0}},
    };
    // clang-format on
    check_rows(rows);
  }

  TEST_CASE("add_business_time counts only business minutes") {
    const auto cal = new_york();
    const char* zone = "America/New_York";
    struct step {
      const char* name;
      wall from;
      minutes business;
      wall expected;
    };
    // clang-format off
    const step steps[] = {
        {"within the day", {y2026 / apr / 14, 9, 0}, minutes(90), {y2026 / apr / 14, 10, 30}},
        {"over the night", {y2026 / apr / 14, 16, 45}, minutes(30), {y2026 / apr / 15, 8, 15}},
        {"over the weekend", {y2026 / apr / 17, 16, 45}, minutes(30), {y2026 / apr / 20, 8, 15}},
        {"from the weekend", {y2026 / apr / 18, 3, 0}, minutes(1), {y2026 / apr / 20, 8, 1}},
        {"zero", {y2026 / apr / 14, 9, 0}, minutes(0), {y2026 / apr / 14, 9, 0}},
        {"two weeks of hours", {y2026 / apr / 13, 8, 0}, minutes(10 * 9 * 60),
         {y2026 / apr / 24, 17, 0}},
    };
    // clang-format on
    for (const auto& s : steps) {
      CAPTURE(s.name);
      const auto got = add_business_time(at(zone, s.from), s.business, cal);
      CAPTURE(local_text(zone, got));
      CHECK(got == at(zone, s.expected));
    }
  }

  TEST_CASE("seconds of the received time are kept") {
    const clock::time_point received =
        at("America/New_York", {y2026 / apr / 14, 10, 0}) + seconds(42);
    CHECK(response_due(3, received, new_york()) ==
          at("America/New_York", {y2026 / apr / 15, 10, 0}) + seconds(42));
    CHECK(response_due(1, received, new_york()) == received + minutes(15));
  }
}
