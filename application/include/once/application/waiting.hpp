/// \file
/// How code on a command's path waits: for a socket to be readable or
/// writable, for a wake-up from another thread, or for time to pass.
///
/// By default every wait blocks the calling thread. A server that runs its
/// handlers as coroutines installs a `waiting` of its own for each handler
/// (`waiting_scope`): the waits then suspend the coroutine, and its thread
/// serves other handlers meanwhile. Adapters wait only through
/// `current_waiting()`: a wait that blocks the thread under such a server
/// holds up every handler on it, and one that waits for a resource held by a
/// handler suspended on the same thread never ends.
#pragma once

#include <chrono>
#include <memory>

namespace once::application {

using wait_clock = std::chrono::steady_clock;

/// A one-shot wake-up: one task waits on it, any thread notifies it.
class wake_signal {
 public:
  virtual ~wake_signal() = default;
  /// Wakes the waiter, now or when it starts waiting. Thread-safe; calls after the first change nothing.
  virtual void notify() = 0;
  /// Until notified (true) or `deadline` (false). Only the task that made the signal waits on it.
  [[nodiscard]] virtual bool wait_until(wait_clock::time_point deadline) = 0;
};

class waiting {
 public:
  enum class readiness { readable, writable };

  virtual ~waiting() = default;
  /// Until `descriptor` is ready (true) or `deadline` passes (false). An error or
  /// a hang-up on the descriptor counts as ready: the next read or write reports it.
  [[nodiscard]] virtual bool until_ready(int descriptor, readiness wanted, wait_clock::time_point deadline) = 0;
  virtual void sleep_until(wait_clock::time_point deadline) = 0;
  /// A signal this task can wait on and another thread can notify.
  [[nodiscard]] virtual std::shared_ptr<wake_signal> new_signal() = 0;
};

/// The waiting of the task running on this thread: the one a scope installed, else the blocking one.
[[nodiscard]] waiting& current_waiting() noexcept;

/// The waiting that blocks the calling thread (poll, a condition variable, a sleep).
[[nodiscard]] waiting& blocking_waiting() noexcept;

/// Installs `installed` as this thread's current waiting for the scope's
/// lifetime, and puts back the one before. A coroutine scheduler installs its
/// own around each resumption of a task.
class waiting_scope {
 public:
  explicit waiting_scope(waiting& installed) noexcept;
  ~waiting_scope();
  waiting_scope(waiting_scope const&) = delete;
  waiting_scope& operator=(waiting_scope const&) = delete;

 private:
  waiting* previous_;
};

}  // namespace once::application
