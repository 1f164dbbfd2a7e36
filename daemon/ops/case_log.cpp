// JSON-lines case log on spdlog's rotating file sink (thread-safe: the outbox thread writes too).
#include "ops/case_log.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "tacmail/routing/time_format.hpp"

namespace tacmail::daemon::ops {

struct case_log::impl {
  std::shared_ptr<spdlog::logger> logger;
};

std::unique_ptr<case_log> case_log::open(const config::logging_settings& settings,
                                         std::string& error) {
  if (!settings.case_log) {
    error = "no case_log configured";
    return nullptr;
  }
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        settings.case_log->string(), settings.case_log_max_size,
        static_cast<std::size_t>(settings.case_log_files));
    auto p = std::make_unique<impl>();
    p->logger = std::make_shared<spdlog::logger>("case_log", sink);
    p->logger->set_pattern("%v");
    p->logger->flush_on(spdlog::level::info);
    return std::unique_ptr<case_log>(new case_log(std::move(p)));
  } catch (const spdlog::spdlog_ex& e) {
    error = e.what();
    return nullptr;
  }
}

case_log::case_log(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
case_log::~case_log() = default;

void case_log::record(const case_event& e) {
  // Insertion order: ts, event and case number first, as a reviewer reads a line.
  using json = nlohmann::ordered_json;
  auto text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json line = {
      {"ts", routing::to_rfc3339(std::chrono::system_clock::now())},
      {"event", e.event},
      {"case_number", text(e.case_number)},
      {"queue", text(e.queue)},
      {"severity", e.severity ? json(*e.severity) : json(nullptr)},
      {"status", text(e.status)},
      {"product", text(e.product)},
      {"company", text(e.company)},
      {"contract", text(e.contract)},
      {"sender", text(e.sender)},
      {"mailbox", text(e.mailbox)},
      {"uid", e.uid ? json(*e.uid) : json(nullptr)},
      {"message_id", text(e.message_id)},
      {"flags", e.flags},
      {"missing", e.missing},
      {"reasons", e.reasons},
  };
  impl_->logger->info(line.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace tacmail::daemon::ops
