#!/usr/bin/env bash
# The whole suite from the outside, as Kubernetes runs it: the one `jiban` binary per service on
# MariaDB (schemas made by `jiban <service> migrate`, services started with JIBAN_DB_MIGRATE=check
# and a shared identity key), the gateway in front with JWTs, and a real Prometheus scraping every
# service with the shipped rules. Through the gateway, with jibanctl only:
#   a requester submits a "could not get it done" request → routing dispatches it to the
#   commission's window → escalation lights it red and opens a case → the window signs for it and
#   answers → the requester evaluates → assessment scores the window (1 order, 1 red light).
# Then Prometheus: every target up, every rule group evaluated without error, the red-light alert
# firing, recording rules answering; a bulk import; and a privacy scan of metrics, database dumps
# and logs. Waits are bounded polls on conditions, never sleeps.
# Usage: suite_smoke.sh JIBAN JIBANCTL   (exit 77 = MariaDB or tools missing outside CI)
set -euo pipefail
jiban=${1:?usage: suite_smoke.sh JIBAN JIBANCTL}
ctl=${2:?usage: suite_smoke.sh JIBAN JIBANCTL}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/smoke/lib.sh"
require_tools prometheus promtool curl mysql mysqldump python3
smoke_setup suite
# MariaDB: one database per service, as in production.
services=(intake routing escalation assessment bundle)
service_databases suite "${services[@]}"

suite_secrets  # as Kubernetes would mount them

# 1. Migrations the way the Kubernetes Job runs them; a second run has nothing to do.
for s in "${services[@]}"; do
  JIBAN_DB_DSN=$(dsn "$s") "$jiban" "$s" migrate >"$work/migrate-$s.out" 2>&1 \
    || fail "$s migrate: $(cat "$work/migrate-$s.out")"
  JIBAN_DB_DSN=$(dsn "$s") "$jiban" "$s" migrate >/dev/null 2>&1 || fail "$s migrate twice"
done
set +e
JIBAN_DB_DSN="mysql://root@$db_host:1/nowhere" "$jiban" intake migrate >"$work/nodb.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] || fail "migrate against no database exited $code, want 1"

# 2. The services, each on kernel-chosen ports read from its "started" line.
start() {  # name, env assignments... → the service's addresses in grpc[name], metrics[name]
  local name=$1
  shift
  start_service "$name" env JIBAN_GRPC_ADDR=127.0.0.1:0 JIBAN_METRICS_ADDR=127.0.0.1:0 \
    JIBAN_DB_MIGRATE=check JIBAN_DRAIN_SECONDS=5 "$@" "$jiban" "$name"
  metrics["$name"]=$metrics_port
  grpc["$name"]=127.0.0.1:$grpc_port
}
declare -A metrics grpc
# Intake and routing follow each other: routing's port is chosen first so intake can be told it.
routing_port=$(free_port)
dsn intake >"$work/intake-dsn"  # a secret may come from a file (a mounted Secret)
start intake JIBAN_DB_DSN_FILE="$work/intake-dsn" JIBAN_FIELD_KEYS_FILE="$work/field-keys" \
  JIBAN_ROUTING_ADDR="127.0.0.1:$routing_port"
start routing JIBAN_DB_DSN="$(dsn routing)" JIBAN_INTAKE_ADDR="${grpc[intake]}" \
  JIBAN_GRPC_ADDR="127.0.0.1:$routing_port"
start escalation JIBAN_DB_DSN="$(dsn escalation)" JIBAN_ROUTING_ADDR="${grpc[routing]}" \
  JIBAN_SCAN_SECONDS=0.2
start assessment JIBAN_SCORE_METRICS_SECONDS=1 JIBAN_DB_DSN="$(dsn assessment)" JIBAN_INTAKE_ADDR="${grpc[intake]}" \
  JIBAN_ROUTING_ADDR="${grpc[routing]}" JIBAN_ESCALATION_ADDR="${grpc[escalation]}"
start bundle JIBAN_DB_DSN="$(dsn bundle)" JIBAN_FIELD_KEYS_FILE="$work/field-keys" \
  JIBAN_INTAKE_ADDR="${grpc[intake]}" JIBAN_ROUTING_ADDR="${grpc[routing]}"
start gateway JIBAN_AUTH_FILE="$work/auth.json" JIBAN_HTTP_ADDR=127.0.0.1:0 \
  JIBAN_INTAKE_ADDR="${grpc[intake]}" JIBAN_ROUTING_ADDR="${grpc[routing]}" \
  JIBAN_ESCALATION_ADDR="${grpc[escalation]}" JIBAN_ASSESSMENT_ADDR="${grpc[assessment]}" \
  JIBAN_BUNDLE_ADDR="${grpc[bundle]}"
export JIBAN_GATEWAY=${grpc[gateway]}

