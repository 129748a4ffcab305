#include <once/application/waiting.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include <poll.h>

namespace once::application {

namespace {

thread_local waiting* installed_waiting = nullptr;

class blocking_signal final : public wake_signal {
 public:
  void notify() override {
    std::lock_guard lock(mutex_);
    notified_ = true;
    woken_.notify_one();
  }
  bool wait_until(wait_clock::time_point deadline) override {
    std::unique_lock lock(mutex_);
    return woken_.wait_until(lock, deadline, [&] { return notified_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable woken_;
  bool notified_ = false;
};

class thread_blocking_waiting final : public waiting {
 public:
  bool until_ready(int descriptor, readiness wanted, wait_clock::time_point deadline) override {
    pollfd watched{descriptor, static_cast<short>(wanted == readiness::readable ? POLLIN : POLLOUT), 0};
    for (;;) {
      auto const left = std::chrono::ceil<std::chrono::milliseconds>(deadline - wait_clock::now());
      // poll takes an int of milliseconds: a far deadline waits in slices of a day.
      auto const timeout = deadline == wait_clock::time_point::max()
                               ? -1
                               : static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 86'400'000));
      int const ready = ::poll(&watched, 1, timeout);
      if (ready > 0) return true;
      if (ready == 0 && wait_clock::now() >= deadline) return false;
      if (ready < 0 && errno != EINTR) return true;  // let the caller's read or write report the error
    }
  }
  void sleep_until(wait_clock::time_point deadline) override { std::this_thread::sleep_until(deadline); }
  std::shared_ptr<wake_signal> new_signal() override { return std::make_shared<blocking_signal>(); }
};

}  // namespace

waiting& blocking_waiting() noexcept {
  static thread_blocking_waiting instance;
  return instance;
}

waiting& current_waiting() noexcept {
  return installed_waiting != nullptr ? *installed_waiting : blocking_waiting();
}

waiting_scope::waiting_scope(waiting& installed) noexcept : previous_(installed_waiting) {
  installed_waiting = &installed;
}

waiting_scope::~waiting_scope() {
  installed_waiting = previous_;
}

}  // namespace once::application
