# What the benchmark scripts share (sourced): a work directory cleaned up on exit with every
# process started by `start`, and `start`, which runs a service and waits for its "started" line.
work=$(mktemp -d /tmp/jiban-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash tests/mariadb.sh stop "$work/mariadb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }  # resident now
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }  # resident at its peak

start() {  # log file, command... → sets started_port and started_pid
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  for _ in $(seq 1 400); do
    grep -q '"msg":"started"' "$log" 2>/dev/null && break
    sleep 0.05
  done
  started_port=$(grep '"msg":"started"' "$log" | sed -E 's/.*"grpc_port":([0-9]+).*/\1/')
}
