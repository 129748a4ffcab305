// Statements sent in a pipeline of the extended protocol: one transaction
// for all of them, values that need no quoting, each statement answered in
// order, and a refusal that rolls the whole pipeline back and leaves the
// connection ready for the next statement.
#include "libpq_statement.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/except>

#include <once/testing/pg_schema.hpp>

namespace once_tests {
namespace {

using once::postgres::detail::execute;
using once::postgres::detail::execute_pipeline;
using once::postgres::detail::lending_connection;
using once::postgres::detail::parameterized_statement;
using once::testing::pg_schema;

// A table of notes in the test's schema, and the statement that adds one and answers its text back.
parameterized_statement add_note(pg_schema const& schema, std::optional<std::string> text) {
  return {"INSERT INTO " + schema.name() + ".notes (text) VALUES ($1) RETURNING coalesce(text, 'null')",
          {std::move(text)}};
}

void create_notes(pg_schema const& schema) {
  schema.exec("CREATE TABLE ${schema}.notes (id bigint GENERATED ALWAYS AS IDENTITY, text text)");
}

TEST(LibpqPipeline, AnswersEachStatementInOrderWithValuesThatNeedNoQuoting) {
  pg_schema schema;
  create_notes(schema);
  lending_connection connection{schema.url()};
  std::string const awkward = "it's a \\ back'slash; DROP TABLE notes; --";
  auto const answers = execute_pipeline(connection, {add_note(schema, "first"),
                                                     add_note(schema, awkward),
                                                     add_note(schema, {}),
                                                     {"SELECT count(*) FROM " + schema.name() + ".notes", {}}});
  ASSERT_EQ(answers.size(), 4U);
  EXPECT_STREQ(answers[0].at(0).at(0).c_str(), "first");
  EXPECT_EQ(answers[1].at(0).at(0).c_str(), awkward);
  EXPECT_STREQ(answers[2].at(0).at(0).c_str(), "null");
  EXPECT_EQ(answers[3].at(0).at(0).as<std::int64_t>(), 3) << "the statements ran in the order they were sent";
}

TEST(LibpqPipeline, IsOneTransactionThatARefusedStatementRollsBackWhole) {
  pg_schema schema;
  create_notes(schema);
  schema.exec("ALTER TABLE ${schema}.notes ADD CONSTRAINT short CHECK (length(text) < 10)");
  lending_connection connection{schema.url()};
  try {
    (void)execute_pipeline(connection, {add_note(schema, "kept?"), add_note(schema, "far too long to be kept"),
                                        add_note(schema, "after")});
    FAIL() << "the refused statement did not throw";
  } catch (pqxx::sql_error const& refused) {
    EXPECT_EQ(refused.sqlstate(), "23514");
  }
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.notes"), 0) << "the statement before the refusal was kept";
  // Read to its end, the pipeline left the connection ready for a plain statement and for another pipeline.
  EXPECT_EQ(execute(connection, "SELECT 7").at(0).at(0).as<std::int64_t>(), 7);
  EXPECT_EQ(execute_pipeline(connection, {add_note(schema, "short")}).size(), 1U);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.notes"), 1);
}

TEST(LibpqPipeline, AStatementWhoseTextDoesNotParseIsRefusedWithItsSqlstate) {
  pg_schema schema;
  create_notes(schema);
  lending_connection connection{schema.url()};
  try {
    (void)execute_pipeline(connection, {add_note(schema, "lost"), {"SELEC 1", {}}});
    FAIL() << "the statement that does not parse did not throw";
  } catch (pqxx::sql_error const& refused) {
    EXPECT_EQ(refused.sqlstate(), "42601");
  }
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.notes"), 0);
}

}  // namespace
}  // namespace once_tests
