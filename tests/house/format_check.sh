#!/usr/bin/env bash
# Every C++ file of the repository is formatted as .clang-format says: fails
# naming the files that differ (fix with clang-format -i FILE).
#   format_check.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: format_check.sh SOURCE_DIR}
cd "$source_dir"
command -v clang-format >/dev/null || { echo "clang-format not found (run scripts/setup)" >&2; exit 1; }
differ=()
while IFS= read -r -d '' file; do
  clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || differ+=("$file")
done < <(git ls-files -z '*.cpp' '*.hpp' '*.h' 2>/dev/null ||
         find . -path ./build -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print0)
if [ ${#differ[@]} -gt 0 ]; then
  echo "not formatted as .clang-format says (clang-format -i them):" >&2
  printf '  %s\n' "${differ[@]}" >&2
  exit 1
fi
echo "all C++ files formatted"
