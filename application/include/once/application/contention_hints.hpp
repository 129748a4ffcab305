/// \file
/// Which aggregates recently lost an optimistic race, so that the next command
/// on them serialises from its first attempt instead of losing again. Only a
/// hint for choosing the lock mode: correctness never depends on it (the store
/// decides), and a false positive merely serialises a command that did not
/// need it. Lock-free, fixed size; entries fade after `memory`.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <once/application/records.hpp>

namespace once::application {

class contention_hints {
 public:
  explicit contention_hints(std::chrono::milliseconds memory = std::chrono::milliseconds{1000}) : memory_(memory) {}

  void conflicted(aggregate_ref const& ref, std::chrono::steady_clock::time_point now) noexcept {
    slot(ref).store(ticks(now), std::memory_order_relaxed);
  }

  [[nodiscard]] bool is_hot(aggregate_ref const& ref, std::chrono::steady_clock::time_point now) const noexcept {
    auto const last = slot(ref).load(std::memory_order_relaxed);
    return last != 0 && ticks(now) - last < memory_.count();
  }

 private:
  static constexpr std::size_t slots = 4096;

  static std::int64_t ticks(std::chrono::steady_clock::time_point now) noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() + 1;
  }
  std::atomic<std::int64_t>& slot(aggregate_ref const& ref) const noexcept {
    std::size_t const hash = std::hash<std::string>{}(ref.id) ^ (std::hash<std::string>{}(ref.type) << 1) ^
                             (std::hash<std::string>{}(ref.tenant) << 2);
    return last_conflict_[hash % slots];
  }

  std::chrono::milliseconds memory_;
  mutable std::array<std::atomic<std::int64_t>, slots> last_conflict_{};
};

}  // namespace once::application
