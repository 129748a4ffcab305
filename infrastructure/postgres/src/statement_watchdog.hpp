// Client-side deadlines for statements. A statement still running at its
// deadline has its connection's socket shut down, so the libpq call blocked
// on it returns at once with a broken connection, which the store reports as
// a lost connection (outcome_unknown while committing, unavailable before).
// PostgreSQL's own statement_timeout cannot help when the server is frozen or
// cut off by a partition, and the kernel would wait ~15 minutes. One thread
// per watchdog; arming and disarming take a mutex, nothing else. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>

namespace once::postgres::detail {

class statement_watchdog {
 public:
  using clock = std::chrono::steady_clock;

  using key = std::pair<clock::time_point, std::uint64_t>;  // deadline, then arming order

  // Disarms on destruction: after that, the socket is never touched.
  class guard {
   public:
    guard(statement_watchdog& owner, key armed) : owner_(&owner), key_(armed) {}
    guard(guard const&) = delete;
    guard& operator=(guard const&) = delete;
    ~guard() { (void)owner_->disarm(key_); }
    // Disarms now; true when the deadline had passed and the socket was shut down.
    [[nodiscard]] bool expired() { return owner_->disarm(key_); }

   private:
    statement_watchdog* owner_;
    key key_;
  };

  statement_watchdog();
  ~statement_watchdog();
  statement_watchdog(statement_watchdog const&) = delete;
  statement_watchdog& operator=(statement_watchdog const&) = delete;

  // Watches `socket` until the guard is gone or `deadline` passes.
  [[nodiscard]] guard arm(int socket, clock::time_point deadline);

 private:
  bool disarm(key const& armed);
  void watch();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<key, int> armed_;  // to each armed statement its socket, earliest deadline first
  std::unordered_set<std::uint64_t> expired_;
  std::uint64_t next_id_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace once::postgres::detail
