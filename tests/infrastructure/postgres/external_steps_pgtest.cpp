// External steps on PostgreSQL: the contract, and what only a database shows.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <once/postgres/pg_command_store.hpp>

#include <once/testing/pg_schema.hpp>
#include "application/external_steps_contract.hpp"

namespace once_tests {
namespace {

using once::testing::pg_schema;

class pg_steps final : public steps_under_test {
 public:
  pg_steps() {
    auto opened = once::postgres::pg_command_store::open(schema_.options());
    if (!opened) throw std::runtime_error(opened.error().message);
    store_ = std::move(*opened);
  }
  once::application::command_store& store() override { return *store_; }
  once::application::external_step_store& steps() override { return *store_; }
  std::size_t exception_count() override {
    return static_cast<std::size_t>(schema_.scalar("SELECT count(*) FROM ${schema}.once_exceptions"));
  }
  pg_schema const& schema() const { return schema_; }

 private:
  pg_schema schema_;
  std::unique_ptr<once::postgres::pg_command_store> store_;
};

struct pg_steps_factory {
  static std::unique_ptr<steps_under_test> make() { return std::make_unique<pg_steps>(); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(PostgresStore, ExternalSteps, pg_steps_factory);

using PostgresExternalSteps = ExternalSteps<pg_steps_factory>;

TEST_F(PostgresExternalSteps, APendingIntentAndItsStepAreCommittedTogetherWithTheDecidedState) {
  once::application::external_step_options no_time_to_call;
  no_time_to_call.lease = std::chrono::milliseconds{0};
  rebuild(no_time_to_call);
  ASSERT_TRUE(send("T-1", 100, "k-1").has_value());
  auto const& schema = static_cast<pg_steps&>(*under_test).schema();
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE status = 'pending'"), 1);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_external_steps WHERE status = 'pending' AND "
                          "attempt = 1 AND reference = '" +
                          reference_of("k-1") + "'"),
            1);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_aggregates WHERE state->>'status' = 'pending'"), 1);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox"), 1);
}

TEST_F(PostgresExternalSteps, ADoubleBookingIsQueuedWithBothRecordsAsEvidence) {
  desk.next(transfer_desk::fault::book_and_lose_the_answer);
  ASSERT_TRUE(send("T-1", 100, "k-1").has_value());
  (void)desk.book_directly(reference_of("k-1"), 100);
  EXPECT_EQ(recover(), 1U);
  auto const& schema = static_cast<pg_steps&>(*under_test).schema();
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_exceptions WHERE reason = 'double_booking' AND "
                          "status = 'open' AND jsonb_array_length(evidence->'records') = 2 AND subject = '" +
                          reference_of("k-1") + "'"),
            1);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_external_steps WHERE status = 'needs_review'"), 1);
}

TEST_F(PostgresExternalSteps, OnceAdminListsShowsAndResolvesTheExceptionQueue) {
  desk.next(transfer_desk::fault::book_and_lose_the_answer);
  ASSERT_TRUE(send("T-1", 100, "k-1").has_value());
  (void)desk.book_directly(reference_of("k-1"), 100);
  EXPECT_EQ(recover(), 1U);
  auto const& schema = static_cast<pg_steps&>(*under_test).schema();
  auto const id = std::to_string(schema.scalar("SELECT id FROM ${schema}.once_exceptions"));
  auto const admin = [&](std::string const& arguments) {
    return std::string{ONCE_ADMIN} + " exceptions " + arguments + " --database-url '" + schema.url() + "' --schema " +
           schema.name();
  };
  auto const output_of = [](std::string const& command) {
    std::string text;
    std::unique_ptr<FILE, decltype(&pclose)> pipe{popen((command + " 2>&1").c_str(), "r"), &pclose};
    char buffer[512];
    while (pipe && fgets(buffer, sizeof buffer, pipe.get()) != nullptr) text += buffer;
    return text;
  };
  auto const listed = output_of(admin("list --open"));
  EXPECT_NE(listed.find("double_booking"), std::string::npos) << listed;
  EXPECT_NE(listed.find("1 exception(s)"), std::string::npos) << listed;
  // Scoped to a tenant, the queue shows that tenant's entries and no other's.
  auto const own = output_of(admin("list --tenant tenant-a"));
  EXPECT_NE(own.find("1 exception(s)"), std::string::npos) << own;
  auto const other = output_of(admin("list --tenant tenant-b"));
  EXPECT_EQ(other.find("double_booking"), std::string::npos) << other;
  EXPECT_NE(other.find("0 exception(s)"), std::string::npos) << other;
  auto const shown = output_of(admin("show " + id));
  EXPECT_NE(shown.find("\"records\""), std::string::npos) << shown;
  EXPECT_EQ(WEXITSTATUS(std::system((admin("resolve " + id + " --note 'reversed booking 2'") + " >/dev/null").c_str())),
            0);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_exceptions WHERE status = 'resolved' AND note = "
                          "'reversed booking 2'"),
            1);
  EXPECT_EQ(WEXITSTATUS(std::system((admin("show 999999") + " 2>/dev/null >/dev/null").c_str())), 1);
}

TEST_F(PostgresExternalSteps, OnlyOneRecoveryWorkerLeadsAtATime) {
  EXPECT_TRUE(*under_test->steps().lead("recovery", "first", std::chrono::seconds{30}));
  EXPECT_FALSE(*under_test->steps().lead("recovery", "second", std::chrono::seconds{30}));
  EXPECT_TRUE(*under_test->steps().lead("recovery", "first", std::chrono::seconds{30}));
}

}  // namespace once_tests
