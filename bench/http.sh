#!/usr/bin/env bash
# HTTP/JSON submissions through the gateway (issue 10's comparison: Request Tracker 5 creates
# about 13–15 tickets/s over HTTP on this machine; the goal is 100× that), measured in one run with
# the raw baseline (gRPC + one durable MySQL insert) on a throwaway MariaDB. Prints a table.
#
#   bench/http.sh [seconds=20] [concurrency=64]
# Uses the binaries of build/release, what the image ships (or JIBAN_BENCH_BIN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-20}
concurrency=${2:-64}
bin=${JIBAN_BENCH_BIN:-build/release}
source bench/common.sh
bash tests/mariadb.sh start "$work/mariadb" >/dev/null
port=$(cat "$work/mariadb/port")
mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "CREATE DATABASE http_base; CREATE DATABASE http_intake"
results=()
JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/http_base" JIBAN_GRPC_ADDR=127.0.0.1:0 \
  start "$work/baseline.log" "$bin/bench/jiban-bench-baseline"
results+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$started_port" --rpc=echo \
  --concurrency="$concurrency" --seconds="$seconds" --label="baseline (gRPC + 1 durable INSERT)")")
kill -TERM "$started_pid"; wait "$started_pid" || true  # one server at a time: 2 cores

http_port=$(free_port)
start_intake_behind_gateway "mysql://root@127.0.0.1:$port/http_intake" \
  JIBAN_HTTP_ADDR="127.0.0.1:$http_port" JIBAN_HTTP_THREADS=64
idle="intake $(($(rss_kb "$intake_pid") / 1024)) MiB, gateway $(($(rss_kb "$gateway_pid") / 1024)) MiB"
results+=("$(node bench/http_load.mjs \
  "http://127.0.0.1:$http_port/v1/jiban.intake.v1.IntakeService/SubmitRequest" "$token" \
  "$concurrency" "$seconds" "HTTP/JSON SubmitRequest through the gateway")")
node -e '
const rows = process.argv.slice(1).map(JSON.parse);
const base = rows[0];
console.log("| what | req/s | × baseline | × Request Tracker (14/s) | p50 ms | p99 ms | p99.9 ms | errors |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.label} | ${r.rps} | ${(r.rps / base.rps).toFixed(2)} | ${(r.rps / 14).toFixed(0)} | ${r.p50_ms} | ${r.p99_ms} | ${r.p999_ms} | ${r.errors} |`);
}
' "${results[@]}"
echo
echo "resident memory idle: $idle; peak under the load: intake $(($(hwm_kb "$intake_pid") / 1024)) MiB, gateway $(($(hwm_kb "$gateway_pid") / 1024)) MiB"

