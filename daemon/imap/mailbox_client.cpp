// The reconnect loop around imap::session, with capped exponential backoff and jitter.
// Authentication failures are logged loudly once per change of error text, not every retry,
// and every state change lands in the health registry (status, metrics, /healthz).
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

constexpr int once_attempts = 3;  // `run --once` gives up on a mailbox after this many failures
constexpr std::chrono::milliseconds first_delay{1000};

delivery delivery_of(const intake::outcome& o) {
  switch (o.what) {
    case intake::outcome::kind::quarantined:
      return {disposition::quarantine, o.earlier_message_id};
    case intake::outcome::kind::retry:
      return {disposition::keep, {}};
    default:
      return {disposition::processed, o.earlier_message_id};
  }
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<long> jitter(0, d.count() / 4);
  return d + std::chrono::milliseconds(jitter(rng));
}

session_options options_for(const config::imap_settings& imap, std::string password, bool once,
                            std::size_t max_message_size) {
  session_options options;
  options.username = imap.username;
  options.password = std::move(password);
  options.auth = imap.auth;
  options.tls = imap.tls;
  options.folder = imap.folder;
  options.processed_folder = imap.processed_folder;
  options.quarantine_folder = imap.quarantine_folder;
  options.use_idle = imap.idle;
  options.poll_interval = imap.poll_interval;
  options.idle_renewal = imap.idle_renewal;
  options.command_timeout = imap.command_timeout;
  options.greeting_timeout = imap.connect_timeout;
  options.fetch_batch = static_cast<std::size_t>(imap.fetch_batch);
  // A literal over the size limit is refused by the parser instead of buffered.
  options.limits.max_literal = max_message_size;
  options.once = once;
  return options;
}

}  // namespace

asio::awaitable<bool> async_run_mailbox(const config::mailbox_settings& mailbox,
                                        intake::engine& engine, stopper& stop, bool once,
                                        ops::health_registry& health,
                                        std::size_t max_message_size) {
  const auto& imap = mailbox.imap;
  const connect_settings where{imap.host, imap.port, imap.tls, imap.ca_file, imap.connect_timeout};
  asio::steady_timer backoff_timer(co_await asio::this_coro::executor);
  auto delay = first_delay;
  int failures = 0;
  std::string last_auth_error;

  // A fetched batch is one group commit: it opens at its first delivery (begin_batch() does
  // nothing while one is open) and the session asks for the commit after its last one, before
  // moving any of it.
  auto deliver = [&](const fetched_message& m) {
    engine.begin_batch();
    const store::message_origin origin{mailbox.name, m.uidvalidity, m.uid};
    const auto outcome =
        m.oversize ? engine.quarantine(origin,
                                       "message of " + std::to_string(m.size) +
                                           " bytes exceeds limits.max_message_size (" +
                                           std::to_string(max_message_size) + ")",
                                       intake::clock::now())
                   : engine.process(origin, m.raw, intake::clock::now());
    delivery where_to = delivery_of(outcome);
    health.update(mailbox.name, [](ops::mailbox_health& h) {
      if (h.backlog > 0) --h.backlog;
    });
    return where_to;
  };
  auto commit = [&] { return engine.commit_batch(); };
  auto on_event = [&](const session_event& e) {
    switch (e.what) {
      case session_event::kind::selected:
        engine.check_uidvalidity(mailbox.name, e.value);
        health.update(mailbox.name, [&](ops::mailbox_health& h) {
          h.attempted = h.connected = true;
          h.uidvalidity = e.value;
          h.last_error.clear();
        });
        break;
      case session_event::kind::pass_started:
        health.update(mailbox.name, [&](ops::mailbox_health& h) { h.backlog = e.value; });
        break;
      case session_event::kind::pass_done:
        health.update(mailbox.name, [](ops::mailbox_health& h) {
          h.last_fetch = ops::clock::now();
          h.backlog = 0;
        });
        break;
    }
  };

  while (!stop.requested()) {
    // Read at every connect, so a rotated password or token takes effect without a restart.
    std::string why;
    const bool oauth = imap.auth == config::imap_auth::xoauth2;
    auto password = config::read_secret(
        oauth ? imap.oauth2_token_file.value_or("") : imap.password_file, &why);
    connection_result result;
    if (!password) {
      result = {make_error_code(error::authentication_failed),
                std::string(oauth ? "oauth2_token_file: " : "password_file: ") + why};
    } else {
      session s(options_for(imap, std::move(*password), once, max_message_size));
      result = co_await async_run_connection(where, s, deliver, commit, stop, on_event);
      if (!result.error) {
        spdlog::info("[{}] logged out after {} message(s)", mailbox.name, s.delivered());
        health.update(mailbox.name, [](ops::mailbox_health& h) { h.connected = false; });
        co_return true;
      }
      // A session that got as far as delivering mail resets the backoff.
      if (s.delivered() > 0) delay = first_delay;
    }

    const std::string text = result.error.message() + ": " + result.detail;
    health.update(mailbox.name, [&](ops::mailbox_health& h) {
      h.attempted = true;
      h.connected = false;
      h.last_error = text;
    });
    if (result.error == error::authentication_failed) {
      if (result.detail != last_auth_error)
        spdlog::critical("[{}] authentication failed for {} at {}: {}", mailbox.name,
                         imap.username, imap.host, result.detail);
      last_auth_error = result.detail;
    } else {
      spdlog::error("[{}] {}:{}: {}", mailbox.name, imap.host, imap.port, text);
    }
    if (once && ++failures >= once_attempts) co_return false;
    if (stop.requested()) break;

    const auto wait = jittered(delay);
    spdlog::info("[{}] reconnecting in {} ms", mailbox.name, wait.count());
    stop.on_cancel([&backoff_timer] { backoff_timer.cancel(); });
    backoff_timer.expires_after(wait);
    boost::system::error_code ec;
    co_await backoff_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    stop.on_cancel(nullptr);
    delay = std::min(delay * 2, std::chrono::duration_cast<std::chrono::milliseconds>(imap.reconnect_max));
  }
  co_return !once;
}

}  // namespace tacmail::daemon::imap
