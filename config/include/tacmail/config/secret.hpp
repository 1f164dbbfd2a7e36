// Reading secrets (passwords, tokens) from files or systemd credentials, never from the config.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tacmail::config {

/// Reads a secret file, dropping one trailing newline. A relative path is looked up first in
/// $CREDENTIALS_DIRECTORY (systemd LoadCredential=). nullopt when it cannot be read; `why`
/// then says why without revealing any content.
std::optional<std::string> read_secret(const std::filesystem::path& file,
                                       std::string* why = nullptr);

}  // namespace tacmail::config
