# The claims demo, sourced by scripts/demo claims once PostgreSQL is up:
# librdkafka's mock cluster, claims-service with its relay, fraud-screening;
# a claim submitted twice, its event on claims.events, its screening
# recorded, fraud-screening killed and restarted with nothing doubled.
# Expects: build_dir, DATABASE_URL, await_listening.
claims_demo() {
  local work mock_pid service_pid screening_pid brokers port base schema claim
  work=$(mktemp -d)
  schema="claims_demo_$$"
  trap 'kill "${screening_pid:-}" "${service_pid:-}" "${mock_pid:-}" 2>/dev/null; wait 2>/dev/null;
        psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1; rm -rf "$work"' RETURN
  step() { printf '\n== %s\n' "$*"; }

  "$build_dir/infrastructure/kafka/once-kafka-mock" --topic claims.events:6 --topic claims.events.dlq:6 \
    >"$work/mock.log" 2>&1 &
  mock_pid=$!
  for _ in $(seq 1 100); do
    brokers=$(sed -n 's/.*"bootstrap_servers":"\([^"]*\)".*/\1/p' "$work/mock.log")
    [ -n "$brokers" ] && break
    sleep 0.05
  done
  [ -n "$brokers" ] || { echo "demo: the mock Kafka cluster did not start" >&2; return 1; }
  "$build_dir/examples/claims/claims-service" --listen 127.0.0.1:0 --store postgres --database-url "$DATABASE_URL" \
    --schema "$schema" --auth-token demo-token:insurer-7 --brokers "$brokers" >"$work/service.log" 2>&1 &
  service_pid=$!
  port=$(await_listening "$work/service.log" "$service_pid")
  base="http://127.0.0.1:$port"
  "$build_dir/examples/claims/fraud-screening" --database-url "$DATABASE_URL" --schema "$schema" \
    --brokers "$brokers" >"$work/screening.log" 2>&1 &
  screening_pid=$!
  local auth=(-H 'Authorization: Bearer demo-token' -H 'Content-Type: application/json')
  local body='{"submission_id":"S-1","claimant_id":"P-7","policy_id":"POL-1","amount":{"value":1500000,"currency":"EUR"},"description":"storm damage"}'

  step "mock Kafka at $brokers; claims-service on $base (relay in-process); fraud-screening consuming"
  step "1. Submit claim S-1 of claimant P-7 (15,000.00 EUR): created, ClaimSubmitted goes to the outbox"
  curl -s -i "${auth[@]}" -d "$body" "$base/v1/claims"; echo
  step "2. The client submits it again (no Idempotency-Key needed: the submission id is the key): replayed"
  curl -s -i "${auth[@]}" -d "$body" "$base/v1/claims"; echo
  claim=$(curl -s "${auth[@]}" -d "$body" "$base/v1/claims" | sed -n 's/.*"claim_id":"\([^"]*\)".*/\1/p')

  step "3. fraud-screening reads ClaimSubmitted and records the screening (flagged: 1,000,000 minor units or more)"
  for _ in $(seq 1 150); do
    curl -s -H 'Authorization: Bearer demo-token' "$base/v1/claims/$claim" | grep -q '"screened"' && break
    sleep 0.2
  done
  curl -s -H 'Authorization: Bearer demo-token' "$base/v1/claims/$claim"; echo

  step "4. fraud-screening killed (SIGKILL) and restarted: the topic is read again, nothing is doubled"
  kill -9 "$screening_pid"; wait "$screening_pid" 2>/dev/null || true
  "$build_dir/examples/claims/fraud-screening" --database-url "$DATABASE_URL" --schema "$schema" \
    --brokers "$brokers" --group fraud-screening-replay >"$work/screening2.log" 2>&1 &
  screening_pid=$!
  sleep 10
  echo "events in the outbox (each published once acknowledged):"
  psql "$DATABASE_URL" -Atc "SELECT event_type, count(*), bool_and(published_at IS NOT NULL) AS published
                             FROM $schema.once_outbox GROUP BY event_type ORDER BY event_type"
  echo "screenings recorded: $(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM $schema.once_intents
                                                         WHERE command_type = 'claims.record_screening'")"
  echo "the restarted consumer (a new group, from offset 0): $(grep -c '"handled"' "$work/screening2.log") handled as replays, no new effects"
  step "5. Metrics: the relay (claims-service) and the outbox"
  curl -s "$base/metrics" | grep '^once_outbox'
}
