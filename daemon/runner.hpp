// `tacmaild run`: wires store, engine, mailboxes and the outbox together and runs them until
// SIGTERM (or, with --once, until every mailbox has been drained and every reply tried).
// SIGHUP re-reads the config file; systemd hears READY, STATUS and WATCHDOG from the loop.
#pragma once

#include <filesystem>

#include "tacmail/config/load.hpp"

namespace tacmail::daemon {

/// The process exit code: 0 after a clean drain or stop, 1 when a mailbox or the store failed.
int run(const std::filesystem::path& config_file, const config::loaded_config& config, bool once,
        bool level_from_config);

}  // namespace tacmail::daemon
