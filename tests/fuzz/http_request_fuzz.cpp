// The HTTP server's request path on any bytes, over a real socket: framing,
// headers, routing, the Idempotency-Key contract, bodies and JSON decoding of
// a command route (the test ledger on the memory store). Whatever arrives, the
// server answers or closes the connection within a bound and keeps accepting;
// an answer is a well-formed status line. The input is sent as it is, then the
// client half-closes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <once/application/command_dispatcher.hpp>
#include <once/http/bearer_tokens.hpp>
#include <once/http/command_endpoint.hpp>
#include <once/http/operations_routes.hpp>
#include <once/http/server.hpp>
#include <once/memory/memory_command_store.hpp>

#include "support/ledger.hpp"

namespace {

using namespace std::chrono_literals;

// One server for the whole run, as a service holds one.
struct served {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<once_tests::ledger> dispatcher{store};
  once::http::bearer_tokens tokens;
  std::unique_ptr<once::http::server> server;

  served() {
    tokens.add("token-a", "tenant-a");
    once::http::router routes;
    routes.add("POST", "/v1/ledgers/{ledger_id}/deposits",
               once::http::command_endpoint<once_tests::ledger, once_tests::deposit>(dispatcher, tokens,
                                                                                     {.success_status = 201}));
    routes.add("POST", "/v1/ledgers/{ledger_id}/withdrawals",
               once::http::command_endpoint<once_tests::ledger, once_tests::withdraw>(
                   dispatcher, tokens, {.success_status = 201, .rejection_status = {{"insufficient_funds", 409}}}));
    routes.add("PUT", "/v1/ledgers/{ledger_id}/name",
               once::http::command_endpoint<once_tests::ledger, once_tests::rename>(dispatcher, tokens,
                                                                                    {.success_status = 200}));
    once::http::add_operations_routes(routes, {});
    once::http::server_options options;
    options.port = 0;
    options.threads = 1;
    options.body_limit = 64 * 1024;
    options.read_timeout = 500ms;
    options.idle_timeout = 500ms;
    server = std::make_unique<once::http::server>(options, std::move(routes));
    if (!server->start()) std::abort();
  }
};

int connected(unsigned short port) {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  timeval const bound{.tv_sec = 3, .tv_usec = 0};  // six times the server's read timeout
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr const*>(&address), sizeof address) != 0) {
    if (errno != EINTR) std::abort();
    // Interrupted (see below), the connection is still being made: wait for it.
    pollfd made{.fd = fd, .events = POLLOUT, .revents = 0};
    while (::poll(&made, 1, 3000) < 0 && errno == EINTR) {
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) std::abort();
  }
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  static served service;
  int const fd = connected(service.server->port());
  std::size_t sent = 0;
  // libFuzzer's timeout alarm (SIGALRM every -timeout/2+1 s) interrupts a
  // socket call that has a timeout set, even under SA_RESTART: EINTR is no
  // answer from the server, so such a call is simply made again (connect above
  // waits for the connection it started).
  while (sent < size) {
    auto const n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server may close early on a bad request: that is an answer
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[4096];
  while (true) {
    auto const n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) break;
      std::abort();  // neither an answer nor a close within the bound: the connection hangs
    }
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!answer.empty() && !answer.starts_with("HTTP/1.1 ")) std::abort();
  return 0;
}
