# Sourced by the benchmark scripts: a durable throwaway PostgreSQL (fsync on,
# the server's defaults) in $build_dir/bench-postgres unless DATABASE_URL is
# set. Sets bench_pg_dir when it started one; stop it with stop_bench_postgres.
bench_pg_dir=
start_bench_postgres() {
  [ -z "${DATABASE_URL:-}" ] || return 0
  bench_pg_dir="$build_dir/bench-postgres"
  "$root/scripts/throwaway-postgres" destroy "$bench_pg_dir"
  local pg_env
  pg_env=$(ONCE_PG_DURABLE=1 "$root/scripts/throwaway-postgres" start "$bench_pg_dir") ||
    { echo "could not start a throwaway PostgreSQL (reason above); or set DATABASE_URL" >&2; return 1; }
  eval "$pg_env"
  export DATABASE_URL
}
stop_bench_postgres() {
  [ -z "$bench_pg_dir" ] || "$root/scripts/throwaway-postgres" stop "$bench_pg_dir"
}
drop_schema() {  # drop_schema NAME: the schema and everything in it, if it is there
  psql "$DATABASE_URL" -qc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $1 CASCADE" >/dev/null
}
machine_line() {  # cores, CPU model, PostgreSQL version
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), PostgreSQL $(psql "$DATABASE_URL" -Atc 'SHOW server_version')"
}
