// The tacmaild subcommands of CONTRACT.md, each returning the process exit code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tacmail::daemon::cli {

int run_command(const std::filesystem::path& config_file, bool once);
int check_config_command(const std::filesystem::path& config_file);
int parse_command(const std::filesystem::path& message_file,
                  const std::optional<std::filesystem::path>& config_file);
int cases_list_command(const std::filesystem::path& config_file, bool json);
int cases_show_command(const std::string& case_number, const std::filesystem::path& config_file,
                       bool json);

}  // namespace tacmail::daemon::cli
