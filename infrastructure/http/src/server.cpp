#include <once/http/server.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <iterator>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <sys/resource.h>

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/spawn.hpp>
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
#include <once/http/responses.hpp>
#include <once/observability/structured_log.hpp>
#include "handler_fibers.hpp"
#include "response_bytes.hpp"

namespace once::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using observability::log_event;
using observability::log_field;
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
  incoming.target = raw_target;
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

// A connection: its socket and the time by which its current wait, read or
// write must be done. Its worker checks the deadlines on a coarse tick and
// cancels the late ones: a clock read per operation instead of arming a
// timer (and a timerfd_settime) for each.
struct connection {
  connection(tcp::socket accepted, std::uint64_t number) : socket(std::move(accepted)), id(number) {}
  tcp::socket socket;
  std::uint64_t const id;  // tells a connection from a later one at the same address
  steady_clock::time_point deadline = steady_clock::time_point::max();
  // While it waits for a request: where the request's bytes go, so that the
  // sweep can tell a silent connection (closed at the idle deadline) from one
  // whose request has begun (given read_timeout from the tick that saw it:
  // no per-request timer or extra wait). Worker thread only.
  beast::flat_buffer const* incoming_bytes = nullptr;
  bhttp::request_parser<bhttp::string_body> const* incoming_request = nullptr;
  [[nodiscard]] bool request_begun() const {
    return incoming_bytes != nullptr &&
           (incoming_bytes->size() > 0 || (incoming_request != nullptr && incoming_request->got_some()));
  }
  // Guarded by its worker's idle_mutex: listed while no request is in progress.
  std::optional<std::list<connection*>::iterator> idle_entry;
  steady_clock::time_point idle_since;
  bool evicted = false;  // chosen by the listener to make room: it ends without answering
};

// A handler's stack: deep enough for the dispatcher, a store's statement
// and the JSON of a large body; only the pages touched take memory.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t handler_stack_bytes = 4 * 1024 * 1024;  // sanitizers' redzones grow frames
#else
constexpr std::size_t handler_stack_bytes = 1024 * 1024;
#endif

// A thread running an io_context of its own. The workers own connections: a
// connection's handlers all run on its worker's thread, so they need no
// strand, and a socket event wakes no other thread.
struct worker {
  detail::stack_pool stacks{handler_stack_bytes};  // before io: suspended handlers give their stacks back when io goes
  asio::io_context io{1};                          // concurrency hint: run by one thread
  asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
  std::atomic<int> connection_count{0};         // read by the listener
  std::atomic<int> handling{0};                 // handlers in progress (running or suspended); read by the listener
  std::unordered_set<connection*> connections;  // touched on this worker's thread only
  // Its connections with no request in progress, idle longest first. Locked by
  // this worker's thread and by the listener, which alone locks several.
  std::mutex idle_mutex;
  std::list<connection*> idle;
  std::thread thread;
};

bool is_out_of_descriptors(beast::error_code const& error) {
  if (error.category() != boost::system::system_category()) return false;
  int const code = error.value();
  return code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM;
}

