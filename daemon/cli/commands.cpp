// Subcommand bodies: load config, call into the daemon, print for people or for tools.
#include "cli/commands.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/json_output.hpp"
#include "runner.hpp"
#include "store/sqlite_store.hpp"
#include "tacmail/config/load.hpp"
#include "tacmail/parser/parser.hpp"
#include "tacmail/routing/time_format.hpp"

namespace tacmail::daemon::cli {

namespace {

// Loads the config, printing every error as FILE:LINE: key.path: what is wrong.
std::optional<config::loaded_config> load_or_report(const std::filesystem::path& file) {
  auto result = config::load_config(file);
  for (const auto& e : result.errors) std::cerr << e.to_string() << "\n";
  return std::move(result.value);
}

// The read commands' view of the store: read-only, so nothing is created or changed. Before
// the daemon's first run there is no database: that is an empty store, said on stderr.
std::unique_ptr<store::sqlite_store> open_store(const config::loaded_config& c) {
  std::error_code ec;
  std::string detail;
  const std::filesystem::path& file = c.settings.storage.sqlite;
  if (!std::filesystem::exists(file, ec)) {
    std::cerr << file.string() << ": no database yet (tacmaild run creates it): nothing stored\n";
    return store::sqlite_store::open(":memory:", ec, detail);
  }
  auto store = store::sqlite_store::open(file, ec, detail, store::sqlite_store::access::read_only);
  if (!store) std::cerr << file.string() << ": " << detail << "\n";
  return store;
}

std::string text(const std::optional<std::string>& v) { return v.value_or("-"); }

std::string shorten(std::string s, std::size_t n) {
  if (s.size() > n) s = s.substr(0, n - 1) + "~";
  return s;
}

}  // namespace

int run_command(const std::filesystem::path& config_file, bool once, bool level_from_config) {
  auto config = load_or_report(config_file);
  if (!config) return 2;
  if (level_from_config) spdlog::set_level(spdlog::level::from_str(config->settings.logging.level));
  return daemon::run(config_file, *config, once, level_from_config);
}

int check_config_command(const std::filesystem::path& config_file) {
  auto config = load_or_report(config_file);
  if (!config) return 2;
  std::cout << config_file.string() << ": valid (" << config->settings.mailboxes.size()
            << " mailbox(es), " << config->products.products.size() << " products, "
            << config->contracts.contracts.size() << " contracts)\n";
  return 0;
}

int parse_command(const std::filesystem::path& message_file,
                  const std::optional<std::filesystem::path>& config_file) {
  std::ifstream in(message_file, std::ios::binary);
  if (!in) {
    std::cerr << message_file.string() << ": cannot read\n";
    return 1;
  }
  std::ostringstream raw;
  raw << in.rdbuf();

  std::optional<config::loaded_config> config;
  if (config_file) {
    config = load_or_report(*config_file);
    if (!config) return 2;
  }
  const auto catalog = config ? config->products : config::builtin_product_catalog();
  const auto message =
      config ? parser::parse_message(raw.str(), catalog, parser::parse_options_of(config->settings))
             : parser::parse_message(raw.str(), catalog);
  std::optional<routing::decision> decision;
  if (config) {
    routing::routing_rules rules{config->products, config->contracts, config->settings.routing,
                                 config->templates};
    decision = routing::decide(message, rules, routing::clock::now());
  }
  std::cout << parse_json(message, decision ? &*decision : nullptr) << "\n";
  return 0;
}

namespace {

// The earliest creation time `since` admits; nullopt when it cannot be read.
std::optional<std::string> since_bound(const std::string& since) {
  if (auto d = config::parse_duration(since))
    return routing::to_rfc3339(routing::clock::now() - *d);
  if (routing::from_rfc3339(since)) return routing::to_rfc3339(*routing::from_rfc3339(since));
  if (auto day = routing::from_rfc3339(since + "T00:00:00Z")) return routing::to_rfc3339(*day);
  return std::nullopt;
}

bool matches(const store::case_record& c, const case_filter& f, const std::string& since) {
  if (!f.queue.empty() && c.queue != f.queue) return false;
  if (!f.status.empty() && c.status != f.status) return false;
  if (f.severity && c.severity != f.severity) return false;
  if (!since.empty() && c.created < since) return false;
  if (!f.flag.empty() && std::find(c.flags.begin(), c.flags.end(), f.flag) == c.flags.end())
    return false;
  return true;
}

}  // namespace

int cases_list_command(const std::filesystem::path& config_file, const case_filter& filter,
                       bool json) {
  auto config = load_or_report(config_file);
  if (!config) return 2;
  std::string since;
  if (!filter.since.empty()) {
    auto bound = since_bound(filter.since);
    if (!bound) {
      std::cerr << "--since: '" << filter.since
                << "' is neither a date, an RFC 3339 time nor a duration like 24h\n";
      return 2;
    }
    since = *bound;
  }
  auto store = open_store(*config);
  if (!store) return 1;
  std::error_code ec;
  auto cases = store->list_cases(ec);
  if (ec) {
    std::cerr << "cannot list cases: " << store->last_error_detail() << "\n";
    return 1;
  }
  std::erase_if(cases, [&](const store::case_record& c) { return !matches(c, filter, since); });
  if (json) {
    for (const auto& c : cases) std::cout << case_json(c) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<10} {:<17} {:<27} {:<4} {:<28} {:<24} {}\n", "CASE", "STATUS",
                           "QUEUE", "SEV", "PRODUCT", "COMPANY", "SENDER");
  for (const auto& c : cases)
    std::cout << fmt::format("{:<10} {:<17} {:<27} {:<4} {:<28} {:<24} {}\n", c.case_number,
                             c.status, shorten(c.queue, 27),
                             c.severity ? "S" + std::to_string(*c.severity) : "-",
                             shorten(text(c.product), 28), shorten(text(c.company), 24), c.sender);
  std::cout << cases.size() << " case(s)\n";
  return 0;
}

