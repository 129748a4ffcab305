// The server bounded against clients that hold connections: the cap on open
// connections, closing the connection idle longest to admit a new one, the
// idle timeout, slow readers of large answers, and running out of
// descriptors. Over real sockets on 127.0.0.1; the descriptor-limit cases run
// the server in a process of its own with RLIMIT_NOFILE at 48.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <once/http/server.hpp>

#include <once/testing/child_process.hpp>
#include <once/testing/eventually.hpp>
#include <once/testing/http_client.hpp>
#include "support/proc_stat.hpp"

namespace once_tests {
namespace {

using once::testing::child_process;
using once::testing::http_client;
using namespace std::chrono_literals;
using once::http::request;
using once::http::response;

// A connection that sends nothing, as a plain descriptor (a thousand of them
// must not cost a thousand io_contexts).
class idle_connections {
 public:
  idle_connections(unsigned short port, int count) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < count; ++i) {
      int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw std::runtime_error("socket failed");
      if (::connect(fd, reinterpret_cast<sockaddr const*>(&address), sizeof address) != 0) {
        ::close(fd);
        throw std::runtime_error("connect failed");
      }
      fds_.push_back(fd);
    }
  }
  idle_connections(idle_connections const&) = delete;
  idle_connections& operator=(idle_connections const&) = delete;
  ~idle_connections() { close_all(); }

  void close_all() {
    for (int const fd : fds_) ::close(fd);
    fds_.clear();
  }

  // How many the server has closed (a read sees end of stream or a reset).
  [[nodiscard]] int closed_by_server() const {
    int closed = 0;
    for (int const fd : fds_) {
      char byte;
      auto const got = ::recv(fd, &byte, 1, MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) ++closed;
    }
    return closed;
  }

 private:
  std::vector<int> fds_;
};

std::unique_ptr<once::http::server> start_server(once::http::server_options options, once::http::router routes) {
  options.port = 0;
  auto server = std::make_unique<once::http::server>(options, std::move(routes));
  if (!server->start().has_value()) throw std::runtime_error("the server did not start");
  return server;
}

once::http::router healthz_only() {
  once::http::router routes;
  routes.add("GET", "/healthz", [](request const&) { return response{200, {}, "ok"}; });
  return routes;
}

// /healthz on a new connection, answered within `bound` (the status), or 0.
int healthz_within(unsigned short port, std::chrono::milliseconds bound) {
  auto answer = std::async(std::launch::async, [port] { return http_client{port}.send("GET", "/healthz").status; });
  if (answer.wait_for(bound) != std::future_status::ready) {
    answer.wait();  // the caller's server is stopped or killed after a failure, which ends the read
    return 0;
  }
  return answer.get();
}

TEST(HttpServerConnectionCap, AnswersANewConnectionWhileAThousandIdleOnesPressOnACapOf256) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < 2048 && limit.rlim_max >= 2048) {
    limit.rlim_cur = 2048;  // a thousand clients and the server's 256 share this process
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  ASSERT_GE(limit.rlim_cur, 2048U) << "this test needs 2048 descriptors in one process";
  once::http::server_options options;
  options.max_connections = 256;
  options.idle_timeout = 1h;  // nothing times out: only the cap makes room
  auto server = start_server(options, healthz_only());
  ASSERT_EQ(server->max_connections(), 256U);
  idle_connections idle{server->port(), 1000};
  auto answered_at = std::async(std::launch::async, [&] { return healthz_within(server->port(), 1000ms); });
  int const status = answered_at.get();
  EXPECT_EQ(status, 200) << "a new connection was not answered within a second";
  // The cap held: all but 256 of the idle connections were closed to make room.
  EXPECT_TRUE(once::testing::eventually([&] { return idle.closed_by_server() >= 1000 - 256; }, 10s))
      << idle.closed_by_server() << " closed by the server";
  server->stop();
}

TEST(HttpServerConnectionCap, ClosesTheConnectionIdleLongestToAdmitANewOne) {
  once::http::server_options options;
  options.max_connections = 2;
  options.idle_timeout = 1h;
  auto server = start_server(options, healthz_only());
  http_client longest{server->port()};
  ASSERT_EQ(longest.send("GET", "/healthz").status, 200);
  std::this_thread::sleep_for(20ms);  // so that the two connections' idle times differ
  http_client recent{server->port()};
  ASSERT_EQ(recent.send("GET", "/healthz").status, 200);
  http_client newcomer{server->port()};
  EXPECT_EQ(newcomer.send("GET", "/healthz").status, 200);
  EXPECT_TRUE(longest.closed_by_server()) << "the connection idle longest makes room";
  EXPECT_EQ(recent.send("GET", "/healthz").status, 200) << "the other one stays";
  server->stop();
}

