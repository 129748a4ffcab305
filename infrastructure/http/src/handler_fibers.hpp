// Handlers run on stacks of their own (Asio's stackful coroutines on
// Boost.Context), so that a handler waiting for the database suspends
// instead of blocking its I/O thread: the thread serves its other
// connections meanwhile. The handler's waits reach the scheduler through
// once/application/waiting.hpp: the store waits for its socket, the
// connection pool for a free connection, and both then suspend.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/spawn.hpp>
#include <boost/context/stack_context.hpp>

#include <once/application/waiting.hpp>

namespace once::http::detail {

// Handler stacks of one I/O thread, kept for reuse: a fresh stack's first
// touches fault pages in, which costs more than a request. Each has a guard
// page below it, so an overflow faults instead of writing over the next.
// One thread only.
class stack_pool {
 public:
  explicit stack_pool(std::size_t stack_bytes);
  ~stack_pool();
  stack_pool(stack_pool const&) = delete;
  stack_pool& operator=(stack_pool const&) = delete;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& stack) noexcept;

 private:
  std::size_t usable_bytes_;
  std::size_t mapped_bytes_;  // the stack and its guard page
  std::vector<void*> free_;   // mapping starts (the guard page)
};

// The StackAllocator handed to asio::spawn: a reference to its thread's pool.
struct pooled_stack {
  stack_pool* pool;
  boost::context::stack_context allocate() { return pool->allocate(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool->deallocate(stack); }
};

// The waits of one handler running on its own stack. Installed as the
// thread's current waiting only while the handler runs: it is taken down at
// each suspension (other handlers run on the thread meanwhile) and put back
// at each resumption.
class handler_waiting final : public application::waiting {
 public:
  handler_waiting(boost::asio::io_context& io, boost::asio::yield_context yield);
  ~handler_waiting() override;
  handler_waiting(handler_waiting const&) = delete;
  handler_waiting& operator=(handler_waiting const&) = delete;

  [[nodiscard]] bool until_ready(int descriptor, readiness wanted,
                                 application::wait_clock::time_point deadline) override;
  void sleep_until(application::wait_clock::time_point deadline) override;
  [[nodiscard]] std::shared_ptr<application::wake_signal> new_signal() override;

  // Runs `suspend` (which yields) with this waiting taken down meanwhile.
  template <typename Suspend>
  void suspended(Suspend&& suspend) {
    installed_.reset();
    suspend(yield_);
    installed_.emplace(*this);
  }

 private:
  boost::asio::io_context& io_;
  boost::asio::yield_context yield_;
  std::optional<application::waiting_scope> installed_;
};

}  // namespace once::http::detail
