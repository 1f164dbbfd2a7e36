// The daemon's top level. One io_context runs every mailbox's coroutine; the outbox has its
// own thread (daemon mode) or is drained once at the end (--once).
#include "runner.hpp"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <list>

#include "imap/mailbox_client.hpp"
#include "intake/engine.hpp"
#include "ops/case_log.hpp"
#include "smtp/outbox.hpp"
#include "smtp/outbox_worker.hpp"
#include "store/sqlite_store.hpp"
#include "tacmail/config/secret.hpp"

namespace tacmail::daemon {

namespace asio = boost::asio;

int run(const config::loaded_config& config, bool once) {
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

  std::optional<smtp::outbox_worker> worker;
  if (!once) {
    worker.emplace(settings.storage.sqlite, settings.smtp, smtp_password, &events);
    worker->start();
  }

  routing::routing_rules rules{config.products, config.contracts, settings.routing};
  intake::engine_settings engine_settings{settings.smtp.from, settings.smtp.envelope_from,
                                          parser::parse_limits{settings.limits.max_message_size,
                                                               settings.limits.max_mime_depth,
                                                               settings.limits.max_parts,
                                                               settings.limits.max_header_line}};
  intake::engine engine(
      *store, rules, engine_settings,
      [&worker] {
        if (worker) worker->notify();
      },
      &events);

  asio::io_context io;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  std::list<imap::stopper> stoppers;
  std::size_t running = settings.mailboxes.size();
  bool all_ok = true;
  for (const auto& mailbox : settings.mailboxes) {
    auto& stop = stoppers.emplace_back();
    asio::co_spawn(io, imap::async_run_mailbox(mailbox, engine, stop, once),
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
                     // The signal wait is the last job: cancel it so io.run() returns.
                     if (--running == 0) signals.cancel();
                   });
  }
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    spdlog::info("signal {}: finishing the message in hand, then stopping", signal);
    for (auto& stop : stoppers) stop.request();
  });
  spdlog::info("tacmaild started: {} mailbox(es){}", settings.mailboxes.size(),
               once ? ", --once" : "");
  io.run();

  if (worker) {
    worker->stop();
  } else {
    smtp::smtp_sender sender(settings.smtp, smtp_password);
    smtp::retry_policy policy;
    policy.give_up_after = std::chrono::duration_cast<std::chrono::hours>(settings.smtp.give_up_after);
    const auto result = smtp::drain_outbox(*store, sender, store::clock::now(), policy, &events);
    spdlog::info("outbox: {} sent, {} deferred, {} failed", result.sent, result.deferred,
                 result.failed);
  }
  spdlog::info("tacmaild stopped");
  return all_ok ? 0 : 1;
}

}  // namespace tacmail::daemon
