// The blocking waiting every wait falls back to, and the scope that installs another.
#include <once/application/waiting.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>

namespace once_tests {
namespace {

using once::application::blocking_waiting;
using once::application::current_waiting;
using once::application::wait_clock;
using once::application::waiting;
using once::application::waiting_scope;
using namespace std::chrono_literals;

struct pipe_ends {
  pipe_ends() { EXPECT_EQ(::pipe(ends), 0); }
  ~pipe_ends() {
    ::close(ends[0]);
    ::close(ends[1]);
  }
  int ends[2] = {-1, -1};
};

TEST(BlockingWaiting, ADescriptorIsReadyOnceItHasSomethingToRead) {
  pipe_ends pipe;
  EXPECT_FALSE(blocking_waiting().until_ready(pipe.ends[0], waiting::readiness::readable, wait_clock::now() + 20ms));
  std::thread writer([&] { ASSERT_EQ(::write(pipe.ends[1], "x", 1), 1); });
  EXPECT_TRUE(blocking_waiting().until_ready(pipe.ends[0], waiting::readiness::readable, wait_clock::now() + 10s));
  writer.join();
  EXPECT_TRUE(blocking_waiting().until_ready(pipe.ends[1], waiting::readiness::writable, wait_clock::now() + 10s));
}

TEST(BlockingWaiting, ASignalWakesItsWaiterFromAnotherThreadAndRemembersAnEarlyNotification) {
  auto signal = blocking_waiting().new_signal();
  std::thread notifier([&] { signal->notify(); });
  EXPECT_TRUE(signal->wait_until(wait_clock::now() + 10s));
  notifier.join();

  auto early = blocking_waiting().new_signal();
  early->notify();
  EXPECT_TRUE(early->wait_until(wait_clock::now()));  // no wait: it was notified before

  auto never = blocking_waiting().new_signal();
  EXPECT_FALSE(never->wait_until(wait_clock::now() + 10ms));
}

// A waiting that records what it was asked to wait for.
class counting_waiting final : public waiting {
 public:
  bool until_ready(int, readiness, wait_clock::time_point) override { return ++calls > 0; }
  void sleep_until(wait_clock::time_point) override { ++calls; }
  std::shared_ptr<once::application::wake_signal> new_signal() override { return blocking_waiting().new_signal(); }
  int calls = 0;
};

TEST(WaitingScope, InstallsAWaitingForItsLifetimeOnItsThreadOnlyAndPutsBackTheOneBefore) {
  EXPECT_EQ(&current_waiting(), &blocking_waiting());
  counting_waiting outer;
  counting_waiting inner;
  {
    waiting_scope installed_outer{outer};
    EXPECT_EQ(&current_waiting(), &outer);
    {
      waiting_scope installed_inner{inner};
      current_waiting().sleep_until(wait_clock::now());
    }
    EXPECT_EQ(&current_waiting(), &outer);
    waiting* elsewhere = nullptr;
    std::thread([&] { elsewhere = &current_waiting(); }).join();
    EXPECT_EQ(elsewhere, &blocking_waiting());
  }
  EXPECT_EQ(&current_waiting(), &blocking_waiting());
  EXPECT_EQ(inner.calls, 1);
  EXPECT_EQ(outer.calls, 0);
}

}  // namespace
}  // namespace once_tests
