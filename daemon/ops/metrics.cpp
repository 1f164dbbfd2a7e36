// Metrics: counters, a latency histogram, gauges read at scrape time, and the HTTP listener.
#include "ops/metrics.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tacmail::daemon::ops {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto zero = key.find('\0');
  return {key.substr(0, zero), key.substr(zero + 1)};
}

bool is_intake(const std::string& event) {
  return event == "case_opened" || event == "follow_up_attached" || event == "duplicate" ||
         event == "skipped" || event == "already_done" || event == "quarantined" ||
         event == "retry";
}

std::string gauges(const metrics_sources& s) {
  std::string out;
  out += "# HELP tacmail_mailbox_connected Whether the mailbox's IMAP connection is up.\n";
  out += "# TYPE tacmail_mailbox_connected gauge\n";
  const auto boxes = s.health->snapshot();
  for (const auto& h : boxes)
    out += fmt::format("tacmail_mailbox_connected{{mailbox=\"{}\"}} {}\n", label(h.name),
                       h.connected ? 1 : 0);
  out += "# HELP tacmail_mailbox_backlog Messages found by the current pass not yet handled.\n";
  out += "# TYPE tacmail_mailbox_backlog gauge\n";
  for (const auto& h : boxes)
    out += fmt::format("tacmail_mailbox_backlog{{mailbox=\"{}\"}} {}\n", label(h.name), h.backlog);
  out += "# HELP tacmail_mailbox_last_fetch_timestamp_seconds When the folder was last drained.\n";
  out += "# TYPE tacmail_mailbox_last_fetch_timestamp_seconds gauge\n";
  for (const auto& h : boxes)
    if (h.last_fetch)
      out += fmt::format(
          "tacmail_mailbox_last_fetch_timestamp_seconds{{mailbox=\"{}\"}} {}\n", label(h.name),
          std::chrono::duration_cast<std::chrono::seconds>(h.last_fetch->time_since_epoch()).count());
  out += "# HELP tacmail_outbox_pending Replies waiting to be delivered.\n";
  out += "# TYPE tacmail_outbox_pending gauge\n";
  out += fmt::format("tacmail_outbox_pending {}\n", s.outbox_pending ? s.outbox_pending() : 0);
  return out;
}

// Empty when healthy; else which mailboxes are stale and why.
std::string unhealthy(const metrics_sources& s) {
  std::string out;
  const auto now = clock::now();
  for (const auto& h : s.health->snapshot()) {
    const auto since = h.last_fetch.value_or(s.started);
    if (now - since > s.stale_after)
      out += h.name + ": not fetched for " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - since).count()) +
             "s" + (h.last_error.empty() ? "" : " (" + h.last_error + ")") + "\n";
  }
  return out;
}

asio::awaitable<void> serve_one(beast::tcp_stream stream, metrics_sources sources) {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  for (;;) {
    http::request<http::string_body> request;
    stream.expires_after(std::chrono::seconds(10));
    co_await http::async_read(stream, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    const std::string target(request.target());
    if (request.method() != http::verb::get) {
      response.result(http::status::method_not_allowed);
      response.body() = "GET only\n";
    } else if (target == "/metrics") {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.body() = sources.registry->render(gauges(sources));
    } else if (target == "/healthz") {
      const std::string problems = unhealthy(sources);
      response.result(problems.empty() ? http::status::ok : http::status::service_unavailable);
      response.body() = problems.empty() ? "ok\n" : problems;
    } else {
      response.result(http::status::not_found);
      response.body() = "try /metrics or /healthz\n";
    }
    response.prepare_payload();
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !request.keep_alive()) co_return;
  }
}

}  // namespace

void metrics_registry::record(const case_event& e) {
  std::lock_guard lock(mutex_);
  if (is_intake(e.event)) {
    ++messages_[e.mailbox + '\0' + e.event];
    bool placed = false;
    for (std::size_t i = 0; i < std::size(bucket_bounds); ++i)
      if (!placed && e.processing_seconds <= bucket_bounds[i]) {
        ++buckets_[i];
        placed = true;
      }
    ++latency_count_;
    latency_sum_ += e.processing_seconds;
  }
  if (e.event == "case_opened")
    ++cases_[e.queue + '\0' + (e.severity ? std::to_string(*e.severity) : std::string("none"))];
  if (e.event.starts_with("reply_")) ++replies_[e.event.substr(6)];
}

std::string metrics_registry::render(const std::string& gauge_text) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP tacmail_messages_total Mails handled, by mailbox and outcome.\n";
  out += "# TYPE tacmail_messages_total counter\n";
  for (const auto& [key, n] : messages_) {
    const auto [mailbox, outcome] = split_key(key);
    out += fmt::format("tacmail_messages_total{{mailbox=\"{}\",outcome=\"{}\"}} {}\n",
                       label(mailbox), label(outcome), n);
  }
  out += "# HELP tacmail_cases_total Cases opened, by queue and severity.\n";
  out += "# TYPE tacmail_cases_total counter\n";
  for (const auto& [key, n] : cases_) {
    const auto [queue, severity] = split_key(key);
    out += fmt::format("tacmail_cases_total{{queue=\"{}\",severity=\"{}\"}} {}\n", label(queue),
                       label(severity), n);
  }
  out += "# HELP tacmail_replies_total Replies by result (sent, deferred, failed, suppressed).\n";
  out += "# TYPE tacmail_replies_total counter\n";
  for (const auto& [result, n] : replies_)
    out += fmt::format("tacmail_replies_total{{result=\"{}\"}} {}\n", label(result), n);
  out += "# HELP tacmail_processing_seconds Time from fetch to committed outcome per mail.\n";
  out += "# TYPE tacmail_processing_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < std::size(bucket_bounds); ++i) {
    cumulative += buckets_[i];
    out += fmt::format("tacmail_processing_seconds_bucket{{le=\"{}\"}} {}\n", bucket_bounds[i],
                       cumulative);
  }
  out += fmt::format("tacmail_processing_seconds_bucket{{le=\"+Inf\"}} {}\n", latency_count_);
  out += fmt::format("tacmail_processing_seconds_sum {}\n", latency_sum_);
  out += fmt::format("tacmail_processing_seconds_count {}\n", latency_count_);
  return out + gauge_text;
}

std::optional<asio::ip::tcp::endpoint> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (port < 1 || port > 65535) return std::nullopt;
  return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

asio::awaitable<void> async_serve_metrics(asio::ip::tcp::acceptor& acceptor,
                                          metrics_sources sources) {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve_one(beast::tcp_stream(std::move(socket)), sources),
                   asio::detached);
  }
}

}  // namespace tacmail::daemon::ops
