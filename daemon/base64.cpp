// Base64 via EVP_EncodeBlock: one line, no breaks; callers fold as their protocol wants.
#include "base64.hpp"

#include <openssl/evp.h>

namespace tacmail::daemon {

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace tacmail::daemon
