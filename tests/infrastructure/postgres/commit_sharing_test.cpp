// Which decided commits share a statement (no database needed): a commit
// goes at once when a statement's place is free, queues otherwise (with fewer
// places once a running statement carries several commits), follows
// the running commit on its aggregate until that statement ends, and goes
// alone at once when a twin of its intent is in a statement already.
#include "commit_sharing.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <once/testing/eventually.hpp>
#include "support/counting_waiting.hpp"

namespace once_tests {
namespace {

using once::postgres::detail::commit_sharing;
using once::testing::eventually;
using namespace std::chrono_literals;

// One statement at a time, however many commits it carries.
constexpr commit_sharing::statement_places one_place{.while_alone = 1, .while_shared = 1};

std::shared_ptr<commit_sharing::commit> commit_of(std::string intent, std::string aggregate) {
  return std::make_shared<commit_sharing::commit>(std::move(intent), std::move(aggregate));
}

// Enters on a thread of its own, counting the signals it makes when it queues.
std::future<commit_sharing::batch> enter_aside(commit_sharing& sharing, std::shared_ptr<commit_sharing::commit> commit,
                                               counting_waiting& waits) {
  return std::async(std::launch::async, [&sharing, &waits, commit = std::move(commit)] {
    once::application::waiting_scope scope{waits};
    return sharing.enter(commit);
  });
}

// Enters on a thread of its own and returns once it is queued.
std::future<commit_sharing::batch> queue(commit_sharing& sharing, std::shared_ptr<commit_sharing::commit> commit,
                                         counting_waiting& waits) {
  int const before = waits.signals();
  auto entered = enter_aside(sharing, std::move(commit), waits);
  EXPECT_TRUE(eventually([&] { return waits.signals() == before + 1; }, 5s)) << "the commit did not queue";
  return entered;
}

// `sent` is `commit` alone; ends its statement.
void expect_alone_then_leave(commit_sharing& sharing, commit_sharing::batch const& sent,
                             std::shared_ptr<commit_sharing::commit> const& commit) {
  ASSERT_EQ(sent.size(), 1U);
  EXPECT_EQ(sent[0], commit);
  sharing.leave(sent);
}

TEST(CommitSharing, ACommitGoesAtOnceAloneWhenAStatementsPlaceIsFree) {
  commit_sharing sharing{one_place, 64};
  auto const mine = commit_of("i-1", "a-1");
  expect_alone_then_leave(sharing, sharing.enter(mine), mine);
}

TEST(CommitSharing, CommitsArrivingWhileEveryStatementRunsGoTogetherInTheNext) {
  commit_sharing sharing{one_place, 64};
  counting_waiting waits;
  auto const running = sharing.enter(commit_of("i-0", "a-0"));
  auto const first = commit_of("i-1", "a-1");
  auto const second = commit_of("i-2", "a-2");
  auto const third = commit_of("i-3", "a-3");
  auto led = queue(sharing, first, waits);
  auto went_along_second = queue(sharing, second, waits);
  auto went_along_third = queue(sharing, third, waits);

  sharing.leave(running);
  auto const sent = led.get();
  ASSERT_EQ(sent.size(), 3U);
  EXPECT_EQ(sent[0], first);  // the one queued longest leads
  EXPECT_EQ(sent[1], second);
  EXPECT_EQ(sent[2], third);
  EXPECT_EQ(went_along_second.wait_for(0s), std::future_status::timeout) << "answered before its statement ended";
  sharing.leave(sent);
  EXPECT_TRUE(went_along_second.get().empty());
  EXPECT_TRUE(went_along_third.get().empty());
}

TEST(CommitSharing, ACommitOnTheAggregateOfARunningStatementFollowsItsCommitUntilTheStatementEnds) {
  commit_sharing sharing{one_place, 64};
  counting_waiting waits;
  auto const running = sharing.enter(commit_of("i-0", "a-0"));
  auto const follower = commit_of("i-1", "a-0");
  auto followed = queue(sharing, follower, waits);
  EXPECT_EQ(followed.wait_for(50ms), std::future_status::timeout) << "answered before the statement it follows ended";

  sharing.leave(running);
  EXPECT_TRUE(followed.get().empty());
  EXPECT_EQ(follower->followed, running[0]);
  // Entering again after its followed commit ended, it goes.
  expect_alone_then_leave(sharing, sharing.enter(follower), follower);
  EXPECT_EQ(follower->followed, nullptr);
}

TEST(CommitSharing, ATwinOfACommitInARunningStatementGoesAloneAtOnce) {
  commit_sharing sharing{one_place, 64};
  counting_waiting waits;
  auto const running = sharing.enter(commit_of("i-0", "a-0"));
  auto alone = enter_aside(sharing, commit_of("i-0", "a-1"), waits);
  ASSERT_EQ(alone.wait_for(5s), std::future_status::ready) << "it queued behind the statement it would wait for";
  EXPECT_TRUE(alone.get().empty());
  EXPECT_EQ(waits.signals(), 0);
  sharing.leave(running);
}

TEST(CommitSharing, OfQueuedCommitsOnOneAggregateOneGoesInTheStatementAndTheOthersFollowIt) {
  commit_sharing sharing{one_place, 64};
  counting_waiting waits;
  auto const running = sharing.enter(commit_of("i-0", "a-0"));
  auto const first = commit_of("i-1", "hot");
  auto const second = commit_of("i-2", "hot");
  auto led = queue(sharing, first, waits);
  auto followed = queue(sharing, second, waits);

  sharing.leave(running);
  auto const sent = led.get();
  EXPECT_EQ(followed.wait_for(50ms), std::future_status::timeout) << "answered before the statement it follows ended";
  expect_alone_then_leave(sharing, sent, first);
  EXPECT_TRUE(followed.get().empty());
  EXPECT_EQ(second->followed, first);
}

TEST(CommitSharing, AStatementTakesNoMoreCommitsThanItsLimit) {
  commit_sharing sharing{one_place, 2};
  counting_waiting waits;
  auto const running = sharing.enter(commit_of("i-0", "a-0"));
  auto led = queue(sharing, commit_of("i-1", "a-1"), waits);
  auto along = queue(sharing, commit_of("i-2", "a-2"), waits);
  auto led_next = queue(sharing, commit_of("i-3", "a-3"), waits);

  sharing.leave(running);
  auto const sent = led.get();
  EXPECT_EQ(sent.size(), 2U);
  sharing.leave(sent);
  EXPECT_TRUE(along.get().empty());
  auto const next = led_next.get();
  EXPECT_EQ(next.size(), 1U);
  sharing.leave(next);
}

TEST(CommitSharing, WhileEveryRunningStatementCarriesOneCommitCommitsGoAloneUpToTheLighterLoadsPlaces) {
  commit_sharing sharing{{.while_alone = 2, .while_shared = 1}, 64};
  counting_waiting waits;
  auto const first = sharing.enter(commit_of("i-0", "a-0"));
  auto const second = sharing.enter(commit_of("i-1", "a-1"));  // a second place: no statement carries several
  ASSERT_EQ(second.size(), 1U);
  auto led = queue(sharing, commit_of("i-2", "a-2"), waits);  // both places taken

  sharing.leave(first);
  auto const next = led.get();
  EXPECT_EQ(next.size(), 1U);
  sharing.leave(next);
  sharing.leave(second);
}

TEST(CommitSharing, OnceARunningStatementCarriesSeveralCommitsNewCommitsQueueBeyondTheLoadedPlaces) {
  commit_sharing sharing{{.while_alone = 2, .while_shared = 1}, 64};
  counting_waiting waits;
  auto const first = sharing.enter(commit_of("i-0", "a-0"));
  auto const second = sharing.enter(commit_of("i-1", "a-1"));
  auto led = queue(sharing, commit_of("i-2", "a-2"), waits);
  auto along = queue(sharing, commit_of("i-3", "a-3"), waits);
  sharing.leave(first);
  auto const shared = led.get();
  ASSERT_EQ(shared.size(), 2U);

  // One statement runs, carrying two commits: the one place of a loaded store is taken.
  sharing.leave(second);
  auto const after_shared = commit_of("i-4", "a-4");
  auto waits_its_turn = queue(sharing, after_shared, waits);
  EXPECT_EQ(waits_its_turn.wait_for(50ms), std::future_status::timeout) << "went beside a statement carrying several";

  sharing.leave(shared);
  EXPECT_TRUE(along.get().empty());
  expect_alone_then_leave(sharing, waits_its_turn.get(), after_shared);
}

}  // namespace
}  // namespace once_tests
