// The daemon's settings as plain structs, loaded from the YAML file of CONTRACT.md.
// Nothing here knows YAML: the loader (config/src/) turns a file into these values or errors.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tacmail::config {

/// How a connection is protected: TLS from the first byte, upgraded with STARTTLS, or plaintext.
enum class tls_mode { implicit, starttls, none };

/// How tacmaild authenticates to IMAP: `auto` uses AUTHENTICATE PLAIN where offered, else
/// LOGIN; `xoauth2` sends the bearer token read from oauth2_token_file at every connect.
enum class imap_auth { automatic, login, plain, xoauth2 };

/// One IMAP account and the folders tacmaild works in.
struct imap_settings {
  std::string host;
  int port = 993;  ///< default: 993 with implicit TLS, 143 otherwise
  tls_mode tls = tls_mode::implicit;
  std::optional<std::filesystem::path> ca_file;  ///< absent: the system trust store
  std::string username;
  /// Absolute. Written relative, it is $CREDENTIALS_DIRECTORY/<it> when that file exists at
  /// load time (systemd LoadCredential=), else resolved against the config file's folder.
  std::filesystem::path password_file;
  std::string folder = "INBOX";
  std::string processed_folder = "Processed";
  std::string quarantine_folder = "Quarantine";
  bool idle = true;
  std::chrono::milliseconds poll_interval{std::chrono::seconds(60)};
  // Keys beyond CONTRACT.md's list; all optional.
  imap_auth auth = imap_auth::automatic;            ///< key `auth`: auto | login | plain | xoauth2
  std::optional<std::filesystem::path> oauth2_token_file;  ///< required with auth xoauth2
  std::chrono::milliseconds idle_renewal{std::chrono::minutes(5)};  ///< < 29m (RFC 2177)
  std::chrono::milliseconds command_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds reconnect_max{std::chrono::minutes(5)};  ///< backoff cap
  int fetch_batch = 100;  ///< messages per UID FETCH, 1..1000

  bool operator==(const imap_settings&) const = default;
};

/// A named mailbox; names key the UID cursor in the store, so they must be unique.
struct mailbox_settings {
  std::string name;
  imap_settings imap;

  bool operator==(const mailbox_settings&) const = default;
};

/// Where replies go out.
struct smtp_settings {
  std::string url;                    ///< smtp://host:port; smtps:// whenever TLS is implicit
  tls_mode tls = tls_mode::starttls;  ///< default: implicit for an smtps:// url, else starttls
  std::optional<std::filesystem::path> ca_file;
  std::optional<std::string> username;
  std::optional<std::filesystem::path> password_file;  ///< resolved as imap's; needs username
  std::string from;  ///< "Display Name <address>" or a bare address
  // Keys beyond CONTRACT.md's list; all optional.
  std::string envelope_from;  ///< empty (default): the null reverse-path <> (RFC 3834 §3.3)
  int max_replies_per_hour = 10;  ///< per recipient; the rest are recorded as suppressed
  std::chrono::milliseconds give_up_after{std::chrono::hours(120)};  ///< RFC 5321 §4.5.4.1
  std::optional<std::filesystem::path> templates_dir;  ///< operator templates; absent: built-in
  /// authserv-id of the receiving MTA: a mail whose Authentication-Results from it says
  /// dmarc=fail is cased but not answered. Absent: the guard is off.
  std::optional<std::string> authserv_id;
  bool reply_on_follow_up = false;  ///< acknowledge follow-ups too

  bool operator==(const smtp_settings&) const = default;
};

struct storage_settings {
  std::filesystem::path sqlite;

  bool operator==(const storage_settings&) const = default;
};

/// Business hours for S3/S4 response times, in the TAC's time zone (IANA name).
struct business_calendar {
  std::string time_zone = "UTC";
  std::vector<int> working_days{1, 2, 3, 4, 5};  ///< ISO weekday numbers, Monday = 1; YAML: mon..sun
  std::chrono::minutes day_start{8 * 60};        ///< YAML `hours: "08:00-17:00"`
  std::chrono::minutes day_end{17 * 60};
  std::vector<std::string> holidays;  ///< YYYY-MM-DD, validated
};

struct routing_settings {
  std::optional<std::filesystem::path> products_file;   ///< absent: the built-in catalog
  std::optional<std::filesystem::path> contracts_file;  ///< absent: no entitlement data
  // Keys beyond CONTRACT.md's list; all optional.
  std::string triage_queue = "triage";
  std::string urgent_queue = "urgent";            ///< S1/S2 opened by mail
  std::string entitlement_queue = "entitlement";  ///< no valid contract (Global Service Relations)
  /// Told to customers who send S1/S2 by mail; YAML list of strings.
  std::vector<std::string> phone_numbers{"US/Canada: 1-800-553-2447"};
  /// Public webmail domains flagged `public_email`; the default list when absent.
  std::vector<std::string> public_email_domains{
      "gmail.com",   "googlemail.com", "hotmail.com", "outlook.com", "live.com",
      "msn.com",     "yahoo.com",      "ymail.com",   "aol.com",     "icloud.com",
      "me.com",      "mac.com",        "gmx.com",     "gmx.net",     "gmx.de",
      "web.de",      "mail.com",       "proton.me",   "protonmail.com", "yandex.ru",
      "yandex.com",  "mail.ru",        "qq.com",      "163.com",     "126.com",
      "zoho.com",    "hotmail.co.uk",  "yahoo.co.uk", "yahoo.co.in", "rediffmail.com"};
  std::chrono::milliseconds duplicate_window{std::chrono::minutes(10)};
  std::chrono::milliseconds reopen_window{std::chrono::hours(14 * 24)};
  business_calendar calendar;
  /// Extra label synonyms per field (JSON key name -> labels), added to the parser's defaults.
  std::map<std::string, std::vector<std::string>> labels;
};

/// Size and shape limits for incoming mail: over one, a mail is quarantined, not parsed.
struct limits_settings {
  std::size_t max_message_size = 50 * 1024 * 1024;  ///< YAML: bytes with optional k/M/G suffix
  int max_mime_depth = 20;
  int max_parts = 500;
  std::size_t max_header_line = 16 * 1024;

  bool operator==(const limits_settings&) const = default;
};

struct logging_settings {
  std::string level = "info";  ///< trace | debug | info | warn | error | critical | off
  /// The reviewers' case log: one JSON object per decision. Absent: not written.
  std::optional<std::filesystem::path> case_log;
  std::size_t case_log_max_size = 10 * 1024 * 1024;  ///< bytes before rotation (k/M/G suffix)
  int case_log_files = 5;                            ///< rotated files kept
};

/// The optional Prometheus endpoint (/metrics, /healthz).
struct metrics_settings {
  std::optional<std::string> listen;  ///< "127.0.0.1:9187"; absent: no listener
  std::chrono::milliseconds stale_after{std::chrono::minutes(10)};  ///< /healthz fails after
};

/// Everything `tacmaild run` needs, relative paths already resolved against the config's folder.
struct settings {
  std::vector<mailbox_settings> mailboxes;
  smtp_settings smtp;
  storage_settings storage;
  routing_settings routing;
  limits_settings limits;
  logging_settings logging;
  metrics_settings metrics;
};

}  // namespace tacmail::config
