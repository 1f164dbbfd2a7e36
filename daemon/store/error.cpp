// The store error category: names and retry classification.
#include "store/error.hpp"

#include <string>

namespace tacmail::daemon::store {

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "store"; }
  std::string message(int value) const override {
    switch (static_cast<error>(value)) {
      case error::busy: return "database is locked by another process";
      case error::full: return "disk full";
      case error::io: return "database I/O error";
      case error::corrupt: return "database file is corrupt or not a database";
      case error::constraint: return "uniqueness constraint violated";
      case error::cannot_open: return "database cannot be opened";
      case error::other: return "database error";
      case error::batch_aborted: return "an earlier error undid this batch";
    }
    return "unknown store error";
  }
};

}  // namespace

const std::error_category& store_category() {
  static const category instance;
  return instance;
}

bool is_temporary(std::error_code ec) {
  return ec == error::busy || ec == error::full || ec == error::io || ec == error::cannot_open ||
         ec == error::batch_aborted;
}

}  // namespace tacmail::daemon::store
