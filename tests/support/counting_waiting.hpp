// The blocking waiting, counting the wake-up signals made through it: a
// thread that asks for one is about to wait for another thread, so a test
// learns that its threads are waiting without guessing a delay.
#pragma once

#include <atomic>
#include <memory>

#include <once/application/waiting.hpp>

namespace once_tests {

class counting_waiting final : public once::application::waiting {
 public:
  bool until_ready(int descriptor, readiness wanted, once::application::wait_clock::time_point deadline) override {
    return once::application::blocking_waiting().until_ready(descriptor, wanted, deadline);
  }
  void sleep_until(once::application::wait_clock::time_point deadline) override {
    once::application::blocking_waiting().sleep_until(deadline);
  }
  std::shared_ptr<once::application::wake_signal> new_signal() override {
    auto signal = once::application::blocking_waiting().new_signal();
    ++signals_;
    return signal;
  }
  [[nodiscard]] int signals() const noexcept { return signals_.load(); }

 private:
  std::atomic<int> signals_{0};
};

}  // namespace once_tests
