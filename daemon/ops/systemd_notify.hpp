// The sd_notify protocol (libsystemd): READY=1, STATUS=, WATCHDOG=1, STOPPING=1. Every call is
// a no-op when the daemon does not run under systemd (no $NOTIFY_SOCKET).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace tacmail::daemon::ops {

void notify_ready();
void notify_reloading();
void notify_stopping();
void notify_status(const std::string& status);
void notify_watchdog();
/// The watchdog period systemd expects (WatchdogSec=), if it is enabled for this process.
std::optional<std::chrono::microseconds> watchdog_period();

}  // namespace tacmail::daemon::ops
