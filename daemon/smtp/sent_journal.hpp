// The sent journal: closes the window between the SMTP server's final 250 and the store's
// durable "sent" mark, which waits for intake's write lock and an fsync. Killed inside it, the
// daemon would send the reply again. So the outbox records each reply's id here with one
// write(2) the moment the server accepts it, marks the store later (in groups), then empties
// the journal; at start the ids found are marked before anything is sent.
//
// Guarantees: a reply whose id reached write(2) is never sent twice by this host, whatever
// kills the process (the page cache survives it). No fsync: after a power loss a reply may go
// again, the documented at-least-once fallback. Not covered: the instant between the 250 and
// write(2), and, for any SMTP client, a kill while waiting for the 250 after the final "."
// (the server may have committed the message already: RFC 1047). Such a reply is sent again,
// but not silently: each attempt is noted first ("?id") and its refusal too ("!id"), so at
// the next start an attempt with no outcome is known to be in doubt and its resend is logged.
// The file (`<database>-sent`) belongs with its database, like `-wal`: remove or restore them
// together.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace tacmail::daemon::smtp {

class sent_journal {
 public:
  /// `<database>-sent`, next to the database.
  static std::filesystem::path path_for(const std::filesystem::path& database);

  /// Opens or creates the journal; the ids it already holds (whole lines only: a torn last
  /// line is cut off) become unmarked(). nullptr with `ec` set when it cannot be opened/read.
  static std::unique_ptr<sent_journal> open(const std::filesystem::path& file,
                                            std::error_code& ec);
  /// No file at all: remembers ids for this process only. Each record() says "not durable",
  /// so the caller marks the store right away.
  static std::unique_ptr<sent_journal> in_memory();

  ~sent_journal();
  sent_journal(const sent_journal&) = delete;
  sent_journal& operator=(const sent_journal&) = delete;

  /// Remembers `id` and appends its line with one write(2); true when it is on file. A failed
  /// write (this one, or an attempt()'s or refused()'s before it) sets `ec` once: the file is
  /// cut back to its last whole line and never appended to again by this process, so from
  /// then on, as for in_memory(), record() returns false and the caller must mark the store
  /// itself. The id is remembered either way.
  bool record(std::int64_t id, std::error_code& ec);
  /// Whether record() still puts ids on file.
  bool writes_file() const { return fd_ >= 0 && !failed_; }

  /// Notes that `id` is about to be sent. Dying before its outcome is written leaves it in
  /// doubt for the next start. Also ends `id`'s being in_doubt(): it is being sent again.
  void attempt(std::int64_t id);
  /// `id` was not taken: the server refused it, or the connection failed before the whole
  /// message went out. With nothing else on file that matters, the file is emptied instead.
  void refused(std::int64_t id);
  /// Attempted, with neither a record() nor a refused() after it, when the journal was opened:
  /// the server may have the reply already.
  bool in_doubt(std::int64_t id) const;

  /// Ids sent and perhaps not yet marked in the store, oldest first.
  const std::vector<std::int64_t>& unmarked() const { return ids_; }
  bool holds(std::int64_t id) const;

  /// The store now holds every unmarked() id as sent: forget them and empty the file.
  void clear(std::error_code& ec);

  const std::filesystem::path& path() const { return path_; }

 private:
  sent_journal(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}

  /// Appends `line` with one write(2); on failure sets failed_ and unreported_ and cuts the
  /// file back to its last whole line.
  bool append(const std::string& line);

  std::filesystem::path path_;
  int fd_ = -1;
  long long size_ = 0;  ///< bytes on file: the end of the last whole line
  bool failed_ = false;  ///< a write failed: no more appends
  std::vector<std::int64_t> ids_;
  std::vector<std::int64_t> in_doubt_;  ///< found in doubt at open, not attempted since
  std::error_code unreported_;          ///< a failed write not yet told by record()
};

}  // namespace tacmail::daemon::smtp
