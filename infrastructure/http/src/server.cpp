#include <once/http/server.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>

#include <once/http/problem.hpp>
#include <once/http/response_bytes.hpp>
#include <once/http/responses.hpp>
#include <once/http/structured_log.hpp>

namespace once::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto as_tuple_awaitable = asio::as_tuple(use_awaitable);

namespace {

// A target made of path characters only (RFC 3986 pchar and "/", no percent
// escape, no query) is a valid origin-form and its own decoded path: most
// requests skip the URL parser.
bool is_plain_path(std::string_view target) {
  constexpr std::string_view allowed = "-._~!$&'()*+,;=:@/";
  return !target.empty() && target.front() == '/' && std::all_of(target.begin(), target.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           allowed.find(c) != std::string_view::npos;
  });
}

// The request as handlers see it: lower-case header names, decoded path.
std::optional<request> to_request(bhttp::request<bhttp::string_body>& message) {
  request incoming;
  incoming.method = std::string{message.method_string()};
  std::string_view const raw_target = message.target();
  if (is_plain_path(raw_target)) {
    incoming.path = raw_target;
  } else {
    auto const target = boost::urls::parse_origin_form(raw_target);
    if (!target) return std::nullopt;
    incoming.path = target->path();
    incoming.query = target->query();
  }
  incoming.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (auto const& field : message) {
    std::string name{field.name_string()};
    for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;  // ASCII only, as HTTP
    incoming.headers.emplace_back(std::move(name), std::string{field.value()});
  }
  incoming.body = std::move(message.body());
  return incoming;
}

// One line per answered request: what was asked (method and path, never the
// body or the query), how it ended, how long it took, and the handler's fields.
void log_request(spdlog::logger& log, std::string_view method, std::string_view path, response const& answer,
                 std::string_view request_id, std::chrono::steady_clock::duration took) {
  auto const level = answer.status >= 500 ? spdlog::level::err : spdlog::level::info;
  if (!log.should_log(level)) return;
  std::vector<log_field> fields{{"method", method},
                                {"path", path},
                                {"status", std::int64_t{answer.status}},
                                {"duration_ms", std::chrono::duration<double, std::milli>(took).count()}};
  fields.reserve(fields.size() + 1 + answer.log_fields.size());
  if (!request_id.empty()) fields.push_back({"request_id", request_id});
  for (auto const& [name, value] : answer.log_fields) fields.push_back({name, value});
  log_event(log, level, "request", fields);
}

using steady_clock = std::chrono::steady_clock;

// A connection: its socket and the time by which its current read or write
// must be done. Its worker checks the deadlines on a coarse tick and cancels
// the late ones: a clock read per operation instead of arming a timer (and a
// timerfd_settime) for each.
struct connection {
  explicit connection(tcp::socket accepted) : socket(std::move(accepted)) {}
  tcp::socket socket;
  steady_clock::time_point deadline = steady_clock::time_point::max();
};

// A thread running an io_context of its own. The workers own connections: a
// connection's handlers all run on its worker's thread, so they need no
// strand, and a socket event wakes no other thread.
struct worker {
  asio::io_context io{1};  // concurrency hint: run by one thread
  asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
  std::atomic<int> connection_count{0};         // read by the listener
  std::unordered_set<connection*> connections;  // touched on this worker's thread only
  std::thread thread;
};

}  // namespace

struct server::state {
  server_options options;
  router routes;
  std::vector<std::unique_ptr<worker>> workers;
  // Accepting has a thread of its own: a worker's blocked handler must not stop new connections.
  worker listener;
  tcp::acceptor acceptor{listener.io};
  unsigned short bound_port = 0;
  bool running = false;  // the workers' threads are started
  std::atomic<bool> stopping{false};

  // How many requests are being handled, and a wake-up for stop() when that or a connection count drops.
  std::mutex mutex;
  std::condition_variable idle;
  std::atomic<int> busy{0};

  // A new connection goes to the worker with the fewest.
  worker& least_loaded() {
    return **std::min_element(workers.begin(), workers.end(), [](auto const& a, auto const& b) {
      return a->connection_count.load(std::memory_order_relaxed) < b->connection_count.load(std::memory_order_relaxed);
    });
  }

  int open_connections() const {
    int open = 0;
    for (auto const& each : workers) open += each->connection_count.load();
    return open;
  }

