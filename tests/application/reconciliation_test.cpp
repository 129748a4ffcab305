// Reconciliation's comparison on planted listings: each kind found exactly
// where it was planted, and records beyond the window read for matching only.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <once/application/reconciliation.hpp>
#include <once/memory/memory_command_store.hpp>

namespace once_tests {
namespace {

using once::application::reconciled_record;
using once::application::reconciliation_kind;
using once::application::reconciliation_window;
using namespace std::chrono_literals;

auto const t0 = std::chrono::system_clock::time_point{} + std::chrono::hours{24 * 365 * 56};
reconciliation_window const window{t0, t0 + 1h};

reconciled_record mine(std::string reference, std::int64_t amount, std::string account, bool settled = true,
                       std::chrono::system_clock::duration at = 10min) {
  reconciled_record record;
  record.reference = std::move(reference);
  record.amount = amount;
  record.account = std::move(account);
  record.intent = once::domain::intent_key{"tenant-a", "facade.create_transfer", "key-" + record.reference};
  record.settled = settled;
  record.at = t0 + at;
  return record;
}

reconciled_record theirs(std::string reference, std::int64_t amount, std::string account, std::string id,
                         std::chrono::system_clock::duration at = 11min) {
  reconciled_record record;
  record.reference = std::move(reference);
  record.amount = amount;
  record.account = std::move(account);
  record.id = std::move(id);
  record.at = t0 + at;
  return record;
}

class planted_sides final : public once::application::reconciler {
 public:
  std::vector<reconciled_record> our_records;
  std::vector<reconciled_record> their_records;
  once::application::result<std::vector<reconciled_record>> ours(reconciliation_window const&) override {
    return our_records;
  }
  once::application::result<std::vector<reconciled_record>> theirs(reconciliation_window const&) override {
    return their_records;
  }
};

TEST(Reconciliation, FindsExactlyThePlantedDifferencesAndQueuesThem) {
  planted_sides sides;
  sides.our_records = {mine("R-match", 100, "A"),
                       mine("R-amount", 200, "A"),
                       mine("R-account", 300, "A"),
                       mine("R-gone", 400, "A"),
                       mine("R-twice", 500, "A"),
                       mine("R-open", 600, "A", false),
                       mine("R-edge", 700, "A", true, 59min)};
  sides.their_records = {theirs("R-match", 100, "A", "1"),      theirs("R-amount", 201, "A", "2"),
                         theirs("R-account", 300, "B", "3"),    theirs("R-twice", 500, "A", "4"),
                         theirs("R-twice", 500, "A", "5"),      theirs("R-stranger", 800, "C", "6"),
                         theirs("R-edge", 700, "A", "7", 61min)};  // booked just after the window: still a match
  once::memory::memory_command_store queue;
  auto const report = once::application::reconcile(sides, queue, window, 5min);
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->count(reconciliation_kind::matched), 2);
  EXPECT_EQ(report->count(reconciliation_kind::mismatched), 3);
  EXPECT_EQ(report->count(reconciliation_kind::missing_theirs), 1);
  EXPECT_EQ(report->count(reconciliation_kind::missing_ours), 1);
  EXPECT_EQ(report->count(reconciliation_kind::unresolved), 1);

  auto const queued = queue.exceptions(std::nullopt, true);
  ASSERT_TRUE(queued.has_value());
  std::map<std::string, std::string> reason_by_subject;
  for (auto const& entry : *queued) reason_by_subject[entry.subject] = entry.reason;
  EXPECT_EQ(reason_by_subject, (std::map<std::string, std::string>{{"R-amount", "mismatch"},
                                                                   {"R-account", "mismatch"},
                                                                   {"R-twice", "double_booking"},
                                                                   {"R-gone", "missing_on_their_side"},
                                                                   {"R-open", "unresolved"},
                                                                   {"6", "missing_on_our_side"}}));
  EXPECT_TRUE(queue.exceptions(std::string{"tenant-b"}, false)->empty());
}

TEST(Reconciliation, ASecondRunOverTheSameWindowQueuesNothingNew) {
  planted_sides sides;
  sides.our_records = {mine("R-gone", 400, "A")};
  once::memory::memory_command_store queue;
  ASSERT_TRUE(once::application::reconcile(sides, queue, window, 5min).has_value());
  ASSERT_TRUE(once::application::reconcile(sides, queue, window, 5min).has_value());
  EXPECT_EQ(queue.exceptions(std::nullopt, false)->size(), 1U);
}

TEST(Reconciliation, RecordsBeyondTheWindowAreReadForMatchingOnly) {
  planted_sides sides;
  sides.our_records = {mine("R-before", 100, "A", true, -2min)};
  sides.their_records = {theirs("R-after", 100, "A", "9", 62min)};
  once::memory::memory_command_store queue;
  auto const report = once::application::reconcile(sides, queue, window, 5min);
  ASSERT_TRUE(report.has_value());
  for (auto count : report->counts) EXPECT_EQ(count, 0);
}

}  // namespace
}  // namespace once_tests
