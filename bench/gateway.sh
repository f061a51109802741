#!/usr/bin/env bash
# The gateway's cost, measured in one run: the same calls to intake straight and through the
# gateway (token checked, policy, limits, forwarding), on a throwaway MariaDB. Prints one JSON line
# per measurement (jiban-bench's); docs/benchmarks.md has the table.
#
#   bench/gateway.sh [seconds=10] [concurrency=64]
# Uses the binaries of build/ci (or JIBAN_BENCH_BIN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-10}
concurrency=${2:-64}
bin=${JIBAN_BENCH_BIN:-build/ci}
source bench/common.sh
bash tests/mariadb.sh start "$work/mariadb" >/dev/null
port=$(cat "$work/mariadb/port")
mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "CREATE DATABASE gw_intake"
start_intake_behind_gateway "mysql://root@127.0.0.1:$port/gw_intake"
results=()
for rpc in intake.get intake.submit; do
  results+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$intake_port" --rpc=$rpc \
    --concurrency="$concurrency" --seconds="$seconds" --label="$rpc straight")")
  results+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$gateway_port" --rpc=$rpc \
    --concurrency="$concurrency" --seconds="$seconds" --token="$token" \
    --label="$rpc through the gateway")")
done
printf '%s\n' "${results[@]}"
