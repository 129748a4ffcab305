#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then configures, builds and
# runs projects that only know find_package(once CONFIG): a small consumer,
# and the payments, claims, legacy facade and inventory examples (with their tests) as services
# generated from them would be built outside this tree.
#   find_package_from_outside.sh BUILD_DIR
set -euo pipefail
build_dir=${1:?usage: find_package_from_outside.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

cmake -S "$here/consumer" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$scratch/prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/consumer" -j 2 >/dev/null
"$scratch/consumer/consumer"

# Copied out of the tree first, so that no path into the framework's sources can be used.
cp -r "$here/../../examples/payments" "$scratch/payments-src"
cmake -S "$scratch/payments-src" -B "$scratch/payments" -DCMAKE_PREFIX_PATH="$scratch/prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/payments" -j 2 >/dev/null
"$scratch/payments/tests/payments_domain_tests" --gtest_brief=1
"$scratch/payments/payments-service" --help >/dev/null
cp -r "$here/../../examples/claims" "$scratch/claims-src"
cmake -S "$scratch/claims-src" -B "$scratch/claims" -DCMAKE_PREFIX_PATH="$scratch/prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/claims" -j 2 >/dev/null
"$scratch/claims/tests/claims_domain_tests" --gtest_brief=1
"$scratch/claims/claims-service" --help >/dev/null
cp -r "$here/../../examples/legacy_facade" "$scratch/facade-src"
cmake -S "$scratch/facade-src" -B "$scratch/facade" -DCMAKE_PREFIX_PATH="$scratch/prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/facade" -j 2 >/dev/null
"$scratch/facade/tests/legacy_facade_domain_tests" --gtest_brief=1
"$scratch/facade/legacy-facade-service" --help >/dev/null
"$scratch/facade/legacy-core" --help >/dev/null
cp -r "$here/../../examples/inventory" "$scratch/inventory-src"
cmake -S "$scratch/inventory-src" -B "$scratch/inventory" -DCMAKE_PREFIX_PATH="$scratch/prefix" "${launcher[@]}" >/dev/null
cmake --build "$scratch/inventory" -j 2 >/dev/null
"$scratch/inventory/tests/inventory_domain_tests" --gtest_brief=1
"$scratch/inventory/inventory-service" --help >/dev/null
echo "the payments, claims, legacy facade and inventory examples build and pass their domain tests against the installed package alone"
