#include "connection_pool.hpp"

#include <algorithm>
#include <cstdint>

#include <pqxx/except>

namespace once::postgres::detail {

using application::error_code;
using application::fail;

std::string with_connection_parameters(pg_options const& options) {
  std::string url = options.database_url;
  bool const is_uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  auto const add = [&](std::string const& name, std::string const& value) {
    if (url.find(name + '=') != std::string::npos) return;  // the user's choice stands
    if (is_uri) {
      url += (url.find('?') == std::string::npos ? "?" : "&") + name + '=' + value;
    } else {
      url += ' ' + name + "='" + value + "'";
    }
  };
  add("application_name", options.application_name);
  auto const connect_seconds = std::max<std::int64_t>(2, (options.connect_timeout.count() + 999) / 1000);
  add("connect_timeout", std::to_string(connect_seconds));
  // A peer that vanished (a partition, a dead host) is noticed within ~25 s
  // on an idle connection and within statement_timeout on a busy one.
  add("keepalives", "1");
  add("keepalives_idle", "10");
  add("keepalives_interval", "5");
  add("keepalives_count", "3");
  add("tcp_user_timeout", std::to_string(options.statement_timeout.count()));
  return url;
}

connection_pool::connection_pool(pg_options const& options)
    : connection_string_(with_connection_parameters(options)),
      size_(options.pool_size == 0 ? 1 : options.pool_size),
      acquire_timeout_(options.acquire_timeout) {}

connection_pool::~connection_pool() = default;

application::result<connection_pool::lease> connection_pool::acquire() {
  return acquire(acquire_timeout_);
}

application::result<connection_pool::lease> connection_pool::acquire(std::chrono::milliseconds wait) {
  auto const deadline = application::wait_clock::now() + wait;
  std::vector<std::unique_ptr<lending_connection>> gone;  // closed after the lock is released
  std::unique_lock lock(mutex_);
  // While others wait, a newcomer queues behind them: it never takes a
  // connection returned for the one waiting longest.
  if (waiters_.empty()) {
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (idle_connection_is_usable(*connection)) return lease{*this, std::move(connection)};
      --open_;  // the server ended it while it was idle
      gone.push_back(std::move(connection));
    }
    if (open_ < size_) {
      ++open_;
      lock.unlock();
      return open_new();
    }
  }
  return wait_for_turn(lock, deadline, false);
}

application::result<connection_pool::lease> connection_pool::acquire_fresh() {
  auto const deadline = application::wait_clock::now() + acquire_timeout_;
  std::vector<std::unique_ptr<lending_connection>> gone;  // closed after the lock is released
  std::unique_lock lock(mutex_);
  // One lost connection says little about the others: those the server ended
  // (a restart, a terminated backend) have its farewell to read and go; the
  // rest stay, so that single losses under load do not empty the pool.
  for (auto& connection : idle_) {
    if (idle_connection_is_usable(*connection)) continue;
    --open_;
    gone.push_back(std::move(connection));
  }
  std::erase(idle_, nullptr);
  if (waiters_.empty() && open_ == size_ && !idle_.empty()) {
    --open_;  // no free slot: the connection idle longest makes room for the new one
    gone.push_back(std::move(idle_.front()));
    idle_.erase(idle_.begin());
  }
  if (waiters_.empty() && open_ < size_) {
    ++open_;
    lock.unlock();
    return open_new();
  }
  return wait_for_turn(lock, deadline, true);
}

application::result<connection_pool::lease> connection_pool::wait_for_turn(std::unique_lock<std::mutex>& lock,
                                                                           application::wait_clock::time_point deadline,
                                                                           bool fresh_only) {
  // The caller may be a coroutine whose thread runs the holders of the
  // leases too: it waits through its waiting, never on the thread.
  auto turn = std::make_shared<waiter>();
  turn->signal = application::current_waiting().new_signal();
  turn->fresh_only = fresh_only;
  waiters_.push_back(turn);
  lock.unlock();
  (void)turn->signal->wait_until(deadline);
  lock.lock();
  // Whoever handed something over took this waiter off the queue first.
  if (turn->handed != nullptr) return lease{*this, std::move(turn->handed)};
  if (turn->may_open) {
    lock.unlock();
    return open_new();
  }
  std::erase(waiters_, turn);
  if (fresh_only) {
    return fail(error_code::unavailable, "no PostgreSQL connection slot became free within the acquire timeout");
  }
  return fail(error_code::unavailable, "no pooled PostgreSQL connection became free within the acquire timeout");
}

void connection_pool::hand_slot_over(std::unique_lock<std::mutex>& lock) {
  if (waiters_.empty()) return;
  auto next = std::move(waiters_.front());
  waiters_.pop_front();
  next->may_open = true;
  ++open_;
  auto signal = next->signal;
  lock.unlock();
  signal->notify();
}

application::result<connection_pool::lease> connection_pool::open_new() {
  try {
    auto connection = std::make_unique<lending_connection>(connection_string_);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    // A silently re-opened connection would lose the transaction it was in.
    connection->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    return lease{*this, std::move(connection)};
  } catch (std::exception const& failure) {
    std::unique_lock lock(mutex_);
    --open_;
    hand_slot_over(lock);
    return fail(error_code::unavailable, std::string{"cannot connect to PostgreSQL: "} + failure.what());
  }
}

void connection_pool::give_back(std::unique_ptr<lending_connection> connection) {
  std::unique_lock lock(mutex_);
  if (connection == nullptr || !connection->is_open()) {
    --open_;
    hand_slot_over(lock);
    return;  // a broken connection is closed as `connection` goes, outside the lock
  }
  if (waiters_.empty()) {
    idle_.push_back(std::move(connection));
    return;
  }
  auto next = std::move(waiters_.front());
  waiters_.pop_front();
  if (next->fresh_only) {
    next->may_open = true;  // this connection closes as `connection` goes; its slot passes on
  } else {
    next->handed = std::move(connection);
  }
  auto signal = next->signal;
  lock.unlock();
  signal->notify();
}

}  // namespace once::postgres::detail
