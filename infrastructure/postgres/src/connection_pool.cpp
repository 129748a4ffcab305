#include "connection_pool.hpp"

#include <pqxx/except>

namespace once::postgres::detail {

using application::error_code;
using application::fail;

std::string with_application_name(std::string const& url, std::string const& name) {
  bool const is_uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!is_uri) return url + " application_name='" + name + "'";
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

connection_pool::connection_pool(pg_options const& options)
    : connection_string_(with_application_name(options.database_url, options.application_name)),
      size_(options.pool_size == 0 ? 1 : options.pool_size),
      acquire_timeout_(options.acquire_timeout) {}

connection_pool::~connection_pool() = default;

application::result<connection_pool::lease> connection_pool::acquire() {
  std::unique_lock lock(mutex_);
  if (!returned_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty() || open_ < size_; })) {
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
  std::unique_lock lock(mutex_);
  // Idle connections opened before a server restart are broken too: drop them all.
  open_ -= idle_.size();
  idle_.clear();
  if (!returned_.wait_for(lock, acquire_timeout_, [&] { return open_ < size_; })) {
    return fail(error_code::unavailable, "no PostgreSQL connection slot became free within the acquire timeout");
  }
  ++open_;
  lock.unlock();
  return open_new();
}

application::result<connection_pool::lease> connection_pool::open_new() {
  try {
    auto connection = std::make_unique<pqxx::connection>(connection_string_);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    // A silently re-opened connection would lose the transaction it was in.
    connection->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    return lease{*this, std::move(connection)};
  } catch (std::exception const& failure) {
    std::lock_guard lock(mutex_);
    --open_;
    returned_.notify_one();
    return fail(error_code::unavailable, std::string{"cannot connect to PostgreSQL: "} + failure.what());
  }
}

void connection_pool::give_back(std::unique_ptr<pqxx::connection> connection) {
  std::lock_guard lock(mutex_);
  if (connection != nullptr && connection->is_open()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  returned_.notify_one();
}

}  // namespace once::postgres::detail
