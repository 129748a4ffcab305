// The HTTP server over real sockets on 127.0.0.1.
#include <once/http/server.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <nlohmann/json.hpp>

#include "line_sink.hpp"

#include <once/application/waiting.hpp>
#include <once/testing/http_client.hpp>
#include "support/captured_log.hpp"

namespace once_tests {
namespace {

using once::testing::http_answer;
using once::testing::http_client;
using namespace std::chrono_literals;
using once::http::request;
using once::http::response;

class HttpServer : public ::testing::Test {
 protected:
  void SetUp() override {
    once::http::router routes;
    routes.add("GET", "/healthz", [](request const&) { return response{200, {{"content-type", "text/plain"}}, "ok"}; });
    routes.add("GET", "/v1/items/{id}", [](request const& r) { return response{200, {}, r.params.at("id")}; });
    routes.add("POST", "/v1/items", [](request const& r) {
      return response{201, {{"location", "/v1/items/1"}}, r.body};
    });
    routes.add("GET", "/slow", [this](request const&) {
      slow_started.set_value();
      std::this_thread::sleep_for(300ms);  // a request that takes a while: stop() must wait for it
      return response{200, {}, "done"};
    });
    routes.add("GET", "/held", [this](request const&) {
      held_started.set_value();
      (void)release_held.wait_for(10s);  // blocks its I/O thread, as a database call does
      return response{200, {}, "released"};
    });
    routes.add("GET", "/throws", [](request const&) -> response { throw std::runtime_error("bug"); });
    once::http::server_options options;
    options.port = 0;
    options.body_limit = 1024;
    options.read_timeout = 300ms;
    options.request_log = request_log.logger();
    server = std::make_unique<once::http::server>(options, std::move(routes));
    ASSERT_TRUE(server->start().has_value());
  }
  void TearDown() override { server->stop(); }

