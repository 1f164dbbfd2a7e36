// One decision the daemon took, as reviewers and metrics see it. The engine and the outbox
// emit these; the case log and the metrics registry consume them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tacmail::daemon::ops {

struct case_event {
  /// case_opened, follow_up_attached, duplicate, skipped, already_done, quarantined,
  /// reply_sent, reply_deferred, reply_failed, reply_suppressed
  std::string event;
  std::string case_number;
  std::string queue;
  std::string status;
  std::optional<int> severity;
  std::string product;
  std::string company;
  std::string contract;
  std::string sender;
  std::string mailbox;
  std::optional<std::uint32_t> uid;
  std::string message_id;
  std::vector<std::string> flags;
  std::vector<std::string> missing;
  std::vector<std::string> reasons;
  double processing_seconds = 0;  ///< intake events: time from fetch to commit
};

class event_sink {
 public:
  virtual ~event_sink() = default;
  virtual void record(const case_event& e) = 0;
};

/// Forwards to several sinks (case log, metrics); ignores none.
class event_fanout final : public event_sink {
 public:
  void add(event_sink* sink) { sinks_.push_back(sink); }
  void record(const case_event& e) override {
    for (auto* s : sinks_) s->record(e);
  }

 private:
  std::vector<event_sink*> sinks_;
};

}  // namespace tacmail::daemon::ops
