// tacmaild's entry point: the command line (CLI11) and the one place exceptions end.
#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.hpp"
#include "logging.hpp"

int main(int argc, char** argv) {
  namespace cli = tacmail::daemon::cli;
  CLI::App app{"tacmaild: turns mail sent to a TAC support address into support cases"};
  app.require_subcommand(1);
  std::string config_file;
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical, off (default: logging.level, info)");

  auto* run = app.add_subcommand("run", "run the daemon in the foreground");
  bool once = false;
  run->add_option("--config", config_file, "the YAML config file")->required();
  run->add_flag("--once", once, "process what is in every mailbox now, send the replies, exit");

  auto* check = app.add_subcommand("check-config", "validate the config and the files it names");
  check->add_option("--config", config_file, "the YAML config file")->required();

  auto* parse = app.add_subcommand("parse", "print what the parser reads from one message");
  std::string message_file;
  parse->add_option("file", message_file, "an RFC 5322 message (.eml)")->required();
  parse->add_option("--config", config_file, "route with this config's catalogs");

  auto* cases = app.add_subcommand("cases", "read the case store");
  cases->require_subcommand(1);
  bool json = false;
  auto* list = cases->add_subcommand("list", "list the cases");
  list->add_option("--config", config_file, "the YAML config file")->required();
  list->add_flag("--json", json, "one JSON object per line");
  cli::case_filter filter;
  int severity = 0;
  list->add_option("--queue", filter.queue, "only this queue");
  list->add_option("--status", filter.status, "only this status, e.g. \"Customer Pending\"");
  list->add_option("--severity", severity, "only this severity")->check(CLI::Range(1, 4));
  list->add_option("--since", filter.since, "created since: YYYY-MM-DD, RFC 3339, or e.g. 24h");
  list->add_option("--flag", filter.flag, "only cases with this flag, e.g. phone_required");
  auto* show = cases->add_subcommand("show", "one case with its messages and replies");
  std::string case_number;
  show->add_option("number", case_number, "the 9-digit case number")->required();
  show->add_option("--config", config_file, "the YAML config file")->required();
  show->add_flag("--json", json, "one JSON object");

  auto* outbox = app.add_subcommand("outbox", "the replies waiting, sent and failed");
  outbox->require_subcommand(1);
  auto* outbox_list = outbox->add_subcommand("list", "list the outbox, newest first");
  outbox_list->add_option("--config", config_file, "the YAML config file")->required();
  outbox_list->add_flag("--json", json, "one JSON object per line");

  auto* quarantine = app.add_subcommand("quarantine", "mail that could not be processed");
  quarantine->require_subcommand(1);
  auto* quarantine_list = quarantine->add_subcommand("list", "list quarantined mail and why");
  quarantine_list->add_option("--config", config_file, "the YAML config file")->required();
  quarantine_list->add_flag("--json", json, "one JSON object per line");

  auto* status = app.add_subcommand("status", "per mailbox: connected, last fetch, last error, backlog");
  status->add_option("--config", config_file, "the YAML config file")->required();
  status->add_flag("--json", json, "one JSON object");

  CLI11_PARSE(app, argc, argv);
  if (severity != 0) filter.severity = severity;

  try {
    tacmail::daemon::setup_logging(log_level.empty() ? "info" : log_level);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (run->parsed()) return cli::run_command(config_file, once, log_level.empty());
    if (check->parsed()) return cli::check_config_command(config_file);
    if (parse->parsed())
      return cli::parse_command(message_file, config_file.empty()
                                                  ? std::nullopt
                                                  : std::optional<std::filesystem::path>(config_file));
    if (list->parsed()) return cli::cases_list_command(config_file, filter, json);
    if (outbox_list->parsed()) return cli::outbox_list_command(config_file, json);
    if (quarantine_list->parsed()) return cli::quarantine_list_command(config_file, json);
    if (status->parsed()) return cli::status_command(config_file, json);
    if (show->parsed()) return cli::cases_show_command(case_number, config_file, json);
  } catch (const std::exception& e) {
    spdlog::critical("tacmaild: {}", e.what());
    return 1;
  }
  return 1;
}
