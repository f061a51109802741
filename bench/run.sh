#!/usr/bin/env bash
# Runs the benchmarks on demand and prints a Markdown table for docs/benchmarks.md. Every figure is
# measured in the same run as its baseline (gRPC + one durable MySQL insert) on a throwaway MariaDB.
#
#   bench/run.sh [seconds=10] [concurrency=64]
# Needs a Release build: cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release && \
#   cmake --build build/release
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-10}
concurrency=${2:-64}
bin=${JIBAN_BENCH_BIN:-build/release}
for b in bench/jiban-bench bench/jiban-bench-baseline services/intake/jiban-intake; do
  [ -x "$bin/$b" ] || { echo "missing $bin/$b: build Release first (see the header)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/jiban-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash tests/mariadb.sh stop "$work/mariadb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
admin=$(bash tests/mariadb.sh start "$work/mariadb")
port=$(cat "$work/mariadb/port")
for db in bench_baseline bench_intake; do
  mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "CREATE DATABASE $db"
done

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
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

results=()
JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/bench_baseline" JIBAN_GRPC_ADDR=127.0.0.1:0 \
  start "$work/baseline.log" "$bin/bench/jiban-bench-baseline"
results+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$started_port" --rpc=echo \
  --concurrency="$concurrency" --seconds="$seconds" --label=baseline)")

kill -TERM "$started_pid"  # one server at a time: they share two cores
JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/bench_intake" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_DB_POOL_SIZE=64 \
  JIBAN_METRICS_ADDR=127.0.0.1:0 start "$work/intake.log" "$bin/services/intake/jiban-intake"
intake_pid=$started_pid
idle_rss=$(rss_kb "$intake_pid")
results+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$started_port" --rpc=intake.submit \
  --concurrency="$concurrency" --seconds="$seconds" --label=intake.SubmitRequest)")
peak_rss=$(hwm_kb "$intake_pid")

node -e '
const rows = process.argv.slice(1, -2).map(JSON.parse);
const [idle, peak] = process.argv.slice(-2).map(Number);
const base = rows[0];
console.log("| what | req/s | × baseline | p50 ms | p99 ms | p99.9 ms | errors |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.label} | ${r.rps} | ${(r.rps / base.rps).toFixed(2)} | ${r.p50_ms} | ${r.p99_ms} | ${r.p999_ms} | ${r.errors} |`);
}
console.log(`\nintake resident memory: ${(idle / 1024).toFixed(1)} MiB idle, ${(peak / 1024).toFixed(1)} MiB peak under load`);
' "${results[@]}" "$idle_rss" "$peak_rss"
