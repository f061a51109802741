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
keys=$(node -e 'const c=require("crypto");const k=()=>c.randomBytes(32).toString("base64");
  process.stdout.write(`active=k1;k1=${k()};index=${k()}`)')
JIBAN_DB_DSN="mysql://root@127.0.0.1:$port/gw_intake" JIBAN_GRPC_ADDR=127.0.0.1:0 \
  JIBAN_DB_POOL_SIZE=64 JIBAN_METRICS_ADDR= JIBAN_FIELD_KEYS="$keys" \
  start "$work/intake.log" "$bin/services/intake/jiban-intake"
intake_port=$started_port
secret=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))')
printf '{"issuer":"bench","audience":"jiban","keys":[{"kid":"b1","alg":"HS256","secret":"%s"}]}' \
  "$secret" >"$work/auth.json"
JIBAN_AUTH_FILE="$work/auth.json" JIBAN_INTAKE_ADDR="127.0.0.1:$intake_port" \
  JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR= JIBAN_HTTP_ADDR= \
  JIBAN_RATE_PER_PRINCIPAL=100000 JIBAN_RATE_PER_ADDRESS=100000 \
  start "$work/gateway.log" "$bin/services/gateway/jiban-gateway"
gateway_port=$started_port
token=$(JIBAN_AUTH_FILE="$work/auth.json" "$bin/services/gateway/jiban-gateway" mint \
  --role=window_clerk --subject=bench)
results=()
for rpc in intake.get intake.submit; do
  results+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$intake_port" --rpc=$rpc \
    --concurrency="$concurrency" --seconds="$seconds" --label="$rpc straight")")
  results+=("$("$bin/bench/jiban-bench" --target=127.0.0.1:"$gateway_port" --rpc=$rpc \
    --concurrency="$concurrency" --seconds="$seconds" --token="$token" \
    --label="$rpc through the gateway")")
done
printf '%s\n' "${results[@]}"
