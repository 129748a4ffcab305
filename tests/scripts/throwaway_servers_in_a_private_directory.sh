#!/usr/bin/env bash
# The throwaway PostgreSQL and PgBouncer start from a directory that only the
# caller may enter (a clone under /root or in `mktemp -d`, mode 0700), as root
# or as a normal user: as root, the servers run as postgres, which cannot
# enter such a directory, so their files must live elsewhere. Both answer a
# query, and `destroy`/`stop` leave nothing behind.
#   throwaway_servers_in_a_private_directory.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: throwaway_servers_in_a_private_directory.sh SOURCE_DIR}
private=$(mktemp -d)
chmod 0700 "$private"
cleanup() {
  "$source_dir/scripts/throwaway-pgbouncer" stop "$private/build/bouncer" || true
  "$source_dir/scripts/throwaway-postgres" destroy "$private/build/postgres" || true
  rm -rf "$private"
}
trap cleanup EXIT
unset DATABASE_URL

pg_env=$("$source_dir/scripts/throwaway-postgres" start "$private/build/postgres")
eval "$pg_env"
[ "$(psql "$DATABASE_URL" -Atc 'SELECT 42')" = 42 ] || { echo "FAIL: PostgreSQL does not answer" >&2; exit 1; }
data_home=$(dirname "$ONCE_PG_DATA")
echo "PostgreSQL from a 0700 directory: $DATABASE_URL, data in $data_home"

bouncer_env=$("$source_dir/scripts/throwaway-pgbouncer" start "$private/build/bouncer")
eval "$bouncer_env"
[ "$(psql "$DATABASE_URL" -Atc 'SELECT 43')" = 43 ] || { echo "FAIL: PgBouncer does not answer" >&2; exit 1; }
echo "PgBouncer from a 0700 directory: $DATABASE_URL"

"$source_dir/scripts/throwaway-pgbouncer" stop "$private/build/bouncer"
"$source_dir/scripts/throwaway-postgres" destroy "$private/build/postgres"
if [ -e "$data_home" ] || [ -e "$private/build/postgres" ] || [ -e "$private/build/bouncer" ]; then
  echo "FAIL: destroy/stop left files behind" >&2
  exit 1
fi

# A start that cannot succeed says why and fails, instead of exporting nothing.
if ONCE_PG_BIN=/nonexistent "$source_dir/scripts/throwaway-postgres" start "$private/build/broken" 2>"$private/err"; then
  echo "FAIL: a start without PostgreSQL binaries succeeded" >&2
  exit 1
fi
grep -q "binaries not found" "$private/err" || { echo "FAIL: no reason given:" >&2; cat "$private/err" >&2; exit 1; }
echo "ok"
