#include "statement_watchdog.hpp"

#include <sys/socket.h>

namespace once::postgres::detail {

statement_watchdog::statement_watchdog() : thread_([this] { watch(); }) {}

statement_watchdog::~statement_watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

statement_watchdog::guard statement_watchdog::arm(int socket, clock::time_point deadline) {
  key armed;
  bool earliest = false;
  {
    std::lock_guard lock(mutex_);
    armed = key{deadline, ++next_id_};
    auto const position = armed_.emplace(armed, socket).first;
    earliest = position == armed_.begin();
  }
  if (earliest) changed_.notify_one();  // the watcher sleeps until a later deadline
  return guard{*this, armed};
}

bool statement_watchdog::disarm(key const& armed) {
  std::lock_guard lock(mutex_);
  if (expired_.erase(armed.second) > 0) return true;
  armed_.erase(armed);
  return false;
}

void statement_watchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (armed_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto const next = armed_.begin();
    // A copy: the wait releases the lock, and the statement's guard may erase this entry meanwhile.
    auto const deadline = next->first.first;
    if (clock::now() < deadline) {
      changed_.wait_until(lock, deadline);
      continue;
    }
    // Under the lock: the statement's thread cannot disarm, give its
    // connection back and have the descriptor reused meanwhile.
    ::shutdown(next->second, SHUT_RDWR);
    expired_.insert(next->first.second);
    armed_.erase(next);
  }
}

}  // namespace once::postgres::detail