  std::promise<void> slow_started;
  std::promise<void> held_started;
  std::promise<void> release;
  std::shared_future<void> release_held = release.get_future().share();
  captured_log request_log;
  std::unique_ptr<once::http::server> server;
};

TEST_F(HttpServer, AnswersARouteWithItsStatusHeadersAndBody) {
  http_client client{server->port()};
  auto const answer = client.send("GET", "/healthz");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ok");
  EXPECT_EQ(answer.headers["content-type"], "text/plain");
}

TEST_F(HttpServer, CapturesPercentDecodedPathParameters) {
  http_client client{server->port()};
  EXPECT_EQ(client.send("GET", "/v1/items/A-1.p3").body, "A-1.p3");
  EXPECT_EQ(client.send("GET", "/v1/items/a%20b").body, "a b");
  EXPECT_EQ(client.send("GET", "/v1/items/x:y@z!$'()*+,;=~").body, "x:y@z!$'()*+,;=~");
  EXPECT_EQ(client.send("GET", "/v1/items/q?x=1/2").body, "q") << "the query is not part of the path";
}

TEST_F(HttpServer, AnswersAMalformedRequestTargetWith400) {
  http_client client{server->port()};
  EXPECT_EQ(client.send("GET", "/v1/items/a%zz").status, 400);
  EXPECT_EQ(client.send("GET", "/v1/items/a\"b").status, 400);
  EXPECT_EQ(client.send("GET", "/healthz").status, 200) << "the connection and the server stay up";
}

TEST_F(HttpServer, AnswersAnUnknownPathWith404ProblemDetails) {
  http_client client{server->port()};
  auto const answer = client.send("GET", "/nowhere");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(answer.headers["content-type"], "application/problem+json");
  EXPECT_EQ(nlohmann::json::parse(answer.body).at("type"), "urn:once:problem:not-found");
}

TEST_F(HttpServer, AnswersAnotherMethodOnAKnownPathWith405AndAllow) {
  http_client client{server->port()};
  auto const answer = client.send("DELETE", "/v1/items");
  EXPECT_EQ(answer.status, 405);
  EXPECT_EQ(answer.headers["allow"], "POST");
}

TEST_F(HttpServer, KeepsAConnectionAliveAcrossRequests) {
  http_client client{server->port()};
  EXPECT_EQ(client.send("POST", "/v1/items", "first").body, "first");
  EXPECT_EQ(client.send("POST", "/v1/items", "second").body, "second");
  EXPECT_EQ(client.send("GET", "/healthz").status, 200);
}

TEST_F(HttpServer, AnswersExpect100ContinueBeforeTheClientSendsItsBody) {
  http_client client{server->port()};
  client.send_raw("POST /v1/items HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  // Without the interim answer the client waits; the server cuts it off at
  // read_timeout, and this read fails instead of returning 100.
  EXPECT_EQ(client.receive().status, 100);
  client.send_raw("hello");
  auto const answer = client.receive();
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(answer.body, "hello");
}

TEST_F(HttpServer, AnswersPipelinedRequestsInOrder) {
  http_client client{server->port()};
  // Both requests in one write: the second one's bytes arrive with the first one's body.
  client.send_raw(
      "POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
      "POST /v1/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsec\r\n3\r\nond\r\n0\r\n\r\n"
      "GET /v1/items/third HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.receive().body, "first");
  EXPECT_EQ(client.receive().body, "second");
  EXPECT_EQ(client.receive().body, "third");
}

TEST_F(HttpServer, RefusesAnExpectedBodyOverTheLimitWith413InsteadOf100) {
  http_client client{server->port()};
  client.send_raw("POST /v1/items HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n");
  EXPECT_EQ(client.receive().status, 413);
}

TEST_F(HttpServer, RefusesABodyOverTheLimitWith413BeforeReadingIt) {
  http_client client{server->port()};
  // Only the headers are sent: the answer must come without the body.
  client.send_raw(
      "POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n");
  auto const answer = client.receive();
  EXPECT_EQ(answer.status, 413);
  EXPECT_EQ(nlohmann::json::parse(answer.body).at("type"), "urn:once:problem:payload-too-large");
  http_client next{server->port()};
  EXPECT_EQ(next.send("GET", "/healthz").status, 200) << "the server stays up";
}

TEST_F(HttpServer, CutsOffAClientThatSendsItsHeadersTooSlowly) {
  http_client client{server->port()};
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  auto const started = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(HttpServer, RefusesOversizedHeaders) {
  http_client client{server->port()};
  auto const answer = client.send("GET", "/healthz", {}, {{"x-padding", std::string(20000, 'p')}});
  EXPECT_EQ(answer.status, 431);
}

TEST_F(HttpServer, AnswersAMalformedRequestWith400AndStaysUp) {
  http_client client{server->port()};
  client.send_raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(client.receive().status, 400);
  http_client next{server->port()};
  EXPECT_EQ(next.send("GET", "/healthz").status, 200);
}

TEST_F(HttpServer, TurnsAHandlerExceptionInto500AndStaysUp) {
  http_client client{server->port()};
  EXPECT_EQ(client.send("GET", "/throws").status, 500);
  EXPECT_EQ(client.send("GET", "/healthz").status, 200);
}

TEST_F(HttpServer, LogsAHandlerExceptionAsAnErrorWithItsReason) {
  http_client client{server->port()};
  ASSERT_EQ(client.send("GET", "/throws", {}, {{"x-request-id", "req-7"}}).status, 500);
  auto const lines = request_log.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].at("level"), "error");
  EXPECT_EQ(lines[0].at("status"), 500);
  EXPECT_EQ(lines[0].at("path"), "/throws");
  EXPECT_EQ(lines[0].at("error"), "bug");
  EXPECT_EQ(lines[0].at("request_id"), "req-7");
}

TEST_F(HttpServer, LogsARequestRefusedBeforeItsBodyWasRead) {
  http_client client{server->port()};
  client.send_raw("POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
  ASSERT_EQ(client.receive().status, 413);
  auto const lines = request_log.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].at("status"), 413);
  EXPECT_EQ(lines[0].at("method"), "POST");
}

// RFC 9457: a problem's "status" is the response's. Every answer the server
// gives on its own (not a handler's) is checked, body and status line.
TEST_F(HttpServer, PutsTheResponsesStatusIntoEveryProblemItAnswersOnItsOwn) {
  auto const check = [](http_answer const& answer, int status, std::string const& what) {
    EXPECT_EQ(answer.status, status) << what;
    ASSERT_EQ(answer.headers["content-type"], "application/problem+json") << what;
    EXPECT_EQ(nlohmann::json::parse(answer.body).at("status"), status) << what;
  };
  auto const raw = [&](std::string const& bytes) {
    http_client client{server->port()};
    client.send_raw(bytes);
    return client.receive();
  };
  check(raw("THIS IS NOT HTTP\r\n\r\n"), 400, "malformed request");
  check(http_client{server->port()}.send("GET", "/v1/items/a%zz"), 400, "malformed target");
  check(http_client{server->port()}.send("GET", "/nowhere"), 404, "unknown path");
  check(http_client{server->port()}.send("DELETE", "/v1/items"), 405, "other method");
  check(raw("POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"), 413, "body too large");
  check(http_client{server->port()}.send("GET", "/healthz", {}, {{"x-padding", std::string(20000, 'p')}}), 431,
        "headers too large");
  check(http_client{server->port()}.send("GET", "/throws"), 500, "handler exception");
}

TEST_F(HttpServer, RefusesNulControlCharactersAndInvalidUtf8InAPathParameterNamingIt) {
  for (std::string const id : {"A-1%00zzz", "%FF", "a%0Ab", "%ED%A0%80"}) {
    auto const answer = http_client{server->port()}.send("GET", "/v1/items/" + id);
    EXPECT_EQ(answer.status, 400) << id;
    EXPECT_EQ(nlohmann::json::parse(answer.body).at("field"), "id") << id;
  }
  EXPECT_EQ(http_client{server->port()}.send("GET", "/v1/items/Z%C3%BCrich").body, "Z\xC3\xBCrich");
}

// Two I/O threads (the default): a connection opened while the first
// thread's handler blocks goes to the other thread and is answered.
TEST_F(HttpServer, AnswersANewConnectionWhileAHandlerBlocksAnotherThread) {
  auto held = std::async(std::launch::async, [&] {
    http_client client{server->port()};
    return client.send("GET", "/held");
  });
  ASSERT_EQ(held_started.get_future().wait_for(10s), std::future_status::ready);
  auto other = std::async(std::launch::async, [&] {
    http_client client{server->port()};
    return client.send("GET", "/healthz");
  });
  EXPECT_EQ(other.wait_for(5s), std::future_status::ready);
  release.set_value();
  EXPECT_EQ(held.get().body, "released");
  if (other.wait_for(5s) == std::future_status::ready) {
    EXPECT_EQ(other.get().status, 200);
  }
}

// One I/O thread, handlers that wait through application::current_waiting():
// a waiting handler suspends and the thread answers other connections
// meanwhile, among them the one that ends the wait. A handler that blocked
// the thread would keep the second request from being read until its own
// wait timed out.
class HttpServerOnOneThread : public ::testing::Test {
 protected:
  void SetUp() override {
    once::http::router routes;
    routes.add("GET", "/parked", [this](request const&) {
      auto signal = once::application::current_waiting().new_signal();
      {
        std::lock_guard lock(mutex);
        parked = signal;
      }
      parked_now.set_value();
      bool const woken = signal->wait_until(once::application::wait_clock::now() + 10s);
      return response{200, {}, woken ? "woken" : "timed out"};
    });
    routes.add("GET", "/unpark", [this](request const&) {
      std::lock_guard lock(mutex);
      parked->notify();
      return response{200, {}, "notified"};
    });
    routes.add("GET", "/pipe", [this](request const& r) {
      auto const bound = r.query == "briefly" ? 20ms : 10s;
      pipe_waited.set_value();
      bool const ready = once::application::current_waiting().until_ready(
          pipe_ends[0], once::application::waiting::readiness::readable, once::application::wait_clock::now() + bound);
      return response{200, {}, ready ? "readable" : "timed out"};
    });
    routes.add("GET", "/fill", [this](request const&) {
      EXPECT_EQ(::write(pipe_ends[1], "x", 1), 1);
      return response{200, {}, "written"};
    });
    ASSERT_EQ(::pipe(pipe_ends), 0);
    once::http::server_options options;
    options.port = 0;
    options.threads = 1;
    server = std::make_unique<once::http::server>(options, std::move(routes));
    ASSERT_TRUE(server->start().has_value());
  }
  void TearDown() override {
    server->stop();
    ::close(pipe_ends[0]);
    ::close(pipe_ends[1]);
  }

