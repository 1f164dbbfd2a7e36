// Reading a whole small file (config, catalog, secret, CA bundle) and saying why when it fails.
// The reason names the file and the OS error, never the content.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tacmail::config::detail {

/// The file's bytes, or nullopt with *why = "cannot read PATH: <strerror>".
std::optional<std::string> read_file(const std::filesystem::path& file, std::string* why);

}  // namespace tacmail::config::detail
