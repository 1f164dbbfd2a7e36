// RFC 3339 timestamps as the store, the JSON output and the logs write them (UTC, seconds).
#pragma once

#include <optional>
#include <string>

#include "tacmail/routing/decision.hpp"

namespace tacmail::routing {

/// "2026-11-23T09:15:00Z"
std::string to_rfc3339(clock::time_point t);

/// Parses what to_rfc3339 writes (and offsets like "+01:00"); nullopt when malformed.
std::optional<clock::time_point> from_rfc3339(const std::string& text);

}  // namespace tacmail::routing
