// The transfer aggregate without a database: what decide and conclude record.
#include <gtest/gtest.h>

#include <once/domain/canonical_json.hpp>
#include <once/domain/json_decode.hpp>

#include <legacy_facade/domain/transfer.hpp>

namespace legacy_facade::domain {
namespace {

using outcome = transfer::outcome;

transfer::current requested() {
  transfer::current state;
  transfer_requested const event{"T-1", "once-ref", "A", "B", {100, "EUR"}};
  state.emplace();
  transfer::apply(*state, event);
  return state;
}

once::domain::decision_context context() {
  return {{}, "T-1", "once-ref"};
}

TEST(CreatingATransfer, RecordsTheRequestWithTheReferenceItsCallCarries) {
  auto const decided = transfer::decide(std::nullopt, create_transfer{"A", "B", {100, "EUR"}}, context());
  ASSERT_FALSE(decided.is_rejected());
  ASSERT_EQ(decided.events().size(), 1U);
  auto const& event = std::get<transfer_requested>(decided.events()[0]);
  EXPECT_EQ(event.transfer_id, "T-1");
  EXPECT_EQ(event.reference, "once-ref");
}

TEST(ConcludingATransfer, CompletesItWithTheCoresNumber) {
  auto state = requested();
  auto const decided = transfer::conclude(state, create_transfer{"A", "B", {100, "EUR"}},
                                          outcome::answered(booking{42, "once-ref", "A", "B", 100}), context());
  for (auto const& event : decided.events()) std::visit([&](auto const& e) { transfer::apply(*state, e); }, event);
  EXPECT_EQ(state->status, "completed");
  EXPECT_EQ(state->legacy_transfer_no, 42);
}

TEST(ConcludingATransfer, AnswersTheCoresRefusalAndMarksTheTransferFailed) {
  auto state = requested();
  auto const decided =
      transfer::conclude(state, create_transfer{"A", "B", {100, "EUR"}},
                         outcome::refused(once::domain::reject("refused_by_core", "blocked")), context());
  ASSERT_TRUE(decided.is_rejected());
  EXPECT_EQ(decided.refusal().code, "refused_by_core");
  for (auto const& event : decided.events()) std::visit([&](auto const& e) { transfer::apply(*state, e); }, event);
  EXPECT_EQ(state->status, "failed");
  EXPECT_EQ(state->code, "refused_by_core");
}

TEST(ConcludingATransfer, PutsADoubleBookingUnderReviewWithBothNumbers) {
  auto state = requested();
  auto const decided = transfer::conclude(
      state, create_transfer{"A", "B", {100, "EUR"}},
      outcome::duplicated({booking{1, "once-ref", "A", "B", 100}, booking{2, "once-ref", "A", "B", 100}}), context());
  for (auto const& event : decided.events()) std::visit([&](auto const& e) { transfer::apply(*state, e); }, event);
  EXPECT_EQ(state->status, "needs_review");
  EXPECT_EQ(state->legacy_transfer_nos, (std::vector<std::int64_t>{1, 2}));
}

TEST(ConcludingATransfer, LeavesAnUnknownOutcomeUnknown) {
  auto state = requested();
  auto const decided =
      transfer::conclude(state, create_transfer{"A", "B", {100, "EUR"}}, outcome::unknown("timeout"), context());
  for (auto const& event : decided.events()) std::visit([&](auto const& e) { transfer::apply(*state, e); }, event);
  EXPECT_EQ(state->status, "unknown");
}

}  // namespace
}  // namespace legacy_facade::domain

namespace legacy_facade::domain {
namespace {
TEST(TransferView, CarriesEveryNumberOfADoubleBookingThroughItsStoredForm) {
  transfer_state state{};
  state.legacy_transfer_nos = {1, 2};
  auto const stored = once::domain::canonical_json(view_of(state));
  auto const read = once::domain::decode_json<transfer_view>(stored);
  ASSERT_TRUE(read.has_value()) << stored;
  EXPECT_EQ(read->legacy_transfer_nos, (std::vector<std::int64_t>{1, 2})) << stored;
}
}  // namespace
}  // namespace legacy_facade::domain
