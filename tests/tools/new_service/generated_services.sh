#!/usr/bin/env bash
# once-new-service from the extracted Debian package (so: wherever the package
# lands): a service generated from each of payments, inventory and claims is
# configured and built against that tree only, passes all its own tests
# (its scripts/test, on DATABASE_URL), and its binary answers a command and
# the command's repeat over HTTP with the replay. Refusals exit 2 with one line.
#   generated_services.sh PACKAGE_ROOT        (the extracted package: PACKAGE_ROOT/usr)
set -euo pipefail
prefix=${1:?usage: generated_services.sh PACKAGE_ROOT}/usr
: "${DATABASE_URL:?set DATABASE_URL: the generated services run their PostgreSQL tests on it}"
generator=$prefix/bin/once-new-service
source "$prefix/share/once/scripts/lib/await-listening.sh"
scratch=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

refused() {  # refused WHAT ARGS...: exit status 2 and one line on stderr
  local what=$1 status=0
  shift
  "$generator" "$@" >"$scratch/out.log" 2>"$scratch/err.log" || status=$?
  [ "$status" = 2 ] || fail "$what: exit status $status, expected 2"
  [ "$(wc -l <"$scratch/err.log")" = 1 ] || fail "$what: expected one line, got: $(cat "$scratch/err.log")"
  echo "ok: $what is refused: $(cat "$scratch/err.log")"
}
version=$("$generator" --version) || fail "--version exits non-zero"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version says '$version'"
echo "ok: once-new-service $version"
mkdir -p "$scratch/taken/shipping"
echo mine >"$scratch/taken/shipping/notes.txt"
refused "a directory that is not empty" --from payments --name shipping --out "$scratch/taken"
[ "$(cat "$scratch/taken/shipping/notes.txt")" = mine ] && [ "$(ls -A "$scratch/taken/shipping")" = notes.txt ] ||
  fail "the refused directory was changed"
refused "an uppercase name" --from payments --name Shipping --out "$scratch/x"
refused "a name with a hyphen" --from payments --name ship-ping --out "$scratch/x"
refused "a keyword" --from payments --name class --out "$scratch/x"
refused "an unknown example" --from warehouse --name shipping --out "$scratch/x"
[ ! -e "$scratch/x" ] || fail "a refused generation wrote $scratch/x"

# The service's tests run on the suite's PostgreSQL; its ctest runs with as many jobs as cores.
for example in payments inventory claims; do
  out=$scratch/$example
  "$generator" --from "$example" --name shipping --out "$out" >"$scratch/generated.log"
  grep -q "^wrote $out/shipping/CMakeLists.txt$" "$scratch/generated.log" || fail "it did not say what it wrote"
  echo "ok: generated shipping from $example ($(grep -c '^wrote ' "$scratch/generated.log") files)"
  if grep -rqwE "$example|${example^}|${example^^}" "$out/shipping" --exclude=README.md --exclude=CMakeLists.txt; then
    fail "the $example example's name is left in: $(grep -rlwE "$example|${example^}|${example^^}" "$out/shipping" \
      --exclude=README.md --exclude=CMakeLists.txt)"
  fi
  "$out/shipping/scripts/test" >"$scratch/test.log" 2>&1 || { tail -40 "$scratch/test.log" >&2; fail "shipping from $example: its tests"; }
  echo "ok: shipping from $example builds against the package and passes its tests: $(grep -E 'tests passed' "$scratch/test.log")"

  service=$out/shipping/build/shipping-service
  "$service" --listen 127.0.0.1:0 --store memory --auth-token secret:tenant-a >"$scratch/service.log" 2>&1 &
  pid=$!
  port=$(await_listening "$scratch/service.log" "$pid")
  case $example in
    payments) route=/v1/accounts key=(-H 'Idempotency-Key: open-1')
              body='{"account_id":"A-1","currency":"EUR","credit_limit":10000}' ;;
    inventory) route=/v1/stock-items key=(-H 'Idempotency-Key: register-1')
               body='{"warehouse_id":"W-1","sku":"SKU-1","reorder_level":2}' ;;
    claims) route=/v1/shipping key=()
            body='{"submission_id":"S-1","claimant_id":"C-1","policy_id":"P-1","amount":{"value":500,"currency":"EUR"},"description":"storm"}' ;;
  esac
  send() {
    curl -s -D - -H 'Authorization: Bearer secret' -H 'Content-Type: application/json' "${key[@]}" -d "$body" \
      "http://127.0.0.1:$port$route"
  }
  first=$(send)
  again=$(send)
  [[ $(head -1 <<<"$first") == "HTTP/1.1 201"* ]] || fail "shipping from $example: first answer: $first"
  grep -qi '^idempotent-replayed: true' <<<"$again" || fail "shipping from $example: the repeat was not replayed: $again"
  [ "$(tail -1 <<<"$again")" = "$(tail -1 <<<"$first")" ] || fail "shipping from $example: the replay differs"
  echo "ok: shipping-service from $example answers POST $route with 201 and its repeat with the replay"
  kill -TERM "$pid"
  wait "$pid" || fail "shipping-service from $example did not exit cleanly on SIGTERM"
  pid=
done
