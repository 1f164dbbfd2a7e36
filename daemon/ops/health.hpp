// What the daemon knows of its own health right now: per mailbox connected, last fetch, last
// error, backlog. Written from the event loop, read by the status reporter and /metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tacmail::daemon::ops {

using clock = std::chrono::system_clock;

struct mailbox_health {
  std::string name;
  bool attempted = false;  ///< a first connection attempt has finished (READY=1 waits for it)
  bool connected = false;
  std::optional<clock::time_point> last_fetch;  ///< when a pass last drained the folder
  std::string last_error;
  std::size_t backlog = 0;  ///< messages found by the current pass not yet handled
  std::uint32_t uidvalidity = 0;
};

class health_registry {
 public:
  explicit health_registry(const std::vector<std::string>& mailboxes);

  template <typename F>
  void update(const std::string& mailbox, F&& change) {
    std::lock_guard lock(mutex_);
    change(boxes_[mailbox]);
  }
  std::vector<mailbox_health> snapshot() const;
  bool all_attempted() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, mailbox_health> boxes_;
};

}  // namespace tacmail::daemon::ops
