#!/usr/bin/env bash
# kill -9 at random moments during a 10,000-request run (RELIABILITY.md P1–P3): the whole suite —
# intake, routing, escalation, assessment and bundle on a MariaDB of its own, the gateway in front
# — each on a fixed port so the others find it again after a restart. A window clerk's
# `jibanctl import` submits 10,000 requests through the gateway, 8 at a time, retrying transient
# failures with the same request ids, while a schedule drawn from a seed kills every service, the
# gateway and mariadbd once each, and two services together once, each at a random count of
# stored requests, starting each again at once. Half the requests are "could not get it done" (an
# order, a red light and a case each), half suggestions (the triage desk). Checked:
#   - every failed attempt was transient (UNAVAILABLE, DEADLINE_EXCEEDED), and every request
#     acknowledged before the end was stored; re-running the file (same ids) finishes the rest;
#   - exactly 10,000 requests, none twice; one work order per could-not-get-done request, none for
#     the others, none doubled; one red light per order; assessment holds exactly routing's orders
#     and escalation's lights; bundle's hot-spot signals hold every request once;
#   - within 30 s of the last acknowledgement every consumer's lag is 0 (every log drained).
# JIBAN_FAULT_SEED=N repeats a schedule (the seed is printed; random when unset).
# Usage: suite_faults.sh JIBAN JIBANCTL   (77: MariaDB or tools missing outside CI)
set -euo pipefail
jiban=${1:?usage: suite_faults.sh JIBAN JIBANCTL}
ctl=${2:?usage: suite_faults.sh JIBAN JIBANCTL}
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/smoke/lib.sh"
require_tools mariadbd mariadb-install-db mysql curl python3 node
smoke_setup faults
seed=${JIBAN_FAULT_SEED:-$RANDOM}
echo "suite_faults: seed $seed (JIBAN_FAULT_SEED=$seed repeats this schedule)"

# A MariaDB of its own, so that it can be killed without disturbing other tests.
bash "$root/tests/mariadb.sh" start "$work/db" >"$work/db-dsn" || fail "MariaDB did not start"
JIBAN_TEST_MYSQL_DSN=$(cat "$work/db-dsn")
services=(intake routing escalation assessment bundle)
service_databases faults "${services[@]}"
on_exit='bash "$root/tests/mariadb.sh" stop "$work/db" >/dev/null 2>&1 || true'
suite_secrets

declare -A grpc metrics pid env_of
for s in "${services[@]}" gateway; do grpc[$s]=127.0.0.1:$(free_port); done
env_of[intake]="JIBAN_FIELD_KEYS_FILE=$work/field-keys JIBAN_ROUTING_ADDR=${grpc[routing]}"
env_of[routing]="JIBAN_INTAKE_ADDR=${grpc[intake]}"
env_of[escalation]="JIBAN_ROUTING_ADDR=${grpc[routing]} JIBAN_SCAN_SECONDS=0.2"
env_of[assessment]="JIBAN_INTAKE_ADDR=${grpc[intake]} JIBAN_ROUTING_ADDR=${grpc[routing]} JIBAN_ESCALATION_ADDR=${grpc[escalation]}"
env_of[bundle]="JIBAN_FIELD_KEYS_FILE=$work/field-keys JIBAN_INTAKE_ADDR=${grpc[intake]} JIBAN_ROUTING_ADDR=${grpc[routing]}"
# The clerk's import is the whole load: no per-caller rate limit.
env_of[gateway]="JIBAN_AUTH_FILE=$work/auth.json JIBAN_HTTP_ADDR=127.0.0.1:0 \
JIBAN_RATE_PER_PRINCIPAL=100000 JIBAN_RATE_PER_ADDRESS=100000"
for s in "${services[@]}"; do
  upper=${s^^}
  env_of[gateway]+=" JIBAN_${upper}_ADDR=${grpc[$s]}"
  env_of[$s]+=" JIBAN_DB_DSN=$(dsn "$s") JIBAN_DB_POOL_SIZE=8"
