#!/usr/bin/env bash
# The Debian package, inspected and used where it was extracted (not /usr):
# its name, its dependencies, the files it carries (the same as
# `cmake --install` puts under a prefix), CMake package files without a path
# into the build, and a project outside this tree that finds it with
# find_package(once CONFIG): a small consumer and the legacy facade example
# with its domain tests. The examples once-new-service generates from are
# built by the generator's test.
#   deb_package.sh BUILD_DIR OUT_DIR VERSION SOURCE_DIR
set -euo pipefail
usage="usage: deb_package.sh BUILD_DIR OUT_DIR VERSION SOURCE_DIR"
build_dir=${1:?$usage}
out_dir=${2:?$usage}
version=${3:?$usage}
source_dir=${4:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

arch=$(dpkg --print-architecture)
deb=$out_dir/once-dev_${version}_${arch}.deb
[ -f "$deb" ] || fail "no $(basename "$deb") in $out_dir: $(ls "$out_dir")"
echo "ok: $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
for needed in libboost1.81-dev libboost-url1.81-dev nlohmann-json3-dev libssl-dev libpqxx-dev librdkafka-dev \
              libspdlog-dev libcli11-dev prometheus-cpp-dev libgtest-dev pkg-config libpqxx-6.4 librdkafka1 libc6; do
  [[ ", $depends," == *", $needed "* || ", $depends," == *", $needed,"* ]] || fail "Depends lacks $needed: $depends"
done
echo "ok: Depends names the development packages and the tools' shared libraries"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/once-migrate ./usr/bin/once-admin ./usr/bin/once-new-service ./usr/bin/once-relay \
            ./usr/include/once/domain/aggregate.hpp ./usr/include/once/service/service.hpp \
            ./usr/lib/cmake/once/onceConfig.cmake ./usr/lib/cmake/once/once-targets.cmake \
            ./usr/lib/libonce_postgres.a ./usr/share/once/sql/0001_create_tables.sql \
            ./usr/share/once/scripts/throwaway-postgres ./usr/share/once/new-service/test \
            ./usr/share/once/examples/payments/CMakeLists.txt ./usr/share/once/examples/inventory/CMakeLists.txt \
            ./usr/share/once/examples/claims/CMakeLists.txt; do
  grep -qxF "$path" <<<"$contents" || fail "the package lacks $path"
done
echo "ok: headers, libraries, CMake package files, tools, migrations and examples are in the package"

cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
installed=$(cd "$scratch/prefix" && find . -type f | sort)
packaged=$(cd "$out_dir/root/usr" && find . -type f | sort)
[ "$installed" = "$packaged" ] || fail "cmake --install and the package differ: $(diff <(echo "$installed") <(echo "$packaged") | head)"
echo "ok: cmake --install writes the same files under a prefix"

if grep -rlF -e "$build_dir" -e "$source_dir" "$out_dir/root/usr/lib/cmake" "$out_dir/root/usr/share/once"; then
  fail "the package's files above name the build or source tree"
fi
echo "ok: the CMake package files and data name no path of the build"

# Built against the extracted package, wherever it was extracted.
prefix=$out_dir/root/usr
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$here/consumer" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/consumer" -j 2 >/dev/null
"$scratch/consumer/consumer"
# Copied out of the tree first, so that no path into the framework's sources can be used.
cp -r "$prefix/share/once/examples/legacy_facade" "$scratch/facade-src"
cmake -S "$scratch/facade-src" -B "$scratch/facade" -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/facade" -j 2 >/dev/null
"$scratch/facade/tests/legacy_facade_domain_tests" --gtest_brief=1
"$scratch/facade/legacy-facade-service" --help >/dev/null
"$scratch/facade/legacy-core" --help >/dev/null
echo "ok: a consumer and the legacy facade example build against the extracted package alone"
