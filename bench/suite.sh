#!/usr/bin/env bash
# The whole suite under sustained load (issue 10): intake, routing, escalation, assessment and
# bundle on one throwaway MariaDB, the gateway in front. jiban-bench submits through the gateway as
# a window clerk — at RATE a second, or as fast as it goes with RATE 0 — for SECONDS, and follows
# routing's event stream for the dispatch lag (intake's answer → OrdersDispatched/RequestTriaged).
# The raw baseline (gRPC + one durable INSERT) is measured first, in the same run. Every 5 s each
# process's resident memory, open file descriptors and CPU time are sampled; after the load, the
# consumers get up to 120 s to drain. Prints the load's line beside the baseline and one row per
# service: idle, peak and last resident memory, CPU used during the load, descriptors first → last;
# and, for a run of 10 minutes or more, memory and descriptors at the first tenth against the end
# (the soak's flatness).
#
#   bench/suite.sh [seconds=60] [rate=0] [concurrency=64]
#   bench/suite.sh 1800 300        # the 30-minute soak at 300 requests/s
# Uses the binaries of build/release (or JIBAN_BENCH_BIN); JIBAN_BENCH_SAMPLES=FILE keeps the
# samples (TSV: seconds, process, resident KiB, descriptors, CPU ticks).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
rate=${2:-0}
concurrency=${3:-64}
bin=${JIBAN_BENCH_BIN:-build/release}
services=(intake routing escalation assessment bundle)
for b in bench/jiban-bench bench/jiban-bench-baseline "${services[@]/#/services/}" services/gateway; do
  case $b in services/*) b="$b/jiban-${b#services/}" ;; esac
  [ -x "$bin/$b" ] || { echo "missing $bin/$b: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
done
source bench/common.sh
bash tests/mariadb.sh start "$work/mariadb" >/dev/null
port=$(cat "$work/mariadb/port")
db() { echo "mysql://root@127.0.0.1:$port/suite_$1"; }
for s in base "${services[@]}"; do
  mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "CREATE DATABASE suite_$s"
done
texts="$root/../shared/data/taidi2020c_msgs/attachment3_msgs_votes.tsv"
[ -f "$texts" ] || { echo "bench: $texts not found; using one template text" >&2; texts=""; }

# The baseline, alone on the machine.
JIBAN_DB_DSN=$(db base) JIBAN_GRPC_ADDR=127.0.0.1:0 start "$work/baseline.log" "$bin/bench/jiban-bench-baseline"
baseline=$("$bin/bench/jiban-bench" --target=127.0.0.1:"$started_port" --rpc=echo \
  --concurrency="$concurrency" --seconds=10 --label="baseline (gRPC + 1 durable INSERT)")
kill -TERM "$started_pid"; wait "$started_pid" || true

# The suite, each service on its own database, a classifier when the training data is beside us.
model=()
if [ -f "$root/../shared/data/taidi2020c_msgs/train.tsv" ]; then
  "$bin/services/routing/jiban-routing" train --data="$root/../shared/data/taidi2020c_msgs/train.tsv" \
    --out="$work/model" >/dev/null
  model=(JIBAN_CLASSIFIER_MODEL="$work/model")
fi
declare -A grpc pid
for s in "${services[@]}" gateway; do
  grpc[$s]=127.0.0.1:$(free_port)
done
declare -A extra=(
  [intake]="JIBAN_FIELD_KEYS=$keys JIBAN_ROUTING_ADDR=${grpc[routing]} JIBAN_DB_POOL_SIZE=64"
  [routing]="JIBAN_INTAKE_ADDR=${grpc[intake]} ${model[*]}"
  [escalation]="JIBAN_ROUTING_ADDR=${grpc[routing]}"
  [assessment]="JIBAN_INTAKE_ADDR=${grpc[intake]} JIBAN_ROUTING_ADDR=${grpc[routing]} JIBAN_ESCALATION_ADDR=${grpc[escalation]}"
  [bundle]="JIBAN_FIELD_KEYS=$keys JIBAN_INTAKE_ADDR=${grpc[intake]} JIBAN_ROUTING_ADDR=${grpc[routing]}"
  [gateway]="JIBAN_AUTH_FILE=$work/auth.json JIBAN_HTTP_ADDR= JIBAN_RATE_PER_PRINCIPAL=100000 JIBAN_RATE_PER_ADDRESS=100000"
)
for s in "${services[@]}"; do extra[$s]+=" JIBAN_DB_DSN=$(db "$s")"; extra[gateway]+=" JIBAN_${s^^}_ADDR=${grpc[$s]}"; done
for s in "${services[@]}" gateway; do
  # shellcheck disable=SC2086  # NAME=value words
  start "$work/$s.log" env JIBAN_GRPC_ADDR="${grpc[$s]}" JIBAN_METRICS_ADDR=127.0.0.1:0 ${extra[$s]} \
    "$bin/services/$s/jiban-$s"
  [ -n "$started_port" ] || { echo "$s did not start:"; tail -5 "$work/$s.log"; exit 1; }
  pid[$s]=$started_pid
done
pid[mariadb]=$(cat "$work/mariadb/launcher.pid")
token=$(JIBAN_AUTH_FILE="$work/auth.json" "$bin/services/gateway/jiban-gateway" mint \
  --role=window_clerk --subject=bench)

# Samples every 5 s until stopped.
procs=("${services[@]}" gateway mariadb)
sample() {
  local t=$1 p
  for p in "${procs[@]}"; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$p" "$(rss_kb "${pid[$p]}")" \
      "$(find "/proc/${pid[$p]}/fd" -mindepth 1 2>/dev/null | wc -l)" \
      "$(awk '{print $14 + $15}' "/proc/${pid[$p]}/stat")"
  done
}
samples=${JIBAN_BENCH_SAMPLES:-$work/samples.tsv}
: >"$samples"
sample 0 >>"$samples"  # idle
(
  start_s=$SECONDS
  while true; do sleep 5; sample $((SECONDS - start_s)) >>"$samples"; done
) &
sampler=$!
pids+=("$sampler")
rate_args=()
[ "$rate" != 0 ] && rate_args=(--rate="$rate")
load=$("$bin/bench/jiban-bench" --target="${grpc[gateway]}" --token="$token" --rpc=intake.submit \
  --concurrency="$concurrency" --seconds="$seconds" --warmup=2 --texts="$texts" "${rate_args[@]}" \
  --watch="${grpc[routing]}" --label="submit through the gateway → dispatched (mysql, $([ "$rate" = 0 ] && echo "max rate" || echo "$rate/s"))" || true)
cpu_end=$(sample "$seconds")
# The consumers drain: each service's consumer lag reaches 0 (up to 120 s).
lagging() {
  local s m
  for s in "${services[@]}"; do
    m=$(grep -o '"metrics_port":[0-9]*' "$work/$s.log" | head -1 | cut -d: -f2)
    curl -fsS "http://127.0.0.1:$m/metrics" | grep '^jiban_event_consumer_lag_events' | grep -qv ' 0$' && return 0
  done
  return 1
}
drain_start=$SECONDS
while lagging && [ $((SECONDS - drain_start)) -lt 120 ]; do sleep 1; done
drained=$((SECONDS - drain_start))
kill "$sampler" 2>/dev/null || true
sample "$((seconds + drained))" >>"$samples"
hwm=()
for p in "${procs[@]}"; do hwm+=("$p=$(hwm_kb "${pid[$p]}")"); done

node - "$samples" "$baseline" "$load" "$seconds" "$drained" "$(getconf CLK_TCK)" "$cpu_end" "${hwm[@]}" <<'JS'
const fs = require("fs");
const [file, base, load, secs, drained, tck, cpuEnd, ...hwm] = process.argv.slice(2);
const b = JSON.parse(base), l = JSON.parse(load || "{}");
const rows = fs.readFileSync(file, "utf8").trim().split("\n").map(r => r.split("\t"));
const end = Object.fromEntries(cpuEnd.trim().split("\n").map(r => r.split("\t")).map(r => [r[1], r]));
const peak = Object.fromEntries(hwm.map(h => h.split("=")));
const mib = kb => (kb / 1024).toFixed(0);
console.log("| what | req/s | × baseline | p50 ms | p99 ms | p99.9 ms | errors | dispatched | dispatch p50 ms | p99 ms | max ms |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
console.log(`| ${b.label} | ${b.rps} | 1.00 | ${b.p50_ms} | ${b.p99_ms} | ${b.p999_ms} | ${b.errors} | | | | |`);
console.log(`| ${l.label} | ${l.rps} | ${(l.rps / b.rps).toFixed(2)} | ${l.p50_ms} | ${l.p99_ms} | ${l.p999_ms} | ${l.errors} | ${l.dispatched} | ${l.dispatch_p50_ms} | ${l.dispatch_p99_ms} | ${l.dispatch_max_ms} |`);
console.log(`\nevery consumer-lag gauge at 0 ${drained} s after the load\n`);
const soak = Number(secs) >= 600;
console.log("| process | idle MiB | peak MiB | last MiB | CPU cores during the load | fds first → last (max)" + (soak ? " | MiB at 1/10 → end | fds at 1/10 → end" : "") + " |");
console.log("|---|---:|---:|---:|---:|---:|" + (soak ? "---:|---:|" : ""));
for (const p of [...new Set(rows.map(r => r[1]))]) {
  const mine = rows.filter(r => r[1] === p);
  const first = mine[0], last = mine[mine.length - 1];
  const cpu = ((Number(end[p][4]) - Number(first[4])) / Number(tck) / (Number(secs) + 2)).toFixed(2);
  const fdmax = Math.max(...mine.map(r => Number(r[3])));
  let line = `| ${p} | ${mib(first[2])} | ${mib(peak[p])} | ${mib(last[2])} | ${cpu} | ${first[3]} → ${last[3]} (${fdmax})`;
  if (soak) {
    const tenth = mine.find(r => Number(r[0]) >= Number(secs) / 10) || first;
    line += ` | ${mib(tenth[2])} → ${mib(last[2])} | ${tenth[3]} → ${last[3]}`;
  }
  console.log(line + " |");
}
JS
