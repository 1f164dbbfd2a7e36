// The outbox thread. It has its own SQLite connection: connections are not shared across
// threads, and WAL lets it read while intake writes. It owns the sent journal, replayed by
// its first drain.
#include "smtp/outbox_worker.hpp"

#include <spdlog/spdlog.h>

#include "smtp/outbox.hpp"
#include "smtp/sent_journal.hpp"
#include "store/sqlite_store.hpp"

namespace tacmail::daemon::smtp {

outbox_worker::outbox_worker(std::filesystem::path database, config::smtp_settings settings,
                             std::optional<std::string> password, ops::event_sink* events)
    : database_(std::move(database)),
      settings_(std::move(settings)),
      password_(std::move(password)),
      events_(events) {}

outbox_worker::~outbox_worker() { stop(); }

void outbox_worker::start() { thread_ = std::thread([this] { run(); }); }

void outbox_worker::notify() {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_one();
}

void outbox_worker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void outbox_worker::run() {
  std::error_code ec;
  std::string detail;
  auto store = store::sqlite_store::open(database_, ec, detail);
  if (!store) {
    spdlog::error("outbox: cannot open {}: {}", database_.string(), detail);
    return;
  }
  const auto journal_path = sent_journal::path_for(database_);
  auto journal = sent_journal::open(journal_path, ec);
  if (!journal) {
    spdlog::error("outbox: cannot open the sent journal {}: {}; each reply is marked sent in "
                  "the store as it goes (a kill before that mark sends it again)",
                  journal_path.string(), ec.message());
    journal = sent_journal::in_memory();
  } else if (!journal->unmarked().empty()) {
    spdlog::info("outbox: the sent journal holds {} replies the server accepted before a "
                 "restart; marking them sent",
                 journal->unmarked().size());
  }
  smtp_sender sender(settings_, password_);
  for (bool last = false;;) {
    drain_outbox(*store, sender, store::clock::now(), retry_policy_of(settings_), events_,
                 journal.get());
    if (last) return;
    std::unique_lock lock(mutex_);
    // Retries come due on their own schedule; half a minute is their granularity.
    wake_.wait_for(lock, std::chrono::seconds(30), [this] { return pending_ || stopping_; });
    pending_ = false;
    last = stopping_;
  }
}

}  // namespace tacmail::daemon::smtp
