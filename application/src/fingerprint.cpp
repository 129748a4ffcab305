#include <once/application/fingerprint.hpp>

#include <array>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

namespace once::application {
namespace {

// OpenSSL 3 looks the algorithm up on every EVP_Digest call unless it is
// fetched once; a per-thread context saves an allocation per fingerprint.
EVP_MD const* sha256() {
  static std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> const md{EVP_MD_fetch(nullptr, "SHA256", nullptr),
                                                                  &EVP_MD_free};
  return md.get();
}

EVP_MD_CTX* thread_context() {
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> const context{EVP_MD_CTX_new(),
                                                                                     &EVP_MD_CTX_free};
  return context.get();
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX* const context = thread_context();
  if (sha256() == nullptr || context == nullptr || EVP_DigestInit_ex2(context, sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(context, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(context, digest.data(), &length) != 1) {
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