TEST(HttpServerConnectionCap, AdmitsANewConnectionOnceTheRequestInProgressEnds) {
  std::promise<void> held_started;
  std::promise<void> release;
  once::http::router routes = healthz_only();
  routes.add("GET", "/held", [&, released = release.get_future().share()](request const&) {
    held_started.set_value();
    (void)released.wait_for(10s);
    return response{200, {}, "released"};
  });
  once::http::server_options options;
  options.max_connections = 1;
  options.threads = 2;  // a free I/O thread: only the cap can hold the newcomer back
  auto server = start_server(options, std::move(routes));
  auto held = std::async(std::launch::async, [&] { return http_client{server->port()}.send("GET", "/held"); });
  ASSERT_EQ(held_started.get_future().wait_for(10s), std::future_status::ready);
  auto newcomer = std::async(std::launch::async, [&] { return http_client{server->port()}.send("GET", "/healthz"); });
  EXPECT_EQ(newcomer.wait_for(300ms), std::future_status::timeout)
      << "a request in progress was closed, or the cap was not kept";
  release.set_value();
  EXPECT_EQ(held.get().body, "released");
  ASSERT_EQ(newcomer.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(newcomer.get().status, 200);
  server->stop();
}

// A connection that sends nothing is closed after idle_timeout; one whose
// request is under way gets read_timeout.
TEST(HttpServerTimeouts, ClosesASilentConnectionAfterTheIdleTimeoutButLetsAStartedRequestFinish) {
  once::http::server_options options;
  options.idle_timeout = 200ms;
  options.read_timeout = 5s;
  auto server = start_server(options, healthz_only());
  http_client slow{server->port()};
  slow.send_raw("GET /healthz HTTP/1.1\r\n");
  http_client silent{server->port()};
  auto const started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2500ms) << "closed by the 5 s read timeout, not the idle one";
  for (int timeout = 0; timeout < 3; ++timeout) {  // three more idle timeouts pass, each seen on a silent connection
    http_client another_silent{server->port()};
    EXPECT_TRUE(another_silent.closed_by_server());
  }
  slow.send_raw("Host: x\r\n\r\n");
  EXPECT_EQ(slow.receive().status, 200);
  server->stop();
}

// The counterpart of the slow readers below: a client that reads gets a large
// answer whole, past the 8 MiB at which Beast's parsers stop by default.
TEST(HttpServerTimeouts, SendsALargeAnswerWholeToAClientThatReads) {
  std::string const large(9 * 1024 * 1024, 'x');
  auto routes = healthz_only();
  routes.add("GET", "/large", [&large](request const&) { return response{200, {}, large}; });
  auto server = start_server(once::http::server_options{}, std::move(routes));
  http_client reader{server->port()};
  auto const answer = reader.send("GET", "/large");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body.size(), large.size());
  server->stop();
}

