// Delivers one reply over SMTP with libcurl: implicit TLS (smtps://), STARTTLS required, or
// plaintext for loopback; certificate verification always on. The handle is kept, so
// consecutive messages reuse the connection. libcurl stays behind the pimpl.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "tacmail/config/settings.hpp"

namespace tacmail::daemon::smtp {

struct send_result {
  enum class kind {
    sent,       ///< the server's final 250 arrived
    temporary,  ///< connection failure, timeout or 4xx: retry later
    permanent,  ///< 5xx: do not retry
  };
  kind what = kind::temporary;
  long code = 0;       ///< the last SMTP reply code (0: none)
  std::string detail;  ///< libcurl's / the server's words, for the log and `outbox list`
  /// Not sent, yet perhaps delivered: the whole message went out and the server's answer to
  /// it never came (the connection broke or timed out), so it may have taken the message.
  bool unsure = false;
};

class smtp_sender {
 public:
  smtp_sender(config::smtp_settings settings, std::optional<std::string> password);
  ~smtp_sender();
  smtp_sender(const smtp_sender&) = delete;
  smtp_sender& operator=(const smtp_sender&) = delete;

  /// envelope_from empty: the null reverse-path <>.
  send_result send(const std::string& envelope_from, const std::string& recipient,
                   const std::string& content);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tacmail::daemon::smtp
