// Prometheus metrics: counters fed by case events (thread-safe: the outbox thread reports
// too), and an HTTP listener (Boost.Beast) serving /metrics and /healthz on the event loop.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "ops/events.hpp"
#include "ops/health.hpp"

namespace tacmail::daemon::ops {

class metrics_registry final : public event_sink {
 public:
  void record(const case_event& e) override;
  /// The text exposition format; `gauges` is appended as is.
  std::string render(const std::string& gauges) const;

 private:
  static constexpr double bucket_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,   0.25,   0.5,   1.0,  2.5};
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> messages_;  ///< "mailbox\0outcome"
  std::map<std::string, std::uint64_t> cases_;     ///< "queue\0severity"
  std::map<std::string, std::uint64_t> replies_;   ///< result
  std::uint64_t buckets_[std::size(bucket_bounds)] = {};
  std::uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

struct metrics_sources {
  const metrics_registry* registry = nullptr;
  const health_registry* health = nullptr;
  std::function<std::size_t()> outbox_pending;  ///< called on the event loop at each scrape
  std::chrono::milliseconds stale_after{std::chrono::minutes(10)};
  clock::time_point started = clock::now();
};

/// Parses "HOST:PORT" / "[v6]:PORT"; nullopt when malformed.
std::optional<boost::asio::ip::tcp::endpoint> parse_listen(const std::string& listen);

/// Serves until the acceptor is closed. /healthz answers 503 naming every mailbox not fetched
/// within stale_after (counted from start-up for one never fetched).
boost::asio::awaitable<void> async_serve_metrics(boost::asio::ip::tcp::acceptor& acceptor,
                                                 metrics_sources sources);

}  // namespace tacmail::daemon::ops
