#include <once/application/id_generator.hpp>

#include <cstdint>
#include <mutex>
#include <random>

namespace once::application {
namespace {

class uuid_generator final : public id_generator {
 public:
  std::string next() override {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    {
      std::lock_guard lock(mutex_);
      high = engine_();
      low = engine_();
    }
    high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(36, '-');
    std::size_t position = 0;
    auto put = [&](std::uint64_t bits, int nibbles) {
      for (int shift = (nibbles - 1) * 4; shift >= 0; shift -= 4) {
        if (position == 8 || position == 13 || position == 18 || position == 23) ++position;
        out[position++] = hex[(bits >> shift) & 0xf];
      }
    };
    put(high, 16);
    put(low, 16);
    return out;
  }

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_{std::random_device{}()};
};

}  // namespace

std::unique_ptr<id_generator> make_uuid_generator() {
  return std::make_unique<uuid_generator>();
}

}  // namespace once::application
