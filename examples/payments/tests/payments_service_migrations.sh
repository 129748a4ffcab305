#!/usr/bin/env bash
# payments-service on PostgreSQL applies pending migrations at start, unless
# --no-migrate is given (then a fresh schema has no tables and writes answer 503).
#   SCRIPT SERVICE_BINARY ONCE_SCRIPTS_DIR
set -euo pipefail
service=${1:?usage: $0 SERVICE_BINARY ONCE_SCRIPTS_DIR}
source "${2:?usage: $0 SERVICE_BINARY ONCE_SCRIPTS_DIR}/lib/await-listening.sh"
: "${DATABASE_URL:?needs DATABASE_URL (ONCE_SCRIPTS_DIR/throwaway-postgres starts a throwaway PostgreSQL)}"
schema="svc_$$_$RANDOM"
log=$(mktemp)
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT

start() {  # start EXTRA_ARGS...: runs the service, sets pid and base
  : >"$log"
  "$service" --listen 127.0.0.1:0 --store postgres --database-url "$DATABASE_URL" --schema "$schema" \
    --auth-token secret:merchant-42 "$@" >"$log" 2>&1 &
  pid=$!
  port=$(await_listening "$log" "$pid")
  base="http://127.0.0.1:$port"
}
stop() { kill -TERM "$pid"; wait "$pid"; pid=; }
open_account() {
  curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer secret' -H 'Content-Type: application/json' \
    -H "Idempotency-Key: open-$1" -d "{\"account_id\":\"$1\",\"currency\":\"EUR\",\"credit_limit\":100}" "$base/v1/accounts"
}
expect() { if [ "$2" != "$3" ]; then echo "FAIL: $1: got '$2', expected '$3'"; exit 1; fi; echo "ok: $1"; }

start --no-migrate
expect "with --no-migrate a fresh schema has no tables: writes are unavailable" "$(open_account A-1)" 503
stop
expect "and nothing was created" "$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$schema'")" 0

start
expect "without it the service migrates at start and writes" "$(open_account A-1)" 201
expect "and is ready" "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" 200
stop
expect "the schema is at the newest version" \
  "$(psql "$DATABASE_URL" -Atc "SELECT max(version) > 0 FROM $schema.once_schema_version")" t

start --no-migrate
expect "a migrated schema works with --no-migrate" "$(open_account A-2)" 201
stop

# Unreachable database (lazy connections): the service starts, /readyz says 503, writes say 503.
"$service" --listen 127.0.0.1:0 --store postgres --database-url "postgresql://once@127.0.0.1:1/postgres?connect_timeout=2" \
  --no-migrate --auth-token secret:merchant-42 >"$log" 2>&1 &
pid=$!
port=$(await_listening "$log" "$pid")
base="http://127.0.0.1:$port"
expect "readyz with the database unreachable" "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" 503
expect "healthz still answers" "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" 200
expect "a write is unavailable, not a crash" "$(open_account A-3)" 503
stop
