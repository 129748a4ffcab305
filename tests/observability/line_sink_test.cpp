// The log sink of the JSON stdout loggers, writing into a pipe the test reads.
#include "line_sink.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
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

using once::observability::line_sink;

class LineSink : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe2(ends.data(), O_CLOEXEC), 0);
    ASSERT_EQ(::fcntl(ends[1], F_SETPIPE_SZ, 1 << 20) > 0, true);  // room for every test's lines
  }
  void TearDown() override {
    ::close(ends[0]);
    ::close(ends[1]);
  }

  std::shared_ptr<spdlog::logger> logger_on(std::shared_ptr<line_sink> const& sink) {
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

  // The lines the pipe holds now.
  std::vector<std::string> available_lines() {
    std::vector<std::string> lines;
    std::istringstream stream(available());
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
  }

  std::array<int, 2> ends{-1, -1};
};

TEST_F(LineSink, WritesEveryLineWholeAndInOrderFromManyThreads) {
  auto const sink = std::make_shared<line_sink>(ends[1]);
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
  auto const lines = available_lines();
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

TEST_F(LineSink, HasWrittenTheLineWhenTheCallReturns) {
  auto const logger = logger_on(std::make_shared<line_sink>(ends[1]));
  logger->info("first");
  EXPECT_EQ(available(), "first\n");
  logger->info("second");
  EXPECT_EQ(available(), "second\n");
}

TEST_F(LineSink, TakesThePatternOfItsLogger) {
  auto const logger = logger_on(std::make_shared<line_sink>(ends[1]));
  logger->set_pattern("[%l] %n: %v");
  logger->warn("careful");
  EXPECT_EQ(available(), "[warning] test: careful\n");
}

}  // namespace
}  // namespace once_tests
