// The store's connection pool when a retry asks for a certainly new
// connection (acquire_fresh): in a full pool the connection idle longest
// makes room at once, and of the idle connections only those the server
// ended are dropped. And its connections' sockets: TCP keepalives and a
// user timeout, so that a peer that vanished is noticed.
#include "connection_pool.hpp"

#include <chrono>
#include <string>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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

// An integer option of the connection's socket, -1 when it cannot be read.
int socket_option(connection_pool::lease& lease, int level, int name) {
  int value = -1;
  socklen_t size = sizeof value;
  if (::getsockopt(lease.connection().sock(), level, name, &value, &size) != 0) return -1;
  return value;
}

TEST(ConnectionPool, ItsConnectionsProbeAnIdlePeerAfterTenSecondsAndGiveItUpWithinTwentyFive) {
  pg_schema schema;
  auto options = pool_options(schema, 1);
  options.statement_timeout = 4s;
  connection_pool pool{options};
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.has_value()) << lease.error().message;
  EXPECT_EQ(socket_option(*lease, SOL_SOCKET, SO_KEEPALIVE), 1);
  EXPECT_EQ(socket_option(*lease, IPPROTO_TCP, TCP_KEEPIDLE), 10);
  EXPECT_EQ(socket_option(*lease, IPPROTO_TCP, TCP_KEEPINTVL), 5);
  EXPECT_EQ(socket_option(*lease, IPPROTO_TCP, TCP_KEEPCNT), 3);  // 10 s + 3 probes 5 s apart
  // Unacknowledged data (a statement sent to a vanished peer) is given up with the statement's bound.
  EXPECT_EQ(socket_option(*lease, IPPROTO_TCP, TCP_USER_TIMEOUT), 4000);
}

TEST(ConnectionPool, KeepaliveSettingsInTheDatabaseUrlStand) {
  pg_schema schema;
  auto options = pool_options(schema, 1);
  auto& url = options.database_url;
  if (url.rfind("postgres", 0) == 0) {  // a URI, as scripts/throwaway-postgres gives
    url += std::string{url.find('?') == std::string::npos ? "?" : "&"} + "keepalives_idle=30&keepalives_count=2";
  } else {
    url += " keepalives_idle=30 keepalives_count=2";
  }
  connection_pool pool{options};
  auto lease = pool.acquire();
  ASSERT_TRUE(lease.has_value()) << lease.error().message;
  EXPECT_EQ(socket_option(*lease, IPPROTO_TCP, TCP_KEEPIDLE), 30);
  EXPECT_EQ(socket_option(*lease, IPPROTO_TCP, TCP_KEEPCNT), 2);
  EXPECT_EQ(socket_option(*lease, IPPROTO_TCP, TCP_KEEPINTVL), 5);  // the one the URL left to the pool
}

}  // namespace
}  // namespace once_tests
