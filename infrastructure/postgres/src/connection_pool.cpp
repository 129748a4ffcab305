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
  std::unique_lock lock(mutex_);
  if (!wait_for_turn(lock, deadline, [&] { return !idle_.empty() || open_ < size_; })) {
    return fail(error_code::unavailable, "no pooled PostgreSQL connection became free within the acquire timeout");
  }
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return lease{*this, std::move(connection)};
  }
  ++open_;
  lock.unlock();
  return open_new();
}

application::result<connection_pool::lease> connection_pool::acquire_fresh() {
  auto const deadline = application::wait_clock::now() + acquire_timeout_;
  std::unique_lock lock(mutex_);
  // Idle connections opened before a server restart are broken too: drop them all.
  open_ -= idle_.size();
  idle_.clear();
  if (!wait_for_turn(lock, deadline, [&] { return open_ < size_; })) {
    return fail(error_code::unavailable, "no PostgreSQL connection slot became free within the acquire timeout");
  }
  ++open_;
  lock.unlock();
  return open_new();
}

bool connection_pool::wait_for_turn(std::unique_lock<std::mutex>& lock, application::wait_clock::time_point deadline,
                                    std::function<bool()> const& ready) {
  while (!ready()) {
    if (application::wait_clock::now() >= deadline) return false;
    // The caller may be a coroutine whose thread runs the holders of the
    // leases too: it waits through its waiting, never on the thread.
    auto signal = application::current_waiting().new_signal();
    waiters_.push_back(signal);
    lock.unlock();
    (void)signal->wait_until(deadline);
    lock.lock();
    std::erase(waiters_, signal);
  }
  return true;
}

void connection_pool::wake_one(std::unique_lock<std::mutex>& lock) {
  if (waiters_.empty()) return;
  auto signal = std::move(waiters_.front());
  waiters_.pop_front();
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
    wake_one(lock);
    return fail(error_code::unavailable, std::string{"cannot connect to PostgreSQL: "} + failure.what());
  }
}

void connection_pool::give_back(std::unique_ptr<lending_connection> connection) {
  std::unique_lock lock(mutex_);
  if (connection != nullptr && connection->is_open()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  wake_one(lock);
}

}  // namespace once::postgres::detail
