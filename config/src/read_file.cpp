// Reads whole files with POSIX calls so a failure carries errno's text (ifstream loses it).
#include "read_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tacmail::config::detail {

namespace {

std::nullopt_t fail(const std::filesystem::path& file, int error, std::string* why) {
  if (why != nullptr) *why = "cannot read " + file.string() + ": " + std::strerror(error);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_file(const std::filesystem::path& file, std::string* why) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(file, errno, why);
  std::string content;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;  // EISDIR for a folder lands here, not at open()
      ::close(fd);
      return fail(file, error, why);
    }
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return content;
}

bool readable_folder(const std::filesystem::path& folder, std::string* why) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) {
    fail(folder, errno, why);
    return false;
  }
  ::closedir(dir);
  return true;
}

}  // namespace tacmail::config::detail
