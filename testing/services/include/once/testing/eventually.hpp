/// \file
/// Waiting in a test for something another thread or process does: the
/// condition is checked until it holds or the deadline passes, never a bare
/// sleep that guesses how long the other side takes.
#pragma once

#include <chrono>
#include <thread>

namespace once::testing {

/// True as soon as `condition()` holds; false when it still does not after `within`.
template <class Condition>
[[nodiscard]] bool eventually(Condition const& condition, std::chrono::milliseconds within,
                              std::chrono::milliseconds every = std::chrono::milliseconds{20}) {
  auto const deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

}  // namespace once::testing
