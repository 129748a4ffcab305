/// \file
/// What a well-behaved HTTP client does with an Idempotency-Key: send the same
/// request until it gets a definitive answer, retrying a refused or dropped
/// connection, 503 and a 409 that says the first attempt is still in flight
/// (Retry-After). Bounded: none after `attempts` tries.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <once/testing/http_client.hpp>

namespace once::testing {

inline std::optional<http_answer> send_until_answered(unsigned short port, std::string const& method,
                                                      std::string const& target, std::string const& body,
                                                      std::vector<std::pair<std::string, std::string>> const& headers,
                                                      int attempts = 600) {
  thread_local std::mt19937 jitter{std::random_device{}()};
  for (int attempt = 0; attempt < attempts; ++attempt) {
    try {
      auto answer = http_client{port}.send(method, target, body, headers);
      bool const retry_later =
          answer.status == 503 || (answer.status == 409 && answer.headers.count("retry-after") > 0);
      if (!retry_later) return answer;
    } catch (std::exception const&) {
      // refused while the service restarts, or reset when it was killed mid-request
    }
    // Backoff between retries, with jitter.
    std::this_thread::sleep_for(std::chrono::milliseconds{5 + static_cast<int>(jitter() % 25)});
  }
  return std::nullopt;
}

}  // namespace once::testing
