/// \file
/// A small asynchronous HTTP/1.1 server on Boost.Beast/Asio: a fixed pool of
/// I/O threads, each running its own io_context and owning the connections it
/// was given (a new connection goes to a thread not inside a handler, the one
/// with the fewest), routes declared by the service, bodies over the limit
/// refused with 413 before they are read, slow or oversized headers cut off,
/// and a stop that drains requests in progress.
///
/// Bounded against hostile clients: open connections are capped; at the cap
/// the connection idle longest (no request in progress) is closed to admit a
/// new one, so idle connections cannot lock clients out; only when every
/// connection has a request in progress does accepting wait for one to end.
/// Out of descriptors (EMFILE/ENFILE), it frees one held by an idle connection
/// and pauses instead of spinning. A connection waiting for its next request
/// is closed after idle_timeout, a request in progress after read_timeout.
/// SIGPIPE is ignored process-wide once the server starts: a write to a closed
/// pipe or socket (a log on a closed stdout) fails with EPIPE instead of
/// killing the process.
///
/// Handlers run on their connection's I/O thread, each on a stack of its own
/// (a stackful coroutine). A handler that waits through
/// application::current_waiting() — the PostgreSQL store waiting for its
/// answer or for a pooled connection does — suspends, and the thread serves
/// its other connections meanwhile: a few threads serve many connections
/// whose requests wait for the database. A handler that blocks its thread
/// otherwise (a blocking client of another system) holds up that thread's
/// other connections until it returns: a new connection goes to the worker
/// with the fewest handlers in progress. Owning connections per thread,
/// rather than sharing one io_context with a strand per connection, saves a
/// cross-thread wake-up per socket event: about 15 us of CPU per request and
/// a third of the p99 at 16 connections on loopback (docs/performance.md).
/// New connections are accepted on a thread of their own.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/fwd.h>

#include <once/application/error.hpp>

namespace once::http {

struct request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  std::string query;
  std::string target;  // the request-target as sent (path and query, not decoded): for forwarding it unchanged
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::map<std::string, std::string> params;  // from the route pattern's {name} segments

  /// The first header of that (lower-case) name.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const {
    for (auto const& [header_name, value] : headers) {
      if (header_name == name) return value;
    }
    return std::nullopt;
  }
  /// How many field lines of that (lower-case) name the request carries. Two
  /// lines form a list (RFC 9110 5.3), which a single-valued header refuses.
  [[nodiscard]] std::size_t header_lines(std::string_view name) const {
    std::size_t lines = 0;
    for (auto const& each : headers) lines += each.first == name ? 1U : 0U;
    return lines;
  }
};

struct response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Fields for the request log only, never sent ("intent", "outcome", "error").
  /// No personal or payment data: ids and codes, not bodies.
  std::vector<std::pair<std::string, std::string>> log_fields;
};

using handler = std::function<response(request const&)>;

/// Method + path pattern ("/v1/payments/{id}/captures") to handler. Unknown
/// paths answer 404 (or go to the fallback, when there is one), known paths
/// with another method 405 (with Allow).
class router {
 public:
  void add(std::string method, std::string pattern, handler handle);
  /// Takes every request no pattern matches (a facade forwards them to the system behind it).
  void fallback(handler handle);
  [[nodiscard]] response route(request& incoming) const;

 private:
  struct route_entry {
    std::string method;
    std::vector<std::string> segments;  // "{name}" segments capture
    handler handle;
  };
  std::vector<route_entry> routes_;
  handler fallback_;
};

struct server_options {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  // 0: any free port (see server::port)
  int threads = 2;
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  /// Open connections at most; 0: sized to the descriptor limit when the server
  /// starts (three quarters of the descriptors free then, at most 65536).
  std::size_t max_connections = 0;
  /// From a request's first byte to its last, and for writing an answer.
  std::chrono::milliseconds read_timeout{10000};
  /// For a connection waiting for the first byte of a request: a new one, or one between keep-alive requests.
  std::chrono::milliseconds idle_timeout{5000};
  /// Both timeouts are checked on a coarse tick (a quarter of the shorter, 10 ms to 1 s):
  /// a late client is cut off within 1.25x.
  /// How long accepting pauses after the process or the system ran out of descriptors.
  std::chrono::milliseconds accept_pause{100};
  std::chrono::milliseconds drain_timeout{10000};  // how long stop() waits for requests in progress
  /// One structured JSON line per request (once/observability/structured_log.hpp); none when null.
  std::shared_ptr<spdlog::logger> request_log;
};

class server {
 public:
  server(server_options options, router routes);
  ~server();
  server(server const&) = delete;
  server& operator=(server const&) = delete;

  /// Binds and starts the I/O threads; unavailable if the address cannot be bound.
  [[nodiscard]] application::result<void> start();
  /// The bound port (useful with port 0).
  [[nodiscard]] unsigned short port() const noexcept;
  /// The cap on open connections in force (max_connections, or what start() sized it to).
  [[nodiscard]] std::size_t max_connections() const noexcept;
  /// Stops accepting, lets requests in progress finish (up to drain_timeout), closes idle connections.
  void stop();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace once::http
