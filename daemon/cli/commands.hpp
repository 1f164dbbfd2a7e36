// The tacmaild subcommands of CONTRACT.md, each returning the process exit code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tacmail::daemon::cli {

/// level_from_config: apply logging.level (no --log-level on the command line).
int run_command(const std::filesystem::path& config_file, bool once, bool level_from_config);
int check_config_command(const std::filesystem::path& config_file);
int parse_command(const std::filesystem::path& message_file,
                  const std::optional<std::filesystem::path>& config_file);
/// Filters of `cases list`; empty members do not filter.
struct case_filter {
  std::string queue;
  std::string status;
  std::optional<int> severity;
  std::string since;  ///< RFC 3339 time, YYYY-MM-DD, or a duration back from now ("24h")
  std::string flag;
};

int cases_list_command(const std::filesystem::path& config_file, const case_filter& filter,
                       bool json);
int outbox_list_command(const std::filesystem::path& config_file, bool json);
int quarantine_list_command(const std::filesystem::path& config_file, bool json);
int status_command(const std::filesystem::path& config_file, bool json);
int cases_show_command(const std::string& case_number, const std::filesystem::path& config_file,
                       bool json);

}  // namespace tacmail::daemon::cli
