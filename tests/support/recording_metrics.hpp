// A metrics port that counts what it is told, for assertions.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include <once/application/metrics.hpp>

namespace once_tests {

class recording_metrics final : public once::application::metrics {
 public:
  void command_handled(std::string_view, once::domain::repeat_policy, once::domain::outcome_kind outcome,
                       std::chrono::nanoseconds) override {
    std::lock_guard lock(mutex_);
    ++outcomes_[std::string{once::domain::to_string(outcome)}];
  }
  void in_flight_waited(std::string_view) override { ++in_flight_waits_; }
  void transaction_retried(std::string_view) override { ++retries_; }
  void decided_again(std::string_view) override { ++decided_again_; }
  void command_failed(std::string_view, once::application::error_code) override { ++failures_; }

  int outcomes(once::domain::outcome_kind kind) const {
    std::lock_guard lock(mutex_);
    auto found = outcomes_.find(std::string{once::domain::to_string(kind)});
    return found == outcomes_.end() ? 0 : found->second;
  }
  int in_flight_waits() const { return in_flight_waits_; }
  int retries() const { return retries_; }
  int decided_again() const { return decided_again_; }
  int failures() const { return failures_; }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> outcomes_;
  std::atomic<int> in_flight_waits_{0};
  std::atomic<int> retries_{0};
  std::atomic<int> decided_again_{0};
  std::atomic<int> failures_{0};
};

}  // namespace once_tests
