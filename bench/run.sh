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
for b in bench/jiban-bench bench/jiban-bench-baseline services/intake/jiban-intake \
  services/routing/jiban-routing; do
  [ -x "$bin/$b" ] || { echo "missing $bin/$b: build Release first (see the header)" >&2; exit 2; }
done
source bench/common.sh
admin=$(bash tests/mariadb.sh start "$work/mariadb")
port=$(cat "$work/mariadb/port")
for db in bench_baseline bench_intake bench_flow_intake bench_flow_routing; do
  mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "CREATE DATABASE $db"
done


# Real citizen messages as request texts when ../shared/data is beside the repository.
texts="$root/../shared/data/taidi2020c_msgs/attachment3_msgs_votes.tsv"
[ -f "$texts" ] || { echo "bench: $texts not found; using one template text" >&2; texts=""; }
results=()
memory=()
db_pid=$(cat "$work/mariadb/mysqld.pid")
# measure SERVER_PID DB_PID|- jiban-bench-args...: one jiban-bench run, its JSON line extended with
# the CPU time the server and MariaDB spent per call (ms), averaged over jiban-bench's 2 s warm-up
# and its window at the window's rate.
measure() {
  local server=$1 db=$2 s0 d0 out db_ticks=-
  shift 2
  s0=$(cpu_ticks "$server")
  [ "$db" = - ] || d0=$(cpu_ticks "$db")
  out=$("$bin/bench/jiban-bench" "$@" || true)
  [ "$db" = - ] || db_ticks=$(($(cpu_ticks "$db") - d0))
  node -e 'const [line, server, db, tick, secs] = process.argv.slice(1);
    const r = JSON.parse(line); const calls = r.rps * (Number(secs) + 2);
    const ms = (t) => calls > 0 ? (1000 * Number(t) / Number(tick) / calls).toFixed(3) : "";
    r.server_cpu_ms = ms(server); r.db_cpu_ms = db === "-" ? "" : ms(db);
    console.log(JSON.stringify(r));' "$out" "$(($(cpu_ticks "$server") - s0))" "$db_ticks" \
    "$(getconf CLK_TCK)" "$seconds"
}
for dialect in mysql sqlite; do
  if [ "$dialect" = mysql ]; then
    base_dsn="mysql://root@127.0.0.1:$port/bench_baseline"
    intake_dsn="mysql://root@127.0.0.1:$port/bench_intake"
  else
    base_dsn="sqlite:$work/baseline.db"
    intake_dsn="sqlite:$work/intake.db"
    db_pid=-
  fi
  JIBAN_DB_DSN="$base_dsn" JIBAN_GRPC_ADDR=127.0.0.1:0 \
    start "$work/baseline-$dialect.log" "$bin/bench/jiban-bench-baseline"
  results+=("$(measure "$started_pid" "$db_pid" --target=127.0.0.1:"$started_port" --rpc=echo \
    --concurrency="$concurrency" --seconds="$seconds" --label="baseline ($dialect)")")
  kill -TERM "$started_pid"; wait "$started_pid" || true  # one server at a time: 2 cores
  JIBAN_DB_DSN="$intake_dsn" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_DB_POOL_SIZE=64 \
    JIBAN_METRICS_ADDR=127.0.0.1:0 JIBAN_FIELD_KEYS="$keys" \
    start "$work/intake-$dialect.log" "$bin/services/intake/jiban-intake"
  idle_rss=$(rss_kb "$started_pid")
  results+=("$(measure "$started_pid" "$db_pid" --target=127.0.0.1:"$started_port" \
    --rpc=intake.submit --concurrency="$concurrency" --seconds="$seconds" --texts="$texts" \
    --label="intake.SubmitRequest ($dialect)")")
  peak_rss=$(hwm_kb "$started_pid")
  kill -TERM "$started_pid"; wait "$started_pid" || true
  memory+=("intake ($dialect): $((idle_rss / 1024)) MiB idle, $((peak_rss / 1024)) MiB peak")
done

node -e '
const rows = process.argv.slice(1).map(JSON.parse);
console.log("| what | req/s | × baseline | p50 ms | p99 ms | p99 × baseline | p99.9 ms | errors | server CPU ms/call | MariaDB CPU ms/call |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (let i = 0; i < rows.length; i += 2) {
  const base = rows[i];
  for (const r of [rows[i], rows[i + 1]]) {
    console.log(`| ${r.label} | ${r.rps} | ${(r.rps / base.rps).toFixed(2)} | ${r.p50_ms} | ${r.p99_ms} | ${(r.p99_ms / base.p99_ms).toFixed(2)} | ${r.p999_ms} | ${r.errors} | ${r.server_cpu_ms} | ${r.db_cpu_ms || "–"} |`);
  }
}
' "${results[@]}"
printf '\n%s\n' "${memory[@]}"

# Submit → dispatched work order (issue 4), on MySQL: intake and routing side by side, routing
# following intake's event stream; jiban-bench follows routing's and times each request from
# intake's answer to its OrdersDispatched / RequestTriaged event. First at 1,000 submissions/s,
# then closed loop at intake's maximum rate (does dispatch keep up?).
JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/bench_flow_intake" JIBAN_GRPC_ADDR=127.0.0.1:0 \
  JIBAN_DB_POOL_SIZE=64 JIBAN_METRICS_ADDR=127.0.0.1:0 JIBAN_FIELD_KEYS="$keys" \
  start "$work/flow-intake.log" "$bin/services/intake/jiban-intake"
intake_port=$started_port
intake_pid=$started_pid
model_args=()
msgs="$root/../shared/data/taidi2020c_msgs"
if [ -f "$msgs/train.tsv" ]; then
  "$bin/services/routing/jiban-routing" train --data="$msgs/train.tsv" --out="$work/model" >/dev/null
  model_args=(JIBAN_CLASSIFIER_MODEL="$work/model")
fi
JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/bench_flow_routing" JIBAN_GRPC_ADDR=127.0.0.1:0 \
  JIBAN_METRICS_ADDR=127.0.0.1:0 JIBAN_INTAKE_ADDR="127.0.0.1:$intake_port" \
  start "$work/flow-routing.log" env "${model_args[@]}" "$bin/services/routing/jiban-routing"
routing_port=$started_port
routing_pid=$started_pid
flow=()
for rate in 250 500 1000; do
  flow+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$intake_port" --rpc=intake.submit \
    --concurrency="$concurrency" --seconds="$seconds" --texts="$texts" --rate="$rate" \
    --watch=127.0.0.1:"$routing_port" --label="submit → dispatched, $rate/s (mysql)" || true)")
done
flow+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$intake_port" --rpc=intake.submit \
  --concurrency="$concurrency" --seconds="$seconds" --texts="$texts" \
  --watch=127.0.0.1:"$routing_port" --label="submit → dispatched, max rate (mysql)" || true)")
echo
node -e '
const rows = process.argv.slice(1).map(JSON.parse);
console.log("| what | submitted/s | submit p99 ms | duplicates | dispatched | not within 10 s | dispatch lag p50 ms | p99 ms | max ms |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(`| ${r.label} | ${r.rps} | ${r.p99_ms} | ${r.duplicates} | ${r.dispatched} | ${r.undispatched} | ${r.dispatch_p50_ms} | ${r.dispatch_p99_ms} | ${r.dispatch_max_ms} |`);
}
' "${flow[@]}"
echo "routing resident memory: $(($(hwm_kb "$routing_pid") / 1024)) MiB peak"