  std::mutex mutex;
  std::shared_ptr<once::application::wake_signal> parked;
  std::promise<void> parked_now;
  std::promise<void> pipe_waited;
  int pipe_ends[2] = {-1, -1};
  std::unique_ptr<once::http::server> server;
};

TEST_F(HttpServerOnOneThread, AHandlerWaitingForASignalLetsTheThreadAnswerTheRequestThatNotifiesIt) {
  auto waiting = std::async(std::launch::async, [&] { return http_client{server->port()}.send("GET", "/parked"); });
  ASSERT_EQ(parked_now.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(http_client{server->port()}.send("GET", "/unpark").body, "notified");
  EXPECT_EQ(waiting.get().body, "woken");
}

TEST_F(HttpServerOnOneThread, AHandlerWaitingForADescriptorLetsTheThreadAnswerTheRequestThatMakesItReady) {
  auto waiting = std::async(std::launch::async, [&] { return http_client{server->port()}.send("GET", "/pipe"); });
  ASSERT_EQ(pipe_waited.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(http_client{server->port()}.send("GET", "/fill").body, "written");
  EXPECT_EQ(waiting.get().body, "readable");
}

TEST_F(HttpServerOnOneThread, AHandlerWaitingForADescriptorStopsWaitingAtItsDeadline) {
  EXPECT_EQ(http_client{server->port()}.send("GET", "/pipe?briefly").body, "timed out");
  EXPECT_EQ(http_client{server->port()}.send("GET", "/healthz").status, 404);  // the thread serves on
}

// An idle keep-alive connection does not hold stop() up: it is closed at once,
// long before its read timeout would close it.
TEST(HttpServerStop, ClosesIdleKeepAliveConnections) {
  once::http::router routes;
  routes.add("GET", "/healthz", [](request const&) { return response{200, {}, "ok"}; });
  once::http::server_options options;
  options.port = 0;
  options.read_timeout = std::chrono::hours{1};
  options.drain_timeout = 20s;
  auto idle_server = std::make_unique<once::http::server>(options, std::move(routes));
  ASSERT_TRUE(idle_server->start().has_value());
  http_client client{idle_server->port()};
  ASSERT_EQ(client.send("GET", "/healthz").status, 200);  // the connection stays open, idle
  auto closed = std::async(std::launch::async, [&] { return client.closed_by_server(); });
  idle_server->stop();
  // Not a speed bound: left open, the socket would live until the server is destroyed.
  auto const closed_by_stop = closed.wait_for(30s) == std::future_status::ready;
  idle_server.reset();  // closes whatever is left, so the reader above ends either way
  EXPECT_TRUE(closed_by_stop) << "an idle connection outlived stop()";
  EXPECT_TRUE(closed.get());
}

// A service piped into `head -n 1` gets SIGPIPE on its second log line; the
// default action would kill it and the client would get nothing.
TEST(HttpServerLogging, AnswersWhenItsLogIsAPipeNobodyReads) {
  std::signal(SIGPIPE, SIG_DFL);  // as in a fresh process, whatever ran before in this one
  int ends[2];
  ASSERT_EQ(pipe(ends), 0);
  close(ends[0]);  // the reader is gone
  auto log = std::make_shared<spdlog::logger>("http", std::make_shared<once::observability::line_sink>(ends[1]));
  once::http::router routes;
  routes.add("GET", "/healthz", [](request const&) { return response{200, {}, "ok"}; });
  once::http::server_options options;
  options.port = 0;
  options.request_log = log;
  once::http::server logging_server{options, std::move(routes)};
  ASSERT_TRUE(logging_server.start().has_value());
  http_client client{logging_server.port()};
  EXPECT_EQ(client.send("GET", "/healthz").status, 200);
  EXPECT_EQ(client.send("GET", "/healthz").status, 200) << "the process outlived its failed log writes";
  logging_server.stop();
  close(ends[1]);
}

TEST_F(HttpServer, StopLetsARequestInProgressFinish) {
  auto answer = std::async(std::launch::async, [&] {
    http_client client{server->port()};
    return client.send("GET", "/slow");
  });
  ASSERT_EQ(slow_started.get_future().wait_for(10s), std::future_status::ready);
  server->stop();
  auto const finished = answer.get();
  EXPECT_EQ(finished.status, 200);
  EXPECT_EQ(finished.body, "done");
}

}  // namespace
}  // namespace once_tests
