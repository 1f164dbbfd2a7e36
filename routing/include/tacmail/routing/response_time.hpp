// Response-time objectives: S1/S2 in calendar minutes (24x7), S3/S4 in business days on the
// operator's calendar (time zone, working days, hours, holidays) via Howard Hinnant's tz.
#pragma once

#include <optional>

#include "tacmail/config/settings.hpp"
#include "tacmail/routing/decision.hpp"

namespace tacmail::routing {

/// When a case of `severity` received at `received` is due for acknowledgement.
clock::time_point response_due(int severity, clock::time_point received,
                               const config::business_calendar& calendar);

/// `received` plus `hours` of business time on `calendar`.
clock::time_point add_business_time(clock::time_point received, std::chrono::minutes business,
                                    const config::business_calendar& calendar);

}  // namespace tacmail::routing
