// Log setup: human lines on stderr (journald adds timestamps when it is the reader).
#pragma once

#include <string>

namespace tacmail::daemon {

/// level: trace, debug, info, warn, error, critical, off.
void setup_logging(const std::string& level);

}  // namespace tacmail::daemon