done
runs=0
launch() {  # service: (re)starts it on its port
  runs=$((runs + 1))
  # shellcheck disable=SC2086  # env_of holds NAME=value words
  start_service "$1-$runs" env JIBAN_GRPC_ADDR="${grpc[$1]}" JIBAN_METRICS_ADDR=127.0.0.1:0 \
    ${env_of[$1]} "$jiban" "$1"
  pid[$1]=$service_pid
  metrics[$1]=$metrics_port
}
for s in "${services[@]}" gateway; do launch "$s"; done
clerk=$(JIBAN_AUTH_FILE="$work/auth.json" "$jiban" gateway mint --role=window_clerk --subject=clerk-1)

python3 - "$work/requests.jsonl" <<'PY'
import json, random, sys
# Texts unlike each other, so that intake's duplicate detector links none of them.
pool = "材料齐全窗口让下周再来已经跑了三次证照变更营业执照社保医保户口公积金税务登记审批盖章复印件原件证明说明身份证明办理流程时间地点部门人员态度答复结果进度查询预约排队网上系统故障无法提交退回补正"
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        text = "".join(random.Random(i).sample(pool, 30))
        could_not = i % 2 == 0  # a named citizen (it cannot be anonymous)
        f.write(json.dumps({"requestId": f"fault-{i}", "request": {
            "channel": "CHANNEL_APP",
            "nature": "NATURE_COULD_NOT_GET_DONE" if could_not else "NATURE_SUGGESTION",
            "title": f"第{i}件事", "text": text,
            "location": {"districtCode": "410204"},
            "requester": {"citizen": {"name": "市民", "phone": f"138{i:08d}"}} if could_not
                         else {"anonymous": True}}},
            ensure_ascii=False) + "\n")
PY
# The schedule: "COUNT TARGET..." lines, COUNT ascending, every target once and one pair.
python3 - "$seed" >"$work/schedule" <<'PY'
import random, sys
r = random.Random(int(sys.argv[1]))
services = ["intake", "routing", "escalation", "assessment", "bundle", "gateway"]
events = [[s] for s in services + ["mariadb"]] + [r.sample(services, 2)]
r.shuffle(events)
for count, targets in zip(sorted(r.sample(range(300, 9700), len(events))), events):
    print(count, *targets)
PY
echo "suite_faults: schedule (stored requests → killed): $(tr '\n' ';' <"$work/schedule")"

import_file() {  # round: imports the file through the gateway; its exit code in $import_code
  set +e
  JIBAN_TOKEN=$clerk "$ctl" --gateway="${grpc[gateway]}" import "$work/requests.jsonl" \
    --parallel=8 >"$work/import$1.out" 2>"$work/import$1.err"
  import_code=$?
  set -e
}
import_file 1 &
import_pid=$!
at_least() { [ "$(sql intake "SELECT COUNT(*) FROM intake_requests")" -ge "$1" ]; }
while read -r count targets; do
  until_ok 120 at_least "$count" || fail "the import stalled before $count requests"
  for t in $targets; do
    if [ "$t" = mariadb ]; then
      bash "$root/tests/mariadb.sh" kill9 "$work/db"
    else
      kill -9 "${pid[$t]}"
      wait "${pid[$t]}" 2>/dev/null || true
    fi
  done
  for t in $targets; do
    if [ "$t" = mariadb ]; then
      bash "$root/tests/mariadb.sh" restart "$work/db" || fail "MariaDB did not restart"
    else
      launch "$t"
    fi
  done
done <"$work/schedule"
wait "$import_pid" || true
refused=$(grep -c . "$work/import1.out" || true)  # lines refused after five attempts

# What failed while something was down was indeterminate and retried with the same request id —
# never INTERNAL or UNKNOWN; what exhausted its five attempts was refused as such.
if grep -h '^import: failed attempts: ' "$work"/import*.err | grep -qvE ' (UNAVAILABLE|DEADLINE_EXCEEDED) '; then
  fail "failures other than UNAVAILABLE: $(grep -h '^import: failed attempts' "$work"/import*.err)"
fi
if grep -vE ': (UNAVAILABLE|DEADLINE_EXCEEDED): ' "$work/import1.out" | grep -q .; then
  fail "refusals other than UNAVAILABLE: $(grep -vE ': (UNAVAILABLE|DEADLINE_EXCEEDED): ' "$work/import1.out" | head -5)"
