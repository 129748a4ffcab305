#include <once/application/fingerprint.hpp>

#include <array>
#include <stdexcept>

#include <openssl/evp.h>

namespace once::application {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    // Only reachable when OpenSSL itself is broken (no SHA-256 provider).
    throw std::runtime_error("once: OpenSSL could not compute SHA-256");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(std::size_t{length} * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace once::application
