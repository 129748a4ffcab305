// A fixed-size pool of libpqxx connections that lend their libpq handles. Connections are opened on
// demand, never reactivated behind the caller's back (a broken connection
// stays broken and is discarded).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <once/application/error.hpp>
#include <once/application/waiting.hpp>
#include <once/postgres/pg_options.hpp>
#include "libpq_statement.hpp"

namespace once::postgres::detail {

class connection_pool {
 public:
  class lease {
   public:
    lease(connection_pool& pool, std::unique_ptr<lending_connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    lease(lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
    lease& operator=(lease&&) = delete;
    lease(lease const&) = delete;
    ~lease() {
      if (pool_ != nullptr) pool_->give_back(std::move(connection_));
    }

    lending_connection& connection() { return *connection_; }
    // The connection is broken or in an unknown state: close it instead of reusing it.
    void discard() noexcept { connection_.reset(); }
    bool discarded() const noexcept { return connection_ == nullptr; }

   private:
    connection_pool* pool_;
    std::unique_ptr<lending_connection> connection_;
  };

  explicit connection_pool(pg_options const& options);
  ~connection_pool();
  connection_pool(connection_pool const&) = delete;
  connection_pool& operator=(connection_pool const&) = delete;

  // A connection, waiting up to acquire_timeout for one to be free; unavailable otherwise.
  [[nodiscard]] application::result<lease> acquire();
  // The same, waiting up to `wait`.
  [[nodiscard]] application::result<lease> acquire(std::chrono::milliseconds wait);
  // A connection that is certainly new, for a retry after a broken one; idle
  // connections the server ended are dropped, the others kept.
  [[nodiscard]] application::result<lease> acquire_fresh();

 private:
  void give_back(std::unique_ptr<lending_connection> connection);
  // A caller waiting for its turn, first come first served, and what the pool handed it.
  struct waiter {
    std::shared_ptr<application::wake_signal> signal;
    bool fresh_only = false;                     // acquire_fresh: a new connection, never a used one
    std::unique_ptr<lending_connection> handed;  // a returned connection, given to it
    bool may_open = false;                       // or a slot to open one in (counted in open_)
  };
  // Queues the caller and waits (through its waiting) until it is handed a
  // connection or a slot, or `deadline` passes.
  application::result<lease> wait_for_turn(std::unique_lock<std::mutex>& lock,
                                           application::wait_clock::time_point deadline, bool fresh_only);
  // A slot was freed (open_ went down): the waiter longest in line may open a connection in it. Unlocks.
  void hand_slot_over(std::unique_lock<std::mutex>& lock);
  application::result<lease> open_new();

  std::string connection_string_;
  std::size_t size_;
  std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::deque<std::shared_ptr<waiter>> waiters_;  // longest waiting first; none while a connection is idle
  std::vector<std::unique_ptr<lending_connection>> idle_;
  std::size_t open_ = 0;  // idle plus leased
};

// The connection string with application_name, connect_timeout, TCP
// keepalives and tcp_user_timeout added (each unless the string sets it).
[[nodiscard]] std::string with_connection_parameters(pg_options const& options);

}  // namespace once::postgres::detail
