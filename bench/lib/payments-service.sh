# Sourced by the benchmark scripts: payments-service on a PostgreSQL, driven by
# wrk with bench/http/payments.lua. Expects root, build_dir, DATABASE_URL,
# work (a scratch directory) and schema to be set; service_binary may name
# another build of the service.
source "$root/scripts/lib/await-listening.sh"
service_pid=

start_service() {  # start_service SERVICE_ARGS...: sets service_pid and base
  "${service_binary:-$build_dir/examples/payments/payments-service}" --listen 127.0.0.1:0 --store postgres --database-url "$DATABASE_URL" \
    --schema "$schema" --auth-token bench-token:bench "$@" >"$work/service.log" 2>&1 &
  service_pid=$!
  base="http://127.0.0.1:$(await_listening "$work/service.log" "$service_pid")"
}

stop_service() {
  [ -n "$service_pid" ] || return 0
  kill -TERM "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null || true
  service_pid=
}

post() {  # post KEY BODY PATH: prints the status
  curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer bench-token' -H 'Content-Type: application/json' \
    -H "Idempotency-Key: $1" -d "$2" "$base$3"
}

open_accounts() {  # open_accounts COUNT: accounts B-0..B-(COUNT-1), the accounts the pay and replay loads use
  export -f post
  export base
  seq 0 $(($1 - 1)) | xargs -P 8 -I{} bash -c 'post "open-B-{}" "{\"account_id\":\"B-{}\",\"currency\":\"EUR\",\"credit_limit\":1000000000000}" /v1/accounts >/dev/null'
}

prepare_replays() {  # prepare_replays RUN_ID: accounts B-0..B-999 with one payment each, keyed RUN_ID-replay-i
  open_accounts 1000
  seq 0 999 | xargs -P 8 -I{} bash -c 'post "'"$1"'-replay-{}" "{\"account_id\":\"B-{}\",\"amount\":{\"value\":1,\"currency\":\"EUR\"},\"description\":\"bench\"}" /v1/payments >/dev/null'
}

# wrk_payments MODE CONNECTIONS SECONDS KEY_PREFIX [SPREAD]: wrk's report (modes: bench/http/payments.lua)
wrk_payments() {
  wrk -t 2 -c "$2" -d "${3}s" --latency -s "$root/bench/http/payments.lua" "$base" -- "$1" "$4" "${5:-1000}"
}

# wrk_figures MODE CONNECTIONS KEY_PREFIX [SPREAD]: "requests/s p99_ms" of a $seconds-second wrk run
wrk_figures() {
  wrk_payments "$1" "$2" "$seconds" "$3" "${4:-1000}" | awk '
    /Requests\/sec/ { rate = $2 }
    $1 == "99%" { v = $2; f = (v ~ /us$/ ? 0.001 : v ~ /ms$/ ? 1 : v ~ /s$/ ? 1000 : 1); sub(/[a-z]+$/, "", v); p99 = v * f }
    END { printf "%s %.2f\n", rate, p99 }'
}
