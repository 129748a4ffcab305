// Exactly-once checks on a PostgreSQL schema written by the test ledger.
#pragma once

#include <cstdint>

#include <gtest/gtest.h>

#include <once/testing/pg_schema.hpp>

namespace once_tests {

using once::testing::pg_schema;

// One intent record, one state change and one outbox row per intent; every
// aggregate's versions run 1..n without gaps or repeats; balances add up.
inline void expect_exactly_once(pg_schema const& schema, std::int64_t intents) {
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents"), intents);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox"), intents);
  EXPECT_EQ(schema.scalar("SELECT count(DISTINCT message_id) FROM ${schema}.once_outbox"), intents);
  EXPECT_EQ(schema.scalar("SELECT coalesce(sum((state->>'balance')::bigint), 0) FROM ${schema}.once_aggregates"),
            intents);
  EXPECT_EQ(schema.scalar("SELECT coalesce(sum(version), 0) FROM ${schema}.once_aggregates"), intents);
  EXPECT_EQ(schema.scalar(R"(
      SELECT count(*) FROM (
        SELECT o.aggregate_id, count(*) AS n, count(DISTINCT o.aggregate_version) AS distinct_versions,
               max(o.aggregate_version) AS top, min(o.aggregate_version) AS bottom
          FROM ${schema}.once_outbox o GROUP BY o.aggregate_id) v
      JOIN ${schema}.once_aggregates a ON a.aggregate_id = v.aggregate_id
     WHERE v.n <> v.distinct_versions OR v.top <> v.n OR v.bottom <> 1 OR a.version <> v.n)"),
            0)
      << "some aggregate's versions are not contiguous";
}

}  // namespace once_tests
