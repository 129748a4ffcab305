/// \file
/// The timing loop of the PostgreSQL benchmarks: `clients` threads, each
/// calling its own `call()` until the time is up; the latencies of the calls
/// that succeeded give the rate and the percentiles.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace once::testing {

struct client_run {
  double per_second = 0;
  std::vector<std::uint32_t> sorted_us;  // latencies of the successful calls

  [[nodiscard]] double percentile_ms(double p) const {
    if (sorted_us.empty()) return 0.0;
    auto const at = std::min(sorted_us.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted_us.size())));
    return sorted_us[at] / 1000.0;
  }
};

/// `call_of(client)` makes the call each client thread repeats (it may keep
/// state of its own); a call returns whether it succeeded.
template <class CallOf>
client_run run_clients(int clients, std::chrono::seconds duration, CallOf const& call_of) {
  using clock_type = std::chrono::steady_clock;
  std::vector<std::vector<std::uint32_t>> latencies(static_cast<std::size_t>(clients));
  std::atomic<bool> started{false};
  clock_type::time_point deadline;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c, call = call_of(c)]() mutable {
      while (!started) std::this_thread::yield();
      auto& mine = latencies[static_cast<std::size_t>(c)];
      while (clock_type::now() < deadline) {
        auto const begin = clock_type::now();
        if (call()) {
          mine.push_back(static_cast<std::uint32_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - begin).count()));
        }
      }
    });
  }
  deadline = clock_type::now() + duration;
  auto const began = clock_type::now();
  started = true;
  for (auto& thread : threads) thread.join();
  double const seconds = std::chrono::duration<double>(clock_type::now() - began).count();
  client_run run;
  for (auto const& mine : latencies) run.sorted_us.insert(run.sorted_us.end(), mine.begin(), mine.end());
  std::sort(run.sorted_us.begin(), run.sorted_us.end());
  run.per_second = static_cast<double>(run.sorted_us.size()) / seconds;
  return run;
}

}  // namespace once::testing
