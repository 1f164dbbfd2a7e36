// Response-time arithmetic on a business calendar. Local times are resolved in the calendar's
// zone with Howard Hinnant's tz (the system tz database), so DST shifts are handled by it.
#include "tacmail/routing/response_time.hpp"

#include <date/tz.h>

#include <algorithm>

namespace tacmail::routing {

namespace {

using namespace std::chrono;

const date::time_zone* zone_of(const config::business_calendar& calendar) {
  try {
    return date::locate_zone(calendar.time_zone);
  } catch (const std::exception&) {
    // The config loader validated the name; a tz database without it falls back to UTC.
    return date::locate_zone("UTC");
  }
}

bool is_holiday(date::local_days day, const config::business_calendar& calendar) {
  if (calendar.holidays.empty()) return false;
  const std::string text = date::format("%F", day);
  return std::find(calendar.holidays.begin(), calendar.holidays.end(), text) !=
         calendar.holidays.end();
}

bool is_working_day(date::local_days day, const config::business_calendar& calendar) {
  const int iso = static_cast<int>(date::weekday(day).iso_encoding());
  return std::find(calendar.working_days.begin(), calendar.working_days.end(), iso) !=
             calendar.working_days.end() &&
         !is_holiday(day, calendar);
}

}  // namespace

clock::time_point add_business_time(clock::time_point received, minutes business,
                                    const config::business_calendar& calendar) {
  const date::time_zone* zone = zone_of(calendar);
  const date::local_seconds local = zone->to_local(floor<seconds>(received));
  seconds remaining = business;
  // Ten years of days bounds the walk even for a calendar with almost no working time.
  for (date::local_days day = floor<date::days>(local), last = day + date::days(3660); day < last;
       day += date::days(1)) {
    if (!is_working_day(day, calendar)) continue;
    const date::local_seconds start = day + calendar.day_start;
    const date::local_seconds end = day + calendar.day_end;
    const date::local_seconds from = std::max(local, start);
    if (from >= end) continue;
    if (remaining <= end - from) return zone->to_sys(from + remaining, date::choose::earliest);
    remaining -= end - from;
  }
  return received + business;
}

clock::time_point response_due(int severity, clock::time_point received,
                               const config::business_calendar& calendar) {
  const minutes business_day = calendar.day_end - calendar.day_start;
  switch (severity) {
    case 1: return received + minutes(15);
    case 2: return received + minutes(30);
    case 4: return add_business_time(received, 3 * business_day, calendar);
    default: return add_business_time(received, business_day, calendar);
  }
}

}  // namespace tacmail::routing
