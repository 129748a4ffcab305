// The batching log sink, writing into a pipe the test reads.
#include <once/http/batched_line_sink.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/logger.h>

namespace once_tests {
namespace {

using namespace std::chrono_literals;
using once::http::batched_line_sink;

class BatchedLineSink : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe2(ends.data(), O_CLOEXEC), 0);
    ASSERT_EQ(::fcntl(ends[1], F_SETPIPE_SZ, 1 << 20) > 0, true);  // room for every test's lines
  }
  void TearDown() override {
    ::close(ends[0]);
    ::close(ends[1]);
  }

  std::shared_ptr<spdlog::logger> logger_on(std::shared_ptr<batched_line_sink> const& sink) {
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_pattern("%v");
    return logger;
  }

  // What the pipe holds now, without waiting.
  std::string available() {
    std::string text;
    std::array<char, 65536> chunk{};
    for (;;) {
      pollfd ready{ends[0], POLLIN, 0};
      if (::poll(&ready, 1, 0) != 1) return text;
      auto const got = ::read(ends[0], chunk.data(), chunk.size());
      if (got <= 0) return text;
      text.append(chunk.data(), static_cast<std::size_t>(got));
    }
  }

  // Reads until `lines` lines have come (or 10 s passed).
  std::vector<std::string> read_lines(std::size_t lines) {
    std::string text;
    auto const give_up = std::chrono::steady_clock::now() + 10s;
    while (static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) < lines &&
           std::chrono::steady_clock::now() < give_up) {
      pollfd ready{ends[0], POLLIN, 0};
      if (::poll(&ready, 1, 100) == 1) text += available();
    }
    std::vector<std::string> result;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) result.push_back(line);
    return result;
  }

  std::array<int, 2> ends{-1, -1};
};

TEST_F(BatchedLineSink, WritesEveryLineWholeAndInOrderFromManyThreads) {
  auto const sink = std::make_shared<batched_line_sink>(ends[1], 5ms);
  auto const logger = logger_on(sink);
  constexpr int threads = 8;
  constexpr int per_thread = 500;
  std::vector<std::thread> loggers;
  for (int t = 0; t < threads; ++t) {
    loggers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) logger->info("thread {} line {} {}", t, i, std::string(40, 'x'));
    });
  }
  for (auto& each : loggers) each.join();
  auto const lines = read_lines(threads * per_thread);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(threads * per_thread));
  std::map<int, int> next_of_thread;
  for (auto const& line : lines) {
    int thread = -1;
    int index = -1;
    char rest[64] = {};
    ASSERT_EQ(std::sscanf(line.c_str(), "thread %d line %d %63s", &thread, &index, rest), 3) << line;
    EXPECT_EQ(std::string{rest}, std::string(40, 'x'));
    EXPECT_EQ(index, next_of_thread[thread]++) << "thread " << thread << "'s lines out of order";
  }
}

TEST_F(BatchedLineSink, FlushWritesEverythingLoggedBeforeItReturns) {
  auto const sink = std::make_shared<batched_line_sink>(ends[1], 1h);  // the writer alone would wait an hour
  auto const logger = logger_on(sink);
  logger->info("first");
  logger->info("second");
  logger->flush();
  EXPECT_EQ(available(), "first\nsecond\n");
}

TEST_F(BatchedLineSink, WritesWithoutAFlushSoonAfterTheLineWasLogged) {
  auto const sink = std::make_shared<batched_line_sink>(ends[1], 10ms);
  auto const logger = logger_on(sink);
  logger->info("on its own");
  EXPECT_EQ(read_lines(1), std::vector<std::string>{"on its own"});
}

TEST_F(BatchedLineSink, WritesAtOnceWhenMoreThanTheLimitIsPending) {
  auto const sink = std::make_shared<batched_line_sink>(ends[1], 1h, 100);
  auto const logger = logger_on(sink);
  logger->info("{}", std::string(60, 'a'));
  EXPECT_EQ(available(), "");  // still gathering
  logger->info("{}", std::string(60, 'b'));
  EXPECT_EQ(available(), std::string(60, 'a') + '\n' + std::string(60, 'b') + '\n');
}

TEST_F(BatchedLineSink, WritesWhatIsPendingWhenDestroyed) {
  {
    auto const sink = std::make_shared<batched_line_sink>(ends[1], 1h);
    logger_on(sink)->info("last words");
  }
  EXPECT_EQ(available(), "last words\n");
}

}  // namespace
}  // namespace once_tests
