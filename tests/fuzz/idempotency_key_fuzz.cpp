// The Idempotency-Key header parser on any bytes: it answers a key or a
// reason, and a key it answers is 1-255 printable characters that, sent back
// quoted, parse to the same key.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <once/http/idempotency_key.hpp>

namespace {

std::string quoted(std::string const& key) {
  std::string out = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const value{reinterpret_cast<char const*>(data), size};
  auto const parsed = once::http::parse_idempotency_key(value);
  if (!parsed) {
    if (parsed.error().reason.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  auto const& key = *parsed;
  if (key.empty() || key.size() > once::http::max_idempotency_key_length) std::abort();
  for (char c : key) {
    if (c < 0x20 || c > 0x7e) std::abort();
  }
  auto const again = once::http::parse_idempotency_key(quoted(key));
  if (!again || *again != key) std::abort();
  return 0;
}
