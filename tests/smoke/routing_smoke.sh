#!/usr/bin/env bash
# Smoke test of the routing binary from the outside: configuration errors; `train` writing a model
# the service then loads; intake and routing side by side on SQLite, a submission to intake
# becoming a work order (waited for on routing's own event stream, not by sleeping), read back
# through reflection-only buf curl; promtool on /metrics; SIGTERM → exit 0.
# Escalation follows routing: the same submission is a red light on its stream and in its API;
# assessment follows all three and scores the window for the month.
# The bundle service fans an application out through routing.
# Usage: routing_smoke.sh jiban-intake jiban-routing jiban-escalation jiban-assessment jiban-bundle
#        (exit 77 = tools missing)
set -euo pipefail
usage="usage: routing_smoke.sh jiban-intake jiban-routing jiban-escalation jiban-assessment jiban-bundle"
intake=${1:?$usage}
routing=${2:?$usage}
escalation=${3:?$usage}
assessment=${4:?$usage}
bundle=${5:?$usage}
root=$(cd "$(dirname "$0")/../.." && pwd)
buf="$root/tools/node_modules/.bin/buf"
source "$root/tests/smoke/lib.sh"
require_tools "$buf" promtool curl node python3
smoke_setup smoke
bufcurl() { "$buf" curl --protocol grpc --http2-prior-knowledge --timeout 10s "$@"; }

# 1. Bad configuration: exit 2, naming every variable.
set +e
env -u JIBAN_DB_DSN -u JIBAN_INTAKE_ADDR "$routing" >"$work/cfg.out" 2>&1
code=$?
set -e
[ "$code" = 2 ] || fail "bad configuration exited $code, want 2"
grep -q JIBAN_DB_DSN "$work/cfg.out" || fail "config error does not name JIBAN_DB_DSN"
grep -q JIBAN_INTAKE_ADDR "$work/cfg.out" || fail "config error does not name JIBAN_INTAKE_ADDR"

# 2. train: a model from a small labelled file; a broken file is refused.
{
  for w in 公交车 站台 红绿灯 出租车 停车场; do printf '交通运输\t%s的问题需要处理\n' "$w"; done
  for w in 噪音 排污 油烟 河道发臭 空气污染; do printf '环境保护\t%s的问题需要处理\n' "$w"; done
} >"$work/train.tsv"
"$routing" train --data="$work/train.tsv" --out="$work/model" --min-df=1 >"$work/train.out" 2>&1 \
  || fail "train: $(cat "$work/train.out")"
head -1 "$work/model" | grep -q 'jiban-text-classifier 1' || fail "train wrote no model"
printf 'no tab here\n' >"$work/bad.tsv"
if "$routing" train --data="$work/bad.tsv" --out="$work/bad.model" >"$work/bad.out" 2>&1; then
  fail "train accepted a broken file"
fi

# 3. Intake, then routing following it (ports from the kernel, read from the "started" lines).
start() { start_service "$@"; }  # name, command... → grpc_port, metrics_port
field_keys "$work/field-keys"
JIBAN_DB_DSN="sqlite:$work/intake.db" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR=127.0.0.1:0 \
  JIBAN_FIELD_KEYS_FILE="$work/field-keys" start intake "$intake"
intake_url="http://127.0.0.1:$grpc_port"
JIBAN_DB_DSN="sqlite:$work/routing.db" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR=127.0.0.1:0 \
  JIBAN_INTAKE_ADDR="127.0.0.1:$grpc_port" JIBAN_CLASSIFIER_MODEL="$work/model" \
  JIBAN_DRAIN_SECONDS=5 start routing "$routing"
url="http://127.0.0.1:$grpc_port"
routing_pid=${pids[1]}

services=$(bufcurl --list-services "$url")
for s in jiban.routing.v1.RoutingService jiban.events.v1.EventLogService grpc.health.v1.Health; do
  grep -qx "$s" <<<"$services" || fail "reflection does not list $s: $services"
done
health=$(bufcurl -d '{"service":"jiban.routing.v1.RoutingService"}' "$url/grpc.health.v1.Health/Check")
grep -q '"SERVING"' <<<"$health" || fail "health: $health"
classified=$(bufcurl -d '{"text":"楼下饭店油烟和噪音"}' "$url/jiban.routing.v1.RoutingService/ClassifyText")
grep -q '环境保护' <<<"$classified" || fail "ClassifyText with the trained model: $classified"

# 4. Submit to intake; routing's event stream delivers the dispatch (grep stops at the first).
body='{"requestId":"smoke-r1","request":{"channel":"CHANNEL_WINDOW","nature":"NATURE_COULD_NOT_GET_DONE",
       "title":"证照变更跑了三次没办成","text":"材料齐全，窗口让下周再来。",
       "location":{"districtCode":"410204"},
       "requester":{"citizen":{"name":"李四","phone":"13800138000"}}}}'
bufcurl -d "$body" "$intake_url/jiban.intake.v1.IntakeService/SubmitRequest" >"$work/submit.out" \
  || fail "submit: $(cat "$work/submit.out")"
