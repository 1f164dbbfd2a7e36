// stderr logging with spdlog; under systemd (JOURNAL_STREAM set) the timestamp is journald's.
#include "logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace tacmail::daemon {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("tacmaild");
  logger->set_pattern(std::getenv("JOURNAL_STREAM") ? "%l: %v" : "%Y-%m-%d %H:%M:%S.%e %l %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace tacmail::daemon
