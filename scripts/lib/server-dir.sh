# Sourced by the throwaway-* scripts. Their servers run as a non-root user
# (postgres when called as root), which cannot enter a checkout under /root or
# a `mktemp -d` directory (mode 0700). The files such a server writes live in
# the directory the caller names when that user can use it, and otherwise in a
# directory of its own under ${TMPDIR:-/tmp}, whose path is kept in the
# caller's directory as `location`.

# Runs a command as the server's user.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Prints the directory the server's files live in for DIR, creating it (and
# DIR) when needed. DIR must be absolute.
server_dir_for() {
  local dir=$1 outside
  mkdir -p "$dir"
  if [ -f "$dir/location" ]; then
    cat "$dir/location"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "$dir"
    return 0
  fi
  chown postgres: "$dir"
  if runuser -u postgres -- test -w "$dir" -a -x "$dir"; then
    echo "$dir"
    return 0
  fi
  outside=$(mktemp -d "${TMPDIR:-/tmp}/once-server.XXXXXX")
  chown postgres: "$outside"
  echo "$outside" >"$dir/location"
  echo "$outside"
}

# The directory the server's files live in for DIR, without creating anything.
existing_server_dir_for() {
  local dir=$1
  if [ -f "$dir/location" ]; then cat "$dir/location"; else echo "$dir"; fi
}

# Removes DIR and, if its files lived elsewhere, that directory too.
remove_server_dir() {
  local dir=$1 outside
  [ -d "$dir" ] || return 0
  if [ -f "$dir/location" ]; then
    outside=$(cat "$dir/location")
    case "$outside" in
      "${TMPDIR:-/tmp}"/once-server.*) rm -rf "$outside" ;;
    esac
  fi
  rm -rf "$dir"
}