# The stream stays open; buf ends it after 5 s, by which time grep has (or has not) seen the event.
{ "$buf" curl --protocol grpc --http2-prior-knowledge --timeout 5s -d '{"afterSequence":"0"}' \
    "$url/jiban.events.v1.EventLogService/StreamEvents" 2>/dev/null || true; } \
  | grep -q -m1 'OrdersDispatched' || fail "no OrdersDispatched event on routing's stream"
orders=$(bufcurl -d '{"unitId":"window.could-not-get-done"}' "$url/jiban.routing.v1.RoutingService/ListWorkOrders")
grep -q '"ORDER_STATE_DISPATCHED"' <<<"$orders" || fail "no dispatched order: $orders"
grep -q '"HANDLING_MODE_SUPERVISE"' <<<"$orders" || fail "wrong mode: $orders"

# 4b. Escalation, started after the dispatch, catches up from routing's stream: a red light.
routing_url=$url
routing_metrics=$metrics_port
JIBAN_DB_DSN="sqlite:$work/escalation.db" JIBAN_GRPC_ADDR=127.0.0.1:0 \
  JIBAN_METRICS_ADDR=127.0.0.1:0 JIBAN_ROUTING_ADDR="127.0.0.1:${routing_url##*:}" \
  JIBAN_SCAN_SECONDS=0.2 start escalation "$escalation"
escalation_url="http://127.0.0.1:$grpc_port"
escalation_metrics=$metrics_port
{ "$buf" curl --protocol grpc --http2-prior-knowledge --timeout 5s -d '{"afterSequence":"0"}' \
    "$escalation_url/jiban.events.v1.EventLogService/StreamEvents" 2>/dev/null || true; } \
  | grep -q -m1 'LIGHT_CAUSE_COULD_NOT_GET_DONE' || fail "no light on escalation's stream"
lights=$(bufcurl -d '{"unitId":"window.could-not-get-done","activeOnly":true}' \
  "$escalation_url/jiban.escalation.v1.EscalationService/ListLights")
grep -q '"LIGHT_COLOUR_RED"' <<<"$lights" || fail "no red light: $lights"
curl -sS -o "$work/escalation-metrics" "http://127.0.0.1:$escalation_metrics/metrics"
promtool check metrics <"$work/escalation-metrics" || fail "promtool check metrics (escalation)"
grep -q '^jiban_escalation_active_lights{cause="could_not_get_done",colour="red"} 1' \
  "$work/escalation-metrics" || fail "active lights gauge"
grep -q '^jiban_escalation_open_cases{kind="do_now"} 1' "$work/escalation-metrics" \
  || fail "the red light did not open a do-now case"
verified=$(JIBAN_DB_DSN="sqlite:$work/escalation.db" "$escalation" verify-log) \
  || fail "verify-log: $verified"
grep -q '^intact: 1 entries' <<<"$verified" || fail "verify-log: $verified"
# The service logs each new chain head (the anchor kept off the machine); verify-log checks it.
timeout 10 grep -q -m1 '"msg":"case log head"' <(tail -n +1 -f "$work/escalation.log") \
  || fail "no case log head in escalation's log"
anchor=$(grep -o '"anchor":"[0-9]*:[0-9a-f]*"' "$work/escalation.log" | tail -1 | cut -d'"' -f4)
verified=$(JIBAN_DB_DSN="sqlite:$work/escalation.db" "$escalation" verify-log --anchor="$anchor") \
  || fail "verify-log --anchor=$anchor: $verified"
grep -q 'anchor matches' <<<"$verified" || fail "verify-log --anchor: $verified"

# 4c. Assessment, started last, catches up from all three streams and scores the window.
start_assessment() {  # name
  JIBAN_DB_DSN="sqlite:$work/assessment.db" JIBAN_GRPC_ADDR=127.0.0.1:0 \
    JIBAN_METRICS_ADDR=127.0.0.1:0 JIBAN_INTAKE_ADDR="127.0.0.1:${intake_url##*:}" \
    JIBAN_ROUTING_ADDR="127.0.0.1:${routing_url##*:}" \
    JIBAN_ESCALATION_ADDR="127.0.0.1:${escalation_url##*:}" start "$1" "$assessment"
  assessment_url="http://127.0.0.1:$grpc_port"
}
month=$(TZ=Asia/Shanghai date +%Y-%m)
score_req="{\"unitId\":\"window.could-not-get-done\",\"period\":\"$month\"}"
scored() {  # polls the score (a bounded wait on a condition) until the red light has been applied
  timeout 20 bash -c "until $buf curl --protocol grpc --http2-prior-knowledge --timeout 5s \
      -d '$score_req' $assessment_url/jiban.assessment.v1.AssessmentService/GetUnitScore \
      2>/dev/null | grep -q '\"redLights\": 1'; do :; done" || fail "assessment never scored the light"
  score=$(bufcurl -d "$score_req" "$assessment_url/jiban.assessment.v1.AssessmentService/GetUnitScore")
  grep -q '"orders": 1' <<<"$score" || fail "score: $score"
  grep -q '"unitClass": "UNIT_CLASS_WINDOW"' <<<"$score" || fail "score: $score"
}
start_assessment assessment
scored
scheme=$(bufcurl -d '{}' "$assessment_url/jiban.assessment.v1.AssessmentService/GetScheme")
[ "$(grep -c '"metric"' <<<"$scheme")" = 11 ] || fail "the shipped scheme has not 11 sub-items"
curl -sS -o "$work/assessment-metrics" "http://127.0.0.1:$metrics_port/metrics"
promtool check metrics <"$work/assessment-metrics" || fail "promtool check metrics (assessment)"
# Rebuild: SIGTERM (exit 0), forget the facts, start again: the replay from sequence 0 scores the
# same.
assessment_pid=${pids[-1]}
kill -TERM "$assessment_pid"
wait "$assessment_pid" || fail "assessment exited non-zero after SIGTERM"
JIBAN_DB_DSN="sqlite:$work/assessment.db" "$assessment" rebuild >"$work/rebuild.out" 2>&1 \
  || fail "rebuild: $(cat "$work/rebuild.out")"
