// Migrations: an empty database, twice, concurrently, and a newer schema.
#include <once/postgres/migrator.hpp>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include <once/testing/pg_schema.hpp>

namespace once_tests {
namespace {

using once::testing::database_url;
using once::testing::pg_schema;

// A schema name nobody migrated yet; dropped when the test ends.
class unmigrated_schema {
 public:
  unmigrated_schema() : name_("m_" + std::to_string(std::random_device{}() % 1000000)) {}
  ~unmigrated_schema() {
    try {
      pqxx::connection connection{database_url()};
      pqxx::nontransaction statement{connection};
      statement.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {
    }
  }
  once::postgres::pg_options options() const { return {database_url(), name_, 1}; }
  std::int64_t scalar(std::string const& sql) const {
    pqxx::connection connection{database_url()};
    pqxx::nontransaction statement{connection};
    return statement.exec(sql).at(0).at(0).as<std::int64_t>();
  }
  std::string const& name() const { return name_; }

 private:
  std::string name_;
};

int newest_version() {
  return once::postgres::known_migrations().back().version;
}

TEST(Migrating, AnEmptyDatabaseAppliesEveryMigrationInOrder) {
  unmigrated_schema schema;
  auto const report = once::postgres::migrate(schema.options());
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->version_before, 0);
  EXPECT_EQ(report->version_after, newest_version());
  EXPECT_EQ(report->applied.size(), once::postgres::known_migrations().size());
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM " + schema.name() + ".once_schema_version"),
            static_cast<std::int64_t>(once::postgres::known_migrations().size()));
}

// A schema as a build that knew migrations up to `version` left it, with an
// intent recorded then: the released migrations' SQL applied by hand.
void migrate_by_hand_up_to(unmigrated_schema const& schema, int version) {
  pqxx::connection connection{database_url()};
  pqxx::work transaction{connection};
  for (auto const& step : once::postgres::known_migrations()) {
    if (step.version > version) break;
    std::string sql{step.sql};
    for (auto at = sql.find("${schema}"); at != std::string::npos; at = sql.find("${schema}")) {
      sql.replace(at, 9, schema.name());
    }
    transaction.exec(sql);
    transaction.exec("INSERT INTO " + schema.name() + ".once_schema_version (version, name) VALUES (" +
                     std::to_string(step.version) + ", " + transaction.quote(std::string{step.name}) + ")");
  }
  transaction.exec("SELECT " + schema.name() +
                   ".once_commit('t', 's', 'k-1', 'test.deposit', 'f', 'test.ledger', 'L-1', 1, 'applied', "
                   "'{\"total\":5}', now(), NULL, '{\"total\":5}', 0, NULL, 100, 100)");
  transaction.commit();
}

TEST(Migrating, ASchemaLeftAtAReleasedVersionGetsOnlyTheNewerMigrationsAndKeepsItsIntents) {
  unmigrated_schema schema;
  migrate_by_hand_up_to(schema, 3);
  auto const report = once::postgres::migrate(schema.options());
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->version_before, 3);
  EXPECT_EQ(report->version_after, newest_version());
  EXPECT_EQ(report->applied.front(), 4);
  // The intent recorded before the upgrade is found by the replaced functions.
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM " + schema.name() + ".once_find_intent('t', 's', 'k-1')"), 1);
  EXPECT_EQ(schema.scalar("SELECT aggregate_version FROM " + schema.name() +
                          ".once_claim('t', 's', 'k-1', "
                          "'test.ledger', 'L-1', now(), 100, 100)"),
            1);
}

TEST(Migrating, TwiceAppliesNothingTheSecondTime) {
  unmigrated_schema schema;
  ASSERT_TRUE(once::postgres::migrate(schema.options()).has_value());
  auto const again = once::postgres::migrate(schema.options());
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->version_after, newest_version());
}

TEST(Migrating, ConcurrentlyFromManyClientsAppliesEachMigrationOnce) {
  unmigrated_schema schema;
  constexpr int migrators = 6;
  std::atomic<int> succeeded{0};
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < migrators; ++i) {
    threads.emplace_back([&] {
      auto const report = once::postgres::migrate(schema.options());
      if (report.has_value()) {
        ++succeeded;
        applied += static_cast<int>(report->applied.size());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), migrators);
  EXPECT_EQ(applied.load(), static_cast<int>(once::postgres::known_migrations().size()));
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM " + schema.name() + ".once_schema_version"),
            static_cast<std::int64_t>(once::postgres::known_migrations().size()));
}

TEST(Migrating, RefusesADatabaseWhoseSchemaIsNewerThanThisBuild) {
  unmigrated_schema schema;
  ASSERT_TRUE(once::postgres::migrate(schema.options()).has_value());
  (void)schema.scalar("INSERT INTO " + schema.name() +
                      ".once_schema_version (version, name) VALUES (9999, 'from_the_future') RETURNING version");
  auto const refused = once::postgres::migrate(schema.options());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, once::application::error_code::failed_precondition);
  EXPECT_NE(refused.error().message.find("newer"), std::string::npos);
}

TEST(MigrateCommand, ExitsZeroTwiceAndThreeOnANewerSchema) {
  unmigrated_schema schema;
  std::string const command =
      std::string{ONCE_MIGRATE} + " --database-url '" + database_url() + "' --schema " + schema.name() + " >/dev/null";
  EXPECT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(std::system(command.c_str()), 0);
  (void)schema.scalar("INSERT INTO " + schema.name() +
                      ".once_schema_version (version, name) VALUES (9999, 'from_the_future') RETURNING version");
  EXPECT_EQ(WEXITSTATUS(std::system((command + " 2>/dev/null").c_str())), 3);
}

TEST(MigrateCommand, RefusesAnUnsafeSchemaName) {
  std::string const command =
      std::string{ONCE_MIGRATE} + " --database-url '" + database_url() + "' --schema 'x;drop table y' >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(command.c_str())), 1);
}

}  // namespace
}  // namespace once_tests
