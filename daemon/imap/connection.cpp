// Drives an imap::session over Asio: TCP connect, TLS (verify peer + host name, SNI), and the
// session's actions, each under its own deadline. Timeouts are reported as named errors.
#include "imap/connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "imap/error.hpp"

namespace tacmail::daemon::imap {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto use_ec = [](error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); };

// A deadline for the one network step in progress: when it passes first, the socket's pending
// operations are cancelled and `expired()` says so. The generation guards against a timer that
// fired just as the step completed cancelling the next step.
class deadline {
 public:
  deadline(asio::any_io_executor ex, tcp::socket& socket) : timer_(ex), socket_(socket) {}

  void arm(std::chrono::milliseconds d) {
    expired_ = false;
    const unsigned generation = ++generation_;
    timer_.expires_after(d);
    timer_.async_wait([this, generation](error_code ec) {
      if (ec || generation != generation_) return;
      expired_ = true;
      error_code ignored;
      socket_.cancel(ignored);
    });
  }
  void disarm() {
    ++generation_;
    timer_.cancel();
  }
  bool expired() const { return expired_; }

 private:
  asio::steady_timer timer_;
  tcp::socket& socket_;
  unsigned generation_ = 0;
  bool expired_ = false;
};

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

connection_result failure(std::error_code code, std::string detail) {
  return {code, std::move(detail)};
}

}  // namespace

asio::awaitable<connection_result> async_run_connection(const connect_settings& where, session& s,
                                                        deliver_fn deliver, commit_fn commit,
                                                        stopper& stop,
                                                        event_fn on_event) {
  auto ex = co_await asio::this_coro::executor;
  error_code ec;

  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx.set_verify_mode(ssl::verify_peer);
  if (where.ca_file)
    ctx.load_verify_file(where.ca_file->string(), ec);
  else
    ctx.set_default_verify_paths(ec);
  if (ec) co_return failure(ec, "cannot load trust store: " + ec.message());

  ssl::stream<tcp::socket> stream(ex, ctx);
  tcp::socket& socket = stream.next_layer();
  deadline timer(ex, socket);
  bool tls_active = false;

  auto handshake = [&]() -> asio::awaitable<connection_result> {
    // SNI names a host, never an address (RFC 6066 §3).
    if (!is_ip_literal(where.host))
      SSL_set_tlsext_host_name(stream.native_handle(), where.host.c_str());
    stream.set_verify_callback(ssl::host_name_verification(where.host));
    error_code hec;
    timer.arm(where.connect_timeout);
    co_await stream.async_handshake(ssl::stream_base::client, use_ec(hec));
    timer.disarm();
    if (timer.expired()) co_return failure(error::connect_timeout, "TLS handshake timed out");
    if (hec) co_return failure(hec, "TLS handshake with " + where.host + " failed: " + hec.message());
    tls_active = true;
    co_return connection_result{};
  };

  tcp::resolver resolver(ex);
  auto endpoints =
      co_await resolver.async_resolve(where.host, std::to_string(where.port), use_ec(ec));
  if (ec) co_return failure(ec, "cannot resolve " + where.host + ": " + ec.message());
  timer.arm(where.connect_timeout);
  co_await asio::async_connect(socket, endpoints, use_ec(ec));
  timer.disarm();
  if (timer.expired()) co_return failure(error::connect_timeout, "connect timed out");
  if (ec) co_return failure(ec, "cannot connect to " + where.host + ":" +
                                    std::to_string(where.port) + ": " + ec.message());
  if (where.tls == config::tls_mode::implicit) {
    auto r = co_await handshake();
    if (r.error) co_return r;
  }

  asio::steady_timer wait_timer(ex);
  std::vector<char> buffer(64 * 1024);
  action a = s.on_connected(tls_active);
  for (;;) {
    for (const auto& notice : s.take_notices()) spdlog::warn("imap {}: {}", where.host, notice);
    for (const auto& event : s.take_events())
      if (on_event) on_event(event);
    switch (a.what) {
      case action::kind::write: {
        timer.arm(a.timeout);
        if (tls_active)
          co_await asio::async_write(stream, asio::buffer(a.bytes), use_ec(ec));
        else
          co_await asio::async_write(socket, asio::buffer(a.bytes), use_ec(ec));
        timer.disarm();
        if (timer.expired()) co_return failure(error::command_timeout, "write timed out");
        if (ec) co_return failure(error::connection_closed, "write failed: " + ec.message());
        a = s.on_written();
        break;
      }
      case action::kind::read: {
        if (a.interruptible) {
          if (stop.requested()) {
            a = s.interrupt();
            break;
          }
          stop.on_cancel([&socket] {
            error_code ignored;
            socket.cancel(ignored);
          });
        }
        timer.arm(a.timeout);
        std::size_t n = 0;
        if (tls_active)
          n = co_await stream.async_read_some(asio::buffer(buffer), use_ec(ec));
        else
          n = co_await socket.async_read_some(asio::buffer(buffer), use_ec(ec));
        timer.disarm();
        stop.on_cancel(nullptr);
        if (!ec) {
          a = s.on_received(std::string_view(buffer.data(), n));
        } else if (timer.expired()) {
          a = s.on_timeout();
        } else if (a.interruptible && stop.requested() && ec == asio::error::operation_aborted) {
          a = s.interrupt();
        } else if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
          a = s.on_closed();
        } else {
          co_return failure(error::connection_closed, "read failed: " + ec.message());
        }
        break;
      }
      case action::kind::start_tls: {
        auto r = co_await handshake();
        if (r.error) co_return r;
        a = s.on_tls_established();
        break;
      }
      case action::kind::deliver: {
        const delivery d = deliver(a.message);
        if (stop.requested()) s.stop_soon();
        a = s.on_delivered(d);
        break;
      }
      case action::kind::commit: a = s.on_committed(commit()); break;
      case action::kind::wait: {
        if (!stop.requested()) {
          stop.on_cancel([&wait_timer] { wait_timer.cancel(); });
          wait_timer.expires_after(a.timeout);
          co_await wait_timer.async_wait(use_ec(ec));
          stop.on_cancel(nullptr);
        }
        a = stop.requested() ? s.interrupt() : s.on_wait_elapsed();
        break;
      }
      case action::kind::done: co_return connection_result{};
      case action::kind::fail: co_return failure(a.error, a.detail);
    }
  }
}

}  // namespace tacmail::daemon::imap