grep -q 'from sequence 0' "$work/rebuild.out" || fail "rebuild said: $(cat "$work/rebuild.out")"
start_assessment assessment-rebuilt
scored

# The bundle service: reflection, health, an application fanned out into three orders, metrics,
# SIGTERM, and no personal data in its logs or database.
JIBAN_DB_DSN="sqlite:$work/bundle.db" JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR=127.0.0.1:0 \
  JIBAN_FIELD_KEYS_FILE="$work/field-keys" JIBAN_INTAKE_ADDR="127.0.0.1:${intake_url##*:}" \
  JIBAN_ROUTING_ADDR="127.0.0.1:${routing_url##*:}" start bundle "$bundle"
bundle_url="http://127.0.0.1:$grpc_port"
grep -qx jiban.bundle.v1.BundleService <<<"$(bufcurl --list-services "$bundle_url")" \
  || fail "reflection does not list the bundle service"
health=$(bufcurl -d '{"service":"jiban.bundle.v1.BundleService"}' "$bundle_url/grpc.health.v1.Health/Check")
grep -q '"SERVING"' <<<"$health" || fail "bundle health: $health"
apply='{"requestId":"smoke-b1","bundleId":"newborn","districtCode":"410202",
  "form":{"child_name":"张小宝","birth_date":"2026-11-01","guardian_name":"张三",
          "guardian_id_number":"11010519491231002X","contact_phone":"13900139000"},
  "materialIds":["birth_certificate","household_register","id_card","marriage_certificate"]}'
bufcurl -d "$apply" "$bundle_url/jiban.bundle.v1.BundleService/SubmitApplication" >"$work/apply.out" \
  || fail "apply: $(cat "$work/apply.out")"
app_id=$(sed -nE 's/^    "id": "([^"]+)".*/\1/p' "$work/apply.out" | head -1)
[ -n "$app_id" ] || fail "no application id: $(cat "$work/apply.out")"
get_app="{\"applicationId\":\"$app_id\"}"
timeout 20 bash -c "until [ \$($buf curl --protocol grpc --http2-prior-knowledge --timeout 5s \
    -d '$get_app' $bundle_url/jiban.bundle.v1.BundleService/GetApplication 2>/dev/null \
    | grep -c PART_STATE_DISPATCHED) = 3 ]; do :; done" || fail "the application never fanned out"
curl -sS -o "$work/bundle-metrics" "http://127.0.0.1:$metrics_port/metrics"
promtool check metrics <"$work/bundle-metrics" || fail "promtool check metrics (bundle)"
grep -q '^jiban_bundle_parts_dispatched_total 3' "$work/bundle-metrics" \
  || fail "parts dispatched counter: $(grep jiban_bundle "$work/bundle-metrics")"
bundle_pid=${pids[-1]}
kill -TERM "$bundle_pid"
wait "$bundle_pid" || fail "bundle exited non-zero after SIGTERM"
for secret in 11010519491231002X 13900139000 张三; do
  if grep -aq "$secret" "$work/bundle.log" "$work/bundle.err" "$work/bundle.db"*; then
    fail "personal data in the clear in the bundle service's logs or database"
  fi
done

url=$routing_url
metrics_port=$routing_metrics

# 5. /metrics passes promtool and carries routing's own series.
curl -sS -o "$work/metrics" "http://127.0.0.1:$metrics_port/metrics"
promtool check metrics <"$work/metrics" || fail "promtool check metrics"
grep -q '^jiban_routing_calendar_fallback_total' "$work/metrics" || fail "no calendar fallback counter"

# 6. SIGTERM drains and exits 0; no personal data in routing's logs or database.
kill -TERM "$routing_pid"
set +e
wait "$routing_pid"
code=$?
set -e
[ "$code" = 0 ] || fail "routing exit code after SIGTERM: $code"
for secret in 13800138000 李四; do
  if grep -aq "$secret" "$work/routing.log" "$work/routing.err" "$work/routing.db"*; then
    fail "personal data reached routing"
  fi
done
echo "smoke: routing OK"
