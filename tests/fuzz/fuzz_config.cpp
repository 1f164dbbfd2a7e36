// libFuzzer target for the config loader: the bytes are written to an in-memory file (memfd,
// read back through /proc/self/fd/N, so no temp file is left behind when libFuzzer _exit()s)
// that is then read as a settings file, a products file and a contracts file. Each must come back as a value or as
// errors (FILE:LINE: key: what), never a crash, hang, leak or exception escaping the loader.
// The size and duration parsers get the same bytes as text.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "tacmail/config/load.hpp"

namespace {

int input_fd() {
  static const int fd = ::memfd_create("tacmail-fuzz-config.yaml", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  return fd;
}

const std::filesystem::path& input_file() {
  static const std::filesystem::path file = "/proc/self/fd/" + std::to_string(input_fd());
  return file;
}

template <typename T>
void check(const tacmail::config::load_result<T>& r) {
  // A value exactly when there are no errors, and every error says where it is.
  if (r.value.has_value() == !r.errors.empty()) __builtin_trap();
  for (const auto& e : r.errors) {
    if (e.file.empty() || e.message.empty()) __builtin_trap();
    (void)e.to_string();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (::ftruncate(input_fd(), 0) != 0) std::abort();
  if (size != 0 && ::pwrite(input_fd(), data, size, 0) != static_cast<ssize_t>(size)) std::abort();

  check(tacmail::config::load_settings(input_file()));
  check(tacmail::config::load_product_catalog(input_file()));
  check(tacmail::config::load_contract_catalog(input_file()));
  (void)tacmail::config::parse_duration(text);
  (void)tacmail::config::parse_size(text);
  return 0;
}