int outbox_list_command(const std::filesystem::path& config_file, bool json) {
  auto config = load_or_report(config_file);
  if (!config) return 2;
  auto store = open_store(*config);
  if (!store) return 1;
  std::error_code ec;
  const auto entries = store->list_outbox(ec);
  if (ec) {
    std::cerr << "cannot read the outbox: " << store->last_error_detail() << "\n";
    return 1;
  }
  if (json) {
    for (const auto& e : entries) std::cout << outbox_json(e) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<10} {:<10} {:>3} {:<21} {:<38} {}\n", "CASE", "STATUS", "TRY",
                           "NEXT ATTEMPT", "RECIPIENT", "LAST ERROR");
  for (const auto& e : entries)
    std::cout << fmt::format("{:<10} {:<10} {:>3} {:<21} {:<38} {}\n", e.case_number, e.status,
                             e.attempts, e.status == "pending" ? e.next_attempt : "-",
                             shorten(e.recipient, 38), e.last_error);
  std::cout << entries.size() << " repl" << (entries.size() == 1 ? "y" : "ies") << "\n";
  return 0;
}

int quarantine_list_command(const std::filesystem::path& config_file, bool json) {
  auto config = load_or_report(config_file);
  if (!config) return 2;
  auto store = open_store(*config);
  if (!store) return 1;
  std::error_code ec;
  const auto entries = store->list_quarantine(ec);
  if (ec) {
    std::cerr << "cannot read the quarantine: " << store->last_error_detail() << "\n";
    return 1;
  }
  if (json) {
    for (const auto& q : entries) std::cout << quarantine_json(q) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<21} {:<12} {:>8} {:<40} {}\n", "WHEN", "MAILBOX", "UID",
                           "MESSAGE-ID", "REASON");
  for (const auto& q : entries)
    std::cout << fmt::format("{:<21} {:<12} {:>8} {:<40} {}\n", q.created, q.mailbox, q.uid,
                             shorten(q.message_id.value_or("-"), 40), q.reason);
  std::cout << entries.size() << " quarantined\n";
  return 0;
}

