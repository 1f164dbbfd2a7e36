// read_secret: systemd credentials first for relative names, then the path as given; one
// trailing newline dropped because editors and `echo` add one.
#include "tacmail/config/secret.hpp"

#include <cstdlib>

#include "read_file.hpp"

namespace tacmail::config {

std::optional<std::string> read_secret(const std::filesystem::path& file, std::string* why) {
  std::optional<std::string> content;
  if (file.is_relative()) {
    const char* credentials = std::getenv("CREDENTIALS_DIRECTORY");
    if (credentials != nullptr && *credentials != '\0') {
      content = detail::read_file(std::filesystem::path(credentials) / file, nullptr);
    }
  }
  if (!content) content = detail::read_file(file, why);
  if (!content) return std::nullopt;

  if (content->ends_with("\r\n")) {
    content->resize(content->size() - 2);
  } else if (content->ends_with('\n')) {
    content->pop_back();
  }
  return content;
}

}  // namespace tacmail::config