# 3. Tokens for the people in the story.
mint() { JIBAN_AUTH_FILE="$work/auth.json" "$jiban" gateway mint "$@"; }
citizen=$(mint --role=requester --subject=citizen-1)
window=$(mint --role=unit_staff --subject=window-officer --unit=window.could-not-get-done)
officer=$(mint --role=commission_officer --subject=officer-1)
as() {  # token, jibanctl args...
  local token=$1
  shift
  "$ctl" --token="$token" "$@"
}

# Without a token the gateway refuses.
set +e
"$ctl" requests >"$work/anon.out" 2>&1
code=$?
set -e
[ "$code" = 1 ] && grep -q UNAUTHENTICATED "$work/anon.out" || fail "anonymous call: $(cat "$work/anon.out")"

# 4. Submit (twice with one request id: one request), through the gateway.
as "$citizen" --json --request-id=suite-1 submit --nature=could_not_get_done --channel=app \
  --title="营业执照变更跑了三次没办成" --text="材料齐全，窗口让下周再来，已经来回三次。" \
  --district=410204 --name="李四" --phone="13800138000" \
  --set=request.requester.citizen.id_number=11010519491231002X >"$work/submit.json" \
  || fail "submit: $(cat "$work/submit.json")"
as "$citizen" --json --request-id=suite-1 submit --nature=could_not_get_done --channel=app \
  --title="营业执照变更跑了三次没办成" --text="材料齐全，窗口让下周再来，已经来回三次。" \
  --district=410204 --name="李四" --phone="13800138000" \
  --set=request.requester.citizen.id_number=11010519491231002X >"$work/submit2.json" \
  || fail "submit retry: $(cat "$work/submit2.json")"
request_id=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["request"]["id"])' "$work/submit.json")
tracking=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["request"]["trackingNumber"])' "$work/submit.json")
again=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["request"]["id"])' "$work/submit2.json")
[ "$request_id" = "$again" ] || fail "a retried submission made a second request"
grep -q '138\*\*\*\*8000' "$work/submit.json" || fail "the requester's answer is not masked"

# 5. Dispatched to the commission's window; red light and a do-now case follow.
has_order() { as "$window" orders --request="$request_id" | grep -q dispatched; }
until_ok 20 has_order || fail "no work order for the request: $(as "$window" orders --request="$request_id" 2>&1)"
order_id=$(as "$window" --json orders --request="$request_id" \
  | python3 -c 'import json,sys;print(json.load(sys.stdin)["orders"][0]["id"])')
red_light() { as "$officer" lights --colour=red --active | grep -q "$tracking"; }
until_ok 20 red_light || fail "no red light: $(as "$officer" lights 2>&1)"
as "$officer" lights --colour=red | grep -q could_not_get_done || fail "the light's cause"
until_ok 20 bash -c "\"$ctl\" --token=$officer cases --open | grep -q '$tracking'" \
  || fail "no supervision case: $(as "$officer" cases 2>&1)"

# 6. The window signs for it and answers; the requester tracks and evaluates.
as "$window" sign "$order_id" | grep -q 'state: signed_for' || fail "sign for"
as "$window" reply "$order_id" --text="已当场办结变更登记并致歉。" | grep -q 'state: replied' \
  || fail "reply"
answered() { as "$citizen" track "$tracking" | grep -q '^status: answered'; }
until_ok 20 answered || fail "the request never showed answered: $(as "$citizen" track "$tracking" 2>&1)"
as "$citizen" evaluate "$request_id" --satisfaction=satisfied --resolution=resolved \
  | grep -q 'dissatisfied: no' || fail "evaluate"

# 7. The window's score for the month: one order, one red light, every sub-item listed.
scored() { as "$officer" score window.could-not-get-done | grep -q '^red lights: 1'; }
until_ok 30 scored || fail "no score: $(as "$officer" score window.could-not-get-done 2>&1)"
as "$officer" score window.could-not-get-done >"$work/score.out"
grep -q '^orders: 1' "$work/score.out" || fail "score: $(cat "$work/score.out")"
[ "$(grep -c . "$work/score.out")" -ge 17 ] || fail "score lacks its sub-items: $(cat "$work/score.out")"
as "$officer" rankings --class=window | grep -q "$(head -2 "$work/score.out" | sed -n 's/^unit: //p')" \
  || fail "the window is not in its class's rankings"

# 7b. Bulk import with progress: 20 requests, one malformed line refused by number; running it again
# creates nothing new (each line carries its request id).
clerk=$(mint --role=window_clerk --subject=clerk-1)
python3 - "$work/import.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(20):
        f.write(json.dumps({"requestId": f"import-{i}", "request": {
            "channel": "CHANNEL_HOTLINE", "nature": "NATURE_SUGGESTION",
            "title": f"建议增设公交线路{i}", "text": "希望在新区增设一条公交线路方便上下班。",
            "location": {"districtCode": "410202"}, "requester": {"anonymous": True}}},
            ensure_ascii=False) + "\n")
    f.write('{"requestId": "import-bad", "request": {"title": ""}}\n')
