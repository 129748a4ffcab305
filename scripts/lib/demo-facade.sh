# The legacy facade demo, sourced by scripts/demo facade once PostgreSQL is up:
# legacy-core (which books every call, even a repeated one) behind
# legacy-facade-service; a transfer whose call times out is answered
# `unknown`, recovery finds the core's booking by reference and completes it,
# and the core holds one booking, not two.
# Expects: build_dir, DATABASE_URL, await_listening.
facade_demo() {
  local work core_pid service_pid core_port port base schema body answer reference transfer
  work=$(mktemp -d)
  schema="facade_demo_$$"
  trap 'kill "${service_pid:-}" "${core_pid:-}" 2>/dev/null; wait 2>/dev/null;
        psql "$DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1; rm -rf "$work"' RETURN
  step() { printf '\n== %s\n' "$*"; }

  "$build_dir/examples/legacy_facade/legacy-core" --listen 127.0.0.1:0 --hang-ms 3000 >"$work/core.log" 2>&1 &
  core_pid=$!
  core_port=$(await_listening "$work/core.log" "$core_pid")
  "$build_dir/examples/legacy_facade/legacy-facade-service" --listen 127.0.0.1:0 --store postgres \
    --database-url "$DATABASE_URL" --schema "$schema" --auth-token demo-token:bank-3 \
    --legacy-url "http://127.0.0.1:$core_port" --legacy-timeout-ms 1000 --grace-ms 2000 >"$work/service.log" 2>&1 &
  service_pid=$!
  port=$(await_listening "$work/service.log" "$service_pid")
  base="http://127.0.0.1:$port"
  local auth=(-H 'Authorization: Bearer demo-token' -H 'Content-Type: application/json')
  body='{"from_account":"ACC-1","to_account":"ACC-2","amount":{"value":2500,"currency":"EUR"}}'

  step "legacy-core on 127.0.0.1:$core_port (not idempotent: every call books); legacy-facade-service on $base"
  step "1. The core will book the next transfer and then hang for 3 s; the facade gives a call 1 s"
  curl -s -X POST -d '{"next":["hang_after_booking"]}' "http://127.0.0.1:$core_port/legacy/faults"; echo
  step "2. POST /v1/transfers: the call times out, so the outcome is unknown (202)"
  answer=$(curl -s -i "${auth[@]}" -H 'Idempotency-Key: pay-rent-2026-11' -d "$body" "$base/v1/transfers")
  echo "$answer"
  reference=$(echo "$answer" | sed -n 's/.*"reference":"\([^"]*\)".*/\1/p')
  transfer=$(echo "$answer" | sed -n 's/.*"transfer_id":"\([^"]*\)".*/\1/p')
  step "3. The client retries at once: answered from the record (unknown), and the core is not called again"
  curl -s -i "${auth[@]}" -H 'Idempotency-Key: pay-rent-2026-11' -d "$body" "$base/v1/transfers"; echo
  step "4. Recovery asks the core by reference, finds its booking and records it"
  for _ in $(seq 1 100); do
    curl -s -H 'Authorization: Bearer demo-token' "$base/v1/transfers/$transfer" | grep -q '"completed"' && break
    sleep 0.1
  done
  curl -s -H 'Authorization: Bearer demo-token' "$base/v1/transfers/$transfer"; echo
  grep '"event":"recovery"' "$work/service.log" || true
  step "5. The core holds one booking with this reference (the facade never called it a second time)"
  curl -s "http://127.0.0.1:$core_port/legacy/transfers?reference=$reference"; echo
  step "6. A path the facade does not own is forwarded to the core unchanged"
  curl -s -H 'Authorization: Bearer demo-token' "$base/legacy/transfers?since=2000-01-01T00:00:00Z"; echo
}
