// The health registry: a mutex-guarded map, small enough to copy on every read.
#include "ops/health.hpp"

namespace tacmail::daemon::ops {

health_registry::health_registry(const std::vector<std::string>& mailboxes) {
  for (const auto& name : mailboxes) boxes_[name].name = name;
}

std::vector<mailbox_health> health_registry::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<mailbox_health> out;
  for (const auto& [name, h] : boxes_) out.push_back(h);
  return out;
}

bool health_registry::all_attempted() const {
  std::lock_guard lock(mutex_);
  for (const auto& [name, h] : boxes_)
    if (!h.attempted) return false;
  return true;
}

}  // namespace tacmail::daemon::ops
