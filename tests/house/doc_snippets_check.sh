#!/usr/bin/env bash
# Every C++ snippet in docs/ and README.md quotes a file that is compiled and
# tested, so that it cannot drift from the code: the line before its ```cpp
# fence says which one,
#   <!-- quoted from examples/payments/domain/include/payments/domain/account.hpp -->
# and every line of the snippet (leading and trailing blanks aside) is a line
# of that file, in the file's order; a line "..." stands for lines left out.
# Fails naming each snippet that has no source or does not match it.
#   doc_snippets_check.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: doc_snippets_check.sh SOURCE_DIR}
cd "$source_dir"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
snippets=0

for doc in README.md docs/*.md; do
  # Each snippet into its own file: NUMBER.snippet, with NUMBER.source naming its file and line.
  awk -v out="$scratch/$(basename "$doc")" '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    /^```cpp[ \t]*$/ {
      n++; inside = 1
      printf "%s %d\n", (previous ~ /^<!-- quoted from [^ ]+ -->$/ ? previous : "-"), NR > (out "." n ".source")
      printf "" > (out "." n ".snippet")
      next
    }
    inside && /^```/ { inside = 0; next }
    inside { line = trim($0); if (line != "") print line >> (out "." n ".snippet"); next }
    { if (trim($0) != "") previous = trim($0) }
  ' "$doc"
  for source in "$scratch/$(basename "$doc")".*.source; do
    [ -e "$source" ] || continue
    snippets=$((snippets + 1))
    read -r marker_and_line <"$source"
    at_line=${marker_and_line##* }
    quoted=$(sed -nE 's/^<!-- quoted from ([^ ]+) -->.*/\1/p' "$source")
    if [ -z "$quoted" ]; then
      echo "$doc:$at_line: a C++ snippet without '<!-- quoted from FILE -->' on the line before it" >&2
      failures=$((failures + 1))
      continue
    fi
    if [ ! -f "$quoted" ]; then
      echo "$doc:$at_line: quotes $quoted, which does not exist" >&2
      failures=$((failures + 1))
      continue
    fi
    missing=$(awk '
      function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
      NR == FNR { file[++lines] = trim($0); next }
      {
        if ($0 == "...") next
        while (at < lines && file[++at] != $0) {}
        if (file[at] != $0) { print $0; exit }
      }
    ' "$quoted" "${source%.source}.snippet")
    if [ -n "$missing" ]; then
      echo "$doc:$at_line: this line of the snippet is not in $quoted (in order): $missing" >&2
      failures=$((failures + 1))
    fi
  done
done

if [ "$failures" -gt 0 ]; then
  echo "$failures of $snippets C++ snippets in docs/ do not quote their file" >&2
  exit 1
fi
echo "all $snippets C++ snippets in docs/ quote compiled files"
