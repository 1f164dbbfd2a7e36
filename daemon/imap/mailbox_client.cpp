// The reconnect loop around imap::session. Authentication failures are logged loudly once per
// change of error text, not on every retry.
#include "imap/mailbox_client.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <random>

#include "imap/error.hpp"
#include "tacmail/config/secret.hpp"

namespace tacmail::daemon::imap {

namespace asio = boost::asio;

namespace {

disposition disposition_of(const intake::outcome& o) {
  switch (o.what) {
    case intake::outcome::kind::quarantined: return disposition::quarantine;
    case intake::outcome::kind::retry: return disposition::keep;
    default: return disposition::processed;
  }
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<long> jitter(0, d.count() / 4);
  return d + std::chrono::milliseconds(jitter(rng));
}

}  // namespace

asio::awaitable<bool> async_run_mailbox(const config::mailbox_settings& mailbox,
                                        intake::engine& engine, stopper& stop, bool once,
                                        reconnect_policy policy) {
  const auto& imap = mailbox.imap;
  const connect_settings where{imap.host, imap.port, imap.tls, imap.ca_file};
  asio::steady_timer backoff_timer(co_await asio::this_coro::executor);
  auto delay = policy.first_delay;
  int failures = 0;
  std::string last_auth_error;

  auto deliver = [&](const fetched_message& m) {
    const store::message_origin origin{mailbox.name, m.uidvalidity, m.uid};
    return disposition_of(engine.process(origin, m.raw, intake::clock::now()));
  };

  while (!stop.requested()) {
    // Read at every connect, so a rotated password or token takes effect without a restart.
    std::string why;
    auto password = config::read_secret(imap.password_file, &why);
    connection_result result;
    if (!password) {
      result = {make_error_code(error::authentication_failed), "password_file: " + why};
    } else {
      session_options options;
      options.username = imap.username;
      options.password = std::move(*password);
      options.tls = imap.tls;
      options.folder = imap.folder;
      options.processed_folder = imap.processed_folder;
      options.quarantine_folder = imap.quarantine_folder;
      options.use_idle = imap.idle;
      options.poll_interval = imap.poll_interval;
      options.once = once;
      session s(std::move(options));
      result = co_await async_run_connection(where, s, deliver, stop);
      if (!result.error) {
        spdlog::info("[{}] logged out after {} message(s)", mailbox.name, s.delivered());
        co_return true;
      }
      // A session that got as far as delivering mail resets the backoff.
      if (s.delivered() > 0) delay = policy.first_delay;
    }

    if (result.error == error::authentication_failed) {
      if (result.detail != last_auth_error)
        spdlog::critical("[{}] authentication failed for {} at {}: {}", mailbox.name,
                         imap.username, imap.host, result.detail);
      last_auth_error = result.detail;
    } else {
      spdlog::error("[{}] {}:{}: {} ({})", mailbox.name, imap.host, imap.port,
                    result.error.message(), result.detail);
    }
    if (once && ++failures >= policy.once_attempts) co_return false;
    if (stop.requested()) break;

    const auto wait = jittered(delay);
    spdlog::info("[{}] reconnecting in {} ms", mailbox.name, wait.count());
    stop.on_cancel([&backoff_timer] { backoff_timer.cancel(); });
    backoff_timer.expires_after(wait);
    boost::system::error_code ec;
    co_await backoff_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    stop.on_cancel(nullptr);
    delay = std::min(delay * 2, policy.max_delay);
  }
  co_return !once;
}

}  // namespace tacmail::daemon::imap