int status_command(const std::filesystem::path& config_file, bool json) {
  auto config = load_or_report(config_file);
  if (!config) return 2;
  auto store = open_store(*config);
  if (!store) return 1;
  std::error_code ec;
  const auto boxes = store->load_status(ec);
  const auto now = routing::clock::now();
  const std::size_t pending = store->pending_replies(ec);
  const std::size_t today = store->cases_since(std::chrono::floor<std::chrono::days>(now), ec);
  const std::size_t quarantined = store->list_quarantine(ec).size();
  if (ec) {
    std::cerr << "cannot read the status: " << store->last_error_detail() << "\n";
    return 1;
  }
  // The daemon rewrites the status every few seconds; older than a minute means it is not running.
  const std::string fresh_after = routing::to_rfc3339(now - std::chrono::minutes(1));
  if (json) {
    std::cout << status_json(boxes, fresh_after, pending, today, quarantined) << "\n";
    return 0;
  }
  std::cout << fmt::format("{:<14} {:<10} {:<21} {:>7}  {}\n", "MAILBOX", "CONNECTED",
                           "LAST FETCH", "BACKLOG", "LAST ERROR");
  for (const auto& b : boxes)
    std::cout << fmt::format("{:<14} {:<10} {:<21} {:>7}  {}\n", b.mailbox,
                             b.updated < fresh_after ? "stale" : (b.connected ? "yes" : "no"),
                             b.last_fetch.empty() ? "never" : b.last_fetch, b.backlog,
                             b.last_error);
  if (boxes.empty()) std::cout << "(the daemon has not reported yet)\n";
  std::cout << "cases today: " << today << "; outbox pending: " << pending
            << "; quarantined: " << quarantined << "\n";
  return 0;
}

int cases_show_command(const std::string& case_number, const std::filesystem::path& config_file,
                       bool json) {
  auto config = load_or_report(config_file);
  if (!config) return 2;
  auto store = open_store(*config);
  if (!store) return 1;
  std::error_code ec;
  const auto details = store->find_case(case_number, ec);
  if (ec) {
    std::cerr << "cannot read case: " << store->last_error_detail() << "\n";
    return 1;
  }
  if (!details) {
    std::cerr << "no case " << case_number << "\n";
    return 1;
  }
  if (json) {
    std::cout << case_details_json(*details) << "\n";
    return 0;
  }
  const auto& c = details->record;
  std::cout << "Case " << c.case_number << "  [" << c.status << "]  queue " << c.queue << "\n";
  std::cout << "  Subject:      " << c.subject << "\n";
  std::cout << "  From:         " << c.sender << "\n";
  std::cout << "  Product:      " << text(c.product) << "\n";
  std::cout << "  Severity:     " << (c.severity ? "S" + std::to_string(*c.severity) : "-")
            << (c.severity_inferred ? " (inferred)" : "") << "\n";
  std::cout << "  Company:      " << text(c.company) << "\n";
  std::cout << "  Contact:      " << text(c.contact_name) << ", " << text(c.contact_phone)
            << ", " << text(c.contact_email) << "\n";
  std::cout << "  Contract:     " << text(c.contract) << "\n";
  std::cout << "  Created:      " << c.created << "\n";
  std::cout << "  Response due: " << c.response_due << "\n";
  if (!c.missing.empty()) {
    std::cout << "  Missing:     ";
    for (const auto& m : c.missing) std::cout << " " << m;
    std::cout << "\n";
  }
  std::cout << "  Reasons:\n";
  for (const auto& r : c.reasons) std::cout << "    - " << r << "\n";
  std::cout << "  Messages:\n";
  for (const auto& m : details->messages)
    std::cout << "    " << m.received << "  " << m.role << "  <" << m.message_id.value_or("")
              << ">  " << m.mailbox << " uid " << m.uid << "\n";
  std::cout << "  Replies:\n";
  for (const auto& r : details->replies)
    std::cout << "    " << r.status << "  to " << r.recipient << "  <" << r.message_id << ">"
              << (r.last_error.empty() ? "" : "  last error: " + r.last_error) << "\n";
  if (c.description) std::cout << "\n" << *c.description << "\n";
  return 0;
}

}  // namespace tacmail::daemon::cli
