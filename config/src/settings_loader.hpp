// The settings loader's inside view: besides the settings, where each named file was written,
// so load_config can report a missing file at the key that names it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tacmail/config/load.hpp"

namespace tacmail::config::detail {

/// A file path the settings name, and where.
struct named_file {
  enum class kind { secret, readable, folder, products, contracts };
  kind what = kind::readable;
  std::string key_path;  ///< "mailboxes[0].imap.password_file"
  int line = 0;
  std::filesystem::path path;  ///< already resolved
};

struct located_settings {
  load_result<settings> result;
  std::vector<named_file> files;
  std::string file;  ///< the settings file as errors name it
};

located_settings load_settings_located(const std::filesystem::path& file);

}  // namespace tacmail::config::detail
