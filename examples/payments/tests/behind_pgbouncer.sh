#!/usr/bin/env bash
# payments-service's black-box suite again, through PgBouncer in transaction
# pooling mode in front of DATABASE_URL: every transaction may land on another
# server connection, so a service that relied on session state would fail here.
#   behind_pgbouncer.sh SUITE_BINARY ONCE_SCRIPTS_DIR
set -euo pipefail
suite=${1:?usage: behind_pgbouncer.sh SUITE_BINARY ONCE_SCRIPTS_DIR}
scripts=${2:?usage: behind_pgbouncer.sh SUITE_BINARY ONCE_SCRIPTS_DIR}
bouncer_dir=$(mktemp -d "${TMPDIR:-/tmp}/payments-pgbouncer.XXXXXX")
trap '"$scripts/throwaway-pgbouncer" stop "$bouncer_dir"' EXIT
bouncer_env=$("$scripts/throwaway-pgbouncer" start "$bouncer_dir") || {
  echo "behind_pgbouncer: PgBouncer did not start" >&2
  exit 1
}
eval "$bouncer_env"
echo "behind_pgbouncer: $DATABASE_URL (pool_mode = transaction)"
"$suite"
