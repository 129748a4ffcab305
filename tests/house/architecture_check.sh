#!/usr/bin/env bash
# The dependency rule, checked on the sources' #include lines:
#   domain/          the standard library, Boost.Hana, nlohmann/json and
#                    once/domain only: no I/O, database, logging or HTTP;
#   application/     the standard library, OpenSSL's digests, POSIX poll (the
#                    blocking wait of waiting.hpp), once/domain
#                    and once/application: never an adapter;
#   observability/   the standard library, spdlog and once/domain: the logs
#                    every adapter writes, so it knows none of them;
#   infrastructure/X never another adapter's headers (once/<Y>/ for Y not X),
#                    nor its sources (a relative path out of its folder);
#   examples/        only installed headers: no path into the framework's
#                    tree ("../" out of the example, tests/support, src/).
# Fails naming each offending line.
#   architecture_check.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: architecture_check.sh SOURCE_DIR}
cd "$source_dir"
adapters=$(ls infrastructure)
failures=0
refuse() {
  echo "$1: $2" >&2
  failures=$((failures + 1))
}
includes() {  # FILE:LINE:HEADER for every #include under a folder
  grep -rnoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"][^>"]+[>"]' "$1" --include='*.hpp' --include='*.cpp' --include='*.h' |
    sed -E 's/:[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"]$/:\1/'
}

while IFS= read -r line; do
  header=${line##*:}
  case "$header" in
    once/domain/*|boost/hana/*|boost/hana.hpp|nlohmann/*) ;;
    */*|*.h|*.hpp) refuse "${line%:*}" "domain/ includes <$header> (only the standard library, Boost.Hana, nlohmann/json and once/domain)" ;;
  esac
done < <(includes domain)

while IFS= read -r line; do
  header=${line##*:}
  case "$header" in
    once/domain/*|once/application/*|openssl/evp.h|openssl/sha.h|poll.h) ;;
    once/*) refuse "${line%:*}" "application/ includes <$header>, an adapter's header" ;;
    */*|*.h|*.hpp) refuse "${line%:*}" "application/ includes <$header> (only the standard library, OpenSSL's digests, poll.h, once/domain and once/application)" ;;
  esac
done < <(includes application)

while IFS= read -r line; do
  header=${line##*:}
  case "$header" in
    once/domain/*|once/observability/*|spdlog/*|line_sink.hpp|unistd.h) ;;
    */*|*.h|*.hpp) refuse "${line%:*}" "observability/ includes <$header> (only the standard library, spdlog and once/domain)" ;;
  esac
done < <(includes observability)

for example in examples/*/; do
  while IFS= read -r line; do
    header=${line##*:}
    case "$header" in
      ../../*|support/*|*/src/*) refuse "${line%:*}" "${example}includes <$header>, which find_package(once) does not install" ;;
    esac
  done < <(includes "$example")
  while IFS= read -r line; do
    refuse "$line" "an example's build reaches into the framework's tree"
  done < <(grep -rnE 'PROJECT_SOURCE_DIR|CMAKE_SOURCE_DIR|\.\./\.\.' "$example" --include=CMakeLists.txt --include='*.cmake' --include='*.sh' || true)
done

for adapter in $adapters; do
  while IFS= read -r line; do
    header=${line##*:}
    for other in $adapters; do
      [ "$other" = "$adapter" ] && continue
      case "$header" in
        once/$other/*|*../$other/*) refuse "${line%:*}" "infrastructure/$adapter includes <$header>, another adapter's" ;;
      esac
    done
  done < <(includes "infrastructure/$adapter")
done

if [ "$failures" -gt 0 ]; then
  echo "$failures include(s) break the dependency rule (docs/domain-model.md)" >&2
  exit 1
fi
echo "the dependency rule holds: domain <- application <- infrastructure/<adapter>, adapters apart, examples on the installed headers"
