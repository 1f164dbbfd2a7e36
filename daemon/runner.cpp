// The daemon's top level. One io_context runs every mailbox's coroutine, the signal handlers
// and the status tick; the outbox has its own thread, which sends while intake goes on and
// drains once more before the process exits (so --once sends every reply it can).
#include "runner.hpp"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <list>

#include "imap/mailbox_client.hpp"
#include "intake/engine.hpp"
#include "ops/case_log.hpp"
#include "ops/health.hpp"
#include "ops/metrics.hpp"
#include "ops/systemd_notify.hpp"
#include "smtp/outbox_worker.hpp"
#include "store/sqlite_store.hpp"
#include "tacmail/config/secret.hpp"
#include "tacmail/routing/time_format.hpp"

namespace tacmail::daemon {

namespace asio = boost::asio;

namespace {

routing::routing_rules rules_of(const config::loaded_config& c) {
  return {c.products, c.contracts, c.settings.routing, c.templates};
}

// Persists what `tacmaild status` shows and builds the one-line systemd STATUS=.
std::string report_status(store::case_store& store, const ops::health_registry& health) {
  const auto now = routing::clock::now();
  std::vector<store::mailbox_status> rows;
  std::size_t connected = 0;
  std::string last_error;
  for (const auto& h : health.snapshot()) {
    rows.push_back({h.name, h.connected,
                    h.last_fetch ? routing::to_rfc3339(*h.last_fetch) : std::string(),
                    h.last_error, h.backlog, routing::to_rfc3339(now)});
    connected += h.connected ? 1 : 0;
    if (!h.last_error.empty()) last_error = h.name + ": " + h.last_error;
  }
  std::error_code ec;
  store.save_status(rows, ec);
  const auto today = std::chrono::floor<std::chrono::days>(now);
  const std::size_t cases = store.cases_since(today, ec);
  const std::size_t pending = store.pending_replies(ec);
  return fmt::format("mailboxes {}/{} connected; {} cases today; outbox {} pending{}", connected,
                     rows.size(), cases, pending,
                     last_error.empty() ? "" : "; last error: " + last_error);
}

}  // namespace

int run(const std::filesystem::path& config_file, const config::loaded_config& config, bool once,
        bool level_from_config) {
  const auto& settings = config.settings;
  std::error_code ec;
  std::string detail;
  auto store = store::sqlite_store::open(settings.storage.sqlite, ec, detail);
  if (!store) {
    spdlog::critical("cannot open the case store {}: {}", settings.storage.sqlite.string(), detail);
    return 1;
  }

  std::optional<std::string> smtp_password;
  if (settings.smtp.password_file) {
    std::string why;
    smtp_password = config::read_secret(*settings.smtp.password_file, &why);
    if (!smtp_password) {
      spdlog::critical("smtp.password_file: {}", why);
      return 1;
    }
  }

  ops::event_fanout events;
  ops::metrics_registry metrics;
  events.add(&metrics);
  std::unique_ptr<ops::case_log> case_log;
  if (settings.logging.case_log) {
    std::string why;
    case_log = ops::case_log::open(settings.logging, why);
    if (!case_log) {
      spdlog::critical("logging.case_log {}: {}", settings.logging.case_log->string(), why);
      return 1;
    }
    events.add(case_log.get());
  }

  smtp::outbox_worker worker(settings.storage.sqlite, settings.smtp, smtp_password, &events);
  worker.start();

  intake::engine_settings engine_settings{settings.smtp.from, settings.smtp.envelope_from,
                                          parser::parse_options_of(settings),
                                          settings.smtp.max_replies_per_hour,
                                          settings.smtp.authserv_id,
                                          settings.smtp.reply_on_follow_up};
  intake::engine engine(
      *store, rules_of(config), engine_settings,
      [&worker] { worker.notify(); },
      &events);

  std::vector<std::string> names;
  for (const auto& m : settings.mailboxes) names.push_back(m.name);
  ops::health_registry health(names);

  asio::io_context io;
  asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  asio::signal_set reload_signal(io, SIGHUP);
  asio::steady_timer tick(io);
  asio::ip::tcp::acceptor metrics_acceptor(io);
  if (settings.metrics.listen) {
    const auto endpoint = ops::parse_listen(*settings.metrics.listen);
    boost::system::error_code bind_error;
    if (endpoint) {
      metrics_acceptor.open(endpoint->protocol(), bind_error);
      if (!bind_error) metrics_acceptor.set_option(asio::socket_base::reuse_address(true));
      if (!bind_error) metrics_acceptor.bind(*endpoint, bind_error);
      if (!bind_error) metrics_acceptor.listen(asio::socket_base::max_listen_connections, bind_error);
    }
    if (!endpoint || bind_error) {
      spdlog::critical("metrics.listen {}: {}", *settings.metrics.listen,
                       endpoint ? bind_error.message() : "not HOST:PORT");
      return 1;
    }
    ops::metrics_sources sources{&metrics, &health,
                                 [&store] {
                                   std::error_code pending_error;
                                   return store->pending_replies(pending_error);
                                 },
                                 settings.metrics.stale_after, ops::clock::now()};
    asio::co_spawn(io, ops::async_serve_metrics(metrics_acceptor, sources), asio::detached);
    spdlog::info("metrics on http://{}/metrics", *settings.metrics.listen);
  }
  std::list<imap::stopper> stoppers;
  std::size_t running = settings.mailboxes.size();
  bool all_ok = true;
  for (const auto& mailbox : settings.mailboxes) {
    auto& stop = stoppers.emplace_back();
    asio::co_spawn(io,
                   imap::async_run_mailbox(mailbox, engine, stop, once, health,
                                           settings.limits.max_message_size),
                   [&, name = mailbox.name](std::exception_ptr e, bool ok) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         spdlog::critical("[{}] mailbox stopped: {}", name, ex.what());
                       }
                       ok = false;
                     }
                     all_ok = all_ok && ok;
                     // Signals and the tick are the last jobs: cancel them so io.run() returns.
                     if (--running == 0) {
                       stop_signals.cancel();
                       reload_signal.cancel();
                       tick.cancel();
                       boost::system::error_code ignored;
                       metrics_acceptor.close(ignored);
                     }
                   });
  }

  stop_signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    spdlog::info("signal {}: finishing the message in hand, then stopping", signal);
    ops::notify_stopping();
    for (auto& stop : stoppers) stop.request();
  });

  // SIGHUP: catalogs and routing policy are swapped in whole, or not at all.
  std::function<void()> await_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& error, int) {
      if (error) return;
      ops::notify_reloading();
      auto reloaded = config::load_config(config_file);
      if (!reloaded.value) {
        for (const auto& e : reloaded.errors)
          spdlog::error("reload rejected, the running config stays: {}", e.to_string());
      } else {
        const auto& next = reloaded.value->settings;
        engine.replace_rules(rules_of(*reloaded.value), parser::parse_options_of(next));
        // A --log-level given on the command line wins until restart.
        if (level_from_config) spdlog::set_level(spdlog::level::from_str(next.logging.level));
        std::vector<std::string> need_restart;
        if (next.mailboxes != settings.mailboxes) need_restart.push_back("mailboxes");
        if (next.smtp != settings.smtp) need_restart.push_back("smtp");
        if (next.storage != settings.storage) need_restart.push_back("storage");
        if (next.limits != settings.limits) need_restart.push_back("limits (the IMAP literal cap)");
        spdlog::info("reload: {} products, {} contracts and the routing policy in force",
                     reloaded.value->products.products.size(),
                     reloaded.value->contracts.contracts.size());
        for (const auto& section : need_restart)
          spdlog::warn("reload: changes to {} take effect after a restart", section);
      }
      ops::notify_ready();
      await_reload();
    });
  };
  await_reload();

  // The status tick runs on the event loop, so a hung loop stops the watchdog pings.
  const auto watchdog = ops::watchdog_period();
  const auto period = std::min<std::chrono::steady_clock::duration>(
      std::chrono::seconds(5), watchdog ? *watchdog / 2 : std::chrono::seconds(5));
  bool ready = false;
  std::function<void()> await_tick = [&] {
    tick.expires_after(ready ? period : std::chrono::milliseconds(200));
    tick.async_wait([&](const boost::system::error_code& error) {
      if (error) return;
      if (!ready && health.all_attempted()) {
        ready = true;
        ops::notify_ready();
      }
      ops::notify_watchdog();
      ops::notify_status(report_status(*store, health));
      await_tick();
    });
  };
  await_tick();

  spdlog::info("tacmaild started: {} mailbox(es){}", settings.mailboxes.size(),
               once ? ", --once" : "");
  io.run();

  worker.stop();
  std::error_code pending_error;
  const std::size_t pending = store->pending_replies(pending_error);
  if (pending_error)
    spdlog::error("outbox: cannot count the replies left pending: {}", pending_error.message());
  else
    spdlog::info("outbox: {} repl{} left pending", pending, pending == 1 ? "y" : "ies");
  report_status(*store, health);
  spdlog::info("tacmaild stopped");
  return all_ok ? 0 : 1;
}

}  // namespace tacmail::daemon
