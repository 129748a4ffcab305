#!/usr/bin/env bash
# The framework's PostgreSQL suites again, through PgBouncer in transaction pooling mode:
# every transaction may land on another server connection, so anything that
# relied on session state (session advisory locks, protocol-level prepared
# statements, SET without LOCAL) would fail here.
#   behind_pgbouncer.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=${1:?usage: behind_pgbouncer.sh BUILD_DIR SOURCE_DIR}
source_dir=${2:?usage: behind_pgbouncer.sh BUILD_DIR SOURCE_DIR}
bouncer_dir=$(mktemp -d "$build/pgbouncer.XXXXXX")
trap '"$source_dir/scripts/throwaway-pgbouncer" stop "$bouncer_dir"' EXIT
bouncer_env=$("$source_dir/scripts/throwaway-pgbouncer" start "$bouncer_dir")
eval "$bouncer_env"
echo "behind_pgbouncer: $DATABASE_URL (pool_mode = transaction)"

# LISTEN does not hold across pooled transactions: there the relay polls
# (docs/kafka.md), so the wake-up by notification is not expected. The
# store's connections end at PgBouncer, so ending one of its backends by pid
# ends PgBouncer's connection, not the store's, and its idle connections are
# PgBouncer's to keep or drop (so too for the pool's fresh connection after a
# backend ended by pid). SharedCommits* hold a running statement with
# a session advisory lock taken on a connection of the test's own, which
# PgBouncer would lend to the store's transactions too (shared commits are
# proved here by the suites on a sharing store and by the exactly-once suite).
"$build/tests/once_pg_tests" \
  --gtest_filter=-PgOutbox.AWaitingRelayIsWokenByACommitLongBeforeItsTimeout:PostgresStore.ReplacesAConnectionTheServerEndedWhileIdleAndKeepsTheOthers:PostgresStore.RetriesOnANewConnectionAfterALossAndKeepsTheIdleOnes:ConnectionPool.AFreshConnectionDropsTheIdleConnectionsTheServerEndedAndKeepsTheOthers:SharedCommits*
"$build/tests/once_pg_exactly_once_tests"
