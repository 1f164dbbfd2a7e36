// Reading a whole small file (config, catalog, secret, CA bundle), or checking a folder can be
// listed, and saying why when it fails. The reason names the path and the OS error, never content.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tacmail::config::detail {

/// The file's bytes, or nullopt with *why = "cannot read PATH: <strerror>".
std::optional<std::string> read_file(const std::filesystem::path& file, std::string* why);

/// Whether folder can be opened and listed; else false with *why = "cannot read PATH: <strerror>"
/// ("Not a directory" for a file).
bool readable_folder(const std::filesystem::path& folder, std::string* why);

}  // namespace tacmail::config::detail
