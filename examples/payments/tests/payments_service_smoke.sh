#!/usr/bin/env bash
# payments-service with --store memory over real HTTP: a payment, its replay,
# the key reused with another amount, a read, and a clean exit on SIGTERM.
#   SCRIPT SERVICE_BINARY ONCE_SCRIPTS_DIR
set -euo pipefail
service=${1:?usage: $0 SERVICE_BINARY ONCE_SCRIPTS_DIR}
source "${2:?usage: $0 SERVICE_BINARY ONCE_SCRIPTS_DIR}/lib/await-listening.sh"
log=$(mktemp)
trap 'kill -9 "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

"$service" --listen 127.0.0.1:0 --store memory --auth-token secret:merchant-42 >"$log" 2>&1 &
pid=$!
port=$(await_listening "$log" "$pid")
base="http://127.0.0.1:$port"
auth=(-H 'Authorization: Bearer secret' -H 'Content-Type: application/json')

expect() {  # expect WHAT ACTUAL EXPECTED
  if [ "$2" != "$3" ]; then echo "FAIL: $1: got '$2', expected '$3'"; exit 1; fi
  echo "ok: $1"
}

status=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Idempotency-Key: open-1' \
  -d '{"account_id":"A-1","currency":"EUR","credit_limit":10000}' "$base/v1/accounts")
expect "account opened" "$status" 201
first=$(curl -s -D - "${auth[@]}" -H 'Idempotency-Key: pay-1' \
  -d '{"account_id":"A-1","amount":{"value":2500,"currency":"EUR"},"description":"books"}' "$base/v1/payments")
expect "payment created" "$(echo "$first" | head -1 | tr -d '\r')" "HTTP/1.1 201 Created"
again=$(curl -s -D - "${auth[@]}" -H 'Idempotency-Key: pay-1' \
  -d '{"account_id":"A-1","amount":{"value":2500,"currency":"EUR"},"description":"books"}' "$base/v1/payments")
expect "retry replayed" "$(echo "$again" | grep -i '^idempotent-replayed' | tr -d '\r' | cut -d' ' -f2)" "true"
expect "same body" "$(echo "$again" | tail -1)" "$(echo "$first" | tail -1)"
status=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Idempotency-Key: pay-1' \
  -d '{"account_id":"A-1","amount":{"value":9900,"currency":"EUR"},"description":"books"}' "$base/v1/payments")
expect "key reused with another amount" "$status" 422
total=$(curl -s -H 'Authorization: Bearer secret' "$base/v1/accounts/A-1" | sed -n 's/.*"authorized_total":{"currency":"EUR","value":\([0-9]*\)}.*/\1/p')
expect "authorized once" "$total" 2500
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/accounts/A-1")
expect "no token" "$status" 401
expect "healthz without a token" "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" 200
expect "readyz without a token" "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" 200

kill -TERM "$pid"
wait "$pid"
expect "exit status after SIGTERM" "$?" 0

# Wrong options are refused with exit 2 and a sentence, before anything starts.
refused() {  # refused WHAT ARGS...: exit status 2 and a message on stderr naming the problem
  local what=$1 status=0
  shift
  "$service" "$@" >/dev/null 2>"$log" || status=$?
  expect "$what: exit status" "$status" 2
  expect "$what: says why" "$([ -s "$log" ] && echo yes)" yes
}
refused "a --listen without a port" --listen localhost --store memory --auth-token secret:merchant-42
refused "--store postgres without --database-url" --listen 127.0.0.1:0 --store postgres --auth-token secret:merchant-42
refused "a token without a tenant" --listen 127.0.0.1:0 --store memory --auth-token secret
refused "no token at all" --listen 127.0.0.1:0 --store memory
