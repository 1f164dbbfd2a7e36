// config_error's one-line rendering, the form check-config prints and editors can jump to.
#include "tacmail/config/load.hpp"

namespace tacmail::config {

std::string config_error::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key_path.empty()) out += key_path + ": ";
  out += message;
  return out;
}

}  // namespace tacmail::config
