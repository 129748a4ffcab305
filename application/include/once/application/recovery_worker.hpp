/// \file
/// The recovery worker: settles the external steps nobody is settling — those
/// whose holder died between claim and conclusion (the lease passed) and those
/// whose call ended unknown. One worker leads at a time (a lease in the store,
/// no session state, so it works behind a transaction pooler); it takes due
/// steps in batches and hands each to the dispatcher of its command type,
/// which asks the other side by reference before anything else.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <once/application/clock.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/application/external_steps.hpp>

namespace once::application {

struct recovery_options {
  std::chrono::milliseconds interval{1000};  // between rounds that found nothing to do
  std::chrono::milliseconds lease{5000};     // a taken step's lease: the dispatchers' external_step_options::lease
  std::chrono::milliseconds leadership{5000};
  std::size_t batch = 32;
  std::string holder;  // a fresh id when empty
  std::string lease_name = "recovery";
  std::function<void(error const&)> on_error;                             // a round that failed
  std::function<void(step_record const&, recovery_result)> on_recovered;  // each step settled or looked at
};

/// Counts per result, for metrics; read from any thread.
struct recovery_counters {
  std::array<std::atomic<std::int64_t>, 6> by_result{};  // indexed by recovery_result
  std::atomic<std::int64_t> rounds{0};
  std::atomic<bool> leader{false};
};

class recovery_worker {
 public:
  recovery_worker(external_step_store& steps, std::vector<step_recoverer*> recoverers, recovery_options options,
                  clock const* wall_clock = nullptr);

  /// One round: lead, take the due steps, recover each. How many were taken.
  [[nodiscard]] result<std::size_t> run_round();
  /// Rounds until stop(): a full batch goes on at once, otherwise waits `interval`.
  void run();
  void stop() noexcept;

  [[nodiscard]] recovery_counters const& counters() const noexcept { return counters_; }

 private:
  external_step_store* steps_;
  std::vector<step_recoverer*> recoverers_;
  recovery_options options_;
  clock const* clock_;
  recovery_counters counters_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace once::application
