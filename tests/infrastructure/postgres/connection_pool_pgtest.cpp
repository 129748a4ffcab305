// The store's connection pool when a retry asks for a certainly new
// connection (acquire_fresh): in a full pool the connection idle longest
// makes room at once, and of the idle connections only those the server
// ended are dropped.
#include "connection_pool.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <once/testing/eventually.hpp>
#include <once/testing/pg_schema.hpp>

namespace once_tests {
namespace {

using once::postgres::detail::connection_pool;
using once::testing::eventually;
using once::testing::pg_schema;
using namespace std::chrono_literals;

// A short acquire timeout: a pool that waited for a free slot instead of making one would fail within it.
once::postgres::pg_options pool_options(pg_schema const& schema, std::size_t size) {
  auto options = schema.options(size, "once-pool-test");
  options.acquire_timeout = 300ms;
  return options;
}

int backend_of(connection_pool::lease& lease) {
  return lease.connection().backendpid();
}

bool backend_is_alive(pg_schema const& schema, int pid) {
  pqxx::connection connection{schema.url()};
  pqxx::nontransaction statement{connection};
  return statement.exec_params("SELECT 1 FROM pg_stat_activity WHERE pid = $1", pid).size() == 1;
}

TEST(ConnectionPool, AFreshConnectionInAFullPoolReplacesTheConnectionIdleLongestWithoutWaiting) {
  pg_schema schema;
  connection_pool pool{pool_options(schema, 1)};
  int used = 0;
  {
    auto first = pool.acquire();
    ASSERT_TRUE(first.has_value()) << first.error().message;
    used = backend_of(*first);
  }  // idle now, and the pool's only slot is taken by it

  auto fresh = pool.acquire_fresh();

  ASSERT_TRUE(fresh.has_value()) << fresh.error().message;
  EXPECT_NE(backend_of(*fresh), used);
  EXPECT_TRUE(eventually([&] { return !backend_is_alive(schema, used); }, 10s));  // closed, not leaked
}

TEST(ConnectionPool, AFreshConnectionDropsTheIdleConnectionsTheServerEndedAndKeepsTheOthers) {
  pg_schema schema;
  connection_pool pool{pool_options(schema, 2)};
  int ended = 0;
  int kept = 0;
  {
    auto one = pool.acquire();
    auto two = pool.acquire();
    ASSERT_TRUE(one.has_value() && two.has_value());
    ended = backend_of(*one);
    kept = backend_of(*two);
  }
  {
    pqxx::connection connection{schema.url()};
    pqxx::nontransaction statement{connection};
    statement.exec_params("SELECT pg_terminate_backend($1)", ended);
  }
  ASSERT_TRUE(eventually([&] { return !backend_is_alive(schema, ended); }, 10s));

  auto fresh = pool.acquire_fresh();
  ASSERT_TRUE(fresh.has_value()) << fresh.error().message;
  EXPECT_NE(backend_of(*fresh), ended);
  EXPECT_NE(backend_of(*fresh), kept);
  // Two slots: the fresh connection's, and the kept one's, lent again (had the pool made room by
  // closing the connection idle longest, that would have been the kept one).
  auto again = pool.acquire();
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(backend_of(*again), kept);
}

}  // namespace
}  // namespace once_tests
