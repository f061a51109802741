#!/usr/bin/env bash
# Intake's submit throughput under variants of its environment, measured in one run on one
# throwaway MariaDB: each variant (a word of NAME=value settings, e.g. "JIBAN_DEADLOCK_DETECTION=1"
# or "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4") gets a fresh database and a
# fresh intake, then `jiban-bench --rpc=intake.submit` for SECONDS with 64 in flight; the list runs
# twice, so that a difference can be told from drift.
#
#   bench/variants.sh SECONDS VARIANT...      (build/release, or JIBAN_BENCH_BIN)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:?usage: bench/variants.sh SECONDS VARIANT...}
shift
bin=${JIBAN_BENCH_BIN:-build/release}
source bench/common.sh
bash tests/mariadb.sh start "$work/mariadb" >/dev/null
port=$(cat "$work/mariadb/port")
texts="$root/../shared/data/taidi2020c_msgs/attachment3_msgs_votes.tsv"
[ -f "$texts" ] || texts=""
n=0
echo "| intake run with | req/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|"
for round in 1 2; do
  for variant in "$@"; do
    n=$((n + 1))
    mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "CREATE DATABASE variant$n"
    # shellcheck disable=SC2086  # a variant is NAME=value words
    start "$work/intake-$n.log" env $variant JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/variant$n" \
      JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_DB_POOL_SIZE=64 JIBAN_METRICS_ADDR= JIBAN_FIELD_KEYS="$keys" \
      "$bin/services/intake/jiban-intake"
    "$bin/bench/jiban-bench" --target=127.0.0.1:"$started_port" --rpc=intake.submit --concurrency=64 \
      --seconds="$seconds" --texts="$texts" --label="$variant (round $round)" \
      | node -e 'const r=JSON.parse(require("fs").readFileSync(0));
        console.log(`| ${r.label} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} |`)'
    kill -TERM "$started_pid"
    wait "$started_pid" || true
  done
done
