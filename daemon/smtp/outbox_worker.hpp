// The reply sender thread: drains the outbox off the IMAP event loop, so a slow SMTP server
// never stalls intake. Woken when a reply is queued, and on a timer for retries. Keeps the
// sent journal `<database>-sent` (sent_journal.hpp) so no reply goes twice after a kill.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ops/events.hpp"
#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::smtp {

class outbox_worker {
 public:
  outbox_worker(std::filesystem::path database, config::smtp_settings settings,
                std::optional<std::string> password, ops::event_sink* events = nullptr);
  ~outbox_worker();

  void start();
  /// A reply was queued: drain now. Thread-safe.
  void notify();
  /// One last drain, then the thread ends.
  void stop();

 private:
  void run();

  std::filesystem::path database_;
  config::smtp_settings settings_;
  std::optional<std::string> password_;
  ops::event_sink* events_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tacmail::daemon::smtp
