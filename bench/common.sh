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
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }      # user + system CPU so far

# Development secrets, made once per run: $keys (JIBAN_FIELD_KEYS for sealed personal data) and
# $work/auth.json (the gateway's JIBAN_AUTH_FILE, one HS256 key for `jiban-gateway mint`).
source tests/dev_secrets.sh  # free_port too
keys=$(field_keys_value)
auth_json bench b1 >"$work/auth.json"

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

# start_intake_behind_gateway DSN [NAME=value...]: intake on DSN (64 connections) and the gateway
# in front of it with its rate limits out of the way; the extra NAME=value words go to the
# gateway. Sets intake_port, intake_pid, gateway_port, gateway_pid and token (a window clerk's).
start_intake_behind_gateway() {
  local dsn=$1
  shift
  JIBAN_DB_DSN="$dsn" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_DB_POOL_SIZE=64 JIBAN_METRICS_ADDR= \
    JIBAN_FIELD_KEYS="$keys" start "$work/intake.log" "$bin/services/intake/jiban-intake"
  intake_port=$started_port
  intake_pid=$started_pid
  start "$work/gateway.log" env JIBAN_AUTH_FILE="$work/auth.json" \
    JIBAN_INTAKE_ADDR="127.0.0.1:$intake_port" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR= \
    JIBAN_HTTP_ADDR= JIBAN_RATE_PER_PRINCIPAL=100000 JIBAN_RATE_PER_ADDRESS=100000 "$@" \
    "$bin/services/gateway/jiban-gateway"
  gateway_port=$started_port
  gateway_pid=$started_pid
  token=$(JIBAN_AUTH_FILE="$work/auth.json" "$bin/services/gateway/jiban-gateway" mint \
    --role=window_clerk --subject=bench)
}

