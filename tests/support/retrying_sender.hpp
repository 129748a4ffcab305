// What a well-behaved client does: send a command until it gets an outcome,
// retrying infrastructure errors and in-flight timeouts with the same intent.
// Bounded: it gives up (and says so) after `attempts` tries.
#pragma once

#include <chrono>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include <once/application/command_dispatcher.hpp>

namespace once_tests {

template <class Dispatcher, class Command>
auto send_until_answered(Dispatcher& dispatcher, Command const& command, once::domain::envelope const& env,
                         int attempts = 400) -> std::optional<typename Dispatcher::template outcome_of<Command>> {
  thread_local std::mt19937 jitter{std::random_device{}()};
  std::string last_failure;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto answer = dispatcher.dispatch(command, env);
    if (answer.has_value() && answer->kind() != once::domain::outcome_kind::in_flight_timeout) return *answer;
    if (!answer.has_value() && answer.error().code == once::application::error_code::invalid_argument) {
      std::cerr << "[ gave up ] invalid argument: " << answer.error().message << "\n";
      return std::nullopt;
    }
    last_failure = answer.has_value()
                       ? "an in-flight timeout"
                       : std::string{once::application::to_string(answer.error().code)} + ": " + answer.error().message;
    // Backoff between retries of a failed call, with jitter.
    std::this_thread::sleep_for(std::chrono::milliseconds{1 + static_cast<int>(jitter() % 20)});
  }
  std::cerr << "[ gave up ] after " << attempts << " attempts; the last: " << last_failure << "\n";
  return std::nullopt;
}

}  // namespace once_tests