// Connections that ask for a large answer and never read it: each write
// holds its bytes until read_timeout, then the server gives the connection
// up; meanwhile the I/O threads serve others and do not spin.
TEST(HttpServerTimeouts, GivesUpOnSlowReadersOfLargeAnswersAfterTheReadTimeoutAndServesOthersMeanwhile) {
  std::string const large(16 * 1024 * 1024, 'x');
  once::http::server_options options;
  options.read_timeout = 1s;
  options.threads = 2;
  auto routes = healthz_only();
  routes.add("GET", "/large", [&large](request const&) { return response{200, {}, large}; });
  auto server = start_server(options, std::move(routes));

  std::vector<int> readers;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 10; ++i) {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    readers.push_back(fd);
    int const small = 4096;  // a reader that takes little at a time
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr const*>(&address), sizeof address), 0);
    std::string const ask = "GET /large HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(fd, ask.data(), ask.size(), MSG_NOSIGNAL), static_cast<ssize_t>(ask.size()));
  }
  // Measured once every answer is being written (its first bytes arrived): making them is work, not spinning.
  auto const all_writing = [&] {
    char byte;
    return std::all_of(readers.begin(), readers.end(),
                       [&](int fd) { return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 1; });
  };
  ASSERT_TRUE(once::testing::eventually(all_writing, 20s, 10ms));
  auto const cpu_before = cpu_time(::getpid());
  EXPECT_EQ(healthz_within(server->port(), 1000ms), 200) << "slow readers hold up the I/O threads";

  // Each connection ends (end of stream or a reset) before its answer is whole.
  std::vector<std::size_t> received(readers.size(), 0);
  std::vector<bool> ended(readers.size(), false);
  std::vector<char> chunk(65536);
  auto const all_ended = [&] {
    for (std::size_t i = 0; i < readers.size(); ++i) {
      while (!ended[i]) {
        auto const got = ::recv(readers[i], chunk.data(), chunk.size(), MSG_DONTWAIT);
        if (got > 0) {
          received[i] += static_cast<std::size_t>(got);
        } else {
          if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) ended[i] = true;
          break;
        }
      }
    }
    return std::all_of(ended.begin(), ended.end(), [](bool e) { return e; });
  };
  // Read slowly at first, so that the writes are still waiting when read_timeout runs out.
  std::this_thread::sleep_for(2500ms);
  EXPECT_LT((cpu_time(::getpid()) - cpu_before).count(), 1.0) << "the server spins on slow readers";
  EXPECT_TRUE(once::testing::eventually(all_ended, 20s, 50ms)) << "a slow reader was never given up";
  for (std::size_t i = 0; i < readers.size(); ++i) {
    EXPECT_LT(received[i], large.size()) << "reader " << i << " got the whole answer: nothing was given up";
    ::close(readers[i]);
  }
  EXPECT_EQ(healthz_within(server->port(), 1000ms), 200);
  server->stop();
}

// The server in a process of its own, under a descriptor limit.
class probe_server {
 public:
  probe_server(rlim_t descriptor_limit, std::size_t max_connections)
      : process_(ONCE_HTTP_PROBE_SERVER, {std::to_string(max_connections)}, descriptor_limit) {
    auto const announced = [&] {
      for (auto const& line : process_.output_lines()) {
        if (line.rfind("port ", 0) == 0) port_ = static_cast<unsigned short>(std::stoul(line.substr(5)));
      }
      return port_ != 0;
    };
    if (!once::testing::eventually(announced, 10s, 10ms)) throw std::runtime_error("the probe server did not start");
  }
  [[nodiscard]] unsigned short port() const noexcept { return port_; }

  [[nodiscard]] std::chrono::duration<double> cpu() const { return cpu_time(process_.pid()); }

 private:
  child_process process_;
  unsigned short port_ = 0;
};

// The reported attack: 60 idle connections against a limit of 48
// descriptors. Before, accept failed with EMFILE in a tight loop (2.3 s of
// CPU in 3 s) and /healthz was not answered until the clients left.
TEST(HttpServerDescriptors, StaysResponsiveWithSixtyIdleConnectionsAndFortyEightDescriptors) {
  probe_server server{48, 0};
  idle_connections idle{server.port(), 60};
  auto const cpu_before = server.cpu();
  EXPECT_EQ(healthz_within(server.port(), 1000ms), 200) << "a new connection was not answered within a second";
  std::this_thread::sleep_for(3s);
  EXPECT_LT((server.cpu() - cpu_before).count(), 1.0) << "the server spins";
  idle.close_all();
  EXPECT_EQ(healthz_within(server.port(), 1000ms), 200);
}

// With a cap above what the descriptors allow, accept runs out of them: it
// frees one held by an idle connection and pauses, instead of spinning.
TEST(HttpServerDescriptors, PausesInsteadOfSpinningWhenAcceptRunsOutOfDescriptors) {
  probe_server server{48, 1000};
  idle_connections idle{server.port(), 60};
  auto const cpu_before = server.cpu();
  auto answered = std::async(std::launch::async, [&] { return healthz_within(server.port(), 10000ms); });
  std::this_thread::sleep_for(3s);
  EXPECT_LT((server.cpu() - cpu_before).count(), 1.0) << "the server spins";
  EXPECT_EQ(answered.get(), 200) << "idle connections locked a new one out";
  idle.close_all();
  EXPECT_EQ(healthz_within(server.port(), 1000ms), 200) << "descriptors freed, the server answers at once";
}

}  // namespace
}  // namespace once_tests
