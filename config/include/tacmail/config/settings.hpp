// The daemon's settings as plain structs, loaded from the YAML file of CONTRACT.md.
// Nothing here knows YAML: the loader (config/src/) turns a file into these values or errors.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tacmail::config {

/// How a connection is protected: TLS from the first byte, upgraded with STARTTLS, or plaintext.
enum class tls_mode { implicit, starttls, none };

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
};

/// A named mailbox; names key the UID cursor in the store, so they must be unique.
struct mailbox_settings {
  std::string name;
  imap_settings imap;
};

/// Where replies go out.
struct smtp_settings {
  std::string url;                    ///< smtp://host:port or smtps://host:port
  tls_mode tls = tls_mode::starttls;  ///< default: implicit for an smtps:// url, else starttls
  std::optional<std::filesystem::path> ca_file;
  std::optional<std::string> username;
  std::optional<std::filesystem::path> password_file;  ///< resolved as imap's; needs username
  std::string from;  ///< "Display Name <address>" or a bare address
};

struct storage_settings {
  std::filesystem::path sqlite;
};

struct routing_settings {
  std::optional<std::filesystem::path> products_file;   ///< absent: the built-in catalog
  std::optional<std::filesystem::path> contracts_file;  ///< absent: no entitlement data
};

/// Everything `tacmaild run` needs, relative paths already resolved against the config's folder.
struct settings {
  std::vector<mailbox_settings> mailboxes;
  smtp_settings smtp;
  storage_settings storage;
  routing_settings routing;
};

}  // namespace tacmail::config
