# Sourced by scripts that start a service: await_listening LOG PID prints the
# port from the service's `"event":"listening"` log line, waiting up to 10 s;
# it fails (printing the log) if the process exits or never says it listens.
await_listening() {
  local log=$1 pid=$2 port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*"event":"listening","address":"[^"]*:\([0-9]*\)".*/\1/p' "$log")
    [ -n "$port" ] && { echo "$port"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "the service did not start:" >&2
  cat "$log" >&2
  return 1
}