// Three quarters of the descriptors free now, less `to_come` that the server
// opens itself later (each io_context's reactor: epoll, eventfd, timerfd):
// the rest is left for what the process opens later (database connections,
// files).
std::size_t connections_the_descriptors_allow(std::size_t to_come) {
  constexpr std::size_t ceiling = 65536;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return ceiling;
  std::size_t open = 0;
  std::error_code ignored;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ignored);
       !ignored && it != std::filesystem::directory_iterator{}; it.increment(ignored)) {
    ++open;
  }
  auto const allowed = static_cast<std::size_t>(limit.rlim_cur);
  std::size_t const free = allowed > open + to_come ? allowed - open - to_come : 0;
  return std::clamp<std::size_t>(free * 3 / 4, 1, ceiling);
}

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

  std::size_t max_connections = 0;  // in force, set by start()
  std::atomic<std::uint64_t> next_connection_id{0};
  std::atomic<int> evictions_pending{0};  // evicted connections that have not ended yet
  // The listener waits on it at the cap; a connection that ends cancels it.
  asio::steady_timer admission{listener.io};

  // A new connection goes to the worker with the fewest handlers in
  // progress (a handler that blocks its thread instead of waiting through
  // application::current_waiting holds its other connections up, a health
  // probe among them), and among those to the one with the fewest connections.
  worker& least_loaded() {
    return **std::min_element(workers.begin(), workers.end(), [](auto const& a, auto const& b) {
      auto const load = [](worker const& w) {
        return std::pair{w.handling.load(std::memory_order_relaxed),
                         w.connection_count.load(std::memory_order_relaxed)};
      };
      return load(*a) < load(*b);
    });
  }

  int open_connections() const {
    int open = 0;
    for (auto const& each : workers) open += each->connection_count.load();
    return open;
  }

  // Late connections are found within a quarter of the shorter timeout (10 ms to 1 s).
  steady_clock::duration sweep_interval() const {
    return std::clamp<steady_clock::duration>(std::min(options.read_timeout, options.idle_timeout) / 4,
                                              std::chrono::milliseconds{10}, std::chrono::seconds{1});
  }

  // The connection waits for its next request: it may be closed to make room.
  static void list_idle(worker& home, connection& self) {
    std::lock_guard lock(home.idle_mutex);
    self.idle_since = steady_clock::now();
    self.idle_entry = home.idle.insert(home.idle.end(), &self);
  }

  // Its request is in: false when the listener closed it to make room meanwhile.
  static bool unlist_idle(worker& home, connection& self) {
    std::lock_guard lock(home.idle_mutex);
    if (self.idle_entry.has_value()) {
      home.idle.erase(*self.idle_entry);
      self.idle_entry.reset();
    }
    return !self.evicted;
  }

  // Closes the connection idle longest, on any worker; false when every
  // connection has a request in progress. Runs on the listener's thread.
  bool evict_longest_idle() {
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(workers.size());
    worker* home = nullptr;
    for (auto& each : workers) {
      locks.emplace_back(each->idle_mutex);
      if (each->idle.empty()) continue;
      if (home == nullptr || each->idle.front()->idle_since < home->idle.front()->idle_since) home = each.get();
    }
    if (home == nullptr) return false;
    connection* victim = home->idle.front();
    home->idle.pop_front();
    victim->idle_entry.reset();
    victim->evicted = true;
    ++evictions_pending;
    // Its worker wakes it: a wait or read cancelled ends the session. The
    // session may have ended by then; a later connection at the same address has another id.
    asio::post(home->io, [home, victim, id = victim->id] {
      if (!home->connections.contains(victim) || victim->id != id) return;
      beast::error_code ignored;
      victim->socket.cancel(ignored);
    });
    return true;
  }

  asio::awaitable<void> cancel_late_operations(worker& home) {
    asio::steady_timer tick{home.io};
    for (;;) {
      tick.expires_after(sweep_interval());
      auto [error] = co_await tick.async_wait(as_tuple_awaitable);
      if (error) co_return;
      auto const now = steady_clock::now();
      for (auto* each : home.connections) {
        if (each->request_begun()) {  // was idle, its request is under way now: read_timeout from here
          each->incoming_bytes = nullptr;
          each->deadline = now + options.read_timeout;
        }
        beast::error_code ignored;
        if (each->deadline <= now) each->socket.cancel(ignored);  // its read or write ends with operation_aborted
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    asio::steady_timer pause{listener.io};
    auto const wait = [&](steady_clock::duration how_long) {
      pause.expires_after(how_long);
      return pause.async_wait(as_tuple_awaitable);
    };
    for (;;) {
      // Until a connection is waiting to be accepted, nothing is decided.
      auto [wait_error] = co_await acceptor.async_wait(tcp::acceptor::wait_read, as_tuple_awaitable);
      if (stopping) co_return;
      if (wait_error) {
        co_await wait(options.accept_pause);
        continue;
      }
      // At the cap: close the connection idle longest and wait until it is
      // closed, so that open connections (and descriptors) never exceed the
      // cap; when every connection has a request in progress, wait for one
      // to end. The newcomer waits in the kernel's backlog meanwhile.
      while (static_cast<std::size_t>(open_connections()) >= max_connections) {
        if (evictions_pending.load() == 0) (void)evict_longest_idle();
        admission.expires_after(std::chrono::milliseconds{10});  // woken early when a connection ends
        (void)co_await admission.async_wait(as_tuple_awaitable);
        if (stopping) co_return;
      }
      auto& home = least_loaded();
      auto [error, socket] = co_await acceptor.async_accept(home.io, as_tuple_awaitable);
      if (error) {
        if (stopping) co_return;
        if (is_out_of_descriptors(error)) {
          // The pending connection stays in the backlog and accept would fail
          // again at once: free a descriptor an idle connection holds, and pause.
          (void)evict_longest_idle();
          co_await wait(options.accept_pause);
          if (stopping) co_return;
        }
        continue;  // e.g. the client gave up before being accepted: serve the others
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // answers go out at once, not after the client's ACK
      ++home.connection_count;
      asio::co_spawn(home.io, session(std::move(socket), home, ++next_connection_id), asio::detached);
    }
  }

  // stop() waits for `busy`, then the connection counts, to reach zero: wake it only while stopping.
  void wake_stop() {
    if (!stopping) return;
    std::lock_guard lock(mutex);
    idle.notify_all();
  }

  asio::awaitable<void> session(tcp::socket socket, worker& home, std::uint64_t id) {
    connection self{std::move(socket), id};
    home.connections.insert(&self);
    beast::flat_buffer buffer;
    for (;;) {
      // Until its request's headers are in, the connection may be closed to
      // make room. Until its request's first byte, it is idle: idle_timeout,
      // then read_timeout once the sweep sees the request begun (a pipelined
      // one may be in the buffer already).
      list_idle(home, self);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      self.incoming_bytes = &buffer;
      self.incoming_request = &parser;
      self.deadline = steady_clock::now() + (buffer.size() > 0 ? options.read_timeout : options.idle_timeout);
      auto const read_error = co_await read_request(self, buffer, parser);
      self.incoming_bytes = nullptr;
      self.incoming_request = nullptr;
      if (!unlist_idle(home, self)) break;
      if (read_error) {
        // Refuse what can be refused before reading on, then close. (Answers are
        // named locals: GCC 12 destroys temporaries in a co_await expression twice.)
        std::optional<response> refusal;
        if (read_error == bhttp::error::body_limit) {
          refusal = problem_response({problem_kind::payload_too_large,
                                      "the body is larger than " + std::to_string(options.body_limit) + " bytes"});
        } else if (read_error == bhttp::error::header_limit) {
          refusal =
              problem_response({problem_kind::headers_too_large, "the request headers are larger than " +
                                                                     std::to_string(options.header_limit) + " bytes"});
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
        home.handling.fetch_add(1, std::memory_order_relaxed);
        answer = co_await handle(home, *incoming);
        home.handling.fetch_sub(1, std::memory_order_relaxed);
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
    if (!unlist_idle(home, self)) --evictions_pending;
    beast::error_code ignored;
    self.socket.shutdown(tcp::socket::shutdown_send, ignored);
    self.socket.close(ignored);
    home.connections.erase(&self);
    --home.connection_count;
    if (static_cast<std::size_t>(open_connections()) + 1 >= max_connections) {
      asio::post(listener.io, [this] { admission.cancel(); });  // the listener may be waiting for room
    }
    wake_stop();
  }

  // Runs the route's handler on a stack of its own: where it waits through
  // the current waiting (the store, the pool), it suspends and the worker's
  // thread serves its other connections.
  asio::awaitable<response> handle(worker& home, request& incoming) {
    auto run = [&](asio::yield_context yield) {
      detail::handler_waiting waits{home.io, std::move(yield)};
      response answer;
      try {
        answer = routes.route(incoming);
      } catch (std::exception const& failure) {
        answer = problem_response({problem_kind::internal_error, ""});
        answer.log_fields.emplace_back("error", failure.what());
      }
      return answer;
    };
    co_return co_await asio::spawn(home.io, std::allocator_arg, detail::pooled_stack{&home.stacks}, std::move(run),
                                   use_awaitable);
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
    // The headers are in: the request is under way, and its body gets read_timeout.
    from.incoming_bytes = nullptr;
    from.deadline = std::max(from.deadline, steady_clock::now() + options.read_timeout);
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
  // A write to a closed pipe or socket must fail with EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  state_->max_connections = state_->options.max_connections > 0
                                ? state_->options.max_connections
                                : connections_the_descriptors_allow(3 * (state_->workers.size() + 1));
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

std::size_t server::max_connections() const noexcept {
  return state_->max_connections;
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
  for (auto& each : state_->workers) {
    halt(*each);
    // A handler still suspended after the drain is abandoned, never resumed:
    // destroying its io_context would unwind the handler's stack by an
    // exception that a catch-all on the way (a rollback's) could swallow and
    // run on. Its worker is left allocated; the process is shutting down.
    if (each->handling.load() > 0) (void)each.release();
  }
  std::erase(state_->workers, nullptr);
  state_->running = false;
}

}  // namespace once::http