  // Late connections are found within a quarter of the timeout (10 ms to 1 s).
  steady_clock::duration sweep_interval() const {
    return std::clamp<steady_clock::duration>(options.read_timeout / 4, std::chrono::milliseconds{10},
                                              std::chrono::seconds{1});
  }

  asio::awaitable<void> cancel_late_operations(worker& home) {
    asio::steady_timer tick{home.io};
    for (;;) {
      tick.expires_after(sweep_interval());
      auto [error] = co_await tick.async_wait(as_tuple_awaitable);
      if (error) co_return;
      auto const now = steady_clock::now();
      for (auto* late : home.connections) {
        beast::error_code ignored;
        if (late->deadline <= now) late->socket.cancel(ignored);  // its read or write ends with operation_aborted
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto& home = least_loaded();
      auto [error, socket] = co_await acceptor.async_accept(home.io, as_tuple_awaitable);
      if (error) {
        if (stopping) co_return;
        continue;  // e.g. too many open files: keep serving the others
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // answers go out at once, not after the client's ACK
      ++home.connection_count;
      asio::co_spawn(home.io, session(std::move(socket), home), asio::detached);
    }
  }

  // stop() waits for `busy`, then the connection counts, to reach zero: wake it only while stopping.
  void wake_stop() {
    if (!stopping) return;
    std::lock_guard lock(mutex);
    idle.notify_all();
  }

  asio::awaitable<void> session(tcp::socket socket, worker& home) {
    connection self{std::move(socket)};
    home.connections.insert(&self);
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      self.deadline = steady_clock::now() + options.read_timeout;  // for the whole request, headers and body
      auto const read_error = co_await read_request(self, buffer, parser);
      if (read_error) {
        // Refuse what can be refused before reading on, then close. (Answers are
        // named locals: GCC 12 destroys temporaries in a co_await expression twice.)
        std::optional<response> refusal;
        if (read_error == bhttp::error::body_limit) {
          refusal = problem_response({problem_kind::payload_too_large,
                                      "the body is larger than " + std::to_string(options.body_limit) + " bytes"});
        } else if (read_error == bhttp::error::header_limit) {
          refusal = problem_response({problem_kind::invalid_request, "the request headers are too large"});
          refusal->status = 431;
        } else if (read_error.category() == beast::error_code{bhttp::error::bad_target}.category() &&
                   read_error != bhttp::error::end_of_stream && read_error != bhttp::error::partial_message) {
          refusal = problem_response({problem_kind::invalid_request, "malformed HTTP request"});
        }
        if (refusal.has_value()) {
          if (options.request_log) {
            std::string_view target =
                parser.is_header_done() ? std::string_view{parser.get().target()} : std::string_view{};
            log_request(*options.request_log, parser.get().method_string(), target.substr(0, target.find('?')),
                        *refusal, "", std::chrono::steady_clock::duration{});
          }
          co_await write(self, *refusal, false);
        }
        break;
      }
      auto const started = std::chrono::steady_clock::now();
      auto message = parser.release();
      bool const keep_alive = message.keep_alive() && !stopping;
      response answer;
      ++busy;
      auto incoming = to_request(message);
      if (incoming) {
        try {
          answer = routes.route(*incoming);
        } catch (std::exception const& failure) {
          answer = problem_response({problem_kind::internal_error, ""});
          answer.log_fields.emplace_back("error", failure.what());
        }
      } else {
        answer = problem_response({problem_kind::invalid_request, "malformed request target"});
      }
      if (options.request_log) {
        std::string_view const path = incoming ? std::string_view{incoming->path} : std::string_view{};
        std::string_view const request_id =
            incoming ? incoming->header("x-request-id").value_or("").substr(0, 128) : std::string_view{};
        log_request(*options.request_log, message.method_string(), path, answer, request_id,
                    std::chrono::steady_clock::now() - started);
      }
      bool const is_head = message.method() == bhttp::verb::head;
      co_await write(self, answer, keep_alive, is_head);
      if (--busy == 0) wake_stop();
      if (!keep_alive) break;
    }
    beast::error_code ignored;
    self.socket.shutdown(tcp::socket::shutdown_send, ignored);
    self.socket.close(ignored);
    home.connections.erase(&self);
    --home.connection_count;
    wake_stop();
  }

  // Reads a whole request. A client that sent "Expect: 100-continue" waits
  // for leave before it sends the body (RFC 9110 10.1.1): it gets "100
  // Continue" once the headers are in and the declared length is within the
  // limit; a larger one fails with body_limit already while the headers are
  // read, and is answered 413 without the body ever being sent.
  asio::awaitable<beast::error_code> read_request(connection& from, beast::flat_buffer& buffer,
                                                  bhttp::request_parser<bhttp::string_body>& parser) {
    auto [header_error, header_bytes] =
        co_await bhttp::async_read_header(from.socket, buffer, parser, as_tuple_awaitable);
    (void)header_bytes;
    if (header_error || parser.is_done()) co_return header_error;
    auto const& header = parser.get();
    if (header.version() >= 11 && beast::iequals(header[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [write_error, written] = co_await asio::async_write(from.socket, asio::buffer(go_on), as_tuple_awaitable);
      (void)written;
      if (write_error) co_return write_error;
    }
    // The body usually arrives with the headers: parse what is buffered
    // before starting another read operation (which costs a trip through the
    // scheduler even when it needs no I/O).
    parser.eager(true);
    while (!parser.is_done() && buffer.size() > 0) {
      beast::error_code parse_error;
      auto const used = parser.put(buffer.data(), parse_error);
      buffer.consume(used);
      if (parse_error == bhttp::error::need_more) break;
      if (parse_error) co_return parse_error;
      if (used == 0) break;
    }
    if (parser.is_done()) co_return beast::error_code{};
    auto [body_error, body_bytes] = co_await bhttp::async_read(from.socket, buffer, parser, as_tuple_awaitable);
    (void)body_bytes;
    co_return body_error;
  }

  // Sends `answer` in one write; a failed write surfaces as a failed read of the next request.
  asio::awaitable<void> write(connection& to, response const& answer, bool keep_alive, bool head = false) {
    auto const bytes = response_bytes(answer, {.keep_alive = keep_alive, .head = head});
    to.deadline = steady_clock::now() + options.read_timeout;
    auto [error, written] = co_await asio::async_write(to.socket, asio::buffer(bytes), as_tuple_awaitable);
    (void)error;
    (void)written;
  }
};

server::server(server_options options, router routes) : state_(std::make_unique<state>()) {
  state_->options = std::move(options);
  state_->routes = std::move(routes);
  int const threads = state_->options.threads < 1 ? 1 : state_->options.threads;
  for (int i = 0; i < threads; ++i) state_->workers.push_back(std::make_unique<worker>());
}

server::~server() {
  stop();
}

application::result<void> server::start() {
  beast::error_code error;
  auto const address = asio::ip::make_address(state_->options.address, error);
  if (error)
    return application::fail(application::error_code::invalid_argument, "bad listen address: " + error.message());
  tcp::endpoint const endpoint{address, state_->options.port};
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return application::fail(application::error_code::unavailable, "cannot listen on " + state_->options.address + ':' +
                                                                       std::to_string(state_->options.port) + ": " +
                                                                       error.message());
  }
  state_->bound_port = acceptor.local_endpoint().port();
  for (auto& each : state_->workers) {
    asio::co_spawn(each->io, state_->cancel_late_operations(*each), asio::detached);
    each->thread = std::thread([&io = each->io] { io.run(); });
  }
  asio::co_spawn(state_->listener.io, state_->accept_loop(), asio::detached);
  state_->listener.thread = std::thread([&io = state_->listener.io] { io.run(); });
  state_->running = true;
  return {};
}

unsigned short server::port() const noexcept {
  return state_->bound_port;
}

void server::stop() {
  if (!state_->running || state_->stopping.exchange(true)) return;
  asio::post(state_->listener.io, [this] {
    beast::error_code ignored;
    state_->acceptor.close(ignored);
  });
  {
    // Let requests in progress finish; idle keep-alive connections are closed below.
    std::unique_lock lock(state_->mutex);
    state_->idle.wait_for(lock, state_->options.drain_timeout, [&] { return state_->busy == 0; });
    for (auto& each : state_->workers) {
      asio::post(each->io, [&home = *each] {
        for (auto* open : home.connections) {
          beast::error_code ignored;
          open->socket.cancel(ignored);
        }
      });
    }
    state_->idle.wait_for(lock, state_->options.drain_timeout, [&] { return state_->open_connections() == 0; });
  }
  auto const halt = [](worker& each) {
    each.keep_running.reset();
    each.io.stop();
    each.thread.join();
  };
  halt(state_->listener);
  for (auto& each : state_->workers) halt(*each);
  state_->running = false;
}

}  // namespace once::http
