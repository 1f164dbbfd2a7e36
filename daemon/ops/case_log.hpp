// The reviewers' case log: one JSON object per decision, one per line, in a file rotated by
// size (spdlog's rotating sink), readable with jq.
#pragma once

#include <filesystem>
#include <memory>

#include "ops/events.hpp"
#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::ops {

class case_log final : public event_sink {
 public:
  /// nullptr (with `error` set) when the file cannot be opened.
  static std::unique_ptr<case_log> open(const config::logging_settings& settings,
                                        std::string& error);
  ~case_log() override;
  void record(const case_event& e) override;

 private:
  struct impl;
  explicit case_log(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace tacmail::daemon::ops