PY
for round in 1 2; do
  set +e
  as "$clerk" import "$work/import.jsonl" --parallel=4 >"$work/import.out" 2>"$work/import.err"
  code=$?
  set -e
  [ "$code" = 1 ] || fail "import round $round exited $code: $(cat "$work/import.out")"
  grep -q '^line 21: INVALID_ARGUMENT' "$work/import.out" || fail "import: $(cat "$work/import.out")"
  grep -q '^import: 21/21 sent, 0 retried, 1 refused' "$work/import.err" || fail "import progress: $(cat "$work/import.err")"
done
imported=$(as "$clerk" --json requests --nature=suggestion --page-size=100 \
  | python3 -c 'import json,sys;print(len(json.load(sys.stdin).get("requests",[])))')
[ "$imported" = 20 ] || fail "import made $imported requests, want 20"

# 8. Prometheus scrapes every service and evaluates the shipped rules.
prom_port=$(free_port)
{
  printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
  printf 'rule_files:\n  - %s\n' "$root/deploy/prometheus/rules.yml"
  printf 'scrape_configs:\n'
  for s in gateway "${services[@]}"; do
    printf '  - job_name: jiban-%s\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' \
      "$s" "${metrics[$s]}"
  done
} >"$work/prometheus.yml"
promtool check config "$work/prometheus.yml" >/dev/null || fail "promtool check config"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
api="http://127.0.0.1:$prom_port/api/v1"
all_up() {
  curl -fsS "$api/targets" | python3 -c '
import json,sys
t=json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if len(t)==6 and all(x["health"]=="up" for x in t) else 1)'
}
until_ok 60 all_up || fail "not every target is up: $(curl -sS "$api/targets")"
rules_ok() {
  curl -fsS "$api/rules" | python3 -c '
import json,sys
g=json.load(sys.stdin)["data"]["groups"]
rules=[r for x in g for r in x["rules"]]
sys.exit(0 if rules and all(r.get("health")=="ok" and r.get("lastEvaluation","0001").startswith("20") for r in rules) else 1)'
}
until_ok 60 rules_ok || fail "rules not all evaluated: $(curl -sS "$api/rules")"
query() { curl -fsS --data-urlencode "query=$1" "$api/query"; }
red_alert() { query 'ALERTS{alertname="JibanRedLightRaised",alertstate="firing"}' | grep -q '"result":\[{'; }
until_ok 60 red_alert || fail "the red-light alert is not firing: $(query ALERTS)"
query 'jiban_ready' | grep -q '"value":\[[0-9.]*,"1"\]' || fail "jiban_ready"
if query 'jiban_ready == 0' | grep -q '"result":\[{'; then fail "a service is not ready"; fi
has_score() { query 'jiban_assessment_unit_score{unit="window.could-not-get-done"}' | grep -q '"result":\[{'; }
until_ok 30 has_score || fail "no unit score metric"
query 'histogram_count(rate(jiban_routing_dispatch_lag_seconds[1m]))' >/dev/null || fail "lag"

# 8b. Privacy scan: the requester's phone, identity number and name appear nowhere in clear — not
# in any service's metrics, nor in a mysqldump of any service's database (logs: after step 9).
secrets=(13800138000 11010519491231002X 李四)
for s in gateway "${services[@]}"; do
  curl -fsS "http://127.0.0.1:${metrics[$s]}/metrics" >"$work/metrics-$s.txt" || fail "scrape $s"
done
for s in "${services[@]}"; do
  mysqldump -h "$db_host" -P "$db_port" -u root --skip-extended-insert "${prefix}_$s" \
    >"$work/dump-$s.sql" || fail "mysqldump $s"
done
grep -q 'INSERT INTO `intake_requests`' "$work/dump-intake.sql" || fail "the dump holds no requests"
for secret in "${secrets[@]}"; do
  if grep -l -a -- "$secret" "$work"/metrics-*.txt "$work"/dump-*.sql; then
    fail "personal data in clear in the files above"
  fi
done

# 9. SIGTERM: every service drains and exits 0, followers first.
for ((i = ${#pids[@]} - 2; i >= 0; i--)); do
  kill -TERM "${pids[$i]}"
  wait "${pids[$i]}" || fail "a service exited non-zero after SIGTERM"
done
for secret in "${secrets[@]}"; do
  if grep -l -a -- "$secret" "$work"/*.log "$work"/*.err; then fail "personal data in a log"; fi
done
echo "smoke: suite OK"
