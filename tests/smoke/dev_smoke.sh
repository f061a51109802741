#!/usr/bin/env bash
# The README's first command, as far as a test can run it: `jiban dev` (what deploy/run-dev.sh
# execs after installing and building) starts every service and the gateway on SQLite files in a
# fresh data directory and prints where to connect; a request submitted as JSON over HTTP with a
# token minted as it says is answered and tracked through the gateway's gRPC face; SIGTERM
# stops it with exit 0; a second start on the same directory still has the request.
# Usage: dev_smoke.sh PATH/TO/jiban      (exit 77 = skipped: curl missing outside CI)
set -euo pipefail
jiban=${1:?usage: dev_smoke.sh PATH/TO/jiban}
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v curl >/dev/null; then
  echo "smoke: curl is missing (deploy/install-deps.sh installs it)"
  [ "${CI:-}" = "true" ] && exit 1 || exit 77
fi
work=$(mktemp -d /tmp/jiban-dev.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*"; echo "--- jiban dev's standard error"; cat "$work/err" || true; exit 1; }

# Starts `jiban dev` on $work/data and waits (bounded) for it to say it is up.
start_dev() {
  : >"$work/err"  # exists before tail follows it
  JIBAN_DATA_DIR="$work/data" JIBAN_DEV_ANY_PORTS=true "$jiban" dev >"$work/log" 2>"$work/err" &
  pid=$!
  timeout 60 grep -q -m1 "Stop with Ctrl-C" <(tail -n +1 --pid="$pid" -f "$work/err") ||
    fail "jiban dev did not say it was up within 60 s"
  http=$(grep -o 'HTTP/JSON http://[0-9.:]*' "$work/err" | cut -d' ' -f2)
  grpc=$(awk '$1 == "gateway" && $2 == "gRPC" {print $3}' "$work/err")
  [ -n "$http" ] && [ -n "$grpc" ] || fail "jiban dev did not print the gateway's addresses"
}
stop_dev() {
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  pid=""
  [ "$code" = 0 ] || fail "jiban dev exited $code after SIGTERM, want 0"
}

start_dev
echo "smoke: jiban dev is up: gateway gRPC $grpc, $http"
for f in gateway-auth.json field-keys; do
  [ -f "$work/data/$f" ] || fail "no $f in the data directory"
done
[ "$(stat -c %a "$work/data/field-keys")" = 600 ] || fail "field-keys is not mode 0600"
# The token, minted as the start-up message says.
token=$(JIBAN_AUTH_FILE="$work/data/gateway-auth.json" "$jiban" gateway mint --role=window_clerk \
  --subject=clerk-1)
answer=$(curl -sS -H "Authorization: Bearer $token" -d @"$root/docs/examples/submit.json" \
  "$http/v1/jiban.intake.v1.IntakeService/SubmitRequest")
tracking=$(printf '%s' "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"]["trackingNumber"])') ||
  fail "SubmitRequest over HTTP answered: $answer"
echo "smoke: submitted over HTTP, tracking number $tracking"
"$jiban" ctl --gateway="$grpc" --token="$token" track "$tracking" >"$work/track" 2>&1 ||
  fail "jibanctl track: $(cat "$work/track")"
grep -q "^status: " "$work/track" || fail "jibanctl track shows no status: $(cat "$work/track")"
stop_dev

# The data stays between runs.
start_dev
"$jiban" ctl --gateway="$grpc" --token="$token" track "$tracking" >"$work/track" 2>&1 ||
  fail "after a restart, jibanctl track: $(cat "$work/track")"
grep -q "^status: " "$work/track" || fail "after a restart, no status: $(cat "$work/track")"
stop_dev
echo "smoke: ok"