fi
# Every request acknowledged in the first run is stored, before anything is sent again.
sql intake "SELECT client_request_id FROM intake_requests" >"$work/present"
python3 - "$work/import1.out" "$work/present" <<'PY' || fail "acknowledged requests were lost"
import re, sys
refused = {int(m.group(1)) - 1 for m in re.finditer(r"^line (\d+):", open(sys.argv[1]).read(), re.M)}
present = set(open(sys.argv[2]).read().split())
lost = {f"fault-{i}" for i in range(10000) if i not in refused} - present
print(f"suite_faults: {10000 - len(refused)} acknowledged, {len(refused)} refused, {len(lost)} lost")
sys.exit(1 if lost else 0)
PY
# The refused lines again, as a client would: the whole file, the same request ids.
if [ "$refused" != 0 ]; then
  import_file 2
  [ "$import_code" = 0 ] || fail "the second import refused lines: $(head -5 "$work/import2.out")"
fi

# Every log drained within 30 s: routing placed all 10,000, escalation, assessment and bundle
# caught up, every consumer's lag is 0.
lag_zero() {
  local s
  for s in "${services[@]}"; do
    curl -fsS "http://127.0.0.1:${metrics[$s]}/metrics" >"$work/m-$s.txt" || return 1
    if grep '^jiban_event_consumer_lag_events' "$work/m-$s.txt" | grep -qv ' 0$'; then return 1; fi
  done
}
orders=0
drained() {
  [ "$(sql routing "SELECT COUNT(*) FROM routing_requests")" = 10000 ] || return 1
  [ "$(sql bundle "SELECT COUNT(*) FROM bundle_signals")" = 10000 ] || return 1
  orders=$(sql routing "SELECT COUNT(*) FROM routing_orders")
  [ "$(sql escalation "SELECT COUNT(*) FROM escalation_lights")" = "$orders" ] || return 1
  [ "$(sql assessment "SELECT COUNT(*) FROM assessment_orders")" = "$orders" ] || return 1
  [ "$(sql assessment "SELECT COUNT(*) FROM assessment_lights")" = "$orders" ] || return 1
  lag_zero
}
# The promise is 30 s; a sanitizer build runs several times slower and, in CI, beside the other
# tests: it gets 300 s (one CI run on a loaded machine needed more than 120; alone, the same seed
# drained within the test's 196 s).
limit=30
if ldd "$jiban" | grep -q libasan; then limit=300; fi
until_ok "$limit" drained || fail "not drained in $limit s: routing $(sql routing "SELECT COUNT(*) FROM \
routing_requests") requests, $orders orders; lights $(sql escalation "SELECT COUNT(*) FROM \
escalation_lights"); assessment $(sql assessment "SELECT COUNT(*) FROM assessment_orders") orders, $(sql assessment \
"SELECT COUNT(*) FROM assessment_lights") lights; bundle $(sql bundle "SELECT COUNT(*) FROM \
bundle_signals") signals; lags: $(cat "$work"/m-*.txt 2>/dev/null | grep '^jiban_event_consumer_lag_events' \
| tr '\n' ' ')"

[ "$(sql intake "SELECT COUNT(*), COUNT(DISTINCT client_request_id) FROM intake_requests")" \
  = "$(printf '10000\t10000')" ] || fail "intake does not hold exactly 10,000 distinct requests"
[ "$orders" = 5000 ] || fail "routing made $orders orders, want 5,000 (one per could-not-get-done)"
[ "$(sql routing "SELECT COUNT(*) FROM (SELECT request_id FROM routing_orders GROUP BY request_id \
  HAVING COUNT(*) > 1) d")" = 0 ] || fail "a request has two work orders"
[ "$(sql escalation "SELECT COUNT(DISTINCT order_id) FROM escalation_lights")" = 5000 ] \
  || fail "an order has two lights, or one has none"
echo "suite_faults: OK (seed $seed: every service, the gateway and MariaDB killed; 10,000 requests," \
  "5,000 orders, 5,000 lights; failed attempts retried: $(grep -h '^import: failed attempts' \
  "$work"/import*.err | cut -d' ' -f4- | tr '\n' ' '); $refused refused after five and re-sent)"
