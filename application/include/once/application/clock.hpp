/// \file
/// Port: the time the dispatcher stamps intents with and hands to handlers.
#pragma once

#include <chrono>

namespace once::application {

class clock {
 public:
  virtual ~clock() = default;
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
};

class system_clock final : public clock {
 public:
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

/// A clock tests set by hand.
class manual_clock final : public clock {
 public:
  explicit manual_clock(std::chrono::system_clock::time_point start = std::chrono::system_clock::time_point{} +
                                                                      std::chrono::hours{24 * 365 * 56})
      : now_(start) {}
  [[nodiscard]] std::chrono::system_clock::time_point now() const override { return now_; }
  void advance(std::chrono::system_clock::duration by) { now_ += by; }

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace once::application
