// Base64 (RFC 4648) with OpenSSL's encoder, for SASL initial responses and MIME bodies.
#pragma once

#include <string>
#include <string_view>

namespace tacmail::daemon {

std::string base64(std::string_view bytes);

}  // namespace tacmail::daemon
