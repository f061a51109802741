#!/usr/bin/env bash
# Smoke test of a real service binary, from the outside, with independent clients:
#   buf curl through server reflection only (no local copy of any contract), including
#   grpc.health.v1.Health/Check; `promtool check metrics` on /metrics; a config error naming the
#   variable; SIGTERM → drain → exit 0.
# Usage: intake_smoke.sh PATH/TO/jiban-intake     (exit 77 = skipped: tools missing outside CI)
set -euo pipefail
bin=${1:?usage: intake_smoke.sh PATH/TO/jiban-intake}
root=$(cd "$(dirname "$0")/../.." && pwd)
buf="$root/tools/node_modules/.bin/buf"
for tool in "$buf" promtool curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "smoke: $tool is missing (deploy/install-deps.sh installs it)"
    [ "${CI:-}" = "true" ] && exit 1 || exit 77
  fi
done
work=$(mktemp -d /tmp/jiban-smoke.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "smoke: FAIL: $*"; echo "--- service log"; cat "$work/log" || true; cat "$work/err" || true; exit 1; }

# 1. Bad configuration: exit 2, naming the variable.
set +e
env -u JIBAN_DB_DSN JIBAN_GRPC_ADDR=nonsense "$bin" >"$work/cfg.out" 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "bad configuration exited $code, want 2"
grep -q JIBAN_DB_DSN "$work/cfg.out" || fail "config error does not name JIBAN_DB_DSN"
grep -q JIBAN_GRPC_ADDR "$work/cfg.out" || fail "config error does not name JIBAN_GRPC_ADDR"
grep -q JIBAN_FIELD_KEYS "$work/cfg.out" || fail "config error does not name JIBAN_FIELD_KEYS"

# 2. Start on SQLite with ports from the kernel; read them from the "started" log line.
# A throwaway key spec for the sealed personal data, given the way Kubernetes mounts secrets.
node -e 'const c=require("crypto");const k=()=>c.randomBytes(32).toString("base64");
  process.stdout.write(`active=k1;k1=${k()};index=${k()}`)' >"$work/field-keys"
: >"$work/log"  # exists before tail follows it
JIBAN_DB_DSN="sqlite:$work/intake.db" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR=127.0.0.1:0 \
  JIBAN_FIELD_KEYS_FILE="$work/field-keys" JIBAN_DRAIN_SECONDS=5 "$bin" >"$work/log" 2>"$work/err" &
pid=$!
# Wait (at most 15 s) for the "started" line: grep returns as soon as tail delivers it.
if ! timeout 15 grep -q -m1 '"msg":"started"' <(tail -n +1 --pid="$pid" -f "$work/log"); then
  fail "service did not start"
fi
line=$(grep '"msg":"started"' "$work/log") || fail "no started line"
grpc_port=$(sed -E 's/.*"grpc_port":([0-9]+).*/\1/' <<<"$line")
metrics_port=$(sed -E 's/.*"metrics_port":([0-9]+).*/\1/' <<<"$line")
url="http://127.0.0.1:$grpc_port"
bufcurl() { "$buf" curl --protocol grpc --http2-prior-knowledge --timeout 10s "$@"; }

# 3. Reflection lists the services; health answers without a local contract.
services=$(bufcurl --list-services "$url")
for s in jiban.intake.v1.IntakeService jiban.events.v1.EventLogService grpc.health.v1.Health; do
  grep -qx "$s" <<<"$services" || fail "reflection does not list $s: $services"
done
health=$(bufcurl -d '{}' "$url/grpc.health.v1.Health/Check")
grep -q '"SERVING"' <<<"$health" || fail "health: $health"
health=$(bufcurl -d '{"service":"jiban.intake.v1.IntakeService"}' "$url/grpc.health.v1.Health/Check")
grep -q '"SERVING"' <<<"$health" || fail "service health: $health"

# 4. A request, its retry, and a bad one.
body='{"requestId":"smoke-1","request":{"channel":"CHANNEL_WEB","nature":"NATURE_SUGGESTION",
       "title":"建议增设公交站","text":"希望在幸福路口增设一个公交站。",
       "location":{"districtCode":"410202","address":"开封市龙亭区幸福路8号"},
       "requester":{"citizen":{"name":"张三","phone":"+86 138 0013 8000"}}}}'
first=$(bufcurl -d "$body" -H 'x-request-id: smoke-1' "$url/jiban.intake.v1.IntakeService/SubmitRequest")
tracking=$(grep -o '"trackingNumber": *"JB[0-9]*"' <<<"$first") || fail "no tracking number: $first"
again=$(bufcurl -d "$body" "$url/jiban.intake.v1.IntakeService/SubmitRequest")
grep -qF "$tracking" <<<"$again" || fail "retry changed the answer: $again"
grep -q '138\*\*\*\*8000' <<<"$first" || fail "phone not masked for a caller without a role: $first"
set +e
bad=$(bufcurl -d '{"requestId":"smoke-2","request":{"channel":"CHANNEL_WEB"}}' \
      "$url/jiban.intake.v1.IntakeService/SubmitRequest" 2>&1)
set -e
grep -q 'invalid_argument' <<<"$bad" || fail "bad request was not INVALID_ARGUMENT: $bad"
grep -q 'request.title' <<<"$bad" || fail "bad request does not name request.title: $bad"
# The details travel as google.rpc.Status (grpc-status-details-bin); decode ErrorInfo's reason.
info=$(tr -d '\n ' <<<"$bad" | grep -o '"type":"google.rpc.ErrorInfo","value":"[^"]*"' | sed -E 's/.*"value":"([^"]*)"/\1/')
reason=$(node -e 'process.stdout.write(Buffer.from(process.argv[1], "base64").toString("latin1"))' "$info")
grep -q 'INVALID_REQUEST' <<<"$reason" || fail "bad request has no ErrorInfo reason: $bad"
grep -q '"google.rpc.BadRequest"' <<<"$bad" || fail "bad request has no BadRequest detail: $bad"

# 5. /metrics: the exact content type, and promtool's linter.
headers=$(curl -sS -D - -o "$work/metrics" "http://127.0.0.1:$metrics_port/metrics")
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' <<<"$headers" \
  || fail "metrics content type: $headers"
promtool check metrics <"$work/metrics" || fail "promtool check metrics"
grep -q 'grpc_server_handled_total{grpc_code="OK",grpc_method="SubmitRequest"' "$work/metrics" \
  || fail "no handled counter for SubmitRequest"

# 6. SIGTERM drains and exits 0.
kill -TERM "$pid"
set +e
wait "$pid"
code=$?
set -e
pid=""
[ "$code" = 0 ] || fail "exit code after SIGTERM: $code"
grep -q '"msg":"stopped"' "$work/log" || fail "no stopped line"
# No personal data or request text in the logs.
for secret in 幸福路 13800138000 张三; do
  if grep -q "$secret" "$work/log" "$work/err"; then fail "request content or personal data in logs"; fi
done
if grep -aq 13800138000 "$work/intake.db"*; then fail "phone number stored in clear"; fi
echo "smoke: intake OK ($tracking)"
