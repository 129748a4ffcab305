#!/usr/bin/env bash
# Builds the Debian package of a build tree with cpack and extracts it under
# OUT_DIR/root, for the package tests that follow (a ctest fixture).
#   build_deb.sh BUILD_DIR OUT_DIR
set -euo pipefail
build_dir=${1:?usage: build_deb.sh BUILD_DIR OUT_DIR}
out_dir=${2:?usage: build_deb.sh BUILD_DIR OUT_DIR}
rm -rf "$out_dir"
mkdir -p "$out_dir"
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$out_dir" >"$out_dir/cpack.log" 2>&1 ||
  { cat "$out_dir/cpack.log" >&2; exit 1; }
deb=$(ls "$out_dir"/*.deb)
dpkg-deb -x "$deb" "$out_dir/root"
echo "built and extracted $(basename "$deb")"
