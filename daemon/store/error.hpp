// The store's error enum. SQLite's own message travels in the log line beside it.
#pragma once

#include <system_error>

namespace tacmail::daemon::store {

enum class error {
  /// The database is locked by another process past the busy timeout (temporary).
  busy = 1,
  /// The disk is full (wait: retry after space is freed).
  full,
  /// Reading or writing the database file failed (wait).
  io,
  /// The file is not a database or is corrupt (final: an operator must look).
  corrupt,
  /// A uniqueness rule was violated, e.g. the same Message-ID twice (final for that message).
  constraint,
  /// The database could not be opened.
  cannot_open,
  /// Anything else SQLite reported.
  other,
  /// An earlier error ended the group commit this write belonged to: the whole batch is
  /// undone and retried (temporary).
  batch_aborted,
};

const std::error_category& store_category();
inline std::error_code make_error_code(error e) { return {static_cast<int>(e), store_category()}; }

/// Temporary failures are retried by leaving the mail in its folder; the rest quarantine it.
bool is_temporary(std::error_code ec);

}  // namespace tacmail::daemon::store

template <>
struct std::is_error_code_enum<tacmail::daemon::store::error> : std::true_type {};
